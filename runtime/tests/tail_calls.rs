//! Tail calls followed through a chain of programs, on the interpreter, the checked JIT and
//! the unchecked JIT (for programs the analyzer accepts), which must agree.
//!
//! The semantics under test, from the kernel's x86-64 JIT (a tail call pops the frame that
//! made it and jumps into the target): the target runs on that frame's stack with the
//! context in `r1`; its `r0` is what that frame returns, so a tail call from a BPF-to-BPF
//! subprogram hands the target's result to the subprogram's caller, whose callee-saved
//! registers are intact; packet writes before the tail call are seen after it; at most 33
//! tail calls succeed per run. `tests/tail_calls_kernel.rs` checks the same chain against the
//! live kernel.

mod support;

use bpfvet_analyzer::program::{MapDef as ObjMapDef, MapType as ObjMapType};
use bpfvet_analyzer::rules::ProgTypeRules;
use bpfvet_analyzer::verifier::env::{Input as VerifyInput, Options};
use bpfvet_analyzer::verifier::verify_program;
use bpfvet_runtime::interp::{self, Prepared};
use bpfvet_runtime::jit::{self, JitProgram};
use bpfvet_runtime::maps::{MapDef, MapId, MapType};
use bpfvet_runtime::{Input, Machine, Program, RunResult};

/// Bounds-checks 8 packet bytes into `r2` (data) from the context in `r6`, or returns 0.
const PACKET: &str = "
    ldxw %r2, [%r6+0]
    ldxw %r3, [%r6+4]
    mov %r4, %r2
    add %r4, 8
    jgt %r4, %r3, short
";

/// Marks byte 0, tail-calls slot `p[3] & 3` from a subprogram that clobbers `r6` and its
/// stack, and stores what the subprogram returned in byte 4.
fn entry() -> String {
    format!(
        "
    mov %r6, %r1
    {PACKET}
    stb [%r2+0], 0xa1
    ldxb %r7, [%r2+3]
    and %r7, 3
    mov %r1, %r6
    mov %r2, %r7
    call local hop
    {PACKET}
    stxb [%r2+4], %r0
    mov %r0, 2
    exit
short:
    mov %r0, 0
    exit
hop:
    mov %r3, %r2
    mov %r6, 77
    stdw [%r10-8], 5
    lddw %r2, 0x0ead0000
    call 12
    mov %r0, 1
    exit
"
    )
}

/// Writes `p[0] + 1` to byte 1, then tail-calls slot 2; 9 if that fails.
fn stage1() -> String {
    format!(
        "
    mov %r6, %r1
    {PACKET}
    ldxb %r4, [%r2+0]
    add %r4, 1
    stxb [%r2+1], %r4
    mov %r1, %r6
    lddw %r2, 0x0ead0000
    mov %r3, 2
    call 12
    mov %r0, 9
    exit
short:
    mov %r0, 0
    exit
"
    )
}

/// Writes 0x5a to byte 2 and returns 20.
fn stage2() -> String {
    format!(
        "
    mov %r6, %r1
    {PACKET}
    stb [%r2+2], 0x5a
    mov %r0, 20
    exit
short:
    mov %r0, 0
    exit
"
    )
}

fn program(src: &str) -> Program {
    Program::with_maps(support::assemble_with_refs(src), vec![MapId(0)])
}

/// A machine with the program array (slot 0 → program 1, slots 1 and 2 → program 2).
fn machine() -> Machine {
    let mut m = Machine::new();
    let id = m
        .create_map(MapDef::new(MapType::ProgArray, 4, 4, 4))
        .unwrap();
    for (slot, prog) in [(0u32, 1u32), (1, 2), (2, 2)] {
        assert_eq!(
            m.map_update(id, &slot.to_le_bytes(), &prog.to_le_bytes(), 0),
            0
        );
    }
    m
}

fn verified(prog: &Program, m: &Machine) -> JitProgram {
    let defs = [ObjMapDef::plain(
        "jmp_table",
        ObjMapType(MapType::ProgArray as u32),
        4,
        4,
        4,
    )];
    let input = VerifyInput::bare(
        prog.insns(),
        &defs,
        ProgTypeRules::by_name("xdp").expect("xdp rules"),
        true,
    );
    let v = verify_program(&input, &Options::default()).expect("the analyzer accepts it");
    jit::compile(&v, m, prog.maps()).expect("compiles")
}

/// Runs the chain [entry, stage1, stage2] from the entry on every engine; checks that they
/// agree and returns the interpreter's result.
fn run_chain(packet: &[u8]) -> RunResult {
    let progs = [program(&entry()), program(&stage1()), program(&stage2())];
    let input = Input::xdp(packet);
    let prepared: Vec<Prepared> = progs.iter().map(Prepared::new).collect();
    let refs: Vec<&Prepared> = prepared.iter().collect();
    let ri = interp::run_chain(&mut machine(), &refs, refs[0], &input).expect("interpreter");
    let checked: Vec<JitProgram> = progs
        .iter()
        .map(|p| jit::compile_checked(p).expect("compiles"))
        .collect();
    let refs: Vec<&JitProgram> = checked.iter().collect();
    let mut rc = refs[0]
        .run_chain(&refs, &mut machine(), &input)
        .expect("checked JIT");
    let m = machine();
    let unchecked: Vec<JitProgram> = progs.iter().map(|p| verified(p, &m)).collect();
    let refs: Vec<&JitProgram> = unchecked.iter().collect();
    let mut m = machine();
    let mut ru = refs[0]
        .run_chain(&refs, &mut m, &input)
        .expect("unchecked JIT");
    rc.n_insns = ri.n_insns;
    ru.n_insns = ri.n_insns;
    assert_eq!(ri, rc, "interpreter vs checked JIT");
    assert_eq!(ri, ru, "interpreter vs unchecked JIT");
    ri
}

#[test]
fn a_tail_call_from_a_subprogram_hands_the_targets_result_to_its_caller() {
    // Slot 0: stage1 sees the entry's mark, tail-calls stage2, whose 20 comes back through
    // stage1's frame and the subprogram to the entry, with the entry's r6 intact.
    let r = run_chain(&[0, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(r.r0, 2);
    assert_eq!(
        r.packet.as_deref(),
        Some(&[0xa1, 0xa2, 0x5a, 0, 20, 0, 0, 0][..])
    );
    assert_eq!(r.tail_calls, vec![1, 2]);
    assert_eq!(r.tail_call, None);
    // Slot 1: straight to stage2.
    let r = run_chain(&[0, 0, 0, 1, 0, 0, 0, 0]);
    assert_eq!(
        r.packet.as_deref(),
        Some(&[0xa1, 0, 0x5a, 1, 20, 0, 0, 0][..])
    );
    assert_eq!(r.tail_calls, vec![2]);
    // Slot 3 is empty: the tail call fails and the subprogram returns 1.
    let r = run_chain(&[0, 0, 0, 3, 0, 0, 0, 0]);
    assert_eq!(r.packet.as_deref(), Some(&[0xa1, 0, 0, 3, 1, 0, 0, 0][..]));
    assert!(r.tail_calls.is_empty());
    // A packet too short for the entry: no tail call at all.
    assert_eq!(run_chain(&[1, 2, 3]).r0, 0);
}

#[test]
fn a_run_of_one_program_ends_at_its_tail_call() {
    let prog = program(&entry());
    let input = Input::xdp(&[0; 8]);
    let ri = interp::run(&mut machine(), &prog, &input).expect("interpreter");
    let rj = jit::compile_checked(&prog)
        .expect("compiles")
        .run(&mut machine(), &input)
        .expect("checked JIT");
    assert_eq!((ri.r0, ri.tail_call), (0, Some(1)));
    assert_eq!((rj.r0, rj.tail_call), (0, Some(1)));
    // The entry's mark is there, its store after the call is not.
    assert_eq!(ri.packet.as_deref(), Some(&[0xa1, 0, 0, 0, 0, 0, 0, 0][..]));
    assert_eq!(ri.packet, rj.packet);
}

#[test]
fn at_most_33_tail_calls_succeed_in_one_run() {
    // A program that counts itself in byte 0 of the buffer and tail-calls itself; when the
    // 34th tail call fails it returns the count.
    let src = "
    mov %r6, %r1
    ldxb %r7, [%r6+0]
    add %r7, 1
    stxb [%r6+0], %r7
    lddw %r2, 0x0ead0000
    mov %r3, 0
    call 12
    ldxb %r0, [%r6+0]
    exit
";
    let prog = program(src);
    let setup = || {
        let mut m = Machine::new();
        let id = m
            .create_map(MapDef::new(MapType::ProgArray, 4, 4, 1))
            .unwrap();
        m.map_update(id, &0u32.to_le_bytes(), &0u32.to_le_bytes(), 0);
        m
    };
    let input = Input::Buffer(vec![0; 4]);
    let prepared = Prepared::new(&prog);
    let ri = interp::run_chain(&mut setup(), &[&prepared], &prepared, &input).expect("runs");
    let code = jit::compile_checked(&prog).expect("compiles");
    let rj = code
        .run_chain(&[&code], &mut setup(), &input)
        .expect("runs");
    // The first run plus 33 tail-called ones; each frame returns the last one's count.
    assert_eq!(ri.r0, 34);
    assert_eq!(rj.r0, 34);
    assert_eq!(ri.tail_calls, vec![0; 33]);
    assert_eq!(rj.tail_calls, vec![0; 33]);
}

/// `r0 = RET; exit`.
fn returns(v: i32) -> Program {
    program(&format!("mov %r0, {v}\nexit"))
}

/// Runs `entry` with the programs `[programs]` on both engines (a machine from `setup`);
/// checks that they agree and returns `r0`.
fn run_both(setup: &dyn Fn() -> Machine, entry: &Program, programs: &[Program]) -> u64 {
    let input = Input::Buffer(vec![0; 4]);
    let prepared: Vec<Prepared> = programs.iter().map(Prepared::new).collect();
    let refs: Vec<&Prepared> = prepared.iter().collect();
    let ri =
        interp::run_chain(&mut setup(), &refs, &Prepared::new(entry), &input).expect("interpreter");
    let compiled: Vec<JitProgram> = programs
        .iter()
        .map(|p| jit::compile_checked(p).expect("compiles"))
        .collect();
    let refs: Vec<&JitProgram> = compiled.iter().collect();
    let rj = jit::compile_checked(entry)
        .expect("compiles")
        .run_chain(&refs, &mut setup(), &input)
        .expect("checked JIT");
    assert_eq!(ri.r0, rj.r0, "interpreter vs checked JIT");
    assert_eq!(ri.tail_calls, rj.tail_calls);
    ri.r0
}

#[test]
fn program_arrays_start_with_the_slots_the_object_initialises() {
    // `.values = { [0] = &ret42, [2] = &ret24, [3] = &not_loaded }`, as the loader reads it
    // from the relocations in `.maps`.
    let defs = [ObjMapDef {
        init_slots: vec![
            (0, "ret42".to_owned()),
            (2, "ret24".to_owned()),
            (3, "not_loaded".to_owned()),
        ],
        ..ObjMapDef::plain("jmp_table", ObjMapType::PROG_ARRAY, 4, 4, 4)
    }];
    assert_eq!(
        bpfvet_runtime::load::prog_array_targets(&defs),
        ["ret42", "ret24", "not_loaded"]
    );
    let loaded = ["ret24", "ret42"];
    let targets = [returns(24), returns(42)];
    let tail_call = |slot: u32| {
        program(&format!(
            "lddw %r2, 0x0ead0000\nmov %r3, {slot}\ncall 12\nmov %r0, 1\nexit"
        ))
    };
    let setup = || {
        let mut m = Machine::new();
        let ids = bpfvet_runtime::load::instantiate(&mut m, &defs, &[]).expect("instantiates");
        bpfvet_runtime::load::fill_prog_arrays(&mut m, &defs, &ids, &loaded);
        m
    };
    assert_eq!(run_both(&setup, &tail_call(0), &targets), 42);
    assert_eq!(run_both(&setup, &tail_call(2), &targets), 24);
    // An empty slot, and a slot naming a program the run did not load: no tail call.
    assert_eq!(run_both(&setup, &tail_call(1), &targets), 1);
    assert_eq!(run_both(&setup, &tail_call(3), &targets), 1);
}

#[test]
fn an_unprivileged_programs_tail_call_index_is_bounded_on_all_64_bits() {
    // Index 1 << 32: the helper's u32 index is 0 for a privileged program; the unprivileged
    // verifier's inserted `if r3 >= max_entries` skips the call (the selftest
    // `_32bit_index_to_tail_call` expects 42 and, unprivileged, 2).
    let entry = program("lddw %r2, 0x0ead0000\nlddw %r3, 0x100000000\ncall 12\nmov %r0, 2\nexit");
    let targets = [returns(42)];
    let setup = |unprivileged: bool| {
        move || {
            let mut m = Machine::new();
            m.env.unprivileged = unprivileged;
            let id = m
                .create_map(MapDef::new(MapType::ProgArray, 4, 4, 4))
                .unwrap();
            m.map_update(id, &0u32.to_le_bytes(), &0u32.to_le_bytes(), 0);
            m
        }
    };
    assert_eq!(run_both(&setup(false), &entry, &targets), 42);
    assert_eq!(run_both(&setup(true), &entry, &targets), 2);
}
