//! Maps, helpers, packets and faults, run on every engine, which must agree.

mod support;

use bpfvet_analyzer::isa::InsnIdx;
use bpfvet_analyzer::program::{MapDef as ObjMapDef, MapType as ObjMapType};
use bpfvet_analyzer::rules::ProgTypeRules;
use bpfvet_analyzer::verifier::env::{Input as VerifyInput, Options};
use bpfvet_analyzer::verifier::{verify_program, VerifiedProgram};
use bpfvet_runtime::jit;
use bpfvet_runtime::maps::{MapDef, MapType};
use bpfvet_runtime::mem::{Access, RegionKind};
use bpfvet_runtime::{interp, Fault, FaultKind, Input, Machine, Program, RunResult};

/// The analyzer's verdict on `prog` as an XDP program whose maps are `m`'s: the only way to
/// reach the unchecked JIT.
fn verified_xdp(prog: &Program, m: &Machine) -> Option<VerifiedProgram> {
    let defs: Vec<ObjMapDef> = prog
        .maps()
        .iter()
        .map(|id| {
            let d = m.map(*id).expect("map exists").def;
            ObjMapDef {
                map_flags: d.flags,
                ..ObjMapDef::plain(
                    &format!("map{}", id.0),
                    ObjMapType(d.map_type as u32),
                    d.key_size,
                    d.value_size,
                    d.max_entries,
                )
            }
        })
        .collect();
    let input = VerifyInput::bare(
        prog.insns(),
        &defs,
        ProgTypeRules::by_name("xdp").expect("xdp rules"),
        true,
    );
    verify_program(&input, &Options::default()).ok()
}

/// Assembles `src` with map and function references (see [`support::assemble_with_refs`]).
fn program(src: &str, maps: Vec<bpfvet_runtime::maps::MapId>) -> Program {
    Program::with_maps(support::assemble_with_refs(src), maps)
}

/// Runs on the interpreter, the checked JIT and (for an XDP context the analyzer accepts the
/// program for) the unchecked JIT, each on its own machine built by `setup`, and checks that
/// they agree; returns the interpreter's result and machine.
fn run_all(
    prog: &Program,
    input: &Input,
    setup: impl Fn(&mut Machine),
) -> (Result<RunResult, Fault>, Machine) {
    let mut mi = Machine::new();
    setup(&mut mi);
    let ri = interp::run(&mut mi, prog, input);
    let mut mc = Machine::new();
    setup(&mut mc);
    let rc = jit::compile_checked(prog)
        .expect("compiles")
        .run(&mut mc, input);
    let mut mu = Machine::new();
    setup(&mut mu);
    // Engines run on different machines, so host addresses differ: compare everything else.
    let strip = |r: &Result<RunResult, Fault>| {
        r.clone()
            .map(|mut x| {
                x.n_insns = 0;
                x
            })
            .map_err(|mut f| {
                if let FaultKind::OutOfBounds { addr, .. } | FaultKind::ReadOnly { addr, .. } =
                    &mut f.kind
                {
                    *addr = 0;
                }
                f
            })
    };
    assert_eq!(strip(&ri), strip(&rc), "interp vs checked jit");
    let xdp_ctx = matches!(input, Input::Context { ctx, .. } if ctx.len() >= 24);
    if let (true, Some(v)) = (xdp_ctx, verified_xdp(prog, &mu)) {
        let ru = jit::compile(&v, &mu, prog.maps())
            .expect("compiles")
            .run(&mut mu, input);
        assert_eq!(strip(&ri), strip(&ru), "interp vs unchecked jit");
    }
    (ri, mi)
}

const COUNTER: &str = "
    mov %r6, 0
loop:
    stxw [%r10-4], %r6
    lddw %r1, 0x0ead0000
    mov %r2, %r10
    add %r2, -4
    call 1
    jne %r0, 0, found
    stdw [%r10-16], 0
    lddw %r1, 0x0ead0000
    mov %r2, %r10
    add %r2, -4
    mov %r3, %r10
    add %r3, -16
    mov %r4, 0
    call 2
    ja loop
found:
    ldxdw %r1, [%r0]
    add %r1, %r6
    stxdw [%r0], %r1
    add %r6, 1
    jlt %r6, 8, loop
    mov %r0, %r6
    exit
";

#[test]
fn hash_map_counters() {
    let setup = |m: &mut Machine| {
        m.create_map(MapDef::new(MapType::Hash, 4, 8, 16)).unwrap();
    };
    let mut probe = Machine::new();
    setup(&mut probe);
    let prog = program(COUNTER, vec![bpfvet_runtime::maps::MapId(0)]);
    let (r, mut m) = run_all(&prog, &Input::None, setup);
    assert_eq!(r.unwrap().r0, 8);
    for k in 0u32..8 {
        let v = m
            .map_lookup(bpfvet_runtime::maps::MapId(0), &k.to_le_bytes())
            .expect("present");
        assert_eq!(u64::from_le_bytes(v.try_into().unwrap()), u64::from(k));
    }
}

/// XDP: read the EtherType after a bounds check; drop IPv4, pass the rest.
const XDP_ETHERTYPE: &str = "
    ldxw %r2, [%r1+0]
    ldxw %r3, [%r1+4]
    mov %r4, %r2
    add %r4, 14
    jgt %r4, %r3, short
    ldxh %r5, [%r2+12]
    be16 %r5
    jne %r5, 0x0800, pass
    mov %r0, 1
    exit
pass:
    mov %r0, 2
    exit
short:
    mov %r0, 0
    exit
";

#[test]
fn xdp_packet_parsing() {
    let prog = program(XDP_ETHERTYPE, vec![]);
    let v = verified_xdp(&prog, &Machine::new()).expect("the analyzer accepts it");
    assert_eq!(v.ctx_loads().len(), 2);
    let mut pkt = vec![0u8; 64];
    pkt[12] = 0x08;
    let (r, _) = run_all(&prog, &Input::xdp(&pkt), |_| {});
    assert_eq!(r.unwrap().r0, 1);
    pkt[13] = 0x06;
    let (r, _) = run_all(&prog, &Input::xdp(&pkt), |_| {});
    assert_eq!(r.unwrap().r0, 2);
    let (r, _) = run_all(&prog, &Input::xdp(&pkt[..10]), |_| {});
    assert_eq!(r.unwrap().r0, 0);
}

#[test]
fn out_of_bounds_is_a_typed_fault_at_the_insn() {
    // Reads one byte past an 8-byte input buffer.
    let prog = program("mov %r0, 0\nldxb %r0, [%r1+8]\nexit\n", vec![]);
    let mut m = Machine::new();
    let e = interp::run(&mut m, &prog, &Input::Buffer(vec![0; 8])).unwrap_err();
    assert_eq!(e.insn, InsnIdx(1));
    assert!(
        matches!(
            e.kind,
            FaultKind::OutOfBounds {
                size: 1,
                access: Access::Read,
                near: Some((RegionKind::Input, 8)),
                ..
            }
        ),
        "{e}"
    );
    let ec = jit::compile_checked(&prog)
        .unwrap()
        .run(&mut Machine::new(), &Input::Buffer(vec![0; 8]))
        .unwrap_err();
    assert_eq!(e.insn, ec.insn);
    assert!(matches!(
        ec.kind,
        FaultKind::OutOfBounds {
            size: 1,
            near: Some((RegionKind::Input, 8)),
            ..
        }
    ));
    // A write to the stack above r10 faults too.
    let prog = program("stdw [%r10+0], 1\nmov %r0, 0\nexit\n", vec![]);
    let (r, _) = run_all(&prog, &Input::None, |_| {});
    assert!(matches!(
        r.unwrap_err().kind,
        FaultKind::OutOfBounds {
            access: Access::Write,
            ..
        }
    ));
}

#[test]
fn unsupported_helper_is_named() {
    let prog = program("call 58\nexit\n", vec![]);
    let (r, _) = run_all(&prog, &Input::None, |_| {});
    let e = r.unwrap_err();
    assert_eq!(
        e.kind,
        FaultKind::UnsupportedHelper {
            id: 58,
            name: Some("override_return")
        }
    );
    assert_eq!(
        e.to_string(),
        "insn 0: unsupported helper bpf_override_return (id 58)"
    );
}

/// `bpf_loop(10, cb, &sum, 0)`: the callback adds its index to a stack slot of the caller.
const LOOP: &str = "
    stdw [%r10-8], 0
    mov %r1, 10
    lddw %r2, 0xf00c000c
    mov %r3, %r10
    add %r3, -8
    mov %r4, 0
    call 181
    ldxdw %r1, [%r10-8]
    lsh %r0, 32
    or %r0, %r1
    exit
    ldxdw %r3, [%r2]
    add %r3, %r1
    stxdw [%r2], %r3
    mov %r0, 0
    exit
";

#[test]
fn bpf_loop_runs_callbacks() {
    let prog = program(LOOP, vec![]);
    let (r, _) = run_all(&prog, &Input::None, |_| {});
    assert_eq!(r.unwrap().r0, (10 << 32) | 45);
}

const RINGBUF: &str = "
    lddw %r1, 0x0ead0000
    mov %r2, 8
    mov %r3, 0
    call 131
    jeq %r0, 0, out
    stdw [%r0], 0x1234
    mov %r1, %r0
    mov %r2, 0
    call 132
    call 5
    call 7
    stxw [%r10-4], %r0
    stb [%r10-8], 0x25
    stb [%r10-7], 0x75
    stb [%r10-6], 0
    mov %r1, %r10
    add %r1, -8
    mov %r2, 3
    ldxw %r3, [%r10-4]
    call 6
out:
    exit
";

#[test]
fn ringbuf_and_trace_printk_are_captured() {
    let prog = program(RINGBUF, vec![bpfvet_runtime::maps::MapId(0)]);
    let setup = |m: &mut Machine| {
        m.create_map(MapDef::new(MapType::Ringbuf, 0, 0, 4096))
            .unwrap();
    };
    let (r, m) = run_all(&prog, &Input::None, setup);
    r.unwrap();
    let map = m.map(bpfvet_runtime::maps::MapId(0)).unwrap();
    assert_eq!(map.ringbuf_records(), &[0x1234u64.to_le_bytes().to_vec()]);
    assert_eq!(m.env.trace.len(), 1);
    assert!(m.env.trace[0].parse::<u32>().is_ok(), "{:?}", m.env.trace);
}

#[test]
fn local_calls_keep_callee_saved_registers_and_bound_depth() {
    let prog = program(
        "mov %r6, 7\ncall local f\nadd %r0, %r6\nexit\nf:\nmov %r6, 1\nmov %r0, 35\nexit\n",
        vec![],
    );
    let (r, _) = run_all(&prog, &Input::None, |_| {});
    assert_eq!(r.unwrap().r0, 42);
    // Unbounded recursion hits the frame limit.
    let prog = program("f:\ncall local f\nexit\n", vec![]);
    let (r, _) = run_all(&prog, &Input::None, |_| {});
    assert!(matches!(r.unwrap_err().kind, FaultKind::CallDepth { .. }));
}

#[test]
fn tail_call_ends_the_program() {
    let prog = program(
        "mov %r6, %r1\nlddw %r2, 0x0ead0000\nmov %r3, 0\ncall 12\nmov %r0, 99\nexit\n",
        vec![bpfvet_runtime::maps::MapId(0)],
    );
    let setup = |m: &mut Machine| {
        let id = m
            .create_map(MapDef::new(MapType::ProgArray, 4, 4, 4))
            .unwrap();
        assert_eq!(
            m.map_update(id, &0u32.to_le_bytes(), &3u32.to_le_bytes(), 0),
            0
        );
    };
    let (r, _) = run_all(&prog, &Input::None, setup);
    assert_eq!(r.unwrap().tail_call, Some(3));
    // An empty slot: the call fails and the program goes on.
    let (r, _) = run_all(&prog, &Input::None, |m| {
        m.create_map(MapDef::new(MapType::ProgArray, 4, 4, 4))
            .unwrap();
    });
    assert_eq!(r.unwrap().r0, 99);
}

#[test]
fn infinite_loop_hits_the_budget() {
    let prog = program("l:\nja l\n", vec![]);
    let (r, _) = run_all(&prog, &Input::None, |m| m.env.insn_limit = 1000);
    assert!(matches!(r.unwrap_err().kind, FaultKind::InsnLimit { .. }));
}

/// A loop with no bound but `may_goto`: the interpreter and the checked JIT fall through the
/// kernel's 2^23 times, then take the jump, so `r0` counts exactly that many iterations. (The
/// analyzer rejects this loop, 8,193 pending branches for a counter it must keep precise, so the
/// unchecked JIT, which emits `may_goto` with the same code, does not run here.)
#[test]
fn may_goto_ends_a_loop_after_the_kernels_budget() {
    use bpfvet_analyzer::isa::Insn;
    let mut insns = support::assemble_with_refs("mov %r0, 0\nja +2\nadd %r0, 1\nja -3\nexit\n");
    insns[1] = Insn::MayGoto { off: 2 };
    let prog = Program::with_maps(insns, vec![]);
    let (r, _) = run_all(&prog, &Input::None, |m| m.env.insn_limit = 1 << 26);
    assert_eq!(r.unwrap().r0, bpfvet_runtime::MAY_GOTO_BUDGET);
}

/// Each frame has its own `may_goto` count, as the kernel keeps it in a stack slot that every
/// entry of the (sub)program sets (`verifier_iterating_callbacks.c` `cond_break5`: a static
/// subprogram loops after its caller's loop ran out, `__retval(1)` on the live kernel): the
/// main program's loop runs 2^23 times, the subprogram's loop 2^23 times more, and a second
/// loop of the main program after the call none (its count is still spent).
#[test]
fn a_subprogram_gets_its_own_may_goto_count() {
    use bpfvet_analyzer::isa::Insn;
    let src = "mov %r6, 0
ja +2
add %r6, 1
ja -3
call local sub
mov %r7, %r0
ja +2
add %r6, 1
ja -3
mov %r0, %r7
lsh %r0, 32
or %r0, %r6
exit
sub:
mov %r0, 0
ja +2
add %r0, 1
ja -3
exit
";
    let mut insns = support::assemble_with_refs(src);
    for at in [1, 6, 14] {
        insns[at] = Insn::MayGoto { off: 2 };
    }
    let prog = Program::with_maps(insns, vec![]);
    // The interpreter and the checked JIT (the analyzer spends seconds rejecting these
    // loops, so the unchecked JIT is left out, as above).
    let machine = || {
        let mut m = Machine::new();
        m.env.insn_limit = 1 << 27;
        m
    };
    let ri = interp::run(&mut machine(), &prog, &Input::None).expect("interpreter");
    let rj = jit::compile_checked(&prog)
        .expect("compiles")
        .run(&mut machine(), &Input::None)
        .expect("checked JIT");
    let budget = bpfvet_runtime::MAY_GOTO_BUDGET;
    assert_eq!(ri.r0, budget << 32 | budget);
    assert_eq!(rj.r0, ri.r0);
}
