//! Decoding a code section slot by slot, keeping going past slots that do not decode, for
//! [`load_lenient`](super::load_lenient): a listing shows every instruction it can, and a
//! checker reports the bad program at its source line instead of refusing the whole object.

use crate::isa::{decode_one, DecodeError, DecodeErrorKind, Insn, InsnIdx};

/// A slot that does not decode, by its index in its section.
#[derive(Clone, Copy, Debug)]
pub(crate) struct BadSlot {
    pub(crate) slot: u32,
    pub(crate) bytes: [u8; 8],
    pub(crate) err: DecodeError,
}

/// What stands in for a bad slot: the program is never verified (it has a bad slot), so any
/// instruction that needs no linking will do.
pub(crate) const PLACEHOLDER: Insn = Insn::Exit;

/// `bytes` (a multiple of 8 long) as instructions with `lddw` fused like [`crate::isa::decode`],
/// each bad slot replaced by [`PLACEHOLDER`] and listed. A `lddw` whose second slot is missing
/// or malformed is itself the bad slot, and decoding resumes at the slot after it.
pub(crate) fn decode(bytes: &[u8]) -> (Vec<Insn>, Vec<BadSlot>) {
    let slots: Vec<[u8; 8]> = bytes
        .chunks_exact(8)
        .map(|c| {
            let mut a = [0u8; 8];
            a.copy_from_slice(c);
            a
        })
        .collect();
    let mut insns = Vec::with_capacity(slots.len());
    let mut bad = Vec::new();
    let mut i = 0;
    while i < slots.len() {
        let slot = slots[i];
        let at = u32::try_from(i).unwrap_or(u32::MAX);
        let mut fail = |kind| {
            bad.push(BadSlot {
                slot: at,
                bytes: slot,
                err: DecodeError {
                    insn: InsnIdx(at),
                    code: slot[0],
                    kind,
                },
            });
        };
        match decode_one(&slot) {
            Ok(Insn::LdImm64 { dst, src, imm, .. }) => match slots.get(i + 1) {
                Some(t) if t[0] == 0 && t[1] == 0 && t[2] == 0 && t[3] == 0 => {
                    let next_imm = i32::from_le_bytes([t[4], t[5], t[6], t[7]]);
                    insns.push(Insn::LdImm64 {
                        dst,
                        src,
                        imm,
                        next_imm,
                    });
                    insns.push(Insn::LdImm64Tail);
                    i += 2;
                    continue;
                }
                Some(_) => fail(DecodeErrorKind::BadLdImm64Tail),
                None => fail(DecodeErrorKind::TruncatedLdImm64),
            },
            Ok(insn) => {
                insns.push(insn);
                i += 1;
                continue;
            }
            Err(kind) => fail(kind),
        }
        insns.push(PLACEHOLDER);
        i += 1;
    }
    (insns, bad)
}
