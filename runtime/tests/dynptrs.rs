//! Dynptrs on both checking engines (interpreter and checked JIT), against values worked out
//! by hand from the kernel's semantics (kernel/bpf/helpers.c, net/core/filter.c): a local
//! dynptr over a stack buffer (write, adjust, read, size, an out-of-range read's `-E2BIG`), a
//! failed `from_mem` leaving a NULL dynptr, clone/data/slice, an xdp dynptr over the packet
//! (slice, write, size) and a read-only skb dynptr (netfilter, socket filters).
//!
//! `call 1` in the sources stands for the kfunc calls, named in order; other helper ids are the
//! kernel's (197 `dynptr_from_mem`, 201 `dynptr_read`, 202 `dynptr_write`, 203 `dynptr_data`).

use bpfvet_analyzer::isa::{CallTarget, Insn, InsnIdx};
use bpfvet_runtime::conformance::asm::assemble;
use bpfvet_runtime::{interp, jit, Input, Machine, Program};

/// Assembles `src`, its `call 1` instructions calling `kfuncs` in order.
fn program(src: &str, kfuncs: &[&str]) -> Program {
    let mut insns = assemble(src).expect("assembles");
    let mut names = Vec::new();
    for (at, insn) in insns.iter_mut().enumerate() {
        if matches!(insn, Insn::Call(CallTarget::Helper(1))) {
            *insn = Insn::Call(CallTarget::Kfunc {
                btf_id: 0,
                module: 0,
            });
            names.push((InsnIdx(at as u32), kfuncs[names.len()].to_string()));
        }
    }
    assert_eq!(names.len(), kfuncs.len(), "one name per kfunc call");
    Program::new(insns).with_kfuncs(names)
}

/// `r0` and the packet after one run on each checking engine; both must agree.
fn run(prog: &Program, input: &Input, skb_rdonly: bool) -> (u64, Option<Vec<u8>>) {
    let mut res = Vec::new();
    for engine in ["interp", "jit-checked"] {
        let mut m = Machine::new();
        m.capture_output = true;
        m.env.skb_dynptr_rdonly = skb_rdonly;
        let r = if engine == "interp" {
            interp::run(&mut m, prog, input)
        } else {
            jit::compile_checked(prog)
                .expect("compiles")
                .run(&mut m, input)
        }
        .unwrap_or_else(|f| panic!("{engine}: {f}"));
        res.push((r.r0, r.packet));
    }
    assert_eq!(res[0], res[1], "interpreter and checked JIT differ");
    res.remove(0)
}

#[test]
fn a_local_dynptr_writes_adjusts_and_reads_its_buffer() {
    // buf = 01..10 at fp-32; d = from_mem(buf, 16) at fp-48; write 0xaa at 2; adjust to
    // [1, 5); read 4 bytes at 0 into fp-56 (02 aa 04 05); size 4; a read of 4 at 1 fails
    // with -E2BIG and leaves fp-56 alone. r0 = the u32 read + size << 32 + every other result
    // (0, 0, 0, -7).
    let src = "lddw %r1, 0x0807060504030201\nstxdw [%r10-32], %r1\n\
               lddw %r1, 0x100f0e0d0c0b0a09\nstxdw [%r10-24], %r1\n\
               mov %r1, %r10\nadd %r1, -32\nmov %r2, 16\nmov %r3, 0\nmov %r4, %r10\nadd %r4, -48\n\
               call 197\nmov %r6, %r0\n\
               mov %r1, 0xaa\nstxdw [%r10-8], %r1\n\
               mov %r1, %r10\nadd %r1, -48\nmov %r2, 2\nmov %r3, %r10\nadd %r3, -8\nmov %r4, 1\n\
               mov %r5, 0\ncall 202\nadd %r6, %r0\n\
               mov %r1, %r10\nadd %r1, -48\nmov %r2, 1\nmov %r3, 5\ncall 1\nadd %r6, %r0\n\
               mov %r1, %r10\nadd %r1, -56\nmov %r2, 4\nmov %r3, %r10\nadd %r3, -48\nmov %r4, 0\n\
               mov %r5, 0\ncall 201\nadd %r6, %r0\n\
               mov %r1, %r10\nadd %r1, -48\ncall 1\nmov %r7, %r0\n\
               mov %r1, %r10\nadd %r1, -56\nmov %r2, 4\nmov %r3, %r10\nadd %r3, -48\nmov %r4, 1\n\
               mov %r5, 0\ncall 201\nadd %r6, %r0\n\
               ldxw %r0, [%r10-56]\nlsh %r7, 32\nadd %r0, %r7\nadd %r0, %r6\nexit\n";
    let prog = program(src, &["bpf_dynptr_adjust", "bpf_dynptr_size"]);
    let want = 0x0504_aa02u64 + (4 << 32) - 7;
    assert_eq!(run(&prog, &Input::None, false).0, want);
}

#[test]
fn a_failed_dynptr_is_null_and_a_clone_shares_the_memory() {
    // from_mem with flags 1: -EINVAL and a NULL dynptr (is_null 1); then a good one, cloned to
    // fp-64; data(clone, 8, 4) is fp-24; slice(clone, 15, NULL, 2) is NULL (past the end).
    // r0 = -22 + 100 * is_null + 1000 * (data == fp-24) + 10000 * (slice != NULL).
    let src = "mov %r1, %r10\nadd %r1, -32\nmov %r2, 16\nmov %r3, 1\nmov %r4, %r10\nadd %r4, -48\n\
               call 197\nmov %r6, %r0\n\
               mov %r1, %r10\nadd %r1, -48\ncall 1\nmul %r0, 100\nadd %r6, %r0\n\
               mov %r1, %r10\nadd %r1, -32\nmov %r2, 16\nmov %r3, 0\nmov %r4, %r10\nadd %r4, -48\n\
               call 197\nadd %r6, %r0\n\
               mov %r1, %r10\nadd %r1, -48\nmov %r2, %r10\nadd %r2, -64\ncall 1\nadd %r6, %r0\n\
               mov %r1, %r10\nadd %r1, -64\nmov %r2, 8\nmov %r3, 4\ncall 203\n\
               mov %r2, %r10\nadd %r2, -24\njne %r0, %r2, +1\nadd %r6, 1000\n\
               mov %r1, %r10\nadd %r1, -64\nmov %r2, 15\nmov %r3, 0\nmov %r4, 2\ncall 1\n\
               jeq %r0, 0, +1\nadd %r6, 10000\nmov %r0, %r6\nexit\n";
    let prog = program(
        src,
        &["bpf_dynptr_is_null", "bpf_dynptr_clone", "bpf_dynptr_slice"],
    );
    assert_eq!(run(&prog, &Input::None, false).0, 1078);
}

#[test]
fn an_xdp_dynptr_slices_and_writes_the_packet() {
    // from_xdp(ctx, 0, fp-16); slice(2, NULL, 2) reads 03 04; write 0xee at 0; size 6.
    // r0 = the u16 read + size << 16.
    let src = "mov %r6, %r1\nmov %r2, 0\nmov %r3, %r10\nadd %r3, -16\ncall 1\n\
               mov %r1, %r10\nadd %r1, -16\nmov %r2, 2\nmov %r3, 0\nmov %r4, 2\ncall 1\n\
               mov %r7, 0\njeq %r0, 0, +1\nldxh %r7, [%r0+0]\n\
               mov %r1, 0xee\nstxdw [%r10-24], %r1\n\
               mov %r1, %r10\nadd %r1, -16\nmov %r2, 0\nmov %r3, %r10\nadd %r3, -24\nmov %r4, 1\n\
               mov %r5, 0\ncall 202\nadd %r7, %r0\n\
               mov %r1, %r10\nadd %r1, -16\ncall 1\nlsh %r0, 16\nadd %r0, %r7\nexit\n";
    let prog = program(
        src,
        &["bpf_dynptr_from_xdp", "bpf_dynptr_slice", "bpf_dynptr_size"],
    );
    let (r0, packet) = run(&prog, &Input::xdp(&[1, 2, 3, 4, 5, 6]), false);
    assert_eq!(r0, 0x0403 + (6 << 16));
    assert_eq!(packet, Some(vec![0xee, 2, 3, 4, 5, 6]));
}

#[test]
fn an_skb_dynptr_of_a_program_that_may_not_write_packets_is_read_only() {
    // from_skb(ctx, 0, fp-16); write fails with -EINVAL; is_rdonly 1; slice_rdwr NULL; slice
    // not NULL. r0 = -22 + 100 + 1000 + 10000 when read-only; a writable one (tc) writes and
    // gets r0 = 0 + 0 + 0 + 10000, its packet changed.
    let src = "mov %r2, 0\nmov %r3, %r10\nadd %r3, -16\ncall 1\n\
               mov %r1, 0x77\nstxdw [%r10-24], %r1\n\
               mov %r1, %r10\nadd %r1, -16\nmov %r2, 1\nmov %r3, %r10\nadd %r3, -24\nmov %r4, 1\n\
               mov %r5, 0\ncall 202\nmov %r6, %r0\n\
               mov %r1, %r10\nadd %r1, -16\ncall 1\nmul %r0, 100\nadd %r6, %r0\n\
               mov %r1, %r10\nadd %r1, -16\nmov %r2, 0\nmov %r3, 0\nmov %r4, 1\ncall 1\n\
               jne %r0, 0, +1\nadd %r6, 1000\n\
               mov %r1, %r10\nadd %r1, -16\nmov %r2, 0\nmov %r3, 0\nmov %r4, 1\ncall 1\n\
               jeq %r0, 0, +1\nadd %r6, 10000\nmov %r0, %r6\nexit\n";
    let prog = program(
        src,
        &[
            "bpf_dynptr_from_skb",
            "bpf_dynptr_is_rdonly",
            "bpf_dynptr_slice_rdwr",
            "bpf_dynptr_slice",
        ],
    );
    let input = Input::skb(&[9, 8, 7]);
    let (r0, packet) = run(&prog, &input, true);
    assert_eq!((r0, packet), (11078, Some(vec![9, 8, 7])));
    let (r0, packet) = run(&prog, &input, false);
    assert_eq!((r0, packet), (10000, Some(vec![9, 0x77, 7])));
}
