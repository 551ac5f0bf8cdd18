//! The x86-64 JIT: same ISA, helper ABI and memory model as the interpreter.
//!
//! [`compile`] takes a [`VerifiedProgram`] and, in [`JitMode::Unchecked`], emits plain loads
//! and stores: speed rests on the analyzer's proof. [`compile_checked`] (or
//! [`JitMode::Checked`]) takes any [`Program`] and routes every memory access through the
//! region checks of [`crate::mem::Memory`], bounds call depth and counts backward jumps, so a
//! wrong verdict shows up as a [`Fault`], never as a crash. Differential runs use that mode.
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
use crate::program::{Program, VerifiedProgram};
use crate::Fault;
use bpfvet_analyzer::isa::InsnIdx;

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
    #[error("insn {insn}: lddw names map table entry {imm}, which does not exist")]
    BadMapRef { insn: InsnIdx, imm: i32 },
    #[error("the program falls off its last instruction")]
    FallsOffEnd,
    #[error("could not map executable memory: {0}")]
    Mmap(String),
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
    limit: u64,
    /// Lowest valid `r10`.
    stack_floor: u64,
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
}

/// Compiles a verified program.
pub fn compile(prog: &VerifiedProgram, mode: JitMode) -> Result<JitProgram, JitError> {
    emit::compile(prog.program(), prog.ctx_loads(), mode)
}

/// Compiles any program in checked mode.
pub fn compile_checked(prog: &Program) -> Result<JitProgram, JitError> {
    emit::compile(prog, &[], JitMode::Checked)
}

impl JitProgram {
    pub fn mode(&self) -> JitMode {
        self.mode
    }

    /// Runs the program once.
    pub fn run(&self, m: &mut Machine, input: &Input) -> Result<RunResult, Fault> {
        let setup = m.begin_run(input);
        let insn_limit = m.env.insn_limit;
        let mut env = JitEnv {
            status: 0,
            saved_rsp: 0,
            fp: setup.stack_top,
            helper_id: 0,
            pc: 0,
            budget: insn_limit,
            limit: insn_limit,
            stack_floor: setup.stack_top - (FRAME_SIZE * MAX_FRAMES) as u64 + FRAME_SIZE as u64,
            func_table: self.func_table.as_ptr(),
            n_funcs: self.func_table.len() as u64,
            raw_kind: 0,
            raw_arg: 0,
            machine: m as *mut Machine,
            program: self as *const JitProgram,
            fault: None,
            tail: None,
        };
        let args = [setup.r1, setup.r2, 0, 0, 0];
        let r0 = self
            .code
            .call(&mut env, &args, self.func_table[0], setup.stack_top);
        match rt::outcome(&mut env, r0) {
            Ok(r0) => Ok(m.end_run(setup, r0, 0, env.tail)),
            Err(f) => {
                m.abort_run();
                Err(f)
            }
        }
    }

    /// The code address of subprogram `func`, if it starts an instruction.
    pub(crate) fn func_addr(&self, func: u32) -> Option<u64> {
        self.func_table
            .get(func as usize)
            .copied()
            .filter(|&a| a != 0)
    }
}
