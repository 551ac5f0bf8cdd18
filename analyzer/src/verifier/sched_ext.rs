//! sched_ext (`struct sched_ext_ops`) rules that are not kfunc flags: which callbacks may be
//! sleepable. The kernel's `bpf_scx_check_member` (kernel/sched/ext.c) lets a sleepable program
//! implement only the callbacks sched_ext calls where it may sleep; any other refuses the load
//! before verification, through `check_struct_ops_btf_id`'s "attach to unsupported member".
//!
//! Which callback may call which `scx_bpf_*` kfunc is, up to Linux 6.18, checked when the
//! callback runs (`scx_kf_allowed`), not by the verifier: a dispatch-only kfunc called from
//! `enqueue` loads (confirmed on Debian's 6.18.15 with sched_ext), and bpfvet accepts it too.

use crate::isa::InsnIdx;
use crate::verifier::env::Input;
use crate::verifier::violation::{Code, Violation};

/// The callbacks a sleepable program may implement (`init_task`, the cgroup preparation and
/// exit callbacks, CPU hotplug, and the scheduler's own `init` and `exit`).
const SLEEPABLE_CALLBACKS: &[&str] = &[
    "init_task",
    "cgroup_init",
    "cgroup_exit",
    "cgroup_prep_move",
    "cpu_online",
    "cpu_offline",
    "init",
    "exit",
];

/// The kernel's refusal of a sleepable program implementing a sched_ext callback that may not
/// sleep, if it is one.
pub fn sleepable_member_refused(input: &Input<'_>) -> Option<Violation> {
    let member = input.attach_target?.strip_prefix("sched_ext_ops:")?;
    if !input.sleepable || SLEEPABLE_CALLBACKS.contains(&member) {
        return None;
    }
    Some(*Violation::new(
        Code::AttachRefused,
        InsnIdx(0),
        format!("sched_ext calls {member} where it may not sleep: a sleepable program (SEC(\"struct_ops.s/...\")) may implement only {}", SLEEPABLE_CALLBACKS.join(", ")),
        format!("attach to unsupported member {member} of struct sched_ext_ops"),
    ))
}

/// libbpf's refusal of a struct_ops program whose ops type the target kernel does not register
/// (any struct_ops type, sched_ext's on a kernel built without it): the kernel's BTF then has no
/// `struct bpf_struct_ops_<ops>`, the value type of the struct_ops map, and libbpf cannot create
/// the map, so the object does not load.
pub fn ops_type_missing(input: &Input<'_>) -> Option<Violation> {
    let kernel = input.kernel_btf?;
    let (ops, _) = input.attach_target?.split_once(':')?;
    let value = format!("bpf_struct_ops_{ops}");
    if kernel.find_by_name(&value, "struct").is_some() {
        return None;
    }
    Some(*Violation::new(
        Code::AttachRefused,
        InsnIdx(0),
        format!("the target kernel has no struct_ops type {ops} (its BTF has no struct {value}: not built in, or in a module not loaded)"),
        format!("struct_ops init_kern: struct {value} is not found in kernel BTF"),
    )
    .with_note("libbpf cannot create the struct_ops map, so the object does not load; pass the BTF of a kernel that has it with --btf"))
}

#[cfg(test)]
mod tests {
    use super::SLEEPABLE_CALLBACKS;

    #[test]
    fn only_the_callbacks_that_may_block_are_sleepable() {
        assert!(SLEEPABLE_CALLBACKS.contains(&"init_task"));
        assert!(!SLEEPABLE_CALLBACKS.contains(&"enqueue"));
        assert!(!SLEEPABLE_CALLBACKS.contains(&"dispatch"));
        assert!(!SLEEPABLE_CALLBACKS.contains(&"exit_task"));
    }
}
