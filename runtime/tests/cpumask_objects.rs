//! cpumasks as run-time objects (`bpf_cpumask_*` kfuncs) on both checking engines: the corpus
//! programs of `kfuncs/cpumask_ops` (every mask operation, results packed into `r0`) against
//! values worked out by hand from kernel/bpf/cpumask.c for several CPU counts (the same values
//! the live kernel's test run gives for its count, checked by tests/cpumask_kernel.rs), and
//! hand-built programs that misuse an object: released, leaked, or not made by the runtime.
//! The unchecked JIT refuses syscall programs (their context size is known only at run time),
//! so these run on the interpreter and the checked JIT.

#[path = "support/kfunc_calls.rs"]
mod kfunc_calls;

use bpfvet_analyzer::isa::InsnIdx;
use bpfvet_runtime::{interp, jit, kfuncs, load, FaultKind, Input, Machine, Program};
use kfunc_calls::with_kfuncs;

const OBJECT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../corpus/c/kfuncs/cpumask_ops.bpf.o"
);

/// `r0` of `program` on `engine` with `nr_cpus` possible CPUs.
fn run_corpus(program: &str, engine: &str, nr_cpus: u32) -> u64 {
    let bytes = std::fs::read(OBJECT).expect("the corpus object is committed");
    let obj = bpfvet_analyzer::elf::load(&bytes).expect("loads");
    let prog = obj.program(program).expect("program");
    let mut m = Machine::new();
    m.env.nr_cpus = nr_cpus;
    let p = load::load_program(&mut m, obj.maps(), prog.insns())
        .expect("maps")
        .with_kfuncs(kfuncs::names(prog.relocs()));
    let res = match engine {
        "interp" => interp::run(&mut m, &p, &Input::Buffer(vec![0; 8])),
        _ => jit::compile_checked(&p)
            .expect("compiles")
            .run(&mut m, &Input::Buffer(vec![0; 8])),
    };
    res.unwrap_or_else(|f| panic!("{program} on {engine}: {f}"))
        .r0
}

#[test]
fn every_mask_operation_answers_as_the_kernel_does() {
    // (program, nr_cpus, r0): see the comments in cpumask_ops.bpf.c for each bit and byte.
    let cases = [
        ("cpumask_bits", 2, 0x1719),
        ("cpumask_bits", 4, 0x1719),
        ("cpumask_bits", 256, 0x1719),
        // One CPU: CPU 1 does not exist, so setting or testing it changes and finds nothing
        // (bits 3, 4 and 9 clear); the other answers stand.
        ("cpumask_bits", 1, 0x1501),
        ("cpumask_sets", 2, 0x1b1f),
        ("cpumask_sets", 64, 0x1b1f),
        // first({1}) = 1; first_zero and weight of a full mask = nr_cpu_ids; 1 + 1 + 1 and
        // any_distribute of an empty mask = nr_cpu_ids.
        ("cpumask_counts", 2, 0x0502_0201),
        ("cpumask_counts", 4, 0x0704_0401),
        ("cpumask_counts", 65, 0x4441_4101),
    ];
    for (program, nr_cpus, want) in cases {
        for engine in ["interp", "jit-checked"] {
            assert_eq!(
                run_corpus(program, engine, nr_cpus),
                want,
                "{program} on {engine} with {nr_cpus} CPUs"
            );
        }
    }
}

/// The fault both checking engines report for `prog` (they must agree), host addresses
/// erased.
fn fault_of(prog: &Program) -> (u32, FaultKind) {
    let erase = |mut f: bpfvet_runtime::Fault| {
        if let FaultKind::ReadOnly { addr, .. } = &mut f.kind {
            *addr = 0;
        }
        f
    };
    let fi =
        erase(interp::run(&mut Machine::new(), prog, &Input::None).expect_err("interp faults"));
    let fj = erase(
        jit::compile_checked(prog)
            .expect("compiles")
            .run(&mut Machine::new(), &Input::None)
            .expect_err("jit faults"),
    );
    assert_eq!(fi, fj, "the engines agree");
    (fi.insn.0, fi.kind)
}

#[test]
fn a_released_mask_faults_when_used_again() {
    // r6 = create(); release(r6); set_cpu(0, r6).
    let prog = with_kfuncs(
        "call 1\nmov %r6, %r0\nmov %r1, %r6\ncall 1\nmov %r1, 0\nmov %r2, %r6\ncall 1\n\
         mov %r0, 0\nexit\n",
        &[
            "bpf_cpumask_create",
            "bpf_cpumask_release",
            "bpf_cpumask_set_cpu",
        ],
    );
    let (at, kind) = fault_of(&prog);
    assert_eq!(at, 6);
    assert_eq!(
        kind,
        FaultKind::ReleasedObject {
            kfunc: "bpf_cpumask_set_cpu",
            object: "bpf_cpumask",
            number: 0
        }
    );
    // A second release of the same reference is the same misuse.
    let prog = with_kfuncs(
        "call 1\nmov %r6, %r0\nmov %r1, %r6\ncall 1\nmov %r1, %r6\ncall 1\nmov %r0, 0\nexit\n",
        &[
            "bpf_cpumask_create",
            "bpf_cpumask_release",
            "bpf_cpumask_release",
        ],
    );
    assert!(matches!(
        fault_of(&prog),
        (
            5,
            FaultKind::ReleasedObject {
                kfunc: "bpf_cpumask_release",
                ..
            }
        )
    ));
}

#[test]
fn a_mask_still_referenced_at_exit_faults_at_the_call_that_made_it() {
    // Two masks; the second gets an extra reference that is never dropped.
    let prog = with_kfuncs(
        "call 1\nmov %r6, %r0\ncall 1\nmov %r7, %r0\nmov %r1, %r7\ncall 1\n\
         mov %r1, %r6\ncall 1\nmov %r1, %r7\ncall 1\nmov %r0, 0\nexit\n",
        &[
            "bpf_cpumask_create",
            "bpf_cpumask_create",
            "bpf_cpumask_acquire",
            "bpf_cpumask_release",
            "bpf_cpumask_release",
        ],
    );
    let (at, kind) = fault_of(&prog);
    assert_eq!(
        (at, kind),
        (
            2,
            FaultKind::LeakedObject {
                object: "bpf_cpumask",
                number: 1
            }
        )
    );
    // The next run of the same machine starts clean: nothing of the leaked run remains.
    let balanced = with_kfuncs(
        "call 1\nmov %r1, %r0\ncall 1\nmov %r0, 7\nexit\n",
        &["bpf_cpumask_create", "bpf_cpumask_release"],
    );
    let mut m = Machine::new();
    let _ = interp::run(&mut m, &prog, &Input::None);
    assert_eq!(
        interp::run(&mut m, &balanced, &Input::None)
            .expect("runs")
            .r0,
        7
    );
}

#[test]
fn a_mask_the_runtime_did_not_make_is_refused_by_name() {
    // A pointer into the stack stands for a kernel cpumask (a task's cpus_ptr, say).
    let prog = with_kfuncs(
        "mov %r1, %r10\nadd %r1, -8\ncall 1\nexit\n",
        &["bpf_cpumask_weight"],
    );
    let (at, kind) = fault_of(&prog);
    assert_eq!(at, 2);
    assert_eq!(
        kind,
        FaultKind::ForeignObject {
            kfunc: "bpf_cpumask_weight",
            object: "bpf_cpumask"
        }
    );
    let fault = bpfvet_runtime::Fault {
        insn: InsnIdx(at),
        kind,
    };
    // Differential runs count it as a run the runtime cannot make, not as a finding.
    assert_eq!(
        bpfvet_runtime::diff::skip_reason(&fault).as_deref(),
        Some("bpf_cpumask_weight on a kernel-owned bpf_cpumask")
    );
    let shown = fault.to_string();
    assert_eq!(
        shown,
        "insn 2: bpf_cpumask_weight on a bpf_cpumask the runtime did not make \
         (kernel-owned objects do not run offline)"
    );
}

#[test]
fn the_mask_bytes_are_the_kernels_layout_and_read_only() {
    // r6 = create(); setall(r6); r0 = the first word of the bits plus the u32 `usage` at 32
    // (struct bpf_cpumask of the oracle kernel); then a store into the object.
    let read = with_kfuncs(
        "call 1\nmov %r6, %r0\nmov %r1, %r6\ncall 1\nldxdw %r7, [%r6+0]\nldxw %r8, [%r6+32]\n\
         mov %r1, %r6\ncall 1\nmov %r0, %r7\nadd %r0, %r8\nexit\n",
        &[
            "bpf_cpumask_create",
            "bpf_cpumask_setall",
            "bpf_cpumask_release",
        ],
    );
    // setall fills whole words (u64::MAX), and one reference was held: MAX + 1 wraps to 0.
    let mut m = Machine::new();
    assert_eq!(
        interp::run(&mut m, &read, &Input::None).expect("runs").r0,
        0
    );
    let write = with_kfuncs(
        "call 1\nmov %r6, %r0\nstdw [%r6+0], 1\nmov %r1, %r6\ncall 1\nmov %r0, 0\nexit\n",
        &["bpf_cpumask_create", "bpf_cpumask_release"],
    );
    assert!(matches!(fault_of(&write), (2, FaultKind::ReadOnly { .. })));
}
