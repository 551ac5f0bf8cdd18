//! `load_lenient`: slots that do not decode become placeholders listed per program, at their
//! linked positions, while `load` still refuses the object.

use super::*;

#[test]
fn bad_slots_are_listed_where_they_land_after_linking() {
    let mut b = ElfBuilder::new();
    let x = b.code("xdp", &[local_call(-1), Insn::Exit]);
    let mut text = encode(&[mov(Reg::R0, 0)]);
    text.extend_from_slice(&[0xff, 0, 0, 0, 0, 0, 0, 0]);
    text.extend(encode(&[Insn::Exit]));
    let t = b.sec(".text", 1, 6, text);
    b.func("prog", x, 0, 2);
    b.sym("helper", t, 0, 24, STT_FUNC, false);
    let ts = b.sec_sym(t);
    b.rel(x, 0, ts, R_64_32);
    let bytes = b.build();

    assert!(matches!(kind(&bytes), LoadErrorKind::Decode { .. }));

    let obj = load_lenient(&bytes).unwrap();
    let p = obj.program("prog").unwrap();
    // prog (2 slots), then helper at 2: its bad slot is program slot 3.
    let u: Vec<_> = p
        .undecoded()
        .iter()
        .map(|u| (u.insn.0, u.err.insn.0, u.bytes[0]))
        .collect();
    assert_eq!(u, [(3, 3, 0xff)]);
    assert_eq!(p.insns()[3], Insn::Exit);
}

#[test]
fn a_relocation_on_a_bad_slot_is_not_applied() {
    let mut b = ElfBuilder::new();
    let mut code = vec![0x18, 0x01, 0, 0, 0, 0, 0, 0];
    // A lddw whose second slot is not a continuation.
    code.extend_from_slice(&[0x07, 0, 0, 0, 0, 0, 0, 0]);
    code.extend(encode(&[Insn::Exit]));
    let x = b.sec("socket", 1, 6, code);
    b.func("prog", x, 0, 3);
    let mut def = Vec::new();
    for w in [2u32, 4, 4, 1, 0] {
        def.extend_from_slice(&w.to_le_bytes());
    }
    let m = b.sec("maps", 1, 3, def);
    let ms = b.sym("m", m, 0, 20, STT_OBJECT, true);
    b.rel(x, 0, ms, R_64_64);
    let obj = load_lenient(&b.build()).unwrap();
    let p = &obj.programs()[0];
    // The lddw slot is bad; its would-be second slot decodes on its own (`r0 += 0`).
    assert_eq!(p.undecoded().len(), 1, "{:?}", p.undecoded());
    assert!(p.relocs().is_empty());
}
