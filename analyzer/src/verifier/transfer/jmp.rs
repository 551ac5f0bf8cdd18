//! Conditional jumps: branch outcomes, refinement of both operands on each edge, NULL checks
//! and packet range marking (the kernel's `check_cond_jmp_op`, `is_branch_taken`,
//! `reg_set_min_max`, `mark_ptr_or_null_regs` and `try_match_pkt_pointers`).

use super::alu::imm_scalar;
use super::{jump_target, read, Flow, Res, Vm};
use crate::isa::{Cond, InsnIdx, Operand, Reg, Width};
use crate::verifier::domain::Scalar;
use crate::verifier::env::KernelVersion;
use crate::verifier::state::{AbstractState, Delta, PtrKind, RegState};
use crate::verifier::violation::{Code, Violation};

/// Largest packet offset range marking considers (`MAX_PACKET_OFF`).
const MAX_PACKET_OFF: u64 = 0xffff;

impl Vm<'_> {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn cond_jmp(
        &self,
        st: &mut AbstractState,
        pc: InsnIdx,
        width: Width,
        cond: Cond,
        dst: Reg,
        src: Operand,
        off: i16,
    ) -> Res<Flow> {
        let a = read(st, pc, dst)?;
        let b = match src {
            Operand::Reg(r) => read(st, pc, r)?,
            // 64-bit compares sign-extend the immediate; 32-bit ones take its pattern.
            Operand::Imm(imm) => RegState::scalar(imm_scalar(width, imm)),
        };
        if let (false, Some(r)) = (
            self.opts.privileged,
            prohibited_compare(width, cond, dst, src, &a, &b),
        ) {
            return Err(Violation::new(
                Code::PointerLeak,
                pc,
                format!("unprivileged programs may not compare the pointer in {r}"),
                format!("R{} pointer comparison prohibited", r.num()),
            ));
        }
        let target = jump_target(pc, i64::from(off))?;
        let fall = InsnIdx(pc.0 + 1);

        if self.opts.kernel < KernelVersion::new(6, 8) {
            if let Some(refine) = undecided_before_6_8(width, cond, &a, &b) {
                let edges = (fall, target);
                return Ok(both_edges(
                    st,
                    (width, cond),
                    dst,
                    src,
                    &a,
                    &b,
                    refine,
                    edges,
                    self.opts.kernel,
                ));
            }
        }
        let mut taken = st.clone();
        let k = self.opts.kernel;
        let taken_ok = refine_edge(&mut taken, (width, cond), dst, src, &a, &b, true, k);
        let fall_ok = refine_edge(st, (width, cond), dst, src, &a, &b, false, k);
        // Linux 6.1 does not draw this inference (measured on the selftests'
        // verifier_jeq_infer_not_null); 6.2, where the kernel learned it, is assumed.
        if let (RegState::Ptr(p), RegState::Ptr(q), Operand::Reg(s), Width::W64) =
            (&a, &b, src, width)
        {
            if self.opts.kernel >= KernelVersion::new(6, 2) {
                not_null_if_equal(&mut taken, cond, true, (dst, p), (s, q));
                not_null_if_equal(st, cond, false, (dst, p), (s, q));
            }
        }
        match (taken_ok, fall_ok) {
            (true, true) => Ok(Flow::Fork {
                cont: fall,
                other: (target, taken),
            }),
            (true, false) => {
                *st = taken;
                Ok(Flow::Next(target))
            }
            (false, true) => Ok(Flow::Next(fall)),
            // Both edges impossible means the state itself was empty: nothing to explore.
            (false, false) => Ok(Flow::Done),
        }
    }
}

/// How kernels before 6.8 treat a compare of two scalars they cannot judge: `None` when they
/// judge it (the right operand is a constant and, for `==`/`!=`, so is the left one); else
/// `Some(refine)`, whether they still narrow the operands on each edge (one side a constant,
/// or a 64-bit equality, which intersects the two ranges). The 6.1 kernel measured this on
/// the selftests' `verifier_bounds_deduction_non_const` (all 30 rejected, all accepted by
/// 6.12); 6.8, where the kernel's branch logic learned ranges on both sides, is assumed as
/// the boundary.
fn undecided_before_6_8(width: Width, cond: Cond, a: &RegState, b: &RegState) -> Option<bool> {
    let (RegState::Scalar { v: x, .. }, RegState::Scalar { v: y, .. }) = (a, b) else {
        return None;
    };
    let known = |s: &Scalar| match width {
        Width::W64 => s.as_const().is_some(),
        Width::W32 => s.as_const32().is_some(),
    };
    let (kx, ky) = (known(x), known(y));
    let equality = matches!(cond, Cond::Eq | Cond::Ne);
    if ky && (kx || !equality) {
        return None;
    }
    Some(kx || ky || (width == Width::W64 && equality))
}

/// Both edges of a compare the kernel does not judge: each edge narrowed when `refine` (and
/// followed as it was when the narrowing finds the edge impossible, as the old kernels did).
#[allow(clippy::too_many_arguments)]
fn both_edges(
    st: &mut AbstractState,
    (width, cond): (Width, Cond),
    dst: Reg,
    src: Operand,
    a: &RegState,
    b: &RegState,
    refine: bool,
    (fall_pc, target): (InsnIdx, InsnIdx),
    kernel: KernelVersion,
) -> Flow {
    // For `==`/`!=` only the edge where the operands are equal learns anything: the old
    // kernels drew nothing from "not equal", not even at a range's end.
    let equal_edge = match cond {
        Cond::Eq => Some(true),
        Cond::Ne => Some(false),
        _ => None,
    };
    let mut taken = st.clone();
    if refine
        && equal_edge != Some(false)
        && !refine_edge(&mut taken, (width, cond), dst, src, a, b, true, kernel)
    {
        taken = st.clone();
    }
    if refine && equal_edge != Some(true) {
        let mut fall = st.clone();
        if refine_edge(&mut fall, (width, cond), dst, src, a, b, false, kernel) {
            *st = fall;
        }
    }
    Flow::Fork {
        cont: fall_pc,
        other: (target, taken),
    }
}

/// Whether the kernel intersects a sub-register's signed and unsigned ranges when both wrap
/// around the sign boundary (`s32` in `[S32_MIN, 1]` and `u32` in `[3, U32_MAX]` leave only
/// the negatives). `__reg32_deduce_bounds` learned it in 2026 (mainline commit f81fdfd16771's
/// fix, tested by the selftests' `signed_unsigned_intersection32_case1/2`), and the stable
/// series 6.6.y, 6.12.y and 6.18.y took it; 6.1.y did not (Debian's 6.1.192 rejects both
/// tests, 6.12.118 accepts them), nor did the releases whose support had ended (6.9, 6.10,
/// 6.15).
fn deduces_across_sign32(kernel: KernelVersion) -> bool {
    kernel >= KernelVersion::new(6, 18)
        || kernel == KernelVersion::new(6, 12)
        || kernel == KernelVersion::new(6, 6)
}

/// A 32-bit compare as kernels without that deduction refine it: the compare narrows its own
/// view of each operand (signed or unsigned); when the operand's other view wraps around the
/// sign boundary and so does the narrowed one, the kernel draws nothing from the two together,
/// so the other view is forgotten (an edge the two views together rule out is then still
/// explored, as those kernels explored it). Otherwise the exact refinement.
fn refine32_without_sign_crossing(
    cond: Cond,
    x: &Scalar,
    y: &Scalar,
    outcome: bool,
) -> Option<(Scalar, Scalar)> {
    let signed = matches!(cond, Cond::SGt | Cond::SGe | Cond::SLt | Cond::SLe);
    let unsigned = matches!(cond, Cond::Gt | Cond::Ge | Cond::Lt | Cond::Le);
    let exact = Scalar::refine(cond, Width::W32, x, y, outcome);
    if !signed && !unsigned {
        return exact;
    }
    let other_wraps = |s: &Scalar| {
        if signed {
            s.u32_crosses_sign()
        } else {
            s.s32_crosses_sign()
        }
    };
    let own_wraps = |s: &Scalar| {
        if signed {
            s.s32_crosses_sign()
        } else {
            s.u32_crosses_sign()
        }
    };
    let forget = |s: &Scalar| {
        if other_wraps(s) {
            s.forget_low_view(signed)
        } else {
            *s
        }
    };
    let (xw, yw) = (forget(x), forget(y));
    if xw == *x && yw == *y {
        return exact;
    }
    let (x_weak, y_weak) = Scalar::refine(cond, Width::W32, &xw, &yw, outcome)?;
    let blind = |orig: &Scalar, weak: &Scalar| other_wraps(orig) && own_wraps(weak);
    let (x_blind, y_blind) = (blind(x, &x_weak), blind(y, &y_weak));
    match exact {
        // The edge is impossible, but the kernel cannot see it: it follows the edge with the
        // ranges each view alone gives.
        None => (x_blind || y_blind).then_some((x_weak, y_weak)),
        Some((xe, ye)) => Some((
            if x_blind { x_weak } else { xe },
            if y_blind { y_weak } else { ye },
        )),
    }
}

/// The register whose pointer an unprivileged program may not compare here, as
/// `check_cond_jmp_op` decides: a pointer on the right is refused unless both sides are packet
/// pointers; a pointer on the left passes only when the kernel decides the branch (a pointer
/// it knows is not NULL against zero), when it is a NULL check of a pointer that may be NULL
/// (64-bit, against the immediate 0), or when it is one of the packet-range compares the
/// kernel learns bounds from (`try_match_pkt_pointers`).
fn prohibited_compare(
    width: Width,
    cond: Cond,
    dst: Reg,
    src: Operand,
    a: &RegState,
    b: &RegState,
) -> Option<Reg> {
    let both_pkt = matches!((a, b), (RegState::Ptr(p), RegState::Ptr(q)) if is_pkt_like(p.kind) && is_pkt_like(q.kind));
    if let (Operand::Reg(r), RegState::Ptr(_), false) = (src, b, both_pkt) {
        return Some(r);
    }
    let RegState::Ptr(p) = a else {
        return None;
    };
    let eq_ne = matches!(cond, Cond::Eq | Cond::Ne);
    let zero = match (b, width) {
        (RegState::Scalar { v, .. }, Width::W64) => v.as_const() == Some(0),
        (RegState::Scalar { v, .. }, Width::W32) => v.as_const32() == Some(0),
        _ => false,
    };
    let decided = eq_ne && zero && !p.maybe_null && known_not_null(p);
    let null_check = eq_ne && p.maybe_null && width == Width::W64 && matches!(src, Operand::Imm(0));
    let pkt_range = width == Width::W64
        && matches!(cond, Cond::Gt | Cond::Ge | Cond::Lt | Cond::Le)
        && matches!(b, RegState::Ptr(q) if matches!(
            (p.kind, q.kind),
            (PtrKind::Packet, PtrKind::PacketEnd)
                | (PtrKind::PacketEnd, PtrKind::Packet)
                | (PtrKind::PacketMeta, PtrKind::Packet)
                | (PtrKind::Packet, PtrKind::PacketMeta)
        ));
    (!decided && !null_check && !pkt_range).then_some(dst)
}

fn is_pkt_like(k: PtrKind) -> bool {
    matches!(
        k,
        PtrKind::Packet | PtrKind::PacketMeta | PtrKind::PacketEnd
    )
}

/// Whether the kernel learns anything from the outcome of `jset` (its `regs_refine_cond_op`):
/// only when one operand is a constant (in the compared width), and on the taken edge only
/// when that constant is a single bit (which is then known set); not taken, the constant's
/// bits are known clear. bpfvet's domain could learn more (the one bit of a multi-bit mask a
/// value may have), but a loop that exits on such a test then ends in bpfvet and not in the
/// kernel (`verifier_search_pruning` `short_loop1`).
fn kernel_learns_from_jset(width: Width, x: &Scalar, y: &Scalar, taken: bool) -> bool {
    let konst = |s: &Scalar| match width {
        Width::W64 => s.as_const(),
        Width::W32 => s.as_const32().map(u64::from),
    };
    match konst(y).or_else(|| konst(x)) {
        None => false,
        Some(c) => !taken || c.is_power_of_two(),
    }
}

/// Refines `st` for the edge where `dst cond src` is `outcome`. Returns false when the edge
/// is impossible.
#[allow(clippy::too_many_arguments)]
fn refine_edge(
    st: &mut AbstractState,
    (width, cond): (Width, Cond),
    dst: Reg,
    src: Operand,
    a: &RegState,
    b: &RegState,
    outcome: bool,
    kernel: KernelVersion,
) -> bool {
    match (a, b) {
        (RegState::Scalar { v: x, id: xid, .. }, RegState::Scalar { v: y, id: yid, .. }) => {
            if cond == Cond::Set && !kernel_learns_from_jset(width, x, y, outcome) {
                return true;
            }
            let refined = if width == Width::W32 && !deduces_across_sign32(kernel) {
                refine32_without_sign_crossing(cond, x, y, outcome)
            } else {
                Scalar::refine(cond, width, x, y, outcome)
            };
            let Some((x2, y2)) = refined else {
                return false;
            };
            set_scalar_linked(st, dst, x2, *xid, kernel);
            if let Operand::Reg(s) = src {
                set_scalar_linked(st, s, y2, *yid, kernel);
            }
            true
        }
        (RegState::Ptr(p), RegState::Scalar { v: y, .. })
        | (RegState::Scalar { v: y, .. }, RegState::Ptr(p)) => {
            let ptr_reg = if matches!(a, RegState::Ptr(_)) {
                dst
            } else {
                src_reg(src).unwrap_or(dst)
            };
            let is_zero = y.as_const() == Some(0) && width == Width::W64;
            if is_zero && matches!(cond, Cond::Eq | Cond::Ne) {
                let is_null = (cond == Cond::Eq) == outcome;
                if p.maybe_null {
                    // The kernel learns NULL-ness only when the pointer is the left operand
                    // (`if p == 0`, `if p == zero_reg`); `if zero_reg != p` teaches nothing.
                    if ptr_reg == dst && matches!(a, RegState::Ptr(_)) {
                        mark_null_checked(st, ptr_reg, p.id, is_null);
                    }
                    return true;
                }
                // A pointer the kernel knows cannot be NULL is never equal to zero. It does not
                // count the context, stack, packet or flow-key pointers among those
                // (`reg_not_null`): comparing them with zero leaves both edges open.
                return !is_null || !known_not_null(p);
            }
            true
        }
        (RegState::Ptr(p), RegState::Ptr(q)) => {
            if width == Width::W64 {
                pkt_ranges(st, cond, p, q, outcome);
            }
            true
        }
        _ => true,
    }
}

/// `p == q` where exactly one of the two may be NULL: on the edge where they are equal, that
/// one is not NULL either. The kernel marks only the register compared, not its copies, and
/// leaves BTF pointers alone (in `check_cond_jmp_op`).
fn not_null_if_equal(
    st: &mut AbstractState,
    cond: Cond,
    outcome: bool,
    (dst, p): (Reg, &crate::verifier::state::Pointer),
    (src, q): (Reg, &crate::verifier::state::Pointer),
) {
    let equal_edge = match cond {
        Cond::Eq => outcome,
        Cond::Ne => !outcome,
        _ => return,
    };
    let btf = |k: PtrKind| matches!(k, PtrKind::BtfId { .. });
    if !equal_edge || p.maybe_null == q.maybe_null || btf(p.kind) || btf(q.kind) {
        return;
    }
    let r = if p.maybe_null { dst } else { src };
    if let RegState::Ptr(mut x) = st.reg(r).clone() {
        x.maybe_null = false;
        st.set(r, RegState::Ptr(x));
    }
}

/// The pointers whose comparison with zero the kernel decides (`reg_not_null`): among BTF
/// pointers only the trusted ones (`is_trusted_reg`: holding a reference, or flagged trusted,
/// allocated or non-owning and nothing else); an RCU pointer, a walked one or one marked
/// untrusted leaves both edges open.
fn known_not_null(p: &crate::verifier::state::Pointer) -> bool {
    use crate::verifier::state::Trust;
    match p.kind {
        PtrKind::Socket
        | PtrKind::TcpSock
        | PtrKind::SockCommon
        | PtrKind::MapValue { .. }
        | PtrKind::MapKey { .. }
        | PtrKind::MapPtr { .. }
        | PtrKind::Mem { .. } => true,
        PtrKind::BtfId { trust, .. } => p.ref_obj_id != 0 || trust == Trust::Trusted,
        // `MEM_RCU` (an object loaded from a kptr field, a per-CPU object or its copy) is
        // not among the trusted flags.
        PtrKind::Alloc { rcu, .. } => p.ref_obj_id != 0 || !rcu,
        _ => false,
    }
}

fn src_reg(src: Operand) -> Option<Reg> {
    match src {
        Operand::Reg(r) => Some(r),
        Operand::Imm(_) => None,
    }
}

/// Writes a refined scalar into `r` and every register and spill that shares its id, each
/// moved by the difference of its delta and `r`'s (the kernel's `sync_linked_regs`); spills of
/// fewer than 8 bytes only where `refines_narrow_spills`.
fn set_scalar_linked(st: &mut AbstractState, r: Reg, v: Scalar, id: u32, kernel: KernelVersion) {
    let known_delta = match st.reg(r) {
        RegState::Scalar { delta, .. } => *delta,
        _ => Delta::Same,
    };
    if id == 0 {
        st.set(
            r,
            RegState::Scalar {
                v,
                id,
                delta: known_delta,
            },
        );
        return;
    }
    let narrow_spills = refines_narrow_spills(kernel);
    let refine = |reg: &mut RegState| {
        if let RegState::Scalar {
            v: old,
            id: rid,
            delta,
        } = reg
        {
            if *rid == id {
                if let Some(moved) = super::linked::synced(&v, known_delta, *delta, kernel) {
                    *old = moved;
                }
            }
        }
    };
    for frame in &mut st.frames {
        frame.regs.iter_mut().for_each(refine);
        // Copies only the shared slots it refines (`Stack`).
        frame.stack.update_spilled(|bytes, spilled| {
            // The slot's last byte is the kernel's `slot_type[0]`, spilled only by a full spill.
            let full = bytes[7] == crate::verifier::state::StackByte::Spill;
            if full || narrow_spills {
                refine(spilled);
            }
        });
    }
}

/// Whether what a compare learns of a register reaches its copies spilled with fewer than 8
/// bytes. Before 6.8 ("make bpf_for_each_spilled_reg consider narrow spills") the kernel's
/// walk over spilled registers took only slots whose last byte is spilled, so a narrow spill
/// kept its old bounds: Debian's 6.1.192 rejects the selftests' `spill_32bit_range_track`,
/// whose fill of such a spill is still unrefined, and 6.12 accepts it.
fn refines_narrow_spills(kernel: KernelVersion) -> bool {
    kernel >= KernelVersion::new(6, 8)
}

/// After `if (p == NULL)`: on the NULL edge every copy of `p` becomes the scalar 0; on the
/// other edge every copy is known non-NULL.
fn mark_null_checked(st: &mut AbstractState, r: Reg, id: u32, is_null: bool) {
    let ref_id = st.reg(r).as_ptr().map_or(0, |p| p.ref_obj_id);
    let apply = |reg: &mut RegState| {
        if let RegState::Ptr(q) = reg {
            if q.maybe_null && q.id == id {
                if is_null {
                    *reg = RegState::scalar_const(0);
                } else {
                    q.maybe_null = false;
                }
            }
        }
    };
    if id == 0 {
        let mut v = st.reg(r).clone();
        apply(&mut v);
        st.set(r, v);
    } else {
        st.for_each_reg_mut(apply);
    }
    // A NULL result holds no reference: there is nothing to release on that edge. Only the
    // pointer that owns the reference (an acquired one, whose id names it) drops it; a cast of
    // a referenced socket that is NULL leaves the socket's reference held.
    if is_null && ref_id != 0 && ref_id == id {
        st.refs.retain(|rf| rf.id != ref_id);
    }
}

/// Packet range marking for `p cond q` where one is a packet pointer and the other the packet
/// end (or the packet start, for metadata pointers).
fn pkt_ranges(
    st: &mut AbstractState,
    cond: Cond,
    p: &crate::verifier::state::Pointer,
    q: &crate::verifier::state::Pointer,
    outcome: bool,
) {
    use PtrKind::{Packet, PacketEnd, PacketMeta};
    // Normalize to "pkt <cond> end". For metadata the end is the packet start itself: a
    // packet pointer that was moved bounds nothing (the kernel's `reg_is_init_pkt_pointer`).
    let is_start =
        |r: &crate::verifier::state::Pointer| r.off == 0 && r.var_off.as_const() == Some(0);
    let (pkt, c) = match (p.kind, q.kind) {
        (Packet, PacketEnd) => (p, cond),
        (PacketMeta, Packet) if is_start(q) => (p, cond),
        (PacketEnd, Packet) => (q, cond.swap()),
        (Packet, PacketMeta) if is_start(p) => (q, cond.swap()),
        _ => return,
    };
    // `pkt + off <= end` holds on this edge: which comparison and outcome say so, and whether
    // the bound is exclusive (`pkt + off < end` gives one more byte).
    let safe = match (c, outcome) {
        (Cond::Gt, false) | (Cond::Le, true) => Some(false),
        (Cond::Ge, false) | (Cond::Lt, true) => Some(true),
        _ => None,
    };
    let Some(open) = safe else { return };
    if pkt.off < 0 || (pkt.off == 0 && open) {
        return;
    }
    if pkt.var_off.umax() > MAX_PACKET_OFF || pkt.var_off.umax() + pkt.off as u64 > MAX_PACKET_OFF {
        return;
    }
    let new_range = pkt.off + i32::from(open);
    let (kind, id) = (pkt.kind, pkt.id);
    st.for_each_reg_mut(|reg| {
        if let RegState::Ptr(r) = reg {
            if r.kind == kind && r.id == id {
                r.range = r.range.max(new_range);
            }
        }
    });
}
