//! Decode/encode round trips over every opcode byte and a spread of field values.

use super::*;

/// Every slot that decodes re-encodes to the same bytes, for all 256 opcodes and a spread of
/// register, offset and immediate values.
#[test]
fn decode_encode_is_identity_on_valid_slots() {
    let offs: [i16; 5] = [0, 1, 8, -3, 32];
    let imms: [i32; 9] = [0, 1, 16, 32, 64, 0xe1, 0xf1, 0x100, -7];
    let mut n_valid = 0;
    for code in 0..=255u8 {
        for regs in [0x00u8, 0x21, 0x1a, 0xb0, 0x0b] {
            for off in offs {
                for imm in imms {
                    let mut b = [0u8; 8];
                    b[0] = code;
                    b[1] = regs;
                    b[2..4].copy_from_slice(&off.to_le_bytes());
                    b[4..8].copy_from_slice(&imm.to_le_bytes());
                    let mut prog = b.to_vec();
                    // A `lddw` needs a zero tail slot; anything else gets an `exit` after it.
                    let next = if code == opcode::LDDW {
                        [0; 8]
                    } else {
                        [0x95, 0, 0, 0, 0, 0, 0, 0]
                    };
                    prog.extend_from_slice(&next);
                    let Ok(insns) = decode(&prog) else { continue };
                    n_valid += 1;
                    let again = encode(&insns);
                    let want = if matches!(insns[0], Insn::LdImm64 { .. }) {
                        &prog[..]
                    } else {
                        &prog[..8]
                    };
                    assert_eq!(&again[..want.len()], want, "{insns:?}");
                }
            }
        }
    }
    // Enough forms decoded that the sweep means something.
    assert!(n_valid > 2000, "only {n_valid} valid slots");
}

#[test]
fn rejects_reserved_fields() {
    // `exit` with a non-zero immediate.
    let e = decode(&[0x95, 0, 0, 0, 1, 0, 0, 0]).unwrap_err();
    assert_eq!(
        e.kind,
        DecodeErrorKind::ReservedField {
            field: "imm",
            value: 1
        }
    );
    // `r0 += 1` with a non-zero source register.
    let e = decode(&[0x07, 0x10, 0, 0, 1, 0, 0, 0]).unwrap_err();
    assert_eq!(
        e.kind,
        DecodeErrorKind::ReservedField {
            field: "src",
            value: 1
        }
    );
}

#[test]
fn rejects_truncated_lddw_and_bad_registers() {
    let e = decode(&[0x18, 0x01, 0, 0, 1, 0, 0, 0]).unwrap_err();
    assert_eq!(e.kind, DecodeErrorKind::TruncatedLdImm64);
    let e = decode(&[0xb7, 0x0b, 0, 0, 1, 0, 0, 0]).unwrap_err();
    assert_eq!(e.kind, DecodeErrorKind::BadRegister { reg: 11 });
    let e = decode(&[0x95, 0, 0, 0, 0, 0, 0]).unwrap_err();
    assert_eq!(e.kind, DecodeErrorKind::TrailingBytes { len: 7 });
}

#[test]
fn lddw_is_fused_with_its_tail() {
    let bytes = [
        0x18, 0x01, 0, 0, 0x44, 0x33, 0x22, 0x11, 0, 0, 0, 0, 0x88, 0x77, 0x66, 0x55,
    ];
    let insns = decode(&bytes).unwrap();
    assert_eq!(insns.len(), 2);
    let Insn::LdImm64 {
        dst,
        src,
        imm,
        next_imm,
    } = insns[0]
    else {
        panic!("{:?}", insns[0])
    };
    assert_eq!((dst, src), (Reg::R1, PseudoSrc::Imm));
    assert_eq!(Insn::imm64(imm, next_imm), 0x5566_7788_1122_3344);
    assert_eq!(insns[1], Insn::LdImm64Tail);
}
