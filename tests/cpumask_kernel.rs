//! The runtime's cpumask objects against the live kernel: each program of
//! corpus/c/kfuncs/cpumask_ops (every cpumask kfunc a syscall program can call, answers packed
//! into `r0`) runs through the kernel's `BPF_PROG_TEST_RUN` and on the interpreter and the
//! checked JIT with the kernel's count of possible CPUs (`nr_cpu_ids`); the return values must
//! be equal. runtime/tests/cpumask_objects.rs checks the same programs against values worked
//! out by hand for several CPU counts.

#[path = "kernel_support/mod.rs"]
mod kernel_support;

use bpfvet_runtime::{interp, jit, kfuncs, load, Input, Machine};
use kernel_support::{kernel_or_skip, root};

const OBJECT: &str = "corpus/c/kfuncs/cpumask_ops.bpf.o";

/// The kernel's `nr_cpu_ids`: one past the last possible CPU (`0-1` → 2).
fn possible_cpus() -> u32 {
    let text = std::fs::read_to_string("/sys/devices/system/cpu/possible").expect("sysfs");
    let last = text
        .trim()
        .rsplit([',', '-'])
        .next()
        .and_then(|n| n.parse::<u32>().ok())
        .expect("a CPU list");
    last + 1
}

#[test]
fn cpumask_programs_return_what_the_kernel_returns() {
    if !kernel_or_skip("cpumask_programs_return_what_the_kernel_returns") {
        return;
    }
    let bytes = std::fs::read(root().join(OBJECT)).expect("the corpus object is committed");
    let obj = bpfvet_analyzer::elf::load(&bytes).expect("loads");
    let nr_cpus = possible_cpus();
    // The runtime's masks hold up to 256 CPUs (the oracle kernel's NR_CPUS).
    assert!(nr_cpus <= bpfvet_runtime::cpumask::MAX_CPUS);
    let ctx = vec![0u8; 8];
    for program in ["cpumask_bits", "cpumask_sets", "cpumask_counts"] {
        let theirs = bpfvet_oracle::test_run(
            &bytes,
            OBJECT,
            program,
            &bpfvet_oracle::TestRunInput {
                data: ctx.clone(),
                ctx: Some(ctx.clone()),
                repeat: 1,
            },
        )
        .unwrap_or_else(|e| panic!("{program}: the kernel's test run: {e}"));
        let prog = obj.program(program).expect("program");
        for engine in ["interp", "jit-checked"] {
            let mut m = Machine::new();
            m.env.nr_cpus = nr_cpus;
            let p = load::load_program(&mut m, obj.maps(), prog.insns())
                .expect("maps")
                .with_kfuncs(kfuncs::names(prog.relocs()));
            let input = Input::Buffer(ctx.clone());
            let ours = match engine {
                "interp" => interp::run(&mut m, &p, &input),
                _ => jit::compile_checked(&p)
                    .expect("compiles")
                    .run(&mut m, &input),
            }
            .unwrap_or_else(|f| panic!("{program} on {engine}: {f}"));
            println!(
                "{program}: kernel {:#x}, {engine} {:#x} ({nr_cpus} CPUs)",
                theirs.retval, ours.r0
            );
            assert_eq!(
                ours.r0 as u32, theirs.retval,
                "{program} on {engine} with {nr_cpus} CPUs"
            );
        }
    }
}
