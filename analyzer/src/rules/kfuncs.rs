//! The kernel functions (kfuncs) bpfvet models: name, flags, the program types that may call
//! them, and the release that added each.
//!
//! Facts come from the kernel's `BTF_ID_FLAGS` lists (kernel/bpf/helpers.c, cpumask.c,
//! net/netfilter/nf_conntrack_bpf.c) and from `bpf_prog_type_to_kfunc_hook` (kernel/bpf/btf.c);
//! the table and its wording are ours. A kfunc's *arguments and return type* are not here: they
//! are read from its prototype in the kernel's BTF at verification time (the kernel's own
//! source of truth), so this table holds only what BTF does not say.
//!
//! A kfunc missing from this table is reported as unsupported, by name: its flags (does it
//! acquire a reference? release one?) are kernel code, and guessing them could accept a
//! program that leaks a reference.

use crate::verifier::env::KernelVersion;

/// The kernel's `KF_*` flags, with the kernel's bit values.
pub mod kf {
    /// Returns a new reference that must be released.
    pub const ACQUIRE: u32 = 1 << 0;
    /// Releases the reference its (one) referenced argument holds.
    pub const RELEASE: u32 = 1 << 1;
    /// May return NULL: the result must be checked before use.
    pub const RET_NULL: u32 = 1 << 2;
    /// Pointer arguments must be trusted or referenced.
    pub const TRUSTED_ARGS: u32 = 1 << 4;
    /// Only sleepable programs may call it.
    pub const SLEEPABLE: u32 = 1 << 5;
    /// Changes kernel state destructively (needs CAP_SYS_BOOT).
    pub const DESTRUCTIVE: u32 = 1 << 6;
    /// Pointer arguments may also be RCU-protected (`MEM_RCU`) ones.
    pub const RCU: u32 = 1 << 7;
    /// Initialises an open-coded iterator.
    pub const ITER_NEW: u32 = 1 << 8;
    /// Advances an open-coded iterator.
    pub const ITER_NEXT: u32 = 1 << 9;
    /// Destroys an open-coded iterator.
    pub const ITER_DESTROY: u32 = 1 << 10;
    /// Must be called inside an RCU read section (implicit in non-sleepable programs).
    pub const RCU_PROTECTED: u32 = 1 << 11;
    /// The call may keep caller-saved registers it does not use (no semantic effect here).
    pub const FASTCALL: u32 = 1 << 12;
    /// Returns a pointer into an arena (`__arena`).
    pub const ARENA_RET: u32 = 1 << 13;
    /// The second argument is an arena pointer.
    pub const ARENA_ARG2: u32 = 1 << 15;
}

/// The program types a kfunc set is registered for, as a bit per `BPF_PROG_TYPE_*` number.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Hooks(pub u64);

const fn t(prog_type: u32) -> u64 {
    1 << prog_type
}

// `BPF_PROG_TYPE_*` numbers (uapi/linux/bpf.h).
const SOCKET_FILTER: u32 = 1;
const SCHED_CLS: u32 = 3;
const SCHED_ACT: u32 = 4;
const LWT_IN: u32 = 10;
const LWT_OUT: u32 = 11;
const LWT_XMIT: u32 = 12;
const SK_SKB: u32 = 14;
const LWT_SEG6LOCAL: u32 = 19;
const NETFILTER: u32 = 32;
const TRACEPOINT: u32 = 5;
const XDP: u32 = 6;
const PERF_EVENT: u32 = 7;
const CGROUP_SKB: u32 = 8;
const TRACING: u32 = 26;
const STRUCT_OPS: u32 = 27;
const LSM: u32 = 29;
const SYSCALL: u32 = 31;

impl Hooks {
    /// Every program type (a set registered with `BPF_PROG_TYPE_UNSPEC`).
    pub const ALL: Hooks = Hooks(u64::MAX);
    /// The kernel's tracing hook: tracing and LSM programs, and (Linux 6.12) tracepoint and
    /// perf_event programs. Raw tracepoints are not in it.
    pub const TRACING: Hooks = Hooks(t(TRACING) | t(LSM) | t(TRACEPOINT) | t(PERF_EVENT));
    /// `generic_kfunc_set` (kernel/bpf/helpers.c): tracing, tc, xdp, struct_ops, syscall and
    /// cgroup_skb programs.
    pub const GENERIC: Hooks = Hooks(
        Hooks::TRACING.0 | t(SCHED_CLS) | t(XDP) | t(STRUCT_OPS) | t(SYSCALL) | t(CGROUP_SKB),
    );
    /// The cpumask kfuncs (kernel/bpf/cpumask.c): tracing, struct_ops and syscall programs.
    pub const CPUMASK: Hooks = Hooks(Hooks::TRACING.0 | t(STRUCT_OPS) | t(SYSCALL));
    /// The test-run kfunc set (net/bpf/test_run.c): tc, the tracing hook and syscall
    /// programs (the live 6.18: accepted from tc, tracepoint, perf_event and syscall programs,
    /// "not allowed" from xdp, kprobe, raw_tp, socket and cgroup_skb).
    pub const PROG_TEST: Hooks = Hooks(Hooks::TRACING.0 | t(SCHED_CLS) | t(SYSCALL));
    /// struct_ops programs only (the TCP congestion-control kfuncs, net/ipv4/bpf_tcp_ca.c).
    pub const STRUCT_OPS: Hooks = Hooks(t(STRUCT_OPS));
    /// LSM programs only (the file-system kfuncs of fs/bpf_fs_kfuncs.c, whose filter refuses
    /// every other program type).
    pub const LSM: Hooks = Hooks(t(LSM));
    /// The conntrack kfuncs (nf_conntrack_bpf.c): xdp and tc programs.
    pub const CONNTRACK: Hooks = Hooks(t(XDP) | t(SCHED_CLS));
    /// `bpf_kfunc_set_skb` (net/core/filter.c): the socket-buffer program types (socket
    /// filters, tc, cgroup skb, lightweight tunnels, sk_skb, netfilter).
    pub const SKB: Hooks = Hooks(
        t(SOCKET_FILTER)
            | t(SCHED_CLS)
            | t(SCHED_ACT)
            | t(CGROUP_SKB)
            | t(LWT_IN)
            | t(LWT_OUT)
            | t(LWT_XMIT)
            | t(SK_SKB)
            | t(LWT_SEG6LOCAL)
            | t(NETFILTER),
    );
    /// `bpf_kfunc_set_xdp`: XDP programs.
    pub const XDP: Hooks = Hooks(t(XDP));

    /// Whether a program of type `prog_type` (kernel number) may call the set.
    pub fn allows(self, prog_type: u32) -> bool {
        prog_type < 64 && self.0 & (1 << prog_type) != 0
    }
}

/// What the verifier does for a kfunc beyond checking its arguments against its prototype.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Role {
    /// Nothing else: arguments from the prototype, result from the return type and flags.
    Plain,
    /// `bpf_iter_<iter>_new`, `_next`, `_destroy` of an open-coded iterator whose state is
    /// `struct bpf_iter_<iter>` on the stack.
    Iter(IterDef),
    /// `bpf_cast_to_kern_ctx(ctx)`: the context as the kernel's own context struct.
    CastToKernCtx,
    /// `bpf_rdonly_cast(obj, btf_id__k)`: any pointer, as an untrusted object of a program
    /// BTF type (or read-only memory when the type is not a struct).
    RdonlyCast,
    /// `bpf_rcu_read_lock()`: opens an RCU read section.
    RcuReadLock,
    /// `bpf_rcu_read_unlock()`: closes it; RCU pointers become untrusted.
    RcuReadUnlock,
    /// `bpf_local_irq_save(&flags)`: disables interrupts, saving their state in a stack word.
    IrqSave,
    /// `bpf_local_irq_restore(&flags)`: restores the most recent save.
    IrqRestore,
    /// `bpf_res_spin_lock(lock)` / `bpf_res_spin_lock_irqsave(lock, &flags)` (`irq`): takes a
    /// resilient lock, which is held only on the path where the call returns 0.
    ResLock { irq: bool },
    /// `bpf_res_spin_unlock(lock)` / `bpf_res_spin_unlock_irqrestore(lock, &flags)` (`irq`):
    /// releases the most recently taken resilient lock.
    ResUnlock { irq: bool },
    /// `bpf_throw(cookie)`: unwinds the program; the path ends at the call.
    Throw,
    /// `bpf_preempt_disable()`: one more level of disabled preemption.
    PreemptDisable,
    /// `bpf_preempt_enable()`: one level less.
    PreemptEnable,
    /// Allocated objects and the lists and rbtrees they are linked into.
    Alloc(AllocOp),
}

/// What an allocated-object kfunc does.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum AllocOp {
    ObjNew,
    ObjDrop,
    PercpuObjNew,
    PercpuObjDrop,
    RefcountAcquire,
    ListPush {
        back: bool,
    },
    ListPop {
        back: bool,
    },
    RbtreeAdd,
    RbtreeRemove,
    RbtreeFirst,
    /// `bpf_list_front`/`bpf_list_back` (6.16): a non-owning look at an end of the list.
    ListPeek {
        back: bool,
    },
    /// `bpf_rbtree_root` (6.16): a non-owning look at the tree's root node.
    RbtreeRoot,
    /// `bpf_rbtree_left`/`bpf_rbtree_right` (6.16): a non-owning look at a child of a node
    /// the tree holds.
    RbtreeChild {
        right: bool,
    },
}

/// An open-coded iterator family.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct IterDef {
    /// The name in `struct bpf_iter_<name>` and in the kernel's messages (`iter_<name>`).
    pub name: &'static str,
    /// Bytes of `struct bpf_iter_<name>` (a multiple of 8), when the kernel's BTF cannot say.
    pub size: u32,
}

/// One kfunc bpfvet models.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct KfuncDef {
    pub name: &'static str,
    /// `KF_*` bits ([`kf`]).
    pub flags: u32,
    /// Who may call it.
    pub hooks: Hooks,
    /// The first release that has it (with these flags).
    pub since: KernelVersion,
    pub role: Role,
}

impl KfuncDef {
    pub fn has(&self, flag: u32) -> bool {
        self.flags & flag != 0
    }
}

const fn v(major: u16, minor: u16) -> KernelVersion {
    KernelVersion::new(major, minor)
}

const fn plain(name: &'static str, flags: u32, hooks: Hooks, since: KernelVersion) -> KfuncDef {
    KfuncDef {
        name,
        flags,
        hooks,
        since,
        role: Role::Plain,
    }
}

const fn iter(name: &'static str, flags: u32, def: IterDef, since: KernelVersion) -> KfuncDef {
    KfuncDef {
        name,
        flags,
        hooks: Hooks::ALL,
        since,
        role: Role::Iter(def),
    }
}

const fn alloc(name: &'static str, flags: u32, op: AllocOp, since: KernelVersion) -> KfuncDef {
    KfuncDef {
        name,
        flags,
        hooks: Hooks::GENERIC,
        since,
        role: Role::Alloc(op),
    }
}

const NUM: IterDef = IterDef {
    name: "num",
    size: 8,
};
const BITS: IterDef = IterDef {
    name: "bits",
    size: 16,
};
const TASK: IterDef = IterDef {
    name: "task",
    size: 24,
};
const TASK_VMA: IterDef = IterDef {
    name: "task_vma",
    size: 8,
};
const CSS: IterDef = IterDef {
    name: "css",
    size: 24,
};
const CSS_TASK: IterDef = IterDef {
    name: "css_task",
    size: 8,
};

use kf::*;

/// Every kfunc bpfvet models.
pub static KFUNCS: &[KfuncDef] = &[
    // Open-coded iterators (common set: every program type).
    iter("bpf_iter_num_new", ITER_NEW, NUM, v(6, 4)),
    iter("bpf_iter_num_next", ITER_NEXT | RET_NULL, NUM, v(6, 4)),
    iter("bpf_iter_num_destroy", ITER_DESTROY, NUM, v(6, 4)),
    iter("bpf_iter_task_vma_new", ITER_NEW | RCU, TASK_VMA, v(6, 7)),
    iter(
        "bpf_iter_task_vma_next",
        ITER_NEXT | RET_NULL,
        TASK_VMA,
        v(6, 7),
    ),
    iter("bpf_iter_task_vma_destroy", ITER_DESTROY, TASK_VMA, v(6, 7)),
    iter(
        "bpf_iter_css_task_new",
        ITER_NEW | TRUSTED_ARGS,
        CSS_TASK,
        v(6, 7),
    ),
    iter(
        "bpf_iter_css_task_next",
        ITER_NEXT | RET_NULL,
        CSS_TASK,
        v(6, 7),
    ),
    iter("bpf_iter_css_task_destroy", ITER_DESTROY, CSS_TASK, v(6, 7)),
    iter(
        "bpf_iter_css_new",
        ITER_NEW | TRUSTED_ARGS | RCU_PROTECTED,
        CSS,
        v(6, 7),
    ),
    iter("bpf_iter_css_next", ITER_NEXT | RET_NULL, CSS, v(6, 7)),
    iter("bpf_iter_css_destroy", ITER_DESTROY, CSS, v(6, 7)),
    iter(
        "bpf_iter_task_new",
        ITER_NEW | TRUSTED_ARGS | RCU_PROTECTED,
        TASK,
        v(6, 7),
    ),
    iter("bpf_iter_task_next", ITER_NEXT | RET_NULL, TASK, v(6, 7)),
    iter("bpf_iter_task_destroy", ITER_DESTROY, TASK, v(6, 7)),
    iter("bpf_iter_bits_new", ITER_NEW, BITS, v(6, 11)),
    iter("bpf_iter_bits_next", ITER_NEXT | RET_NULL, BITS, v(6, 11)),
    iter("bpf_iter_bits_destroy", ITER_DESTROY, BITS, v(6, 11)),
    // Casts (common set).
    KfuncDef {
        name: "bpf_cast_to_kern_ctx",
        flags: FASTCALL,
        hooks: Hooks::ALL,
        since: v(6, 2),
        role: Role::CastToKernCtx,
    },
    KfuncDef {
        name: "bpf_rdonly_cast",
        flags: FASTCALL,
        hooks: Hooks::ALL,
        since: v(6, 2),
        role: Role::RdonlyCast,
    },
    // RCU read sections (common set).
    KfuncDef {
        name: "bpf_rcu_read_lock",
        flags: 0,
        hooks: Hooks::ALL,
        since: v(6, 2),
        role: Role::RcuReadLock,
    },
    KfuncDef {
        name: "bpf_rcu_read_unlock",
        flags: 0,
        hooks: Hooks::ALL,
        since: v(6, 2),
        role: Role::RcuReadUnlock,
    },
    // Preemption (common set, Linux 6.10).
    KfuncDef {
        name: "bpf_preempt_disable",
        flags: 0,
        hooks: Hooks::ALL,
        since: v(6, 10),
        role: Role::PreemptDisable,
    },
    KfuncDef {
        name: "bpf_preempt_enable",
        flags: 0,
        hooks: Hooks::ALL,
        since: v(6, 10),
        role: Role::PreemptEnable,
    },
    // Interrupts (common set, Linux 6.14).
    KfuncDef {
        name: "bpf_local_irq_save",
        flags: 0,
        hooks: Hooks::ALL,
        since: v(6, 14),
        role: Role::IrqSave,
    },
    KfuncDef {
        name: "bpf_local_irq_restore",
        flags: 0,
        hooks: Hooks::ALL,
        since: v(6, 14),
        role: Role::IrqRestore,
    },
    // Resilient spin locks (kernel/bpf/rqspinlock.c, registered for every program type,
    // Linux 6.15).
    KfuncDef {
        name: "bpf_res_spin_lock",
        flags: 0,
        hooks: Hooks::ALL,
        since: v(6, 15),
        role: Role::ResLock { irq: false },
    },
    KfuncDef {
        name: "bpf_res_spin_unlock",
        flags: 0,
        hooks: Hooks::ALL,
        since: v(6, 15),
        role: Role::ResUnlock { irq: false },
    },
    KfuncDef {
        name: "bpf_res_spin_lock_irqsave",
        flags: 0,
        hooks: Hooks::ALL,
        since: v(6, 15),
        role: Role::ResLock { irq: true },
    },
    KfuncDef {
        name: "bpf_res_spin_unlock_irqrestore",
        flags: 0,
        hooks: Hooks::ALL,
        since: v(6, 15),
        role: Role::ResUnlock { irq: true },
    },
    // Dynptrs (kernel/bpf/helpers.c's common set; the packet constructors are registered
    // for the packet program types in net/core/filter.c).
    plain("bpf_dynptr_from_skb", 0, Hooks::SKB, v(6, 4)),
    plain("bpf_dynptr_from_xdp", 0, Hooks::XDP, v(6, 4)),
    plain("bpf_dynptr_slice", RET_NULL, Hooks::ALL, v(6, 4)),
    plain("bpf_dynptr_slice_rdwr", RET_NULL, Hooks::ALL, v(6, 4)),
    plain("bpf_dynptr_adjust", 0, Hooks::ALL, v(6, 5)),
    plain("bpf_dynptr_is_null", 0, Hooks::ALL, v(6, 5)),
    plain("bpf_dynptr_is_rdonly", 0, Hooks::ALL, v(6, 5)),
    plain("bpf_dynptr_size", 0, Hooks::ALL, v(6, 5)),
    plain("bpf_dynptr_clone", 0, Hooks::ALL, v(6, 5)),
    // Allocated objects, lists and rbtrees (kernel/bpf/helpers.c's generic set). The
    // `_impl` names of push and add arrived with refcounted objects in 6.4; 6.2 and 6.3 had
    // `bpf_list_push_front`/`back` and 6.3 `bpf_rbtree_add`, without the hidden `meta` and
    // `off` arguments (the same checks on the arguments they have; [`REMOVED`] ends them).
    alloc(
        "bpf_obj_new_impl",
        ACQUIRE | RET_NULL,
        AllocOp::ObjNew,
        v(6, 2),
    ),
    alloc("bpf_obj_drop_impl", RELEASE, AllocOp::ObjDrop, v(6, 2)),
    alloc(
        "bpf_percpu_obj_new_impl",
        ACQUIRE | RET_NULL,
        AllocOp::PercpuObjNew,
        v(6, 7),
    ),
    alloc(
        "bpf_percpu_obj_drop_impl",
        RELEASE,
        AllocOp::PercpuObjDrop,
        v(6, 7),
    ),
    alloc(
        "bpf_refcount_acquire_impl",
        ACQUIRE | RET_NULL | RCU,
        AllocOp::RefcountAcquire,
        v(6, 4),
    ),
    alloc(
        "bpf_list_push_front_impl",
        0,
        AllocOp::ListPush { back: false },
        v(6, 4),
    ),
    alloc(
        "bpf_list_push_back_impl",
        0,
        AllocOp::ListPush { back: true },
        v(6, 4),
    ),
    alloc(
        "bpf_list_pop_front",
        ACQUIRE | RET_NULL,
        AllocOp::ListPop { back: false },
        v(6, 2),
    ),
    alloc(
        "bpf_list_pop_back",
        ACQUIRE | RET_NULL,
        AllocOp::ListPop { back: true },
        v(6, 2),
    ),
    alloc("bpf_rbtree_add_impl", 0, AllocOp::RbtreeAdd, v(6, 4)),
    alloc(
        "bpf_rbtree_remove",
        ACQUIRE | RET_NULL,
        AllocOp::RbtreeRemove,
        v(6, 3),
    ),
    alloc("bpf_rbtree_first", RET_NULL, AllocOp::RbtreeFirst, v(6, 3)),
    alloc(
        "bpf_list_push_front",
        0,
        AllocOp::ListPush { back: false },
        v(6, 2),
    ),
    alloc(
        "bpf_list_push_back",
        0,
        AllocOp::ListPush { back: true },
        v(6, 2),
    ),
    alloc("bpf_rbtree_add", 0, AllocOp::RbtreeAdd, v(6, 3)),
    // Non-owning looks into lists and trees under their lock (6.16).
    alloc(
        "bpf_list_front",
        RET_NULL,
        AllocOp::ListPeek { back: false },
        v(6, 16),
    ),
    alloc(
        "bpf_list_back",
        RET_NULL,
        AllocOp::ListPeek { back: true },
        v(6, 16),
    ),
    alloc("bpf_rbtree_root", RET_NULL, AllocOp::RbtreeRoot, v(6, 16)),
    alloc(
        "bpf_rbtree_left",
        RET_NULL,
        AllocOp::RbtreeChild { right: false },
        v(6, 16),
    ),
    alloc(
        "bpf_rbtree_right",
        RET_NULL,
        AllocOp::RbtreeChild { right: true },
        v(6, 16),
    ),
    // Referenced tasks and cgroups (generic set).
    plain(
        "bpf_task_acquire",
        ACQUIRE | RCU | RET_NULL,
        Hooks::GENERIC,
        v(6, 2),
    ),
    plain("bpf_task_release", RELEASE, Hooks::GENERIC, v(6, 2)),
    plain(
        "bpf_task_from_pid",
        ACQUIRE | RET_NULL,
        Hooks::GENERIC,
        v(6, 2),
    ),
    plain(
        "bpf_task_from_vpid",
        ACQUIRE | RET_NULL,
        Hooks::GENERIC,
        v(6, 13),
    ),
    plain(
        "bpf_cgroup_acquire",
        ACQUIRE | RCU | RET_NULL,
        Hooks::GENERIC,
        v(6, 2),
    ),
    plain("bpf_cgroup_release", RELEASE, Hooks::GENERIC, v(6, 2)),
    plain(
        "bpf_cgroup_ancestor",
        ACQUIRE | RCU | RET_NULL,
        Hooks::GENERIC,
        v(6, 2),
    ),
    plain(
        "bpf_cgroup_from_id",
        ACQUIRE | RET_NULL,
        Hooks::GENERIC,
        v(6, 3),
    ),
    plain("bpf_task_under_cgroup", RCU, Hooks::GENERIC, v(6, 5)),
    // Exceptions (generic set, Linux 6.7).
    KfuncDef {
        name: "bpf_throw",
        flags: 0,
        hooks: Hooks::GENERIC,
        since: v(6, 7),
        role: Role::Throw,
    },
    // cpumasks (kernel/bpf/cpumask.c).
    plain(
        "bpf_cpumask_create",
        ACQUIRE | RET_NULL,
        Hooks::CPUMASK,
        v(6, 3),
    ),
    plain("bpf_cpumask_release", RELEASE, Hooks::CPUMASK, v(6, 3)),
    plain(
        "bpf_cpumask_acquire",
        ACQUIRE | TRUSTED_ARGS,
        Hooks::CPUMASK,
        v(6, 3),
    ),
    plain("bpf_cpumask_first", RCU, Hooks::CPUMASK, v(6, 3)),
    plain("bpf_cpumask_first_zero", RCU, Hooks::CPUMASK, v(6, 3)),
    plain("bpf_cpumask_first_and", RCU, Hooks::CPUMASK, v(6, 5)),
    plain("bpf_cpumask_set_cpu", RCU, Hooks::CPUMASK, v(6, 3)),
    plain("bpf_cpumask_clear_cpu", RCU, Hooks::CPUMASK, v(6, 3)),
    plain("bpf_cpumask_test_cpu", RCU, Hooks::CPUMASK, v(6, 3)),
    plain("bpf_cpumask_test_and_set_cpu", RCU, Hooks::CPUMASK, v(6, 3)),
    plain(
        "bpf_cpumask_test_and_clear_cpu",
        RCU,
        Hooks::CPUMASK,
        v(6, 3),
    ),
    plain("bpf_cpumask_setall", RCU, Hooks::CPUMASK, v(6, 3)),
    plain("bpf_cpumask_clear", RCU, Hooks::CPUMASK, v(6, 3)),
    plain("bpf_cpumask_and", RCU, Hooks::CPUMASK, v(6, 3)),
    plain("bpf_cpumask_or", RCU, Hooks::CPUMASK, v(6, 3)),
    plain("bpf_cpumask_xor", RCU, Hooks::CPUMASK, v(6, 3)),
    plain("bpf_cpumask_equal", RCU, Hooks::CPUMASK, v(6, 3)),
    plain("bpf_cpumask_intersects", RCU, Hooks::CPUMASK, v(6, 3)),
    plain("bpf_cpumask_subset", RCU, Hooks::CPUMASK, v(6, 3)),
    plain("bpf_cpumask_empty", RCU, Hooks::CPUMASK, v(6, 3)),
    plain("bpf_cpumask_full", RCU, Hooks::CPUMASK, v(6, 3)),
    plain("bpf_cpumask_copy", RCU, Hooks::CPUMASK, v(6, 3)),
    plain("bpf_cpumask_any_distribute", RCU, Hooks::CPUMASK, v(6, 5)),
    plain(
        "bpf_cpumask_any_and_distribute",
        RCU,
        Hooks::CPUMASK,
        v(6, 5),
    ),
    plain("bpf_cpumask_weight", RCU, Hooks::CPUMASK, v(6, 9)),
    // TCP congestion control helpers for struct tcp_congestion_ops programs
    // (net/ipv4/bpf_tcp_ca.c; the first kfuncs, Linux 5.13).
    plain("tcp_reno_ssthresh", 0, Hooks::STRUCT_OPS, v(5, 13)),
    plain("tcp_reno_cong_avoid", 0, Hooks::STRUCT_OPS, v(5, 13)),
    plain("tcp_reno_undo_cwnd", 0, Hooks::STRUCT_OPS, v(5, 13)),
    plain("tcp_slow_start", 0, Hooks::STRUCT_OPS, v(5, 13)),
    plain("tcp_cong_avoid_ai", 0, Hooks::STRUCT_OPS, v(5, 13)),
    // Arenas (kernel/bpf/arena.c, every program type).
    plain(
        "bpf_arena_alloc_pages",
        TRUSTED_ARGS | SLEEPABLE | ARENA_RET | ARENA_ARG2,
        Hooks::ALL,
        v(6, 9),
    ),
    plain(
        "bpf_arena_free_pages",
        TRUSTED_ARGS | SLEEPABLE | ARENA_ARG2,
        Hooks::ALL,
        v(6, 9),
    ),
    // Keys for signature checks (kernel/trace/bpf_trace.c from Linux 6.1, registered for the
    // tracing hook; Linux 6.13 moved them to the generic set, which the table does not claim
    // for older releases).
    plain(
        "bpf_lookup_user_key",
        ACQUIRE | RET_NULL | SLEEPABLE,
        Hooks::TRACING,
        v(6, 1),
    ),
    plain(
        "bpf_lookup_system_key",
        ACQUIRE | RET_NULL,
        Hooks::TRACING,
        v(6, 1),
    ),
    plain("bpf_key_put", RELEASE, Hooks::TRACING, v(6, 1)),
    // Files (fs/bpf_fs_kfuncs.c, LSM programs only).
    plain(
        "bpf_get_task_exe_file",
        ACQUIRE | TRUSTED_ARGS | RET_NULL,
        Hooks::LSM,
        v(6, 12),
    ),
    plain("bpf_put_file", RELEASE, Hooks::LSM, v(6, 12)),
    plain("bpf_path_d_path", TRUSTED_ARGS, Hooks::LSM, v(6, 12)),
    // The release half of the test-run kfuncs that stays in vmlinux (net/bpf/test_run.c,
    // `test_sk_check_kfunc_ids`): `bpf_kfunc_call_test_release` is the destructor of a
    // `struct prog_test_ref_kfunc` kptr, so a program may release one it took out of a map
    // (local_kptr_stash.c `stash_test_ref_kfunc`). The acquiring half lives in bpf_testmod.
    plain(
        "bpf_kfunc_call_test_release",
        RELEASE,
        Hooks::PROG_TEST,
        v(6, 1),
    ),
    plain(
        "bpf_kfunc_call_memb_release",
        RELEASE,
        Hooks::PROG_TEST,
        v(6, 1),
    ),
    // Connection tracking (net/netfilter/nf_conntrack_bpf.c). The kernel lists the lookups and
    // allocations as KF_ACQUIRE | KF_RET_NULL, but the live 6.18.44 refuses a NULL tuple
    // ("Possibly NULL pointer passed to trusted arg1"), as it does for trusted arguments; the
    // release where that began is not measured, so every profile holds them to it (the
    // stricter answer: a NULL tuple only ever earns -EINVAL at run time).
    plain(
        "bpf_xdp_ct_lookup",
        ACQUIRE | RET_NULL | TRUSTED_ARGS,
        Hooks::CONNTRACK,
        v(5, 18),
    ),
    plain(
        "bpf_skb_ct_lookup",
        ACQUIRE | RET_NULL | TRUSTED_ARGS,
        Hooks::CONNTRACK,
        v(5, 18),
    ),
    plain("bpf_ct_release", RELEASE, Hooks::CONNTRACK, v(5, 18)),
    // New entries (6.0): allocated as `struct nf_conn___init`, which only the `set_*` kfuncs
    // and `bpf_ct_insert_entry` take; insertion releases it and returns a referenced
    // `struct nf_conn`, which the lookups' `change_*` kfuncs take.
    plain(
        "bpf_xdp_ct_alloc",
        ACQUIRE | RET_NULL | TRUSTED_ARGS,
        Hooks::CONNTRACK,
        v(6, 0),
    ),
    plain(
        "bpf_skb_ct_alloc",
        ACQUIRE | RET_NULL | TRUSTED_ARGS,
        Hooks::CONNTRACK,
        v(6, 0),
    ),
    plain(
        "bpf_ct_insert_entry",
        ACQUIRE | RET_NULL | RELEASE,
        Hooks::CONNTRACK,
        v(6, 0),
    ),
    plain(
        "bpf_ct_set_timeout",
        TRUSTED_ARGS,
        Hooks::CONNTRACK,
        v(6, 0),
    ),
    plain(
        "bpf_ct_change_timeout",
        TRUSTED_ARGS,
        Hooks::CONNTRACK,
        v(6, 0),
    ),
    plain("bpf_ct_set_status", TRUSTED_ARGS, Hooks::CONNTRACK, v(6, 0)),
    plain(
        "bpf_ct_change_status",
        TRUSTED_ARGS,
        Hooks::CONNTRACK,
        v(6, 0),
    ),
    // Source or destination NAT of a new entry (net/netfilter/nf_nat_bpf.c, 6.1; registered
    // for the same two program types).
    plain(
        "bpf_ct_set_nat_info",
        TRUSTED_ARGS,
        Hooks::CONNTRACK,
        v(6, 1),
    ),
];

/// Kfuncs a later release renamed away, with the first release that no longer has them
/// (libbpf then refuses the object: no such function in the kernel's BTF).
pub static REMOVED: &[(&str, KernelVersion)] = &[
    ("bpf_list_push_front", v(6, 4)),
    ("bpf_list_push_back", v(6, 4)),
    ("bpf_rbtree_add", v(6, 4)),
];

/// The first release without kfunc `name`, when a later release renamed it (see [`REMOVED`]).
pub fn removed_in(name: &str) -> Option<KernelVersion> {
    REMOVED
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, gone)| *gone)
}

/// The kfunc named `name`, if bpfvet models it.
pub fn kfunc(name: &str) -> Option<&'static KfuncDef> {
    all().find(|k| k.name == name)
}

/// Every modelled kfunc: this table and the sched_ext one (`kfuncs_sched_ext.rs`).
pub fn all() -> impl Iterator<Item = &'static KfuncDef> {
    KFUNCS
        .iter()
        .chain(super::kfuncs_sched_ext::SCHED_EXT_KFUNCS)
}

/// A kfunc set a later release registers for more program types.
#[derive(Debug)]
pub struct KfuncWidening {
    pub name: &'static str,
    /// The program types it joins.
    pub hooks: Hooks,
    /// The first release that registers it there.
    pub since: KernelVersion,
}

/// Kfuncs whose callers grew after they were introduced, by kernel release.
pub static KFUNC_WIDENINGS: &[KfuncWidening] = &[
    // 6.12 ("bpf: Allow bpf_dynptr_from_skb() for tp_btf") registers `bpf_kfunc_set_skb` for
    // tracing programs too: a tp_btf program reads the sk_buff its tracepoint passes.
    KfuncWidening {
        name: "bpf_dynptr_from_skb",
        hooks: Hooks(t(TRACING)),
        since: v(6, 12),
    },
];

/// Whether a program of type `prog_type` may call `k` on release `kernel`.
pub fn allowed_at(k: &KfuncDef, prog_type: u32, kernel: KernelVersion) -> bool {
    k.hooks.allows(prog_type)
        || KFUNC_WIDENINGS
            .iter()
            .any(|w| w.name == k.name && kernel >= w.since && w.hooks.allows(prog_type))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_iterator_triples_are_complete() {
        let every: Vec<_> = all().collect();
        for (i, k) in every.iter().enumerate() {
            assert!(
                every[..i].iter().all(|o| o.name != k.name),
                "{} twice",
                k.name
            );
            if let Role::Iter(d) = k.role {
                for part in ["new", "next", "destroy"] {
                    let name = format!("bpf_iter_{}_{part}", d.name);
                    assert!(kfunc(&name).is_some(), "{name} missing");
                }
                assert_eq!(d.size % 8, 0);
            }
        }
    }

    #[test]
    fn hooks_follow_the_kernel_registration() {
        let from_pid = kfunc("bpf_task_from_pid").unwrap();
        assert!(from_pid.hooks.allows(TRACEPOINT));
        assert!(from_pid.hooks.allows(SYSCALL));
        // Raw tracepoints are outside the tracing hook (verifier_kfunc_prog_types.c).
        assert!(!from_pid.hooks.allows(17));
        assert!(kfunc("bpf_iter_num_new").unwrap().hooks.allows(17));
        assert!(!Hooks::CONNTRACK.allows(TRACING));
        assert!(from_pid.has(kf::ACQUIRE) && from_pid.has(kf::RET_NULL));
        assert!(!from_pid.has(kf::RELEASE));
    }

    #[test]
    fn the_older_graph_names_end_where_the_impl_names_begin() {
        for old in [
            "bpf_list_push_front",
            "bpf_list_push_back",
            "bpf_rbtree_add",
        ] {
            let renamed = kfunc(&format!("{old}_impl")).unwrap();
            assert_eq!(removed_in(old), Some(renamed.since), "{old}");
            assert!(kfunc(old).unwrap().since < renamed.since);
        }
        assert_eq!(removed_in("bpf_list_front"), None);
        assert_eq!(kfunc("bpf_rbtree_left").unwrap().since, v(6, 16));
        // A new conntrack entry is released by its insertion, which returns a new reference.
        let insert = kfunc("bpf_ct_insert_entry").unwrap();
        assert!(insert.has(kf::RELEASE) && insert.has(kf::ACQUIRE));
    }

    #[test]
    fn tp_btf_programs_make_skb_dynptrs_from_6_12() {
        let from_skb = kfunc("bpf_dynptr_from_skb").unwrap();
        assert!(!allowed_at(from_skb, TRACING, v(6, 11)));
        assert!(allowed_at(from_skb, TRACING, v(6, 12)));
        assert!(allowed_at(from_skb, NETFILTER, v(6, 4)));
        assert!(!allowed_at(from_skb, XDP, v(6, 18)));
    }
}
