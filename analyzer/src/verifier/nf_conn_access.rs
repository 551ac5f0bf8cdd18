//! Which conntrack-entry fields an XDP or tc program may write (the kernel's
//! `_nf_conntrack_btf_struct_access`, net/netfilter/nf_conntrack_bpf.c): through a `struct
//! nf_conn` or a not-yet-inserted `struct nf_conn___init` (same layout) only the `mark`
//! member, from its start; every other write through a kernel object is refused. The offset
//! of `mark` is read from the kernel's BTF (it exists only with CONFIG_NF_CONNTRACK_MARK).

use crate::btf::{Btf, TypeId};

/// Checks a `size`-byte write at `off` into an object of type `type_id` from an XDP or tc
/// program: `Err` carries the kernel's message.
pub fn conntrack_write(kernel: &Btf, type_id: u32, off: i64, size: u32) -> Result<(), String> {
    let is_entry = ["nf_conn", "nf_conn___init"]
        .iter()
        .any(|n| kernel.find_by_name(n, "struct") == Some(TypeId(type_id)));
    if !is_entry {
        return Err("only read is supported".into());
    }
    let mark = kernel.find_by_name("nf_conn", "struct").and_then(|ct| {
        let m = kernel.member(ct, "mark")?;
        let start = i64::from(m.bit_offset / 8);
        Some((start, start + i64::try_from(kernel.size_of(m.ty)?).ok()?))
    });
    match mark {
        Some((start, end)) if off == start => {
            if off + i64::from(size) > end {
                return Err(format!(
                    "write access at off {off} with size {size} beyond the member of nf_conn ended at {end}"
                ));
            }
            Ok(())
        }
        _ => Err(format!("no write support to nf_conn at off {off}")),
    }
}
