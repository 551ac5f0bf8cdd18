//! ALU and ALU64: scalars through the lattice, pointers by the kernel's pointer-arithmetic rules
//! (its `check_alu_op`, `adjust_ptr_min_max_vals` and `adjust_scalar_min_max_vals`).

use super::{read, writable, Res, Vm};
use crate::isa::{AluOp, EndianOp, InsnIdx, Operand, Reg, Width};
use crate::verifier::domain::Scalar;
use crate::verifier::env::KernelVersion;
use crate::verifier::state::{AbstractState, Delta, Pointer, PtrKind, RegState};
use crate::verifier::violation::{Code, Violation};

/// Largest variable or constant offset the kernel lets a pointer carry (`BPF_MAX_VAR_OFF`).
pub(crate) const MAX_VAR_OFF: i64 = 1 << 29;

/// The kernel's spelling of each operator in messages (`bpf_alu_string`).
fn op_str(op: AluOp) -> &'static str {
    match op {
        AluOp::Add => "+=",
        AluOp::Sub => "-=",
        AluOp::Mul => "*=",
        AluOp::Div | AluOp::SDiv => "/=",
        AluOp::Or => "|=",
        AluOp::And => "&=",
        AluOp::Lsh => "<<=",
        AluOp::Rsh => ">>=",
        AluOp::Mod | AluOp::SMod => "%=",
        AluOp::Xor => "^=",
        AluOp::Mov => "=",
        AluOp::Arsh => "s>>=",
    }
}

impl Vm<'_> {
    pub(super) fn alu(
        &self,
        st: &mut AbstractState,
        pc: InsnIdx,
        width: Width,
        op: AluOp,
        dst: Reg,
        src: Operand,
    ) -> Res<()> {
        if let Operand::Imm(imm) = src {
            if matches!(op, AluOp::Div | AluOp::SDiv | AluOp::Mod | AluOp::SMod) && imm == 0 {
                return Err(Violation::new(
                    Code::DivByZero,
                    pc,
                    "division by the constant zero",
                    "div by zero",
                ));
            }
            let bits = if width == Width::W64 { 64 } else { 32 };
            if matches!(op, AluOp::Lsh | AluOp::Rsh | AluOp::Arsh) && !(0..bits).contains(&imm) {
                return Err(Violation::new(
                    Code::InvalidShift,
                    pc,
                    format!("shift by {imm} is outside 0..{bits}"),
                    format!("invalid shift {imm}"),
                ));
            }
        }
        let src_val = match src {
            Operand::Reg(r) => read(st, pc, r)?,
            Operand::Imm(imm) => RegState::scalar(imm_scalar(width, imm)),
        };
        if op == AluOp::Mov {
            writable(pc, dst)?;
            return self.mov(st, pc, width, dst, src, src_val);
        }
        let dst_val = read(st, pc, dst)?;
        writable(pc, dst)?;
        if super::arena::is_arena(&dst_val) || super::arena::is_arena(&src_val) {
            // The kernel keeps no offset for arena pointers: any operation, in either width
            // and with any operand, leaves one as it was, and one with an arena pointer as
            // its source makes the destination that arena pointer (`adjust_reg_min_max_vals`;
            // the source case is a 2026 fix that stable kernels took: Debian's 6.12.118 has it).
            st.set(dst, RegState::Ptr(Pointer::new(PtrKind::Arena)));
            return Ok(());
        }
        let res = match (&dst_val, &src_val) {
            (
                RegState::Scalar {
                    v: a,
                    id: dst_id,
                    delta,
                },
                RegState::Scalar { v: b, .. },
            ) => {
                if let Operand::Reg(_) = src {
                    self.spectre_scalar(pc, op, dst)?;
                }
                if !kernel_tracks(op, width, b, self.opts.kernel) {
                    RegState::unknown()
                } else if op == AluOp::Lsh {
                    // `kernel_tracks` said the count is a constant below the width.
                    RegState::scalar(a.kernel_lsh(width, b.u32_min()))
                } else {
                    // `dst += K` on a linked register keeps the link, moved by K.
                    let (id, delta) = super::linked::after_alu(
                        (self.opts.privileged, self.opts.kernel),
                        op,
                        width,
                        (a, *dst_id, *delta),
                        b,
                    );
                    RegState::Scalar {
                        v: Scalar::alu(op, width, a, b),
                        id,
                        delta,
                    }
                }
            }
            (RegState::Ptr(p), RegState::Scalar { v: s, .. }) => {
                let off_reg = match src {
                    Operand::Reg(r) => Some(r),
                    Operand::Imm(_) => None,
                };
                self.ptr_arith(st, pc, width, op, (dst, off_reg), p, s, false)?
            }
            (RegState::Scalar { v: s, .. }, RegState::Ptr(p)) => {
                self.ptr_arith(st, pc, width, op, (dst, Some(dst)), p, s, true)?
            }
            (RegState::Ptr(_), RegState::Ptr(_)) => {
                // Privileged, the difference of two pointers is a scalar nothing is known about,
                // in either width (`data_end - data` computed in 32 bits, as GCC emits it).
                if op == AluOp::Sub && self.opts.privileged {
                    RegState::unknown()
                } else if width == Width::W32 {
                    return Err(ptr32(pc, dst));
                } else {
                    return Err(Violation::new(
                        Code::PointerPointerArith,
                        pc,
                        format!("{dst} {} on two pointers is not allowed", op_str(op)),
                        format!("R{} pointer {} pointer prohibited", dst.num(), op_str(op)),
                    ));
                }
            }
            (RegState::Uninit, _) | (_, RegState::Uninit) => unreachable!("read() checked both"),
        };
        st.set(dst, res);
        Ok(())
    }

    fn mov(
        &self,
        st: &mut AbstractState,
        pc: InsnIdx,
        width: Width,
        dst: Reg,
        src: Operand,
        val: RegState,
    ) -> Res<()> {
        if let (Width::W32, RegState::Ptr(_), Operand::Reg(s), false) =
            (width, &val, src, self.opts.privileged)
        {
            return Err(Violation::new(
                Code::PointerLeak,
                pc,
                format!("a 32-bit copy of the pointer in {s} would leak half an address"),
                format!("R{} partial copy of pointer", s.num()),
            ));
        }
        // A register copy links the two scalars, so a later bound on one holds for both. A
        // source moved by a constant leaves its old link first and starts a new one with the
        // copy (the kernel's `assign_scalar_id_before_mov`).
        let copy_link = |st: &mut AbstractState, s: Reg, v: Scalar, id: u32, delta: Delta| {
            let id = if delta != Delta::Same { 0 } else { id };
            let id = if id == 0 && v.as_const().is_none() {
                st.fresh_id()
            } else {
                id
            };
            let linked = RegState::Scalar {
                v,
                id,
                delta: Delta::Same,
            };
            st.set(s, linked.clone());
            linked
        };
        let res = match (width, val) {
            (Width::W64, RegState::Scalar { v, id, delta }) => {
                if let Operand::Reg(s) = src {
                    copy_link(st, s, v, id, delta)
                } else {
                    RegState::scalar(v)
                }
            }
            (Width::W64, v) => v,
            // A 32-bit copy of a value that fits in 32 bits links the two as a 64-bit copy does
            // (from 6.8, the kernel's `BPF_MOV` with `get_reg_width(src) <= 32`).
            (Width::W32, RegState::Scalar { v, id, delta }) => match src {
                Operand::Reg(s)
                    if v.width_bits() <= 32 && self.opts.kernel >= KernelVersion::new(6, 8) =>
                {
                    copy_link(st, s, v, id, delta)
                }
                _ => RegState::scalar(v.zext32()),
            },
            // A 32-bit copy of a pointer leaks half an address: privileged programs get an unknown.
            (Width::W32, _) => RegState::scalar(Scalar::unknown_bytes(4)),
        };
        st.set(dst, res);
        Ok(())
    }

    /// `dst op= scalar` where one side is the pointer `p` and the other the scalar `s`.
    /// `scalar_is_dst`: the scalar was in `dst` (`scalar += ptr`); `off_reg`: the register
    /// that held the scalar (`None` for an immediate).
    #[allow(clippy::too_many_arguments)]
    fn ptr_arith(
        &self,
        st: &mut AbstractState,
        pc: InsnIdx,
        width: Width,
        op: AluOp,
        (dst, off_reg): (Reg, Option<Reg>),
        p: &Pointer,
        s: &Scalar,
        scalar_is_dst: bool,
    ) -> Res<RegState> {
        let n = dst.num();
        if width == Width::W32 {
            // The kernel lets privileged programs subtract in 32 bits with a pointer operand
            // (either side) and makes the result a scalar nothing is known about.
            if op == AluOp::Sub && self.opts.privileged {
                return Ok(RegState::unknown());
            }
            return Err(ptr32(pc, dst));
        }
        let as_reg = RegState::Ptr(p.clone());
        let kind_name = as_reg.type_name_shown();
        if p.maybe_null {
            return Err(Violation::new(
                Code::NullablePointerArith,
                pc,
                format!("arithmetic on {dst}, a {kind_name} pointer that may be NULL"),
                format!("R{n} pointer arithmetic on {kind_name} prohibited, null-check it first"),
            )
            .with_note("check the pointer against NULL before moving it"));
        }
        // The kernel tracks no offset in untrusted memory (every load through it is a probe
        // load): any operation with a scalar leaves the pointer as it was, and `scalar +=
        // ptr` makes the scalar that pointer (the live 6.18 accepted a load through `r0 = 0;
        // r0 += p`, and through `p &= 0xff0`).
        if p.kind == PtrKind::UntrustedMem {
            return Ok(as_reg);
        }
        let known = s.as_const();
        let zero_add = known == Some(0) && op == AluOp::Add;
        // Flow keys may only move by a constant.
        let flow_keys_var = p.kind == PtrKind::FlowKeys && known.is_none();
        if !(p.kind.allows_arithmetic() && !flow_keys_var
            || zero_add && matches!(p.kind, PtrKind::MapPtr { .. }))
        {
            return Err(Violation::new(
                Code::PointerArithProhibited,
                pc,
                format!("arithmetic on a {kind_name} pointer is not allowed"),
                format!("R{n} pointer arithmetic on {kind_name} prohibited"),
            ));
        }
        let base = p.kind.kernel_name();
        // The kernel checks the operands' offsets (`check_reg_sane_offset`) before it looks at
        // the operator, so an out-of-range operand is reported even for `&=` or `scalar -= ptr`.
        if let Some(c) = known {
            let c = c as i64;
            if c >= MAX_VAR_OFF || c <= -MAX_VAR_OFF {
                return Err(Violation::new(
                    Code::UnboundedVarOff,
                    pc,
                    format!("adding {c} to a {base} pointer moves it out of any object"),
                    format!("math between {base} pointer and {c} is not allowed"),
                ));
            }
        } else if s.smin() == i64::MIN {
            return Err(Violation::new(
                Code::UnboundedVarOff,
                pc,
                format!("the value added to the {base} pointer has no lower bound"),
                format!("math between {base} pointer and register with unbounded min value is not allowed"),
            )
            .with_note(format!("the offset is {s}"))
            .with_note("bound it first, e.g. `if (idx >= N) return ...;` with an unsigned index"));
        } else if s.smin() >= MAX_VAR_OFF || s.smin() <= -MAX_VAR_OFF {
            return Err(Violation::new(
                Code::UnboundedVarOff,
                pc,
                format!("the value added to the {base} pointer may be out of bounds"),
                format!("value {} makes {base} pointer be out of bounds", s.smin()),
            ));
        }
        match op {
            AluOp::Add | AluOp::Sub => {}
            AluOp::And | AluOp::Or | AluOp::Xor => {
                return Err(Violation::new(
                    Code::PointerBitwise,
                    pc,
                    format!(
                        "bitwise {} on a pointer ({kind_name}) is not allowed",
                        op_str(op)
                    ),
                    format!("R{n} bitwise operator {} on pointer prohibited", op_str(op)),
                ))
            }
            _ => {
                return Err(Violation::new(
                    Code::PointerBitwise,
                    pc,
                    format!("{} on a pointer ({kind_name}) is not allowed", op_str(op)),
                    format!(
                        "R{n} pointer arithmetic with {} operator prohibited",
                        op_str(op)
                    ),
                ))
            }
        }
        // Unprivileged, the Spectre sanitation of `+`/`-` comes before the operator's own
        // checks (the kernel's `sanitize_ptr_alu` before its `switch (opcode)`): a context
        // pointer subtracted from a scalar is "R0 has pointer with unsupported alu operation".
        let window = self.spectre_before(pc, op, dst, off_reg, p, s, !scalar_is_dst)?;
        if op == AluOp::Sub && scalar_is_dst {
            return Err(Violation::new(
                Code::PointerPointerArith,
                pc,
                "subtracting a pointer from a scalar is not allowed",
                format!("R{n} tried to subtract pointer from scalar"),
            ));
        }
        // JITs may not handle a frame pointer moved up by subtraction; the kernel refuses
        // any subtraction from a stack pointer (programs add a negative number instead).
        if op == AluOp::Sub && matches!(p.kind, PtrKind::Stack { .. }) {
            return Err(Violation::new(
                Code::PointerArithProhibited,
                pc,
                format!("subtracting from {dst}, a stack pointer, is not allowed; add a negative number instead"),
                format!("R{n} subtraction from stack pointer prohibited"),
            ));
        }
        let mut res = p.clone();
        match (known, p.has_const_off()) {
            (Some(c), _) => {
                let c = c as i64;
                let off = if op == AluOp::Add {
                    i64::from(p.off) + c
                } else {
                    i64::from(p.off) - c
                };
                if off >= MAX_VAR_OFF || off <= -MAX_VAR_OFF {
                    return Err(Violation::new(
                        Code::UnboundedVarOff,
                        pc,
                        format!("the {base} pointer's offset {off} is out of bounds"),
                        format!("{base} pointer offset {off} is not allowed"),
                    ));
                }
                res.off = off as i32;
            }
            (None, _) => {
                res.var_off = Scalar::alu(op, Width::W64, &p.var_off, s);
                if p.kind.is_packet() {
                    res.id = st.fresh_id();
                    res.range = 0;
                }
            }
        }
        if res.var_off.umax() >= MAX_VAR_OFF as u64 && res.var_off.smin() < -MAX_VAR_OFF {
            return Err(Violation::new(
                Code::UnboundedVarOff,
                pc,
                format!("the {base} pointer's variable offset is unbounded"),
                format!("math between {base} pointer and register with unbounded min value is not allowed"),
            ));
        }
        self.spectre_after(pc, op, dst, &res, window)?;
        Ok(RegState::Ptr(res))
    }

    pub(super) fn movsx(
        &self,
        st: &mut AbstractState,
        pc: InsnIdx,
        width: Width,
        dst: Reg,
        src: Reg,
        from_bits: u8,
    ) -> Res<()> {
        self.unpriv_unary(st, pc, src, "sign-extension part of pointer")?;
        unary(st, pc, dst, src, Scalar::top_of(width), |v| {
            v.sign_extend(width, u32::from(from_bits))
        })
    }

    pub(super) fn neg(
        &self,
        st: &mut AbstractState,
        pc: InsnIdx,
        width: Width,
        dst: Reg,
    ) -> Res<()> {
        self.unpriv_unary(st, pc, dst, "pointer arithmetic prohibited")?;
        unary(st, pc, dst, dst, Scalar::top_of(width), |v| v.neg(width))
    }

    pub(super) fn endian(
        &self,
        st: &mut AbstractState,
        pc: InsnIdx,
        op: EndianOp,
        dst: Reg,
        bits: u8,
    ) -> Res<()> {
        self.unpriv_unary(st, pc, dst, "pointer arithmetic prohibited")?;
        let bits = u32::from(bits);
        unary(st, pc, dst, dst, Scalar::unknown_bytes(bits / 8), |v| {
            v.endian(op, bits)
        })
    }
}

impl Vm<'_> {
    /// Unprivileged programs may not negate, byte-swap or sign-extend a pointer (the kernel's
    /// `check_alu_op`: the result would leak the address).
    fn unpriv_unary(&self, st: &AbstractState, pc: InsnIdx, reg: Reg, what: &str) -> Res<()> {
        if self.opts.privileged || !matches!(st.reg(reg), RegState::Ptr(_)) {
            return Ok(());
        }
        Err(Violation::new(
            Code::PointerLeak,
            pc,
            format!("unprivileged programs may not compute with the pointer in {reg} this way"),
            format!("R{} {what}", reg.num()),
        ))
    }
}

/// `dst = f(src)` for a scalar `src`; a pointer (privileged programs only get here) gives
/// `on_pointer`, a value about which nothing is known but its width.
fn unary(
    st: &mut AbstractState,
    pc: InsnIdx,
    dst: Reg,
    src: Reg,
    on_pointer: Scalar,
    f: impl FnOnce(&Scalar) -> Scalar,
) -> Res<()> {
    let v = read(st, pc, src)?;
    writable(pc, dst)?;
    let res = match v {
        RegState::Scalar { v, .. } => f(&v),
        _ => on_pointer,
    };
    st.set(dst, RegState::scalar(res));
    Ok(())
}

/// The scalar an immediate operand stands for: sign-extended to 64 bits in ALU64, its 32-bit
/// pattern in ALU.
/// Whether the kernel computes the bounds of `dst op src` on scalars (its
/// `is_safe_to_compute_dst_reg_range`); where it does not, the whole 64-bit register becomes
/// unknown, even after a 32-bit operation. Division and modulo are never tracked; shifts only
/// by a constant smaller than the width (a larger count is undefined behaviour). Before 6.10
/// only `+`, `-` and `&` were tracked with a source that is not a constant (in the operation's
/// width): `|`, `^` and `*` by a variable made the register unknown (6.1 measured: runqlat's
/// `log2l` ORs variable shifts together, and the 6.1 kernel knows nothing of the sum). Tracking
/// more than the kernel would accept programs whose bounds checks the kernel cannot follow,
/// and reach edges it cannot see are impossible.
fn kernel_tracks(op: AluOp, width: Width, src: &Scalar, kernel: KernelVersion) -> bool {
    let is_const = match width {
        Width::W64 => src.as_const().is_some(),
        Width::W32 => src.u32_min() == src.u32_max(),
    };
    match op {
        AluOp::Lsh | AluOp::Rsh | AluOp::Arsh => {
            let bits = if width == Width::W64 { 64 } else { 32 };
            // The count's 64-bit maximum, also for 32-bit shifts, as the kernel compares it.
            is_const && src.umax() < bits
        }
        AluOp::Div | AluOp::SDiv | AluOp::Mod | AluOp::SMod => false,
        AluOp::Or | AluOp::Xor | AluOp::Mul => is_const || kernel >= KernelVersion::new(6, 10),
        _ => true,
    }
}

pub(crate) fn imm_scalar(width: Width, imm: i32) -> Scalar {
    match width {
        Width::W64 => Scalar::constant(imm as i64 as u64),
        Width::W32 => Scalar::constant(u64::from(imm as u32)),
    }
}

fn ptr32(pc: InsnIdx, dst: Reg) -> Box<Violation> {
    Violation::new(
        Code::Pointer32BitArith,
        pc,
        format!("32-bit arithmetic on the pointer in {dst} is not allowed"),
        format!("R{} 32-bit pointer arithmetic prohibited", dst.num()),
    )
}
