//! Helpers 71 to 140 (Linux 4.18 to 5.9): lwt/seg6, lirc, cgroup ids and storage, socket
//! lookups and references, queue/stack maps, spin locks, sysctl, sk_storage, BPF ring buffers,
//! the first `skc_to_*` casts.

use super::super::map_type::*;
use super::super::{Arg, Groups as G, HelperSig, Ret};
use super::{
    any, d, v, ANY, B, BC, BP, BT, CTX, CURRENT_TASK_BEFORE_BASE, KEY, MEM, MEM_NULL, OUT, SIZE,
    SIZE0, TR,
};

const PEA: Arg = Arg::Map {
    types: &[PERF_EVENT_ARRAY],
};
const SOCKHASH_ARG: Arg = Arg::Map { types: &[SOCKHASH] };
const RINGBUF_ARG: Arg = Arg::Map { types: &[RINGBUF] };
const SK_STORAGE_ARG: Arg = Arg::Map {
    types: &[SK_STORAGE],
};
const SOCK: Arg = Arg::BtfSock;

/// The program types offering the socket-lookup helpers.
const LOOKUP: G = G::SK_LOOKUP;
/// `sk_storage_get/delete`: tc, cgroup_skb, cgroup_sock_addr, sock_ops, sk_msg, sockopt,
/// tracing/lsm, TCP congestion control struct_ops.
const SK_STORAGE_USERS: G = any(&[
    G::TC,
    G::CG_SKB,
    G::SOCK_ADDR,
    G::SOCK_OPS,
    G::SK_MSG,
    G::SOCKOPT,
    BT,
    G::STRUCT_OPS,
]);
/// The `skc_to_*` casts: networking types with CAP_PERFMON, and BTF tracing.
const SKC_TO: G = any(&[G::SK_BASE_PERFMON, BT]);

#[rustfmt::skip]
pub(in super::super) const ROWS: [HelperSig; 70] = [
    d(71, "msg_redirect_hash", &[CTX, SOCKHASH_ARG, KEY, ANY], Ret::Integer, G::SK_MSG, v(4, 18), "redirect the message to a sockhash socket"),
    d(72, "sk_redirect_hash", &[CTX, SOCKHASH_ARG, KEY, ANY], Ret::Integer, G::SK_SKB, v(4, 18), "redirect to a sockhash socket"),
    d(73, "lwt_push_encap", &[CTX, ANY, MEM, SIZE], Ret::Integer, any(&[G::LWT_IN, G::LWT_XMIT]), v(4, 18), "push an encapsulation header").pkt(),
    d(74, "lwt_seg6_store_bytes", &[CTX, ANY, MEM, SIZE], Ret::Integer, G::LWT_SEG6, v(4, 18), "write into the SRH").pkt(),
    d(75, "lwt_seg6_adjust_srh", &[CTX, ANY, ANY], Ret::Integer, G::LWT_SEG6, v(4, 18), "grow or shrink the SRH TLV area").pkt(),
    d(76, "lwt_seg6_action", &[CTX, ANY, MEM, SIZE], Ret::Integer, G::LWT_SEG6, v(4, 18), "apply a seg6local action").pkt(),
    d(77, "rc_repeat", &[CTX], Ret::Integer, G::LIRC, v(4, 18), "report a repeated IR key").gpl(),
    d(78, "rc_keydown", &[CTX, ANY, ANY, ANY], Ret::Integer, G::LIRC, v(4, 18), "report an IR key press").gpl(),
    d(79, "skb_cgroup_id", &[CTX], Ret::Integer, any(&[G::TC, G::CG_SKB]), v(4, 18), "cgroup v2 id of the packet's socket"),
    d(80, "get_current_cgroup_id", &[], Ret::Integer, CURRENT_TASK_BEFORE_BASE, v(4, 18), "cgroup v2 id of current"),
    d(81, "get_local_storage", &[Arg::Map { types: &[CGROUP_STORAGE, PERCPU_CGROUP_STORAGE] }, ANY], Ret::MapValue, any(&[G::CGROUP, G::LSM]), v(4, 19), "the cgroup local storage value"),
    d(82, "sk_select_reuseport", &[CTX, Arg::Map { types: &[REUSEPORT_SOCKARRAY, SOCKMAP, SOCKHASH] }, KEY, ANY], Ret::Integer, G::SK_REUSEPORT, v(4, 19), "pick the socket of a reuseport group"),
    d(83, "skb_ancestor_cgroup_id", &[CTX, ANY], Ret::Integer, any(&[G::TC, G::CG_SKB]), v(4, 19), "ancestor cgroup id of the packet's socket"),
    d(84, "sk_lookup_tcp", &[CTX, MEM, SIZE0, ANY, ANY], Ret::SocketOrNull, LOOKUP, v(4, 20), "find a full TCP socket; release it").acquire().pkt_ok(),
    d(85, "sk_lookup_udp", &[CTX, MEM, SIZE0, ANY, ANY], Ret::SocketOrNull, LOOKUP, v(4, 20), "find a UDP socket; release it").acquire().pkt_ok(),
    d(86, "sk_release", &[SOCK], Ret::Integer, any(&[LOOKUP, G::SK_LOOKUP_PROG]), v(4, 20), "release a socket reference").release(),
    d(87, "map_push_elem", &[Arg::Map { types: &[QUEUE, STACK, BLOOM_FILTER] }, Arg::MapValue { uninit: false }, ANY], Ret::Integer, B, v(4, 20), "push onto a queue, stack or bloom filter").pkt_ok(),
    d(88, "map_pop_elem", &[Arg::Map { types: &[QUEUE, STACK] }, Arg::MapValue { uninit: true }], Ret::Integer, B, v(4, 20), "pop from a queue or stack").pkt_ok(),
    d(89, "map_peek_elem", &[Arg::Map { types: &[QUEUE, STACK, BLOOM_FILTER] }, Arg::MapValue { uninit: true }], Ret::Integer, B, v(4, 20), "peek a queue/stack; test a bloom filter").pkt_ok(),
    d(90, "msg_push_data", &[CTX, ANY, ANY, ANY], Ret::Integer, G::SK_MSG, v(4, 20), "insert bytes into the message").pkt(),
    d(91, "msg_pop_data", &[CTX, ANY, ANY, ANY], Ret::Integer, G::SK_MSG, v(5, 0), "remove bytes from the message").pkt(),
    d(92, "rc_pointer_rel", &[CTX, ANY, ANY], Ret::Integer, G::LIRC, v(5, 0), "report relative pointer movement").gpl(),
    d(93, "spin_lock", &[Arg::SpinLock], Ret::Void, any(&[BC, G::LSM]), v(5, 1), "take the map value's spin lock"),
    d(94, "spin_unlock", &[Arg::SpinLock], Ret::Void, any(&[BC, G::LSM]), v(5, 1), "release the map value's spin lock"),
    d(95, "sk_fullsock", &[Arg::SockCommon], Ret::SocketOrNull, any(&[G::TC, G::CG_SKB]), v(5, 1), "the full socket, or NULL").cast(),
    d(96, "tcp_sock", &[Arg::SockCommon], Ret::TcpSockOrNull, any(&[G::TC, G::CG_SKB, G::SOCK_OPS, G::SOCKOPT]), v(5, 1), "the TCP socket, or NULL").cast(),
    d(97, "skb_ecn_set_ce", &[CTX], Ret::Integer, any(&[G::TC, G::CG_SKB]), v(5, 1), "mark ECN congestion experienced"),
    d(98, "get_listener_sock", &[Arg::SockCommon], Ret::SocketOrNull, any(&[G::TC, G::CG_SKB]), v(5, 1), "the listening socket, or NULL"),
    d(99, "skc_lookup_tcp", &[CTX, MEM, SIZE0, ANY, ANY], Ret::SockCommonOrNull, LOOKUP, v(5, 2), "find any TCP socket; release it").acquire().pkt_ok(),
    d(100, "tcp_check_syncookie", &[SOCK, MEM, SIZE, MEM, SIZE], Ret::Integer, any(&[G::TC, G::XDP]), v(5, 2), "validate a SYN cookie ACK").gpl().pkt_ok(),
    d(101, "sysctl_get_name", &[CTX, OUT, SIZE, ANY], Ret::Integer, G::SYSCTL, v(5, 2), "the sysctl's name"),
    d(102, "sysctl_get_current_value", &[CTX, OUT, SIZE], Ret::Integer, G::SYSCTL, v(5, 2), "the sysctl's current value"),
    d(103, "sysctl_get_new_value", &[CTX, OUT, SIZE], Ret::Integer, G::SYSCTL, v(5, 2), "the value being written"),
    d(104, "sysctl_set_new_value", &[CTX, MEM, SIZE], Ret::Integer, G::SYSCTL, v(5, 2), "override the value being written"),
    d(105, "strtol", &[MEM, SIZE, ANY, Arg::LongOut], Ret::Integer, B, v(5, 2), "parse a signed integer"),
    d(106, "strtoul", &[MEM, SIZE, ANY, Arg::LongOut], Ret::Integer, B, v(5, 2), "parse an unsigned integer"),
    d(107, "sk_storage_get", &[SK_STORAGE_ARG, SOCK, Arg::MapValueOrNull, ANY], Ret::MapValueOrNull, any(&[SK_STORAGE_USERS, G::CG_SOCK, G::LSM]), v(5, 2), "socket-local storage (cgroup_sock: the context)"),
    d(108, "sk_storage_delete", &[SK_STORAGE_ARG, SOCK], Ret::Integer, any(&[SK_STORAGE_USERS, G::LSM]), v(5, 2), "delete socket-local storage"),
    d(109, "send_signal", &[ANY], Ret::Integer, TR, v(5, 3), "signal the current process"),
    d(110, "tcp_gen_syncookie", &[SOCK, MEM, SIZE, MEM, SIZE], Ret::Integer, any(&[G::TC, G::XDP]), v(5, 3), "generate a SYN cookie").gpl().pkt_ok(),
    d(111, "skb_output", &[Arg::BtfId, PEA, ANY, MEM, SIZE0], Ret::Integer, BT, v(5, 5), "perf output with packet bytes from an sk_buff").gpl(),
    d(112, "probe_read_user", &[OUT, SIZE0, ANY], Ret::Integer, any(&[BP, TR]), v(5, 5), "read user memory safely").gpl(),
    d(113, "probe_read_kernel", &[OUT, SIZE0, ANY], Ret::Integer, any(&[BP, TR]), v(5, 5), "read kernel memory safely").gpl(),
    d(114, "probe_read_user_str", &[OUT, SIZE0, ANY], Ret::Integer, any(&[BP, TR]), v(5, 5), "read a user string safely").gpl(),
    d(115, "probe_read_kernel_str", &[OUT, SIZE0, ANY], Ret::Integer, any(&[BP, TR]), v(5, 5), "read a kernel string safely").gpl(),
    d(116, "tcp_send_ack", &[Arg::BtfId, ANY], Ret::Integer, G::STRUCT_OPS, v(5, 6), "send an ACK (TCP congestion control)"),
    d(117, "send_signal_thread", &[ANY], Ret::Integer, TR, v(5, 5), "signal the current thread"),
    d(118, "jiffies64", &[], Ret::Integer, any(&[BC, TR]), v(5, 5), "the 64-bit jiffies"),
    d(119, "read_branch_records", &[CTX, Arg::WritableMem { nullable: true }, SIZE0, ANY], Ret::Integer, G::PERF_EVENT, v(5, 6), "copy the sample's branch records").gpl(),
    d(120, "get_ns_current_pid_tgid", &[ANY, ANY, OUT, SIZE], Ret::Integer, TR, v(5, 6), "pid/tgid of current in a pid namespace"),
    d(121, "xdp_output", &[Arg::BtfId, PEA, ANY, MEM, SIZE0], Ret::Integer, BT, v(5, 6), "perf output with frame bytes from an xdp_buff").gpl(),
    d(122, "get_netns_cookie", &[Arg::CtxOrNull], Ret::Integer, any(&[G::SOCKET, G::TC, G::CG_SOCK, G::SOCK_ADDR, G::SOCK_OPS, G::SK_MSG, G::SOCKOPT]), v(5, 7), "the network namespace cookie"),
    d(123, "get_current_ancestor_cgroup_id", &[ANY], Ret::Integer, CURRENT_TASK_BEFORE_BASE, v(5, 7), "ancestor cgroup id of current"),
    d(124, "sk_assign", &[CTX, SOCK, ANY], Ret::Integer, any(&[G::TC, G::SK_LOOKUP_PROG]), v(5, 6), "steer the packet to a socket (sk_lookup: socket or NULL)"),
    d(125, "ktime_get_boot_ns", &[], Ret::Integer, B, v(5, 8), "boot time in ns, including suspend"),
    d(126, "seq_printf", &[Arg::BtfId, MEM, SIZE, MEM_NULL, SIZE0], Ret::Integer, BT, v(5, 7), "print to a seq_file (iterators only)").gpl(),
    d(127, "seq_write", &[Arg::BtfId, MEM, SIZE0], Ret::Integer, BT, v(5, 7), "write bytes to a seq_file (iterators only)").gpl(),
    d(128, "sk_cgroup_id", &[SOCK], Ret::Integer, G::CG_SKB, v(5, 7), "cgroup v2 id of a socket"),
    d(129, "sk_ancestor_cgroup_id", &[SOCK, ANY], Ret::Integer, G::CG_SKB, v(5, 7), "ancestor cgroup id of a socket"),
    d(130, "ringbuf_output", &[RINGBUF_ARG, MEM, SIZE0, ANY], Ret::Integer, B, v(5, 8), "copy a record into a ring buffer"),
    d(131, "ringbuf_reserve", &[RINGBUF_ARG, Arg::AllocSize, ANY], Ret::AllocMemOrNull, B, v(5, 8), "reserve ring buffer space; submit or discard it").acquire(),
    d(132, "ringbuf_submit", &[Arg::RingbufMem, ANY], Ret::Void, B, v(5, 8), "publish a reserved record").release(),
    d(133, "ringbuf_discard", &[Arg::RingbufMem, ANY], Ret::Void, B, v(5, 8), "drop a reserved record").release(),
    d(134, "ringbuf_query", &[RINGBUF_ARG, ANY], Ret::Integer, B, v(5, 8), "ring buffer statistics"),
    d(135, "csum_level", &[CTX, ANY], Ret::Integer, any(&[G::TC, G::LWT_XMIT]), v(5, 8), "adjust the checksum-unnecessary level"),
    d(136, "skc_to_tcp6_sock", &[SOCK], Ret::BtfIdOrNull, SKC_TO, v(5, 9), "cast to tcp6_sock, or NULL").cast(),
    d(137, "skc_to_tcp_sock", &[SOCK], Ret::BtfIdOrNull, SKC_TO, v(5, 9), "cast to tcp_sock, or NULL").cast(),
    d(138, "skc_to_tcp_timewait_sock", &[SOCK], Ret::BtfIdOrNull, SKC_TO, v(5, 9), "cast to tcp_timewait_sock, or NULL").cast(),
    d(139, "skc_to_tcp_request_sock", &[SOCK], Ret::BtfIdOrNull, SKC_TO, v(5, 9), "cast to tcp_request_sock, or NULL").cast(),
    d(140, "skc_to_udp6_sock", &[SOCK], Ret::BtfIdOrNull, SKC_TO, v(5, 9), "cast to udp6_sock, or NULL").cast(),
];
