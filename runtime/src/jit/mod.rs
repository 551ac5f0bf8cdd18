//! The x86-64 JIT: same ISA, helper ABI and memory model as the interpreter.
//!
//! [`compile`] takes the analyzer's [`VerifiedProgram`] (a type only
//! `bpfvet_analyzer::verifier::verify_program` can build, from an `Accept` verdict) and emits
//! plain loads and stores ([`JitMode::Unchecked`]): speed rests on the analyzer's proof.
//! [`compile_checked`] ([`JitMode::Checked`]) takes any [`Program`] and routes every memory
//! access through the region checks of [`crate::mem::Memory`], bounds call depth and counts
//! backward jumps, so a wrong verdict shows up as a [`Fault`], never as a crash. Differential
//! runs, the conformance suite and the fuzzer use that mode; nothing else can reach the
//! unchecked mode.
//!
//! What the unchecked mode still checks, because the proof is about the program and not about
//! the run: the machine's maps match the verified map definitions (at compile time), and the
//! run's context is at least as large as the program type's context (at run time). Both modes
//! compile the verifier's *probe loads* (loads through BTF-typed kernel pointers, whose address
//! the verifier knows nothing about) as the kernel does `BPF_PROBE_MEM`: outside every region
//! they read 0 instead of faulting.
//!
//! Register mapping (the kernel's): `r0`=rax, `r1`=rdi, `r2`=rsi, `r3`=rdx, `r4`=rcx,
//! `r5`=r8, `r6`=rbx, `r7`=r13, `r8`=r14, `r9`=r15, `r10`=rbp; r12 holds the run's
//! [`JitEnv`]; r9, r10, r11 are scratch. A helper call is therefore a plain System V call with
//! the arguments already in place. BPF-to-BPF calls are native `call`s that save `r6`..`r10`
//! and move `r10` down one 512-byte frame; `exit` is `ret`.

mod emit;
mod mem;
mod rt;

use crate::machine::{Input, Machine, RunResult, FRAME_SIZE, MAX_FRAMES};
use crate::maps::MapId;
use crate::mem::CtxField;
use crate::program::Program;
use crate::{Fault, FaultKind};
use bpfvet_analyzer::isa::InsnIdx;
use bpfvet_analyzer::verifier::state::PtrKind;
use bpfvet_analyzer::verifier::{CtxBound, VerifiedProgram};

/// How memory accesses are compiled.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum JitMode {
    /// Direct loads and stores; only for analyzer-verified programs.
    Unchecked,
    /// Every access checked against the regions; safe for any program.
    Checked,
}

/// Why a program could not be compiled.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JitError {
    #[error("insn {insn}: jump or call to invalid slot {target}")]
    BadJump { insn: InsnIdx, target: i64 },
    #[error("insn {insn}: unsupported instruction: {what}")]
    Unsupported { insn: InsnIdx, what: &'static str },
    #[error("insn {insn}: kfunc {name} is not run by bpfvet's runtime (it runs the numeric and bits iterators, the dynptr and the cpumask kfuncs)")]
    UnsupportedKfunc { insn: InsnIdx, name: String },
    #[error("insn {insn}: lddw names map table entry {imm}, which does not exist")]
    BadMapRef { insn: InsnIdx, imm: i32 },
    #[error("the program falls off its last instruction")]
    FallsOffEnd,
    #[error("could not map executable memory: {0}")]
    Mmap(String),
    #[error("map {index}: {reason}")]
    MapMismatch { index: usize, reason: String },
}

/// The per-run state generated code reads and writes through `r12`. Field offsets are baked
/// into the code, hence `repr(C)`.
#[repr(C)]
#[derive(Debug)]
pub(crate) struct JitEnv {
    /// 0: running; 1: fault (in `fault` or `raw_*`); 2: tail call; 3: return 0 (a failed
    /// legacy packet load).
    status: u64,
    /// `rsp` of the innermost entry stub, to unwind to on a fault.
    saved_rsp: u64,
    /// `r10` at the last helper call (where callbacks put their frame).
    fp: u64,
    /// Helper id and instruction index of the current helper or slow call.
    helper_id: u32,
    pc: u32,
    /// Remaining backward jumps and calls (checked mode).
    budget: u64,
    /// Remaining fall-throughs of `may_goto` (both modes), as the interpreter counts them.
    may_goto: u64,
    limit: u64,
    /// Lowest valid `r10` of the running program (`MAX_FRAMES - 1` frames below its frame 0).
    stack_floor: u64,
    /// Lowest `r10` of the run so far: the unchecked mode's stores stay within the frames
    /// entered, so the stack below `min_fp - FRAME_SIZE` is still zero after the run.
    min_fp: u64,
    /// The packet pointers the context's pointer fields read as (0 without a packet), kept
    /// current across helper calls, so that a rewritten context load is one `mov`.
    pkt_data: u64,
    pkt_end: u64,
    pkt_meta: u64,
    /// The flow dissector's keys (`__sk_buff.flow_keys`; 0 when the run has none).
    flow_keys: u64,
    /// The region of the last slow load (`[hot_lo, hot_lo + hot_len)`), which later checked
    /// loads (and probe loads, in both modes) inside it read directly; cleared by every helper
    /// call, the only thing that can remove a region during a run.
    hot_lo: u64,
    hot_len: u64,
    /// Code address per instruction slot (0 where no subprogram can start), for `callx`.
    func_table: *const u64,
    n_funcs: u64,
    /// A fault raised by generated code itself: kind code and argument.
    raw_kind: u64,
    raw_arg: u64,
    machine: *mut Machine,
    program: *const JitProgram,
    fault: Option<Fault>,
    tail: Option<u32>,
    /// What program-array values name (`run_chain`; empty for `run`).
    chain: *const [*const JitProgram],
    /// Programs entered by followed tail calls, in order.
    entered: Vec<u32>,
}

/// Fault codes generated code writes to `raw_kind`.
pub(crate) const RAW_CALL_DEPTH: u64 = 1;
pub(crate) const RAW_BUDGET: u64 = 2;
pub(crate) const RAW_BAD_CALLX: u64 = 3;

/// A compiled program.
#[derive(Debug)]
pub struct JitProgram {
    code: mem::Code,
    /// Code address of each slot's first byte, 0 for slots that are not instruction starts.
    func_table: Vec<u64>,
    maps: Vec<crate::maps::MapId>,
    mode: JitMode,
    /// Unchecked mode: the smallest context a run may be given.
    min_ctx: Option<u32>,
}

/// Compiles a verified program in unchecked mode, its `lddw` map references bound to `maps`
/// (machine map ids, one per entry of `prog.maps()`, as [`crate::load::instantiate`] makes
/// them). Fails when `m`'s maps do not match the verified definitions (type, key, value size,
/// entries), when a context load yields a pointer the runtime does not model, or when the
/// program type's context is unbounded (syscall programs): then only [`compile_checked`] is
/// safe.
pub fn compile(
    prog: &VerifiedProgram,
    m: &Machine,
    maps: &[MapId],
) -> Result<JitProgram, JitError> {
    let CtxBound::Bytes(min_ctx) = prog.ctx_bound() else {
        return Err(JitError::Unsupported {
            insn: InsnIdx(0),
            what: "a context whose size is known only at run time",
        });
    };
    if maps.len() != prog.maps().len() {
        return Err(JitError::MapMismatch {
            index: maps.len().min(prog.maps().len()),
            reason: format!(
                "{} machine maps given for {} verified ones",
                maps.len(),
                prog.maps().len()
            ),
        });
    }
    for (index, (def, id)) in prog.maps().iter().zip(maps).enumerate() {
        let bad = |reason: String| JitError::MapMismatch { index, reason };
        let have = m
            .map(*id)
            .ok_or_else(|| bad(format!("machine has no map {}", id.0)))?;
        let used = crate::load::map_def_of(def).map_err(|e| bad(e.to_string()))?;
        let placeholder = crate::load::is_placeholder(have.def);
        if !placeholder && have.def != used {
            return Err(bad(format!(
                "machine map {} is {:?}, the program was verified against {:?}",
                id.0, have.def, used
            )));
        }
        if placeholder && crate::load::maps_used(prog.insns()).contains(&(index as u32)) {
            return Err(bad(
                "the program uses a map the runtime left out".to_string()
            ));
        }
    }
    let rules = bpfvet_analyzer::rules::ProgTypeRules::by_name(prog.prog_type());
    let mut ctx_loads = Vec::with_capacity(prog.ctx_loads().len());
    for &(insn, kind) in prog.ctx_loads() {
        let field = match kind {
            PtrKind::Packet => CtxField::Data,
            PtrKind::PacketEnd => CtxField::DataEnd,
            PtrKind::PacketMeta => CtxField::DataMeta,
            PtrKind::FlowKeys => CtxField::FlowKeys,
            // Netfilter's `state` and `skb` hold the addresses of the kernel objects the run
            // installs (`crate::netfilter`): a plain load yields them, and the loads through
            // them are probe loads.
            PtrKind::BtfId { .. } if prog.prog_type() == "netfilter" => continue,
            _ => {
                let off = match prog.insns().get(insn.idx()) {
                    Some(bpfvet_analyzer::isa::Insn::Load { off, .. }) => u32::try_from(*off).ok(),
                    _ => None,
                };
                let nullable = rules
                    .zip(off)
                    .and_then(|(r, o)| r.ctx_field(o))
                    .is_some_and(|f| f.yields_null);
                if !nullable {
                    return Err(JitError::Unsupported {
                        insn,
                        what: "a context load of a pointer the runtime does not model",
                    });
                }
                CtxField::Null
            }
        };
        ctx_loads.push((insn, field));
    }
    let program = Program::with_maps(prog.insns().to_vec(), maps.to_vec())
        .with_probe_loads(prog.probe_loads().to_vec())
        .with_kfuncs(prog.kfuncs().to_vec());
    let mut res = emit::compile(&program, &ctx_loads, JitMode::Unchecked)?;
    res.min_ctx = Some(min_ctx);
    Ok(res)
}

/// Compiles any program in checked mode.
pub fn compile_checked(prog: &Program) -> Result<JitProgram, JitError> {
    emit::compile(prog, &[], JitMode::Checked)
}

impl JitProgram {
    pub fn mode(&self) -> JitMode {
        self.mode
    }

    /// Runs the program once. In unchecked mode the input must be a context at least as large
    /// as the program type's (else a [`FaultKind::BadInput`] fault, before any code runs).
    /// A successful tail call ends the run, its target in [`RunResult::tail_call`].
    pub fn run(&self, m: &mut Machine, input: &Input) -> Result<RunResult, Fault> {
        self.run_chain(&[], m, input)
    }

    /// Runs the program and follows its tail calls through `programs` (a program-array value
    /// `p` names `programs[p]`), with the semantics of [`crate::interp::run_chain`]. Every
    /// program must accept the input.
    pub fn run_chain(
        &self,
        programs: &[&JitProgram],
        m: &mut Machine,
        input: &Input,
    ) -> Result<RunResult, Fault> {
        for p in std::iter::once(self).chain(programs.iter().copied()) {
            p.check_input(input)?;
        }
        let setup = m.begin_run(input);
        let insn_limit = m.env.insn_limit;
        let mut env = JitEnv {
            status: 0,
            saved_rsp: 0,
            fp: setup.stack_top,
            helper_id: 0,
            pc: 0,
            budget: insn_limit,
            may_goto: crate::machine::MAY_GOTO_BUDGET,
            limit: insn_limit,
            stack_floor: setup.stack_top - (FRAME_SIZE * (MAX_FRAMES - 1)) as u64,
            min_fp: setup.stack_top,
            pkt_data: 0,
            pkt_end: 0,
            pkt_meta: 0,
            flow_keys: 0,
            hot_lo: 0,
            hot_len: 0,
            func_table: self.func_table.as_ptr(),
            n_funcs: self.func_table.len() as u64,
            raw_kind: 0,
            raw_arg: 0,
            machine: m as *mut Machine,
            program: self as *const JitProgram,
            fault: None,
            tail: None,
            chain: programs as *const [&JitProgram] as *const [*const JitProgram],
            entered: Vec::new(),
        };
        rt::refresh_packet(&mut env, m);
        let args = [setup.r1, setup.r2, 0, 0, 0];
        let r0 = self
            .code
            .call(&mut env, &args, self.func_table[0], setup.stack_top);
        let unchecked = std::iter::once(self)
            .chain(programs.iter().copied())
            .any(|p| p.mode == JitMode::Unchecked);
        if unchecked {
            m.mem.note_stack_write(env.min_fp - FRAME_SIZE as u64);
        }
        match rt::outcome(&mut env, r0) {
            Ok(r0) => {
                let mut r = m.end_run(setup, r0, 0, env.tail)?;
                r.tail_calls = std::mem::take(&mut env.entered);
                Ok(r)
            }
            Err(f) => {
                m.abort_run();
                Err(f)
            }
        }
    }

    /// In unchecked mode, whether the input is a context at least as large as the program
    /// type's.
    fn check_input(&self, input: &Input) -> Result<(), Fault> {
        if let Some(min) = self.min_ctx {
            let ok = match input {
                Input::Context { ctx, .. } => ctx.len() >= min as usize,
                Input::None | Input::Buffer(_) => min == 0,
            };
            if !ok {
                return Err(Fault {
                    insn: InsnIdx(0),
                    kind: FaultKind::BadInput {
                        reason: format!(
                            "the verified program needs a context of at least {min} bytes"
                        ),
                    },
                });
            }
        }
        Ok(())
    }

    /// The code address of subprogram `func`, if it starts an instruction.
    pub(crate) fn func_addr(&self, func: u32) -> Option<u64> {
        self.func_table
            .get(func as usize)
            .copied()
            .filter(|&a| a != 0)
    }
}
