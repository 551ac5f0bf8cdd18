//! Scratch: dump an object named by BPFVET_DUMP.
#[test]
fn dump() {
    let Ok(path) = std::env::var("BPFVET_DUMP") else { return };
    let bytes = std::fs::read(&path).unwrap();
    let obj = match bpfvet_analyzer::elf::load(&bytes) { Ok(o) => o, Err(e) => panic!("{e}") };
    println!("license={:?} version={:?} btf={} ext={} core={}", obj.license(), obj.kern_version(), obj.has_btf(), obj.has_btf_ext(), obj.n_core_relos());
    for (i, m) in obj.maps().iter().enumerate() { println!("map {i}: {m:?}"); }
    for p in obj.programs() {
        println!("== {} [{}] {:?} {:?} own={} total={}", p.name(), p.section(), p.prog_type(), p.attach_type(), p.n_insns_own(), p.insns().len());
        println!("subprogs {:?}", p.subprogs());
        for (i, insn) in p.insns().iter().enumerate() {
            let idx = bpfvet_analyzer::isa::InsnIdx(i as u32);
            if let Some(l) = p.line_info().iter().find(|l| l.insn == idx) { println!("   ; {}:{}:{} {}", l.file, l.line, l.col, l.text); }
            println!("{i:4}: {insn:?} {:?}", p.reloc_at(idx));
        }
        println!("func_info {:?}", p.func_info());
        println!("core {:?}", p.core_relos());
    }
}
