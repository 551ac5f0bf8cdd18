//! The kernel's knowledge of program types and helpers, as data tables: one entry per helper
//! and one per program type, each with a doc line. The verifier's transfer functions read these
//! tables; they never match on a helper id or a program type themselves.
//!
//! Layout:
//! - [`HELPERS`] (`helper_table.rs` and `helpers/`): every `BPF_FUNC_*`, sorted by id;
//! - [`MAP_ALLOWED_HELPERS`] (`helpers/maps.rs`): the map-type side of the kernel's
//!   `check_map_func_compatibility` (a helper's own side is its `Arg::Map { types }`);
//! - [`PROG_TYPES`] (`prog_type_table.rs` and `ctx/`): every program type, its context model,
//!   exit range and helper groups;
//! - [`kfuncs::KFUNCS`] (`kfuncs.rs`): the kernel functions bpfvet models, with their `KF_*`
//!   flags, the program types that may call them and the release that added each;
//! - [`kernel_build::KernelBuild`] (`kernel_build.rs`): what one build's lockdown and
//!   configuration withdraw from what its release offers;
//! - [`HELPER_ATTACH_LIMITS`] (`prog_type_table.rs`): helpers a program type offers only for
//!   some expected attach types.
//!
//! How helper availability is modelled: the kernel hands each program type a `*_func_proto`
//! function. Here a program type owns a set of [`Groups`] bits and a helper lists the bits under
//! which it is offered; the helper is available when the two sets intersect. Most bits name one
//! `*_func_proto` family (tc, xdp, ...), a few name a shared layer (the base set, the tracing
//! set, the cgroup set). The privilege tiers of `bpf_base_func_proto` (CAP_BPF, CAP_PERFMON)
//! are separate bits that [`ProgTypeRules::helper_groups`] drops for unprivileged loads.

mod ctx;
mod helper_table;
mod helpers;
pub mod isa_levels;
pub mod kernel_build;
pub mod kfuncs;
pub mod kfuncs_sched_ext;
mod prog_type_table;

pub use helper_table::HELPERS;
pub use helpers::maps::MAP_ALLOWED_HELPERS;
pub use prog_type_table::{HELPER_ATTACH_LIMITS, PROG_TYPES};

use crate::prog_type::AttachType;
use crate::verifier::env::KernelVersion;
use crate::verifier::ptr_kind::PtrKind;

/// Groups of helpers, as the kernel hands them out per program type (its `*_func_proto`
/// functions). A program type allows a set of groups; a helper belongs to one or more.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Groups(pub u64);

impl Groups {
    /// The empty set.
    pub const NONE: Groups = Groups(0);
    /// The unprivileged part of `bpf_base_func_proto`, offered to every program type: map
    /// operations, time, random, tail calls, ring buffers, `get_current_pid_tgid`.
    pub const BASE: Groups = Groups(1 << 0);
    /// The tracing layer (`bpf_tracing_func_proto`): probe reads, current task, stacks,
    /// perf output with `pt_regs`, signals. Program types: kprobe, tracepoint, perf_event,
    /// raw_tracepoint(_writable), tracing, lsm, syscall.
    pub const TRACING: Groups = Groups(1 << 1);
    /// Every program type whose context is an `sk_buff` (socket filter, tc, cgroup_skb, lwt_*,
    /// sk_skb). Used for helpers all of them share.
    pub const SKB: Groups = Groups(1 << 2);
    /// tc (`sched_cls`/`sched_act`, `tc_cls_act_func_proto`).
    pub const TC: Groups = Groups(1 << 3);
    /// XDP (`xdp_func_proto`).
    pub const XDP: Groups = Groups(1 << 4);
    /// The socket-lookup helpers (`sk_lookup_tcp/udp`, `skc_lookup_tcp`, `sk_release`):
    /// tc, xdp, sk_skb, cgroup_skb, cgroup_sock_addr.
    pub const SK_LOOKUP: Groups = Groups(1 << 5);
    /// `sock_ops` (`sock_ops_func_proto`).
    pub const SOCK_OPS: Groups = Groups(1 << 6);
    /// `sk_msg` (`sk_msg_func_proto`).
    pub const SK_MSG: Groups = Groups(1 << 7);
    /// The cgroup layer (`cgroup_common_func_proto`): local storage, `get/set_retval`.
    /// Program types: cgroup_skb, cgroup_sock, cgroup_sock_addr, sock_ops, cgroup_device,
    /// cgroup_sysctl, cgroup_sockopt.
    pub const CGROUP: Groups = Groups(1 << 8);
    /// The BTF-typed tracing layer (`tracing_prog_func_proto`): tracing, lsm, syscall.
    pub const BTF_TRACING: Groups = Groups(1 << 9);
    /// `cgroup_sysctl` (`sysctl_func_proto`).
    pub const SYSCTL: Groups = Groups(1 << 10);
    /// `cgroup_sock_addr` (`sock_addr_func_proto`).
    pub const SOCK_ADDR: Groups = Groups(1 << 11);
    /// `sk_skb` (`sk_skb_func_proto`).
    pub const SK_SKB: Groups = Groups(1 << 12);
    /// `cgroup_sockopt` (`cg_sockopt_func_proto`).
    pub const SOCKOPT: Groups = Groups(1 << 13);
    /// `perf_event` (`pe_prog_func_proto`).
    pub const PERF_EVENT: Groups = Groups(1 << 14);
    /// Every lwt program type (`lwt_out_func_proto`, which the other three extend).
    pub const LWT: Groups = Groups(1 << 15);
    /// `socket_filter` (`sk_filter_func_proto`), which `cgroup_skb` extends.
    pub const SOCKET: Groups = Groups(1 << 16);
    /// Kept for API stability; no table entry uses it (the kernel gates `probe_write_user`,
    /// `override_return` and `send_signal` by program type and lockdown, which the kprobe and
    /// tracing bits already express).
    pub const PRIVILEGED_TRACING: Groups = Groups(1 << 17);
    /// `flow_dissector` (`flow_dissector_func_proto`).
    pub const FLOW_DISSECTOR: Groups = Groups(1 << 18);
    /// The CAP_BPF tier of `bpf_base_func_proto`: spin locks, timers, `bpf_loop`, dynptrs,
    /// kptrs, cgroup storage, per-CPU pointers.
    pub const BASE_CAP_BPF: Groups = Groups(1 << 19);
    /// The CAP_PERFMON tier of `bpf_base_func_proto`: `trace_printk`, probe reads, current task,
    /// `snprintf`.
    pub const BASE_PERFMON: Groups = Groups(1 << 20);
    /// The unprivileged part of `bpf_sk_base_func_proto` (networking types): `ktime_get_coarse_ns`.
    pub const SK_BASE: Groups = Groups(1 << 21);
    /// The CAP_PERFMON part of `bpf_sk_base_func_proto`: the `skc_to_*` casts.
    pub const SK_BASE_PERFMON: Groups = Groups(1 << 22);
    /// `cgroup_skb` (`cg_skb_func_proto`).
    pub const CG_SKB: Groups = Groups(1 << 23);
    /// `cgroup_sock` (`sock_filter_func_proto`).
    pub const CG_SOCK: Groups = Groups(1 << 24);
    /// `cgroup_device` (`cgroup_dev_func_proto`).
    pub const CG_DEVICE: Groups = Groups(1 << 25);
    /// The current-task cgroup helpers (`cgroup_current_func_proto`): uid/gid, comm, classid.
    /// Program types: cgroup_device, cgroup_sysctl, cgroup_sockopt.
    pub const CGROUP_CURRENT: Groups = Groups(1 << 26);
    /// `lwt_in` additions (`lwt_in_func_proto`).
    pub const LWT_IN: Groups = Groups(1 << 27);
    /// `lwt_xmit` additions (`lwt_xmit_func_proto`).
    pub const LWT_XMIT: Groups = Groups(1 << 28);
    /// `lwt_seg6local` additions (`lwt_seg6local_func_proto`).
    pub const LWT_SEG6: Groups = Groups(1 << 29);
    /// `sk_reuseport` (`sk_reuseport_func_proto`).
    pub const SK_REUSEPORT: Groups = Groups(1 << 30);
    /// The `sk_lookup` program type (`sk_lookup_func_proto`); not the socket-lookup helpers,
    /// which are [`Groups::SK_LOOKUP`].
    pub const SK_LOOKUP_PROG: Groups = Groups(1 << 31);
    /// kprobe/uprobe (`kprobe_prog_func_proto`).
    pub const KPROBE: Groups = Groups(1 << 32);
    /// tracepoint (`tp_prog_func_proto`).
    pub const TRACEPOINT: Groups = Groups(1 << 33);
    /// raw_tracepoint and raw_tracepoint_writable (`raw_tp_prog_func_proto`); tracing programs
    /// fall back to it too.
    pub const RAW_TP: Groups = Groups(1 << 34);
    /// lsm (`bpf_lsm_func_proto`).
    pub const LSM: Groups = Groups(1 << 35);
    /// struct_ops (the per-struct `get_func_proto`, e.g. TCP congestion control).
    pub const STRUCT_OPS: Groups = Groups(1 << 36);
    /// syscall (`syscall_prog_func_proto`).
    pub const SYSCALL: Groups = Groups(1 << 37);
    /// lirc_mode2 (`lirc_mode2_func_proto`).
    pub const LIRC: Groups = Groups(1 << 38);
    /// The tiers that need CAP_BPF or CAP_PERFMON; dropped for unprivileged loads.
    pub const PRIVILEGED_TIERS: Groups =
        Groups(Self::BASE_CAP_BPF.0 | Self::BASE_PERFMON.0 | Self::SK_BASE_PERFMON.0);

    pub const fn union(self, other: Groups) -> Groups {
        Groups(self.0 | other.0)
    }

    pub const fn intersects(self, other: Groups) -> bool {
        self.0 & other.0 != 0
    }

    /// The bits of `self` that are not in `other`.
    pub const fn minus(self, other: Groups) -> Groups {
        Groups(self.0 & !other.0)
    }
}

/// What a helper argument must be (the kernel's `enum bpf_arg_type`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Arg {
    /// Any initialized value, pointer or scalar (`ARG_ANYTHING`).
    Anything,
    /// A scalar (not a pointer).
    Scalar,
    /// A map (`ARG_CONST_MAP_PTR`); `types` restricts the map types (empty: any).
    Map { types: &'static [u32] },
    /// Points to `key_size` readable bytes of the previous map argument's key.
    MapKey,
    /// Points to `value_size` readable bytes (`ARG_PTR_TO_MAP_VALUE`); `uninit`: the helper
    /// writes it instead.
    MapValue { uninit: bool },
    /// Like `MapValue`, or NULL (`ARG_PTR_TO_MAP_VALUE_OR_NULL`, e.g. `sk_storage_get`).
    MapValueOrNull,
    /// The program's context.
    Ctx,
    /// The program's context or NULL (`ARG_PTR_TO_CTX_OR_NULL`).
    CtxOrNull,
    /// Memory whose size is the next argument (`ARG_PTR_TO_MEM`). `uninit`: written by the
    /// helper, so need not be initialized; `nullable`: NULL with size 0 allowed.
    /// Without `uninit` this is the kernel's `MEM_RDONLY`: read only, so read-only memory is
    /// accepted.
    Mem { uninit: bool, nullable: bool },
    /// Memory the helper reads and writes (`ARG_PTR_TO_MEM` without `MEM_RDONLY`): it must be
    /// initialized and writable; its size is the next argument.
    WritableMem { nullable: bool },
    /// A memory size for the previous `Mem` argument (`ARG_CONST_SIZE[_OR_ZERO]`).
    Size { zero_ok: bool },
    /// A constant size of memory to allocate (`ARG_CONST_ALLOC_SIZE_OR_ZERO`).
    AllocSize,
    /// Memory of a fixed size (`ARG_PTR_TO_FIXED_SIZE_MEM`); `write`: the helper also writes it.
    FixedMem { size: u32, write: bool },
    /// A socket (`ARG_PTR_TO_SOCKET`), e.g. to release it.
    Socket,
    /// A socket or NULL (`ARG_PTR_TO_SOCKET_OR_NULL`).
    SocketOrNull,
    /// A socket or its common part (`ARG_PTR_TO_SOCK_COMMON`).
    SockCommon,
    /// A BTF-typed socket pointer (`ARG_PTR_TO_BTF_ID_SOCK_COMMON`); also accepts the
    /// verifier's socket pointer types.
    BtfSock,
    /// Memory from `bpf_ringbuf_reserve`, released by the call (`ARG_PTR_TO_ALLOC_MEM` +
    /// `OBJ_RELEASE`).
    RingbufMem,
    /// A subprogram used as a callback (`ARG_PTR_TO_FUNC`).
    Func,
    /// A stack pointer or NULL, handed to the callback (`ARG_PTR_TO_STACK_OR_NULL`).
    StackOrNull,
    /// A `struct bpf_spin_lock` inside a map value.
    SpinLock,
    /// A `struct bpf_timer` inside a map value.
    Timer,
    /// A NUL-terminated constant string in read-only map memory (`ARG_PTR_TO_CONST_STR`).
    ConstStr,
    /// An 8-byte location the helper writes (`ARG_PTR_TO_LONG`; since 6.12 a fixed-size
    /// writable memory argument of 8 bytes).
    LongOut,
    /// A BTF-typed kernel pointer (task, file, inode, cgroup, ...; `ARG_PTR_TO_BTF_ID`).
    BtfId,
    /// A BTF-typed kernel pointer or NULL (`ARG_PTR_TO_BTF_ID_OR_NULL`).
    BtfIdOrNull,
    /// A per-CPU kernel variable (`ARG_PTR_TO_PERCPU_BTF_ID`).
    PercpuBtfId,
    /// The kptr slot in a map value that `bpf_kptr_xchg` swaps (`ARG_KPTR_XCHG_DEST`).
    KptrXchgDest,
    /// A `struct bpf_dynptr` on the stack (`ARG_PTR_TO_DYNPTR`); `uninit`: the helper
    /// initializes it.
    Dynptr { uninit: bool },
}

/// What a helper returns (the kernel's `enum bpf_return_type`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Ret {
    /// A number.
    Integer,
    /// Nothing: r0 is not initialized after the call.
    Void,
    /// A pointer to the map argument's value, or NULL.
    MapValueOrNull,
    /// A pointer to the map argument's value, never NULL (`bpf_get_local_storage`).
    MapValue,
    /// A socket or NULL (acquired when the helper is marked `acquire`).
    SocketOrNull,
    SockCommonOrNull,
    TcpSockOrNull,
    /// Memory of the size given by the `AllocSize` argument, or NULL.
    AllocMemOrNull,
    /// A BTF-typed pointer (task_struct for `get_current_task_btf`).
    BtfId,
    /// A BTF-typed pointer or NULL.
    BtfIdOrNull,
    /// Read-only memory of the per-CPU variable's size, or a BTF pointer (`this_cpu_ptr`).
    MemOrBtfId,
    /// Like `MemOrBtfId`, or NULL (`per_cpu_ptr`).
    MemOrBtfIdOrNull,
    /// A slice of the dynptr argument's memory of the `AllocSize` argument's size, or NULL.
    DynptrMemOrNull,
}

/// One helper's signature and availability.
#[derive(Clone, Copy, Debug)]
pub struct HelperSig {
    /// The `BPF_FUNC_*` number.
    pub id: u32,
    /// The name without `bpf_`, as the kernel log prints it.
    pub name: &'static str,
    /// Up to five arguments; `None` when the signature is not described yet.
    pub args: Option<&'static [Arg]>,
    pub ret: Ret,
    pub gpl_only: bool,
    /// The call acquires a reference that must be released (`bpf_sk_lookup_tcp`, ...).
    pub acquire: bool,
    /// The call releases a reference passed to it (`OBJ_RELEASE`: `sk_release`,
    /// `ringbuf_submit`/`discard`, `kptr_xchg`'s second argument, the `*_dynptr` submits).
    pub release: bool,
    /// The result is the socket argument seen as another type (the kernel's pointer casts:
    /// `tcp_sock`, `sk_fullsock`, `skc_to_*` but `skc_to_unix_sock`): it carries the argument's
    /// reference, so releasing the argument invalidates it too.
    pub casts: bool,
    /// Its memory arguments may point into the packet (the kernel's `pkt_access`: map
    /// helpers, `csum_diff`, socket lookups, SYN cookies); for others a packet pointer argument
    /// is refused, except in programs whose packet is a copy (cgroup sockopt).
    pub pkt_access: bool,
    /// Calling it may move packet data, so packet pointers must be re-checked after it
    /// (the kernel's `bpf_helper_changes_pkt_data`).
    pub changes_pkt_data: bool,
    pub groups: Groups,
    /// The kernel release that introduced it.
    pub since: KernelVersion,
    pub doc: &'static str,
}

/// The helper table.
#[derive(Debug)]
pub struct HelperTable {
    pub entries: &'static [HelperSig],
}

impl HelperSig {
    /// The groups offered the helper by kernel release `kernel`: those of its introduction,
    /// and those [`HELPER_WIDENINGS`] added by then.
    pub fn groups_at(&self, kernel: KernelVersion) -> Groups {
        HELPER_WIDENINGS
            .iter()
            .filter(|w| w.helper == self.id && w.since <= kernel)
            .fold(self.groups, |g, w| g.union(w.groups))
    }
}

impl HelperTable {
    pub fn get(&self, id: i32) -> Option<&HelperSig> {
        let id = u32::try_from(id).ok()?;
        // The table is sorted by id and dense from 1, but do not rely on it for lookup.
        self.entries.iter().find(|h| h.id == id)
    }

    /// The standard table.
    pub fn standard() -> &'static HelperTable {
        static TABLE: HelperTable = HelperTable { entries: HELPERS };
        &TABLE
    }
}

/// Which access sizes a context field accepts, as a bit set of byte counts (1, 2, 4, 8).
pub mod sizes {
    pub const NONE: u8 = 0;
    /// Exactly 4 bytes.
    pub const W: u8 = 4;
    /// Exactly 8 bytes.
    pub const DW: u8 = 8;
    /// 1, 2 or 4 bytes (the kernel's `bpf_ctx_narrow_access_ok` for a u32 field).
    pub const NARROW: u8 = 1 | 2 | 4;
    /// 1, 2, 4 or 8 bytes (`cb[]`, or a narrow-readable array with wide access).
    pub const ANY: u8 = 1 | 2 | 4 | 8;
    /// 4 or 8 bytes (stores to `user_ip6[]`: u32 elements or a wide 8-byte store).
    pub const W_DW: u8 = 4 | 8;
    /// 2 or 4 bytes (a be16 port a u32 load may also read).
    pub const H_W: u8 = 2 | 4;
    /// 1 or 2 bytes (narrow reads of a be16).
    pub const NARROW16: u8 = 1 | 2;
    /// Exactly 1 byte.
    pub const B: u8 = 1;
}

/// How a context field may be accessed and what a load of it yields.
///
/// An access of `n` bytes at offset `off` is valid when `off` lies inside the field,
/// `off % n == 0`, the access ends inside the field, `n` is in `read_sizes` (or `write_sizes`
/// for a store), the program's expected attach type is in `attach` (if given), and the program
/// is privileged when `cap_bpf` is set. Array fields (`cb[5]`, `remote_ip6[4]`) are one field
/// whose sizes apply to each aligned access inside it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct CtxField {
    pub name: &'static str,
    pub off: u32,
    /// The field's size in bytes.
    pub size: u32,
    /// Loads narrower than the field's element are allowed (derived from `read_sizes`).
    pub narrow_read: bool,
    /// Stores are allowed (`write_sizes` is not empty).
    pub write: bool,
    /// A full-size load yields this pointer instead of a scalar.
    pub yields: Option<PtrKind>,
    /// The yielded pointer may be NULL (`*_OR_NULL`), so it must be tested before use.
    pub yields_null: bool,
    /// A load yields a trusted pointer to this struct of the kernel's BTF (`PTR_TO_BTF_ID |
    /// PTR_TRUSTED`, as netfilter's `state` and `skb`); a scalar when no kernel BTF is known.
    pub kernel_struct: Option<&'static str>,
    /// Load sizes allowed, a set from [`sizes`].
    pub read_sizes: u8,
    /// Store sizes allowed, a set from [`sizes`]; empty when `write` is false.
    pub write_sizes: u8,
    /// The field exists only for these expected attach types (`None`: for all).
    pub attach: Option<&'static [AttachType]>,
    /// Stores are allowed only for these expected attach types (`None`: whenever `write`).
    pub write_attach: Option<&'static [AttachType]>,
    /// Accessing the field needs CAP_BPF (the kernel's `bpf_token_capable(.., CAP_BPF)` checks).
    pub cap_bpf: bool,
    /// Writing the field needs CAP_BPF (cgroup_skb's `tstamp`).
    pub cap_bpf_write: bool,
}

/// How the context may be accessed.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum CtxModel {
    /// Only the listed fields, everything else is `invalid bpf_context access`.
    Fields(&'static [CtxField]),
    /// Reads of 1, 2, 4 or 8 bytes anywhere in the first `size` bytes, aligned to their size;
    /// no writes (kprobe `pt_regs`).
    ReadOnly { size: u32 },
    /// Reads of 1, 2, 4 or 8 bytes in `[start, end)`, aligned to their size; no writes
    /// (tracepoint records: the first 8 bytes are hidden, reads stop at `PERF_MAX_TRACE_SIZE`).
    ReadOnlyRange { start: u32, end: u32 },
    /// Reads of 8-byte aligned u64 arguments (raw tracepoints).
    U64Args { count: u32 },
    /// u64 arguments typed by the attach target's BTF prototype (fentry/fexit/fmod_ret/tp_btf/
    /// iter, lsm, struct_ops): pointer arguments load as `PTR_TO_BTF_ID`. Needs the target's
    /// prototype, so bpfvet treats every access as `unsupported-ctx` until BTF targets are
    /// modelled.
    BtfArgs,
    /// A user-supplied buffer of `ctx_size_in` bytes (syscall programs): any aligned access;
    /// the size is only known at run time.
    UserBuffer,
}

/// What a valid context load yields.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum CtxLoad {
    /// A number.
    Scalar,
    /// A pointer, possibly NULL.
    Ptr { kind: PtrKind, nullable: bool },
    /// A trusted pointer to the kernel struct of this name (its id is in the kernel's BTF).
    KernelStruct { name: &'static str },
}

/// The return range a program type's exit must respect for some expected attach types.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct AttachRet {
    pub attach: &'static [AttachType],
    /// `None`: any value (the kernel does not check).
    pub ret: Option<(i64, i64)>,
}

/// One program type.
#[derive(Clone, Copy, Debug)]
pub struct ProgTypeRules {
    /// The kernel's name (`BPF_PROG_TYPE_*` lowercased without the prefix), as bpftool prints.
    pub name: &'static str,
    /// The `BPF_PROG_TYPE_*` number.
    pub kernel_id: u32,
    pub ctx: CtxModel,
    /// The return-value range checked at exit, if the kernel checks one (for attach types not
    /// listed in `ret_by_attach`).
    pub ret: Option<(i64, i64)>,
    /// Exit ranges that depend on the expected attach type (`check_return_code`).
    pub ret_by_attach: &'static [AttachRet],
    /// The helper groups it may call.
    pub helpers: Groups,
    /// Whether legacy `ld_abs`/`ld_ind` packet loads are allowed.
    pub ld_abs: bool,
    /// Whether the packet (`data`/`data_end`) may be written directly.
    pub pkt_write: bool,
    /// The expected attach types the kernel accepts for it (empty: none or not checked).
    pub attach_types: &'static [AttachType],
    pub doc: &'static str,
}

/// A helper a later kernel offers more widely: from `since`, it also belongs to `groups`.
#[derive(Debug)]
pub struct HelperWidening {
    /// The helper (`BPF_FUNC_*`).
    pub helper: u32,
    /// The groups it joins.
    pub groups: Groups,
    /// The first release that offers it there.
    pub since: KernelVersion,
}

/// Helpers whose availability grew after they were introduced, by kernel release.
pub static HELPER_WIDENINGS: &[HelperWidening] = &[
    // 6.4 ("bpf: Make bpf_get_current_[ancestor_]cgroup_id() available for all program
    // types") put the cgroup ids into `bpf_base_func_proto`'s CAP_BPF tier; the 6.1 kernel
    // refuses them in cgroup_skb, 6.12 accepts (corpus: cg_ingress_acct).
    HelperWidening {
        helper: 80,
        groups: Groups::BASE_CAP_BPF,
        since: KernelVersion::new(6, 4),
    },
    HelperWidening {
        helper: 123,
        groups: Groups::BASE_CAP_BPF,
        since: KernelVersion::new(6, 4),
    },
    // 6.10 ("bpf: Allow helper bpf_get_[ns_]current_pid_tgid() for all prog types") made them
    // base helpers; the 6.1 kernel refuses pid_tgid in XDP, 6.12 accepts (xdp_wants_pid).
    HelperWidening {
        helper: 14,
        groups: Groups::BASE,
        since: KernelVersion::new(6, 10),
    },
    HelperWidening {
        helper: 120,
        groups: Groups::BASE,
        since: KernelVersion::new(6, 10),
    },
    // 6.16 ("bpf: Allow some trace helpers for all prog types") moved these two into
    // `bpf_base_func_proto`, among the CAP_PERFMON helpers: any program type may call them
    // (the live 6.18 kernel accepts them in xdp, socket filters, cgroup_sock, sock_ops...).
    HelperWidening {
        helper: 15,
        groups: Groups::BASE_PERFMON,
        since: KernelVersion::new(6, 16),
    },
    HelperWidening {
        helper: 16,
        groups: Groups::BASE_PERFMON,
        since: KernelVersion::new(6, 16),
    },
];

/// A helper a program type offers only for some expected attach types.
#[derive(Clone, Copy, Debug)]
pub struct HelperAttachLimit {
    /// The program type (`BPF_PROG_TYPE_*`).
    pub prog_type: u32,
    /// The helper (`BPF_FUNC_*`).
    pub helper: u32,
    /// The attach types for which the helper is offered.
    pub only: &'static [AttachType],
}

impl ProgTypeRules {
    /// Whether typing the context needs the kernel's BTF: BTF-typed arguments, or fields
    /// that hold pointers to kernel structs.
    pub fn ctx_needs_kernel_btf(&self) -> bool {
        match self.ctx {
            CtxModel::BtfArgs => true,
            CtxModel::Fields(fields) => fields.iter().any(|f| f.kernel_struct.is_some()),
            _ => false,
        }
    }

    /// The rules for a program type by its kernel name.
    pub fn by_name(name: &str) -> Option<&'static ProgTypeRules> {
        PROG_TYPES.iter().find(|p| p.name == name)
    }

    /// The rules for a program type by its kernel number.
    pub fn by_id(id: u32) -> Option<&'static ProgTypeRules> {
        PROG_TYPES.iter().find(|p| p.kernel_id == id)
    }

    /// The helper groups available to a privileged (`true`) or unprivileged load.
    pub fn helper_groups(&self, privileged: bool) -> Groups {
        if privileged {
            self.helpers
        } else {
            self.helpers.minus(Groups::PRIVILEGED_TIERS)
        }
    }

    /// Whether a helper is available to this program type (privileged, any attach type).
    pub fn allows(&self, h: &HelperSig) -> bool {
        self.helpers.intersects(h.groups)
    }

    /// Whether a helper is available for this expected attach type and privilege on kernel
    /// release `kernel`, counting the groups [`HELPER_WIDENINGS`] added by then.
    pub fn allows_for(
        &self,
        h: &HelperSig,
        attach: Option<AttachType>,
        privileged: bool,
        kernel: KernelVersion,
    ) -> bool {
        if !self
            .helper_groups(privileged)
            .intersects(h.groups_at(kernel))
        {
            return false;
        }
        HELPER_ATTACH_LIMITS
            .iter()
            .filter(|l| l.prog_type == self.kernel_id && l.helper == h.id)
            .all(|l| attach.is_some_and(|a| l.only.contains(&a)))
    }

    /// The exit range for this expected attach type.
    pub fn ret_range(&self, attach: Option<AttachType>) -> Option<(i64, i64)> {
        attach
            .and_then(|a| self.ret_by_attach.iter().find(|r| r.attach.contains(&a)))
            .map_or(self.ret, |r| r.ret)
    }

    /// The context field containing `off`, if the model lists fields.
    pub fn ctx_field(&self, off: u32) -> Option<&'static CtxField> {
        match self.ctx {
            CtxModel::Fields(fields) => {
                fields.iter().find(|f| f.off <= off && off < f.off + f.size)
            }
            _ => None,
        }
    }

    /// Checks one context access of `size` bytes at `off` and says what a load yields; `None`
    /// means the kernel rejects it (`invalid bpf_context access`). `BtfArgs` contexts always
    /// give `None` (unsupported).
    pub fn ctx_access(
        &self,
        off: i64,
        size: u32,
        write: bool,
        attach: Option<AttachType>,
        privileged: bool,
    ) -> Option<CtxLoad> {
        let off = u32::try_from(off).ok()?;
        if !matches!(size, 1 | 2 | 4 | 8) || off % size != 0 {
            return None;
        }
        let end = off.checked_add(size)?;
        match self.ctx {
            CtxModel::Fields(_) => {
                let f = self.ctx_field(off)?;
                let allowed = if write { f.write_sizes } else { f.read_sizes };
                let size_ok = u32::from(allowed) & size != 0;
                let in_set = |set: Option<&[AttachType]>| {
                    set.map_or(true, |only| attach.is_some_and(|a| only.contains(&a)))
                };
                let attach_ok = in_set(f.attach) && (!write || in_set(f.write_attach));
                if !size_ok
                    || end > f.off + f.size
                    || !attach_ok
                    || ((f.cap_bpf || (write && f.cap_bpf_write)) && !privileged)
                {
                    return None;
                }
                match (write, f.yields, f.kernel_struct) {
                    (false, Some(kind), _) => Some(CtxLoad::Ptr {
                        kind,
                        nullable: f.yields_null,
                    }),
                    (false, None, Some(name)) => Some(CtxLoad::KernelStruct { name }),
                    _ => Some(CtxLoad::Scalar),
                }
            }
            CtxModel::ReadOnly { size: total } => {
                (!write && end <= total).then_some(CtxLoad::Scalar)
            }
            CtxModel::ReadOnlyRange { start, end: limit } => {
                (!write && off >= start && end <= limit).then_some(CtxLoad::Scalar)
            }
            CtxModel::U64Args { count } => {
                (!write && size == 8 && end <= count * 8).then_some(CtxLoad::Scalar)
            }
            CtxModel::BtfArgs => None,
            CtxModel::UserBuffer => Some(CtxLoad::Scalar),
        }
    }
}

/// Program types an unprivileged user may load (socket filter, cgroup_skb).
pub const UNPRIVILEGED_PROG_TYPES: &[u32] = &[1, 8];

/// `BPF_PROG_TYPE_CGROUP_SOCKOPT`: its "packet" is a copy of the option value, which every
/// helper may be given.
pub const CGROUP_SOCKOPT_PROG_TYPE: u32 = 25;

/// Helpers that may sleep (`might_sleep` in their prototypes): only sleepable programs may call
/// them. `copy_from_user`, `ima_inode_hash`, `copy_from_user_task`, `ima_file_hash`.
pub const MIGHT_SLEEP: &[u32] = &[148, 161, 191, 193];

/// Map types whose `bpf_map_lookup_elem` cannot fail for an in-bounds constant key, so the
/// kernel types the result as a plain map value (array and per-CPU array).
pub fn map_lookup_never_fails(map_type: u32) -> bool {
    matches!(map_type, map_type::ARRAY | map_type::PERCPU_ARRAY)
}

/// Map types whose `bpf_map_lookup_elem` returns a referenced socket (sockmap, sockhash).
pub fn map_lookup_yields_socket(map_type: u32) -> bool {
    matches!(map_type, map_type::SOCKMAP | map_type::SOCKHASH)
}

/// Program types that get a private stack on JITs that support it (x86-64 since Linux 6.13):
/// their subprograms using at least [`PRIV_STACK_MIN`] bytes do not count toward the combined
/// 512-byte limit. kprobe, tracepoint, perf_event, raw_tracepoint, tracing (not iterators).
pub const PRIVATE_STACK_PROG_TYPES: &[u32] = &[2, 5, 7, 17, 26];
/// Smallest subprogram stack that gets a private stack.
pub const PRIV_STACK_MIN: u32 = 64;

/// Whether a load of `size` bytes at `off` through a socket pointer is allowed (the kernel's
/// `bpf_sock_is_valid_access`, `bpf_sock_common_is_valid_access` and
/// `bpf_tcp_sock_is_valid_access`, `bpf_xdp_sock_is_valid_access`). `common`: the pointer is a `sock_common`, which lacks the
/// full socket's `type`, `protocol`, `mark` and `priority`.
pub fn sock_ptr_read_ok(kind: PtrKind, off: i64, size: u32) -> bool {
    // struct bpf_sock: offsets of the fields whose loads may be narrower than 4 bytes.
    const NARROW: &[(i64, i64)] = &[
        (4, 8),
        (8, 12),
        (12, 16),
        (24, 28),
        (28, 44),
        (44, 48),
        (52, 56),
        (56, 72),
        (72, 76),
        (76, 80),
    ];
    if off < 0 || !matches!(size, 1 | 2 | 4 | 8) || off % i64::from(size) != 0 {
        return false;
    }
    match kind {
        // struct bpf_xdp_sock: one u32, queue_id (`bpf_xdp_sock_is_valid_access`).
        PtrKind::XdpSock => off == 0 && size == 4,
        PtrKind::TcpSock => {
            // struct bpf_tcp_sock: u32 fields, but bytes_received and bytes_acked are u64.
            off + i64::from(size) <= 112
                && if off == 80 || off == 88 {
                    size == 8
                } else {
                    size == 4
                }
        }
        PtrKind::Socket | PtrKind::SockCommon => {
            if off + i64::from(size) > 80 {
                return false;
            }
            if kind == PtrKind::SockCommon && (8..24).contains(&off) {
                return false;
            }
            if (48..52).contains(&off) {
                // dst_port: a be16 with padding, read as 2 bytes at its start or as 4.
                return (off == 48 && size <= 4) || (off == 49 && size == 1);
            }
            if size == 4 {
                return true;
            }
            size < 4
                && NARROW
                    .iter()
                    .any(|&(lo, hi)| lo <= off && off + i64::from(size) <= hi)
        }
        _ => false,
    }
}

/// Whether a map of type `map_type` may be passed to helper `helper_id`, from the map's side
/// (the kernel's first switch in `check_map_func_compatibility`). Map types with no row accept
/// every helper; the helper's own `Arg::Map { types }` is the other direction.
pub fn map_allows_helper(map_type: u32, helper_id: u32) -> bool {
    MAP_ALLOWED_HELPERS
        .iter()
        .find(|m| m.map_type == map_type)
        .map_or(true, |m| m.helpers.contains(&helper_id))
}

/// Whether a program of type `prog_type` (kernel id) may update or delete entries of a sockmap
/// or sockhash with `bpf_map_update_elem` (2) / `bpf_map_delete_elem` (3): only where it cannot
/// hold a locked socket (the kernel's `may_update_sockmap`). `iterator`: a tracing program
/// attached as a BPF iterator. Other helpers are not concerned.
pub fn may_update_sockmap(prog_type: u32, iterator: bool, helper_id: u32) -> bool {
    const SOCKET_FILTER: u32 = 1;
    const SCHED_CLS: u32 = 3;
    const SCHED_ACT: u32 = 4;
    const XDP: u32 = 6;
    const SOCK_OPS: u32 = 13;
    const SK_REUSEPORT: u32 = 21;
    const FLOW_DISSECTOR: u32 = 22;
    const TRACING: u32 = 26;
    const SK_LOOKUP: u32 = 30;
    if !matches!(helper_id, 2 | 3) {
        return true;
    }
    match prog_type {
        TRACING => iterator,
        // Updates from sock_ops go through the dedicated helpers, which check the event.
        SOCK_OPS => helper_id == 3,
        SOCKET_FILTER | SCHED_CLS | SCHED_ACT | XDP | SK_REUSEPORT | FLOW_DISSECTOR | SK_LOOKUP => {
            true
        }
        _ => false,
    }
}

/// The helpers a map type may be used with (one row of [`MAP_ALLOWED_HELPERS`]).
#[derive(Clone, Copy, Debug)]
pub struct MapHelpers {
    pub map_type: u32,
    /// The `BPF_FUNC_*` ids allowed with this map type.
    pub helpers: &'static [u32],
    /// Notes on conditions the table does not express.
    pub doc: &'static str,
}

/// Map type numbers (`BPF_MAP_TYPE_*`) that helper signatures refer to.
pub mod map_type {
    pub const HASH: u32 = 1;
    pub const ARRAY: u32 = 2;
    pub const PROG_ARRAY: u32 = 3;
    pub const PERF_EVENT_ARRAY: u32 = 4;
    pub const PERCPU_HASH: u32 = 5;
    pub const PERCPU_ARRAY: u32 = 6;
    pub const STACK_TRACE: u32 = 7;
    pub const CGROUP_ARRAY: u32 = 8;
    pub const LRU_HASH: u32 = 9;
    pub const LRU_PERCPU_HASH: u32 = 10;
    pub const LPM_TRIE: u32 = 11;
    pub const ARRAY_OF_MAPS: u32 = 12;
    pub const HASH_OF_MAPS: u32 = 13;
    pub const DEVMAP: u32 = 14;
    pub const SOCKMAP: u32 = 15;
    pub const CPUMAP: u32 = 16;
    pub const XSKMAP: u32 = 17;
    pub const SOCKHASH: u32 = 18;
    pub const CGROUP_STORAGE: u32 = 19;
    pub const REUSEPORT_SOCKARRAY: u32 = 20;
    pub const PERCPU_CGROUP_STORAGE: u32 = 21;
    pub const QUEUE: u32 = 22;
    pub const STACK: u32 = 23;
    pub const SK_STORAGE: u32 = 24;
    pub const DEVMAP_HASH: u32 = 25;
    pub const STRUCT_OPS: u32 = 26;
    pub const RINGBUF: u32 = 27;
    pub const INODE_STORAGE: u32 = 28;
    pub const TASK_STORAGE: u32 = 29;
    pub const BLOOM_FILTER: u32 = 30;
    pub const USER_RINGBUF: u32 = 31;
    pub const CGRP_STORAGE: u32 = 32;
    pub const ARENA: u32 = 33;

    /// The kernel's name of a map type, as bpftool prints it (the one table is `MapType`'s).
    pub fn name(t: u32) -> &'static str {
        crate::program::MapType(t).name().unwrap_or("unknown")
    }
}
