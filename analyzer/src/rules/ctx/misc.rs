//! The remaining field-listed contexts: `struct xdp_md`, `bpf_sysctl`, `bpf_cgroup_dev_ctx`,
//! `bpf_sockopt`, `bpf_perf_event_data` (x86-64), `bpf_nf_ctx` and the lirc sample.

use super::super::sizes::{ANY, DW, W};
use super::super::CtxField;
use super::f;
use crate::prog_type::AttachType as A;
use crate::verifier::ptr_kind::PtrKind;

/// `struct xdp_md` (`xdp_is_valid_access`): u32 loads only, no stores; `egress_ifindex` only
/// for devmap programs.
#[rustfmt::skip]
pub(in super::super) const XDP_MD: &[CtxField] = &[
    f("data", 0, 4).rd(W).ptr(PtrKind::Packet),
    f("data_end", 4, 4).rd(W).ptr(PtrKind::PacketEnd),
    f("data_meta", 8, 4).rd(W).ptr(PtrKind::PacketMeta),
    f("ingress_ifindex", 12, 4).rd(W),
    f("rx_queue_index", 16, 4).rd(W),
    f("egress_ifindex", 20, 4).rd(W).only(&[A::XdpDevmap]),
];

/// `struct bpf_sysctl` (`sysctl_is_valid_access`).
#[rustfmt::skip]
pub(in super::super) const BPF_SYSCTL: &[CtxField] = &[
    f("write", 0, 4),
    f("file_pos", 4, 4).wr(W),
];

/// `struct bpf_cgroup_dev_ctx` (`cgroup_dev_is_valid_access`): read only.
#[rustfmt::skip]
pub(in super::super) const BPF_CGROUP_DEV_CTX: &[CtxField] = &[
    f("access_type", 0, 4),
    f("major", 4, 4).rd(W),
    f("minor", 8, 4).rd(W),
];

/// `struct bpf_sockopt` (`cg_sockopt_is_valid_access`): `optval`..`optval_end` is packet-like
/// memory the program may also write.
#[rustfmt::skip]
pub(in super::super) const BPF_SOCKOPT: &[CtxField] = &[
    f("sk", 0, 8).rd(DW).ptr(PtrKind::Socket),
    f("optval", 8, 8).rd(DW).ptr(PtrKind::Packet),
    f("optval_end", 16, 8).rd(DW).ptr(PtrKind::PacketEnd),
    f("level", 24, 4).rd(W).wr(W).wr_only(&[A::CgroupSetsockopt]),
    f("optname", 28, 4).rd(W).wr(W).wr_only(&[A::CgroupSetsockopt]),
    f("optlen", 32, 4).rd(W).wr(W),
    f("retval", 36, 4).rd(W).wr(W).only(&[A::CgroupGetsockopt]),
];

/// `struct bpf_perf_event_data` on x86-64 (`pe_prog_is_valid_access`): the 168-byte
/// `pt_regs` copy takes 8-byte loads only; `sample_period` and `addr` take narrow loads.
#[rustfmt::skip]
pub(in super::super) const BPF_PERF_EVENT_DATA: &[CtxField] = &[
    f("regs", 0, 168).rd(DW),
    f("sample_period", 168, 8).rd(ANY),
    f("addr", 176, 8).rd(ANY),
];

/// `struct bpf_nf_ctx` (`nf_is_valid_access`): two 8-byte BTF pointers (`nf_hook_state`,
/// `sk_buff`). The table says scalar; the load typing (`netfilter_ctx_ptr` in the verifier's
/// memory transfer) makes them trusted kernel pointers when the kernel's BTF is at hand.
#[rustfmt::skip]
pub(in super::super) const BPF_NF_CTX: &[CtxField] = &[
    f("state", 0, 8).rd(DW),
    f("skb", 8, 8).rd(DW),
];

/// The lirc_mode2 context: one u32 sample, read with a 4-byte load.
#[rustfmt::skip]
pub(in super::super) const LIRC_SAMPLE: &[CtxField] = &[
    f("sample", 0, 4).rd(W),
];
