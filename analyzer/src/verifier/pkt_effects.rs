//! Which subprograms may move packet data, directly or through the functions they call (the
//! kernel's `changes_pkt_data` property of a subprogram). A global function is verified on its
//! own, so its caller learns this only from here: after calling one that may, the caller's
//! packet pointers are invalid.

use crate::cfg::Cfg;
use crate::isa::{CallTarget, Insn};
use crate::rules::HelperTable;
use crate::verifier::env::KernelVersion;

/// Whether calls whose effect on the packet the verifier cannot see invalidate the caller's
/// packet pointers: a tail call (the program it runs may move packet data) and a call to a
/// global function that may ("track changes_pkt_data property for global functions" and
/// "consider that tail calls invalidate packet pointers", mainline 6.13, taken by the 6.12.y
/// and 6.6.y stable series in 2025). Before, only a helper that moves packet data itself did:
/// Debian's 6.1.192 accepts the selftests' `invalidate_pkt_pointers_by_tail_call` and
/// `invalidate_pkt_pointers_from_global_func`, which 6.12.118 rejects; 6.9 and 6.10 had
/// reached their end of life.
pub(crate) fn opaque_calls_invalidate_packet(kernel: KernelVersion) -> bool {
    kernel >= KernelVersion::new(6, 12) || kernel == KernelVersion::new(6, 6)
}

/// Whether a tail call leaves the packet pointers of its own frame valid, invalidating only the
/// callers' (a static function's caller after the call returns, a global function's through
/// [`changes_pkt_data`]). Control comes back to the frame only when the tail call failed, and
/// then the packet did not move. The live 6.18.44 accepts a packet access right after a tail
/// call, in the main program and in a subprogram alike, and rejects one in the caller of a
/// subprogram that tail-calls; 6.12.118 rejects the first. The release between them that made
/// the change is not known here, so 6.13 to 6.17 keep the stricter rule.
pub(crate) fn tail_call_keeps_own_frame(kernel: KernelVersion) -> bool {
    kernel >= KernelVersion::new(6, 18)
}

/// Per subprogram of `cfg`: whether running it may move packet data.
pub fn changes_pkt_data(insns: &[Insn], cfg: &Cfg, helpers: &HelperTable) -> Vec<bool> {
    let subprogs = cfg.subprogs();
    let mut changes = vec![false; subprogs.len()];
    let mut callees: Vec<Vec<usize>> = vec![Vec::new(); subprogs.len()];
    for (i, s) in subprogs.iter().enumerate() {
        let body = insns
            .get(s.start.0 as usize..s.end.0 as usize)
            .unwrap_or(&[]);
        for (off, insn) in body.iter().enumerate() {
            match insn {
                Insn::Call(CallTarget::Helper(id))
                    if helpers.get(*id).is_some_and(|h| h.changes_pkt_data) =>
                {
                    changes[i] = true;
                }
                Insn::Call(CallTarget::Local(imm)) => {
                    let at = s.start.0 as i64 + off as i64;
                    let callee = crate::isa::InsnIdx(at as u32)
                        .jump(i64::from(*imm))
                        .and_then(|entry| cfg.subprog_at(entry));
                    if let Some(c) = callee {
                        callees[i].push(c);
                    }
                }
                _ => {}
            }
        }
    }
    // Propagate from callees to callers until nothing changes (the call graph is small and
    // may have cycles only in programs the CFG check rejects; the loop ends either way).
    let mut changed = true;
    while changed {
        changed = false;
        for i in 0..subprogs.len() {
            if !changes[i] && callees[i].iter().any(|&c| changes[c]) {
                changes[i] = true;
                changed = true;
            }
        }
    }
    changes
}
