//! One load or store instruction, one kind of base pointer. The kernel rewrites accesses
//! through the context and through socket and BTF object pointers into different code, once per
//! instruction, so it records the base pointer's type at each load and store and refuses an
//! instruction reached with a different one ("same insn cannot be used with different
//! pointers"). Other kinds (stack, map values, packet, memory) need no rewriting and are
//! interchangeable.
//!
//! The record is per instruction over the whole verification (all paths, the main program and
//! the global functions), the one piece of state that is not per path.

use super::{Res, Vm};
use crate::isa::{Insn, InsnIdx};
use crate::verifier::state::{AbstractState, PtrKind};
use crate::verifier::violation::{Code, Violation};

/// The base pointer of an access, as far as the kernel's rewriting tells kinds apart.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum AccessBase {
    Ctx,
    Socket,
    SockCommon,
    TcpSock,
    XdpSock,
    BtfId,
    /// Arena memory (probe accesses of the arena's window).
    Arena,
    /// Any kind whose accesses are not rewritten.
    Plain,
}

impl AccessBase {
    fn of(kind: PtrKind) -> AccessBase {
        match kind {
            PtrKind::Ctx => AccessBase::Ctx,
            PtrKind::Socket => AccessBase::Socket,
            PtrKind::SockCommon => AccessBase::SockCommon,
            PtrKind::TcpSock => AccessBase::TcpSock,
            PtrKind::XdpSock => AccessBase::XdpSock,
            // Loads through untrusted memory are probe loads like those through kernel
            // objects: the kernel lets one instruction take both (`save_aux_ptr_type`), and
            // refuses untrusted memory on one path and a map value or stack on another (the
            // live 6.18 said "same insn cannot be used with different pointers").
            PtrKind::BtfId { .. } | PtrKind::UntrustedMem => AccessBase::BtfId,
            PtrKind::Arena => AccessBase::Arena,
            _ => AccessBase::Plain,
        }
    }
}

impl Vm<'_> {
    /// The base of the load or store at `pc` in `st`, before it executes; `None` for other
    /// instructions or a base that is not a pointer (the access itself fails then).
    pub(super) fn access_base(&self, st: &AbstractState, pc: InsnIdx) -> Option<AccessBase> {
        let base = match self.input.insns.get(pc.idx())? {
            Insn::Load { src, .. } => *src,
            Insn::Store { dst, .. } => *dst,
            _ => return None,
        };
        st.reg(base).as_ptr().map(|p| AccessBase::of(p.kind))
    }

    /// Records `base` for the access at `pc`, which succeeded, or refuses it if the
    /// instruction was reached before with a base the kernel rewrites differently.
    pub(super) fn record_access_base(&self, pc: InsnIdx, base: AccessBase) -> Res<()> {
        let mut seen = self.access_bases.borrow_mut();
        let Some(slot) = seen.get_mut(pc.idx()) else {
            return Ok(());
        };
        match *slot {
            None => *slot = Some(base),
            Some(prev) if prev != base => {
                return Err(Violation::new(
                    Code::InvalidMemAccess,
                    pc,
                    format!(
                        "this instruction accesses memory through a {} pointer on one path and a {} pointer on another; the kernel rewrites such accesses once per instruction",
                        name(prev),
                        name(base)
                    ),
                    "same insn cannot be used with different pointers",
                )
                .with_note("use separate loads/stores for the two kinds of pointer, e.g. by duplicating the code in each branch"));
            }
            Some(_) => {}
        }
        Ok(())
    }
}

fn name(b: AccessBase) -> &'static str {
    match b {
        AccessBase::Ctx => "context",
        AccessBase::Socket => "socket",
        AccessBase::SockCommon => "sock_common",
        AccessBase::TcpSock => "tcp_sock",
        AccessBase::XdpSock => "xdp_sock",
        AccessBase::BtfId => "kernel object (BTF) or untrusted memory",
        AccessBase::Arena => "arena",
        AccessBase::Plain => "memory (stack, map value or packet)",
    }
}
