//! The interpreter: RFC 9669 semantics, every memory access checked against the regions.
//!
//! Programs are first pre-decoded ([`Prepared`]) into a flat array of 16-byte [`Op`]s: one per
//! slot, with the operation and operand kind folded into one dense tag (so dispatch is a
//! single jump table), immediates pre-extended, jump targets absolute, and invalid targets
//! turned into trap ops. The run loop then allocates nothing per instruction.
//!
//! Semantics that RFC 9669 fixes and that are easy to get wrong, all implemented here:
//! division by zero yields 0 and modulo by zero leaves `dst` unchanged (32-bit forms still
//! zero the upper half); `INT_MIN / -1` is `INT_MIN` and `INT_MIN % -1` is 0; shift counts are
//! masked to 5 or 6 bits; every 32-bit result is zero-extended; 64-bit compare and ALU
//! immediates are sign-extended.

use crate::helpers::{self, func_of_ptr, Callbacks, HelperRet};
use crate::kfuncs;
use crate::machine::{Input, Machine, RunResult, FRAME_SIZE, MAX_FRAMES, MAY_GOTO_BUDGET};
use crate::program::Program;
use crate::{Fault, FaultKind};
use bpfvet_analyzer::isa::InsnIdx;

mod prepare;
mod pure;

pub use prepare::Prepared;
use prepare::{
    Op, Trap, AT_ADD, AT_AND, AT_CMPXCHG, AT_FETCH, AT_OR, AT_XCHG, AT_XOR, K, PROBE_SX,
};

/// Runs a program once on the interpreter.
pub fn run(m: &mut Machine, prog: &Program, input: &Input) -> Result<RunResult, Fault> {
    run_prepared(m, &Prepared::new(prog), input)
}

/// Watches an interpreter run instruction by instruction (differential checks of concrete
/// states against abstract ones).
pub trait Tracer {
    /// The instruction at `pc` is about to execute with registers `regs` (`r0`..`r10`) in call
    /// frame `depth` (0: the main program; callbacks and local calls add one each).
    fn step(&mut self, m: &Machine, pc: InsnIdx, regs: &[u64; 11], depth: usize);

    /// Whether [`Tracer::step`] does anything: when not, runs of pure instructions go through
    /// a tighter loop that does not call it.
    const TRACES: bool = true;

    /// A tail call to `programs[target]` is about to start it in call frame `depth`; the
    /// following steps are that program's instructions.
    fn tail_call(&mut self, _target: u32, _depth: usize) {}

    /// The program the last [`Tracer::tail_call`] started has returned: the steps are the
    /// caller's again.
    fn tail_return(&mut self) {}
}

/// The tracer that watches nothing (compiled away).
#[derive(Debug)]
pub struct NoTrace;

impl Tracer for NoTrace {
    const TRACES: bool = false;

    #[inline(always)]
    fn step(&mut self, _: &Machine, _: InsnIdx, _: &[u64; 11], _: usize) {}
}

/// Runs a pre-decoded program once (prepare once, run many times, as in benchmarks).
pub fn run_prepared(m: &mut Machine, prog: &Prepared, input: &Input) -> Result<RunResult, Fault> {
    run_traced(m, prog, input, &mut NoTrace)
}

/// [`run_prepared`], calling `tracer` before every instruction. A successful tail call ends
/// the run, its target in [`RunResult::tail_call`]: only [`run_chain`] follows one.
pub fn run_traced<T: Tracer>(
    m: &mut Machine,
    prog: &Prepared,
    input: &Input,
    tracer: &mut T,
) -> Result<RunResult, Fault> {
    run_chain_traced(m, &[], prog, input, tracer)
}

/// Runs `entry` and follows its tail calls: a program-array value `p` names `programs[p]`
/// (a value past the end ends the run as in [`run_traced`]).
///
/// A tail call replaces the frame that made it, as the kernel's JITs do: the target starts
/// on that frame's stack with the context in `r1`, and its `r0` is what the frame returns.
/// From the main program that is the run's result; from a BPF-to-BPF subprogram (Linux 5.10
/// and later allow it) the subprogram's caller goes on with it. The context, packet and maps
/// the first program changed are what the next one sees.
pub fn run_chain(
    m: &mut Machine,
    programs: &[&Prepared],
    entry: &Prepared,
    input: &Input,
) -> Result<RunResult, Fault> {
    run_chain_traced(m, programs, entry, input, &mut NoTrace)
}

/// [`run_chain`], calling `tracer` before every instruction and at every program change.
pub fn run_chain_traced<T: Tracer>(
    m: &mut Machine,
    programs: &[&Prepared],
    entry: &Prepared,
    input: &Input,
    tracer: &mut T,
) -> Result<RunResult, Fault> {
    let setup = m.begin_run(input);
    let mut it = Interp {
        tracer,
        prog: entry,
        programs,
        n_insns: 0,
        limit: m.env.insn_limit,
        may_goto: MAY_GOTO_BUDGET,
        depth: 0,
        base_depth: 0,
        tail: None,
        entered: Vec::new(),
        stack_top: setup.stack_top,
    };
    let mut regs = [0u64; 11];
    regs[1] = setup.r1;
    regs[2] = setup.r2;
    regs[10] = setup.stack_top;
    match it.exec(m, 0, regs) {
        Ok(r0) => {
            let n = it.n_insns;
            let mut r = m.end_run(setup, r0, n, it.tail)?;
            r.tail_calls = it.entered;
            Ok(r)
        }
        Err(e) => {
            m.abort_run();
            Err(e)
        }
    }
}

struct Interp<'p, T: Tracer> {
    tracer: &'p mut T,
    /// The program running now.
    prog: &'p Prepared,
    /// What program-array values name.
    programs: &'p [&'p Prepared],
    n_insns: u64,
    limit: u64,
    may_goto: u64,
    /// Frame depth of the code currently running (0 = main program).
    depth: usize,
    /// The depth of the running program's frame 0 (a tail call from a subprogram starts its
    /// target deeper); each program may call `MAX_FRAMES - 1` frames deeper than that.
    base_depth: usize,
    /// A tail call not followed (its target is not in `programs`): the run ends.
    tail: Option<u32>,
    /// Programs entered by tail calls, in order.
    entered: Vec<u32>,
    stack_top: u64,
}

struct Frame {
    ret: usize,
    saved: [u64; 5],
    /// The caller's remaining `may_goto` count.
    may_goto: u64,
}

impl<T: Tracer> Callbacks for Interp<'_, T> {
    fn call(&mut self, m: &mut Machine, func: u32, args: [u64; 5]) -> Result<u64, FaultKind> {
        if self.depth - self.base_depth + 1 >= MAX_FRAMES {
            return Err(FaultKind::CallDepth {
                limit: MAX_FRAMES as u32,
            });
        }
        let mut regs = [0u64; 11];
        regs[1..6].copy_from_slice(&args);
        // The callback's frame sits below the caller's.
        let saved_depth = self.depth;
        regs[10] = self.fp_at(saved_depth + 1);
        self.depth += 1;
        let may_goto = std::mem::replace(&mut self.may_goto, MAY_GOTO_BUDGET);
        let r = self.exec(m, func as usize, regs);
        self.may_goto = may_goto;
        self.depth = saved_depth;
        r.map_err(|f| f.kind)
    }
}

#[inline(always)]
fn sx(v: u64, bits: u32) -> u64 {
    (((v << (64 - bits)) as i64) >> (64 - bits)) as u64
}

impl<T: Tracer> Interp<'_, T> {
    fn fp_at(&self, depth: usize) -> u64 {
        self.stack_top - (depth * FRAME_SIZE) as u64
    }
}

impl<'p, T: Tracer> Interp<'p, T> {
    /// Runs from `pc` with `regs` until the `exit` of the frame it starts in.
    #[allow(clippy::too_many_lines)]
    fn exec(&mut self, m: &mut Machine, mut pc: usize, regs: [u64; 11]) -> Result<u64, Fault> {
        // Sixteen slots indexed by a 4-bit mask: no bounds check per register access.
        let mut r = [0u64; 16];
        r[..11].copy_from_slice(&regs);
        let ops = &self.prog.ops[..];
        let mut frames: Vec<Frame> = Vec::new();
        // The count stays in a local and goes back to `self` around helper calls,
        // whose callbacks run nested `exec`s that go on counting, and on the way out.
        let mut n = self.n_insns;
        let limit = self.limit;
        macro_rules! ret {
            ($v:expr) => {{
                self.n_insns = n;
                return Ok($v);
            }};
        }
        // Leaves the current frame with `r0` (an `exit`, or a tail call's end).
        macro_rules! exit_frame {
            () => {
                match frames.pop() {
                    None => ret!(r[0]),
                    Some(f) => {
                        r[6..10].copy_from_slice(&f.saved[..4]);
                        r[10] = f.saved[4];
                        self.may_goto = f.may_goto;
                        self.depth -= 1;
                        pc = f.ret;
                    }
                }
            };
        }
        // Goes on after a helper call as `helper` says.
        macro_rules! after_helper {
            ($after:expr) => {
                match $after {
                    AfterHelper::Next(v) => r[0] = v,
                    AfterHelper::ExitFrame(v) => {
                        r[0] = v;
                        exit_frame!();
                    }
                    AfterHelper::EndRun(v) => ret!(v),
                }
            };
        }
        loop {
            if !T::TRACES && pure::is_pure(ops[pc].k) {
                pc = pure::run(ops, &mut r, pc, &mut n, limit);
            }
            let o = ops[pc];
            self.tracer.step(
                m,
                InsnIdx(pc as u32),
                r[..11].try_into().expect("11 registers"),
                self.depth,
            );
            let d = usize::from(o.dst & 15);
            let s = usize::from(o.src & 15);
            n += 1;
            if n > limit {
                self.n_insns = n;
                return Err(fault(pc, FaultKind::InsnLimit { limit }));
            }
            pc += 1;
            // Untraced, `pure::run` has run every pure instruction up to here (or the budget
            // ran out, and the check above faulted).
            if T::TRACES && pure::step(o, &mut r, &mut pc) {
                continue;
            }
            let imm = o.imm;
            match o.k {
                K::LdMapValue => {
                    let mid = self.prog.maps[imm as usize];
                    let base = m.map_mut(mid).and_then(|map| map.lookup(&[0; 4]));
                    match base {
                        Some(a) => r[d] = a.wrapping_add(o.off as u32 as u64),
                        None => {
                            return Err(fault(pc - 1, FaultKind::BadMapRef { imm: imm as i32 }))
                        }
                    }
                    pc += 1;
                }
                K::LdxB => {
                    r[d] = m
                        .mem
                        .load(r[s].wrapping_add(o.off as i64 as u64), 1)
                        .map_err(|e| fault(pc - 1, e))?
                }
                K::LdxH => {
                    r[d] = m
                        .mem
                        .load(r[s].wrapping_add(o.off as i64 as u64), 2)
                        .map_err(|e| fault(pc - 1, e))?
                }
                K::LdxW => {
                    r[d] = m
                        .mem
                        .load(r[s].wrapping_add(o.off as i64 as u64), 4)
                        .map_err(|e| fault(pc - 1, e))?
                }
                K::LdxDW => {
                    r[d] = m
                        .mem
                        .load(r[s].wrapping_add(o.off as i64 as u64), 8)
                        .map_err(|e| fault(pc - 1, e))?
                }
                K::LdxSB => {
                    r[d] = sx(
                        m.mem
                            .load(r[s].wrapping_add(o.off as i64 as u64), 1)
                            .map_err(|e| fault(pc - 1, e))?,
                        8,
                    )
                }
                K::LdxSH => {
                    r[d] = sx(
                        m.mem
                            .load(r[s].wrapping_add(o.off as i64 as u64), 2)
                            .map_err(|e| fault(pc - 1, e))?,
                        16,
                    )
                }
                K::LdxSW => {
                    r[d] = sx(
                        m.mem
                            .load(r[s].wrapping_add(o.off as i64 as u64), 4)
                            .map_err(|e| fault(pc - 1, e))?,
                        32,
                    )
                }
                K::LdxProbe => {
                    let size = u32::from(o.aux & 0xf);
                    let v = m
                        .mem
                        .probe_load(r[s].wrapping_add(o.off as i64 as u64), size)
                        .map_err(|e| fault(pc - 1, e))?;
                    r[d] = if o.aux & PROBE_SX != 0 {
                        sx(v, size * 8)
                    } else {
                        v
                    };
                }
                K::StB => m
                    .mem
                    .store(r[d].wrapping_add(o.off as i64 as u64), 1, imm)
                    .map_err(|e| fault(pc - 1, e))?,
                K::StH => m
                    .mem
                    .store(r[d].wrapping_add(o.off as i64 as u64), 2, imm)
                    .map_err(|e| fault(pc - 1, e))?,
                K::StW => m
                    .mem
                    .store(r[d].wrapping_add(o.off as i64 as u64), 4, imm)
                    .map_err(|e| fault(pc - 1, e))?,
                K::StDW => m
                    .mem
                    .store(r[d].wrapping_add(o.off as i64 as u64), 8, imm)
                    .map_err(|e| fault(pc - 1, e))?,
                K::StxB => m
                    .mem
                    .store(r[d].wrapping_add(o.off as i64 as u64), 1, r[s])
                    .map_err(|e| fault(pc - 1, e))?,
                K::StxH => m
                    .mem
                    .store(r[d].wrapping_add(o.off as i64 as u64), 2, r[s])
                    .map_err(|e| fault(pc - 1, e))?,
                K::StxW => m
                    .mem
                    .store(r[d].wrapping_add(o.off as i64 as u64), 4, r[s])
                    .map_err(|e| fault(pc - 1, e))?,
                K::StxDW => m
                    .mem
                    .store(r[d].wrapping_add(o.off as i64 as u64), 8, r[s])
                    .map_err(|e| fault(pc - 1, e))?,
                K::Atomic32 | K::Atomic64 => {
                    let addr = r[d].wrapping_add(o.off as i64 as u64);
                    let (size, mask) = if o.k == K::Atomic32 {
                        (4, 0xffff_ffff)
                    } else {
                        (8, u64::MAX)
                    };
                    m.mem
                        .check(addr, size.into(), crate::mem::Access::Write)
                        .map_err(|e| fault(pc - 1, e))?;
                    let old = m.mem.load(addr, size).map_err(|e| fault(pc - 1, e))?;
                    let v = r[s] & mask;
                    let new = match o.aux & !AT_FETCH {
                        AT_ADD => old.wrapping_add(v) & mask,
                        AT_OR => old | v,
                        AT_AND => old & v,
                        AT_XOR => old ^ v,
                        AT_XCHG => v,
                        _ => {
                            // cmpxchg: compare with r0 (of the same width).
                            if r[0] & mask == old {
                                v
                            } else {
                                old
                            }
                        }
                    };
                    m.mem.store(addr, size, new).map_err(|e| fault(pc - 1, e))?;
                    if o.aux & !AT_FETCH == AT_CMPXCHG {
                        r[0] = old;
                    } else if o.aux & AT_FETCH != 0 {
                        r[s] = old;
                    }
                }
                K::LoadAcq => {
                    let v = m
                        .mem
                        .load(r[s].wrapping_add(o.off as i64 as u64), imm as u32)
                        .map_err(|e| fault(pc - 1, e))?;
                    r[d] = v;
                }
                K::StoreRel => {
                    m.mem
                        .store(r[d].wrapping_add(o.off as i64 as u64), imm as u32, r[s])
                        .map_err(|e| fault(pc - 1, e))?;
                }
                K::MayGoto => {
                    if self.may_goto == 0 {
                        pc = o.off as usize;
                    } else {
                        self.may_goto -= 1;
                    }
                }
                K::CallHelper => {
                    self.n_insns = n;
                    let after = self.helper(m, pc - 1, imm as i32, &r)?;
                    n = self.n_insns;
                    after_helper!(after);
                }
                K::CallLocal => {
                    self.local_call(&mut frames, &mut r, pc, pc - 1)?;
                    pc = o.off as usize;
                }
                K::Callx => {
                    let t = r[d];
                    if let Some(func) = func_of_ptr(t).filter(|&f| (f as usize) < ops.len() - 1) {
                        self.local_call(&mut frames, &mut r, pc, pc - 1)?;
                        pc = func as usize;
                    } else if let Ok(id) = i32::try_from(t) {
                        // uBPF's convention: a plain number is a helper id.
                        self.n_insns = n;
                        let after = self.helper(m, pc - 1, id, &r)?;
                        n = self.n_insns;
                        after_helper!(after);
                    } else {
                        return Err(fault(pc - 1, FaultKind::BadCallTarget { target: t }));
                    }
                }
                K::Exit => exit_frame!(),
                K::LdAbs | K::LdInd => {
                    let base = if o.k == K::LdInd { r[s] } else { 0 };
                    let size = u32::from(o.aux);
                    // The offset is an `int`: negative ones read relative to the headers.
                    let v = m.mem.legacy_load(base.wrapping_add(imm) as i32, size);
                    match v {
                        // Network byte order.
                        Some(v) => {
                            r[0] = match size {
                                1 => v,
                                2 => u64::from((v as u16).swap_bytes()),
                                _ => u64::from((v as u32).swap_bytes()),
                            };
                        }
                        // An out-of-bounds legacy load ends the program with 0.
                        None => ret!(0),
                    }
                }
                K::Trap => return Err(fault(pc - 1, trap_kind(o, self.prog))),
                // `pure::step` ran every other kind above.
                _ => {
                    return Err(fault(
                        pc - 1,
                        FaultKind::UnsupportedInsn {
                            what: "internal: a pure instruction reached the main loop",
                        },
                    ))
                }
            }
        }
    }

    fn local_call(
        &mut self,
        frames: &mut Vec<Frame>,
        r: &mut [u64; 16],
        ret: usize,
        at: usize,
    ) -> Result<(), Fault> {
        if self.depth - self.base_depth + 1 >= MAX_FRAMES {
            return Err(fault(
                at,
                FaultKind::CallDepth {
                    limit: MAX_FRAMES as u32,
                },
            ));
        }
        let mut saved = [0u64; 5];
        saved[..4].copy_from_slice(&r[6..10]);
        saved[4] = r[10];
        frames.push(Frame {
            ret,
            saved,
            may_goto: std::mem::replace(&mut self.may_goto, MAY_GOTO_BUDGET),
        });
        self.depth += 1;
        r[10] -= FRAME_SIZE as u64;
        Ok(())
    }

    // Out of line: inlined, it would crowd the run loop's registers.
    #[inline(never)]
    fn helper(
        &mut self,
        m: &mut Machine,
        at: usize,
        id: i32,
        r: &[u64; 16],
    ) -> Result<AfterHelper, Fault> {
        let args = [r[1], r[2], r[3], r[4], r[5]];
        if let Some(k) = kfuncs::from_helper_id(id) {
            return kfuncs::call(m, k, args, at as u32)
                .map(AfterHelper::Next)
                .map_err(|e| fault(at, e));
        }
        let v = match helpers::call(m, id, args, self).map_err(|e| fault(at, e))? {
            HelperRet::Value(v) => v,
            HelperRet::TailCall(p) => match self.programs.get(p as usize) {
                Some(&target) => {
                    let v = self.follow_tail_call(m, p, target, args[0], r[10])?;
                    if self.tail.is_none() {
                        return Ok(AfterHelper::ExitFrame(v));
                    }
                    v
                }
                None => {
                    self.tail = Some(p);
                    0
                }
            },
        };
        // An unfollowed tail call, here or in a callback or target the helper ran, ends the run.
        Ok(if self.tail.is_some() {
            AfterHelper::EndRun(v)
        } else {
            AfterHelper::Next(v)
        })
    }

    /// Runs `target` in place of the frame at `fp` and returns its `r0` (the caller then
    /// leaves that frame with it).
    fn follow_tail_call(
        &mut self,
        m: &mut Machine,
        p: u32,
        target: &'p Prepared,
        ctx: u64,
        fp: u64,
    ) -> Result<u64, Fault> {
        self.entered.push(p);
        self.tracer.tail_call(p, self.depth);
        let caller = std::mem::replace(&mut self.prog, target);
        let base = std::mem::replace(&mut self.base_depth, self.depth);
        let mut regs = [0u64; 11];
        regs[1] = ctx;
        regs[10] = fp;
        let may_goto = std::mem::replace(&mut self.may_goto, MAY_GOTO_BUDGET);
        let r = self.exec(m, 0, regs);
        self.may_goto = may_goto;
        self.prog = caller;
        self.base_depth = base;
        self.tracer.tail_return();
        r
    }
}

/// How the interpreter goes on after a helper call.
enum AfterHelper {
    /// With `r0` = this, at the next instruction.
    Next(u64),
    /// A followed tail call returned this: the frame that made it returns it.
    ExitFrame(u64),
    /// An unfollowed tail call: the run ends with this `r0`.
    EndRun(u64),
}

fn trap_kind(o: Op, prog: &Prepared) -> FaultKind {
    match o.aux {
        x if x == Trap::Kfunc as u8 && (o.imm as usize) < prog.unsupported_kfuncs.len() => {
            FaultKind::UnsupportedKfunc {
                name: prog.unsupported_kfuncs[o.imm as usize].clone(),
            }
        }
        x if x == Trap::BadJump as u8 => FaultKind::BadJump {
            target: o.imm as i64,
        },
        x if x == Trap::BadMap as u8 => FaultKind::BadMapRef { imm: o.imm as i32 },
        x if x == Trap::Kfunc as u8 => FaultKind::UnsupportedInsn { what: "kfunc call" },
        x if x == Trap::AddrSpaceCast as u8 => FaultKind::UnsupportedInsn {
            what: "addr_space_cast",
        },
        _ => FaultKind::UnsupportedInsn {
            what: "lddw of a BTF id",
        },
    }
}

fn fault(pc: usize, kind: FaultKind) -> Fault {
    Fault {
        insn: InsnIdx(pc as u32),
        kind,
    }
}

fn sdiv32(a: u32, b: u32) -> u32 {
    if b == 0 {
        0
    } else {
        (a as i32).wrapping_div(b as i32) as u32
    }
}

fn smod32(a: u32, b: u32) -> u32 {
    if b == 0 {
        a
    } else {
        (a as i32).wrapping_rem(b as i32) as u32
    }
}

fn sdiv64(a: u64, b: u64) -> u64 {
    if b == 0 {
        0
    } else {
        (a as i64).wrapping_div(b as i64) as u64
    }
}

fn smod64(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        (a as i64).wrapping_rem(b as i64) as u64
    }
}
