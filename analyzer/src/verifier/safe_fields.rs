//! Fields of kernel structs whose pointers keep their parent's trust when walked (the kernel's
//! `type_is_trusted` and `type_is_rcu`, `check_ptr_to_btf_access`). By default a pointer loaded
//! from a trusted kernel object is no longer trusted; a few fields are listed as exceptions
//! (`task->cpus_ptr`, `task->group_leader`, `css_set->dfl_cgrp`, `file->f_inode`...). The kernel
//! keeps those lists in its own BTF, as structs named `<struct>__safe_trusted` (trusted even
//! outside an RCU read section) and `<struct>__safe_rcu` (RCU-protected inside one) whose
//! members name the fields, so they are read from the target kernel's BTF here and follow its
//! release. The `_or_null` lists (fields that may also be NULL) are not applied: bpfvet then
//! trusts those fields less than the kernel does.

use crate::btf::{Btf, BtfKind, TypeId};
use crate::verifier::ptr_kind::Trust;

/// The trust a pointer loaded from the field at byte `off` of a `base` object (trusted or RCU,
/// `base_trust`) keeps, when the kernel lists that field; `None` when it does not.
pub fn kept_trust(
    kernel: &Btf,
    base: TypeId,
    off: i64,
    base_trust: Trust,
    in_rcu_cs: bool,
) -> Option<Trust> {
    if !matches!(base_trust, Trust::Trusted | Trust::Rcu) {
        return None;
    }
    let field = field_name_at(kernel, base, off)?;
    let tname = kernel.name_of(base);
    let listed = |suffix: &str| {
        kernel
            .find_by_name(&format!("{tname}{suffix}"), "struct")
            .and_then(|id| kernel.members(id))
            .is_some_and(|ms| ms.iter().any(|m| kernel.member_name(m) == field))
    };
    if listed("__safe_trusted") {
        Some(Trust::Trusted)
    } else if in_rcu_cs && listed("__safe_rcu") {
        Some(Trust::Rcu)
    } else {
        None
    }
}

/// The name of the innermost member holding byte `off` of struct `id` (the kernel matches the
/// lists by the outer struct's name and this member's name).
fn field_name_at(kernel: &Btf, id: TypeId, off: i64) -> Option<String> {
    let (mut id, mut base) = (kernel.resolve(id)?, 0i64);
    for _ in 0..8 {
        let member = kernel.members(id)?.iter().find(|m| {
            let start = base + i64::from(m.bit_offset / 8);
            let len = kernel.size_of(m.ty).unwrap_or(0) as i64;
            start <= off && off < start + len
        })?;
        let start = base + i64::from(member.bit_offset / 8);
        let mid = kernel.resolve(member.ty)?;
        match kernel.type_by_id(mid).map(|t| &t.kind) {
            Some(BtfKind::Struct { .. } | BtfKind::Union { .. }) => {
                id = mid;
                base = start;
            }
            _ => return Some(kernel.member_name(member).to_string()),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `struct task_struct { struct task_struct *group_leader; struct task_struct
    /// *last_wakee; struct file *file; }`, `struct file`, and the kernel's lists
    /// `task_struct__safe_rcu { group_leader }` and `task_struct__safe_trusted { file }`
    /// (the real kernel lists `file` elsewhere; one struct keeps the BTF small).
    fn btf() -> Btf {
        let mut strings = vec![0u8];
        let mut s = |t: &str| {
            let off = strings.len() as u32;
            strings.extend_from_slice(t.as_bytes());
            strings.push(0);
            off
        };
        let (task, leader, wakee, file, rcu, trusted) = (
            s("task_struct"),
            s("group_leader"),
            s("last_wakee"),
            s("file"),
            s("task_struct__safe_rcu"),
            s("task_struct__safe_trusted"),
        );
        const STRUCT: u32 = 4 << 24;
        const PTR: u32 = 2 << 24;
        #[rustfmt::skip]
        let w = vec![
            task, STRUCT | 3, 24, leader, 2, 0, wakee, 2, 64, file, 4, 128, // 1
            0, PTR, 1,                                                     // 2
            file, STRUCT, 8,                                               // 3: struct file
            0, PTR, 3,                                                     // 4
            rcu, STRUCT | 1, 8, leader, 2, 0,                              // 5
            trusted, STRUCT | 1, 8, file, 4, 0,                            // 6
        ];
        Btf::parse(&crate::btf::test_blob(&w, &strings)).expect("valid BTF")
    }

    #[test]
    fn listed_fields_keep_trust_and_others_do_not() {
        let k = btf();
        let task = TypeId(1);
        // group_leader: RCU inside a read section, nothing kept outside one.
        assert_eq!(
            kept_trust(&k, task, 0, Trust::Trusted, true),
            Some(Trust::Rcu)
        );
        assert_eq!(kept_trust(&k, task, 0, Trust::Trusted, false), None);
        // last_wakee is not listed.
        assert_eq!(kept_trust(&k, task, 8, Trust::Trusted, true), None);
        // file: trusted even outside a read section.
        assert_eq!(
            kept_trust(&k, task, 16, Trust::Rcu, false),
            Some(Trust::Trusted)
        );
        // An untrusted base never regains trust.
        assert_eq!(kept_trust(&k, task, 0, Trust::Untrusted, true), None);
        assert_eq!(kept_trust(&k, task, 16, Trust::Marked, true), None);
    }
}
