//! Runs on one machine re-use its stack, context, packet and input blocks: every run must
//! still start from the state a fresh machine would give it, and faults must stay faults.

use bpfvet_analyzer::isa::InsnIdx;
use bpfvet_analyzer::rules::ProgTypeRules;
use bpfvet_analyzer::verifier::env::{Input as VerifyInput, Options};
use bpfvet_analyzer::verifier::verify_program;
use bpfvet_runtime::conformance::asm::assemble;
use bpfvet_runtime::mem::{Access, RegionKind};
use bpfvet_runtime::{interp, jit, Fault, FaultKind, Input, Machine, Program, RunResult};

fn program(src: &str) -> Program {
    Program::new(assemble(src).expect("assembles"))
}

/// Both checked engines, each on its own machine reused for every input in turn.
fn run_twice_each(prog: &Program, inputs: &[Input]) -> Vec<[Result<RunResult, Fault>; 2]> {
    let code = jit::compile_checked(prog).expect("compiles");
    let (mut mi, mut mc) = (Machine::new(), Machine::new());
    inputs
        .iter()
        .map(|input| [interp::run(&mut mi, prog, input), code.run(&mut mc, input)])
        .collect()
}

#[test]
fn stack_written_by_one_run_reads_as_zero_in_the_next() {
    // Reads a slot in its own frame and one in a callee frame, then writes both.
    let prog = program(
        "ldxdw %r6, [%r10-8]\nstdw [%r10-8], 7\ncall local f\nor %r0, %r6\nexit\n\
         f:\nldxdw %r0, [%r10-504]\nstdw [%r10-504], 9\nexit\n",
    );
    for pair in run_twice_each(&prog, &[Input::None, Input::None, Input::None]) {
        for r in pair {
            assert_eq!(r.expect("runs").r0, 0);
        }
    }
}

#[test]
fn stack_written_by_the_unchecked_jit_is_cleared_for_the_next_run() {
    // Verified, so it runs unchecked: writes in frame 0 and in a callee's frame.
    let writer = assemble(
        "stdw [%r10-8], 7\ncall local f\nmov %r0, 0\nexit\nf:\nstdw [%r10-16], 9\nmov %r0, 0\nexit\n",
    )
    .unwrap();
    let vin = VerifyInput::bare(&writer, &[], ProgTypeRules::by_name("xdp").unwrap(), true);
    let verified = verify_program(&vin, &Options::default()).expect("the analyzer accepts it");
    let mut m = Machine::new();
    let code = jit::compile(&verified, &m, &[]).expect("compiles");
    let xdp = Input::xdp(&[0; 64]);
    assert_eq!(code.run(&mut m, &xdp).unwrap().r0, 0);
    // The callee's slot is 512 + 16 bytes below frame 0's r10.
    let reader = program("ldxdw %r0, [%r10-8]\nldxdw %r1, [%r10-528]\nor %r0, %r1\nexit\n");
    assert_eq!(interp::run(&mut m, &reader, &xdp).unwrap().r0, 0);
}

/// Moves `data` 16 bytes into the headroom, returns the 8 bytes found there and overwrites
/// them.
const HEADROOM: &str = "
    mov %r6, %r1
    mov %r2, -16
    call 44
    jne %r0, 0, fail
    ldxw %r2, [%r6+0]
    ldxw %r3, [%r6+4]
    mov %r4, %r2
    add %r4, 8
    jgt %r4, %r3, fail
    ldxdw %r0, [%r2+0]
    stdw [%r2+0], -1
    exit
fail:
    mov %r0, 99
    exit
";

#[test]
fn packet_headroom_written_by_one_run_is_zero_in_the_next() {
    let prog = program(HEADROOM);
    let pkt = [0x11u8; 64];
    let runs = run_twice_each(&prog, &[Input::xdp(&pkt), Input::xdp(&pkt)]);
    for pair in runs {
        for r in pair {
            let r = r.expect("runs");
            assert_eq!(r.r0, 0);
            let out = r.packet.expect("captured");
            assert_eq!(out.len(), 80);
            assert_eq!(&out[..8], &[0xff; 8]);
            assert_eq!(&out[16..], &pkt[..]);
        }
    }
}

#[test]
fn packet_of_another_size_gets_its_own_bounds() {
    // Reads byte 20 of the packet with no bounds check.
    let prog = program("ldxw %r2, [%r1+0]\nldxb %r0, [%r2+20]\nexit\n");
    let mut big = vec![0u8; 1500];
    big[20] = 5;
    let inputs = [
        Input::xdp(&[3; 64]),
        Input::xdp(&big),
        Input::xdp(&[1; 10]),
        Input::xdp(&[4; 21]),
    ];
    let runs = run_twice_each(&prog, &inputs);
    for (i, want) in [(0, 3), (1, 5), (3, 4)] {
        for r in &runs[i] {
            assert_eq!(r.as_ref().expect("in bounds").r0, want, "input {i}");
        }
    }
    for r in &runs[2] {
        let e = r.as_ref().unwrap_err();
        assert_eq!(e.insn, InsnIdx(1));
        assert!(
            matches!(
                e.kind,
                FaultKind::OutOfBounds {
                    size: 1,
                    access: Access::Read,
                    near: Some((RegionKind::Packet, 20)),
                    ..
                }
            ),
            "{e}"
        );
    }
}

#[test]
fn a_run_without_context_leaves_no_context_or_packet_behind() {
    let prog = program("mov %r0, 1\nexit\n");
    let mut m = Machine::new();
    interp::run(&mut m, &prog, &Input::xdp(&[0; 64])).unwrap();
    interp::run(&mut m, &prog, &Input::Buffer(vec![1; 8])).unwrap();
    let kinds = |m: &Machine| -> Vec<RegionKind> { m.mem.regions().map(|r| r.kind).collect() };
    assert!(!kinds(&m).contains(&RegionKind::Context));
    assert!(!kinds(&m).contains(&RegionKind::Packet));
    assert!(kinds(&m).contains(&RegionKind::Input));
    interp::run(&mut m, &prog, &Input::None).unwrap();
    assert_eq!(kinds(&m), vec![RegionKind::Stack]);
}

#[test]
fn output_is_copied_out_only_when_asked() {
    let prog = program("stb [%r1+0], 9\nmov %r0, 2\nexit\n");
    let mut m = Machine::new();
    let input = Input::Buffer(vec![1; 4]);
    m.capture_output = false;
    let r = interp::run(&mut m, &prog, &input).unwrap();
    assert_eq!((r.r0, r.buffer), (2, None));
    m.capture_output = true;
    let r = interp::run(&mut m, &prog, &input).unwrap();
    assert_eq!(r.buffer, Some(vec![9, 1, 1, 1]));
}
