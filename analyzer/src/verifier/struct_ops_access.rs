//! Which kernel-object fields a struct_ops program may write. Only TCP congestion-control
//! programs (`struct tcp_congestion_ops`) may write at all, and only a few fields of the
//! `struct tcp_sock` they are given (the kernel's `bpf_tcp_ca_btf_struct_access`): the pacing
//! rate and status, the congestion-control private area, the pending-ACK flags, and the
//! congestion window fields. Offsets are read from the kernel's BTF.

use crate::btf::{Btf, TypeId};

/// `(struct, member path)` of each writable field; `sock` and `inet_connection_sock` sit at
/// offset 0 of `tcp_sock`, so their offsets hold in it.
const WRITABLE: &[(&str, &[&str])] = &[
    ("sock", &["sk_pacing_rate"]),
    ("sock", &["sk_pacing_status"]),
    ("inet_connection_sock", &["icsk_ca_priv"]),
    ("inet_connection_sock", &["icsk_ack", "pending"]),
    ("tcp_sock", &["snd_cwnd"]),
    ("tcp_sock", &["snd_cwnd_cnt"]),
    ("tcp_sock", &["snd_cwnd_stamp"]),
    ("tcp_sock", &["snd_ssthresh"]),
    ("tcp_sock", &["ecn_flags"]),
    ("tcp_sock", &["app_limited"]),
];

/// Checks a `size`-byte write at `off` into an object of type `type_id` from a
/// `tcp_congestion_ops` program: `Err` carries the kernel's message.
pub fn tcp_ca_write(kernel: &Btf, type_id: u32, off: i64, size: u32) -> Result<(), String> {
    let tcp_sock = kernel.find_by_name("tcp_sock", "struct");
    if tcp_sock != Some(TypeId(type_id)) {
        return Err("only read is supported".into());
    }
    for (st, path) in WRITABLE {
        let Some((start, end)) = field_range(kernel, st, path) else {
            continue;
        };
        // The private area may be written anywhere inside; the others at their start only.
        let hit = if path[0] == "icsk_ca_priv" {
            off >= start && off < end
        } else {
            off == start
        };
        if hit {
            if off + i64::from(size) > end {
                return Err(format!("write access at off {off} with size {size} beyond the member of tcp_sock ended at {end}"));
            }
            return Ok(());
        }
    }
    Err(format!("no write support to tcp_sock at off {off}"))
}

/// Byte range of the member at `path` inside struct `st` (non-bitfield members only).
fn field_range(kernel: &Btf, st: &str, path: &[&str]) -> Option<(i64, i64)> {
    let mut ty = kernel.find_by_name(st, "struct")?;
    let mut off = 0i64;
    let mut size = 0i64;
    for name in path {
        let m = kernel.member(ty, name)?;
        if m.bitfield_size != 0 {
            return None;
        }
        off += i64::from(m.bit_offset / 8);
        size = i64::try_from(kernel.size_of(m.ty)?).ok()?;
        ty = kernel.resolve(m.ty)?;
    }
    Some((off, off + size))
}
