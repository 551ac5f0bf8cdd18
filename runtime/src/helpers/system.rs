//! Helpers that report on the running system (the current task, its cgroups, the traced
//! function, call stacks, signals, sysctls, perf counters), and the configurable
//! [`System`] they read instead of a live kernel.
//!
//! Every value has a fixed default, so runs are deterministic; an embedder sets the fields to
//! replay a particular situation.

use super::{helper_fault, neg};
use crate::machine::Machine;
use crate::maps::errno;
use crate::maps::stack_trace::{BPF_F_SKIP_FIELD_MASK, BPF_F_USER_BUILD_ID, BPF_F_USER_STACK};
use crate::FaultKind;
use std::collections::BTreeMap;

/// What the system helpers see (part of the machine's [`crate::machine::Env`]).
#[derive(Clone, Debug)]
pub struct System {
    /// The current task's cgroup and its ancestors, by id, root first
    /// (`get_current_cgroup_id` is the last, `get_current_ancestor_cgroup_id(level)` the
    /// `level`-th; `*_under_cgroup` asks whether a cgroup is on this path).
    pub cgroup_path: Vec<u64>,
    /// The (fake) kernel address of the current `task_struct` (`get_current_task`,
    /// `get_current_task_btf`).
    pub task: u64,
    /// The traced function's address (`get_func_ip`).
    pub func_ip: u64,
    /// The cookie of the socket the program runs on (`get_socket_cookie`); sockets that
    /// sock_ops programs insert into socket maps are named after it.
    pub socket_cookie: u64,
    /// The call chains `get_stackid` and `get_stack` walk, innermost frame first.
    pub kernel_stack: Vec<u64>,
    pub user_stack: Vec<u64>,
    /// The sysctl a `cgroup/sysctl` program sees: full name (`dir/name`), current value, and
    /// the value being written (set by `sysctl_set_new_value`).
    pub sysctl_name: String,
    pub sysctl_value: String,
    pub sysctl_new_value: String,
    /// Signals sent by `send_signal` / `send_signal_thread`, in order.
    pub signals: Vec<u32>,
    /// `perf_prog_read_value`: counter, time enabled, time running.
    pub perf_value: [u64; 3],
    /// Interface indices that exist (`fib_lookup` fails with `ENODEV` for others).
    pub ifindexes: Vec<u32>,
    /// Whether IP forwarding is on (`fib_lookup`; off by default, as on a fresh Linux).
    pub ip_forward: bool,
    /// Sockets handed to the program by address (socket-map lookups), with their ids.
    pub sockets: BTreeMap<u64, u64>,
    /// What iterator programs wrote with `seq_printf` / `seq_write`.
    pub seq_output: Vec<u8>,
    /// Timer ticks per second (`jiffies64` is the clock in ticks).
    pub hz: u64,
    /// The tunnel key the last `skb_set_tunnel_key` attached (`struct bpf_tunnel_key`).
    pub tunnel_key: Option<Vec<u8>>,
}

impl Default for System {
    fn default() -> System {
        System {
            cgroup_path: vec![1, 4242],
            task: 0xffff_8880_0420_0000,
            func_ip: 0xffff_ffff_8100_1000,
            socket_cookie: 0x1000,
            kernel_stack: vec![
                0xffff_ffff_8100_1000,
                0xffff_ffff_8100_2000,
                0xffff_ffff_8100_3000,
            ],
            user_stack: vec![0x5555_5555_1000, 0x5555_5555_2000],
            sysctl_name: "net/ipv4/tcp_mem".to_string(),
            sysctl_value: "4096\t16384\t65536".to_string(),
            sysctl_new_value: String::new(),
            signals: Vec::new(),
            perf_value: [1000, 2000, 2000],
            ifindexes: vec![1, 2, 3, 4],
            ip_forward: false,
            sockets: BTreeMap::new(),
            seq_output: Vec::new(),
            hz: 1000,
            tunnel_key: None,
        }
    }
}

/// Helper ids served here.
pub mod id {
    pub const GET_STACKID: i32 = 27;
    pub const GET_CURRENT_TASK: i32 = 35;
    pub const PROBE_WRITE_USER: i32 = 36;
    pub const PERF_PROG_READ_VALUE: i32 = 56;
    pub const GET_STACK: i32 = 67;
    pub const GET_CURRENT_CGROUP_ID: i32 = 80;
    pub const SYSCTL_GET_NAME: i32 = 101;
    pub const SYSCTL_GET_CURRENT_VALUE: i32 = 102;
    pub const SYSCTL_GET_NEW_VALUE: i32 = 103;
    pub const SYSCTL_SET_NEW_VALUE: i32 = 104;
    pub const SEND_SIGNAL: i32 = 109;
    pub const SEND_SIGNAL_THREAD: i32 = 117;
    pub const GET_CURRENT_ANCESTOR_CGROUP_ID: i32 = 123;
    pub const GET_CURRENT_TASK_BTF: i32 = 158;
    pub const JIFFIES64: i32 = 118;
    pub const GET_FUNC_IP: i32 = 173;
}

/// `_NSIG`: the highest valid signal number.
const NSIG: u64 = 64;
/// `sysctl_get_name`: only the base name.
const BPF_F_SYSCTL_BASE_NAME: u64 = 1;

/// Calls helper `hid` if it is one of ours.
pub(crate) fn call(m: &mut Machine, hid: i32, a: [u64; 5]) -> Option<Result<u64, FaultKind>> {
    Some(match hid {
        id::GET_CURRENT_TASK | id::GET_CURRENT_TASK_BTF => Ok(m.env.system.task),
        id::GET_FUNC_IP => Ok(m.env.system.func_ip),
        // The machine's clock (`ktime_get_ns`) in ticks; reading it does not advance it.
        id::JIFFIES64 => {
            Ok(m.env.clock_ns / (1_000_000_000 / m.env.system.hz.clamp(1, 1_000_000_000)))
        }
        id::GET_CURRENT_CGROUP_ID => Ok(m.env.system.cgroup_path.last().copied().unwrap_or(0)),
        id::GET_CURRENT_ANCESTOR_CGROUP_ID => {
            let level = usize::try_from(a[0] as u32).unwrap_or(usize::MAX);
            Ok(m.env.system.cgroup_path.get(level).copied().unwrap_or(0))
        }
        id::SEND_SIGNAL | id::SEND_SIGNAL_THREAD => {
            let sig = a[0] & 0xffff_ffff;
            if sig > NSIG {
                Ok(neg(errno::EINVAL))
            } else {
                m.env.system.signals.push(sig as u32);
                Ok(0)
            }
        }
        id::GET_STACKID => get_stackid(m, hid, a),
        id::PROBE_WRITE_USER => probe_write_user(m, a),
        id::GET_STACK => get_stack(m, a),
        id::PERF_PROG_READ_VALUE => {
            let size = a[2] as usize;
            if size == 24 {
                let mut buf = Vec::with_capacity(24);
                for v in m.env.system.perf_value {
                    buf.extend(v.to_le_bytes());
                }
                m.mem.write_bytes(a[1], &buf).map(|()| 0)
            } else {
                m.mem
                    .write_bytes(a[1], &vec![0; size])
                    .map(|()| neg(errno::EINVAL))
            }
        }
        id::SYSCTL_GET_NAME => {
            if a[3] & !BPF_F_SYSCTL_BASE_NAME != 0 {
                return Some(Ok(neg(errno::EINVAL)));
            }
            let full = m.env.system.sysctl_name.clone();
            let name = if a[3] & BPF_F_SYSCTL_BASE_NAME != 0 {
                full.rsplit('/').next().unwrap_or("").to_string()
            } else {
                full
            };
            strscpy(m, a[1], a[2], name.as_bytes())
        }
        id::SYSCTL_GET_CURRENT_VALUE => {
            let v = m.env.system.sysctl_value.clone();
            strscpy(m, a[1], a[2], v.as_bytes())
        }
        id::SYSCTL_GET_NEW_VALUE => {
            // `struct bpf_sysctl.write` is the context's first word.
            match m.mem.load(a[0], 4) {
                Err(e) => Err(e),
                Ok(0) => {
                    let n = a[2] as usize;
                    m.mem
                        .write_bytes(a[1], &vec![0; n])
                        .map(|()| neg(errno::EINVAL))
                }
                Ok(_) => {
                    let v = m.env.system.sysctl_new_value.clone();
                    strscpy(m, a[1], a[2], v.as_bytes())
                }
            }
        }
        id::SYSCTL_SET_NEW_VALUE => match m.mem.load(a[0], 4) {
            Err(e) => Err(e),
            Ok(write) => {
                let len = a[2];
                if write == 0 || len == 0 || len > 4095 {
                    Ok(neg(errno::EINVAL))
                } else {
                    m.mem.read_bytes(a[1], len as usize).map(|b| {
                        m.env.system.sysctl_new_value = String::from_utf8_lossy(&b).into_owned();
                        0
                    })
                }
            }
        },
        _ => return None,
    })
}

/// The kernel's `strscpy` into program memory: at most `len - 1` bytes and a NUL; the length
/// copied, or `-E2BIG` when `src` was truncated; `-EINVAL` for an empty buffer.
fn strscpy(m: &mut Machine, dst: u64, len: u64, src: &[u8]) -> Result<u64, FaultKind> {
    if len == 0 {
        return Ok(neg(errno::EINVAL));
    }
    let n = src.len().min(len as usize - 1);
    let mut out = src[..n].to_vec();
    out.push(0);
    m.mem.write_bytes(dst, &out)?;
    Ok(if n < src.len() {
        neg(errno::E2BIG)
    } else {
        n as u64
    })
}

fn stack_of(m: &Machine, flags: u64) -> Vec<u64> {
    if flags & BPF_F_USER_STACK != 0 {
        m.env.system.user_stack.clone()
    } else {
        m.env.system.kernel_stack.clone()
    }
}

/// `get_stackid(ctx, map, flags)`.
fn get_stackid(m: &mut Machine, hid: i32, a: [u64; 5]) -> Result<u64, FaultKind> {
    let mid = super::map_arg(hid, a[1])?;
    let ips = stack_of(m, a[2]);
    let (map, mem) = m
        .map_and_mem(mid)
        .ok_or_else(|| helper_fault(hid, "no such map".into()))?;
    if map.def.map_type != crate::maps::MapType::StackTrace {
        return Err(helper_fault(hid, "the map is not a stack trace map".into()));
    }
    Ok(map.stack_id(mid, mem, &ips, a[2]) as u64)
}

/// `get_stack(ctx, buf, size, flags)`: the stack's addresses (or, with
/// `BPF_F_USER_BUILD_ID`, 32-byte records that fall back to the address, status
/// `BPF_STACK_BUILD_ID_IP`, as the kernel does when it cannot read a build id) into `buf`;
/// the rest of `buf` zeroed.
fn get_stack(m: &mut Machine, a: [u64; 5]) -> Result<u64, FaultKind> {
    let (buf, size, flags) = (a[1], a[2], a[3]);
    let size_us = size as usize;
    m.mem.check(buf, size, crate::mem::Access::Write)?;
    let clear = |m: &mut Machine, e: i64| -> Result<u64, FaultKind> {
        m.mem.write_bytes(buf, &vec![0; size_us])?;
        Ok(neg(e))
    };
    if flags & !(BPF_F_SKIP_FIELD_MASK | BPF_F_USER_STACK | BPF_F_USER_BUILD_ID) != 0 {
        return clear(m, errno::EINVAL);
    }
    let user = flags & BPF_F_USER_STACK != 0;
    let build_id = flags & BPF_F_USER_BUILD_ID != 0;
    if build_id && !user {
        return clear(m, errno::EINVAL);
    }
    let elem = if build_id { 32 } else { 8 };
    if size_us % elem != 0 {
        return clear(m, errno::EINVAL);
    }
    let ips = stack_of(m, flags);
    let skip = (flags & BPF_F_SKIP_FIELD_MASK) as usize;
    if ips.len() < skip {
        return clear(m, errno::EFAULT);
    }
    let n = (ips.len() - skip).min(size_us / elem);
    let mut out = vec![0u8; size_us];
    for (i, ip) in ips[skip..skip + n].iter().enumerate() {
        if build_id {
            // `struct bpf_stack_build_id`: status (2 = IP only), 20-byte id, then the ip.
            out[i * 32..i * 32 + 4].copy_from_slice(&2i32.to_le_bytes());
            out[i * 32 + 24..i * 32 + 32].copy_from_slice(&ip.to_le_bytes());
        } else {
            out[i * 8..i * 8 + 8].copy_from_slice(&ip.to_le_bytes());
        }
    }
    m.mem.write_bytes(buf, &out)?;
    Ok((n * elem) as u64)
}

/// `probe_write_user(dst, src, size)`: writes into the configured user memory
/// (`Env::probe_memory`) when `dst..dst + size` lies inside one of its ranges; `EFAULT`
/// otherwise (an unmapped user address).
fn probe_write_user(m: &mut Machine, a: [u64; 5]) -> Result<u64, FaultKind> {
    let (dst, size) = (a[0], a[2] as u32 as usize);
    let bytes = m.mem.read_bytes(a[1], size)?;
    let Some((&base, mem)) = m.env.probe_memory.range_mut(..=dst).next_back() else {
        return Ok(neg(errno::EFAULT));
    };
    let off = (dst - base) as usize;
    match off.checked_add(size) {
        Some(e) if e <= mem.len() => {
            mem[off..e].copy_from_slice(&bytes);
            Ok(0)
        }
        _ => Ok(neg(errno::EFAULT)),
    }
}
