//! `SHT_RELA` relocation sections: the addend is in the entry, not the instruction, and links
//! to the same program as the `SHT_REL` form.

use super::*;

/// Two programs in one section, calling a static and a global `.text` function, taking a
/// function's address, and loading a legacy map through the maps section's symbol; the
/// immediates are all 0, as an assembler writing RELA leaves them.
fn object(rela: bool) -> Vec<u8> {
    let mut bld = ElfBuilder::new();
    // REL form: the addends live in the immediates.
    let (call_a, lddw_b, map_b) = if rela { (0, 0, 0) } else { (-1, 32, 20) };
    let x = bld.code(
        "xdp",
        &[
            local_call(call_a),
            lddw(Reg::R1, map_b),
            Insn::LdImm64Tail,
            Insn::Exit,
            // second program
            local_call(if rela { 0 } else { -1 }),
            Insn::Exit,
        ],
    );
    let text = bld.code(
        ".text",
        &[
            lddw(Reg::R2, lddw_b),
            Insn::LdImm64Tail,
            Insn::Exit,
            Insn::Exit,
            mov(Reg::R0, 7),
            Insn::Exit,
        ],
    );
    let mut maps = Vec::new();
    for w in [2u32, 4, 4, 1, 0, 2, 4, 8, 1, 0] {
        maps.extend_from_slice(&w.to_le_bytes());
    }
    let m = bld.sec("maps", 1, 3, maps);
    bld.sym("m_a", m, 0, 20, STT_OBJECT, true);
    bld.sym("m_b", m, 20, 20, STT_OBJECT, true);
    bld.func("first", x, 0, 4);
    bld.func("second", x, 4, 2);
    bld.sym("a", text, 0, 32, STT_FUNC, false);
    let b_sym = bld.func("b", text, 4, 2);
    let text_sym = bld.sec_sym(text);
    let maps_sym = bld.sec_sym(m);
    bld.rel(x, 0, text_sym, R_64_32);
    bld.rel(x, 8, maps_sym, R_64_64);
    bld.rel(x, 32, b_sym, R_64_32);
    bld.rel(text, 0, text_sym, R_64_64);
    if rela {
        // (S + A) / 8 - 1 for calls: `a` at 0 and `b` through its own symbol, both A = 0;
        // &b is `.text` + 32; m_b is `maps` + 20.
        bld.rela = Some(vec![((x, 8), 20), ((text, 0), 32)]);
    }
    bld.build()
}

#[test]
fn rela_links_like_rel() {
    let rel = load(&object(false)).unwrap();
    let rela = load(&object(true)).unwrap();
    assert_eq!(rel.programs().len(), 2);
    assert_eq!(rel.programs(), rela.programs());
    let first = &rela.programs()[0];
    let subs: Vec<_> = first.subprogs().iter().map(|s| s.name.as_str()).collect();
    assert_eq!(subs, ["first", "a", "b"]);
    assert_eq!(
        first.reloc_at(InsnIdx(1)),
        Some(&RelocTarget::Map {
            map: MapIdx(1),
            name: "m_b".into()
        })
    );
    let second = &rela.programs()[1];
    assert_eq!(
        second.reloc_at(InsnIdx(0)).map(|r| match r {
            RelocTarget::Subprog { name, .. } => name.as_str(),
            _ => "",
        }),
        Some("b")
    );
}

#[test]
fn rela_addends_that_do_not_fit_are_refused() {
    let mut bld = ElfBuilder::new();
    let x = bld.code("xdp", &[local_call(0), Insn::Exit]);
    let text = bld.code(".text", &[mov(Reg::R0, 0), Insn::Exit]);
    bld.func("prog", x, 0, 2);
    bld.sym("f", text, 0, 16, STT_FUNC, false);
    let s = bld.sec_sym(text);
    bld.rel(x, 0, s, R_64_32);
    bld.rela = Some(vec![((x, 0), 4)]);
    let k = kind(&bld.build());
    assert!(
        matches!(&k, LoadErrorKind::BadReloc { what, .. } if what.contains("call addend 4 is not insn-aligned")),
        "{k:?}"
    );
}
