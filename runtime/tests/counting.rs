//! The interpreter's executed-instruction count and its limit are exact, also across helper
//! callbacks (which run nested in the helper call and must add to the same count).

use bpfvet_analyzer::isa::{Insn, PseudoSrc};
use bpfvet_runtime::conformance::asm::assemble;
use bpfvet_runtime::{interp, FaultKind, Input, Machine, Program};

/// `bpf_loop(3, f, 0, 0)` where `f` returns 0: 6 instructions in the main program (the
/// `lddw` counts once) and 2 per callback, 12 in all.
fn loop_program() -> Program {
    let mut insns = assemble(
        "mov %r1, 3\nlddw %r2, 0\nmov %r3, 0\nmov %r4, 0\ncall 181\nexit\nmov %r0, 0\nexit\n",
    )
    .expect("assembles");
    // The callback starts at slot 7; the `lddw` is slot 1.
    insns[1] = Insn::LdImm64 {
        dst: match insns[1] {
            Insn::LdImm64 { dst, .. } => dst,
            _ => unreachable!("slot 1 is the lddw"),
        },
        src: PseudoSrc::Func,
        imm: 7 - 1 - 1,
        next_imm: 0,
    };
    Program::new(insns)
}

#[test]
fn callbacks_add_to_the_count() {
    let r = interp::run(&mut Machine::new(), &loop_program(), &Input::None).expect("runs");
    assert_eq!((r.r0, r.n_insns), (3, 12));
}

#[test]
fn the_limit_counts_callback_instructions() {
    let prog = loop_program();
    let mut m = Machine::new();
    m.env.insn_limit = 12;
    assert_eq!(
        interp::run(&mut m, &prog, &Input::None).unwrap().n_insns,
        12
    );
    m.env.insn_limit = 11;
    let e = interp::run(&mut m, &prog, &Input::None).unwrap_err();
    assert!(matches!(e.kind, FaultKind::InsnLimit { limit: 11 }), "{e}");
}

#[test]
fn straight_line_code_counts_each_instruction_once() {
    let prog = Program::new(assemble("mov %r0, 1\nadd %r0, 2\nexit\n").unwrap());
    let r = interp::run(&mut Machine::new(), &prog, &Input::None).unwrap();
    assert_eq!((r.r0, r.n_insns), (3, 3));
}
