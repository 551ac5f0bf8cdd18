//! Legacy packet loads (`LD_ABS`, `LD_IND`) at the kernel's special negative offsets, on the
//! interpreter and the checked JIT, which must agree.
//!
//! The kernel's skb load helpers read a negative `int` offset relative to a header:
//! `SKF_NET_OFF` (-0x100000) and above from the network header, `SKF_LL_OFF` (-0x200000) and
//! above from the mac header (`net/core/filter.c`, `bpf_internal_load_pointer_neg_helper`);
//! the bytes must lie between the skb's head and its tail, and a failed load ends the program
//! with 0. The selftest `verifier_ld_ind.o ind_check_calling_conv_r7` (`__retval(1)`) loads at
//! `SKF_LL_OFF + 1` on the test run's frame.

use bpfvet_analyzer::isa::{AluOp, Insn, Operand, Reg, Size, Width};
use bpfvet_runtime::{interp, jit, Input, Machine, Program, SkbHeaders};

const SKF_NET_OFF: i32 = -0x10_0000;
const SKF_LL_OFF: i32 = -0x20_0000;

/// A 20-byte frame whose byte `i` is `i + 1`.
fn frame() -> Vec<u8> {
    (1..=20).collect()
}

/// `r0 = LD_ABS size [off]; exit`.
fn ld_abs(size: Size, off: i32) -> Program {
    Program::new(vec![Insn::LdAbs { size, imm: off }, Insn::Exit])
}

/// `r7 = 1; LD_IND W [r7 + off]; r0 = r7; exit`: 1 when the load succeeds, 0 when it ends
/// the program.
fn ld_ind_ok(off: i32) -> Program {
    let mov = |dst, imm| Insn::Alu {
        width: Width::W64,
        op: AluOp::Mov,
        dst,
        src: Operand::Imm(imm),
    };
    Program::new(vec![
        mov(Reg::R7, 1),
        Insn::LdInd {
            size: Size::W,
            src: Reg::R7,
            imm: off,
        },
        Insn::Alu {
            width: Width::W64,
            op: AluOp::Mov,
            dst: Reg::R0,
            src: Operand::Reg(Reg::R7),
        },
        Insn::Exit,
    ])
}

/// `r0` of `prog` on `packet` with `headers`, the same on both engines.
fn run(prog: &Program, packet: &[u8], headers: SkbHeaders) -> u64 {
    let machine = || {
        let mut m = Machine::new();
        m.env.skb_headers = headers;
        m
    };
    let input = Input::skb(packet);
    let ri = interp::run(&mut machine(), prog, &input).expect("interpreter");
    let rj = jit::compile_checked(prog)
        .expect("compiles")
        .run(&mut machine(), &input)
        .expect("checked JIT");
    assert_eq!(ri.r0, rj.r0, "interpreter vs checked JIT");
    ri.r0
}

/// A tc program's test run: data at the frame's start, the network header 14 bytes in.
const TC: SkbHeaders = SkbHeaders {
    mac: Some(0),
    network: 14,
    ethernet: [0; 14],
};

#[test]
fn negative_offsets_read_relative_to_the_mac_and_network_headers() {
    let f = frame();
    // Bytes 12 and 13 of the frame (13, 14), in network order.
    assert_eq!(run(&ld_abs(Size::H, SKF_LL_OFF + 12), &f, TC), 0x0d0e);
    // Byte 2 of the network header is byte 16 of the frame.
    assert_eq!(run(&ld_abs(Size::B, SKF_NET_OFF + 2), &f, TC), 17);
    // Non-negative offsets still read from the data.
    assert_eq!(run(&ld_abs(Size::W, 0), &f, TC), 0x0102_0304);
}

#[test]
fn a_load_past_the_tail_or_outside_the_header_areas_ends_the_run_with_0() {
    let f = frame();
    // Network header + 4 .. + 8 is past the 20-byte frame.
    assert_eq!(run(&ld_ind_ok(SKF_NET_OFF + 3), &f, TC), 0);
    assert_eq!(run(&ld_ind_ok(SKF_NET_OFF + 1), &f, TC), 1);
    // Below SKF_LL_OFF, and the ancillary-data area just below 0, read nothing.
    assert_eq!(run(&ld_ind_ok(SKF_LL_OFF - 2), &f, TC), 0);
    assert_eq!(run(&ld_ind_ok(-5), &f, TC), 0);
}

#[test]
fn a_socket_filter_reads_its_link_layer_header_before_the_data() {
    // A socket filter's data starts at the network header: the mac header is 14 bytes
    // before it, in the packet's headroom, as `BPF_PROG_TEST_RUN` leaves it.
    let f = frame();
    let mut ethernet = [0; 14];
    ethernet.copy_from_slice(&f[..14]);
    let sock = SkbHeaders {
        mac: Some(-14),
        network: 0,
        ethernet,
    };
    let packet = &f[14..];
    assert_eq!(run(&ld_ind_ok(SKF_LL_OFF), packet, sock), 1);
    // The live kernel's test run of a socket filter returning
    // `load_half(SKF_LL_OFF + 12) * 1000 + load_byte(SKF_NET_OFF + 2)` on this frame
    // (bytes 1..=64) returns 3342017.
    assert_eq!(run(&ld_abs(Size::H, SKF_LL_OFF + 12), packet, sock), 0x0d0e);
    assert_eq!(run(&ld_abs(Size::B, SKF_NET_OFF + 2), packet, sock), 17);
    // A later run on the same machine without those bytes reads zeroes there again.
    let mut m = Machine::new();
    m.env.skb_headers = sock;
    let prog = ld_abs(Size::H, SKF_LL_OFF + 12);
    assert_eq!(
        interp::run(&mut m, &prog, &Input::skb(packet)).unwrap().r0,
        0x0d0e
    );
    m.env.skb_headers.ethernet = [0; 14];
    assert_eq!(
        interp::run(&mut m, &prog, &Input::skb(packet)).unwrap().r0,
        0
    );
    // Without a mac header the same load fails.
    assert_eq!(
        run(&ld_ind_ok(SKF_LL_OFF), packet, SkbHeaders::default()),
        0
    );
}
