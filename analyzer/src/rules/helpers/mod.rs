//! Row builders and shorthands for the helper table, which is split by id range into
//! `ids_1_70.rs`, `ids_71_140.rs` and `ids_141_211.rs` and joined in `helper_table.rs`.
//!
//! A row is `d(id, name, args, ret, groups, since, doc)` for a described helper or
//! `u(id, name, groups, since, doc)` for one whose arguments are not described yet, followed by
//! the modifiers `.gpl()`, `.acquire()`, `.release()`, `.cast()` (the result shares the
//! argument's reference), `.pkt_ok()` (may be given packet pointers) and `.pkt()` (changes
//! packet data).
//! Arguments use the kernel's order; `MEM`/`SIZE` pairs mirror `ARG_PTR_TO_MEM` and
//! `ARG_CONST_SIZE`.

pub(super) mod ids_141_211;
pub(super) mod ids_1_70;
pub(super) mod ids_71_140;
pub(super) mod maps;

use super::{Arg, Groups, HelperSig, Ret};
use crate::verifier::env::KernelVersion;

const fn v(major: u16, minor: u16) -> KernelVersion {
    KernelVersion::new(major, minor)
}

/// A described helper: not GPL-only, acquires nothing, keeps packet pointers valid.
const fn d(
    id: u32,
    name: &'static str,
    args: &'static [Arg],
    ret: Ret,
    groups: Groups,
    since: KernelVersion,
    doc: &'static str,
) -> HelperSig {
    HelperSig {
        id,
        name,
        args: Some(args),
        ret,
        gpl_only: false,
        acquire: false,
        release: false,
        casts: false,
        pkt_access: false,
        changes_pkt_data: false,
        groups,
        since,
        doc,
    }
}

/// A helper whose signature is not described: calls to it are reported as unsupported.
const fn u(
    id: u32,
    name: &'static str,
    groups: Groups,
    since: KernelVersion,
    doc: &'static str,
) -> HelperSig {
    HelperSig {
        id,
        name,
        args: None,
        ret: Ret::Integer,
        gpl_only: false,
        acquire: false,
        release: false,
        casts: false,
        pkt_access: false,
        changes_pkt_data: false,
        groups,
        since,
        doc,
    }
}

impl HelperSig {
    /// Needs a GPL-compatible license.
    const fn gpl(mut self) -> HelperSig {
        self.gpl_only = true;
        self
    }

    /// Returns a referenced object that must be released.
    const fn acquire(mut self) -> HelperSig {
        self.acquire = true;
        self
    }

    /// Releases a referenced object passed to it.
    const fn release(mut self) -> HelperSig {
        self.release = true;
        self
    }

    /// Returns its socket argument seen as another type, sharing the argument's reference.
    const fn cast(mut self) -> HelperSig {
        self.casts = true;
        self
    }

    /// May be given pointers into the packet (the kernel's `pkt_access`).
    const fn pkt_ok(mut self) -> HelperSig {
        self.pkt_access = true;
        self
    }

    /// May move packet data (invalidates packet pointers).
    const fn pkt(mut self) -> HelperSig {
        self.changes_pkt_data = true;
        self
    }
}

// Argument shorthands.
const ANY: Arg = Arg::Anything;
const CTX: Arg = Arg::Ctx;
const MAP: Arg = Arg::Map { types: &[] };
const KEY: Arg = Arg::MapKey;
/// `ARG_PTR_TO_MEM | MEM_RDONLY`.
const MEM: Arg = Arg::Mem {
    uninit: false,
    nullable: false,
};
/// `ARG_PTR_TO_MEM | PTR_MAYBE_NULL | MEM_RDONLY`.
const MEM_NULL: Arg = Arg::Mem {
    uninit: false,
    nullable: true,
};
/// `ARG_PTR_TO_UNINIT_MEM`.
const OUT: Arg = Arg::Mem {
    uninit: true,
    nullable: false,
};
/// `ARG_PTR_TO_MEM` without `MEM_RDONLY`: read and written.
const RW: Arg = Arg::WritableMem { nullable: false };
const SIZE: Arg = Arg::Size { zero_ok: false };
const SIZE0: Arg = Arg::Size { zero_ok: true };

// Group shorthands.
const B: Groups = Groups::BASE;
const BC: Groups = Groups::BASE_CAP_BPF;
const BP: Groups = Groups::BASE_PERFMON;
const TR: Groups = Groups::TRACING;
const BT: Groups = Groups::BTF_TRACING;

/// Who had the current-task helpers (`get_current_pid_tgid`, `get_current_cgroup_id`, ...)
/// before the kernel offered them to every program type (6.4 for the cgroup ids, 6.10 for
/// pid/tgid; `HELPER_WIDENINGS`): the tracing layer, the cgroup hooks that run in process
/// context, and `sk_msg`.
const CURRENT_TASK_BEFORE_BASE: Groups = any(&[
    TR,
    Groups::CGROUP_CURRENT,
    Groups::CG_SOCK,
    Groups::SOCK_ADDR,
    Groups::SK_MSG,
]);

/// The union of several groups.
const fn any(list: &[Groups]) -> Groups {
    let mut bits = 0;
    let mut i = 0;
    while i < list.len() {
        bits |= list[i].0;
        i += 1;
    }
    Groups(bits)
}

/// `n` copies of a placeholder row, overwritten by [`join`].
const PLACEHOLDER: HelperSig = u(0, "", Groups::NONE, v(0, 0), "");

/// Concatenates the three id ranges into one array at compile time.
pub(super) const fn join<const A: usize, const C: usize, const E: usize, const N: usize>(
    a: [HelperSig; A],
    c: [HelperSig; C],
    e: [HelperSig; E],
) -> [HelperSig; N] {
    assert!(A + C + E == N, "helper table parts do not add up");
    let mut out = [PLACEHOLDER; N];
    let mut i = 0;
    while i < A {
        out[i] = a[i];
        i += 1;
    }
    let mut j = 0;
    while j < C {
        out[A + j] = c[j];
        j += 1;
    }
    let mut k = 0;
    while k < E {
        out[A + C + k] = e[k];
        k += 1;
    }
    out
}
