//! Hand-assembled programs that call kfuncs by name, for the runtime tests of kfunc objects
//! (`cpumask_objects.rs`, `section_kfuncs.rs`): the conformance dialect has no kfunc call, so
//! a `call 1` stands for the next name of the list.

use bpfvet_analyzer::isa::{CallTarget, Insn, InsnIdx};
use bpfvet_runtime::conformance::asm::assemble;
use bpfvet_runtime::Program;

/// Assembles `src` and turns each `call 1` into a call of the next kfunc of `names`.
pub fn with_kfuncs(src: &str, names: &[&str]) -> Program {
    let mut insns = assemble(src).expect("assembles");
    let calls: Vec<u32> = insns
        .iter()
        .enumerate()
        .filter(|(_, i)| matches!(i, Insn::Call(CallTarget::Helper(1))))
        .map(|(at, _)| at as u32)
        .collect();
    assert_eq!(calls.len(), names.len(), "one name per call");
    for &at in &calls {
        insns[at as usize] = Insn::Call(CallTarget::Kfunc {
            btf_id: 0,
            module: 0,
        });
    }
    let names = calls
        .iter()
        .zip(names)
        .map(|(&at, n)| (InsnIdx(at), n.to_string()))
        .collect();
    Program::new(insns).with_kfuncs(names)
}
