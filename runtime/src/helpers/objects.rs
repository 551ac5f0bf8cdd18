//! Helpers over maps whose values name kernel objects (see [`crate::maps::slots`]): lookups
//! in maps of maps and socket maps, `redirect_map` on device and CPU maps, the socket-map
//! updates and redirects of sock_ops/sk_skb/sk_msg programs, `sk_select_reuseport`,
//! `sk_assign`, socket- and cgroup-local storage, cgroup-array membership and bloom-filter
//! peeks.
//!
//! Sockets are opaque ids offline. A socket map stores the id; a program's lookup gets a
//! pointer to a fresh read-only `struct bpf_sock` (a [`RegionKind::KernelObject`] freed at
//! the end of the run) remembered in `System::sockets` so that helpers taking the pointer
//! find the id again. An id's low bit says whether the socket listens (1) or is established
//! (0): the kernel's redirect and `sk_assign` rules depend on the state, and a sock_ops
//! program inserts its own socket as listening in `TCP_LISTEN_CB` and established otherwise.
//! Redirects and selections are recorded in `Env::redirects` (map, key, flags).
//!
//! Return rules are the kernel's (`net/core/filter.c` `__bpf_xdp_redirect_map`,
//! `net/core/sock_map.c`, `sk_select_reuseport`, `bpf_sk_lookup_assign`,
//! `net/core/bpf_sk_storage.c`, `kernel/trace/bpf_trace.c` `current_task_under_cgroup`,
//! `kernel/bpf/xskmap.c`, `kernel/bpf/helpers.c` `get_local_storage`).
//!
//! AF_XDP sockets do not exist offline: an xskmap slot is empty (what a test run sees, as no
//! socket is bound), and a lookup of a filled one faults as unsupported rather than guess.

use super::{helper_fault, map_arg, neg};
use crate::machine::{Machine, Redirect};
use crate::maps::{errno, slots, MapId, MapType};
use crate::mem::RegionKind;
use crate::FaultKind;

/// Helper ids served here.
pub mod id {
    pub const MAP_LOOKUP_ELEM: i32 = 1;
    pub const MAP_UPDATE_ELEM: i32 = 2;
    pub const MAP_PEEK_ELEM: i32 = 89;
    pub const SKB_UNDER_CGROUP: i32 = 33;
    pub const CURRENT_TASK_UNDER_CGROUP: i32 = 37;
    pub const REDIRECT_MAP: i32 = 51;
    pub const SK_REDIRECT_MAP: i32 = 52;
    pub const SOCK_MAP_UPDATE: i32 = 53;
    pub const MSG_REDIRECT_MAP: i32 = 60;
    pub const SOCK_HASH_UPDATE: i32 = 70;
    pub const MSG_REDIRECT_HASH: i32 = 71;
    pub const SK_REDIRECT_HASH: i32 = 72;
    pub const GET_LOCAL_STORAGE: i32 = 81;
    pub const SK_SELECT_REUSEPORT: i32 = 82;
    pub const SK_RELEASE: i32 = 86;
    pub const SK_FULLSOCK: i32 = 95;
    pub const SK_STORAGE_GET: i32 = 107;
    pub const SK_STORAGE_DELETE: i32 = 108;
    pub const SK_ASSIGN: i32 = 124;
}

/// `XDP_REDIRECT`.
const XDP_REDIRECT: u64 = 4;
/// `redirect_map`: the low bits of the flags are the action when the key is absent
/// (`XDP_ABORTED`..`XDP_TX`).
const ACTION_MASK: u64 = 3;
/// `redirect_map` on device maps: send to every device of the map / but the ingress one.
const BPF_F_BROADCAST: u64 = 1 << 3;
const BPF_F_EXCLUDE_INGRESS: u64 = 1 << 4;
/// `sk_redirect_*` / `msg_redirect_*`: to the socket's ingress queue.
const BPF_F_INGRESS: u64 = 1;
const SK_DROP: u64 = 0;
const SK_PASS: u64 = 1;
/// `sk_storage_get`: create the storage when the socket has none.
const BPF_SK_STORAGE_GET_F_CREATE: u64 = 1;
/// `sk_assign` (sk_lookup): replace an earlier selection / skip reuseport groups.
const BPF_SK_LOOKUP_F_REPLACE: u64 = 1;
const BPF_SK_LOOKUP_F_NO_REUSEPORT: u64 = 2;
/// `ESOCKTNOSUPPORT`.
const ESOCKTNOSUPPORT: i64 = 94;
/// sock_ops callbacks in which `sock_map_update`/`sock_hash_update` may insert the socket:
/// `ACTIVE_ESTABLISHED_CB`, `PASSIVE_ESTABLISHED_CB`, `TCP_LISTEN_CB`.
const OPS_ACTIVE_ESTABLISHED: u64 = 4;
const OPS_PASSIVE_ESTABLISHED: u64 = 5;
const OPS_TCP_LISTEN: u64 = 11;
/// `sizeof(struct bpf_sock)`.
const BPF_SOCK_SIZE: usize = 80;

/// The id of a socket: a cookie and whether it listens.
pub fn socket_id(cookie: u64, listening: bool) -> u64 {
    cookie << 1 | u64::from(listening)
}

fn is_listening(sock: u64) -> bool {
    sock & 1 == 1
}

/// Calls helper `hid` if it is one of ours (the generic map helpers only for the map types
/// whose program-side meaning differs from a plain value).
pub(crate) fn call(m: &mut Machine, hid: i32, a: [u64; 5]) -> Option<Result<u64, FaultKind>> {
    let res = match hid {
        id::MAP_LOOKUP_ELEM => lookup(m, a)?,
        id::MAP_UPDATE_ELEM => update_socket(m, a)?,
        id::MAP_PEEK_ELEM => bloom_peek(m, a)?,
        id::REDIRECT_MAP => redirect_map(m, a),
        id::SK_REDIRECT_MAP | id::MSG_REDIRECT_MAP => sk_redirect(m, hid, a, false),
        id::SK_REDIRECT_HASH | id::MSG_REDIRECT_HASH => sk_redirect(m, hid, a, true),
        id::SOCK_MAP_UPDATE | id::SOCK_HASH_UPDATE => sock_ops_update(m, hid, a),
        id::SK_SELECT_REUSEPORT => select_reuseport(m, a),
        id::SK_RELEASE => Ok(0),
        // Every socket offline is a full socket.
        id::SK_FULLSOCK => Ok(a[0]),
        id::SK_ASSIGN => sk_assign(m, a),
        id::SK_STORAGE_GET => sk_storage_get(m, a),
        id::GET_LOCAL_STORAGE => local_storage(m, a),
        id::SK_STORAGE_DELETE => sk_storage_delete(m, a),
        id::CURRENT_TASK_UNDER_CGROUP => under_cgroup(m, hid, a[0], a[1]),
        id::SKB_UNDER_CGROUP => skb_under_cgroup(m, a),
        _ => return None,
    };
    Some(res)
}

fn map_type(m: &Machine, hid: i32, v: u64) -> Result<(MapId, MapType), FaultKind> {
    let mid = map_arg(hid, v)?;
    let t = m
        .map(mid)
        .ok_or_else(|| helper_fault(hid, "no such map".into()))?
        .def
        .map_type;
    Ok((mid, t))
}

fn read_key(m: &mut Machine, mid: MapId, addr: u64) -> Result<Vec<u8>, FaultKind> {
    let n = m.map(mid).map_or(0, |x| x.def.key_size as usize);
    m.mem.read_bytes(addr, n)
}

/// The value stored under `key` of a slot map, as a little-endian number.
fn slot_value(m: &mut Machine, mid: MapId, key: &[u8]) -> Option<u64> {
    let map = m.map(mid)?;
    let n = map.def.value_size as usize;
    let addr = map.slot(key)?;
    let b = m.mem.peek_bytes(addr, n.min(8))?;
    let mut w = [0u8; 8];
    w[..b.len()].copy_from_slice(&b);
    Some(u64::from_le_bytes(w))
}

/// A socket's id from a pointer the program holds: one handed out by a lookup, else the
/// pointer itself (a context's socket).
fn sock_of_ptr(m: &Machine, p: u64) -> u64 {
    m.env.system.sockets.get(&p).copied().unwrap_or(p)
}

/// Whether lookups in maps of type `t` are served here (their values name kernel objects).
pub(crate) fn serves_lookup(t: MapType) -> bool {
    matches!(
        t,
        MapType::ArrayOfMaps
            | MapType::HashOfMaps
            | MapType::SockMap
            | MapType::SockHash
            | MapType::XskMap
    )
}

/// `map_lookup_elem` on a map of maps (the inner map's pointer) or a socket map (a socket);
/// `None` for other maps, which the generic lookup serves.
fn lookup(m: &mut Machine, a: [u64; 5]) -> Option<Result<u64, FaultKind>> {
    let (mid, t) = match map_type(m, id::MAP_LOOKUP_ELEM, a[0]) {
        Ok(x) => x,
        Err(e) => return Some(Err(e)),
    };
    let of_maps = matches!(t, MapType::ArrayOfMaps | MapType::HashOfMaps);
    if !serves_lookup(t) {
        return None;
    }
    Some((|| {
        let key = read_key(m, mid, a[1])?;
        let Some(v) = slot_value(m, mid, &key) else {
            return Ok(0);
        };
        if of_maps {
            return Ok(super::MAP_PTR_TAG | (v & 0xffff_ffff));
        }
        if t == MapType::XskMap {
            return Err(helper_fault(
                id::MAP_LOOKUP_ELEM,
                "an xskmap slot holding an AF_XDP socket (sockets are not modelled offline)".into(),
            ));
        }
        Ok(socket_object(m, v))
    })())
}

/// A fresh read-only `struct bpf_sock` for socket `sock`: IPv4 TCP, listening or established.
fn socket_object(m: &mut Machine, sock: u64) -> u64 {
    let mut b = [0u8; BPF_SOCK_SIZE];
    b[4..8].copy_from_slice(&2u32.to_le_bytes()); // family: AF_INET
    b[8..12].copy_from_slice(&1u32.to_le_bytes()); // type: SOCK_STREAM
    b[12..16].copy_from_slice(&6u32.to_le_bytes()); // protocol: TCP
    let state: u32 = if is_listening(sock) { 10 } else { 1 }; // TCP_LISTEN / TCP_ESTABLISHED
    b[72..76].copy_from_slice(&state.to_le_bytes());
    let block = m.mem.alloc(BPF_SOCK_SIZE, true);
    m.mem.fill(block, 0, &b);
    let addr = m
        .mem
        .add_region(block, 0, BPF_SOCK_SIZE, RegionKind::KernelObject, false);
    // Forget sockets whose objects were freed at the end of earlier runs, so that the table
    // stays small over long runs.
    if m.env.system.sockets.len() >= 1024 {
        let mem = &m.mem;
        m.env.system.sockets.retain(|&a, _| {
            mem.region_at(a)
                .is_some_and(|r| r.kind == RegionKind::KernelObject)
        });
    }
    m.env.system.sockets.insert(addr, sock);
    addr
}

/// `map_update_elem` from a program on a socket map: the value argument is a socket, not
/// bytes; the map stores its id.
fn update_socket(m: &mut Machine, a: [u64; 5]) -> Option<Result<u64, FaultKind>> {
    let (mid, t) = match map_type(m, id::MAP_UPDATE_ELEM, a[0]) {
        Ok(x) => x,
        Err(e) => return Some(Err(e)),
    };
    if !slots::holds_sockets(t) {
        return None;
    }
    Some((|| {
        let key = read_key(m, mid, a[1])?;
        let sock = sock_of_ptr(m, a[2]);
        Ok(store_socket(m, mid, &key, sock, a[3]) as u64)
    })())
}

fn store_socket(m: &mut Machine, mid: MapId, key: &[u8], sock: u64, flags: u64) -> i64 {
    let Some((map, mem)) = m.map_and_mem(mid) else {
        return -errno::EINVAL;
    };
    let n = map.def.value_size as usize;
    let value = &sock.to_le_bytes()[..n.min(8)];
    map.update(mid, mem, key, value, flags)
}

/// `map_peek_elem` on a bloom filter: the value argument is what to test, not a buffer.
fn bloom_peek(m: &mut Machine, a: [u64; 5]) -> Option<Result<u64, FaultKind>> {
    let (mid, t) = match map_type(m, id::MAP_PEEK_ELEM, a[0]) {
        Ok(x) => x,
        Err(e) => return Some(Err(e)),
    };
    if t != MapType::BloomFilter {
        return None;
    }
    Some((|| {
        let n = m.map(mid).map_or(0, |x| x.def.value_size as usize);
        let value = m.mem.read_bytes(a[1], n)?;
        let r = m.map(mid).and_then(|x| x.bloom_peek(&value)).unwrap_or(0);
        Ok(r as u64)
    })())
}

/// `redirect_map(map, key, flags)` (XDP): `XDP_REDIRECT` when the device or CPU slot `key`
/// is set (or the flags broadcast), else the action in the flags' low bits; unknown flags
/// give `XDP_ABORTED` (0).
fn redirect_map(m: &mut Machine, a: [u64; 5]) -> Result<u64, FaultKind> {
    let (mid, t) = map_type(m, id::REDIRECT_MAP, a[0])?;
    let flag_mask = match t {
        MapType::DevMap | MapType::DevMapHash => BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS,
        MapType::CpuMap | MapType::XskMap => 0,
        _ => {
            return Err(helper_fault(
                id::REDIRECT_MAP,
                "the map is not a devmap, devmap_hash, cpumap or xskmap".into(),
            ))
        }
    };
    let flags = a[2];
    if flags & !(ACTION_MASK | flag_mask) != 0 {
        return Ok(0);
    }
    let key = (a[1] as u32).to_le_bytes();
    let present = m.map(mid).and_then(|x| x.slot(&key)).is_some();
    if !present && flags & BPF_F_BROADCAST == 0 {
        return Ok(flags & ACTION_MASK);
    }
    m.env.redirects.push(Redirect {
        map: Some(mid),
        target: u64::from(a[1] as u32),
        flags,
    });
    Ok(XDP_REDIRECT)
}

/// `sk_redirect_map/hash`, `msg_redirect_map/hash`: `SK_PASS` with the redirect recorded
/// when the slot holds a socket that may be redirected to (TCP: not listening), else
/// `SK_DROP`; flags other than `BPF_F_INGRESS` drop.
fn sk_redirect(m: &mut Machine, hid: i32, a: [u64; 5], hashed: bool) -> Result<u64, FaultKind> {
    let (mid, t) = map_type(m, hid, a[1])?;
    let want = if hashed {
        MapType::SockHash
    } else {
        MapType::SockMap
    };
    if t != want {
        return Err(helper_fault(hid, format!("the map is not a {want:?}")));
    }
    let flags = a[3];
    if flags & !BPF_F_INGRESS != 0 {
        return Ok(SK_DROP);
    }
    let (key, target) = if hashed {
        let k = read_key(m, mid, a[2])?;
        let t = key_number(&k);
        (k, t)
    } else {
        let k = a[2] as u32;
        (k.to_le_bytes().to_vec(), u64::from(k))
    };
    match slot_value(m, mid, &key) {
        Some(sock) if !is_listening(sock) => {
            m.env.redirects.push(Redirect {
                map: Some(mid),
                target,
                flags,
            });
            Ok(SK_PASS)
        }
        _ => Ok(SK_DROP),
    }
}

/// The first (up to) 8 bytes of a key as a number, to record which key a redirect used.
fn key_number(k: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    let n = k.len().min(8);
    w[..n].copy_from_slice(&k[..n]);
    u64::from_le_bytes(w)
}

/// `sock_map_update(skops, map, key, flags)` / `sock_hash_update`: inserts the sock_ops
/// program's own socket, only in the established and listen callbacks (`EOPNOTSUPP`
/// otherwise), with the map's update rules.
fn sock_ops_update(m: &mut Machine, hid: i32, a: [u64; 5]) -> Result<u64, FaultKind> {
    let (mid, t) = map_type(m, hid, a[1])?;
    let want = if hid == id::SOCK_MAP_UPDATE {
        MapType::SockMap
    } else {
        MapType::SockHash
    };
    if t != want {
        return Err(helper_fault(hid, format!("the map is not a {want:?}")));
    }
    // `struct bpf_sock_ops.op` is the context's first word.
    let op = m.mem.load(a[0], 4)?;
    if !matches!(
        op,
        OPS_ACTIVE_ESTABLISHED | OPS_PASSIVE_ESTABLISHED | OPS_TCP_LISTEN
    ) {
        return Ok(neg(errno::EOPNOTSUPP));
    }
    let key = read_key(m, mid, a[2])?;
    let sock = socket_id(m.env.system.socket_cookie, op == OPS_TCP_LISTEN);
    Ok(store_socket(m, mid, &key, sock, a[3]) as u64)
}

/// `sk_select_reuseport(reuse, map, key, flags)`: 0 with the selection recorded when the
/// slot holds a socket of the reuseport group (every socket of a reuseport array is);
/// `ENOENT` when it is empty; `EINVAL` for a socket of a sockmap/sockhash, which belongs to
/// no reuseport group offline.
fn select_reuseport(m: &mut Machine, a: [u64; 5]) -> Result<u64, FaultKind> {
    let hid = id::SK_SELECT_REUSEPORT;
    let (mid, t) = map_type(m, hid, a[1])?;
    if !slots::holds_sockets(t) {
        return Err(helper_fault(hid, "the map holds no sockets".into()));
    }
    let key = read_key(m, mid, a[2])?;
    if slot_value(m, mid, &key).is_none() {
        return Ok(neg(errno::ENOENT));
    }
    if t != MapType::ReuseportSockarray {
        return Ok(neg(errno::EINVAL));
    }
    m.env.redirects.push(Redirect {
        map: Some(mid),
        target: key_number(&key),
        flags: a[3],
    });
    Ok(0)
}

/// `sk_assign`. In an sk_lookup program (`bpf_sk_lookup_assign`): unknown flags are
/// `EINVAL`, an established TCP socket `ESOCKTNOSUPPORT`, else 0 with the selection
/// recorded (offline no earlier selection is remembered, so `EEXIST` never happens). In a TC
/// program (`bpf_sk_assign`, told apart by its `__sk_buff` context): a NULL socket or flags
/// are `EINVAL`, else 0.
fn sk_assign(m: &mut Machine, a: [u64; 5]) -> Result<u64, FaultKind> {
    let (sk, flags) = (a[1], a[2]);
    if super::net::is_skb_ctx(m) {
        if sk == 0 || flags != 0 {
            return Ok(neg(errno::EINVAL));
        }
        return Ok(0);
    }
    if flags & !(BPF_SK_LOOKUP_F_REPLACE | BPF_SK_LOOKUP_F_NO_REUSEPORT) != 0 {
        return Ok(neg(errno::EINVAL));
    }
    if sk != 0 && !is_listening(sock_of_ptr(m, sk)) {
        return Ok(neg(ESOCKTNOSUPPORT));
    }
    m.env.redirects.push(Redirect {
        map: None,
        target: if sk == 0 { 0 } else { sock_of_ptr(m, sk) },
        flags,
    });
    Ok(0)
}

/// The stored key of socket `sk` in socket storage (8 bytes).
fn storage_key(m: &Machine, sk: u64) -> [u8; 8] {
    sock_of_ptr(m, sk).to_le_bytes()
}

/// `sk_storage_get(map, sk, value, flags)`: the socket's storage; created (from `value`, or
/// zeroed when `value` is NULL) with `F_CREATE`; NULL for a NULL socket, unknown flags, or
/// no storage without `F_CREATE`.
fn sk_storage_get(m: &mut Machine, a: [u64; 5]) -> Result<u64, FaultKind> {
    let hid = id::SK_STORAGE_GET;
    let (mid, t) = map_type(m, hid, a[0])?;
    if t != MapType::SkStorage {
        return Err(helper_fault(hid, "the map is not an sk_storage map".into()));
    }
    let (sk, init, flags) = (a[1], a[2], a[3]);
    if sk == 0 || flags > BPF_SK_STORAGE_GET_F_CREATE {
        return Ok(0);
    }
    let key = storage_key(m, sk);
    if let Some(addr) = m.map(mid).and_then(|x| x.slot(&key)) {
        return Ok(addr);
    }
    if flags & BPF_SK_STORAGE_GET_F_CREATE == 0 {
        return Ok(0);
    }
    let n = m.map(mid).map_or(0, |x| x.def.value_size as usize);
    let value = if init == 0 {
        vec![0; n]
    } else {
        m.mem.read_bytes(init, n)?
    };
    let (map, mem) = m
        .map_and_mem(mid)
        .ok_or_else(|| helper_fault(hid, "no such map".into()))?;
    Ok(map.slot_insert(mid, mem, &key, &value).unwrap_or(0))
}

/// `get_local_storage(map, flags)`: the storage of the cgroup the program runs for, zeroed
/// when first used. One cgroup offline (as in a test run, which allocates fresh storage for
/// the run): one value per map, shared or per-CPU alike on one CPU.
fn local_storage(m: &mut Machine, a: [u64; 5]) -> Result<u64, FaultKind> {
    let hid = id::GET_LOCAL_STORAGE;
    let (mid, t) = map_type(m, hid, a[0])?;
    if !matches!(t, MapType::CgroupStorage | MapType::PercpuCgroupStorage) {
        return Err(helper_fault(
            hid,
            "the map is not a cgroup storage map".into(),
        ));
    }
    let (k, n) = m.map(mid).map_or((0, 0), |x| {
        (x.def.key_size as usize, x.def.value_size as usize)
    });
    let key = vec![0u8; k];
    if let Some(addr) = m.map(mid).and_then(|x| x.slot(&key)) {
        return Ok(addr);
    }
    let (map, mem) = m
        .map_and_mem(mid)
        .ok_or_else(|| helper_fault(hid, "no such map".into()))?;
    map.slot_insert(mid, mem, &key, &vec![0; n])
        .ok_or_else(|| helper_fault(hid, "the storage could not be made".into()))
}

/// `sk_storage_delete(map, sk)`: 0, `ENOENT` when the socket has no storage, `EINVAL` for
/// a NULL socket.
fn sk_storage_delete(m: &mut Machine, a: [u64; 5]) -> Result<u64, FaultKind> {
    let hid = id::SK_STORAGE_DELETE;
    let (mid, t) = map_type(m, hid, a[0])?;
    if t != MapType::SkStorage {
        return Err(helper_fault(hid, "the map is not an sk_storage map".into()));
    }
    if a[1] == 0 {
        return Ok(neg(errno::EINVAL));
    }
    let key = storage_key(m, a[1]);
    let (map, mem) = m
        .map_and_mem(mid)
        .ok_or_else(|| helper_fault(hid, "no such map".into()))?;
    Ok(map.delete(mem, &key) as u64)
}

/// Whether the current task is under the cgroup in slot `idx` of cgroup array `map`: 1 or
/// 0, `E2BIG` past the array, `EAGAIN` for an empty slot.
fn under_cgroup(m: &mut Machine, hid: i32, map: u64, idx: u64) -> Result<u64, FaultKind> {
    let (mid, t) = map_type(m, hid, map)?;
    if t != MapType::CgroupArray {
        return Err(helper_fault(hid, "the map is not a cgroup array".into()));
    }
    let idx = idx as u32;
    if idx >= m.map(mid).map_or(0, |x| x.def.max_entries) {
        return Ok(neg(errno::E2BIG));
    }
    match slot_value(m, mid, &idx.to_le_bytes()) {
        None => Ok(neg(errno::EAGAIN)),
        Some(cg) => Ok(u64::from(m.env.system.cgroup_path.contains(&cg))),
    }
}

/// `skb_under_cgroup(skb, map, idx)`: as [`under_cgroup`] for the packet's socket, which
/// belongs to the current task's cgroup; `ENOENT` when the packet has no socket
/// (`__sk_buff.sk` NULL).
fn skb_under_cgroup(m: &mut Machine, a: [u64; 5]) -> Result<u64, FaultKind> {
    if super::net::skb_socket(m, a[0])? == 0 {
        return Ok(neg(errno::ENOENT));
    }
    under_cgroup(m, id::SKB_UNDER_CGROUP, a[1], a[2])
}
