//! Probe loads (the kernel's `BPF_PROBE_MEM`: loads through BTF-typed kernel pointers read 0
//! where the address is bad, without a fault) and context objects (kernel objects of BTF-typed
//! contexts, a flow dissector's keys), on the interpreter, the checked JIT and, for a program
//! the analyzer accepts, the unchecked JIT.

use bpfvet_analyzer::btf::Btf;
use bpfvet_analyzer::isa::text::parse_program;
use bpfvet_analyzer::isa::InsnIdx;
use bpfvet_analyzer::verifier::btf_ctx::BtfArg;
use bpfvet_analyzer::verifier::env::{core_relocated, Input as VerifyInput, Options};
use bpfvet_analyzer::verifier::verify_program;
use bpfvet_runtime::diff::{self, BtfSlots, Rng};
use bpfvet_runtime::mem::{CtxField, CtxObject, ObjectKind, RegionKind};
use bpfvet_runtime::{
    interp, jit, load, Fault, FaultKind, Input, Machine, Program, RunResult, SKB_FIELDS,
};
use std::path::Path;

fn prog(text: &str, probes: &[u32]) -> Program {
    let insns = parse_program(text).expect("assembles");
    Program::new(insns).with_probe_loads(probes.iter().map(|&i| InsnIdx(i)).collect())
}

/// Runs `p` on the interpreter and the checked JIT, each on a fresh machine; checks that they
/// agree (faults compared by kind and instruction) and returns the interpreter's result with
/// its machine.
fn run_both(p: &Program, input: &Input) -> (Result<RunResult, Fault>, Machine) {
    let mut mi = Machine::new();
    let ri = interp::run(&mut mi, p, input);
    let mut mj = Machine::new();
    let rj = jit::compile_checked(p)
        .expect("compiles")
        .run(&mut mj, input);
    let key = |r: &Result<RunResult, Fault>| match r {
        Ok(r) => Ok((r.r0, r.packet.clone())),
        Err(f) => Err((f.insn, std::mem::discriminant(&f.kind))),
    };
    assert_eq!(key(&ri), key(&rj), "interpreter vs checked JIT");
    assert_eq!(
        mi.mem.written_objects(),
        mj.mem.written_objects(),
        "objects after the run"
    );
    (ri, mi)
}

fn ctx(bytes: Vec<u8>) -> Input {
    Input::Context {
        ctx: bytes,
        packet: None,
        fields: Vec::new(),
        objects: Vec::new(),
    }
}

#[test]
fn a_probe_load_outside_every_region_reads_zero() {
    let text = "r0 = *(u64 *)(r1 + 8)\nexit\n";
    // No context: `r1` is 0, so the load reads address 8.
    let (r, _) = run_both(&prog(text, &[0]), &Input::None);
    assert_eq!(r.expect("no fault").r0, 0);
    // The same load without probe semantics faults.
    let (r, _) = run_both(&prog(text, &[]), &Input::None);
    let f = r.expect_err("faults");
    assert!(matches!(f.kind, FaultKind::OutOfBounds { .. }), "{f}");
}

#[test]
fn a_probe_load_inside_a_region_is_a_plain_load() {
    let mut bytes = vec![0u8; 16];
    bytes[8..16].copy_from_slice(&0x1122_3344_5566_7788u64.to_le_bytes());
    let (r, _) = run_both(
        &prog("r0 = *(u64 *)(r1 + 8)\nexit\n", &[0]),
        &ctx(bytes.clone()),
    );
    assert_eq!(r.expect("no fault").r0, 0x1122_3344_5566_7788);
    // Sign-extending: 0xfffffffe at offset 0 reads as -2.
    bytes[..4].copy_from_slice(&0xffff_fffeu32.to_le_bytes());
    let (r, _) = run_both(
        &prog("r0 = *(s32 *)(r1 + 0)\nexit\n", &[0]),
        &ctx(bytes.clone()),
    );
    assert_eq!(r.expect("no fault").r0 as i64, -2);
    // A load that starts inside the region and ends past it is outside: 0, as a fault
    // would make it in the kernel.
    let (r, _) = run_both(&prog("r0 = *(u64 *)(r1 + 12)\nexit\n", &[0]), &ctx(bytes));
    assert_eq!(r.expect("no fault").r0, 0);
}

#[test]
fn kernel_objects_are_readable_through_their_slot_and_read_only() {
    let obj = CtxObject {
        kind: ObjectKind::Kernel,
        bytes: (1..=16).collect(),
        slot: Some(8),
    };
    let input = Input::Context {
        ctx: vec![0xaa; 16],
        packet: None,
        fields: Vec::new(),
        objects: vec![obj],
    };
    // r1 = ctx[1] (the object's address), r0 = the u32 at offset 4 of the object, then a
    // pointer field (bytes 8..16, not an address) read and dereferenced: 0.
    let text = "r6 = *(u64 *)(r1 + 8)\nr0 = *(u32 *)(r6 + 4)\nr2 = *(u64 *)(r6 + 8)\nr2 = *(u64 *)(r2 + 0)\nr0 += r2\nexit\n";
    let (r, m) = run_both(&prog(text, &[1, 2, 3]), &input);
    assert_eq!(
        r.expect("no fault").r0,
        u64::from(u32::from_le_bytes([5, 6, 7, 8]))
    );
    assert!(m
        .mem
        .regions()
        .any(|r| r.kind == RegionKind::KernelObject && !r.writable));
    // The slot's bytes hold the address, and are masked in what runs leave behind.
    let after = m.mem.context_bytes().expect("a context");
    assert_eq!(after[..8], [0xaa; 8]);
    assert_eq!(after[8..], [0; 8]);
    // Stores into a kernel object fault.
    let text = "r6 = *(u64 *)(r1 + 8)\n*(u32 *)(r6 + 0) = 1\nr0 = 0\nexit\n";
    let (r, _) = run_both(&prog(text, &[]), &input);
    let f = r.expect_err("read-only");
    assert!(
        matches!(
            f.kind,
            FaultKind::ReadOnly {
                region: RegionKind::KernelObject,
                ..
            }
        ),
        "{f}"
    );
}

#[test]
fn flow_keys_are_reached_through_the_context_and_written_back() {
    let mut fields = SKB_FIELDS.to_vec();
    fields.push((144, CtxField::FlowKeys));
    let input = Input::Context {
        ctx: vec![0; 192],
        packet: Some(vec![0; 20]),
        fields,
        objects: vec![diff::flow_keys(0x0800, 0)],
    };
    // keys->thoff = keys->nhoff + 20; r0 = keys->n_proto.
    let text = "r1 = *(u64 *)(r1 + 144)\nr2 = *(u16 *)(r1 + 0)\nr2 += 20\n*(u16 *)(r1 + 2) = r2\nr0 = *(u16 *)(r1 + 10)\nexit\n";
    let (r, m) = run_both(&prog(text, &[]), &input);
    assert_eq!(r.expect("no fault").r0, u64::from(0x0800u16.to_be()));
    let keys = &m.mem.written_objects()[0];
    assert_eq!(keys[..4], [14, 0, 34, 0]);
    // The test run then clamps the offsets to the packet's 20 bytes.
    assert_eq!(diff::flow_keys_reported(keys, 20)[..4], [14, 0, 20, 0]);
    // Offsets below the network header are raised to it.
    let mut low = keys.clone();
    low[..4].copy_from_slice(&[2, 0, 1, 0]);
    assert_eq!(diff::flow_keys_reported(&low, 100)[..4], [14, 0, 14, 0]);
}

/// A real tp_btf program (CO-RE relocated, verified against this machine's kernel BTF): its
/// loads through `task_struct` pointers are probe loads, and all three engines agree on
/// generated inputs, NULL `cred` pointers (zeroed objects) included.
#[test]
fn a_tp_btf_program_runs_alike_on_every_engine() {
    let Some(kernel) = std::fs::read("/sys/kernel/btf/vmlinux")
        .ok()
        .and_then(|b| Btf::parse(&b).ok())
    else {
        println!("NOTE: /sys/kernel/btf/vmlinux is not readable: no BTF-typed program to run");
        return;
    };
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../corpus/c/realworld/falco/proc_fork_tp_btf.bpf.o");
    let obj =
        bpfvet_analyzer::elf::load(&std::fs::read(path).expect("corpus object")).expect("loads");
    let p = obj.program("sched_proc_fork").expect("program");
    let p = match core_relocated(&obj, p, Some(&kernel)) {
        Some(r) => r.expect("relocates"),
        None => p.clone(),
    };
    let rules = bpfvet_analyzer::rules::ProgTypeRules::by_name("tracing").expect("tracing");
    let vin = VerifyInput::new(&obj, &p, rules).with_kernel_btf(Some(&kernel));
    let verified = verify_program(&vin, &Options::default()).expect("accepted");
    assert!(
        !verified.probe_loads().is_empty(),
        "loads through task_struct"
    );
    assert!(
        verified.ctx_loads().is_empty(),
        "argument loads are plain loads"
    );
    let args = verified.ctx_args().expect("typed arguments");
    assert!(
        matches!(args, [BtfArg::Ptr { .. }, BtfArg::Ptr { .. }]),
        "{args:?}"
    );
    let slots = BtfSlots::new(args, &kernel);
    let mut ringbuf_events = 0;
    for seed in 0..40 {
        let gen = diff::gen_input(&mut Rng::new(seed), rules, Some(&slots), obj.maps());
        let input = gen.to_input();
        let mut outcomes = Vec::new();
        for engine in 0..3 {
            let mut m = Machine::new();
            let prog = load::load_program(&mut m, obj.maps(), p.insns())
                .expect("maps")
                .with_probe_loads(verified.probe_loads().to_vec());
            let res = match engine {
                0 => interp::run(&mut m, &prog, &input),
                1 => jit::compile_checked(&prog)
                    .expect("compiles")
                    .run(&mut m, &input),
                _ => jit::compile(&verified, &m, prog.maps())
                    .expect("compiles")
                    .run(&mut m, &input),
            };
            assert!(res.is_ok(), "engine {engine}, seed {seed}: {res:?}");
            outcomes.push(diff::outcome(&mut m, &res));
        }
        assert_eq!(
            outcomes[0], outcomes[1],
            "seed {seed}: interp vs checked JIT"
        );
        assert_eq!(outcomes[0], outcomes[2], "seed {seed}: interp vs JIT");
        ringbuf_events += outcomes[0].events.len();
    }
    // Zeroed and sparse objects make `pid == tgid` hold, so the event path ran, with its
    // `child->cred->uid` read through a NULL or random pointer.
    assert!(ringbuf_events > 0, "no run reached the ring buffer");
}
