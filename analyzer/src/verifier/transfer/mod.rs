//! Transfer functions: what one instruction does to an abstract state, one module per class.
//!
//! Contract: `step` either updates the state in place and says where control goes, or returns
//! the violation that makes the instruction unsafe in this state. It never explores: forks are
//! returned to the engine, which decides the order and prunes.

mod alignment;
mod alloc_access;
mod alu;
mod arena;
mod arg_kinds;
mod atomic;
pub(super) mod attach_target;
mod kptr_access;
mod kptr_xchg;
pub(super) use arena::program_arena;
mod call;
mod ctx_ptr;
mod dynptr;
mod exceptions;
mod format;
mod helper_effects;
mod helper_mem;
mod irq;
mod jmp;
mod kfunc;
mod kfunc_args;
pub(crate) mod linked;
mod mem;
mod percpu;
mod preempt;
mod rdonly_cast;
mod res_lock;
mod ret_range;
mod same_base;
mod special_field_arg;
mod spectre;
mod stack;
mod value_fields;

use super::env::{Input, Options};
use super::state::{AbstractState, RegState};
use super::violation::{Code, Violation};
use crate::cfg::Cfg;
use crate::isa::{Insn, InsnIdx, Reg};

pub(super) type Res<T> = Result<T, Box<Violation>>;

/// Where control goes after an instruction.
#[derive(Debug)]
pub(super) enum Flow {
    /// Continue at this instruction with the updated state.
    Next(InsnIdx),
    /// Two successors: continue with the updated state at `cont`, and explore `other` later.
    /// The other state is held inline, not boxed: a box was an allocation per branch, and the
    /// engine moves the state into its worklist at once.
    Fork {
        cont: InsnIdx,
        other: (InsnIdx, AbstractState),
    },
    /// The path ended safely (exit from the main program).
    Done,
}

/// The read-only context of one verification.
#[derive(Debug)]
pub(super) struct Vm<'a> {
    pub input: &'a Input<'a>,
    pub opts: &'a Options,
    pub cfg: &'a Cfg,
    /// Per map: fields of its value only helpers may touch.
    pub special: Vec<Vec<crate::verifier::btf_info::SpecialField>>,
    /// Per subprogram: its signature when it is a global function.
    pub globals: Vec<Option<crate::verifier::btf_info::GlobalSig>>,
    /// Per subprogram: whether running it may move packet data (`pkt_effects`).
    pub changes_pkt_data: Vec<bool>,
    /// Per instruction: the kind of base pointer its load or store was first checked with
    /// (`same_base`), shared by every path.
    pub access_bases: std::cell::RefCell<Vec<Option<same_base::AccessBase>>>,
    /// Per instruction: the Spectre v1 masking (direction flags, window) its pointer
    /// arithmetic needs, shared by every path (`spectre`; unprivileged programs only).
    pub alu_sanitation: std::cell::RefCell<Vec<Option<(u32, u32)>>>,
    /// Per tail-call instruction: the program array it was first reached with (`spectre`;
    /// unprivileged programs only).
    pub tail_call_maps: std::cell::RefCell<Vec<Option<u32>>>,
    /// The typed context of BTF-typed program types, or why it could not be typed.
    pub btf_ctx: Option<Result<crate::verifier::btf_ctx::BtfCtx, String>>,
    /// Kfunc prototypes read from the kernel's BTF, by name (`kfunc_args.rs`).
    pub kfunc_protos: std::cell::RefCell<
        std::collections::HashMap<String, Result<crate::verifier::kfuncs::Proto, Option<String>>>,
    >,
    /// Per extern kfunc name: the object's prototype id when libbpf would find it incompatible
    /// with the kernel's.
    pub kfunc_compat:
        std::cell::RefCell<std::collections::HashMap<String, Option<crate::btf::TypeId>>>,
    /// Ids of kernel structs looked up by name (0: none).
    pub kernel_structs: std::cell::RefCell<std::collections::HashMap<String, u32>>,
    /// Per `bpf_obj_drop` call instruction: the allocated type it was first reached with
    /// (`kfunc/alloc.rs`: one call may free only one type).
    pub alloc_call_types: std::cell::RefCell<std::collections::HashMap<u32, u32>>,
    /// Per map index: the kptr fields of its values (`kptr_access`), filled on first use.
    pub map_kptrs: std::cell::RefCell<
        std::collections::HashMap<u32, std::rc::Rc<[crate::verifier::alloc_layout::Kptr]>>,
    >,
    /// The arena map the program uses, if any (`arena::program_arena`).
    pub arena: Option<u32>,
    /// Where the program's exception callback starts, if it names one (`exception_cb`).
    pub exception_cb: Option<InsnIdx>,
    /// The `bpf_loop` calls and `may_goto`s reached, for the depth the kernel logs after its
    /// rewrites (`rewrite_stack`).
    pub rewrites: std::cell::RefCell<crate::verifier::rewrite_stack::RewriteSeen>,
}

/// Marks a map index as "the inner map of map `idx`" (a map-in-map lookup's result).
pub(crate) const INNER_MAP: u32 = 1 << 31;

impl Vm<'_> {
    /// The map a pointer's map index names; inner maps of map-in-maps carry [`INNER_MAP`].
    pub fn map(&self, idx: u32) -> &crate::verifier::env::MapDef {
        let outer = &self.input.maps[(idx & !INNER_MAP) as usize];
        match (&outer.inner, idx & INNER_MAP != 0) {
            (Some(inner), true) => inner,
            _ => outer,
        }
    }

    /// Executes the instruction at `pc` on `st`.
    pub fn step(&self, st: &mut AbstractState, pc: InsnIdx) -> Res<Flow> {
        let base = self.access_base(st, pc);
        let flow = self.step_insn(st, pc)?;
        if let Some(base) = base {
            self.record_access_base(pc, base)?;
        }
        if self.opts.reg_invariants {
            reg_invariants(st, pc)?;
            if let Flow::Fork { other, .. } = &flow {
                reg_invariants(&other.1, pc)?;
            }
        }
        Ok(flow)
    }

    fn step_insn(&self, st: &mut AbstractState, pc: InsnIdx) -> Res<Flow> {
        let Some(insn) = self.input.insns.get(pc.idx()) else {
            return Err(internal(pc, "control reached past the end of the program"));
        };
        if let Some(f) = crate::rules::isa_levels::feature_of(insn) {
            if f.since > self.opts.kernel {
                let code = crate::isa::encode_one(insn).first().copied().unwrap_or(0);
                return Err(Violation::new(
                    Code::UnsupportedInsn,
                    pc,
                    format!(
                        "this instruction needs {} (Linux {}), newer than the profile's {}",
                        f.name, f.since, self.opts.kernel
                    ),
                    format!("unknown opcode {code:02x}"),
                ));
            }
        }
        let next = InsnIdx(pc.0 + insn.slots() as u32);
        match *insn {
            Insn::Alu {
                width,
                op,
                dst,
                src,
            } => self
                .alu(st, pc, width, op, dst, src)
                .map(|()| Flow::Next(next)),
            Insn::MovSx {
                width,
                dst,
                src,
                from_bits,
            } => self
                .movsx(st, pc, width, dst, src, from_bits)
                .map(|()| Flow::Next(next)),
            Insn::Neg { width, dst } => self.neg(st, pc, width, dst).map(|()| Flow::Next(next)),
            Insn::Endian { op, dst, bits } => self
                .endian(st, pc, op, dst, bits)
                .map(|()| Flow::Next(next)),
            Insn::AddrSpaceCast {
                dst, src, dst_as, ..
            } => self
                .addr_space_cast(st, pc, dst, src, dst_as)
                .map(|()| Flow::Next(next)),
            Insn::Ja { off, .. } => Ok(Flow::Next(jump_target(pc, i64::from(off))?)),
            Insn::Jmp {
                width,
                cond,
                dst,
                src,
                off,
            } => self.cond_jmp(st, pc, width, cond, dst, src, off),
            Insn::MayGoto { off } => {
                self.rewrites.borrow_mut().may_goto(pc);
                // The kernel may take the jump at any time; both successors are possible. As in
                // the kernel, this path leaves the loop (the jump) and the loop body is queued
                // one iteration deeper (the engine widens it, see `loops.rs`).
                let mut body = st.clone();
                body.may_goto_depth += 1;
                Ok(Flow::Fork {
                    cont: jump_target(pc, i64::from(off))?,
                    other: (next, body),
                })
            }
            Insn::Call(target) => self.call(st, pc, target),
            Insn::Callx { .. } => Err(Violation::new(
                Code::UnsupportedInsn,
                pc,
                "indirect calls (callx) are not supported by the kernel verifier",
                "unknown opcode 8d",
            )),
            Insn::Exit => self.exit(st, pc),
            Insn::Load {
                size,
                sign_extend,
                dst,
                src,
                off,
            } => self
                .load(st, pc, size, sign_extend, dst, src, off)
                .map(|()| Flow::Next(next)),
            Insn::Store {
                size,
                dst,
                off,
                src,
            } => self
                .store(st, pc, size, dst, off, src)
                .map(|()| Flow::Next(next)),
            Insn::Atomic {
                size,
                op,
                dst,
                src,
                off,
            } => self
                .atomic(st, pc, size, op, dst, src, off)
                .map(|()| Flow::Next(next)),
            Insn::LdImm64 {
                dst,
                src,
                imm,
                next_imm,
            } => self
                .ld_imm64(st, pc, dst, src, imm, next_imm)
                .map(|()| Flow::Next(next)),
            Insn::LdImm64Tail => Err(internal(pc, "control reached the second half of a lddw")),
            Insn::LdAbs { size, imm } => self.ld_abs(st, pc, size, None, imm),
            Insn::LdInd { size, src, imm } => self.ld_abs(st, pc, size, Some(src), imm),
        }
    }
}

pub(super) fn jump_target(pc: InsnIdx, off: i64) -> Res<InsnIdx> {
    pc.jump(off)
        .ok_or_else(|| internal(pc, "jump target overflows"))
}

/// `BPF_F_TEST_REG_INVARIANTS`: every register's bounds (a scalar's, a pointer's variable
/// offset) are consistent after the instruction. The kernel refuses the program when its own
/// bounds fall out of sync; bpfvet's cannot unless an operator has a bug, which this surfaces.
fn reg_invariants(st: &AbstractState, pc: InsnIdx) -> Res<()> {
    for (n, r) in st.cur().regs.iter().enumerate() {
        let v = match r {
            RegState::Scalar { v, .. } => v,
            RegState::Ptr(p) => &p.var_off,
            RegState::Uninit => continue,
        };
        if !v.invariant_holds() {
            return Err(Violation::new(
                Code::InternalError,
                pc,
                format!("internal error: the bounds of r{n} are inconsistent ({v:?})"),
                format!("verifier bug: REG INVARIANTS VIOLATION (bpfvet): R{n} {v}"),
            ));
        }
    }
    Ok(())
}

pub(super) fn internal(pc: InsnIdx, what: &str) -> Box<Violation> {
    Violation::new(
        Code::InternalError,
        pc,
        format!("internal error: {what}"),
        "",
    )
}

/// Reads a register that must be initialized (the kernel's `check_reg_arg(SRC_OP)`).
pub(super) fn read(st: &AbstractState, pc: InsnIdx, r: Reg) -> Res<RegState> {
    let v = st.reg(r);
    if v.is_init() {
        Ok(v.clone())
    } else {
        Err(uninit(pc, r))
    }
}

pub(super) fn uninit(pc: InsnIdx, r: Reg) -> Box<Violation> {
    Violation::new(
        Code::UninitRegRead,
        pc,
        format!("{r} is read before it is written on this path"),
        format!("R{} !read_ok", r.num()),
    )
}

/// Checks that `r` may be written (the kernel's `check_reg_arg(DST_OP)`).
pub(super) fn writable(pc: InsnIdx, r: Reg) -> Res<()> {
    if r == Reg::FP {
        Err(Violation::new(
            Code::FramePointerWrite,
            pc,
            "r10 is the frame pointer and is read-only",
            "frame pointer is read only",
        ))
    } else {
        Ok(())
    }
}
