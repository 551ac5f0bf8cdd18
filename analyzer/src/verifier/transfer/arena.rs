//! Arenas (`BPF_MAP_TYPE_ARENA`, Linux 6.9): memory shared with user space, which a program
//! reaches through `__arena` pointers.
//!
//! An arena pointer lives in two address spaces. In address space 1 (what
//! `bpf_arena_alloc_pages` returns, what an `__arena` global's `lddw` loads, what user space
//! sees) it is a plain number to the verifier. `addr_space_cast(r, 0, 1)` turns it into a
//! `PTR_TO_ARENA` of address space 0, which may be dereferenced at any offset: the kernel
//! rewrites every access through it into a probe access of the arena's 4 GiB window (plus
//! guard pages), and keeps no offset for it, so arithmetic of any kind leaves it an arena
//! pointer. `addr_space_cast(r, 1, 0)` goes back to a number.
//!
//! Facts from the kernel's `check_alu_op`, `adjust_reg_min_max_vals`, `check_mem_access`,
//! `check_atomic`, `convert_ctx_accesses`, `check_ld_imm` and `resolve_pseudo_ldimm64`
//! (kernel/bpf/verifier.c) and kernel/bpf/arena.c; the code is ours.

use super::{read, writable, Res, Vm};
use crate::isa::{AtomicOp, Insn, InsnIdx, PseudoSrc, Reg};
use crate::rules::map_type;
use crate::verifier::env::{Input, KernelVersion, Options};
use crate::verifier::state::{AbstractState, Pointer, PtrKind, RegState};
use crate::verifier::violation::{Code, Violation};

/// Bytes of one arena page (`PAGE_SIZE` on x86-64): an arena's size is its `max_entries`
/// in pages.
const PAGE_SIZE: u64 = 4096;

/// The kernel's `BPF_MAX_VAR_OFF`: the largest offset a `lddw` of a map value may carry.
const MAX_VAR_OFF: u64 = 1 << 29;

/// The arena a program uses (the kernel's `prog->aux->arena`): the map of the first `lddw`
/// naming an arena, or why the kernel refuses the program before verifying it.
pub(in crate::verifier) fn program_arena(
    input: &Input<'_>,
    opts: &Options,
) -> Result<Option<u32>, Box<Violation>> {
    let mut arena: Option<u32> = None;
    for (at, insn) in input.insns.iter().enumerate() {
        let Insn::LdImm64 {
            src: PseudoSrc::MapIdx | PseudoSrc::MapIdxValue,
            imm,
            ..
        } = insn
        else {
            continue;
        };
        let Some(m) = usize::try_from(*imm).ok().and_then(|i| input.maps.get(i)) else {
            continue;
        };
        if m.map_type.0 != map_type::ARENA {
            continue;
        }
        let pc = InsnIdx(at as u32);
        if opts.kernel < KernelVersion::new(6, 9) {
            // Older kernels do not know the map type: libbpf's map creation fails.
            return Err(Violation::new(
                Code::HelperNotAllowed,
                pc,
                format!(
                    "map {} is an arena, a map type of Linux 6.9 (profile: {})",
                    m.name, opts.kernel
                ),
                format!("map '{}': failed to create: -EINVAL", m.name),
            )
            .with_note("the kernel refuses to create the map, so the object does not load"));
        }
        match arena {
            None => arena = Some(*imm as u32),
            Some(a) if a == *imm as u32 => {}
            Some(_) => {
                return Err(Violation::new(
                    Code::InvalidLdImm64,
                    pc,
                    format!(
                        "the program refers to a second arena ({}); a program may use one arena",
                        m.name
                    ),
                    "Only one arena per program",
                ))
            }
        }
    }
    Ok(arena)
}

impl Vm<'_> {
    /// `dst = addr_space_cast(src, dst_as, src_as)`. The decoder admits only the two casts
    /// the kernel knows (1 to 0 and 0 to 1).
    pub(super) fn addr_space_cast(
        &self,
        st: &mut AbstractState,
        pc: InsnIdx,
        dst: Reg,
        src: Reg,
        dst_as: u16,
    ) -> Res<()> {
        if self.arena.is_none() {
            return Err(Violation::new(
                Code::InvalidInsn,
                pc,
                "addr_space_cast converts arena pointers, but this program refers to no arena map",
                "addr_space_cast insn can only be used in a program that has an associated arena",
            )
            .with_note("the kernel ties a program to the arena its `lddw` instructions name; use the arena map (or an `__arena` global) in this program"));
        }
        read(st, pc, src)?;
        writable(pc, dst)?;
        let v = if dst_as == 0 {
            RegState::Ptr(Pointer::new(PtrKind::Arena))
        } else {
            // Back to user space's address: a number (the JIT adds the arena's upper half).
            RegState::unknown()
        };
        st.set(dst, v);
        Ok(())
    }

    /// The value of `lddw dst, map_value(arena) + off`: the user-space address of an `__arena`
    /// global, a number to the verifier (it must be cast before use).
    pub(super) fn arena_global(&self, pc: InsnIdx, map: u32, off: i32) -> Res<RegState> {
        let m = self.map(map);
        let size = u64::from(m.max_entries) * PAGE_SIZE;
        let off = off as u32 as u64;
        if off >= MAX_VAR_OFF {
            return Err(Violation::new(
                Code::InvalidLdImm64,
                pc,
                format!("offset {off} into arena {} is too large for a lddw", m.name),
                format!("direct value offset of {off} is not allowed"),
            ));
        }
        if off > size {
            return Err(Violation::new(
                Code::InvalidLdImm64,
                pc,
                format!("offset {off} is past the {size}-byte arena {}", m.name),
                format!(
                    "invalid access to map value pointer, value_size={} off={off}",
                    m.value_size
                ),
            ));
        }
        Ok(RegState::unknown())
    }

    /// What the kernel refuses of a load through an arena pointer: sign-extending loads, which
    /// x86-64's JIT could not turn into probe loads of the arena before Linux 6.19.
    pub(super) fn arena_load(&self, pc: InsnIdx, base: &RegState, sign_extend: bool) -> Res<()> {
        if sign_extend && is_arena(base) {
            return Err(Violation::new(
                Code::InvalidMemAccess,
                pc,
                "a sign-extending load from arena memory; load it unsigned and sign-extend in a register (`r = (s32)r`)",
                "sign extending loads from arena are not supported yet",
            )
            .with_note("the kernel refuses it with EOPNOTSUPP after verification, when it rewrites the load"));
        }
        Ok(())
    }

    /// What the kernel refuses of an atomic operation on arena memory: x86-64's JIT has no
    /// probe form of the fetching `and`/`or`/`xor` (their compare-and-swap loop), and before
    /// Linux 6.10 none at all.
    pub(super) fn arena_atomic(
        &self,
        pc: InsnIdx,
        base: &RegState,
        dst: Reg,
        op: AtomicOp,
    ) -> Res<()> {
        if !is_arena(base) {
            return Ok(());
        }
        let loop_op = matches!(
            op,
            AtomicOp::And { fetch: true }
                | AtomicOp::Or { fetch: true }
                | AtomicOp::Xor { fetch: true }
        );
        if loop_op || self.opts.kernel < KernelVersion::new(6, 10) {
            return Err(Violation::new(
                Code::InvalidMemAccess,
                pc,
                if loop_op {
                    "a fetching atomic and/or/xor on arena memory, which the x86-64 JIT cannot do; use atomic add, xchg or cmpxchg (a cmpxchg loop)".to_string()
                } else {
                    format!(
                        "atomic operations on arena memory need Linux 6.10 (profile: {})",
                        self.opts.kernel
                    )
                },
                format!("BPF_ATOMIC stores into R{} arena is not allowed", dst.num()),
            ));
        }
        Ok(())
    }
}

impl Vm<'_> {
    /// An arena pointer where a kfunc or a global function wants memory it can check: the
    /// kernel's `check_helper_mem_access` has no case for arena memory.
    pub(super) fn arena_not_mem(&self, pc: InsnIdx, r: Reg, v: &RegState) -> Res<()> {
        if is_arena(v) {
            return Err(Violation::new(
                Code::HelperArgType,
                pc,
                format!("{r} is an arena pointer, which cannot be passed as a pointer to memory (only `__arg_arena` parameters and `__ign` arguments take one)"),
                format!("R{} type=arena expected=fp", r.num()),
            ));
        }
        Ok(())
    }
}

/// Whether `v` is an arena pointer (address space 0).
pub(super) fn is_arena(v: &RegState) -> bool {
    matches!(v.as_ptr(), Some(p) if p.kind == PtrKind::Arena)
}
