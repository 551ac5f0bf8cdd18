//! Every program type a user meets: context layout, return range, helper groups.
//!
//! Facts (context offsets and which fields may be read or written, return ranges, which
//! `*_func_proto` a type uses) come from the kernel's UAPI structs, `*_is_valid_access`,
//! `check_return_code`, `may_access_skb` and `may_access_direct_pkt_data`; the table and its
//! wording are ours.
//!
//! The expected attach type matters for some types, so it is a dimension of the table:
//! - exit ranges: `ret` is the default, `ret_by_attach` overrides it (cgroup_skb egress may
//!   return 0..3, sock_addr recvmsg/getpeername/getsockname must return 1, bind 0..3,
//!   fentry/fexit must return 0, ...);
//! - context fields: [`CtxField::attach`] and [`CtxField::write_attach`] (bpf_sock `mark` only at
//!   socket create/release, sock_addr `user_ip4` only on IPv4 hooks, sockopt `retval` only for
//!   getsockopt, ...);
//! - helpers: [`HELPER_ATTACH_LIMITS`] (`bind` only from connect hooks, `seq_printf` only from
//!   iterators, ...).
//!
//! [`CtxField::attach`]: super::CtxField::attach
//! [`CtxField::write_attach`]: super::CtxField::write_attach

use super::ctx::{misc, skb, sock};
use super::{AttachRet, CtxModel, Groups as G, HelperAttachLimit, ProgTypeRules};
use crate::prog_type::AttachType as A;

/// A program type with no exit check, no ld_abs, no packet writes and no attach types.
const fn p(
    name: &'static str,
    kernel_id: u32,
    ctx: CtxModel,
    helpers: G,
    doc: &'static str,
) -> ProgTypeRules {
    ProgTypeRules {
        name,
        kernel_id,
        ctx,
        ret: None,
        ret_by_attach: &[],
        helpers,
        ld_abs: false,
        pkt_write: false,
        attach_types: &[],
        doc,
    }
}

impl ProgTypeRules {
    const fn ret(mut self, lo: i64, hi: i64) -> ProgTypeRules {
        self.ret = Some((lo, hi));
        self
    }

    const fn ret_by(mut self, by: &'static [AttachRet]) -> ProgTypeRules {
        self.ret_by_attach = by;
        self
    }

    const fn ld_abs(mut self) -> ProgTypeRules {
        self.ld_abs = true;
        self
    }

    const fn pkt_write(mut self) -> ProgTypeRules {
        self.pkt_write = true;
        self
    }

    const fn attach(mut self, types: &'static [A]) -> ProgTypeRules {
        self.attach_types = types;
        self
    }
}

/// `bpf_base_func_proto` with all its privilege tiers.
const BASE: G = G(G::BASE.0 | G::BASE_CAP_BPF.0 | G::BASE_PERFMON.0);
/// `bpf_sk_base_func_proto` (networking types) on top of the base set.
const NET: G = G(BASE.0 | G::SK_BASE.0 | G::SK_BASE_PERFMON.0);
/// The tracing layer on top of the base set.
const TRACE: G = G(BASE.0 | G::TRACING.0);
/// `tracing_prog_func_proto`: the tracing layer, raw_tp and the BTF extras.
const BTF_TRACE: G = G(TRACE.0 | G::RAW_TP.0 | G::BTF_TRACING.0);
const SKB_NET: G = G(NET.0 | G::SKB.0);
const LWT: G = G(SKB_NET.0 | G::LWT.0);

const SOCK_ADDR_TYPES: &[A] = &[
    A::CgroupInet4Bind,
    A::CgroupInet6Bind,
    A::CgroupInet4Connect,
    A::CgroupInet6Connect,
    A::CgroupUnixConnect,
    A::CgroupUdp4Sendmsg,
    A::CgroupUdp6Sendmsg,
    A::CgroupUnixSendmsg,
    A::CgroupUdp4Recvmsg,
    A::CgroupUdp6Recvmsg,
    A::CgroupUnixRecvmsg,
    A::CgroupInet4Getpeername,
    A::CgroupInet6Getpeername,
    A::CgroupUnixGetpeername,
    A::CgroupInet4Getsockname,
    A::CgroupInet6Getsockname,
    A::CgroupUnixGetsockname,
];
/// sock_addr hooks that must return 1 (they cannot reject).
const SOCK_ADDR_MUST_PASS: &[A] = &[
    A::CgroupUdp4Recvmsg,
    A::CgroupUdp6Recvmsg,
    A::CgroupUnixRecvmsg,
    A::CgroupInet4Getpeername,
    A::CgroupInet6Getpeername,
    A::CgroupUnixGetpeername,
    A::CgroupInet4Getsockname,
    A::CgroupInet6Getsockname,
    A::CgroupUnixGetsockname,
];
/// sock_addr hooks that may call `get_retval`/`set_retval`.
const SOCK_ADDR_RETVAL: &[A] = &[
    A::CgroupInet4Bind,
    A::CgroupInet6Bind,
    A::CgroupInet4Connect,
    A::CgroupInet6Connect,
    A::CgroupUnixConnect,
    A::CgroupUdp4Sendmsg,
    A::CgroupUdp6Sendmsg,
    A::CgroupUnixSendmsg,
];
const TRAMPOLINE: &[A] = &[A::TraceFentry, A::TraceFexit, A::ModifyReturn];
const TRACING_TYPES: &[A] = &[
    A::TraceRawTp,
    A::TraceFentry,
    A::TraceFexit,
    A::ModifyReturn,
    A::TraceIter,
];

#[rustfmt::skip]
pub static PROG_TYPES: &[ProgTypeRules] = &[
    p("socket_filter", 1, CtxModel::Fields(skb::SOCKET_FILTER), G(SKB_NET.0 | G::SOCKET.0),
        "socket filter: returns how many bytes to keep; no direct packet access").ld_abs(),
    p("kprobe", 2, CtxModel::ReadOnly { size: 168 }, G(TRACE.0 | G::KPROBE.0),
        "kprobe/kretprobe/uprobe: context is the probed task's pt_regs")
        .ret_by(&[AttachRet { attach: &[A::TraceKprobeSession, A::TraceUprobeSession], ret: Some((0, 1)) }])
        .attach(&[A::TraceKprobeMulti, A::TraceUprobeMulti, A::TraceKprobeSession, A::TraceUprobeSession]),
    p("sched_cls", 3, CtxModel::Fields(skb::TC_SKB), G(SKB_NET.0 | G::TC.0 | G::SK_LOOKUP.0),
        "tc classifier (cls_bpf, tcx, netkit): returns a TC_ACT_* verdict").ld_abs().pkt_write()
        .attach(&[A::TcxIngress, A::TcxEgress, A::NetkitPrimary, A::NetkitPeer]),
    p("sched_act", 4, CtxModel::Fields(skb::TC_SKB), G(SKB_NET.0 | G::TC.0 | G::SK_LOOKUP.0),
        "tc action (act_bpf): returns a TC_ACT_* verdict").ld_abs().pkt_write(),
    p("tracepoint", 5, CtxModel::ReadOnlyRange { start: 8, end: 8192 }, G(TRACE.0 | G::TRACEPOINT.0),
        "tracepoint: context is the raw trace record, whose first 8 bytes are hidden"),
    p("xdp", 6, CtxModel::Fields(misc::XDP_MD), G(NET.0 | G::XDP.0 | G::SK_LOOKUP.0),
        "XDP: runs in the driver on each received frame; returns an xdp_action").pkt_write()
        .attach(&[A::Xdp, A::XdpDevmap, A::XdpCpumap]),
    p("perf_event", 7, CtxModel::Fields(misc::BPF_PERF_EVENT_DATA), G(TRACE.0 | G::PERF_EVENT.0),
        "perf event sample: context is bpf_perf_event_data"),
    p("cgroup_skb", 8, CtxModel::Fields(skb::CGROUP_SKB), G(SKB_NET.0 | G::SOCKET.0 | G::CG_SKB.0 | G::CGROUP.0 | G::SK_LOOKUP.0),
        "cgroup ingress/egress filter: 1 passes, 0 drops (egress: bit 1 signals congestion)")
        .ret(0, 1).ret_by(&[AttachRet { attach: &[A::CgroupInetEgress], ret: Some((0, 3)) }])
        .attach(&[A::CgroupInetIngress, A::CgroupInetEgress]),
    // Sockets are created in process context: `sock_filter_func_proto` gives the current task's
    // uid/gid and comm (`cgroup_current_func_proto`; 6.1 and 6.12 load samples/bpf's sock_flags).
    p("cgroup_sock", 9, CtxModel::Fields(sock::BPF_SOCK), G(BASE.0 | G::CGROUP.0 | G::CGROUP_CURRENT.0 | G::CG_SOCK.0),
        "socket create/release/post_bind hook: 1 allows, 0 rejects").ret(0, 1)
        .attach(&[A::CgroupInetSockCreate, A::CgroupInetSockRelease, A::CgroupInet4PostBind, A::CgroupInet6PostBind]),
    p("lwt_in", 10, CtxModel::Fields(skb::LWT_SKB), G(LWT.0 | G::LWT_IN.0),
        "lightweight tunnel input: read-only packet access"),
    p("lwt_out", 11, CtxModel::Fields(skb::LWT_SKB), LWT,
        "lightweight tunnel output: read-only packet access"),
    p("lwt_xmit", 12, CtxModel::Fields(skb::LWT_SKB), G(LWT.0 | G::LWT_XMIT.0),
        "lightweight tunnel transmit: may rewrite and redirect").pkt_write(),
    p("sock_ops", 13, CtxModel::Fields(sock::BPF_SOCK_OPS), G(NET.0 | G::CGROUP.0 | G::SOCK_OPS.0),
        "TCP socket events; answers through ctx->reply").ret(0, 1).attach(&[A::CgroupSockOps]),
    p("sk_skb", 14, CtxModel::Fields(skb::SK_SKB), G(SKB_NET.0 | G::SK_SKB.0 | G::SK_LOOKUP.0),
        "sockmap stream parser/verdict: returns SK_PASS/SK_DROP or a length").pkt_write()
        .attach(&[A::SkSkbStreamParser, A::SkSkbStreamVerdict, A::SkSkbVerdict]),
    p("cgroup_device", 15, CtxModel::Fields(misc::BPF_CGROUP_DEV_CTX), G(BASE.0 | G::CGROUP.0 | G::CGROUP_CURRENT.0 | G::CG_DEVICE.0),
        "device access control: 1 allows, 0 denies").ret(0, 1).attach(&[A::CgroupDevice]),
    p("sk_msg", 16, CtxModel::Fields(sock::SK_MSG_MD), G(NET.0 | G::SK_MSG.0),
        "sockmap sendmsg verdict: returns SK_PASS/SK_DROP").pkt_write().attach(&[A::SkMsgVerdict]),
    p("raw_tracepoint", 17, CtxModel::ReadOnly { size: 96 }, G(TRACE.0 | G::RAW_TP.0),
        "raw tracepoint: context is up to 12 u64 tracepoint arguments"),
    p("cgroup_sock_addr", 18, CtxModel::Fields(sock::BPF_SOCK_ADDR), G(NET.0 | G::CGROUP.0 | G::SOCK_ADDR.0 | G::SK_LOOKUP.0),
        "bind/connect/sendmsg/recvmsg/getname hooks: may rewrite the address; 1 allows")
        .ret(0, 1)
        .ret_by(&[
            AttachRet { attach: SOCK_ADDR_MUST_PASS, ret: Some((1, 1)) },
            AttachRet { attach: &[A::CgroupInet4Bind, A::CgroupInet6Bind], ret: Some((0, 3)) },
        ])
        .attach(SOCK_ADDR_TYPES),
    p("lwt_seg6local", 19, CtxModel::Fields(skb::LWT_SKB), G(LWT.0 | G::LWT_SEG6.0),
        "SRv6 End.BPF action: read-only packet access, seg6 helpers"),
    p("lirc_mode2", 20, CtxModel::Fields(misc::LIRC_SAMPLE), G(BASE.0 | G::LIRC.0),
        "IR decoder: context is one lirc sample"),
    p("sk_reuseport", 21, CtxModel::Fields(sock::SK_REUSEPORT_MD), G(BASE.0 | G::SK_REUSEPORT.0),
        "SO_REUSEPORT socket selection: read-only packet access")
        .attach(&[A::SkReuseportSelect, A::SkReuseportSelectOrMigrate]),
    p("flow_dissector", 22, CtxModel::Fields(skb::FLOW_DISSECTOR), G(NET.0 | G::FLOW_DISSECTOR.0),
        "flow dissector: fills ctx->flow_keys; read-only packet access").attach(&[A::FlowDissector]),
    p("cgroup_sysctl", 23, CtxModel::Fields(misc::BPF_SYSCTL), G(BASE.0 | G::CGROUP.0 | G::CGROUP_CURRENT.0 | G::SYSCTL.0),
        "sysctl access control: 1 allows, 0 denies").ret(0, 1).attach(&[A::CgroupSysctl]),
    p("raw_tracepoint_writable", 24, CtxModel::ReadOnly { size: 96 }, G(TRACE.0 | G::RAW_TP.0),
        "writable raw tracepoint: the first argument is a writable buffer (not modelled)"),
    p("cgroup_sockopt", 25, CtxModel::Fields(misc::BPF_SOCKOPT), G(BASE.0 | G::CGROUP.0 | G::CGROUP_CURRENT.0 | G::SOCKOPT.0),
        "get/setsockopt hook: may rewrite the option buffer; 1 allows").ret(0, 1).pkt_write()
        .attach(&[A::CgroupGetsockopt, A::CgroupSetsockopt]),
    p("tracing", 26, CtxModel::BtfArgs, BTF_TRACE,
        "fentry/fexit/fmod_ret/tp_btf/iter: context is the target's BTF-typed arguments")
        .ret_by(&[
            AttachRet { attach: &[A::TraceFentry, A::TraceFexit], ret: Some((0, 0)) },
            AttachRet { attach: &[A::TraceIter], ret: Some((0, 1)) },
        ])
        .attach(TRACING_TYPES),
    p("struct_ops", 27, CtxModel::BtfArgs, G(BASE.0 | G::STRUCT_OPS.0),
        "kernel ops table implemented in BPF; return range depends on the operation"),
    p("lsm", 29, CtxModel::BtfArgs, G(BTF_TRACE.0 | G::LSM.0),
        "LSM hook: returns 0 or -errno (range from the hook's prototype)")
        .ret_by(&[AttachRet { attach: &[A::LsmCgroup], ret: Some((0, 1)) }])
        .attach(&[A::LsmMac, A::LsmCgroup]),
    p("sk_lookup", 30, CtxModel::Fields(sock::BPF_SK_LOOKUP), G(NET.0 | G::SK_LOOKUP_PROG.0),
        "socket lookup: picks a socket with sk_assign; returns SK_PASS/SK_DROP").ret(0, 1).attach(&[A::SkLookup]),
    p("syscall", 31, CtxModel::UserBuffer, G(BTF_TRACE.0 | G::SYSCALL.0),
        "program run by BPF_PROG_RUN from user space; context is the caller's buffer"),
    p("netfilter", 32, CtxModel::Fields(misc::BPF_NF_CTX), BASE,
        "netfilter hook: returns NF_DROP (0) or NF_ACCEPT (1)").ret(0, 1).attach(&[A::Netfilter]),
];

/// Helpers a program type offers only for some expected attach types.
#[rustfmt::skip]
pub static HELPER_ATTACH_LIMITS: &[HelperAttachLimit] = &[
    // cgroup_skb and sock_ops never get get_retval/set_retval; sock_addr only on hooks that can fail.
    HelperAttachLimit { prog_type: 8, helper: 186, only: &[] },
    HelperAttachLimit { prog_type: 8, helper: 187, only: &[] },
    HelperAttachLimit { prog_type: 13, helper: 186, only: &[] },
    HelperAttachLimit { prog_type: 13, helper: 187, only: &[] },
    HelperAttachLimit { prog_type: 18, helper: 186, only: SOCK_ADDR_RETVAL },
    HelperAttachLimit { prog_type: 18, helper: 187, only: SOCK_ADDR_RETVAL },
    // bind() is offered to connect hooks only.
    HelperAttachLimit { prog_type: 18, helper: 64, only: &[A::CgroupInet4Connect, A::CgroupInet6Connect] },
    // cgroup_sockopt: setsockopt/getsockopt from the setsockopt hook only.
    HelperAttachLimit { prog_type: 25, helper: 49, only: &[A::CgroupSetsockopt] },
    HelperAttachLimit { prog_type: 25, helper: 57, only: &[A::CgroupSetsockopt] },
    // tracing: seq_file helpers for iterators, argument access for trampolines.
    HelperAttachLimit { prog_type: 26, helper: 126, only: &[A::TraceIter] },
    HelperAttachLimit { prog_type: 26, helper: 127, only: &[A::TraceIter] },
    HelperAttachLimit { prog_type: 26, helper: 150, only: &[A::TraceIter] },
    HelperAttachLimit { prog_type: 26, helper: 174, only: TRAMPOLINE },
    HelperAttachLimit { prog_type: 26, helper: 183, only: TRAMPOLINE },
    HelperAttachLimit { prog_type: 26, helper: 184, only: TRAMPOLINE },
    HelperAttachLimit { prog_type: 26, helper: 185, only: TRAMPOLINE },
    // lsm: trampoline helpers for BPF LSM proper, cgroup helpers for lsm_cgroup.
    HelperAttachLimit { prog_type: 29, helper: 174, only: &[A::LsmMac] },
    HelperAttachLimit { prog_type: 29, helper: 183, only: &[A::LsmMac] },
    HelperAttachLimit { prog_type: 29, helper: 184, only: &[A::LsmMac] },
    HelperAttachLimit { prog_type: 29, helper: 185, only: &[A::LsmMac] },
    HelperAttachLimit { prog_type: 29, helper: 81, only: &[A::LsmCgroup] },
    HelperAttachLimit { prog_type: 29, helper: 186, only: &[A::LsmCgroup] },
    HelperAttachLimit { prog_type: 29, helper: 187, only: &[A::LsmCgroup] },
];
