//! Instruction selection: one x86-64 sequence per BPF instruction, emitted with `dynasm!`.
//!
//! Layout of the buffer: the entry stub, shared exit paths (`->fault_exit`), then the program,
//! one dynamic label per slot. See the module doc of `jit` for the register mapping.

use super::rt::{
    SLOW_CHECK_WRITE, SLOW_LD_ABS, SLOW_LOAD, SLOW_LOAD_SX, SLOW_MAP_VALUE, SLOW_PROBE_LOAD,
    SLOW_PROBE_LOAD_SX, SLOW_STORE, STATUS_TAIL_DONE,
};
use super::{
    mem, JitEnv, JitError, JitMode, JitProgram, RAW_BAD_CALLX, RAW_BUDGET, RAW_CALL_DEPTH,
};
use crate::helpers::{FUNC_PTR_TAG, MAP_PTR_TAG};
use crate::kfuncs;
use crate::machine::{FRAME_SIZE, MAY_GOTO_BUDGET};
use crate::mem::CtxField;
use crate::program::Program;
use bpfvet_analyzer::isa::{
    AluOp, AtomicOp, CallTarget, Cond, EndianOp, Insn, InsnIdx, Operand, PseudoSrc, Size, Width,
};
use dynasmrt::x64::Assembler;
use dynasmrt::{dynasm, AssemblyOffset, DynamicLabel, DynasmApi, DynasmLabelApi};
use std::mem::offset_of;

const RAX: u8 = 0;
const R9: u8 = 9;
const R10: u8 = 10;

/// x86 register number of each BPF register.
const REG: [u8; 11] = [0, 7, 6, 2, 1, 8, 3, 13, 14, 15, 5];

macro_rules! off {
    ($f:ident) => {
        offset_of!(JitEnv, $f) as i32
    };
}

struct Emitter<'a> {
    ops: Assembler,
    labels: Vec<DynamicLabel>,
    mode: JitMode,
    prog: &'a Program,
    ctx_loads: &'a [(InsnIdx, CtxField)],
}

pub(crate) fn compile(
    prog: &Program,
    ctx_loads: &[(InsnIdx, CtxField)],
    mode: JitMode,
) -> Result<JitProgram, JitError> {
    let insns = prog.insns();
    let n = insns.len();
    if n == 0 || insns[n - 1].falls_through() && !matches!(insns[n - 1], Insn::Exit) {
        return Err(JitError::FallsOffEnd);
    }
    let ops = Assembler::new().map_err(|e| JitError::Mmap(e.to_string()))?;
    let mut e = Emitter {
        ops,
        labels: Vec::with_capacity(n),
        mode,
        prog,
        ctx_loads,
    };
    for _ in 0..n {
        let l = e.ops.new_dynamic_label();
        e.labels.push(l);
    }
    let entry = e.entry();
    let mut starts = vec![None; n];
    for (i, insn) in insns.iter().enumerate() {
        if *insn == Insn::LdImm64Tail {
            continue;
        }
        let l = e.labels[i];
        starts[i] = Some(e.ops.offset());
        dynasm!(e.ops ; .arch x64 ; =>l);
        e.insn(i, insn)?;
    }
    let buf = e
        .ops
        .finalize()
        .map_err(|_| JitError::Mmap("finalize failed".into()))?;
    let code = mem::Code::new(buf, entry);
    let func_table = starts
        .iter()
        .map(|s| s.map_or(0, |o: AssemblyOffset| code.addr(o)))
        .collect();
    Ok(JitProgram {
        min_ctx: None,
        code,
        func_table,
        maps: prog.maps().to_vec(),
        mode,
    })
}

fn cc_label(e: &mut Emitter<'_>, cond: Cond, l: DynamicLabel) {
    match cond {
        Cond::Eq => dynasm!(e.ops ; .arch x64 ; je =>l),
        Cond::Ne => dynasm!(e.ops ; .arch x64 ; jne =>l),
        Cond::Gt => dynasm!(e.ops ; .arch x64 ; ja =>l),
        Cond::Ge => dynasm!(e.ops ; .arch x64 ; jae =>l),
        Cond::Lt => dynasm!(e.ops ; .arch x64 ; jb =>l),
        Cond::Le => dynasm!(e.ops ; .arch x64 ; jbe =>l),
        Cond::SGt => dynasm!(e.ops ; .arch x64 ; jg =>l),
        Cond::SGe => dynasm!(e.ops ; .arch x64 ; jge =>l),
        Cond::SLt => dynasm!(e.ops ; .arch x64 ; jl =>l),
        Cond::SLe => dynasm!(e.ops ; .arch x64 ; jle =>l),
        Cond::Set => dynasm!(e.ops ; .arch x64 ; jnz =>l),
    }
}

impl Emitter<'_> {
    /// `entry(env, args, target, fp)`: saves callee-saved registers and the previous unwind
    /// point, loads `r1`..`r5` and `r10`, and calls `target`. Also emits the shared exits.
    fn entry(&mut self) -> AssemblyOffset {
        let at = self.ops.offset();
        dynasm!(self.ops
            ; .arch x64
            ; push rbp
            ; push rbx
            ; push r12
            ; push r13
            ; push r14
            ; push r15
            ; mov r12, rdi
            ; push QWORD [r12 + off!(saved_rsp)]
            ; sub rsp, 8
            ; mov [r12 + off!(saved_rsp)], rsp
            ; mov r11, rdx
            ; mov rbp, rcx
            ; mov r10, rsi
            ; mov rdi, [r10]
            ; mov rsi, [r10 + 8]
            ; mov rdx, [r10 + 16]
            ; mov rcx, [r10 + 24]
            ; mov r8, [r10 + 32]
            ; call r11
            ; ->epilogue:
            ; add rsp, 8
            ; pop QWORD [r12 + off!(saved_rsp)]
            ; pop r15
            ; pop r14
            ; pop r13
            ; pop r12
            ; pop rbx
            ; pop rbp
            ; ret
            ; ->fault_exit:
            ; mov rsp, [r12 + off!(saved_rsp)]
            ; jmp ->epilogue
            ; ->raw_fault:
            // raw_kind, raw_arg and pc are already stored.
            ; mov QWORD [r12 + off!(status)], 1
            ; jmp ->fault_exit
        );
        at
    }

    fn raw_fault(&mut self, pc: usize, kind: u64) {
        dynasm!(self.ops
            ; .arch x64
            ; mov DWORD [r12 + off!(pc)], pc as i32
            ; mov QWORD [r12 + off!(raw_kind)], kind as i32
            ; jmp ->raw_fault
        );
    }

    fn target(&self, i: usize, off: i64) -> Result<DynamicLabel, JitError> {
        let t = i as i64 + 1 + off;
        let insns = self.prog.insns();
        if t < 0 || t as usize >= insns.len() || insns[t as usize] == Insn::LdImm64Tail {
            return Err(JitError::BadJump {
                insn: InsnIdx(i as u32),
                target: t,
            });
        }
        Ok(self.labels[t as usize])
    }

    /// Checked mode: counts one unit of budget at a backward jump or a call.
    fn budget(&mut self, pc: usize) {
        if self.mode == JitMode::Checked {
            dynasm!(self.ops
                ; .arch x64
                ; sub QWORD [r12 + off!(budget)], 1
                ; jae >ok
            );
            self.raw_fault(pc, RAW_BUDGET);
            dynasm!(self.ops ; .arch x64 ; ok:);
        }
    }

    /// Calls `slow_tramp(env, r10, r11, packed)`, preserving `r0`..`r5`; the result is left
    /// in r10. Exits on a fault.
    fn slow_call(&mut self, kind: u64, size: u32, pc: usize) {
        let packed = kind | (u64::from(size) << 8) | ((pc as u64) << 32);
        let f = mem::slow_tramp as *const () as usize as i64;
        dynasm!(self.ops
            ; .arch x64
            ; push rax
            ; push rdi
            ; push rsi
            ; push rdx
            ; push rcx
            ; push r8
            ; mov rdi, r12
            ; mov rsi, r10
            ; mov rdx, r11
            ; mov rcx, QWORD packed as i64
            ; mov rax, QWORD f
            ; call rax
            ; mov r10, rax
            ; pop r8
            ; pop rcx
            ; pop rdx
            ; pop rsi
            ; pop rdi
            ; pop rax
            ; cmp QWORD [r12 + off!(status)], 0
            ; jne ->fault_exit
        );
    }

    /// Calls helper `id` (already in place: `r1`..`r5`); `r0` gets the result.
    fn helper_call(&mut self, pc: usize, id: Option<i32>) {
        let f = mem::helper_tramp as *const () as usize as i64;
        if let Some(id) = id {
            dynasm!(self.ops ; .arch x64 ; mov DWORD [r12 + off!(helper_id)], id);
        }
        dynasm!(self.ops
            ; .arch x64
            ; mov DWORD [r12 + off!(pc)], pc as i32
            ; mov [r12 + off!(fp)], rbp
            ; mov r9, r12
            ; mov rax, QWORD f
            ; call rax
        );
        if id.map_or(true, |id| id == crate::helpers::id::TAIL_CALL) {
            // A followed tail call returns here with the target's `r0`: the frame that made
            // it returns that, as if from its `exit`.
            dynasm!(self.ops
                ; .arch x64
                ; cmp QWORD [r12 + off!(status)], 0
                ; je >ok
                ; cmp QWORD [r12 + off!(status)], STATUS_TAIL_DONE as i32
                ; jne ->fault_exit
                ; mov QWORD [r12 + off!(status)], 0
                ; ret
                ; ok:
            );
        } else {
            dynasm!(self.ops
                ; .arch x64
                ; cmp QWORD [r12 + off!(status)], 0
                ; jne ->fault_exit
            );
        }
    }

    /// A BPF-to-BPF call to the code address in r11 (`indirect`) or to a label.
    fn local_call(&mut self, pc: usize, target: Option<DynamicLabel>) {
        self.budget(pc);
        dynasm!(self.ops
            ; .arch x64
            ; push rbx
            ; push r13
            ; push r14
            ; push r15
            ; push rbp
            ; sub rbp, FRAME_SIZE as i32
            ; cmp rbp, [r12 + off!(stack_floor)]
            ; jae >ok
        );
        self.raw_fault(pc, RAW_CALL_DEPTH);
        dynasm!(self.ops
            ; .arch x64
            ; ok:
            ; cmp rbp, [r12 + off!(min_fp)]
            ; jae >seen
            ; mov [r12 + off!(min_fp)], rbp
            ; seen:
        );
        // The callee gets its own `may_goto` count and the caller's comes back after it;
        // pushed twice to keep the stack's 16-byte alignment.
        dynasm!(self.ops
            ; .arch x64
            ; push QWORD [r12 + off!(may_goto)]
            ; push QWORD [r12 + off!(may_goto)]
            ; mov QWORD [r12 + off!(may_goto)], MAY_GOTO_BUDGET as i32
        );
        match target {
            Some(l) => dynasm!(self.ops ; .arch x64 ; call =>l),
            None => dynasm!(self.ops ; .arch x64 ; call r11),
        }
        dynasm!(self.ops
            ; .arch x64
            ; pop QWORD [r12 + off!(may_goto)]
            ; pop QWORD [r12 + off!(may_goto)]
            ; pop rbp
            ; pop r15
            ; pop r14
            ; pop r13
            ; pop rbx
        );
    }

    #[allow(clippy::too_many_lines)]
    fn insn(&mut self, i: usize, insn: &Insn) -> Result<(), JitError> {
        let at = InsnIdx(i as u32);
        match *insn {
            Insn::Alu {
                width,
                op,
                dst,
                src,
            } => self.alu(width, op, REG[dst.idx()], src),
            Insn::Neg {
                width: Width::W64,
                dst,
            } => dynasm!(self.ops ; .arch x64 ; neg Rq(REG[dst.idx()])),
            Insn::Neg {
                width: Width::W32,
                dst,
            } => dynasm!(self.ops ; .arch x64 ; neg Rd(REG[dst.idx()])),
            Insn::MovSx {
                width,
                dst,
                src,
                from_bits,
            } => {
                let (d, s) = (REG[dst.idx()], REG[src.idx()]);
                match (width, from_bits) {
                    (Width::W32, 8) => dynasm!(self.ops ; .arch x64 ; movsx Rd(d), Rb(s)),
                    (Width::W32, _) => dynasm!(self.ops ; .arch x64 ; movsx Rd(d), Rw(s)),
                    (Width::W64, 8) => dynasm!(self.ops ; .arch x64 ; movsx Rq(d), Rb(s)),
                    (Width::W64, 16) => dynasm!(self.ops ; .arch x64 ; movsx Rq(d), Rw(s)),
                    (Width::W64, _) => dynasm!(self.ops ; .arch x64 ; movsxd Rq(d), Rd(s)),
                }
            }
            Insn::Endian { op, dst, bits } => {
                let d = REG[dst.idx()];
                match (op, bits) {
                    (EndianOp::ToLe, 16) => dynasm!(self.ops ; .arch x64 ; movzx Rd(d), Rw(d)),
                    (EndianOp::ToLe, 32) => dynasm!(self.ops ; .arch x64 ; mov Rd(d), Rd(d)),
                    (EndianOp::ToLe, _) => {}
                    (_, 16) => dynasm!(self.ops ; .arch x64 ; rol Rw(d), 8 ; movzx Rd(d), Rw(d)),
                    (_, 32) => dynasm!(self.ops ; .arch x64 ; bswap Rd(d)),
                    (_, _) => dynasm!(self.ops ; .arch x64 ; bswap Rq(d)),
                }
            }
            Insn::AddrSpaceCast { .. } => {
                return Err(JitError::Unsupported {
                    insn: at,
                    what: "addr_space_cast",
                })
            }
            Insn::Ja { off, .. } => {
                let l = self.target(i, off.into())?;
                if off < 0 {
                    self.budget(i);
                }
                dynasm!(self.ops ; .arch x64 ; jmp =>l);
            }
            Insn::Jmp {
                width,
                cond,
                dst,
                src,
                off,
            } => {
                let l = self.target(i, off.into())?;
                if off < 0 {
                    self.budget(i);
                }
                let d = REG[dst.idx()];
                match (width, src, cond) {
                    (Width::W64, Operand::Reg(s), Cond::Set) => {
                        dynasm!(self.ops ; .arch x64 ; test Rq(d), Rq(REG[s.idx()]))
                    }
                    (Width::W64, Operand::Imm(v), Cond::Set) => {
                        dynasm!(self.ops ; .arch x64 ; test Rq(d), v)
                    }
                    (Width::W32, Operand::Reg(s), Cond::Set) => {
                        dynasm!(self.ops ; .arch x64 ; test Rd(d), Rd(REG[s.idx()]))
                    }
                    (Width::W32, Operand::Imm(v), Cond::Set) => {
                        dynasm!(self.ops ; .arch x64 ; test Rd(d), v)
                    }
                    (Width::W64, Operand::Reg(s), _) => {
                        dynasm!(self.ops ; .arch x64 ; cmp Rq(d), Rq(REG[s.idx()]))
                    }
                    (Width::W64, Operand::Imm(v), _) => {
                        dynasm!(self.ops ; .arch x64 ; cmp Rq(d), v)
                    }
                    (Width::W32, Operand::Reg(s), _) => {
                        dynasm!(self.ops ; .arch x64 ; cmp Rd(d), Rd(REG[s.idx()]))
                    }
                    (Width::W32, Operand::Imm(v), _) => {
                        dynasm!(self.ops ; .arch x64 ; cmp Rd(d), v)
                    }
                }
                cc_label(self, cond, l);
            }
            Insn::MayGoto { off } => {
                // Falls through while the run's budget lasts, then jumps, as the interpreter.
                let l = self.target(i, off.into())?;
                dynasm!(self.ops
                    ; .arch x64
                    ; cmp QWORD [r12 + off!(may_goto)], 0
                    ; je =>l
                    ; sub QWORD [r12 + off!(may_goto)], 1
                );
            }
            Insn::Call(CallTarget::Helper(id)) => self.helper_call(i, Some(id)),
            Insn::Call(CallTarget::Local(rel)) => {
                let l = self.target(i, rel.into())?;
                self.local_call(i, Some(l));
            }
            // A kfunc the runtime implements is called as a helper with a reserved id.
            Insn::Call(CallTarget::Kfunc { .. }) => {
                match self.prog.kfunc_at(at).and_then(kfuncs::Kfunc::by_name) {
                    Some(k) => self.helper_call(i, Some(kfuncs::helper_id(k))),
                    None => {
                        return Err(match self.prog.kfunc_at(at) {
                            Some(name) => JitError::UnsupportedKfunc {
                                insn: at,
                                name: name.to_string(),
                            },
                            None => JitError::Unsupported {
                                insn: at,
                                what: "kfunc call",
                            },
                        })
                    }
                }
            }
            Insn::Callx { reg } => self.callx(i, REG[reg.idx()]),
            Insn::Exit => dynasm!(self.ops ; .arch x64 ; ret),
            Insn::Load {
                size,
                sign_extend,
                dst,
                src,
                off,
            } => {
                let (d, s) = (REG[dst.idx()], REG[src.idx()]);
                let off = i32::from(off);
                if let Some(&(_, field)) = self.ctx_loads.iter().find(|(x, _)| *x == at) {
                    let f = match field {
                        CtxField::Data => off!(pkt_data),
                        CtxField::DataEnd => off!(pkt_end),
                        CtxField::DataMeta => off!(pkt_meta),
                        CtxField::FlowKeys => off!(flow_keys),
                        CtxField::Null => {
                            dynasm!(self.ops ; .arch x64 ; xor Rd(d), Rd(d));
                            return Ok(());
                        }
                    };
                    dynasm!(self.ops ; .arch x64 ; mov Rq(d), [r12 + f]);
                } else if self.prog.is_probe_load(at) {
                    // Both modes: the verifier knows nothing about the address.
                    let kind = if sign_extend {
                        SLOW_PROBE_LOAD_SX
                    } else {
                        SLOW_PROBE_LOAD
                    };
                    self.windowed_load(i, d, s, off, size, sign_extend, kind);
                } else if self.mode == JitMode::Checked {
                    self.checked_load(i, d, s, off, size, sign_extend);
                } else {
                    self.direct_load(d, s, off, size, sign_extend);
                }
            }
            Insn::Store {
                size,
                dst,
                off,
                src,
            } => {
                let d = REG[dst.idx()];
                let off = i32::from(off);
                if self.mode == JitMode::Checked {
                    match src {
                        Operand::Reg(s) => {
                            dynasm!(self.ops ; .arch x64 ; mov r11, Rq(REG[s.idx()]))
                        }
                        Operand::Imm(v) => dynasm!(self.ops ; .arch x64 ; mov r11, v),
                    }
                    dynasm!(self.ops ; .arch x64 ; lea r10, [Rq(d) + off]);
                    self.slow_call(SLOW_STORE, size.bytes(), i);
                } else {
                    match (size, src) {
                        (Size::B, Operand::Reg(s)) => {
                            dynasm!(self.ops ; .arch x64 ; mov BYTE [Rq(d) + off], Rb(REG[s.idx()]))
                        }
                        (Size::H, Operand::Reg(s)) => {
                            dynasm!(self.ops ; .arch x64 ; mov WORD [Rq(d) + off], Rw(REG[s.idx()]))
                        }
                        (Size::W, Operand::Reg(s)) => {
                            dynasm!(self.ops ; .arch x64 ; mov DWORD [Rq(d) + off], Rd(REG[s.idx()]))
                        }
                        (Size::DW, Operand::Reg(s)) => {
                            dynasm!(self.ops ; .arch x64 ; mov QWORD [Rq(d) + off], Rq(REG[s.idx()]))
                        }
                        (Size::B, Operand::Imm(v)) => {
                            dynasm!(self.ops ; .arch x64 ; mov BYTE [Rq(d) + off], v as i8)
                        }
                        (Size::H, Operand::Imm(v)) => {
                            dynasm!(self.ops ; .arch x64 ; mov WORD [Rq(d) + off], v as i16)
                        }
                        (Size::W, Operand::Imm(v)) => {
                            dynasm!(self.ops ; .arch x64 ; mov DWORD [Rq(d) + off], v)
                        }
                        (Size::DW, Operand::Imm(v)) => {
                            dynasm!(self.ops ; .arch x64 ; mov QWORD [Rq(d) + off], v)
                        }
                    }
                }
            }
            Insn::Atomic {
                size,
                op,
                dst,
                src,
                off,
            } => self.atomic(i, size, op, REG[dst.idx()], REG[src.idx()], off.into()),
            Insn::LdImm64 {
                dst,
                src,
                imm,
                next_imm,
            } => {
                let d = REG[dst.idx()];
                let v = match src {
                    PseudoSrc::Imm => Insn::imm64(imm, next_imm),
                    PseudoSrc::MapIdx | PseudoSrc::MapFd => {
                        match self.prog.maps().get(imm as u32 as usize) {
                            Some(m) => MAP_PTR_TAG | u64::from(m.0),
                            None => return Err(JitError::BadMapRef { insn: at, imm }),
                        }
                    }
                    PseudoSrc::MapIdxValue | PseudoSrc::MapValue => {
                        if self.prog.maps().get(imm as u32 as usize).is_none() {
                            return Err(JitError::BadMapRef { insn: at, imm });
                        }
                        dynasm!(self.ops ; .arch x64 ; mov r10, imm ; mov r11d, next_imm);
                        self.slow_call(SLOW_MAP_VALUE, 0, i);
                        dynasm!(self.ops ; .arch x64 ; mov Rq(d), r10);
                        return Ok(());
                    }
                    PseudoSrc::Func => {
                        self.target(i, imm.into())?;
                        FUNC_PTR_TAG | (i as i64 + 1 + i64::from(imm)) as u64
                    }
                    PseudoSrc::BtfId => {
                        return Err(JitError::Unsupported {
                            insn: at,
                            what: "lddw of a BTF id",
                        })
                    }
                };
                dynasm!(self.ops ; .arch x64 ; mov Rq(d), QWORD v as i64);
            }
            Insn::LdImm64Tail => {}
            Insn::LdAbs { size, imm } => {
                dynasm!(self.ops ; .arch x64 ; mov r10, imm ; xor r11d, r11d);
                self.slow_call(SLOW_LD_ABS, size.bytes(), i);
                dynasm!(self.ops ; .arch x64 ; mov rax, r10);
            }
            Insn::LdInd { size, src, imm } => {
                dynasm!(self.ops ; .arch x64 ; mov r10, Rq(REG[src.idx()]) ; add r10, imm ; xor r11d, r11d);
                self.slow_call(SLOW_LD_ABS, size.bytes(), i);
                dynasm!(self.ops ; .arch x64 ; mov rax, r10);
            }
        }
        Ok(())
    }

    /// A plain load of `[base + off]` into `d`.
    fn direct_load(&mut self, d: u8, base: u8, off: i32, size: Size, sign_extend: bool) {
        match (size, sign_extend) {
            (Size::B, false) => dynasm!(self.ops ; .arch x64 ; movzx Rd(d), BYTE [Rq(base) + off]),
            (Size::H, false) => dynasm!(self.ops ; .arch x64 ; movzx Rd(d), WORD [Rq(base) + off]),
            (Size::W, false) => dynasm!(self.ops ; .arch x64 ; mov Rd(d), DWORD [Rq(base) + off]),
            (Size::DW, _) => dynasm!(self.ops ; .arch x64 ; mov Rq(d), QWORD [Rq(base) + off]),
            (Size::B, true) => dynasm!(self.ops ; .arch x64 ; movsx Rq(d), BYTE [Rq(base) + off]),
            (Size::H, true) => dynasm!(self.ops ; .arch x64 ; movsx Rq(d), WORD [Rq(base) + off]),
            (Size::W, true) => dynasm!(self.ops ; .arch x64 ; movsxd Rq(d), DWORD [Rq(base) + off]),
        }
    }

    /// Checked mode's load: direct when the bytes lie inside the region the last slow load
    /// found (`JitEnv::hot_lo`/`hot_len`, which only a helper call can invalidate), else the
    /// slow path, which checks, loads and refreshes that window. Two compares, so that no
    /// address wraps into the window: `addr - lo < len` and `addr - lo + size <= len`.
    fn checked_load(&mut self, pc: usize, d: u8, s: u8, off: i32, size: Size, sign_extend: bool) {
        let kind = if sign_extend { SLOW_LOAD_SX } else { SLOW_LOAD };
        self.windowed_load(pc, d, s, off, size, sign_extend, kind);
    }

    /// A load that reads directly inside the window of the last slow load and otherwise calls
    /// slow path `kind` (a checked load, or a probe load, which reads 0 outside every region).
    #[allow(clippy::too_many_arguments)]
    fn windowed_load(
        &mut self,
        pc: usize,
        d: u8,
        s: u8,
        off: i32,
        size: Size,
        sign_extend: bool,
        kind: u64,
    ) {
        dynasm!(self.ops
            ; .arch x64
            ; lea r10, [Rq(s) + off]
            ; mov r11, r10
            ; sub r11, [r12 + off!(hot_lo)]
            ; cmp r11, [r12 + off!(hot_len)]
            ; jae >slow
            ; add r11, size.bytes() as i32
            ; cmp r11, [r12 + off!(hot_len)]
            ; ja >slow
        );
        self.direct_load(d, R10, 0, size, sign_extend);
        dynasm!(self.ops ; .arch x64 ; jmp >done ; slow: ; xor r11d, r11d);
        self.slow_call(kind, size.bytes(), pc);
        dynasm!(self.ops ; .arch x64 ; mov Rq(d), r10 ; done:);
    }

    /// `callx reg`: a subprogram address (`lddw PseudoSrc::Func`) is a local call; a small
    /// number is a helper id (uBPF's convention, which the conformance suite uses).
    fn callx(&mut self, pc: usize, r: u8) {
        dynasm!(self.ops
            ; .arch x64
            ; mov r11, Rq(r)
            ; mov r10, r11
            ; shr r10, 44
            ; cmp r10d, (FUNC_PTR_TAG >> 44) as i32
            ; je >local
            // Helper path: the id must fit in 31 bits.
            ; cmp r11, 0x7fff_ffff
            ; ja >bad
            ; mov [r12 + off!(helper_id)], r11d
        );
        self.helper_call(pc, None);
        dynasm!(self.ops
            ; .arch x64
            ; jmp >done
            ; local:
            ; mov r11d, r11d
            ; cmp r11, [r12 + off!(n_funcs)]
            ; jae >bad
            ; mov r10, [r12 + off!(func_table)]
            ; mov r11, [r10 + r11 * 8]
            ; test r11, r11
            ; jz >bad
        );
        self.local_call(pc, None);
        dynasm!(self.ops
            ; .arch x64
            ; jmp >done
            ; bad:
            ; mov [r12 + off!(raw_arg)], Rq(r)
        );
        self.raw_fault(pc, RAW_BAD_CALLX);
        dynasm!(self.ops ; .arch x64 ; done:);
    }

    fn alu(&mut self, width: Width, op: AluOp, d: u8, src: Operand) {
        let w64 = width == Width::W64;
        match op {
            AluOp::Div | AluOp::SDiv | AluOp::Mod | AluOp::SMod => {
                return self.divmod(w64, op, d, src)
            }
            AluOp::Lsh | AluOp::Rsh | AluOp::Arsh => return self.shift(w64, op, d, src),
            _ => {}
        }
        match src {
            Operand::Reg(s) => {
                let s = REG[s.idx()];
                match (w64, op) {
                    (true, AluOp::Add) => dynasm!(self.ops ; .arch x64 ; add Rq(d), Rq(s)),
                    (true, AluOp::Sub) => dynasm!(self.ops ; .arch x64 ; sub Rq(d), Rq(s)),
                    (true, AluOp::Mul) => dynasm!(self.ops ; .arch x64 ; imul Rq(d), Rq(s)),
                    (true, AluOp::Or) => dynasm!(self.ops ; .arch x64 ; or Rq(d), Rq(s)),
                    (true, AluOp::And) => dynasm!(self.ops ; .arch x64 ; and Rq(d), Rq(s)),
                    (true, AluOp::Xor) => dynasm!(self.ops ; .arch x64 ; xor Rq(d), Rq(s)),
                    (true, _) => dynasm!(self.ops ; .arch x64 ; mov Rq(d), Rq(s)),
                    (false, AluOp::Add) => dynasm!(self.ops ; .arch x64 ; add Rd(d), Rd(s)),
                    (false, AluOp::Sub) => dynasm!(self.ops ; .arch x64 ; sub Rd(d), Rd(s)),
                    (false, AluOp::Mul) => dynasm!(self.ops ; .arch x64 ; imul Rd(d), Rd(s)),
                    (false, AluOp::Or) => dynasm!(self.ops ; .arch x64 ; or Rd(d), Rd(s)),
                    (false, AluOp::And) => dynasm!(self.ops ; .arch x64 ; and Rd(d), Rd(s)),
                    (false, AluOp::Xor) => dynasm!(self.ops ; .arch x64 ; xor Rd(d), Rd(s)),
                    (false, _) => dynasm!(self.ops ; .arch x64 ; mov Rd(d), Rd(s)),
                }
            }
            Operand::Imm(v) => match (w64, op) {
                (true, AluOp::Add) => dynasm!(self.ops ; .arch x64 ; add Rq(d), v),
                (true, AluOp::Sub) => dynasm!(self.ops ; .arch x64 ; sub Rq(d), v),
                (true, AluOp::Mul) => dynasm!(self.ops ; .arch x64 ; imul Rq(d), Rq(d), v),
                (true, AluOp::Or) => dynasm!(self.ops ; .arch x64 ; or Rq(d), v),
                (true, AluOp::And) => dynasm!(self.ops ; .arch x64 ; and Rq(d), v),
                (true, AluOp::Xor) => dynasm!(self.ops ; .arch x64 ; xor Rq(d), v),
                (true, _) => dynasm!(self.ops ; .arch x64 ; mov Rq(d), v),
                (false, AluOp::Add) => dynasm!(self.ops ; .arch x64 ; add Rd(d), v),
                (false, AluOp::Sub) => dynasm!(self.ops ; .arch x64 ; sub Rd(d), v),
                (false, AluOp::Mul) => dynasm!(self.ops ; .arch x64 ; imul Rd(d), Rd(d), v),
                (false, AluOp::Or) => dynasm!(self.ops ; .arch x64 ; or Rd(d), v),
                (false, AluOp::And) => dynasm!(self.ops ; .arch x64 ; and Rd(d), v),
                (false, AluOp::Xor) => dynasm!(self.ops ; .arch x64 ; xor Rd(d), v),
                (false, _) => dynasm!(self.ops ; .arch x64 ; mov Rd(d), v),
            },
        }
    }

    /// Shifts: immediates are masked at compile time; a register count goes through `cl`,
    /// saving `rcx` (BPF `r4`) in r11 and computing in r10 so that any of `dst`/`src` may be
    /// `rcx`.
    fn shift(&mut self, w64: bool, op: AluOp, d: u8, src: Operand) {
        match src {
            Operand::Imm(v) => {
                let n = (v & if w64 { 63 } else { 31 }) as i8;
                match (w64, op) {
                    (true, AluOp::Lsh) => dynasm!(self.ops ; .arch x64 ; shl Rq(d), n),
                    (true, AluOp::Rsh) => dynasm!(self.ops ; .arch x64 ; shr Rq(d), n),
                    (true, _) => dynasm!(self.ops ; .arch x64 ; sar Rq(d), n),
                    (false, AluOp::Lsh) => dynasm!(self.ops ; .arch x64 ; shl Rd(d), n),
                    (false, AluOp::Rsh) => dynasm!(self.ops ; .arch x64 ; shr Rd(d), n),
                    (false, _) => dynasm!(self.ops ; .arch x64 ; sar Rd(d), n),
                }
            }
            Operand::Reg(s) => {
                let s = REG[s.idx()];
                dynasm!(self.ops
                    ; .arch x64
                    ; mov r10, Rq(d)
                    ; mov r11, rcx
                    ; mov rcx, Rq(s)
                );
                match (w64, op) {
                    (true, AluOp::Lsh) => dynasm!(self.ops ; .arch x64 ; shl r10, cl),
                    (true, AluOp::Rsh) => dynasm!(self.ops ; .arch x64 ; shr r10, cl),
                    (true, _) => dynasm!(self.ops ; .arch x64 ; sar r10, cl),
                    (false, AluOp::Lsh) => dynasm!(self.ops ; .arch x64 ; shl r10d, cl),
                    (false, AluOp::Rsh) => dynasm!(self.ops ; .arch x64 ; shr r10d, cl),
                    (false, _) => dynasm!(self.ops ; .arch x64 ; sar r10d, cl),
                }
                dynasm!(self.ops ; .arch x64 ; mov rcx, r11 ; mov Rq(d), r10);
            }
        }
    }

    /// Division and modulo with RFC 9669's rules for zero and for `INT_MIN / -1`. Works in
    /// rax:rdx, so `r0` and `r3` are saved in r9 and r11 and the result passes through r10.
    fn divmod(&mut self, w64: bool, op: AluOp, d: u8, src: Operand) {
        let signed = matches!(op, AluOp::SDiv | AluOp::SMod);
        let is_div = matches!(op, AluOp::Div | AluOp::SDiv);
        match src {
            Operand::Reg(s) => dynasm!(self.ops ; .arch x64 ; mov r10, Rq(REG[s.idx()])),
            Operand::Imm(v) => dynasm!(self.ops ; .arch x64 ; mov r10, v),
        }
        dynasm!(self.ops
            ; .arch x64
            ; mov r9, rax
            ; mov r11, rdx
            ; mov rax, Rq(d)
        );
        if w64 {
            dynasm!(self.ops ; .arch x64 ; test r10, r10 ; jz >zero);
        } else {
            dynasm!(self.ops ; .arch x64 ; test r10d, r10d ; jz >zero);
        }
        if signed {
            // x / -1 = -x (wrapping) and x % -1 = 0: avoids the #DE of INT_MIN / -1.
            if w64 {
                dynasm!(self.ops ; .arch x64 ; cmp r10, -1 ; jne >normal);
            } else {
                dynasm!(self.ops ; .arch x64 ; cmp r10d, -1 ; jne >normal);
            }
            match (is_div, w64) {
                (true, true) => dynasm!(self.ops ; .arch x64 ; neg rax ; mov r10, rax),
                (true, false) => dynasm!(self.ops ; .arch x64 ; neg eax ; mov r10d, eax),
                (false, _) => dynasm!(self.ops ; .arch x64 ; xor r10d, r10d),
            }
            dynasm!(self.ops ; .arch x64 ; jmp >done ; normal:);
            if w64 {
                dynasm!(self.ops ; .arch x64 ; cqo ; idiv r10);
            } else {
                dynasm!(self.ops ; .arch x64 ; cdq ; idiv r10d);
            }
        } else if w64 {
            dynasm!(self.ops ; .arch x64 ; xor edx, edx ; div r10);
        } else {
            dynasm!(self.ops ; .arch x64 ; xor edx, edx ; div r10d);
        }
        match (is_div, w64) {
            (true, true) => dynasm!(self.ops ; .arch x64 ; mov r10, rax),
            (true, false) => dynasm!(self.ops ; .arch x64 ; mov r10d, eax),
            (false, true) => dynasm!(self.ops ; .arch x64 ; mov r10, rdx),
            (false, false) => dynasm!(self.ops ; .arch x64 ; mov r10d, edx),
        }
        dynasm!(self.ops ; .arch x64 ; jmp >done ; zero:);
        // Division by zero gives 0; modulo by zero leaves dst (zero-extended for 32 bits).
        match (is_div, w64) {
            (true, _) => dynasm!(self.ops ; .arch x64 ; xor r10d, r10d),
            (false, true) => dynasm!(self.ops ; .arch x64 ; mov r10, rax),
            (false, false) => dynasm!(self.ops ; .arch x64 ; mov r10d, eax),
        }
        dynasm!(self.ops
            ; .arch x64
            ; done:
            ; mov rax, r9
            ; mov rdx, r11
            ; mov Rq(d), r10
        );
    }

    fn atomic(&mut self, pc: usize, size: Size, op: AtomicOp, d: u8, s: u8, off: i32) {
        let w64 = size == Size::DW;
        if self.mode == JitMode::Checked {
            dynasm!(self.ops ; .arch x64 ; lea r10, [Rq(d) + off] ; xor r11d, r11d);
            self.slow_call(SLOW_CHECK_WRITE, size.bytes(), pc);
        }
        match op {
            AtomicOp::LoadAcquire => {
                // Here `d` is the loaded register and `s` the base (see `AtomicOp`).
                match size {
                    Size::B => dynasm!(self.ops ; .arch x64 ; movzx Rd(d), BYTE [Rq(s) + off]),
                    Size::H => dynasm!(self.ops ; .arch x64 ; movzx Rd(d), WORD [Rq(s) + off]),
                    Size::W => dynasm!(self.ops ; .arch x64 ; mov Rd(d), DWORD [Rq(s) + off]),
                    Size::DW => dynasm!(self.ops ; .arch x64 ; mov Rq(d), QWORD [Rq(s) + off]),
                }
                return;
            }
            AtomicOp::StoreRelease => {
                match size {
                    Size::B => dynasm!(self.ops ; .arch x64 ; mov BYTE [Rq(d) + off], Rb(s)),
                    Size::H => dynasm!(self.ops ; .arch x64 ; mov WORD [Rq(d) + off], Rw(s)),
                    Size::W => dynasm!(self.ops ; .arch x64 ; mov DWORD [Rq(d) + off], Rd(s)),
                    Size::DW => dynasm!(self.ops ; .arch x64 ; mov QWORD [Rq(d) + off], Rq(s)),
                }
                return;
            }
            _ => {}
        }
        dynasm!(self.ops ; .arch x64 ; lea r11, [Rq(d) + off]);
        match op {
            AtomicOp::Add { fetch: false } if w64 => {
                dynasm!(self.ops ; .arch x64 ; lock add QWORD [r11], Rq(s))
            }
            AtomicOp::Add { fetch: false } => {
                dynasm!(self.ops ; .arch x64 ; lock add DWORD [r11], Rd(s))
            }
            AtomicOp::Or { fetch: false } if w64 => {
                dynasm!(self.ops ; .arch x64 ; lock or QWORD [r11], Rq(s))
            }
            AtomicOp::Or { fetch: false } => {
                dynasm!(self.ops ; .arch x64 ; lock or DWORD [r11], Rd(s))
            }
            AtomicOp::And { fetch: false } if w64 => {
                dynasm!(self.ops ; .arch x64 ; lock and QWORD [r11], Rq(s))
            }
            AtomicOp::And { fetch: false } => {
                dynasm!(self.ops ; .arch x64 ; lock and DWORD [r11], Rd(s))
            }
            AtomicOp::Xor { fetch: false } if w64 => {
                dynasm!(self.ops ; .arch x64 ; lock xor QWORD [r11], Rq(s))
            }
            AtomicOp::Xor { fetch: false } => {
                dynasm!(self.ops ; .arch x64 ; lock xor DWORD [r11], Rd(s))
            }
            AtomicOp::Add { fetch: true } if w64 => {
                dynasm!(self.ops ; .arch x64 ; lock xadd QWORD [r11], Rq(s))
            }
            AtomicOp::Add { fetch: true } => {
                dynasm!(self.ops ; .arch x64 ; lock xadd DWORD [r11], Rd(s))
            }
            AtomicOp::Xchg if w64 => dynasm!(self.ops ; .arch x64 ; xchg QWORD [r11], Rq(s)),
            AtomicOp::Xchg => dynasm!(self.ops ; .arch x64 ; xchg DWORD [r11], Rd(s)),
            AtomicOp::CmpXchg if w64 => {
                dynasm!(self.ops ; .arch x64 ; lock cmpxchg QWORD [r11], Rq(s))
            }
            AtomicOp::CmpXchg => {
                // A 32-bit cmpxchg leaves rax's upper half alone on success; BPF zero-extends.
                dynasm!(self.ops ; .arch x64 ; lock cmpxchg DWORD [r11], Rd(s) ; mov eax, eax);
            }
            AtomicOp::Or { .. } | AtomicOp::And { .. } | AtomicOp::Xor { .. } => {
                // Fetching or/and/xor: a cmpxchg loop in rax, with `r0` saved in r9 (and used
                // in its place when `src` is `r0`).
                let sv = if s == RAX { R9 } else { s };
                dynasm!(self.ops ; .arch x64 ; mov r9, rax ; retry:);
                if w64 {
                    dynasm!(self.ops ; .arch x64 ; mov rax, QWORD [r11] ; mov r10, rax);
                    match op {
                        AtomicOp::Or { .. } => dynasm!(self.ops ; .arch x64 ; or r10, Rq(sv)),
                        AtomicOp::And { .. } => dynasm!(self.ops ; .arch x64 ; and r10, Rq(sv)),
                        _ => dynasm!(self.ops ; .arch x64 ; xor r10, Rq(sv)),
                    }
                    dynasm!(self.ops ; .arch x64 ; lock cmpxchg QWORD [r11], r10 ; jnz <retry);
                } else {
                    dynasm!(self.ops ; .arch x64 ; mov eax, DWORD [r11] ; mov r10d, eax);
                    match op {
                        AtomicOp::Or { .. } => dynasm!(self.ops ; .arch x64 ; or r10d, Rd(sv)),
                        AtomicOp::And { .. } => dynasm!(self.ops ; .arch x64 ; and r10d, Rd(sv)),
                        _ => dynasm!(self.ops ; .arch x64 ; xor r10d, Rd(sv)),
                    }
                    dynasm!(self.ops ; .arch x64 ; lock cmpxchg DWORD [r11], r10d ; jnz <retry);
                }
                if s == RAX {
                    // Fetch into r0: rax already holds the old value.
                } else {
                    dynasm!(self.ops ; .arch x64 ; mov Rq(s), rax ; mov rax, r9);
                }
            }
            AtomicOp::LoadAcquire | AtomicOp::StoreRelease => unreachable!("handled above"),
        }
        // 32-bit fetches zero-extend into the source register (xadd/xchg on a 32-bit register
        // already do).
    }
}
