//! The sched_ext kfuncs (`scx_bpf_*`, kernel/sched/ext.c and, from 6.15, ext_idle.c) that
//! bpfvet models, with their `KF_*` flags and the program types their sets are registered for.
//!
//! The kernel registers them in groups: the dispatch and enqueue sets for struct_ops programs
//! only; the "unlocked" set (queue creation) for struct_ops and syscall programs; the "any" and
//! idle-CPU sets for struct_ops, tracing and syscall programs. Which sched_ext callback may call
//! which group is checked at run time up to Linux 6.18 (see `verifier/sched_ext.rs`), so the
//! verifier, and this table, know only the program types.
//!
//! Linux 6.13 renamed the dispatch kfuncs (`scx_bpf_dispatch` → `scx_bpf_dsq_insert`,
//! `scx_bpf_consume` → `scx_bpf_dsq_move_to_local`); the old names left the kernel a few
//! releases later. Both are listed with the release that added them; whether the target kernel
//! still has a name is its BTF's answer (an extern kfunc missing there is libbpf's refusal).
//! The DSQ iterator (`bpf_iter_scx_dsq_*`, 6.12, in the "any" set) is an open-coded iterator
//! like the others; the kfuncs that take one as `it__iter` to move the task it is at
//! (`scx_bpf_dsq_move*`) are not modelled yet, and are reported as unsupported by name.

use super::kfuncs::kf::*;
use super::kfuncs::{Hooks, IterDef, KfuncDef, Role};
use crate::verifier::env::KernelVersion;

const STRUCT_OPS: u64 = 1 << 27;
const SYSCALL: u64 = 1 << 31;
/// `scx_kfunc_set_select_cpu`, `_enqueue_dispatch`, `_dispatch`, `_cpu_release`.
const OPS_ONLY: Hooks = Hooks(STRUCT_OPS);
/// `scx_kfunc_set_unlocked`.
const UNLOCKED: Hooks = Hooks(STRUCT_OPS | SYSCALL);
/// `scx_kfunc_set_any` and the idle-CPU set.
const ANY: Hooks = Hooks(Hooks::TRACING.0 | STRUCT_OPS | SYSCALL);

/// `struct bpf_iter_scx_dsq` (six words; the kernel's BTF gives the size when it is there).
const SCX_DSQ: IterDef = IterDef {
    name: "scx_dsq",
    size: 48,
};

const fn iter(name: &'static str, flags: u32) -> KfuncDef {
    KfuncDef {
        name,
        flags,
        hooks: ANY,
        since: KernelVersion::new(6, 12),
        role: Role::Iter(SCX_DSQ),
    }
}

const fn k(name: &'static str, flags: u32, hooks: Hooks, major: u16, minor: u16) -> KfuncDef {
    KfuncDef {
        name,
        flags,
        hooks,
        since: KernelVersion::new(major, minor),
        role: Role::Plain,
    }
}

/// Every `scx_bpf_*` kfunc bpfvet models.
pub static SCHED_EXT_KFUNCS: &[KfuncDef] = &[
    // ops.select_cpu only.
    k("scx_bpf_select_cpu_dfl", RCU, OPS_ONLY, 6, 12),
    // ops.select_cpu, ops.enqueue and ops.dispatch: queue a task.
    k("scx_bpf_dispatch", RCU, OPS_ONLY, 6, 12),
    k("scx_bpf_dispatch_vtime", RCU, OPS_ONLY, 6, 12),
    k("scx_bpf_dsq_insert", RCU, OPS_ONLY, 6, 13),
    k("scx_bpf_dsq_insert_vtime", RCU, OPS_ONLY, 6, 13),
    // ops.dispatch only.
    k("scx_bpf_dispatch_nr_slots", 0, OPS_ONLY, 6, 12),
    k("scx_bpf_dispatch_cancel", 0, OPS_ONLY, 6, 12),
    k("scx_bpf_consume", 0, OPS_ONLY, 6, 12),
    k("scx_bpf_dsq_move_to_local", 0, OPS_ONLY, 6, 13),
    // ops.cpu_release only.
    k("scx_bpf_reenqueue_local", 0, OPS_ONLY, 6, 12),
    // Sleepable callbacks (init, init_task, ...) and syscall programs.
    k("scx_bpf_create_dsq", SLEEPABLE, UNLOCKED, 6, 12),
    // Any callback, and tracing and syscall programs.
    k("scx_bpf_kick_cpu", 0, ANY, 6, 12),
    k("scx_bpf_dsq_nr_queued", 0, ANY, 6, 12),
    k("scx_bpf_destroy_dsq", 0, ANY, 6, 12),
    k("scx_bpf_exit_bstr", TRUSTED_ARGS, ANY, 6, 12),
    k("scx_bpf_error_bstr", TRUSTED_ARGS, ANY, 6, 12),
    k("scx_bpf_dump_bstr", TRUSTED_ARGS, ANY, 6, 12),
    k("scx_bpf_cpuperf_cap", 0, ANY, 6, 12),
    k("scx_bpf_cpuperf_cur", 0, ANY, 6, 12),
    k("scx_bpf_cpuperf_set", 0, ANY, 6, 12),
    k("scx_bpf_nr_cpu_ids", 0, ANY, 6, 12),
    k("scx_bpf_get_possible_cpumask", ACQUIRE, ANY, 6, 12),
    k("scx_bpf_get_online_cpumask", ACQUIRE, ANY, 6, 12),
    k("scx_bpf_put_cpumask", RELEASE, ANY, 6, 12),
    k("scx_bpf_task_running", RCU, ANY, 6, 12),
    k("scx_bpf_task_cpu", RCU, ANY, 6, 12),
    k("scx_bpf_task_cgroup", RCU | ACQUIRE, ANY, 6, 12),
    k("scx_bpf_now", 0, ANY, 6, 14),
    // The run queue of a CPU (untrusted here: bpfvet does not claim the kernel's trust for
    // it); the release is not measured, 6.14 is the later of the candidates.
    k("scx_bpf_cpu_rq", 0, ANY, 6, 14),
    // Walking a dispatch queue's tasks: an RCU-protected open-coded iterator.
    iter("bpf_iter_scx_dsq_new", ITER_NEW | RCU_PROTECTED),
    iter("bpf_iter_scx_dsq_next", ITER_NEXT | RET_NULL),
    iter("bpf_iter_scx_dsq_destroy", ITER_DESTROY),
    // Idle CPU tracking.
    k("scx_bpf_get_idle_cpumask", ACQUIRE, ANY, 6, 12),
    k("scx_bpf_get_idle_smtmask", ACQUIRE, ANY, 6, 12),
    k("scx_bpf_put_idle_cpumask", RELEASE, ANY, 6, 12),
    k("scx_bpf_test_and_clear_cpu_idle", 0, ANY, 6, 12),
    k("scx_bpf_pick_idle_cpu", RCU, ANY, 6, 12),
    k("scx_bpf_pick_any_cpu", RCU, ANY, 6, 12),
    // An idle CPU among a given mask (6.16, the idle set).
    k("scx_bpf_select_cpu_and", RCU, ANY, 6, 16),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dispatch_kfuncs_are_for_struct_ops_and_idle_masks_are_referenced() {
        let find = |n: &str| SCHED_EXT_KFUNCS.iter().find(|k| k.name == n).unwrap();
        let insert = find("scx_bpf_dsq_insert");
        assert!(insert.hooks.allows(27) && !insert.hooks.allows(31) && !insert.hooks.allows(26));
        let create = find("scx_bpf_create_dsq");
        assert!(create.has(SLEEPABLE) && create.hooks.allows(31));
        assert!(find("scx_bpf_get_idle_cpumask").has(ACQUIRE));
        assert!(find("scx_bpf_put_idle_cpumask").has(RELEASE));
        assert!(find("scx_bpf_kick_cpu").hooks.allows(26));
    }
}
