//! The numeric open-coded iterator (`bpf_iter_num_*` kfuncs) on every engine: the corpus
//! program `iter_num_sum` (sums `0..n` for `n = ctx->args[1] & 0xff` into `.bss`) run by the
//! interpreter, the checked JIT and the unchecked JIT from the analyzer's verdict, against sums
//! computed by hand; the kernel's edge cases of `new` and `next` on hand-built programs; and
//! a kfunc the runtime does not implement staying an unsupported instruction.

use bpfvet_analyzer::isa::{CallTarget, Insn, InsnIdx};
use bpfvet_analyzer::rules::ProgTypeRules;
use bpfvet_analyzer::verifier::env::{Input as VerifyInput, Options};
use bpfvet_analyzer::verifier::verify_program;
use bpfvet_runtime::conformance::asm::assemble;
use bpfvet_runtime::{interp, jit, kfuncs, load, FaultKind, Input, Machine, Program};

const OBJECT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../corpus/c/loops/open_coded_iter.bpf.o"
);

/// A raw tracepoint context (`struct bpf_raw_tracepoint_args`: 12 u64 slots) with `args[1]`.
fn ctx(arg1: u64) -> Input {
    let mut ctx = vec![0u8; 96];
    ctx[8..16].copy_from_slice(&arg1.to_le_bytes());
    Input::Context {
        ctx,
        packet: None,
        fields: Vec::new(),
        objects: Vec::new(),
    }
}

/// `.bss` (the object's only map) after one run of `iter_num_sum` on `engine`.
fn run_sum(engine: &str, arg1: u64) -> (u64, u64) {
    let bytes = std::fs::read(OBJECT).expect("the corpus object is committed");
    let obj = bpfvet_analyzer::elf::load(&bytes).expect("loads");
    let prog = obj.program("iter_num_sum").expect("program");
    let rules = ProgTypeRules::by_name("raw_tracepoint").expect("rules");
    let vin = VerifyInput::new(&obj, prog, rules);
    let mut m = Machine::new();
    let p = load::load_program(&mut m, obj.maps(), prog.insns())
        .expect("maps")
        .with_kfuncs(kfuncs::names(prog.relocs()));
    let input = ctx(arg1);
    let res = match engine {
        "interp" => interp::run(&mut m, &p, &input),
        "jit-checked" => jit::compile_checked(&p)
            .expect("compiles")
            .run(&mut m, &input),
        _ => {
            let verified = verify_program(&vin, &Options::default()).expect("accepted");
            jit::compile(&verified, &m, p.maps())
                .expect("compiles")
                .run(&mut m, &input)
        }
    }
    .expect("runs");
    let bss = m
        .map_lookup(p.maps()[0], &0u32.to_le_bytes())
        .expect("value");
    let sum = u64::from_le_bytes(bss[..8].try_into().expect("8 bytes"));
    (res.r0, sum)
}

#[test]
fn every_engine_sums_the_iterated_numbers() {
    // sum(0..n) = n(n-1)/2, and the mask keeps only the low byte of args[1].
    for (arg1, want) in [
        (0, 0),
        (1, 0),
        (2, 1),
        (5, 10),
        (7, 21),
        (255, 32385),
        (0x1_0003, 3),
    ] {
        for engine in ["interp", "jit-checked", "jit"] {
            assert_eq!(
                run_sum(engine, arg1),
                (0, want),
                "{engine}, args[1] = {arg1:#x}"
            );
        }
    }
}

/// Assembles `src` and turns `call N` at the instructions listed into calls of those kfuncs.
fn with_kfuncs(src: &str, calls: &[(u32, &str)]) -> Program {
    let mut insns = assemble(src).expect("assembles");
    for &(at, _) in calls {
        insns[at as usize] = Insn::Call(CallTarget::Kfunc {
            btf_id: 0,
            module: 0,
        });
    }
    let names = calls
        .iter()
        .map(|&(at, n)| (InsnIdx(at), n.to_string()))
        .collect();
    Program::new(insns).with_kfuncs(names)
}

/// Both checking engines' `r0` for `prog`.
fn both(prog: &Program) -> (u64, u64) {
    let mut mi = Machine::new();
    let ri = interp::run(&mut mi, prog, &Input::None).expect("interp runs");
    let mut mj = Machine::new();
    let rj = jit::compile_checked(prog)
        .expect("compiles")
        .run(&mut mj, &Input::None)
        .expect("jit runs");
    (ri.r0, rj.r0)
}

#[test]
fn new_with_start_after_end_fails_and_next_then_returns_null() {
    // r6 = new(fp-8, 5, 2); r7 = next(fp-8); r0 = r6 (the error) unless next returned a pointer.
    let src = "mov %r1, %r10\nadd %r1, -8\nmov %r2, 5\nmov %r3, 2\ncall 1\nmov %r6, %r0\n\
               mov %r1, %r10\nadd %r1, -8\ncall 1\nmov %r7, %r0\nmov %r0, %r6\n\
               jeq %r7, 0, +1\nmov %r0, 99\nexit\n";
    let prog = with_kfuncs(src, &[(4, "bpf_iter_num_new"), (8, "bpf_iter_num_next")]);
    let einval = (-22i64) as u64;
    assert_eq!(both(&prog), (einval, einval));
}

#[test]
fn next_counts_from_start_and_the_element_points_into_the_iterator() {
    // new(fp-8, -3, 10); two nexts; r0 = the second element (-2), read through its pointer,
    // plus 1000 if that pointer is the iterator's own address (fp-8), as in the kernel.
    let src = "mov %r1, %r10\nadd %r1, -8\nmov %r2, -3\nmov %r3, 10\ncall 1\n\
               mov %r1, %r10\nadd %r1, -8\ncall 1\n\
               mov %r1, %r10\nadd %r1, -8\ncall 1\n\
               mov %r2, %r10\nadd %r2, -8\nldxw %r6, [%r0+0]\nlsh %r6, 32\narsh %r6, 32\n\
               jne %r0, %r2, +1\nadd %r6, 1000\nmov %r0, %r6\nexit\n";
    let prog = with_kfuncs(
        src,
        &[
            (4, "bpf_iter_num_new"),
            (7, "bpf_iter_num_next"),
            (10, "bpf_iter_num_next"),
        ],
    );
    assert_eq!(both(&prog), (998, 998));
}

#[test]
fn a_kfunc_the_runtime_does_not_implement_stays_unsupported() {
    let prog = with_kfuncs("mov %r1, 0\ncall 1\nexit\n", &[(1, "bpf_task_from_pid")]);
    let mut m = Machine::new();
    let err = interp::run(&mut m, &prog, &Input::None).expect_err("faults");
    // The refusal names the kfunc.
    assert_eq!(
        err.kind,
        FaultKind::UnsupportedKfunc {
            name: "bpf_task_from_pid".to_string()
        }
    );
    assert!(
        err.to_string()
            .ends_with("unsupported kfunc bpf_task_from_pid"),
        "{err}"
    );
    assert!(jit::compile_checked(&prog).is_err());
    // Without names (a bare program), even an iterator kfunc call is unsupported.
    let bare = Program::new(prog.insns().to_vec());
    let err = interp::run(&mut Machine::new(), &bare, &Input::None).expect_err("faults");
    assert!(matches!(
        err.kind,
        FaultKind::UnsupportedInsn { what: "kfunc call" }
    ));
}

/// `new(fp-16, fp-24, nr_words)` over the word `word` at fp-24, then `next` until NULL; r0 is
/// the number of bits visited plus 1000 times the last bit index (or `new`'s error when it
/// fails, as a negative number).
fn bits_program(word: u32, nr_words: u32, src_null: bool) -> Program {
    let src_ptr = if src_null {
        "mov %r2, 0\n"
    } else {
        "mov %r2, %r10\nadd %r2, -24\n"
    };
    // The immediate is signed (and sign-extended by the 64-bit move).
    let word = word as i32;
    let src = format!(
        "mov %r1, {word}\nstxdw [%r10-24], %r1\n\
         mov %r1, %r10\nadd %r1, -16\n{src_ptr}mov %r3, {nr_words}\ncall 1\n\
         mov %r6, 0\nmov %r7, 0\njsge %r0, 0, +2\nmov %r6, %r0\nja +9\n\
         mov %r1, %r10\nadd %r1, -16\ncall 1\njeq %r0, 0, +4\nadd %r6, 1\nldxw %r7, [%r0+0]\n\
         ja -7\nmov %r0, %r0\nmul %r7, 1000\nadd %r6, %r7\n\
         mov %r1, %r10\nadd %r1, -16\ncall 1\nmov %r0, %r6\nexit\n"
    );
    let insns = assemble(&src).expect("assembles");
    let calls: Vec<u32> = insns
        .iter()
        .enumerate()
        .filter(|(_, i)| matches!(i, Insn::Call(CallTarget::Helper(1))))
        .map(|(at, _)| at as u32)
        .collect();
    let names = [
        "bpf_iter_bits_new",
        "bpf_iter_bits_next",
        "bpf_iter_bits_destroy",
    ];
    let pairs: Vec<(u32, &str)> = calls.iter().copied().zip(names).collect();
    with_kfuncs(&src, &pairs)
}

#[test]
fn the_bits_iterator_visits_each_set_bit_of_one_word() {
    // 0xf7310 has 4 + 3 + 2 + 1 set bits (the kernel selftest's bits_copy), the last at 19.
    let want = 10 + 19 * 1000;
    assert_eq!(both(&bits_program(0xf7310, 1, false)), (want, want));
    // No set bit: nothing visited.
    assert_eq!(both(&bits_program(0, 1, false)), (0, 0));
    // Bit 8 only (the selftest's bit_index).
    assert_eq!(both(&bits_program(0x100, 1, false)), (1 + 8000, 1 + 8000));
}

#[test]
fn the_bits_iterator_fails_as_the_kernel_does_and_copies_several_words() {
    let einval = (-22i64) as u64;
    let e2big = (-7i64) as u64;
    assert_eq!(both(&bits_program(1, 0, false)), (einval, einval));
    assert_eq!(both(&bits_program(1, 1, true)), (einval, einval));
    assert_eq!(both(&bits_program(1, 512, false)), (e2big, e2big));
    // Two words (fp-24 and fp-16, the start of the iterator, which `new` has zeroed before
    // copying, as the kernel does): the copy has bit 0 only, visited once.
    assert_eq!(both(&bits_program(1, 2, false)), (1, 1));
    // `mov r1, 0x80000000` sign-extends: bits 31..63 of the first word (33 of them, the last
    // 63), then the zeroed second word is walked to its end.
    assert_eq!(
        both(&bits_program(0x8000_0000, 2, false)),
        (33 + 63_000, 33 + 63_000)
    );
}
