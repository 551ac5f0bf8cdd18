//! Socket contexts: `struct bpf_sock` (cgroup_sock), `bpf_sock_addr` (cgroup_sock_addr),
//! `bpf_sock_ops`, `sk_msg_md`, `bpf_sk_lookup` and `sk_reuseport_md`.

use super::super::sizes::{ANY, DW, H_W, NARROW, W, W_DW};
use super::super::CtxField;
use super::f;
use crate::prog_type::AttachType as A;
use crate::verifier::ptr_kind::PtrKind;

const SOCK_CREATE_RELEASE: &[A] = &[A::CgroupInetSockCreate, A::CgroupInetSockRelease];
const POST_BIND4: &[A] = &[A::CgroupInet4PostBind];
const POST_BIND6: &[A] = &[A::CgroupInet6PostBind];
const POST_BIND: &[A] = &[A::CgroupInet4PostBind, A::CgroupInet6PostBind];

/// `struct bpf_sock` as the context of cgroup_sock (`sock_filter_is_valid_access`).
#[rustfmt::skip]
pub(in super::super) const BPF_SOCK: &[CtxField] = &[
    f("bound_dev_if", 0, 4).rd(W).wr(W).only(SOCK_CREATE_RELEASE),
    f("family", 4, 4),
    f("type", 8, 4),
    f("protocol", 12, 4),
    f("mark", 16, 4).rd(W).wr(W).only(SOCK_CREATE_RELEASE),
    f("priority", 20, 4).rd(W).wr(W).only(SOCK_CREATE_RELEASE),
    f("src_ip4", 24, 4).only(POST_BIND4),
    f("src_ip6", 28, 16).only(POST_BIND6),
    f("src_port", 44, 4).only(POST_BIND),
    f("dst_port", 48, 4),
    f("dst_ip4", 52, 4),
    f("dst_ip6", 56, 16),
    f("state", 72, 4),
    f("rx_queue_mapping", 76, 4),
];

const INET4_ADDR: &[A] = &[
    A::CgroupInet4Bind,
    A::CgroupInet4Connect,
    A::CgroupInet4Getpeername,
    A::CgroupInet4Getsockname,
    A::CgroupUdp4Sendmsg,
    A::CgroupUdp4Recvmsg,
];
const INET6_ADDR: &[A] = &[
    A::CgroupInet6Bind,
    A::CgroupInet6Connect,
    A::CgroupInet6Getpeername,
    A::CgroupInet6Getsockname,
    A::CgroupUdp6Sendmsg,
    A::CgroupUdp6Recvmsg,
];

/// `struct bpf_sock_addr` (`sock_addr_is_valid_access`): address fields exist only for the
/// hooks of their family; the IPv6 arrays also take 8-byte loads and stores.
#[rustfmt::skip]
pub(in super::super) const BPF_SOCK_ADDR: &[CtxField] = &[
    f("user_family", 0, 4).rd(W),
    f("user_ip4", 4, 4).wr(W).only(INET4_ADDR),
    f("user_ip6", 8, 16).rd(ANY).wr(W_DW).only(INET6_ADDR),
    f("user_port", 24, 4).wr(W),
    f("family", 28, 4).rd(W),
    f("type", 32, 4).rd(W),
    f("protocol", 36, 4).rd(W),
    f("msg_src_ip4", 40, 4).wr(W).only(&[A::CgroupUdp4Sendmsg]),
    f("msg_src_ip6", 44, 16).rd(ANY).wr(W_DW).only(&[A::CgroupUdp6Sendmsg]),
    f("sk", 64, 8).rd(DW).ptr(PtrKind::Socket),
];

/// `struct bpf_sock_ops` (`sock_ops_is_valid_access`): u32 loads only (except the u64 and
/// pointer fields and `skb_tcp_flags`); stores to `reply` and `sk_txhash`.
#[rustfmt::skip]
pub(in super::super) const BPF_SOCK_OPS: &[CtxField] = &[
    f("op", 0, 4).rd(W),
    f("reply", 4, 4).rd(W).wr(W),
    f("args", 8, 12).rd(W),
    f("family", 20, 4).rd(W),
    f("remote_ip4", 24, 4).rd(W),
    f("local_ip4", 28, 4).rd(W),
    f("remote_ip6", 32, 16).rd(W),
    f("local_ip6", 48, 16).rd(W),
    f("remote_port", 64, 4).rd(W),
    f("local_port", 68, 4).rd(W),
    f("is_fullsock", 72, 4).rd(W),
    f("snd_cwnd", 76, 4).rd(W),
    f("srtt_us", 80, 4).rd(W),
    f("bpf_sock_ops_cb_flags", 84, 4).rd(W),
    f("state", 88, 4).rd(W),
    f("rtt_min", 92, 4).rd(W),
    f("snd_ssthresh", 96, 4).rd(W),
    f("rcv_nxt", 100, 4).rd(W),
    f("snd_nxt", 104, 4).rd(W),
    f("snd_una", 108, 4).rd(W),
    f("mss_cache", 112, 4).rd(W),
    f("ecn_flags", 116, 4).rd(W),
    f("rate_delivered", 120, 4).rd(W),
    f("rate_interval_us", 124, 4).rd(W),
    f("packets_out", 128, 4).rd(W),
    f("retrans_out", 132, 4).rd(W),
    f("total_retrans", 136, 4).rd(W),
    f("segs_in", 140, 4).rd(W),
    f("data_segs_in", 144, 4).rd(W),
    f("segs_out", 148, 4).rd(W),
    f("data_segs_out", 152, 4).rd(W),
    f("lost_out", 156, 4).rd(W),
    f("sacked_out", 160, 4).rd(W),
    f("sk_txhash", 164, 4).rd(W).wr(W),
    f("bytes_received", 168, 8).rd(DW),
    f("bytes_acked", 176, 8).rd(DW),
    f("sk", 184, 8).rd(DW).ptr_or_null(PtrKind::Socket),
    f("skb_data", 192, 8).rd(DW).ptr(PtrKind::Packet),
    f("skb_data_end", 200, 8).rd(DW).ptr(PtrKind::PacketEnd),
    f("skb_len", 208, 4).rd(W),
    f("skb_tcp_flags", 212, 4).rd(NARROW),
    f("skb_hwtstamp", 216, 8).rd(DW),
];

/// `struct sk_msg_md` (`sk_msg_is_valid_access`): read only, exact sizes.
#[rustfmt::skip]
pub(in super::super) const SK_MSG_MD: &[CtxField] = &[
    f("data", 0, 8).rd(DW).ptr(PtrKind::Packet),
    f("data_end", 8, 8).rd(DW).ptr(PtrKind::PacketEnd),
    f("family", 16, 4).rd(W),
    f("remote_ip4", 20, 4).rd(W),
    f("local_ip4", 24, 4).rd(W),
    f("remote_ip6", 28, 16).rd(W),
    f("local_ip6", 44, 16).rd(W),
    f("remote_port", 60, 4).rd(W),
    f("local_port", 64, 4).rd(W),
    f("size", 68, 4).rd(W),
    f("sk", 72, 8).rd(DW).ptr(PtrKind::Socket),
];

/// `struct bpf_sk_lookup` (`sk_lookup_is_valid_access`): read only; `remote_port` is a be16
/// followed by zero padding, both narrow-readable, and a u32 load at its offset is allowed.
#[rustfmt::skip]
pub(in super::super) const BPF_SK_LOOKUP: &[CtxField] = &[
    f("sk", 0, 8).rd(DW).ptr_or_null(PtrKind::Socket),
    f("family", 8, 4),
    f("protocol", 12, 4),
    f("remote_ip4", 16, 4),
    f("remote_ip6", 20, 16),
    f("remote_port", 36, 4),
    f("local_ip4", 40, 4),
    f("local_ip6", 44, 16),
    f("local_port", 60, 4),
    f("ingress_ifindex", 64, 4),
];

/// `struct sk_reuseport_md` (`sk_reuseport_is_valid_access`): read only.
#[rustfmt::skip]
pub(in super::super) const SK_REUSEPORT_MD: &[CtxField] = &[
    f("data", 0, 8).rd(DW).ptr(PtrKind::Packet),
    f("data_end", 8, 8).rd(DW).ptr(PtrKind::PacketEnd),
    f("len", 16, 4),
    f("eth_protocol", 20, 4).rd(H_W),
    f("ip_protocol", 24, 4),
    f("bind_inany", 28, 4),
    f("hash", 32, 4).rd(W),
    f("sk", 40, 8).rd(DW).ptr(PtrKind::Socket),
    f("migrating_sk", 48, 8).rd(DW).ptr_or_null(PtrKind::SockCommon),
];
