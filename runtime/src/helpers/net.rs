//! Networking helpers that need no map: `fib_lookup`, `get_hash_recalc`, `skb_pull_data`,
//! the socket lookups `sk_lookup_tcp/udp` and `skc_lookup_tcp` (no sockets offline),
//! `get_socket_cookie`, and the sk_msg helpers `msg_pull_data`, `msg_apply_bytes`,
//! `msg_cork_bytes`. Packet rewrites are in [`super::skb`], sock_ops helpers in
//! [`super::sock_ops`].
//!
//! Offline there is no routing table, no flow dissector seed and no TCP header being parsed
//! or written, so each helper checks its arguments exactly as the kernel does
//! (`net/core/filter.c`) and then answers from a fixed model, stated at the helper:
//! interfaces `System::ifindexes` exist, forwarding is `System::ip_forward`, no routes; a packet's hash
//! is the context's `hash`, or our hash of the packet; sock_ops programs run without the
//! packet in hand (`skb_data` is NULL).

use super::neg;
use crate::machine::Machine;
use crate::maps::errno;
use crate::FaultKind;

/// Helper ids served here.
pub mod id {
    pub const GET_HASH_RECALC: i32 = 34;
    pub const SKB_PULL_DATA: i32 = 39;
    pub const SK_LOOKUP_TCP: i32 = 84;
    pub const SK_LOOKUP_UDP: i32 = 85;
    pub const SKC_LOOKUP_TCP: i32 = 99;
    pub const GET_SOCKET_COOKIE: i32 = 46;
    pub const MSG_APPLY_BYTES: i32 = 61;
    pub const MSG_CORK_BYTES: i32 = 62;
    pub const MSG_PULL_DATA: i32 = 63;
    pub const FIB_LOOKUP: i32 = 69;
}

/// `ENOMEM`.
const ENOMEM: i64 = 12;
/// `__sk_buff.hash` and `__sk_buff.sk`.
const SKB_HASH_OFF: u64 = 68;
const SKB_SK_OFF: u64 = 168;
/// `fib_lookup` flags the kernel accepts (`BPF_FIB_LOOKUP_DIRECT` .. `_MARK`).
const FIB_FLAGS: u64 = 0x3f;
/// `fib_lookup` results: the route is not forwarded / forwarding is disabled.
const BPF_FIB_LKUP_RET_NOT_FWDED: u64 = 4;
const BPF_FIB_LKUP_RET_FWD_DISABLED: u64 = 5;
/// `sizeof(struct bpf_fib_lookup)`.
const FIB_PARAMS_SIZE: u64 = 64;
const AF_INET: u8 = 2;
const AF_INET6: u8 = 10;

/// Whether the run's context is a `struct __sk_buff` (helpers whose kernel version differs
/// by program type, like `sk_assign` and `get_socket_cookie`, need to know).
pub(crate) fn is_skb_ctx(m: &Machine) -> bool {
    // `begin_run` sets the redirect return value to TC_ACT_REDIRECT for `__sk_buff` contexts.
    m.env.redirect_return == 7
}

/// `__sk_buff.sk` of the context at `ctx`.
pub(crate) fn skb_socket(m: &mut Machine, ctx: u64) -> Result<u64, FaultKind> {
    m.mem.load(ctx + SKB_SK_OFF, 8)
}

/// Calls helper `hid` if it is one of ours.
pub(crate) fn call(m: &mut Machine, hid: i32, a: [u64; 5]) -> Option<Result<u64, FaultKind>> {
    Some(match hid {
        id::GET_HASH_RECALC => hash_recalc(m, a[0]),
        // The packet is linear offline: pulling is a bounds check (`ENOMEM` past the end,
        // as `skb_ensure_writable` fails).
        id::SKB_PULL_DATA => Ok(match m.mem.packet_bounds() {
            Some((_, data, end)) if a[1] as u32 as u64 <= end - data => 0,
            _ => neg(ENOMEM),
        }),
        // The offline network namespace has no sockets: every lookup finds none (NULL).
        id::SK_LOOKUP_TCP | id::SK_LOOKUP_UDP | id::SKC_LOOKUP_TCP => Ok(0),
        id::GET_SOCKET_COOKIE => socket_cookie(m, a[0]),
        id::FIB_LOOKUP => fib_lookup(m, a),
        id::MSG_PULL_DATA => msg_pull_data(m, a),
        // They set how many bytes the verdict applies to / to wait for before the next run,
        // which only the socket layer acts on: always 0.
        id::MSG_APPLY_BYTES | id::MSG_CORK_BYTES => Ok(0),
        _ => return None,
    })
}

/// `get_hash_recalc(skb)`: the context's `hash` when set, else a flow hash of the packet
/// (ours: FNV-1a over its bytes, never 0, as the kernel's is never 0).
fn hash_recalc(m: &mut Machine, ctx: u64) -> Result<u64, FaultKind> {
    let h = m.mem.load(ctx + SKB_HASH_OFF, 4)?;
    if h != 0 {
        return Ok(h);
    }
    let bytes = match m.mem.packet_bounds() {
        Some((_, data, end)) => m.mem.read_bytes(data, (end - data) as usize)?,
        None => Vec::new(),
    };
    let mut h: u32 = 0x811c_9dc5;
    for b in bytes {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    Ok(u64::from(h.max(1)))
}

/// `get_socket_cookie(ctx)`: for a `__sk_buff`, the cookie of the packet's socket or 0 when
/// it has none; for the other contexts (sock_ops, sock_addr, sk_msg, a socket), the cookie
/// of the socket the program runs on.
fn socket_cookie(m: &mut Machine, ctx: u64) -> Result<u64, FaultKind> {
    if is_skb_ctx(m) && skb_socket(m, ctx)? == 0 {
        return Ok(0);
    }
    Ok(m.env.system.socket_cookie)
}

/// `fib_lookup(ctx, params, plen, flags)`: `EINVAL` for a short parameter block or unknown
/// flags, `EAFNOSUPPORT` for a family other than IPv4/IPv6, `ENODEV` for an interface that
/// does not exist; then `FWD_DISABLED` when forwarding is off (`System::ip_forward`, the
/// kernel checks it whatever the flags), else, with no routes, `NOT_FWDED`. `params` is left
/// as it was.
fn fib_lookup(m: &mut Machine, a: [u64; 5]) -> Result<u64, FaultKind> {
    let (params, plen, flags) = (a[1], a[2] as u32, a[3] as u32);
    if u64::from(plen) < FIB_PARAMS_SIZE || u64::from(flags) & !FIB_FLAGS != 0 {
        return Ok(neg(errno::EINVAL));
    }
    let p = m.mem.read_bytes(params, FIB_PARAMS_SIZE as usize)?;
    if p[0] != AF_INET && p[0] != AF_INET6 {
        return Ok(neg(errno::EAFNOSUPPORT));
    }
    let ifindex = u32::from_le_bytes([p[8], p[9], p[10], p[11]]);
    if !m.env.system.ifindexes.contains(&ifindex) {
        return Ok(neg(errno::ENODEV));
    }
    if !m.env.system.ip_forward {
        return Ok(BPF_FIB_LKUP_RET_FWD_DISABLED);
    }
    Ok(BPF_FIB_LKUP_RET_NOT_FWDED)
}

/// `msg_pull_data(msg, start, end, flags)`: makes bytes `start..end` of the message directly
/// readable, moving `data`/`data_end` there; `EINVAL` for flags, an empty range, a start
/// past the message or an end past it. The message is taken to be the packet window as it
/// stands (one scatterlist element; a second pull in the same run counts from the first
/// pull's window, where the kernel counts from the message start).
fn msg_pull_data(m: &mut Machine, a: [u64; 5]) -> Result<u64, FaultKind> {
    let (start, end, flags) = (a[1] as u32, a[2] as u32, a[3]);
    if flags != 0 || end <= start {
        return Ok(neg(errno::EINVAL));
    }
    let Some((_, data, data_end)) = m.mem.packet_bounds() else {
        return Ok(neg(errno::EINVAL));
    };
    let len = data_end - data;
    if u64::from(start) >= len || u64::from(end) > len {
        return Ok(neg(errno::EINVAL));
    }
    let (d, e) = (data + u64::from(start), data + u64::from(end));
    if m.mem.adjust_packet(d, d, e) {
        Ok(0)
    } else {
        Ok(neg(errno::EINVAL))
    }
}
