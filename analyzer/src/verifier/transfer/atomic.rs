//! Atomic read-modify-write instructions (`BPF_ATOMIC`): which memory they may touch, the
//! pointer-leak and arena rules, and what the fetching forms leave in their register.

use super::mem::Access;
use super::{read, uninit, writable, Res, Vm};
use crate::isa::{AtomicOp, InsnIdx, Operand, Reg, Size};
use crate::verifier::domain::Scalar;
use crate::verifier::state::{AbstractState, PtrKind, RegState};
use crate::verifier::violation::{Code, Violation};

impl Vm<'_> {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn atomic(
        &self,
        st: &mut AbstractState,
        pc: InsnIdx,
        size: Size,
        op: AtomicOp,
        dst: Reg,
        src: Reg,
        off: i16,
    ) -> Res<()> {
        match op {
            AtomicOp::LoadAcquire => return self.load(st, pc, size, false, dst, src, off),
            AtomicOp::StoreRelease => return self.store(st, pc, size, dst, off, Operand::Reg(src)),
            _ => {}
        }
        let val = read(st, pc, src)?;
        if op == AtomicOp::CmpXchg && !st.reg(Reg::R0).is_init() {
            return Err(uninit(pc, Reg::R0));
        }
        let base = read(st, pc, dst)?;
        // The stored value leaking an address is refused before the kind of memory is
        // looked at (the kernel's `check_atomic_rmw`: "R2 leaks addr into mem" for a map
        // pointer added into the context, measured unprivileged on 6.18).
        if let (RegState::Ptr(_), false) = (&val, self.opts.privileged) {
            return Err(Violation::new(
                Code::PointerLeak,
                pc,
                "unprivileged programs may not store pointers with atomics",
                format!("R{} leaks addr into mem", src.num()),
            ));
        }
        if let RegState::Ptr(p) = &base {
            let bad = matches!(
                p.kind,
                PtrKind::Ctx
                    | PtrKind::Packet
                    | PtrKind::PacketMeta
                    | PtrKind::FlowKeys
                    | PtrKind::Socket
                    | PtrKind::SockCommon
                    | PtrKind::TcpSock
                    | PtrKind::XdpSock
            );
            if bad {
                let name = base.type_name();
                return Err(Violation::new(
                    Code::InvalidMemAccess,
                    pc,
                    format!("atomic operations on {name} memory are not allowed"),
                    format!(
                        "BPF_ATOMIC stores into R{} {name} is not allowed",
                        dst.num()
                    ),
                ));
            }
        }
        self.arena_atomic(pc, &base, dst, op)?;
        if let RegState::Ptr(p) = &base {
            self.strict_alignment(pc, p, off, size.bytes(), "atomic operation")?;
        }
        let old = self.access(st, pc, dst, &base, off, size.bytes(), Access::Read, None)?;
        // A non-fetching atomic reads the slot as a number. Unprivileged, a spilled pointer
        // there may not be used so (the kernel's stack read with no destination register, as
        // measured on 6.18: `value_illegal_alu_op_5`); a fetch is a plain fill, checked later.
        if let (RegState::Ptr(_), RegState::Ptr(p), false, false) =
            (&old, &base, op.fetches(), self.opts.privileged)
        {
            if matches!(p.kind, PtrKind::Stack { .. }) && p.has_const_off() {
                let at = i64::from(p.off) + i64::from(off);
                return Err(Violation::new(
                    Code::PointerLeak,
                    pc,
                    "unprivileged programs may not use a spilled pointer as a number",
                    format!("leaking pointer from stack off {at}"),
                ));
            }
        }
        self.access(
            st,
            pc,
            dst,
            &base,
            off,
            size.bytes(),
            Access::Write,
            Some(&RegState::unknown()),
        )?;
        if op.fetches() {
            let out = if op == AtomicOp::CmpXchg {
                Reg::R0
            } else {
                src
            };
            writable(pc, out)?;
            let v = match old {
                RegState::Scalar { .. } => RegState::scalar(Scalar::unknown_bytes(size.bytes())),
                other => other,
            };
            st.set(out, v);
        }
        Ok(())
    }
}
