//! sock_ops helpers: `sock_ops_cb_flags_set`, `setsockopt`, and the TCP header-option
//! helpers `load/store/reserve_hdr_opt` (`net/core/filter.c`).
//!
//! Offline a sock_ops program runs on a connected TCP socket without the packet in hand
//! (`skb_data` is NULL), so each helper checks its arguments and callback exactly as the
//! kernel does and then answers from that model, stated at the helper.

use super::neg;
use crate::machine::Machine;
use crate::maps::errno;
use crate::FaultKind;

/// Helper ids served here.
pub mod id {
    pub const SETSOCKOPT: i32 = 49;
    pub const SOCK_OPS_CB_FLAGS_SET: i32 = 59;
    pub const LOAD_HDR_OPT: i32 = 142;
    pub const STORE_HDR_OPT: i32 = 143;
    pub const RESERVE_HDR_OPT: i32 = 144;
}

/// `bpf_sock_ops.op` and `bpf_sock_ops.is_fullsock`.
const OPS_OP_OFF: u64 = 0;
const OPS_FULLSOCK_OFF: u64 = 72;
/// sock_ops callbacks of the header-option helpers, and the last callback that runs with the
/// socket locked (later ones, the timestamping callbacks, may not call sock_ops helpers).
const OPS_HDR_OPT_LEN_CB: u64 = 14;
const OPS_WRITE_HDR_OPT_CB: u64 = 15;
const OPS_LAST_LOCKED: u64 = 15;
/// `BPF_SOCK_OPS_ALL_CB_FLAGS`: the callback flags the kernel knows.
const ALL_CB_FLAGS: u64 = 0x7f;
/// `load_hdr_opt`: search the saved SYN instead of the current packet.
const BPF_LOAD_HDR_OPT_TCP_SYN: u64 = 1;
/// TCP option kinds that cannot be searched for (`TCPOPT_EOL`, `TCPOPT_NOP`), and the
/// experimental kinds that carry a magic (`TCPOPT_EXP`, 253).
const TCPOPT_EOL: u8 = 0;
const TCPOPT_NOP: u8 = 1;
const TCPOPT_EXP: u8 = 254;
/// Option space a sock_ops program may reserve in `HDR_OPT_LEN_CB`: 40 bytes of TCP options
/// less the 12 of the timestamp option an established Linux connection carries.
const OPT_SPACE: u64 = 28;
/// `SOL_SOCKET` and `SOL_TCP`.
const SOL_SOCKET: u64 = 1;
const SOL_TCP: u64 = 6;
/// The smallest sock_ops context (up to `bpf_sock_ops.sk`): how `setsockopt` tells a
/// sock_ops program's context from the other contexts it serves.
const SOCK_OPS_CTX_MIN: u64 = 192;

/// Calls helper `hid` if it is one of ours.
pub(crate) fn call(m: &mut Machine, hid: i32, a: [u64; 5]) -> Option<Result<u64, FaultKind>> {
    Some(match hid {
        id::SETSOCKOPT => setsockopt(m, hid, a),
        id::SOCK_OPS_CB_FLAGS_SET => cb_flags_set(m, a),
        id::LOAD_HDR_OPT => load_hdr_opt(m, a),
        id::STORE_HDR_OPT => store_hdr_opt(m, a),
        id::RESERVE_HDR_OPT => reserve_hdr_opt(m, a),
        _ => return None,
    })
}

fn ops_op(m: &mut Machine, ctx: u64) -> Result<u64, FaultKind> {
    m.mem.load(ctx + OPS_OP_OFF, 4)
}

/// `sock_ops_cb_flags_set(skops, flags)`: `EINVAL` for a request socket; else the flags
/// the kernel does not know (0 when all are known).
fn cb_flags_set(m: &mut Machine, a: [u64; 5]) -> Result<u64, FaultKind> {
    if ops_op(m, a[0])? > OPS_LAST_LOCKED {
        return Ok(neg(errno::EOPNOTSUPP));
    }
    if m.mem.load(a[0] + OPS_FULLSOCK_OFF, 4)? == 0 {
        return Ok(neg(errno::EINVAL));
    }
    // The argument is an `int`: the unknown bits come back sign-extended.
    Ok(i64::from((a[1] as u32 as i32) & !(ALL_CB_FLAGS as i32)) as u64)
}

/// `load_hdr_opt(skops, search, len, flags)`: the search argument is checked as the kernel
/// does; then, with no packet offline, the current-packet search is `EPERM` (the kernel's
/// answer when `skb` is NULL) and the saved-SYN search `ENOENT` (no SYN saved).
fn load_hdr_opt(m: &mut Machine, a: [u64; 5]) -> Result<u64, FaultKind> {
    let (search, len, flags) = (a[1], a[2] as u32, a[3]);
    if ops_op(m, a[0])? > OPS_LAST_LOCKED {
        return Ok(neg(errno::EOPNOTSUPP));
    }
    if len < 2 || flags & !BPF_LOAD_HDR_OPT_TCP_SYN != 0 {
        return Ok(neg(errno::EINVAL));
    }
    let s = m.mem.read_bytes(search, 2)?;
    let (kind, kind_len) = (s[0], u32::from(s[1]));
    if kind_len > len || kind == TCPOPT_NOP || kind == TCPOPT_EOL {
        return Ok(neg(errno::EINVAL));
    }
    let magic = kind == TCPOPT_EXP || kind == 253;
    if (magic && kind_len != 4 && kind_len != 6) || (!magic && kind_len != 0) {
        return Ok(neg(errno::EINVAL));
    }
    if flags & BPF_LOAD_HDR_OPT_TCP_SYN != 0 {
        return Ok(neg(errno::ENOENT));
    }
    Ok(neg(errno::EPERM))
}

/// `store_hdr_opt(skops, from, len, flags)`: only in `WRITE_HDR_OPT_CB` (`EPERM`); the option
/// must be at least 2 bytes with no flags (`EINVAL`); offline no space was reserved in
/// `HDR_OPT_LEN_CB` for this packet, so it does not fit (`ENOSPC`).
fn store_hdr_opt(m: &mut Machine, a: [u64; 5]) -> Result<u64, FaultKind> {
    let op = ops_op(m, a[0])?;
    if op > OPS_LAST_LOCKED {
        return Ok(neg(errno::EOPNOTSUPP));
    }
    if op != OPS_WRITE_HDR_OPT_CB {
        return Ok(neg(errno::EPERM));
    }
    if a[2] < 2 || a[3] != 0 {
        return Ok(neg(errno::EINVAL));
    }
    m.mem.read_bytes(a[1], a[2] as usize)?;
    Ok(neg(errno::ENOSPC))
}

/// `reserve_hdr_opt(skops, len, flags)`: only in `HDR_OPT_LEN_CB` (`EPERM`); at least 2
/// bytes, no flags (`EINVAL`); at most [`OPT_SPACE`] bytes (`ENOSPC`), else 0.
fn reserve_hdr_opt(m: &mut Machine, a: [u64; 5]) -> Result<u64, FaultKind> {
    let op = ops_op(m, a[0])?;
    if op > OPS_LAST_LOCKED {
        return Ok(neg(errno::EOPNOTSUPP));
    }
    if op != OPS_HDR_OPT_LEN_CB {
        return Ok(neg(errno::EPERM));
    }
    let len = a[1] as u32;
    if a[2] != 0 || len < 2 {
        return Ok(neg(errno::EINVAL));
    }
    if u64::from(len) > OPT_SPACE {
        return Ok(neg(errno::ENOSPC));
    }
    Ok(0)
}

/// `setsockopt(ctx, level, optname, optval, optlen)` for sock_ops programs
/// (`bpf_sock_ops_setsockopt` over `_bpf_setsockopt`): `EOPNOTSUPP` past the locked
/// callbacks, `EINVAL` on a request socket (`is_fullsock` 0), an unknown level, a length
/// other than an int's, or a value out of range; else 0. The options modelled are the
/// `SOL_SOCKET` buffer, keepalive, reuse, priority, mark, low-water and pacing options, and the
/// `SOL_TCP` ones that take an int with a range check; the socket is a connected TCP socket,
/// so a window clamp of 0 is `EINVAL` (`tcp_set_window_clamp`). Any other option, and the
/// other program types' contexts, stay an unsupported-helper error.
pub(crate) fn setsockopt(m: &mut Machine, hid: i32, a: [u64; 5]) -> Result<u64, FaultKind> {
    let unsupported = || FaultKind::UnsupportedHelper {
        id: hid,
        name: super::helper_name(hid),
    };
    let is_sock_ops = m.mem.region_at(a[0]).is_some_and(|r| {
        r.kind == crate::mem::RegionKind::Context && r.start == a[0] && r.len >= SOCK_OPS_CTX_MIN
    });
    if !is_sock_ops {
        return Err(unsupported());
    }
    if ops_op(m, a[0])? > OPS_LAST_LOCKED {
        return Ok(neg(errno::EOPNOTSUPP));
    }
    if m.mem.load(a[0] + OPS_FULLSOCK_OFF, 4)? == 0 {
        return Ok(neg(errno::EINVAL));
    }
    let (level, name, optlen) = (a[1] as u32 as u64, a[2] as u32, a[4] as u32);
    let int_opt: Option<fn(i32) -> bool> = match (level, name) {
        // SO_REUSEADDR, SO_SNDBUF, SO_RCVBUF, SO_KEEPALIVE, SO_PRIORITY, SO_REUSEPORT,
        // SO_RCVLOWAT, SO_MARK, SO_MAX_PACING_RATE: any int.
        (SOL_SOCKET, 2 | 7 | 8 | 9 | 12 | 15 | 18 | 36 | 47) => None,
        // TCP_NODELAY: any int; TCP_MAXSEG: 0 or 88..=65535; TCP_KEEPIDLE/KEEPINTVL:
        // 1..=32767; TCP_KEEPCNT/SYNCNT: 1..=127; TCP_WINDOW_CLAMP: not 0 (connected).
        (SOL_TCP, 1) => None,
        (SOL_TCP, 2) => Some(|v: i32| v == 0 || (88..=65535).contains(&v)),
        (SOL_TCP, 4 | 5) => Some(|v: i32| (1..=32767).contains(&v)),
        (SOL_TCP, 6 | 7) => Some(|v: i32| (1..=127).contains(&v)),
        (SOL_TCP, 10) => Some(|v: i32| v != 0),
        (SOL_SOCKET | SOL_TCP | 0 | 41, _) => return Err(unsupported()),
        _ => return Ok(neg(errno::EINVAL)),
    };
    if optlen != 4 {
        return Ok(neg(errno::EINVAL));
    }
    let v = m.mem.load(a[3], 4)? as u32 as i32;
    Ok(match int_opt {
        Some(ok) if !ok(v) => neg(errno::EINVAL),
        _ => 0,
    })
}
