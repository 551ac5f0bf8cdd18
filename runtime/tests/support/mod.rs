//! What several runtime test binaries share.

use bpfvet_analyzer::isa::{Insn, PseudoSrc};
use bpfvet_runtime::conformance::asm::assemble;

/// Assembles `src` (the conformance dialect), turning every `lddw rN, 0x0ead0000+i` into a
/// reference to entry `i` of the program's map table, and `lddw rN, 0xf00c0000+k` into the
/// address of the function at slot `k` (a callback): the dialect has no syntax for either.
pub fn assemble_with_refs(src: &str) -> Vec<Insn> {
    let mut insns = assemble(src).expect("assembles");
    let n = insns.len() as i64;
    for (i, insn) in insns.iter_mut().enumerate() {
        if let Insn::LdImm64 {
            dst,
            imm,
            next_imm: 0,
            ..
        } = *insn
        {
            let v = imm as u32;
            if v & 0xffff_0000 == 0x0ead_0000 {
                *insn = Insn::LdImm64 {
                    dst,
                    src: PseudoSrc::MapIdx,
                    imm: (v & 0xffff) as i32,
                    next_imm: 0,
                };
            } else if v & 0xffff_0000 == 0xf00c_0000 {
                let rel = i64::from(v & 0xffff) - i as i64 - 1;
                assert!(rel + (i as i64) < n, "callback slot inside the program");
                *insn = Insn::LdImm64 {
                    dst,
                    src: PseudoSrc::Func,
                    imm: rel as i32,
                    next_imm: 0,
                };
            }
        }
    }
    insns
}
