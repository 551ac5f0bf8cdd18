//! [`VerifiedProgram`]: a program the verifier accepted, the only input of the runtime's
//! unchecked JIT (`bpfvet_runtime::jit::compile`).
//!
//! The type has private fields and no public constructor: [`verify_program`] (or
//! [`verify_program_observed`]) builds it, and only from an `Accept` verdict. So "the JIT
//! compiles only programs the analyzer accepted" is a property of the types, not of the callers.
//!
//! Besides the linked instructions it carries what the JIT needs to know about them and cannot
//! recompute cheaply: the map definitions the `lddw`s index, the program type (whose context
//! layout bounds every context access the verifier allowed), and the *context pointer loads*,
//! the loads of `xdp_md.data`-like fields that the kernel rewrites (`convert_ctx_access`) into
//! loads of the real pointer. Those are found during exploration: a load whose source register is
//! the context on some path and whose result is a pointer. The arguments of a BTF-typed context
//! (tp_btf, fentry, iterators) are plain u64 slots that the kernel does not rewrite, so their
//! pointer loads are not context pointer loads.
//!
//! It also carries the *probe loads*: loads through a kernel object typed by BTF
//! (`PTR_TO_BTF_ID`) or through a map pointer (its `struct bpf_map`) on some path. The kernel compiles those as `BPF_PROBE_MEM` loads, whose
//! fault yields 0 instead of an oops, because the verifier knows nothing about the address
//! (a pointer field read from a kernel object may be anything). Runtimes must do the same.

use super::btf_ctx::{btf_ctx, BtfArg};
use super::engine::Observer;
use super::env::{Input, MapDef, Options};
use super::state::{AbstractState, PtrKind, RegState};
use super::verify::{verify_observed, Verdict, VerifyResult};
use super::violation::{Code, Violation};
use crate::isa::{Insn, InsnIdx};
use crate::rules::CtxModel;

/// How much of the context the verifier let the program touch.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum CtxBound {
    /// Every allowed access lies inside the first `n` bytes.
    Bytes(u32),
    /// The context is a user buffer whose size is known only at run time (syscall programs), or
    /// the model is not bounded statically: a run must check every context access.
    Unbounded,
}

/// A program the verifier accepted. See the module doc.
#[derive(Clone, Debug)]
pub struct VerifiedProgram {
    insns: Vec<Insn>,
    maps: Vec<MapDef>,
    prog_type: &'static str,
    ctx_bound: CtxBound,
    ctx_loads: Vec<(InsnIdx, PtrKind)>,
    probe_loads: Vec<InsnIdx>,
    /// The extern names of the kfunc calls, by instruction (from the loader's relocations).
    kfuncs: Vec<(InsnIdx, String)>,
    ctx_args: Option<Vec<BtfArg>>,
    /// The program implements a kernel function that returns nothing (a void struct_ops
    /// member): its r0 at exit means nothing.
    returns_nothing: bool,
}

impl VerifiedProgram {
    /// The linked instructions, exactly as verified.
    pub fn insns(&self) -> &[Insn] {
        &self.insns
    }

    /// The map definitions the instructions' `lddw` map references index.
    pub fn maps(&self) -> &[MapDef] {
        &self.maps
    }

    /// The program type's kernel name (`xdp`, `sched_cls`, ...).
    pub fn prog_type(&self) -> &'static str {
        self.prog_type
    }

    /// The context bytes the verifier allowed the program to access.
    pub fn ctx_bound(&self) -> CtxBound {
        self.ctx_bound
    }

    /// The loads that read a pointer out of the context, with the kind of pointer they yield
    /// (`Packet`, `PacketEnd`, `PacketMeta`, sockets...), sorted by instruction.
    pub fn ctx_loads(&self) -> &[(InsnIdx, PtrKind)] {
        &self.ctx_loads
    }

    /// The loads that read through a BTF-typed kernel pointer on some path, sorted: a run must
    /// give them the kernel's `BPF_PROBE_MEM` semantics (an address outside every object reads
    /// as 0, without a fault).
    pub fn probe_loads(&self) -> &[InsnIdx] {
        &self.probe_loads
    }

    /// The kfunc calls, by instruction, with the extern name each goes to: the instruction
    /// itself holds no kernel BTF id offline, so a runtime knows the callee from this.
    pub fn kfuncs(&self) -> &[(InsnIdx, String)] {
        &self.kfuncs
    }

    /// For a BTF-typed context (tp_btf, fentry, lsm, iterators): its u64 slots, typed by the
    /// kernel's BTF the program was verified against. `None` for every other context.
    pub fn ctx_args(&self) -> Option<&[BtfArg]> {
        self.ctx_args.as_deref()
    }

    /// Whether the program's result means nothing (it implements a void kernel function).
    pub fn returns_nothing(&self) -> bool {
        self.returns_nothing
    }
}

/// Verifies `input`; on `Accept`, wraps it as a [`VerifiedProgram`].
pub fn verify_program(input: &Input<'_>, opts: &Options) -> Result<VerifiedProgram, VerifyResult> {
    verify_program_observed(input, opts, &mut super::engine::NoObserver)
}

/// [`verify_program`], also reporting every step of the exploration to `obs`.
///
/// The wrapper watches every step itself (to find the context pointer loads), so the states
/// are cloned for each step whatever `obs` wants.
pub fn verify_program_observed<O: Observer>(
    input: &Input<'_>,
    opts: &Options,
    obs: &mut O,
) -> Result<VerifiedProgram, VerifyResult> {
    let mut watch = CtxLoadWatch {
        inner: obs,
        insns: input.insns,
        ptr_kind: vec![None; input.insns.len()],
        plain: vec![false; input.insns.len()],
        probe: vec![false; input.insns.len()],
        btf_args: input.prog_type.ctx == CtxModel::BtfArgs,
        conflict: None,
    };
    let mut res = verify_observed(input, opts, &mut watch);
    if res.verdict != Verdict::Accept {
        return Err(res);
    }
    // One instruction must read the same kind of pointer on every path, and never be a plain
    // load on another: the JIT rewrites the instruction, not a path (the kernel rejects the
    // same with "same insn cannot be used with different pointers").
    let mut conflict = watch.conflict;
    let mut ctx_loads = Vec::new();
    for (i, kind) in watch.ptr_kind.iter().enumerate() {
        if let Some(kind) = kind {
            let insn = InsnIdx(i as u32);
            if watch.plain[i] {
                conflict = conflict.or(Some(insn));
            }
            ctx_loads.push((insn, *kind));
        }
    }
    if let Some(insn) = conflict {
        res.verdict = Verdict::Reject;
        res.violations.push(*Violation::new(
            Code::InternalError,
            insn,
            "this load reads a context pointer field on one path and something else on another",
            "same insn cannot be used with different pointers",
        ));
        return Err(res);
    }
    let probe_loads = (0..watch.probe.len())
        .filter(|&i| watch.probe[i])
        .map(|i| InsnIdx(i as u32))
        .collect();
    // The analysis typed the same slots (it rejects the program when they cannot be typed).
    let typed = match (input.prog_type.ctx, input.kernel_btf, input.attach_target) {
        (CtxModel::BtfArgs, Some(k), Some(target)) => btf_ctx(k, input.attach, target).ok(),
        _ => None,
    };
    let returns_nothing = typed.as_ref().is_some_and(|c| c.void_return);
    let ctx_args = typed.map(|c| c.args);
    let ctx_bound = match input.prog_type.ctx {
        CtxModel::Fields(fields) => {
            CtxBound::Bytes(fields.iter().map(|f| f.off + f.size).max().unwrap_or(0))
        }
        CtxModel::ReadOnly { size } => CtxBound::Bytes(size),
        CtxModel::ReadOnlyRange { end, .. } => CtxBound::Bytes(end),
        CtxModel::U64Args { count } => CtxBound::Bytes(count.saturating_mul(8)),
        CtxModel::BtfArgs => ctx_args.as_ref().map_or(CtxBound::Unbounded, |a| {
            CtxBound::Bytes(u32::try_from(a.len() * 8).unwrap_or(u32::MAX))
        }),
        CtxModel::UserBuffer => CtxBound::Unbounded,
    };
    Ok(VerifiedProgram {
        insns: input.insns.to_vec(),
        maps: input.maps.to_vec(),
        prog_type: input.prog_type.name,
        ctx_bound,
        ctx_loads,
        probe_loads,
        ctx_args,
        returns_nothing,
        kfuncs: input
            .relocs
            .iter()
            .filter_map(|r| match &r.target {
                crate::program::RelocTarget::Extern { name }
                    if matches!(
                        input.insns.get(r.insn.idx()),
                        Some(Insn::Call(crate::isa::CallTarget::Kfunc { .. }))
                    ) =>
                {
                    Some((r.insn, name.clone()))
                }
                _ => None,
            })
            .collect(),
    })
}

/// Finds the context pointer loads, forwarding everything to the caller's observer.
struct CtxLoadWatch<'a, 'i, O: Observer> {
    inner: &'a mut O,
    insns: &'i [Insn],
    /// Per instruction: the pointer kind it loads out of the context on some path.
    ptr_kind: Vec<Option<PtrKind>>,
    /// Per instruction: whether it is, on some path, a load that does not read a pointer out of
    /// the context.
    plain: Vec<bool>,
    /// Per instruction: whether it loads through a BTF-typed kernel pointer on some path.
    probe: Vec<bool>,
    /// The context is BTF-typed u64 slots: loads from it are plain loads.
    btf_args: bool,
    /// A load that read two different pointer kinds out of the context.
    conflict: Option<InsnIdx>,
}

impl<O: Observer> Observer for CtxLoadWatch<'_, '_, O> {
    fn wants_states(&self) -> bool {
        true
    }

    fn step(&mut self, pc: InsnIdx, before: &AbstractState, after: Option<&AbstractState>) {
        if let (Some(Insn::Load { src, dst, .. }), Some(after)) = (self.insns.get(pc.idx()), after)
        {
            let from_ctx = matches!(before.reg(*src), RegState::Ptr(p) if p.kind == PtrKind::Ctx);
            // Kernel objects the runtime does not hold: a BTF-typed pointer's pointee, and the
            // `struct bpf_map` behind a map pointer (programs may read its fields).
            if matches!(before.reg(*src), RegState::Ptr(p) if matches!(p.kind, PtrKind::BtfId { .. } | PtrKind::MapPtr { .. } | PtrKind::UntrustedMem))
            {
                self.probe[pc.idx()] = true;
            }
            match (from_ctx && !self.btf_args, after.reg(*dst)) {
                (true, RegState::Ptr(p)) => match self.ptr_kind[pc.idx()] {
                    Some(k) if k != p.kind => self.conflict = self.conflict.or(Some(pc)),
                    _ => self.ptr_kind[pc.idx()] = Some(p.kind),
                },
                _ => self.plain[pc.idx()] = true,
            }
        }
        self.inner.step(pc, before, after);
    }

    fn path_start(&mut self, pc: InsnIdx) {
        self.inner.path_start(pc);
    }

    fn branch_resumed(&mut self, from: InsnIdx, pc: InsnIdx, state: &AbstractState) {
        self.inner.branch_resumed(from, pc, state);
    }

    fn pruned(&mut self, pc: InsnIdx) {
        self.inner.pruned(pc);
    }
}

/// The registers each instruction's successors may still read (bit n = rn), as the verifier's
/// pruning uses them: a register outside this set at an instruction may hold a value outside
/// the abstract state recorded there, because pruning compared only the live ones. Differential
/// checks of concrete runs against abstract states use it to skip dead registers.
pub fn live_regs(insns: &[Insn]) -> Vec<u16> {
    super::liveness::live_in(insns)
}
