//! Helper functions, by the kernel's ids (`enum bpf_func_id` in `include/uapi/linux/bpf.h`).
//!
//! One dispatcher serves both engines: the interpreter calls it directly, the JIT through a
//! trampoline in `jit::mem`. A helper reads and writes program memory only through
//! [`crate::mem::Memory`]'s checked accessors, so a bad pointer argument is a typed fault at the
//! `call`, never undefined behaviour. An id we do not implement is
//! [`FaultKind::UnsupportedHelper`] naming it, never a silent zero.
//!
//! Pointer encodings shared by both engines: a map pointer (`lddw` with a map source) is
//! [`MAP_PTR_TAG`]` | map id`, and a subprogram address (`lddw` with `PseudoSrc::Func`) is
//! [`FUNC_PTR_TAG`]` | insn index`. Programs never dereference either (the verifier forbids
//! it), so they need not be host addresses.

use crate::dynptr;
use crate::machine::{Machine, Redirect, MAX_TAIL_CALLS};
use crate::maps::{errno, MapId};
use crate::mem::Access;
use crate::FaultKind;

mod csum;
mod net;
mod objects;
mod skb;
mod sock_ops;
mod system;
mod text;

pub use objects::socket_id;
pub use system::System;

/// Tag of map pointer values.
pub const MAP_PTR_TAG: u64 = 0xffff_a000_0000_0000;
/// Tag of subprogram address values.
pub const FUNC_PTR_TAG: u64 = 0xffff_b000_0000_0000;
const TAG_MASK: u64 = 0xffff_f000_0000_0000;

/// The map a map-pointer value names.
pub fn map_of_ptr(v: u64) -> Option<MapId> {
    (v & TAG_MASK == MAP_PTR_TAG).then_some(MapId((v & 0xffff_ffff) as u32))
}

/// The instruction index a subprogram-address value names.
pub fn func_of_ptr(v: u64) -> Option<u32> {
    (v & TAG_MASK == FUNC_PTR_TAG).then_some((v & 0xffff_ffff) as u32)
}

/// Helper names by id, from `bpf_func_id` (index = id). Used for error messages.
const NAMES: &str = "unspec map_lookup_elem map_update_elem map_delete_elem probe_read ktime_get_ns \
trace_printk get_prandom_u32 get_smp_processor_id skb_store_bytes l3_csum_replace l4_csum_replace \
tail_call clone_redirect get_current_pid_tgid get_current_uid_gid get_current_comm get_cgroup_classid \
skb_vlan_push skb_vlan_pop skb_get_tunnel_key skb_set_tunnel_key perf_event_read redirect \
get_route_realm perf_event_output skb_load_bytes get_stackid csum_diff skb_get_tunnel_opt \
skb_set_tunnel_opt skb_change_proto skb_change_type skb_under_cgroup get_hash_recalc get_current_task \
probe_write_user current_task_under_cgroup skb_change_tail skb_pull_data csum_update set_hash_invalid \
get_numa_node_id skb_change_head xdp_adjust_head probe_read_str get_socket_cookie get_socket_uid \
set_hash setsockopt skb_adjust_room redirect_map sk_redirect_map sock_map_update xdp_adjust_meta \
perf_event_read_value perf_prog_read_value getsockopt override_return sock_ops_cb_flags_set \
msg_redirect_map msg_apply_bytes msg_cork_bytes msg_pull_data bind xdp_adjust_tail skb_get_xfrm_state \
get_stack skb_load_bytes_relative fib_lookup sock_hash_update msg_redirect_hash sk_redirect_hash \
lwt_push_encap lwt_seg6_store_bytes lwt_seg6_adjust_srh lwt_seg6_action rc_repeat rc_keydown \
skb_cgroup_id get_current_cgroup_id get_local_storage sk_select_reuseport skb_ancestor_cgroup_id \
sk_lookup_tcp sk_lookup_udp sk_release map_push_elem map_pop_elem map_peek_elem msg_push_data \
msg_pop_data rc_pointer_rel spin_lock spin_unlock sk_fullsock tcp_sock skb_ecn_set_ce \
get_listener_sock skc_lookup_tcp tcp_check_syncookie sysctl_get_name sysctl_get_current_value \
sysctl_get_new_value sysctl_set_new_value strtol strtoul sk_storage_get sk_storage_delete send_signal \
tcp_gen_syncookie skb_output probe_read_user probe_read_kernel probe_read_user_str \
probe_read_kernel_str tcp_send_ack send_signal_thread jiffies64 read_branch_records \
get_ns_current_pid_tgid xdp_output get_netns_cookie get_current_ancestor_cgroup_id sk_assign \
ktime_get_boot_ns seq_printf seq_write sk_cgroup_id sk_ancestor_cgroup_id ringbuf_output \
ringbuf_reserve ringbuf_submit ringbuf_discard ringbuf_query csum_level skc_to_tcp6_sock \
skc_to_tcp_sock skc_to_tcp_timewait_sock skc_to_tcp_request_sock skc_to_udp6_sock get_task_stack \
load_hdr_opt store_hdr_opt reserve_hdr_opt inode_storage_get inode_storage_delete d_path \
copy_from_user snprintf_btf seq_printf_btf skb_cgroup_classid redirect_neigh per_cpu_ptr \
this_cpu_ptr redirect_peer task_storage_get task_storage_delete get_current_task_btf bprm_opts_set \
ktime_get_coarse_ns ima_inode_hash sock_from_file check_mtu for_each_map_elem snprintf sys_bpf \
btf_find_by_name_kind sys_close timer_init timer_set_callback timer_start timer_cancel get_func_ip \
get_attach_cookie task_pt_regs get_branch_snapshot trace_vprintk skc_to_unix_sock \
kallsyms_lookup_name find_vma loop strncmp get_func_arg get_func_ret get_func_arg_cnt get_retval \
set_retval xdp_get_buff_len xdp_load_bytes xdp_store_bytes copy_from_user_task skb_set_tstamp \
ima_file_hash kptr_xchg map_lookup_percpu_elem skc_to_mptcp_sock dynptr_from_mem \
ringbuf_reserve_dynptr ringbuf_submit_dynptr ringbuf_discard_dynptr dynptr_read dynptr_write \
dynptr_data tcp_raw_gen_syncookie_ipv4 tcp_raw_gen_syncookie_ipv6 tcp_raw_check_syncookie_ipv4 \
tcp_raw_check_syncookie_ipv6 ktime_get_tai_ns user_ringbuf_drain cgrp_storage_get cgrp_storage_delete";

/// The kernel name of helper `id` (without `bpf_`), if it has one.
pub fn helper_name(id: i32) -> Option<&'static str> {
    usize::try_from(id)
        .ok()
        .filter(|&i| i > 0)
        .and_then(|i| NAMES.split_whitespace().nth(i))
}

/// Helper ids we implement (the kernel's numbers).
pub mod id {
    pub const MAP_LOOKUP_ELEM: i32 = 1;
    pub const MAP_UPDATE_ELEM: i32 = 2;
    pub const MAP_DELETE_ELEM: i32 = 3;
    pub const PROBE_READ: i32 = 4;
    pub const KTIME_GET_NS: i32 = 5;
    pub const TRACE_PRINTK: i32 = 6;
    pub const GET_PRANDOM_U32: i32 = 7;
    pub const GET_SMP_PROCESSOR_ID: i32 = 8;
    pub const SKB_STORE_BYTES: i32 = 9;
    pub const TAIL_CALL: i32 = 12;
    pub const GET_CURRENT_PID_TGID: i32 = 14;
    pub const GET_CURRENT_UID_GID: i32 = 15;
    pub const GET_CURRENT_COMM: i32 = 16;
    pub const REDIRECT: i32 = 23;
    pub const REDIRECT_MAP: i32 = 51;
    pub const PERF_EVENT_OUTPUT: i32 = 25;
    pub const SKB_LOAD_BYTES: i32 = 26;
    pub const CSUM_DIFF: i32 = 28;
    pub const XDP_ADJUST_HEAD: i32 = 44;
    pub const PROBE_READ_STR: i32 = 45;
    pub const XDP_ADJUST_META: i32 = 54;
    pub const XDP_ADJUST_TAIL: i32 = 65;
    pub const MAP_PUSH_ELEM: i32 = 87;
    pub const MAP_POP_ELEM: i32 = 88;
    pub const MAP_PEEK_ELEM: i32 = 89;
    pub const SPIN_LOCK: i32 = 93;
    pub const SPIN_UNLOCK: i32 = 94;
    pub const PROBE_READ_USER: i32 = 112;
    pub const PROBE_READ_KERNEL: i32 = 113;
    pub const PROBE_READ_USER_STR: i32 = 114;
    pub const PROBE_READ_KERNEL_STR: i32 = 115;
    pub const KTIME_GET_BOOT_NS: i32 = 125;
    pub const RINGBUF_OUTPUT: i32 = 130;
    pub const RINGBUF_RESERVE: i32 = 131;
    pub const RINGBUF_SUBMIT: i32 = 132;
    pub const RINGBUF_DISCARD: i32 = 133;
    pub const RINGBUF_QUERY: i32 = 134;
    pub const DYNPTR_FROM_MEM: i32 = 197;
    pub const RINGBUF_RESERVE_DYNPTR: i32 = 198;
    pub const RINGBUF_SUBMIT_DYNPTR: i32 = 199;
    pub const RINGBUF_DISCARD_DYNPTR: i32 = 200;
    pub const DYNPTR_READ: i32 = 201;
    pub const DYNPTR_WRITE: i32 = 202;
    pub const DYNPTR_DATA: i32 = 203;
    pub const TRACE_VPRINTK: i32 = 177;
    pub const KTIME_GET_COARSE_NS: i32 = 160;
    pub const FOR_EACH_MAP_ELEM: i32 = 164;
    pub const LOOP: i32 = 181;
}

/// What a helper call did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HelperRet {
    /// The value for `r0`.
    Value(u64),
    /// A successful `tail_call` to the program stored in a program array: the current
    /// program stops.
    TailCall(u32),
}

/// The engine's side of helpers that call back into the program (`loop`,
/// `for_each_map_elem`): run the subprogram at instruction `func` with `args` on a new frame.
pub trait Callbacks {
    fn call(&mut self, m: &mut Machine, func: u32, args: [u64; 5]) -> Result<u64, FaultKind>;
}

fn neg(e: i64) -> u64 {
    (-e) as u64
}

fn map_arg(id: i32, v: u64) -> Result<MapId, FaultKind> {
    map_of_ptr(v).ok_or_else(|| helper_fault(id, format!("argument {v:#x} is not a map pointer")))
}

fn helper_fault(id: i32, reason: String) -> FaultKind {
    FaultKind::HelperFault {
        id,
        name: helper_name(id).unwrap_or("?"),
        reason,
    }
}

/// `bpf_map_lookup_elem` on a map of data (the object maps' lookups are `objects`'): the
/// value's address, or 0. Small keys are copied to the stack, not the heap.
fn lookup_elem(m: &mut Machine, a: [u64; 5]) -> Result<u64, FaultKind> {
    let hid = id::MAP_LOOKUP_ELEM;
    let mid = map_arg(hid, a[0])?;
    let n = match m.map(mid) {
        None => return Err(helper_fault(hid, "no such map".into())),
        Some(map) if objects::serves_lookup(map.def.map_type) => {
            return objects::call(m, hid, a).unwrap_or(Ok(0));
        }
        Some(map) => map.def.key_size as usize,
    };
    if n == 4 {
        // The common u32 key (array maps, most hash maps): one checked load, which the memory
        // checker's cache of recent regions usually answers inline.
        let key = (m.mem.load(a[1], 4)? as u32).to_le_bytes();
        let map = m.map_mut(mid).expect("looked up above");
        return Ok(map.lookup(&key).unwrap_or(0));
    }
    let (map, mem) = m
        .map_and_mem(mid)
        .ok_or_else(|| helper_fault(hid, "no such map".into()))?;
    let mut small = [0u8; 64];
    if n <= small.len() {
        mem.read_into(a[1], &mut small[..n])?;
        Ok(map.lookup(&small[..n]).unwrap_or(0))
    } else {
        Ok(map.lookup(&mem.read_bytes(a[1], n)?).unwrap_or(0))
    }
}

/// Submits or discards the ring-buffer record at `addr`, whichever ring it is in; an address
/// that is no reserved record is a fault of helper `id` (the verifier proves it never is).
fn ringbuf_commit(m: &mut Machine, id: i32, addr: u64, submit: bool) -> Result<u64, FaultKind> {
    for i in 0..m.maps_len() {
        let (map, mem) = m.map_and_mem(MapId(i)).expect("map exists");
        if map.ringbuf_commit(mem, addr, submit) {
            return Ok(0);
        }
    }
    Err(helper_fault(
        id,
        format!("{addr:#x} is not a reserved record"),
    ))
}

/// Calls helper `id` with `r1`..`r5`.
pub fn call(
    m: &mut Machine,
    id: i32,
    a: [u64; 5],
    cb: &mut dyn Callbacks,
) -> Result<HelperRet, FaultKind> {
    use HelperRet::Value;
    if let Some(f) = m.custom_helpers.get(&id) {
        return Ok(Value(f(&mut m.env, a)));
    }
    // Helpers over kernel objects, the system and the network stack live in their own
    // modules; each answers `None` for an id (or map type) that is not its own. Lookups, the
    // hot helper, skip the modules that never serve them.
    if id == id::MAP_LOOKUP_ELEM {
        return lookup_elem(m, a).map(Value);
    }
    let served = objects::call(m, id, a)
        .or_else(|| system::call(m, id, a))
        .or_else(|| net::call(m, id, a))
        .or_else(|| text::call(m, id, a))
        .or_else(|| csum::call(m, id, a))
        .or_else(|| skb::call(m, id, a))
        .or_else(|| sock_ops::call(m, id, a));
    if let Some(r) = served {
        return r.map(Value);
    }
    let r = match id {
        id::MAP_UPDATE_ELEM => {
            let mid = map_arg(id, a[0])?;
            let (map, mem) = m
                .map_and_mem(mid)
                .ok_or_else(|| helper_fault(id, "no such map".into()))?;
            let key = mem.read_bytes(a[1], map.def.key_size as usize)?;
            let value = mem.read_bytes(a[2], map.def.value_size as usize)?;
            map.update(mid, mem, &key, &value, a[3]) as u64
        }
        id::MAP_DELETE_ELEM => {
            let mid = map_arg(id, a[0])?;
            let (map, mem) = m
                .map_and_mem(mid)
                .ok_or_else(|| helper_fault(id, "no such map".into()))?;
            let key = mem.read_bytes(a[1], map.def.key_size as usize)?;
            map.delete(mem, &key) as u64
        }
        id::MAP_PUSH_ELEM => {
            let mid = map_arg(id, a[0])?;
            let (map, mem) = m
                .map_and_mem(mid)
                .ok_or_else(|| helper_fault(id, "no such map".into()))?;
            let value = mem.read_bytes(a[1], map.def.value_size as usize)?;
            map.push(&value, a[2]) as u64
        }
        id::MAP_POP_ELEM | id::MAP_PEEK_ELEM => {
            let mid = map_arg(id, a[0])?;
            let (map, mem) = m
                .map_and_mem(mid)
                .ok_or_else(|| helper_fault(id, "no such map".into()))?;
            mem.check(a[1], u64::from(map.def.value_size), Access::Write)?;
            match map.pop(id == id::MAP_POP_ELEM) {
                Some(v) => {
                    mem.write_bytes(a[1], &v)?;
                    0
                }
                None => neg(errno::ENOENT),
            }
        }
        id::KTIME_GET_NS | id::KTIME_GET_BOOT_NS | id::KTIME_GET_COARSE_NS => {
            let t = m.env.clock_ns;
            m.env.clock_ns = t.wrapping_add(m.env.clock_step_ns);
            t
        }
        id::GET_PRANDOM_U32 => {
            // xorshift64*: deterministic from `env.prng_state`.
            let mut x = m.env.prng_state;
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            m.env.prng_state = x;
            (x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 32) as u32 as u64
        }
        id::GET_SMP_PROCESSOR_ID => u64::from(m.env.cpu),
        id::GET_CURRENT_PID_TGID => m.env.pid_tgid,
        id::GET_CURRENT_UID_GID => m.env.uid_gid,
        id::GET_CURRENT_COMM => {
            let size = a[1] as usize;
            let mut buf = vec![0u8; size];
            let n = size.saturating_sub(1).min(16);
            buf[..n].copy_from_slice(&m.env.comm[..n]);
            m.mem.write_bytes(a[0], &buf)?;
            0
        }
        id::TRACE_PRINTK => {
            let fmt = m.mem.read_bytes(a[0], a[1] as usize)?;
            let line = format_printk(m, &fmt, &[a[2], a[3], a[4]])?;
            let n = line.len() as u64;
            m.env.trace.push(line);
            n
        }
        id::TRACE_VPRINTK => {
            // The arguments come as an array of u64 (at most 12, `MAX_BPRINTF_VARARGS`).
            let (data, data_len) = (a[2], a[3]);
            if data_len % 8 != 0 || data_len > 12 * 8 || (data_len != 0 && data == 0) {
                neg(errno::EINVAL)
            } else {
                let fmt = m.mem.read_bytes(a[0], a[1] as usize)?;
                let raw = m.mem.read_bytes(data, data_len as usize)?;
                let args: Vec<u64> = raw
                    .chunks_exact(8)
                    .map(|c| u64::from_le_bytes(c.try_into().unwrap_or_default()))
                    .collect();
                let line = format_printk(m, &fmt, &args)?;
                let n = line.len() as u64;
                m.env.trace.push(line);
                n
            }
        }
        id::RINGBUF_QUERY => {
            let mid = map_arg(id, a[0])?;
            m.map(mid)
                .ok_or_else(|| helper_fault(id, "no such map".into()))?
                .ringbuf_query(a[1])
        }
        id::PROBE_READ | id::PROBE_READ_USER | id::PROBE_READ_KERNEL => {
            let size = a[1] as usize;
            match probe_source(m, a[2], size) {
                Some(bytes) => {
                    m.mem.write_bytes(a[0], &bytes)?;
                    0
                }
                None => {
                    m.mem.write_bytes(a[0], &vec![0; size])?;
                    neg(errno::EFAULT)
                }
            }
        }
        id::PROBE_READ_STR | id::PROBE_READ_USER_STR | id::PROBE_READ_KERNEL_STR => {
            let size = a[1] as usize;
            m.mem.check(a[0], a[1], Access::Write)?;
            if size == 0 {
                0
            } else {
                match probe_cstr(m, a[2], size - 1) {
                    Some(mut s) => {
                        s.push(0);
                        m.mem.write_bytes(a[0], &s)?;
                        s.len() as u64
                    }
                    None => {
                        m.mem.write_bytes(a[0], &[0])?;
                        neg(errno::EFAULT)
                    }
                }
            }
        }
        id::PERF_EVENT_OUTPUT => {
            let mid = map_arg(id, a[1])?;
            let data = m.mem.read_bytes(a[3], a[4] as usize)?;
            let idx = a[2] & 0xffff_ffff;
            let idx = if idx == 0xffff_ffff {
                m.env.cpu
            } else {
                idx as u32
            };
            let map = m
                .map_mut(mid)
                .ok_or_else(|| helper_fault(id, "no such map".into()))?;
            map.perf_output(idx, data) as u64
        }
        id::RINGBUF_OUTPUT => {
            let mid = map_arg(id, a[0])?;
            let data = m.mem.read_bytes(a[1], a[2] as usize)?;
            let map = m
                .map_mut(mid)
                .ok_or_else(|| helper_fault(id, "no such map".into()))?;
            map.ringbuf_output(data) as u64
        }
        id::RINGBUF_RESERVE => {
            let mid = map_arg(id, a[0])?;
            let (map, mem) = m
                .map_and_mem(mid)
                .ok_or_else(|| helper_fault(id, "no such map".into()))?;
            let size = u32::try_from(a[1]).unwrap_or(u32::MAX);
            map.ringbuf_reserve(mid, mem, size)
        }
        id::RINGBUF_SUBMIT | id::RINGBUF_DISCARD => {
            ringbuf_commit(m, id, a[0], id == id::RINGBUF_SUBMIT)?
        }
        id::DYNPTR_FROM_MEM => dynptr::from_mem(m, a)?,
        id::DYNPTR_READ => dynptr::read(m, a)?,
        id::DYNPTR_WRITE => dynptr::write(m, a)?,
        id::DYNPTR_DATA => dynptr::data(m, a)?,
        id::RINGBUF_RESERVE_DYNPTR => {
            let mid = map_arg(id, a[0])?;
            dynptr::ringbuf_reserve(m, a, |m, size| {
                let (map, mem) = m
                    .map_and_mem(mid)
                    .ok_or_else(|| helper_fault(id, "no such map".into()))?;
                Ok(map.ringbuf_reserve(mid, mem, size))
            })?
        }
        id::RINGBUF_SUBMIT_DYNPTR | id::RINGBUF_DISCARD_DYNPTR => {
            let submit = id == id::RINGBUF_SUBMIT_DYNPTR;
            dynptr::ringbuf_commit(m, a, |m, record| ringbuf_commit(m, id, record, submit))?
        }
        id::SKB_LOAD_BYTES | id::SKB_STORE_BYTES => {
            let (_, data, end) = m
                .mem
                .packet_bounds()
                .ok_or_else(|| helper_fault(id, "no packet".into()))?;
            let (off, len) = (a[1], a[3]);
            let ok = off.checked_add(len).is_some_and(|e| e <= end - data) && len > 0;
            if !ok {
                if id == id::SKB_LOAD_BYTES {
                    m.mem.write_bytes(a[2], &vec![0; len as usize])?;
                }
                neg(errno::EFAULT)
            } else if id == id::SKB_LOAD_BYTES {
                let bytes = m.mem.read_bytes(data + off, len as usize)?;
                m.mem.write_bytes(a[2], &bytes)?;
                0
            } else {
                let bytes = m.mem.read_bytes(a[2], len as usize)?;
                m.mem.write_bytes(data + off, &bytes)?;
                0
            }
        }
        id::XDP_ADJUST_HEAD => {
            let (meta, data, end) = m
                .mem
                .packet_bounds()
                .ok_or_else(|| helper_fault(id, "no packet".into()))?;
            let delta = a[1] as i32 as i64;
            let new_data = data.wrapping_add(delta as u64);
            let new_meta = meta.wrapping_add(delta as u64);
            // The kernel keeps at least an Ethernet header (14 bytes) in the packet.
            if new_data > end.saturating_sub(14) {
                neg(errno::EINVAL)
            } else {
                let metalen = (data - meta) as usize;
                let meta_bytes = m.mem.read_bytes(meta, metalen)?;
                if m.mem.adjust_packet(new_meta, new_data, end) {
                    m.mem.write_bytes(new_meta, &meta_bytes)?;
                    0
                } else {
                    neg(errno::EINVAL)
                }
            }
        }
        id::XDP_ADJUST_META => {
            let (meta, data, end) = m
                .mem
                .packet_bounds()
                .ok_or_else(|| helper_fault(id, "no packet".into()))?;
            let new_meta = meta.wrapping_add(a[1] as i32 as i64 as u64);
            let metalen = data.wrapping_sub(new_meta);
            if new_meta > data
                || metalen > 32
                || metalen % 4 != 0
                || !m.mem.adjust_packet(new_meta, data, end)
            {
                neg(errno::EINVAL)
            } else {
                0
            }
        }
        id::XDP_ADJUST_TAIL => {
            let (meta, data, end) = m
                .mem
                .packet_bounds()
                .ok_or_else(|| helper_fault(id, "no packet".into()))?;
            let new_end = end.wrapping_add(a[1] as i32 as i64 as u64);
            if new_end < data + 14 || !m.mem.adjust_packet(meta, data, new_end) {
                neg(errno::EINVAL)
            } else {
                if new_end > end {
                    m.mem.write_bytes(end, &vec![0; (new_end - end) as usize])?;
                }
                0
            }
        }
        id::REDIRECT => {
            m.env.redirects.push(Redirect {
                map: None,
                target: a[0],
                flags: a[1],
            });
            m.env.redirect_return
        }
        id::CSUM_DIFF => {
            let (from_size, to_size) = (a[1], a[3]);
            if from_size % 4 != 0 || to_size % 4 != 0 || from_size > 512 || to_size > 512 {
                neg(errno::EINVAL)
            } else {
                let from = m.mem.read_bytes(a[0], from_size as usize)?;
                let to = m.mem.read_bytes(a[2], to_size as usize)?;
                let mut sum = u64::from(a[4] as u32);
                for w in from.chunks_exact(4) {
                    sum += u64::from(!u32::from_le_bytes([w[0], w[1], w[2], w[3]]));
                }
                for w in to.chunks_exact(4) {
                    sum += u64::from(u32::from_le_bytes([w[0], w[1], w[2], w[3]]));
                }
                while sum >> 32 != 0 {
                    sum = (sum & 0xffff_ffff) + (sum >> 32);
                }
                sum
            }
        }
        id::SPIN_LOCK | id::SPIN_UNLOCK => {
            // One CPU, one program at a time: the lock is never contended. Still check the
            // pointer, as the kernel's verifier would have.
            m.mem.check(a[0], 4, Access::Write)?;
            0
        }
        id::TAIL_CALL => {
            let mid = map_arg(id, a[1])?;
            // The helper takes a u32 index; an unprivileged program's verifier-inserted bound
            // compares all 64 bits first.
            let index = u32::try_from(a[2])
                .ok()
                .or((!m.env.unprivileged).then_some(a[2] as u32));
            let target = index.and_then(|i| m.map(mid).and_then(|map| map.prog_at(i)));
            match target {
                Some(p) if m.tail_calls < MAX_TAIL_CALLS => {
                    m.tail_calls += 1;
                    return Ok(HelperRet::TailCall(p));
                }
                _ => neg(errno::ENOENT),
            }
        }
        id::LOOP => {
            let (n, func, ctx, flags) = (a[0], a[1], a[2], a[3]);
            let func = func_of_ptr(func)
                .ok_or_else(|| helper_fault(id, "callback is not a function".into()))?;
            if flags != 0 {
                neg(errno::EINVAL)
            } else if n > 1 << 23 {
                neg(errno::E2BIG)
            } else {
                let mut i = 0;
                while i < n {
                    let r = cb.call(m, func, [i, ctx, 0, 0, 0])?;
                    i += 1;
                    if r != 0 {
                        break;
                    }
                }
                i
            }
        }
        id::FOR_EACH_MAP_ELEM => {
            let mid = map_arg(id, a[0])?;
            let func = func_of_ptr(a[1])
                .ok_or_else(|| helper_fault(id, "callback is not a function".into()))?;
            if a[3] != 0 {
                neg(errno::EINVAL)
            } else {
                let entries = m.map(mid).map(|map| map.entries()).unwrap_or_default();
                let mut n = 0;
                for (key, value) in entries {
                    // The key is passed by pointer to a read-only copy.
                    let kb = m.mem.alloc(key.len(), true);
                    m.mem.fill(kb, 0, &key);
                    let kaddr = m.mem.add_region(
                        kb,
                        0,
                        key.len(),
                        crate::mem::RegionKind::MapValue { map: mid },
                        false,
                    );
                    let r = cb.call(m, func, [a[0], kaddr, value, a[2], 0])?;
                    n += 1;
                    if r != 0 {
                        break;
                    }
                }
                n
            }
        }
        _ => {
            return Err(FaultKind::UnsupportedHelper {
                id,
                name: helper_name(id),
            })
        }
    };
    Ok(Value(r))
}

/// Bytes for `probe_read_*`: configured probe memory first, then program-visible regions.
fn probe_source(m: &mut Machine, addr: u64, size: usize) -> Option<Vec<u8>> {
    if let Some((&base, bytes)) = m.env.probe_memory.range(..=addr).next_back() {
        let off = (addr - base) as usize;
        if off.checked_add(size).is_some_and(|e| e <= bytes.len()) {
            return Some(bytes[off..off + size].to_vec());
        }
    }
    m.mem.read_bytes(addr, size).ok()
}

fn probe_cstr(m: &mut Machine, addr: u64, max: usize) -> Option<Vec<u8>> {
    if let Some((&base, bytes)) = m.env.probe_memory.range(..=addr).next_back() {
        let off = (addr - base) as usize;
        if off < bytes.len() {
            let s = &bytes[off..];
            let n = s.iter().position(|&b| b == 0).unwrap_or(s.len()).min(max);
            return Some(s[..n].to_vec());
        }
    }
    m.mem.read_cstr(addr, max).ok()
}

/// Formats a `trace_printk` line: `%d %i %u %x %X %p %s %c %%` with optional `l`/`ll` length.
fn format_printk(m: &mut Machine, fmt: &[u8], args: &[u64]) -> Result<String, FaultKind> {
    let fmt = fmt.split(|&b| b == 0).next().unwrap_or(&[]);
    let mut out = String::new();
    let mut next = args.iter();
    let mut i = 0;
    while i < fmt.len() {
        let c = fmt[i];
        i += 1;
        if c != b'%' {
            out.push(c as char);
            continue;
        }
        let mut long = 0;
        while i < fmt.len() && fmt[i] == b'l' {
            long += 1;
            i += 1;
        }
        let Some(&conv) = fmt.get(i) else { break };
        i += 1;
        if conv == b'%' {
            out.push('%');
            continue;
        }
        let v = next.next().copied().unwrap_or(0);
        let v = if long == 0 && conv != b'p' && conv != b's' {
            v & 0xffff_ffff
        } else {
            v
        };
        match conv {
            b'd' | b'i' => {
                let s = if long == 0 {
                    i64::from(v as u32 as i32)
                } else {
                    v as i64
                };
                out.push_str(&s.to_string());
            }
            b'u' => out.push_str(&v.to_string()),
            b'x' => out.push_str(&format!("{v:x}")),
            b'X' => out.push_str(&format!("{v:X}")),
            b'p' => out.push_str(&format!("{v:#x}")),
            b'c' => out.push(v as u8 as char),
            b's' => {
                let s = m.mem.read_cstr(v, 256)?;
                out.push_str(&String::from_utf8_lossy(&s));
            }
            other => {
                out.push('%');
                out.push(other as char);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_kernel_ids() {
        assert_eq!(helper_name(1), Some("map_lookup_elem"));
        assert_eq!(helper_name(id::TAIL_CALL), Some("tail_call"));
        assert_eq!(helper_name(id::XDP_ADJUST_TAIL), Some("xdp_adjust_tail"));
        assert_eq!(
            helper_name(id::PROBE_READ_KERNEL_STR),
            Some("probe_read_kernel_str")
        );
        assert_eq!(helper_name(id::RINGBUF_OUTPUT), Some("ringbuf_output"));
        assert_eq!(
            helper_name(id::FOR_EACH_MAP_ELEM),
            Some("for_each_map_elem")
        );
        assert_eq!(helper_name(id::LOOP), Some("loop"));
        assert_eq!(helper_name(211), Some("cgrp_storage_delete"));
        assert_eq!(helper_name(212), None);
        assert_eq!(helper_name(0), None);
    }
}
