//! The kernel functions (kfuncs) bpfvet models, identified by name.
//!
//! A kfunc call's instruction carries the callee's BTF id in the *kernel's* BTF, which libbpf
//! fills in at load time; offline the loader leaves it 0 and names the extern symbol in a
//! relocation instead (`RelocTarget::Extern`). So calls are identified by that name, through
//! [`extern_at`], and looked up in [`KFUNCS`], a data table like the helper table. A kfunc not in
//! the table is rejected as `unsupported-helper`, naming it.
//!
//! Today the table holds the numeric open-coded iterator (`bpf_iter_num_new`, `_next`,
//! `_destroy`, Linux 6.4), whose state is one 8-byte stack slot (`struct bpf_iter_num`).

use crate::isa::InsnIdx;
use crate::program::{InsnReloc, RelocTarget};
use crate::verifier::env::KernelVersion;

/// What a kfunc does, as far as the verifier is concerned.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum KfuncKind {
    /// `bpf_iter_<type>_new(it, ...)`: `it` must point at uninitialised stack slots, which
    /// become an active iterator holding a new reference. Returns an int.
    IterNew,
    /// `bpf_iter_<type>_next(it)`: `it` must be an initialised iterator. Returns NULL (the
    /// iterator is drained) or a pointer to the next element.
    IterNext,
    /// `bpf_iter_<type>_destroy(it)`: `it` must be an initialised iterator; releases it.
    IterDestroy,
}

/// One supported kfunc.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct KfuncSig {
    /// The symbol name, as the object's extern declares it.
    pub name: &'static str,
    pub kind: KfuncKind,
    /// The iterator type's name (`num` for `struct bpf_iter_num`), as the kernel's messages
    /// print it (`iter_num`).
    pub iter: &'static str,
    /// Size in bytes of the iterator's state on the stack.
    pub iter_size: u32,
    /// Size of the element `next` points to (`int` for `bpf_iter_num_next`).
    pub elem_size: u32,
    /// Arguments after the iterator: each is a number (`int start, int end` for `new`).
    pub scalar_args: u8,
    /// First kernel release that has it.
    pub since: KernelVersion,
}

const NUM: KfuncSig = KfuncSig {
    name: "",
    kind: KfuncKind::IterNew,
    iter: "num",
    iter_size: 8,
    elem_size: 4,
    scalar_args: 0,
    since: KernelVersion::new(6, 4),
};

/// Every kfunc bpfvet models (kernel/bpf/bpf_iter.c for the numeric iterator).
pub const KFUNCS: &[KfuncSig] = &[
    KfuncSig {
        name: "bpf_iter_num_new",
        kind: KfuncKind::IterNew,
        scalar_args: 2,
        ..NUM
    },
    KfuncSig {
        name: "bpf_iter_num_next",
        kind: KfuncKind::IterNext,
        ..NUM
    },
    KfuncSig {
        name: "bpf_iter_num_destroy",
        kind: KfuncKind::IterDestroy,
        ..NUM
    },
];

/// The kfunc named `name`, if bpfvet models it.
pub fn by_name(name: &str) -> Option<&'static KfuncSig> {
    KFUNCS.iter().find(|k| k.name == name)
}

/// The extern symbol the call at `pc` goes to, from the loader's relocations.
pub fn extern_at(relocs: &[InsnReloc], pc: InsnIdx) -> Option<&str> {
    relocs.iter().find_map(|r| match &r.target {
        RelocTarget::Extern { name } if r.insn == pc => Some(name.as_str()),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iterator_kfuncs_are_found_by_name_and_nothing_else_is() {
        assert_eq!(
            by_name("bpf_iter_num_next").map(|k| k.kind),
            Some(KfuncKind::IterNext)
        );
        assert_eq!(by_name("bpf_iter_num_new").map(|k| k.scalar_args), Some(2));
        assert!(by_name("bpf_iter_task_new").is_none());
        assert!(by_name("").is_none());
    }

    #[test]
    fn extern_at_reads_the_relocation_of_that_instruction_only() {
        let relocs = vec![
            InsnReloc {
                insn: InsnIdx(3),
                target: RelocTarget::Extern {
                    name: "bpf_iter_num_new".into(),
                },
            },
            InsnReloc {
                insn: InsnIdx(5),
                target: RelocTarget::Subprog {
                    name: "f".into(),
                    target: InsnIdx(9),
                },
            },
        ];
        assert_eq!(extern_at(&relocs, InsnIdx(3)), Some("bpf_iter_num_new"));
        assert_eq!(extern_at(&relocs, InsnIdx(5)), None);
        assert_eq!(extern_at(&relocs, InsnIdx(4)), None);
    }
}
