//! Fuzzes the ELF loader (and through it the BTF parser and the decoder) and the decoder on
//! raw bytes; the loader both strictly (`load`) and leniently (`load_lenient`). The property:
//! no input panics, hangs or allocates without bound; every `Ok` object satisfies the basic
//! linking invariants.
#![no_main]

use bpfvet_analyzer::btf::Btf;
use bpfvet_analyzer::elf::{load, load_lenient};
use bpfvet_analyzer::isa::{decode, CallTarget, Insn, PseudoSrc};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = decode(data);
    let _ = Btf::parse(data);
    // The lenient loader keeps undecodable slots as placeholders: the same invariants hold.
    for obj in [load(data), load_lenient(data)].into_iter().flatten() {
        for p in obj.programs() {
            let n = p.insns().len() as i64;
            for (i, insn) in p.insns().iter().enumerate() {
                match *insn {
                    Insn::Call(CallTarget::Local(imm))
                    | Insn::LdImm64 {
                        src: PseudoSrc::Func,
                        imm,
                        ..
                    } => {
                        let t = i as i64 + i64::from(imm) + 1;
                        assert!((0..n).contains(&t), "call target out of range");
                    }
                    Insn::LdImm64 {
                        src: PseudoSrc::MapIdx | PseudoSrc::MapIdxValue,
                        imm,
                        ..
                    } => {
                        assert!((imm as usize) < obj.maps().len(), "bad map index");
                    }
                    _ => {}
                }
            }
            for l in p.line_info() {
                assert!((l.insn.0 as i64) < n);
            }
        }
    }
});
