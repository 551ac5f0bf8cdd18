//! Run-time support for generated code, in safe Rust: helper dispatch, callbacks, the slow
//! paths of checked memory access, and turning the env's status into a result.

use super::{mem, JitEnv, RAW_BAD_CALLX, RAW_BUDGET, RAW_CALL_DEPTH};
use crate::helpers::{self, Callbacks, HelperRet};
use crate::machine::{Machine, FRAME_SIZE, MAX_FRAMES, MAY_GOTO_BUDGET};
use crate::mem::Access;
use crate::{Fault, FaultKind};
use bpfvet_analyzer::isa::InsnIdx;

/// Slow-path kinds (low byte of `packed`); the access size is the next byte and the
/// instruction index the high half.
pub(crate) const SLOW_LOAD: u64 = 1;
pub(crate) const SLOW_LOAD_SX: u64 = 2;
pub(crate) const SLOW_STORE: u64 = 3;
pub(crate) const SLOW_CHECK_WRITE: u64 = 4;
pub(crate) const SLOW_MAP_VALUE: u64 = 6;
pub(crate) const SLOW_LD_ABS: u64 = 7;
/// Probe loads (`BPF_PROBE_MEM`): 0 outside every region.
pub(crate) const SLOW_PROBE_LOAD: u64 = 8;
pub(crate) const SLOW_PROBE_LOAD_SX: u64 = 9;

pub(crate) const STATUS_FAULT: u64 = 1;
pub(crate) const STATUS_TAIL_CALL: u64 = 2;
pub(crate) const STATUS_RETURN_ZERO: u64 = 3;
/// A followed tail call has returned: the frame that made it returns its `r0`.
pub(crate) const STATUS_TAIL_DONE: u64 = 4;

fn raise(env: &mut JitEnv, pc: u32, kind: FaultKind) {
    if env.fault.is_none() {
        env.fault = Some(Fault {
            insn: InsnIdx(pc),
            kind,
        });
    }
    env.status = STATUS_FAULT;
}

/// Copies the packet pointers into the env, where rewritten context loads read them.
pub(crate) fn refresh_packet(env: &mut JitEnv, m: &Machine) {
    (env.pkt_meta, env.pkt_data, env.pkt_end) = m.mem.packet_bounds().unwrap_or((0, 0, 0));
    env.flow_keys = m.mem.flow_keys_addr().unwrap_or(0);
}

pub(crate) fn helper(env: &mut JitEnv, m: &mut Machine, args: [u64; 5]) -> u64 {
    let (id, pc) = (env.helper_id as i32, env.pc);
    if let Some(k) = crate::kfuncs::from_helper_id(id) {
        return match crate::kfuncs::call(m, k, args, pc) {
            Ok(v) => v,
            Err(kind) => {
                raise(env, pc, kind);
                0
            }
        };
    }
    let mut cb = JitCallbacks { env };
    let res = helpers::call(m, id, args, &mut cb);
    let env = cb.env;
    // `xdp_adjust_head` and friends move the packet; a ring-buffer commit removes a region.
    refresh_packet(env, m);
    env.hot_len = 0;
    match res {
        Ok(HelperRet::Value(v)) => v,
        Ok(HelperRet::TailCall(p)) => match mem::chain_program(env, p) {
            Some(target) => follow_tail_call(env, m, p, target, args[0]),
            None => {
                env.tail = Some(p);
                env.status = STATUS_TAIL_CALL;
                0
            }
        },
        Err(kind) => {
            raise(env, pc, kind);
            0
        }
    }
}

/// Runs `target` in place of the frame that called `tail_call` (its `r10` is `env.fp`), as
/// the interpreter does; the emitted call site then returns the result from that frame.
fn follow_tail_call(
    env: &mut JitEnv,
    m: &mut Machine,
    p: u32,
    target: &super::JitProgram,
    ctx: u64,
) -> u64 {
    env.entered.push(p);
    let caller = std::mem::replace(&mut env.program, target as *const super::JitProgram);
    let table = std::mem::replace(&mut env.func_table, target.func_table.as_ptr());
    let n_funcs = std::mem::replace(&mut env.n_funcs, target.func_table.len() as u64);
    // The target may call as deep below its frame 0 as any program.
    let floor = env.fp - (FRAME_SIZE * (MAX_FRAMES - 1)) as u64;
    let floor = std::mem::replace(&mut env.stack_floor, floor);
    let at = (env.fp, env.helper_id, env.pc);
    mem::set_machine(env, m);
    let may_goto = std::mem::replace(&mut env.may_goto, MAY_GOTO_BUDGET);
    let r = target
        .code
        .call(env, &[ctx, 0, 0, 0, 0], target.func_table[0], env.fp);
    env.may_goto = may_goto;
    (env.program, env.func_table, env.n_funcs, env.stack_floor) = (caller, table, n_funcs, floor);
    (env.fp, env.helper_id, env.pc) = at;
    match env.status {
        0 => {
            env.status = STATUS_TAIL_DONE;
            r
        }
        // A failed legacy packet load ends the target with 0.
        STATUS_RETURN_ZERO => {
            env.status = STATUS_TAIL_DONE;
            0
        }
        // A fault, or an unfollowed tail call, ends the whole run.
        _ => 0,
    }
}

struct JitCallbacks<'a> {
    env: &'a mut JitEnv,
}

impl Callbacks for JitCallbacks<'_> {
    fn call(&mut self, m: &mut Machine, func: u32, args: [u64; 5]) -> Result<u64, FaultKind> {
        let env = &mut *self.env;
        let fp = env.fp - FRAME_SIZE as u64;
        if fp < env.stack_floor {
            return Err(FaultKind::CallDepth {
                limit: MAX_FRAMES as u32,
            });
        }
        let prog = mem::program(env);
        let target = prog.func_addr(func).ok_or(FaultKind::BadCallTarget {
            target: u64::from(func),
        })?;
        let code = &prog.code;
        env.min_fp = env.min_fp.min(fp);
        mem::set_machine(env, m);
        let saved = (env.fp, env.helper_id, env.pc);
        let may_goto = std::mem::replace(&mut env.may_goto, MAY_GOTO_BUDGET);
        let r = code.call(env, &args, target, fp);
        env.may_goto = may_goto;
        (env.fp, env.helper_id, env.pc) = saved;
        match env.status {
            0 => Ok(r),
            STATUS_FAULT => {
                let f = take_fault(env);
                let kind = f.kind.clone();
                env.fault = Some(f);
                Err(kind)
            }
            // A tail call or a failed legacy load inside a callback ends the whole program.
            _ => Ok(0),
        }
    }
}

pub(crate) fn slow(env: &mut JitEnv, m: &mut Machine, a: u64, b: u64, packed: u64) -> u64 {
    let kind = packed & 0xff;
    let size = ((packed >> 8) & 0xff) as u32;
    let pc = (packed >> 32) as u32;
    let res = match kind {
        SLOW_LOAD => m.mem.load(a, size),
        SLOW_LOAD_SX => m.mem.load(a, size).map(|v| {
            let bits = 64 - size * 8;
            (((v << bits) as i64) >> bits) as u64
        }),
        SLOW_PROBE_LOAD => m.mem.probe_load(a, size),
        SLOW_PROBE_LOAD_SX => m.mem.probe_load(a, size).map(|v| {
            let bits = 64 - size * 8;
            (((v << bits) as i64) >> bits) as u64
        }),
        SLOW_STORE => m.mem.store(a, size, b).map(|()| 0),
        SLOW_CHECK_WRITE => m.mem.check(a, size.into(), Access::Write).map(|_| 0),
        SLOW_MAP_VALUE => {
            let mid = mem::program(env).maps[a as usize];
            match m.map_mut(mid).and_then(|map| map.lookup(&[0; 4])) {
                Some(base) => Ok(base.wrapping_add(b as u32 as u64)),
                None => Err(FaultKind::BadMapRef { imm: a as i32 }),
            }
        }
        SLOW_LD_ABS => {
            let v = m.mem.legacy_load(a as i32, size);
            match v {
                Some(v) => Ok(match size {
                    1 => v,
                    2 => u64::from((v as u16).swap_bytes()),
                    _ => u64::from((v as u32).swap_bytes()),
                }),
                None => {
                    env.status = STATUS_RETURN_ZERO;
                    return 0;
                }
            }
        }
        _ => Err(FaultKind::UnsupportedInsn {
            what: "unknown JIT slow path",
        }),
    };
    if matches!(
        kind,
        SLOW_LOAD | SLOW_LOAD_SX | SLOW_PROBE_LOAD | SLOW_PROBE_LOAD_SX
    ) {
        (env.hot_lo, env.hot_len) = m.mem.load_window().unwrap_or((0, 0));
    }
    match res {
        Ok(v) => v,
        Err(k) => {
            raise(env, pc, k);
            0
        }
    }
}

fn take_fault(env: &mut JitEnv) -> Fault {
    if let Some(f) = env.fault.take() {
        return f;
    }
    let insn = InsnIdx(env.pc);
    let kind = match env.raw_kind {
        RAW_CALL_DEPTH => FaultKind::CallDepth {
            limit: MAX_FRAMES as u32,
        },
        RAW_BUDGET => FaultKind::InsnLimit { limit: 0 },
        RAW_BAD_CALLX => FaultKind::BadCallTarget {
            target: env.raw_arg,
        },
        _ => FaultKind::UnsupportedInsn {
            what: "unknown JIT fault",
        },
    };
    Fault { insn, kind }
}

/// The result of a run from the env's final status.
pub(crate) fn outcome(env: &mut JitEnv, r0: u64) -> Result<u64, Fault> {
    match env.status {
        0 => Ok(r0),
        STATUS_FAULT => {
            let mut f = take_fault(env);
            if let FaultKind::InsnLimit { limit } = &mut f.kind {
                *limit = env.limit;
            }
            Err(f)
        }
        _ => Ok(0),
    }
}
