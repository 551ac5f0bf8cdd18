//! Program types, attach types, and the table that maps an ELF section name to them.
//!
//! The section-name conventions are libbpf's (`SEC("xdp")`, `SEC("kprobe/do_sys_open")`, ...).
//! The table [`SECTION_DEFS`] is data, one entry per prefix with a doc line, written from the
//! behaviour libbpf documents; it is searched in order and the first match wins, so more
//! specific prefixes (`xdp.frags/devmap`) come before shorter ones (`xdp`).
//!
//! Three ways an entry can match, mirroring libbpf's:
//! - [`SecMatch::Exact`]: the section name equals the prefix (`"socket"`);
//! - [`SecMatch::Plus`]: the name equals the prefix or continues with `/` (`"kprobe"` matches
//!   `kprobe` and `kprobe/do_exit`, not `kprobex`), libbpf's `"kprobe+"`;
//! - [`SecMatch::Slash`]: the name starts with the prefix, which ends in `/` (libbpf's `"type/"`).
//!
//! Numeric values are the kernel's `enum bpf_prog_type` and `enum bpf_attach_type` (UAPI, stable).

use std::fmt;

/// Declares a `#[repr(u32)]` enum with kernel numbers and names, plus lookups both ways.
macro_rules! kernel_enum {
    (
        $(#[$meta:meta])*
        pub enum $ty:ident { $( $(#[$vmeta:meta])* $var:ident = $num:literal => $name:literal, )* }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
        #[repr(u32)]
        #[non_exhaustive]
        pub enum $ty { $( $(#[$vmeta])* $var = $num, )* }

        impl $ty {
            /// Every value, in numeric order.
            pub const ALL: &'static [$ty] = &[$($ty::$var,)*];

            /// The kernel's numeric value.
            pub fn raw(self) -> u32 {
                self as u32
            }

            /// The value with this kernel number, if we know it.
            pub fn from_raw(raw: u32) -> Option<$ty> {
                Self::ALL.iter().copied().find(|it| it.raw() == raw)
            }

            /// The kernel's lowercase name (as bpftool and libbpf print it).
            pub fn name(self) -> &'static str {
                match self { $($ty::$var => $name,)* }
            }

            /// The value with this lowercase name.
            pub fn from_name(name: &str) -> Option<$ty> {
                Self::ALL.iter().copied().find(|it| it.name() == name)
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

kernel_enum! {
    /// `enum bpf_prog_type`.
    pub enum ProgType {
        SocketFilter = 1 => "socket_filter",
        Kprobe = 2 => "kprobe",
        SchedCls = 3 => "sched_cls",
        SchedAct = 4 => "sched_act",
        Tracepoint = 5 => "tracepoint",
        Xdp = 6 => "xdp",
        PerfEvent = 7 => "perf_event",
        CgroupSkb = 8 => "cgroup_skb",
        CgroupSock = 9 => "cgroup_sock",
        LwtIn = 10 => "lwt_in",
        LwtOut = 11 => "lwt_out",
        LwtXmit = 12 => "lwt_xmit",
        SockOps = 13 => "sock_ops",
        SkSkb = 14 => "sk_skb",
        CgroupDevice = 15 => "cgroup_device",
        SkMsg = 16 => "sk_msg",
        RawTracepoint = 17 => "raw_tracepoint",
        CgroupSockAddr = 18 => "cgroup_sock_addr",
        LwtSeg6local = 19 => "lwt_seg6local",
        LircMode2 = 20 => "lirc_mode2",
        SkReuseport = 21 => "sk_reuseport",
        FlowDissector = 22 => "flow_dissector",
        CgroupSysctl = 23 => "cgroup_sysctl",
        RawTracepointWritable = 24 => "raw_tracepoint_writable",
        CgroupSockopt = 25 => "cgroup_sockopt",
        Tracing = 26 => "tracing",
        StructOps = 27 => "struct_ops",
        Ext = 28 => "ext",
        Lsm = 29 => "lsm",
        SkLookup = 30 => "sk_lookup",
        Syscall = 31 => "syscall",
        Netfilter = 32 => "netfilter",
    }
}

kernel_enum! {
    /// `enum bpf_attach_type` (the program's `expected_attach_type`).
    pub enum AttachType {
        CgroupInetIngress = 0 => "cgroup_inet_ingress",
        CgroupInetEgress = 1 => "cgroup_inet_egress",
        CgroupInetSockCreate = 2 => "cgroup_inet_sock_create",
        CgroupSockOps = 3 => "cgroup_sock_ops",
        SkSkbStreamParser = 4 => "sk_skb_stream_parser",
        SkSkbStreamVerdict = 5 => "sk_skb_stream_verdict",
        CgroupDevice = 6 => "cgroup_device",
        SkMsgVerdict = 7 => "sk_msg_verdict",
        CgroupInet4Bind = 8 => "cgroup_inet4_bind",
        CgroupInet6Bind = 9 => "cgroup_inet6_bind",
        CgroupInet4Connect = 10 => "cgroup_inet4_connect",
        CgroupInet6Connect = 11 => "cgroup_inet6_connect",
        CgroupInet4PostBind = 12 => "cgroup_inet4_post_bind",
        CgroupInet6PostBind = 13 => "cgroup_inet6_post_bind",
        CgroupUdp4Sendmsg = 14 => "cgroup_udp4_sendmsg",
        CgroupUdp6Sendmsg = 15 => "cgroup_udp6_sendmsg",
        LircMode2 = 16 => "lirc_mode2",
        FlowDissector = 17 => "flow_dissector",
        CgroupSysctl = 18 => "cgroup_sysctl",
        CgroupUdp4Recvmsg = 19 => "cgroup_udp4_recvmsg",
        CgroupUdp6Recvmsg = 20 => "cgroup_udp6_recvmsg",
        CgroupGetsockopt = 21 => "cgroup_getsockopt",
        CgroupSetsockopt = 22 => "cgroup_setsockopt",
        TraceRawTp = 23 => "trace_raw_tp",
        TraceFentry = 24 => "trace_fentry",
        TraceFexit = 25 => "trace_fexit",
        ModifyReturn = 26 => "modify_return",
        LsmMac = 27 => "lsm_mac",
        TraceIter = 28 => "trace_iter",
        CgroupInet4Getpeername = 29 => "cgroup_inet4_getpeername",
        CgroupInet6Getpeername = 30 => "cgroup_inet6_getpeername",
        CgroupInet4Getsockname = 31 => "cgroup_inet4_getsockname",
        CgroupInet6Getsockname = 32 => "cgroup_inet6_getsockname",
        XdpDevmap = 33 => "xdp_devmap",
        CgroupInetSockRelease = 34 => "cgroup_inet_sock_release",
        XdpCpumap = 35 => "xdp_cpumap",
        SkLookup = 36 => "sk_lookup",
        Xdp = 37 => "xdp",
        SkSkbVerdict = 38 => "sk_skb_verdict",
        SkReuseportSelect = 39 => "sk_reuseport_select",
        SkReuseportSelectOrMigrate = 40 => "sk_reuseport_select_or_migrate",
        PerfEvent = 41 => "perf_event",
        TraceKprobeMulti = 42 => "trace_kprobe_multi",
        LsmCgroup = 43 => "lsm_cgroup",
        StructOps = 44 => "struct_ops",
        Netfilter = 45 => "netfilter",
        TcxIngress = 46 => "tcx_ingress",
        TcxEgress = 47 => "tcx_egress",
        TraceUprobeMulti = 48 => "trace_uprobe_multi",
        CgroupUnixConnect = 49 => "cgroup_unix_connect",
        CgroupUnixSendmsg = 50 => "cgroup_unix_sendmsg",
        CgroupUnixRecvmsg = 51 => "cgroup_unix_recvmsg",
        CgroupUnixGetpeername = 52 => "cgroup_unix_getpeername",
        CgroupUnixGetsockname = 53 => "cgroup_unix_getsockname",
        NetkitPrimary = 54 => "netkit_primary",
        NetkitPeer = 55 => "netkit_peer",
        TraceKprobeSession = 56 => "trace_kprobe_session",
        TraceUprobeSession = 57 => "trace_uprobe_session",
    }
}

/// How a [`SectionDef`] prefix matches a section name (see the module doc).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum SecMatch {
    /// The whole name equals the prefix.
    Exact,
    /// The name equals the prefix or continues with `/`.
    Plus,
    /// The name starts with the prefix (which ends in `/`).
    Slash,
    /// The name starts with the prefix, whatever follows: how libbpf treats `socket` (it loads
    /// `socket/0`) and how the old samples/bpf loader matched every type (`socket1`).
    Prefix,
}

/// One row of the section-name table.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct SectionDef {
    pub prefix: &'static str,
    pub matching: SecMatch,
    pub prog_type: ProgType,
    /// The `expected_attach_type` libbpf loads the program with, if any.
    pub attach_type: Option<AttachType>,
    /// The program may sleep (`BPF_F_SLEEPABLE`).
    pub sleepable: bool,
    /// The XDP program handles multi-buffer packets (`BPF_F_XDP_HAS_FRAGS`).
    pub xdp_frags: bool,
    /// The attach target is named by BTF (`fentry/<func>`, `lsm/<hook>`, ...).
    pub attach_btf: bool,
    pub doc: &'static str,
}

impl SectionDef {
    /// Whether `section` is named by this entry.
    pub fn matches(&self, section: &str) -> bool {
        match self.matching {
            SecMatch::Exact => section == self.prefix,
            SecMatch::Plus => section
                .strip_prefix(self.prefix)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/')),
            SecMatch::Slash | SecMatch::Prefix => section.starts_with(self.prefix),
        }
    }
}

/// The first table entry that names `section`, or `None` when no convention applies (the program
/// type is then unknown, and the caller may supply one).
///
/// A leading `?` is libbpf's mark for a program that is loaded only when asked for; it does not
/// change the type, so it is ignored here. Names the current libbpf table does not know are
/// then tried against [`LEGACY_SECTION_DEFS`], the names older loaders accepted.
pub fn lookup(section: &str) -> Option<&'static SectionDef> {
    let section = section.strip_prefix('?').unwrap_or(section);
    SECTION_DEFS
        .iter()
        .find(|it| it.matches(section))
        .or_else(|| LEGACY_SECTION_DEFS.iter().find(|it| it.matches(section)))
}

/// Builds one table row; `flags` is a subset of `S` (sleepable), `F` (frags), `B` (BTF attach).
const fn def(
    prefix: &'static str,
    matching: SecMatch,
    prog_type: ProgType,
    attach_type: Option<AttachType>,
    flags: &'static str,
    doc: &'static str,
) -> SectionDef {
    let f = flags.as_bytes();
    let mut sleepable = false;
    let mut xdp_frags = false;
    let mut attach_btf = false;
    let mut i = 0;
    while i < f.len() {
        match f[i] {
            b'S' => sleepable = true,
            b'F' => xdp_frags = true,
            b'B' => attach_btf = true,
            _ => {}
        }
        i += 1;
    }
    SectionDef {
        prefix,
        matching,
        prog_type,
        attach_type,
        sleepable,
        xdp_frags,
        attach_btf,
        doc,
    }
}

use AttachType as A;
use ProgType as P;
use SecMatch::{Exact, Plus, Prefix, Slash};

/// The section-name table, in match order (first match wins).
// Rationale for `rustfmt::skip`: one row per line keeps the table readable and diffable.
#[rustfmt::skip]
pub static SECTION_DEFS: &[SectionDef] = &[
    def("socket", Prefix, P::SocketFilter, None, "", "Socket filter attached with SO_ATTACH_BPF."),
    def("sk_reuseport/migrate", Exact, P::SkReuseport, Some(A::SkReuseportSelectOrMigrate), "", "SO_REUSEPORT selection that may also migrate requests."),
    def("sk_reuseport", Exact, P::SkReuseport, Some(A::SkReuseportSelect), "", "SO_REUSEPORT socket selection."),
    def("kprobe.multi", Plus, P::Kprobe, Some(A::TraceKprobeMulti), "", "Kprobe attached to many functions at once."),
    def("kretprobe.multi", Plus, P::Kprobe, Some(A::TraceKprobeMulti), "", "Kretprobe attached to many functions at once."),
    def("kprobe.session", Plus, P::Kprobe, Some(A::TraceKprobeSession), "", "Kprobe with a paired return probe (session)."),
    def("uprobe.multi.s", Plus, P::Kprobe, Some(A::TraceUprobeMulti), "S", "Sleepable multi-uprobe."),
    def("uretprobe.multi.s", Plus, P::Kprobe, Some(A::TraceUprobeMulti), "S", "Sleepable multi-uretprobe."),
    def("uprobe.multi", Plus, P::Kprobe, Some(A::TraceUprobeMulti), "", "Uprobe attached to many locations at once."),
    def("uretprobe.multi", Plus, P::Kprobe, Some(A::TraceUprobeMulti), "", "Uretprobe attached to many locations at once."),
    def("uprobe.session", Plus, P::Kprobe, Some(A::TraceUprobeSession), "", "Uprobe with a paired return probe (session)."),
    def("kprobe", Plus, P::Kprobe, None, "", "Kernel function entry probe (`kprobe/<func>`)."),
    def("kretprobe", Plus, P::Kprobe, None, "", "Kernel function return probe (`kretprobe/<func>`)."),
    def("uprobe.s", Plus, P::Kprobe, None, "S", "Sleepable user-space probe."),
    def("uretprobe.s", Plus, P::Kprobe, None, "S", "Sleepable user-space return probe."),
    def("uprobe", Plus, P::Kprobe, None, "", "User-space function entry probe."),
    def("uretprobe", Plus, P::Kprobe, None, "", "User-space function return probe."),
    def("ksyscall", Plus, P::Kprobe, None, "", "Kprobe on a syscall entry, by syscall name."),
    def("kretsyscall", Plus, P::Kprobe, None, "", "Kretprobe on a syscall return, by syscall name."),
    def("usdt.s", Plus, P::Kprobe, None, "S", "Sleepable USDT probe."),
    def("usdt", Plus, P::Kprobe, None, "", "User statically defined tracepoint."),
    def("tc/ingress", Exact, P::SchedCls, Some(A::TcxIngress), "", "Alias of `tcx/ingress`."),
    def("tc/egress", Exact, P::SchedCls, Some(A::TcxEgress), "", "Alias of `tcx/egress`."),
    def("tcx/ingress", Exact, P::SchedCls, Some(A::TcxIngress), "", "TC classifier on the ingress hook, attached by link."),
    def("tcx/egress", Exact, P::SchedCls, Some(A::TcxEgress), "", "TC classifier on the egress hook, attached by link."),
    def("tc", Plus, P::SchedCls, None, "", "Legacy TC classifier (netlink attach)."),
    def("classifier", Plus, P::SchedCls, None, "", "Legacy TC classifier, old spelling."),
    def("action", Plus, P::SchedAct, None, "", "Legacy TC action."),
    def("netkit/primary", Exact, P::SchedCls, Some(A::NetkitPrimary), "", "Netkit device, primary side."),
    def("netkit/peer", Exact, P::SchedCls, Some(A::NetkitPeer), "", "Netkit device, peer side."),
    def("tracepoint", Plus, P::Tracepoint, None, "", "Static kernel tracepoint (`tracepoint/<cat>/<name>`)."),
    def("tp_btf", Plus, P::Tracing, Some(A::TraceRawTp), "B", "BTF-typed raw tracepoint."),
    def("tp", Plus, P::Tracepoint, None, "", "Short spelling of `tracepoint`."),
    def("raw_tracepoint.w", Plus, P::RawTracepointWritable, None, "", "Raw tracepoint whose arguments may be written."),
    def("raw_tp.w", Plus, P::RawTracepointWritable, None, "", "Short spelling of `raw_tracepoint.w`."),
    def("raw_tracepoint", Plus, P::RawTracepoint, None, "", "Raw tracepoint (untyped `u64` arguments)."),
    def("raw_tp", Plus, P::RawTracepoint, None, "", "Short spelling of `raw_tracepoint`."),
    def("fentry.s", Plus, P::Tracing, Some(A::TraceFentry), "SB", "Sleepable fentry."),
    def("fmod_ret.s", Plus, P::Tracing, Some(A::ModifyReturn), "SB", "Sleepable fmod_ret."),
    def("fexit.s", Plus, P::Tracing, Some(A::TraceFexit), "SB", "Sleepable fexit."),
    def("fentry", Plus, P::Tracing, Some(A::TraceFentry), "B", "BPF trampoline at kernel function entry."),
    def("fmod_ret", Plus, P::Tracing, Some(A::ModifyReturn), "B", "Trampoline that may override a function's return value."),
    def("fexit", Plus, P::Tracing, Some(A::TraceFexit), "B", "BPF trampoline at kernel function exit."),
    def("freplace", Plus, P::Ext, None, "B", "Replaces a global function of another BPF program."),
    def("lsm.s", Plus, P::Lsm, Some(A::LsmMac), "SB", "Sleepable LSM hook."),
    def("lsm_cgroup", Plus, P::Lsm, Some(A::LsmCgroup), "B", "LSM hook scoped to a cgroup."),
    def("lsm", Plus, P::Lsm, Some(A::LsmMac), "B", "LSM hook (`lsm/<hook>`)."),
    def("iter.s", Plus, P::Tracing, Some(A::TraceIter), "SB", "Sleepable BPF iterator."),
    def("iter", Plus, P::Tracing, Some(A::TraceIter), "B", "BPF iterator (`iter/<target>`)."),
    def("syscall", Exact, P::Syscall, None, "S", "Program run by BPF_PROG_RUN to issue bpf() calls."),
    def("xdp.frags/devmap", Exact, P::Xdp, Some(A::XdpDevmap), "F", "Multi-buffer XDP program run from a devmap entry."),
    def("xdp/devmap", Exact, P::Xdp, Some(A::XdpDevmap), "", "XDP program run from a devmap entry."),
    def("xdp.frags/cpumap", Exact, P::Xdp, Some(A::XdpCpumap), "F", "Multi-buffer XDP program run from a cpumap entry."),
    def("xdp/cpumap", Exact, P::Xdp, Some(A::XdpCpumap), "", "XDP program run from a cpumap entry."),
    def("xdp.frags", Exact, P::Xdp, Some(A::Xdp), "F", "Multi-buffer (fragment-aware) XDP program."),
    def("xdp", Plus, P::Xdp, Some(A::Xdp), "", "XDP program at the driver receive hook."),
    def("perf_event", Exact, P::PerfEvent, None, "", "Program run on a perf event (sample) overflow."),
    def("lwt_in", Exact, P::LwtIn, None, "", "Lightweight tunnel, input path."),
    def("lwt_out", Exact, P::LwtOut, None, "", "Lightweight tunnel, output path."),
    def("lwt_xmit", Exact, P::LwtXmit, None, "", "Lightweight tunnel, transmit path."),
    def("lwt_seg6local", Exact, P::LwtSeg6local, None, "", "SRv6 local action."),
    def("sockops", Exact, P::SockOps, Some(A::CgroupSockOps), "", "TCP socket operations callback (cgroup)."),
    def("sk_skb/stream_parser", Exact, P::SkSkb, Some(A::SkSkbStreamParser), "", "Sockmap stream parser."),
    def("sk_skb/stream_verdict", Exact, P::SkSkb, Some(A::SkSkbStreamVerdict), "", "Sockmap stream verdict."),
    def("sk_skb", Plus, P::SkSkb, None, "", "Sockmap skb program, attach type given at attach time."),
    def("sk_msg", Exact, P::SkMsg, Some(A::SkMsgVerdict), "", "Sockmap sendmsg verdict."),
    def("lirc_mode2", Exact, P::LircMode2, Some(A::LircMode2), "", "Infrared remote decoder."),
    def("flow_dissector", Exact, P::FlowDissector, Some(A::FlowDissector), "", "Flow dissector replacement."),
    def("cgroup_skb/ingress", Exact, P::CgroupSkb, Some(A::CgroupInetIngress), "", "Cgroup skb filter, ingress."),
    def("cgroup_skb/egress", Exact, P::CgroupSkb, Some(A::CgroupInetEgress), "", "Cgroup skb filter, egress."),
    def("cgroup/skb", Exact, P::CgroupSkb, None, "", "Cgroup skb filter, direction given at attach time."),
    def("cgroup/sock_create", Exact, P::CgroupSock, Some(A::CgroupInetSockCreate), "", "Socket creation in a cgroup."),
    def("cgroup/sock_release", Exact, P::CgroupSock, Some(A::CgroupInetSockRelease), "", "Socket release in a cgroup."),
    def("cgroup/sock", Exact, P::CgroupSock, Some(A::CgroupInetSockCreate), "", "Alias of `cgroup/sock_create`."),
    def("cgroup/post_bind4", Exact, P::CgroupSock, Some(A::CgroupInet4PostBind), "", "After an IPv4 bind()."),
    def("cgroup/post_bind6", Exact, P::CgroupSock, Some(A::CgroupInet6PostBind), "", "After an IPv6 bind()."),
    def("cgroup/bind4", Exact, P::CgroupSockAddr, Some(A::CgroupInet4Bind), "", "IPv4 bind() address hook."),
    def("cgroup/bind6", Exact, P::CgroupSockAddr, Some(A::CgroupInet6Bind), "", "IPv6 bind() address hook."),
    def("cgroup/connect4", Exact, P::CgroupSockAddr, Some(A::CgroupInet4Connect), "", "IPv4 connect() address hook."),
    def("cgroup/connect6", Exact, P::CgroupSockAddr, Some(A::CgroupInet6Connect), "", "IPv6 connect() address hook."),
    def("cgroup/connect_unix", Exact, P::CgroupSockAddr, Some(A::CgroupUnixConnect), "", "Unix socket connect() hook."),
    def("cgroup/sendmsg4", Exact, P::CgroupSockAddr, Some(A::CgroupUdp4Sendmsg), "", "UDPv4 sendmsg() address hook."),
    def("cgroup/sendmsg6", Exact, P::CgroupSockAddr, Some(A::CgroupUdp6Sendmsg), "", "UDPv6 sendmsg() address hook."),
    def("cgroup/sendmsg_unix", Exact, P::CgroupSockAddr, Some(A::CgroupUnixSendmsg), "", "Unix socket sendmsg() hook."),
    def("cgroup/recvmsg4", Exact, P::CgroupSockAddr, Some(A::CgroupUdp4Recvmsg), "", "UDPv4 recvmsg() address hook."),
    def("cgroup/recvmsg6", Exact, P::CgroupSockAddr, Some(A::CgroupUdp6Recvmsg), "", "UDPv6 recvmsg() address hook."),
    def("cgroup/recvmsg_unix", Exact, P::CgroupSockAddr, Some(A::CgroupUnixRecvmsg), "", "Unix socket recvmsg() hook."),
    def("cgroup/getpeername4", Exact, P::CgroupSockAddr, Some(A::CgroupInet4Getpeername), "", "IPv4 getpeername() hook."),
    def("cgroup/getpeername6", Exact, P::CgroupSockAddr, Some(A::CgroupInet6Getpeername), "", "IPv6 getpeername() hook."),
    def("cgroup/getpeername_unix", Exact, P::CgroupSockAddr, Some(A::CgroupUnixGetpeername), "", "Unix socket getpeername() hook."),
    def("cgroup/getsockname4", Exact, P::CgroupSockAddr, Some(A::CgroupInet4Getsockname), "", "IPv4 getsockname() hook."),
    def("cgroup/getsockname6", Exact, P::CgroupSockAddr, Some(A::CgroupInet6Getsockname), "", "IPv6 getsockname() hook."),
    def("cgroup/getsockname_unix", Exact, P::CgroupSockAddr, Some(A::CgroupUnixGetsockname), "", "Unix socket getsockname() hook."),
    def("cgroup/sysctl", Exact, P::CgroupSysctl, Some(A::CgroupSysctl), "", "Sysctl access from a cgroup."),
    def("cgroup/getsockopt", Exact, P::CgroupSockopt, Some(A::CgroupGetsockopt), "", "getsockopt() hook."),
    def("cgroup/setsockopt", Exact, P::CgroupSockopt, Some(A::CgroupSetsockopt), "", "setsockopt() hook."),
    def("cgroup/dev", Exact, P::CgroupDevice, Some(A::CgroupDevice), "", "Device access control for a cgroup."),
    def("struct_ops.s", Plus, P::StructOps, None, "S", "Sleepable struct_ops member."),
    def("struct_ops", Plus, P::StructOps, None, "", "Implementation of a kernel struct_ops member."),
    def("sk_lookup", Exact, P::SkLookup, Some(A::SkLookup), "", "Socket lookup for incoming connections (netns)."),
    def("netfilter", Exact, P::Netfilter, Some(A::Netfilter), "", "Netfilter hook."),
];

/// Section names that only older loaders accept, tried after [`SECTION_DEFS`] finds nothing:
/// libbpf before 1.0 matched most types by plain prefix (`xdp_prog`, `sk_skb1`), knew the
/// `xdp_devmap/` and `xdp_cpumap/` spellings, and the old samples/bpf loader (`bpf_load.c`)
/// took the type from the start of the name whatever followed (`xdp1`, `cgroup/sock1`).
/// iproute2 takes the type from its command line (`tc ... bpf`, `ip link ... xdp`) and any
/// section name: its defaults `classifier` and `action` are in the main table, and other names
/// (`prog`, `ingress`) cannot be told apart, so they need `--type`.
// Rationale for `rustfmt::skip`: as for `SECTION_DEFS`.
#[rustfmt::skip]
pub static LEGACY_SECTION_DEFS: &[SectionDef] = &[
    def("xdp_devmap/", Slash, P::Xdp, Some(A::XdpDevmap), "", "XDP program run from a devmap entry, libbpf 0.x spelling."),
    def("xdp_cpumap/", Slash, P::Xdp, Some(A::XdpCpumap), "", "XDP program run from a cpumap entry, libbpf 0.x spelling."),
    def("xdp", Prefix, P::Xdp, None, "", "XDP program, any name starting with `xdp` (samples/bpf, libbpf 0.x)."),
    def("perf_event", Prefix, P::PerfEvent, None, "", "Perf event program, old prefix match."),
    def("cgroup/skb", Prefix, P::CgroupSkb, None, "", "Cgroup skb filter, old prefix match."),
    def("cgroup_skb", Prefix, P::CgroupSkb, None, "", "Cgroup skb filter, old prefix match."),
    def("cgroup/sock", Prefix, P::CgroupSock, Some(A::CgroupInetSockCreate), "", "Cgroup socket program, old prefix match (the kernel defaults to sock_create)."),
    def("sockops", Prefix, P::SockOps, Some(A::CgroupSockOps), "", "Socket operations, old prefix match."),
    def("sk_skb", Prefix, P::SkSkb, None, "", "Sockmap skb program, old prefix match (`sk_skb1`)."),
    def("sk_msg", Prefix, P::SkMsg, Some(A::SkMsgVerdict), "", "Sockmap sendmsg verdict, old prefix match."),
    def("sk_reuseport", Prefix, P::SkReuseport, Some(A::SkReuseportSelect), "", "SO_REUSEPORT selection, old prefix match."),
    def("sk_lookup", Prefix, P::SkLookup, Some(A::SkLookup), "", "Socket lookup, libbpf 0.x `sk_lookup/` spelling."),
    def("classifier", Prefix, P::SchedCls, None, "", "TC classifier, old prefix match."),
    def("action", Prefix, P::SchedAct, None, "", "TC action, old prefix match."),
    def("lwt_in", Prefix, P::LwtIn, None, "", "Lightweight tunnel input, old prefix match."),
    def("lwt_out", Prefix, P::LwtOut, None, "", "Lightweight tunnel output, old prefix match."),
    def("lwt_xmit", Prefix, P::LwtXmit, None, "", "Lightweight tunnel transmit, old prefix match."),
    def("lwt_seg6local", Prefix, P::LwtSeg6local, None, "", "SRv6 local action, old prefix match."),
    def("flow_dissector", Prefix, P::FlowDissector, Some(A::FlowDissector), "", "Flow dissector, old prefix match."),
    def("lirc_mode2", Prefix, P::LircMode2, Some(A::LircMode2), "", "Infrared decoder, old prefix match."),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn ty(section: &str) -> Option<(ProgType, Option<AttachType>)> {
        lookup(section).map(|d| (d.prog_type, d.attach_type))
    }

    #[test]
    fn libbpf_conventions() {
        assert_eq!(ty("xdp"), Some((P::Xdp, Some(A::Xdp))));
        assert_eq!(ty("xdp.frags"), Some((P::Xdp, Some(A::Xdp))));
        assert!(lookup("xdp.frags").unwrap().xdp_frags);
        assert_eq!(ty("xdp/devmap"), Some((P::Xdp, Some(A::XdpDevmap))));
        assert_eq!(ty("tc"), Some((P::SchedCls, None)));
        assert_eq!(ty("tcx/ingress"), Some((P::SchedCls, Some(A::TcxIngress))));
        assert_eq!(ty("classifier"), Some((P::SchedCls, None)));
        assert_eq!(ty("action"), Some((P::SchedAct, None)));
        assert_eq!(ty("socket"), Some((P::SocketFilter, None)));
        // libbpf loads `socket/N`, and the old samples loader any name starting with `socket`.
        assert_eq!(ty("socket/0"), Some((P::SocketFilter, None)));
        assert_eq!(ty("socket1"), Some((P::SocketFilter, None)));
        assert_eq!(ty("kprobe/do_unlinkat"), Some((P::Kprobe, None)));
        assert_eq!(ty("kretprobe/do_unlinkat"), Some((P::Kprobe, None)));
        assert_eq!(ty("uprobe//bin/bash:readline"), Some((P::Kprobe, None)));
        assert_eq!(ty("ksyscall/openat"), Some((P::Kprobe, None)));
        assert_eq!(
            ty("tracepoint/syscalls/sys_enter_openat"),
            Some((P::Tracepoint, None))
        );
        assert_eq!(ty("tp/sched/sched_switch"), Some((P::Tracepoint, None)));
        assert_eq!(
            ty("tp_btf/sched_switch"),
            Some((P::Tracing, Some(A::TraceRawTp)))
        );
        assert_eq!(ty("raw_tp/sched_switch"), Some((P::RawTracepoint, None)));
        assert_eq!(
            ty("raw_tracepoint.w/foo"),
            Some((P::RawTracepointWritable, None))
        );
        assert_eq!(
            ty("fentry/do_unlinkat"),
            Some((P::Tracing, Some(A::TraceFentry)))
        );
        assert_eq!(
            ty("fexit/do_unlinkat"),
            Some((P::Tracing, Some(A::TraceFexit)))
        );
        assert_eq!(ty("fmod_ret/x"), Some((P::Tracing, Some(A::ModifyReturn))));
        assert_eq!(ty("lsm/file_open"), Some((P::Lsm, Some(A::LsmMac))));
        assert!(lookup("lsm.s/file_open").unwrap().sleepable);
        assert_eq!(ty("iter/task"), Some((P::Tracing, Some(A::TraceIter))));
        assert_eq!(ty("struct_ops/init"), Some((P::StructOps, None)));
        assert_eq!(
            ty("cgroup_skb/ingress"),
            Some((P::CgroupSkb, Some(A::CgroupInetIngress)))
        );
        assert_eq!(ty("cgroup/skb"), Some((P::CgroupSkb, None)));
        assert_eq!(
            ty("cgroup/sock"),
            Some((P::CgroupSock, Some(A::CgroupInetSockCreate)))
        );
        assert_eq!(
            ty("cgroup/connect6"),
            Some((P::CgroupSockAddr, Some(A::CgroupInet6Connect)))
        );
        assert_eq!(
            ty("cgroup/sysctl"),
            Some((P::CgroupSysctl, Some(A::CgroupSysctl)))
        );
        assert_eq!(
            ty("cgroup/dev"),
            Some((P::CgroupDevice, Some(A::CgroupDevice)))
        );
        assert_eq!(ty("sk_msg"), Some((P::SkMsg, Some(A::SkMsgVerdict))));
        assert_eq!(
            ty("sk_skb/stream_parser"),
            Some((P::SkSkb, Some(A::SkSkbStreamParser)))
        );
        assert_eq!(ty("sk_skb"), Some((P::SkSkb, None)));
        assert_eq!(ty("sockops"), Some((P::SockOps, Some(A::CgroupSockOps))));
        assert_eq!(ty("perf_event"), Some((P::PerfEvent, None)));
        assert_eq!(
            ty("flow_dissector"),
            Some((P::FlowDissector, Some(A::FlowDissector)))
        );
        assert_eq!(ty("sk_lookup"), Some((P::SkLookup, Some(A::SkLookup))));
        assert_eq!(ty("lwt_seg6local"), Some((P::LwtSeg6local, None)));
        assert_eq!(
            ty("sk_reuseport"),
            Some((P::SkReuseport, Some(A::SkReuseportSelect)))
        );
        assert_eq!(ty("syscall"), Some((P::Syscall, None)));
        assert_eq!(ty("netfilter"), Some((P::Netfilter, Some(A::Netfilter))));
    }

    #[test]
    fn near_misses_do_not_match() {
        assert_eq!(ty(".text"), None);
        assert_eq!(ty(""), None);
        assert_eq!(ty("?"), None);
        assert_eq!(ty("prog"), None);
        assert_eq!(ty("ingress"), None);
        assert_eq!(ty("my/custom"), None);
        // Old loaders wanted `kprobe/` too.
        assert_eq!(ty("kprobex"), None);
    }

    #[test]
    fn question_mark_keeps_the_type() {
        // libbpf: `SEC("?name")` is `name`, loaded only on request.
        assert_eq!(ty("?raw_tp"), Some((P::RawTracepoint, None)));
        assert_eq!(
            ty("?tp_btf/task_newtask"),
            Some((P::Tracing, Some(A::TraceRawTp)))
        );
        assert_eq!(ty("?xdp"), Some((P::Xdp, Some(A::Xdp))));
        assert!(lookup("?fentry.s/x").unwrap().sleepable);
        assert_eq!(ty("??xdp"), None);
    }

    #[test]
    fn older_loaders_names() {
        // samples/bpf's bpf_load.c and libbpf 0.x's prefix matching.
        assert_eq!(ty("xdp1"), Some((P::Xdp, None)));
        assert_eq!(ty("xdp_redirect_map"), Some((P::Xdp, None)));
        assert_eq!(ty("xdpfoo"), Some((P::Xdp, None)));
        assert_eq!(ty("xdp_devmap/x"), Some((P::Xdp, Some(A::XdpDevmap))));
        assert_eq!(ty("xdp_cpumap/x"), Some((P::Xdp, Some(A::XdpCpumap))));
        assert_eq!(ty("sk_skb1"), Some((P::SkSkb, None)));
        assert_eq!(ty("sk_msg1"), Some((P::SkMsg, Some(A::SkMsgVerdict))));
        assert_eq!(
            ty("cgroup/sock1"),
            Some((P::CgroupSock, Some(A::CgroupInetSockCreate)))
        );
        assert_eq!(ty("sockops1"), Some((P::SockOps, Some(A::CgroupSockOps))));
        assert_eq!(ty("perf_event1"), Some((P::PerfEvent, None)));
        assert_eq!(ty("classifier_ingress"), Some((P::SchedCls, None)));
        assert_eq!(ty("action_mirred"), Some((P::SchedAct, None)));
        assert_eq!(ty("lwt_xmit_test"), Some((P::LwtXmit, None)));
        assert_eq!(ty("sk_lookup/x"), Some((P::SkLookup, Some(A::SkLookup))));
        // Current names still win over the legacy prefixes.
        assert_eq!(ty("xdp.frags"), Some((P::Xdp, Some(A::Xdp))));
        assert_eq!(
            ty("sk_skb/stream_parser"),
            Some((P::SkSkb, Some(A::SkSkbStreamParser)))
        );
    }

    #[test]
    fn names_round_trip() {
        for &t in ProgType::ALL {
            assert_eq!(ProgType::from_raw(t.raw()), Some(t));
            assert_eq!(ProgType::from_name(t.name()), Some(t));
        }
        for &t in AttachType::ALL {
            assert_eq!(AttachType::from_raw(t.raw()), Some(t));
            assert_eq!(AttachType::from_name(t.name()), Some(t));
        }
        assert_eq!(ProgType::from_raw(0), None);
        assert_eq!(ProgType::Xdp.raw(), 6);
        assert_eq!(AttachType::Xdp.raw(), 37);
    }

    #[test]
    fn every_entry_matches_its_own_prefix_first_or_is_shadowed_on_purpose() {
        for d in SECTION_DEFS.iter().chain(LEGACY_SECTION_DEFS) {
            let probe = if d.matching == SecMatch::Slash {
                format!("{}x", d.prefix)
            } else {
                d.prefix.to_string()
            };
            assert_eq!(
                lookup(&probe).map(|it| it.prefix),
                Some(d.prefix),
                "{}",
                d.prefix
            );
        }
    }
}
