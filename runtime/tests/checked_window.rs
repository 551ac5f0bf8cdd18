//! The checked JIT reads directly from the region its last checked load found: loads that
//! leave that region, straddle its edges, or follow a helper that moved it must still fault
//! exactly where the interpreter faults.

use bpfvet_analyzer::isa::InsnIdx;
use bpfvet_runtime::conformance::asm::assemble;
use bpfvet_runtime::mem::{Access, RegionKind};
use bpfvet_runtime::{interp, jit, FaultKind, Input, Machine, Program};

/// Runs `src` on both checked engines over a 64-byte XDP packet; both must fault at `insn`
/// with an out-of-bounds read of `size` bytes, at offset `off` from the packet region's start
/// when that is the nearest region below (`None`: whichever region is nearest).
fn faults_like_the_interpreter(src: &str, insn: u32, size: u32, off: Option<i64>) {
    let prog = Program::new(assemble(src).expect("assembles"));
    let input = Input::xdp(&[7; 64]);
    let ei = interp::run(&mut Machine::new(), &prog, &input).expect_err("interp faults");
    let ej = jit::compile_checked(&prog)
        .unwrap()
        .run(&mut Machine::new(), &input)
        .expect_err("checked jit faults");
    for e in [ei, ej] {
        assert_eq!(e.insn, InsnIdx(insn), "{e}");
        assert!(
            matches!(
                e.kind,
                FaultKind::OutOfBounds {
                    size: s,
                    access: Access::Read,
                    near,
                    ..
                } if s == size && (off.is_none() || near == off.map(|o| (RegionKind::Packet, o)))
            ),
            "{e}"
        );
    }
}

#[test]
fn a_load_straddling_the_end_of_the_cached_region_faults() {
    faults_like_the_interpreter(
        "ldxw %r2, [%r1+0]\nldxb %r0, [%r2+0]\nldxh %r0, [%r2+63]\nexit\n",
        2,
        2,
        Some(63),
    );
}

#[test]
fn a_load_just_below_the_cached_region_faults() {
    // Below the packet is the (unmapped) headroom; the address is one less than the start.
    let prog = "ldxw %r2, [%r1+0]\nldxb %r0, [%r2+0]\nldxdw %r0, [%r2-1]\nexit\n";
    let p = Program::new(assemble(prog).unwrap());
    let input = Input::xdp(&[7; 64]);
    let ei = interp::run(&mut Machine::new(), &p, &input).unwrap_err();
    let ej = jit::compile_checked(&p)
        .unwrap()
        .run(&mut Machine::new(), &input)
        .unwrap_err();
    assert_eq!(ei.insn, InsnIdx(2));
    assert_eq!(ej.insn, InsnIdx(2));
    assert!(
        matches!(ej.kind, FaultKind::OutOfBounds { size: 8, .. }),
        "{ej}"
    );
}

#[test]
fn a_helper_that_moves_the_packet_drops_the_cached_region() {
    // Reads the old start of the packet, then `xdp_adjust_head(ctx, 14)` cuts those bytes
    // off, and reads the old start again (now below every packet byte).
    faults_like_the_interpreter(
        "mov %r6, %r1\nldxw %r7, [%r1+0]\nldxb %r0, [%r7+0]\nmov %r1, %r6\nmov %r2, 14\n\
         call 44\nldxb %r0, [%r7+0]\nexit\n",
        6,
        1,
        None,
    );
}
