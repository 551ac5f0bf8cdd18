//! Alignment of loads, stores and atomics through pointers (the kernel's `check_ptr_alignment`).
//!
//! On x86-64 the kernel checks alignment only when asked: atomics and `MEM_ALIGNED` helper
//! arguments always (`strict_alignment_once`), the stack always, and every other access under the
//! `BPF_F_STRICT_ALIGNMENT` load flag ([`Options::strict_alignment`]).

use super::{Res, Vm};
use crate::isa::InsnIdx;
use crate::verifier::env::Options;
use crate::verifier::state::{Pointer, PtrKind, RegState};
use crate::verifier::violation::{Code, Violation};

/// Where the kernel's strict mode pretends a packet starts past an aligned address: it emulates
/// `NET_IP_ALIGN == 2` (the Ethernet header's 14 bytes then leave the IP header aligned)
/// whatever the machine's own value.
const STRICT_IP_ALIGN: i64 = 2;

impl Vm<'_> {
    /// A load or store of `size` bytes at `base + off` under the load flags' alignment rule:
    /// nothing to check unless strict; byte accesses are always aligned; the stack has its
    /// own always-strict check and arena pointers none.
    pub(super) fn load_store_alignment(
        &self,
        pc: InsnIdx,
        base: &RegState,
        off: i16,
        size: u32,
    ) -> Res<()> {
        let RegState::Ptr(p) = base else {
            return Ok(());
        };
        if !needs_alignment(self.opts, size) || p.maybe_null {
            return Ok(());
        }
        match p.kind {
            PtrKind::Stack { .. } => Ok(()),
            PtrKind::Packet | PtrKind::PacketMeta => packet_alignment(pc, p, off, size),
            _ => self.strict_alignment(pc, p, off, size, "access"),
        }
    }

    /// Atomics, and the helper arguments the kernel marks `MEM_ALIGNED`, must be aligned to
    /// their size whatever the pointer and the load flags (`strict_alignment_once`).
    pub(super) fn strict_alignment(
        &self,
        pc: InsnIdx,
        p: &Pointer,
        off: i16,
        size: u32,
        what: &str,
    ) -> Res<()> {
        let (v, m) = p.var_off.tnum();
        let fixed = i64::from(p.off) + i64::from(off);
        let mask = u64::from(size) - 1;
        if (v.wrapping_add(fixed as u64) | m) & mask == 0 {
            return Ok(());
        }
        let desc = match p.kind {
            PtrKind::MapValue { .. } => "value ",
            PtrKind::MapKey { .. } => "key ",
            PtrKind::Ctx => "context ",
            PtrKind::Stack { .. } => "stack ",
            PtrKind::FlowKeys => "flow keys ",
            PtrKind::Socket => "sock ",
            PtrKind::SockCommon => "sock_common ",
            PtrKind::TcpSock => "tcp_sock ",
            PtrKind::XdpSock => "xdp_sock ",
            _ => "",
        };
        Err(Violation::new(
            Code::MisalignedAccess,
            pc,
            format!("the {size}-byte {what} at offset {fixed} is not aligned to {size} bytes"),
            format!(
                "misaligned {desc}access off {}+{}+{off} size {size}",
                p.var_off.kernel_off_str(),
                p.off
            ),
        ))
    }
}

/// Whether an access of `size` bytes is checked for alignment under these options.
fn needs_alignment(opts: &Options, size: u32) -> bool {
    opts.strict_alignment && size > 1
}

/// A packet access is aligned when `STRICT_IP_ALIGN + off + var_off` is a multiple of `size`
/// in every case the variable offset allows (`check_pkt_ptr_alignment`).
fn packet_alignment(pc: InsnIdx, p: &Pointer, off: i16, size: u32) -> Res<()> {
    let (v, m) = p.var_off.tnum();
    let fixed = STRICT_IP_ALIGN + i64::from(p.off) + i64::from(off);
    let mask = u64::from(size) - 1;
    if (v.wrapping_add(fixed as u64) | m) & mask == 0 {
        return Ok(());
    }
    Err(Violation::new(
        Code::MisalignedAccess,
        pc,
        format!(
            "the {size}-byte packet access at offset {} is not aligned to {size} bytes (strict \
             alignment counts from 2 bytes past an aligned address)",
            i64::from(p.off) + i64::from(off)
        ),
        format!(
            "misaligned packet access off {STRICT_IP_ALIGN}+{}+{}+{off} size {size}",
            p.var_off.kernel_off_str(),
            p.off
        ),
    ))
}
