//! What the verifier is given besides the instructions: the object's maps, the program type's
//! rules, the license, and the profile (privilege, kernel version, budgets).

use crate::isa::Insn;
use crate::rules::{HelperTable, ProgTypeRules};

pub use crate::program::MapDef;

/// Whether the program may not write the map's values (`.rodata`, `.kconfig`, or
/// `BPF_F_RDONLY_PROG`).
pub fn map_read_only(m: &MapDef) -> bool {
    matches!(
        m.kind,
        crate::program::MapKind::GlobalData {
            read_only: true,
            ..
        }
    ) || m.map_flags & crate::program::BPF_F_RDONLY_PROG != 0
}

/// Whether the map's flags forbid the program to read its values (`BPF_F_WRONLY_PROG`).
pub fn map_write_only(m: &MapDef) -> bool {
    m.map_flags & crate::program::BPF_F_WRONLY_PROG != 0
}

/// The initial value of a frozen global-data map, whose contents the program sees as constants.
pub fn map_frozen_value(m: &MapDef) -> Option<&[u8]> {
    match &m.kind {
        crate::program::MapKind::GlobalData {
            init: Some(init),
            read_only: true,
            ..
        } => Some(init),
        _ => None,
    }
}

/// A kernel version, for profiles.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct KernelVersion {
    pub major: u16,
    pub minor: u16,
}

impl KernelVersion {
    pub const fn new(major: u16, minor: u16) -> Self {
        KernelVersion { major, minor }
    }

    /// The newest version the tables describe.
    pub const LATEST: KernelVersion = KernelVersion::new(6, 18);
}

impl std::fmt::Display for KernelVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// The profile a program is checked under.
#[derive(Clone, Debug)]
pub struct Options {
    /// Root (`CAP_BPF` + `CAP_PERFMON` + `CAP_NET_ADMIN`): bounded loops, pointer comparisons,
    /// uninitialized stack reads, and a 1M instruction budget. Unprivileged programs get none.
    pub privileged: bool,
    pub kernel: KernelVersion,
    /// The processed-instruction budget (the kernel's `BPF_COMPLEXITY_LIMIT_INSNS`).
    pub max_processed: u64,
    /// Most pending branches at once (the kernel's `BPF_COMPLEXITY_LIMIT_JMP_SEQ`).
    pub max_pending: usize,
    /// Assume the kernel gives this program a private stack where it may (Linux 6.13 on
    /// x86-64, [`crate::rules::PRIVATE_STACK_PROG_TYPES`]): then only each function's own
    /// stack counts toward 512 bytes, not the sum along a call chain. Off by default because
    /// builds of one release differ (6.18.44-fc-v1045 gave `raw_tracepoint` programs one,
    /// 6.18.44-fc-v1252 did not: `corpus/c/subprogs/var_offset_frames`), so the safe verdict
    /// counts the sum.
    pub private_stack: bool,
    /// Precision tracking (`precision.rs`): a checkpoint compares by value only the scalars
    /// found to decide safety below it, as the kernel does. Off: every scalar is compared by
    /// value (more exploration, never a different verdict but for the budget).
    pub precision: bool,
    /// The build beyond its release: lockdown and configuration options that withdraw
    /// helpers (`--kernel-config`, `--lockdown`). Default: a full build, not locked down.
    pub build: crate::rules::kernel_build::KernelBuild,
    /// `BPF_F_STRICT_ALIGNMENT`: every access through a pointer must be aligned to its size,
    /// packet accesses as if the packet started 2 bytes past an aligned address (the kernel's
    /// `NET_IP_ALIGN` emulation on machines with efficient unaligned access, like x86-64).
    pub strict_alignment: bool,
    /// `BPF_F_TEST_REG_INVARIANTS`: after each instruction every register's bounds must be
    /// consistent, or the program is refused (the kernel's `reg_bounds_sanity_check`). For
    /// bpfvet a violation is its own bug, so it surfaces as a finding.
    pub reg_invariants: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            privileged: true,
            kernel: KernelVersion::LATEST,
            max_processed: 1_000_000,
            max_pending: 8192,
            private_stack: false,
            precision: true,
            build: crate::rules::kernel_build::KernelBuild::default(),
            strict_alignment: false,
            reg_invariants: false,
        }
    }
}

impl Options {
    /// Most instructions a program may have under this profile.
    pub fn max_insns(&self) -> usize {
        if self.privileged && self.kernel >= KernelVersion::new(5, 2) {
            1_000_000
        } else {
            4096
        }
    }

    /// Whether functions of a program of type `prog_type` (kernel id) whose stack is at least
    /// [`crate::rules::PRIV_STACK_MIN`] bytes run on a private stack, given that the program
    /// makes no tail call (the kernel then keeps every function on the shared stack).
    pub fn private_stack_for(&self, prog_type: u32) -> bool {
        self.private_stack && self.may_have_private_stack(prog_type)
    }

    /// Whether some build of this profile's kernel may give `prog_type` a private stack.
    pub fn may_have_private_stack(&self, prog_type: u32) -> bool {
        self.kernel >= KernelVersion::new(6, 13)
            && crate::rules::PRIVATE_STACK_PROG_TYPES.contains(&prog_type)
    }

    /// Whether back-edges are allowed (bounded loops, Linux 5.3, privileged only).
    pub fn bounded_loops(&self) -> bool {
        self.privileged && self.kernel >= KernelVersion::new(5, 3)
    }
}

/// Everything the verifier needs about one program.
#[derive(Clone, Debug)]
pub struct Input<'a> {
    pub insns: &'a [Insn],
    pub maps: &'a [MapDef],
    pub prog_type: &'a ProgTypeRules,
    pub helpers: &'a HelperTable,
    /// Whether the license string is GPL-compatible.
    pub gpl: bool,
    /// Whether the program may sleep (a `.s` section: `lsm.s/`, `fentry.s/`, `uprobe.s`...).
    pub sleepable: bool,
    /// The expected attach type, where the program type's rules depend on it.
    pub attach: Option<crate::prog_type::AttachType>,
    /// The object's BTF: global function signatures and map value layouts.
    pub btf: Option<&'a crate::btf::Btf>,
    /// Which BTF function each subprogram is.
    pub func_info: &'a [crate::program::FuncInfo],
    /// Whether the loader passes BTF function info with the program. Without it the kernel
    /// refuses callbacks and tail calls or `ld_abs` in subprograms (GCC 12 writes none).
    pub btf_func_info: bool,
    /// Why the kernel refuses the object's BTF, when it does: then the verifier checks it with
    /// no `btf` and no function info, as libbpf loads such an object (`verify` applies this for
    /// the profile's release, see `btf_refused_since`).
    pub btf_refused: Option<&'a str>,
    /// The first release that refuses the object's BTF; `None` for every release.
    pub btf_refused_since: Option<KernelVersion>,
    /// The kernel's BTF, which types the contexts of tp_btf, fentry, lsm and iterator programs.
    pub kernel_btf: Option<&'a crate::btf::Btf>,
    /// What the program attaches to (`sched_wakeup` in `tp_btf/sched_wakeup`).
    pub attach_target: Option<&'a str>,
    /// The loader's relocations: they name the extern each kfunc call goes to (offline there is
    /// no kernel BTF id in the instruction).
    pub relocs: &'a [crate::program::InsnReloc],
}

impl<'a> Input<'a> {
    /// Everything about `prog` of `obj`, checked as a `rules` program.
    pub fn new(
        obj: &'a crate::program::Object,
        prog: &'a crate::program::Program,
        rules: &'a ProgTypeRules,
    ) -> Self {
        Input {
            insns: prog.insns(),
            maps: obj.maps(),
            prog_type: rules,
            helpers: HelperTable::standard(),
            gpl: prog.is_gpl_compatible(),
            sleepable: prog.sleepable(),
            attach: prog.attach_type(),
            btf: obj.btf(),
            func_info: prog.func_info(),
            btf_func_info: !prog.func_info().is_empty(),
            btf_refused: obj.btf_refused(),
            btf_refused_since: obj
                .btf_refused_since()
                .map(|(major, minor)| KernelVersion::new(major, minor)),
            kernel_btf: None,
            attach_target: prog.struct_ops_member().or_else(|| {
                prog.section()
                    .split_once('/')
                    .map(|(_, t)| t)
                    .filter(|t| !t.is_empty())
            }),
            relocs: prog.relocs(),
        }
    }

    /// Instructions with no object around them (assembly, tests): no BTF, no attach target,
    /// not sleepable; loaded as if with BTF function info (the checks that need none pass).
    pub fn bare(
        insns: &'a [Insn],
        maps: &'a [MapDef],
        rules: &'a ProgTypeRules,
        gpl: bool,
    ) -> Self {
        Input {
            insns,
            maps,
            prog_type: rules,
            helpers: HelperTable::standard(),
            gpl,
            sleepable: false,
            attach: None,
            btf: None,
            func_info: &[],
            // Hand-written programs are taken as loaded with BTF, as clang -g builds them.
            btf_func_info: true,
            btf_refused: None,
            btf_refused_since: None,
            kernel_btf: None,
            attach_target: None,
            relocs: &[],
        }
    }

    /// The same input with the kernel's BTF for BTF-typed contexts.
    pub fn with_kernel_btf(mut self, btf: Option<&'a crate::btf::Btf>) -> Self {
        self.kernel_btf = btf;
        self
    }
}

/// `prog` with its CO-RE relocations resolved against the kernel's BTF, as libbpf would load
/// it; `None` when there is nothing to resolve (no records, or no BTF on either side), in which
/// case the compiled offsets stand. An error means libbpf would refuse the object.
pub fn core_relocated(
    obj: &crate::program::Object,
    prog: &crate::program::Program,
    kernel: Option<&crate::btf::Btf>,
) -> Option<Result<crate::program::Program, String>> {
    if prog.core_relos().is_empty() {
        return None;
    }
    let (local, target) = (obj.btf()?, kernel?);
    Some(
        crate::elf::relocate_core(prog, local, target)
            .map(|r| r.program)
            .map_err(|e| e.to_string()),
    )
}
