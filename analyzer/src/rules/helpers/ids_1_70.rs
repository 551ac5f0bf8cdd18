//! Helpers 1 to 70 (Linux 3.18 to 4.18): maps, tracing basics, tc packet rewriting, redirects,
//! sockmap, sock_ops, sk_msg.
//!
//! Where a helper has several prototypes by program type (`perf_event_output`, `get_stackid`,
//! `get_cgroup_classid`, `get_socket_cookie`, ...), the row gives the common one; the argument
//! kinds agree for every variant unless the doc line says otherwise.

use super::super::map_type::*;
use super::super::{Arg, Groups as G, HelperSig, Ret};
use super::{
    any, d, v, ANY, B, BP, BT, CTX, CURRENT_TASK_BEFORE_BASE, KEY, MAP, MEM, MEM_NULL, OUT, RW,
    SIZE, SIZE0, TR,
};

const PEA: Arg = Arg::Map {
    types: &[PERF_EVENT_ARRAY],
};
const SOCKMAP_ARG: Arg = Arg::Map { types: &[SOCKMAP] };
const SOCKHASH_ARG: Arg = Arg::Map { types: &[SOCKHASH] };

/// tc and lwt_xmit: the packet-rewriting set both offer.
const TC_XMIT: G = any(&[G::TC, G::LWT_XMIT]);
/// Every program type with `perf_event_output` (all variants take the context first).
const PERF_OUT: G = any(&[
    TR,
    G::SKB,
    G::XDP,
    G::CG_SOCK,
    G::SOCK_ADDR,
    G::SOCK_OPS,
    G::SK_MSG,
    G::SK_LOOKUP_PROG,
]);

#[rustfmt::skip]
pub(in super::super) const ROWS: [HelperSig; 70] = [
    d(1, "map_lookup_elem", &[MAP, KEY], Ret::MapValueOrNull, B, v(3, 18), "look up a key; NULL when absent").pkt_ok(),
    d(2, "map_update_elem", &[MAP, KEY, Arg::MapValue { uninit: false }, ANY], Ret::Integer, B, v(3, 18), "insert or replace an element").pkt_ok(),
    d(3, "map_delete_elem", &[MAP, KEY], Ret::Integer, B, v(3, 18), "delete an element").pkt_ok(),
    d(4, "probe_read", &[OUT, SIZE0, ANY], Ret::Integer, TR, v(4, 1), "read kernel or user memory (legacy, x86-64 only)").gpl(),
    d(5, "ktime_get_ns", &[], Ret::Integer, B, v(4, 1), "monotonic time in ns"),
    d(6, "trace_printk", &[MEM, SIZE], Ret::Integer, any(&[BP, TR]), v(4, 1), "print to the trace pipe").gpl(),
    d(7, "get_prandom_u32", &[], Ret::Integer, B, v(4, 1), "a pseudo-random u32"),
    d(8, "get_smp_processor_id", &[], Ret::Integer, B, v(4, 1), "the current CPU"),
    d(9, "skb_store_bytes", &[CTX, ANY, MEM, SIZE, ANY], Ret::Integer, any(&[TC_XMIT, G::SK_SKB]), v(4, 1), "write bytes into the packet").pkt(),
    d(10, "l3_csum_replace", &[CTX, ANY, ANY, ANY, ANY], Ret::Integer, TC_XMIT, v(4, 1), "fix an L3 checksum incrementally").pkt(),
    d(11, "l4_csum_replace", &[CTX, ANY, ANY, ANY, ANY], Ret::Integer, TC_XMIT, v(4, 1), "fix an L4 checksum incrementally").pkt(),
    d(12, "tail_call", &[CTX, Arg::Map { types: &[PROG_ARRAY] }, ANY], Ret::Void, B, v(4, 2), "jump to another program; returns only on failure").pkt(),
    d(13, "clone_redirect", &[CTX, ANY, ANY], Ret::Integer, TC_XMIT, v(4, 2), "clone the packet and redirect the clone").pkt(),
    d(14, "get_current_pid_tgid", &[], Ret::Integer, CURRENT_TASK_BEFORE_BASE, v(4, 2), "tgid << 32 | pid of current"),
    d(15, "get_current_uid_gid", &[], Ret::Integer, any(&[TR, G::CGROUP_CURRENT]), v(4, 2), "gid << 32 | uid of current"),
    d(16, "get_current_comm", &[OUT, SIZE], Ret::Integer, any(&[TR, G::CGROUP_CURRENT]), v(4, 2), "the current task's comm"),
    d(17, "get_cgroup_classid", &[CTX], Ret::Integer, any(&[G::TC, G::LWT, G::CGROUP_CURRENT]), v(4, 3), "net_cls classid (cgroup types: no argument)"),
    d(18, "skb_vlan_push", &[CTX, ANY, ANY], Ret::Integer, G::TC, v(4, 3), "push a VLAN tag").pkt(),
    d(19, "skb_vlan_pop", &[CTX], Ret::Integer, G::TC, v(4, 3), "pop the VLAN tag").pkt(),
    d(20, "skb_get_tunnel_key", &[CTX, OUT, SIZE, ANY], Ret::Integer, TC_XMIT, v(4, 3), "read the tunnel metadata"),
    d(21, "skb_set_tunnel_key", &[CTX, MEM, SIZE, ANY], Ret::Integer, TC_XMIT, v(4, 3), "set the tunnel metadata"),
    d(22, "perf_event_read", &[PEA, ANY], Ret::Integer, TR, v(4, 3), "read a perf counter").gpl(),
    d(23, "redirect", &[ANY, ANY], Ret::Integer, any(&[G::TC, G::XDP, G::LWT_XMIT]), v(4, 4), "redirect to an interface by ifindex"),
    d(24, "get_route_realm", &[CTX], Ret::Integer, any(&[G::TC, G::LWT]), v(4, 4), "the route's realm (tclassid)"),
    d(25, "perf_event_output", &[CTX, PEA, ANY, MEM, SIZE0], Ret::Integer, PERF_OUT, v(4, 4), "send a record to a perf event array").gpl(),
    d(26, "skb_load_bytes", &[CTX, ANY, OUT, SIZE], Ret::Integer, any(&[G::SKB, G::FLOW_DISSECTOR, G::SK_REUSEPORT]), v(4, 5), "copy packet bytes out"),
    d(27, "get_stackid", &[CTX, Arg::Map { types: &[STACK_TRACE] }, ANY], Ret::Integer, TR, v(4, 6), "record the stack in a stack trace map").gpl(),
    d(28, "csum_diff", &[MEM_NULL, SIZE0, MEM_NULL, SIZE0, ANY], Ret::Integer, any(&[G::TC, G::XDP, G::LWT]), v(4, 6), "checksum difference of two buffers").pkt_ok(),
    d(29, "skb_get_tunnel_opt", &[CTX, OUT, SIZE], Ret::Integer, TC_XMIT, v(4, 6), "read the tunnel options"),
    d(30, "skb_set_tunnel_opt", &[CTX, MEM, SIZE], Ret::Integer, TC_XMIT, v(4, 6), "set the tunnel options"),
    d(31, "skb_change_proto", &[CTX, ANY, ANY], Ret::Integer, G::TC, v(4, 8), "switch between IPv4 and IPv6").pkt(),
    d(32, "skb_change_type", &[CTX, ANY], Ret::Integer, G::TC, v(4, 8), "change the packet type"),
    d(33, "skb_under_cgroup", &[CTX, Arg::Map { types: &[CGROUP_ARRAY] }, ANY], Ret::Integer, any(&[G::TC, G::LWT]), v(4, 8), "whether the packet's socket is in a cgroup"),
    d(34, "get_hash_recalc", &[CTX], Ret::Integer, any(&[G::TC, G::LWT]), v(4, 8), "the packet hash, recomputed if needed"),
    d(35, "get_current_task", &[], Ret::Integer, any(&[BP, TR]), v(4, 8), "the current task_struct as a number").gpl(),
    d(36, "probe_write_user", &[ANY, MEM, SIZE], Ret::Integer, TR, v(4, 8), "write user memory of current").gpl(),
    d(37, "current_task_under_cgroup", &[Arg::Map { types: &[CGROUP_ARRAY] }, ANY], Ret::Integer, TR, v(4, 9), "whether current is in a cgroup"),
    d(38, "skb_change_tail", &[CTX, ANY, ANY], Ret::Integer, any(&[TC_XMIT, G::SK_SKB]), v(4, 9), "grow or trim the packet").pkt(),
    d(39, "skb_pull_data", &[CTX, ANY], Ret::Integer, any(&[G::TC, G::LWT, G::SK_SKB]), v(4, 9), "make bytes directly accessible").pkt(),
    d(40, "csum_update", &[CTX, ANY], Ret::Integer, TC_XMIT, v(4, 9), "add to the checksum-complete value"),
    d(41, "set_hash_invalid", &[CTX], Ret::Integer, TC_XMIT, v(4, 9), "invalidate the packet hash"),
    d(42, "get_numa_node_id", &[], Ret::Integer, B, v(4, 10), "the current NUMA node"),
    d(43, "skb_change_head", &[CTX, ANY, ANY], Ret::Integer, any(&[TC_XMIT, G::SK_SKB]), v(4, 10), "grow headroom").pkt(),
    d(44, "xdp_adjust_head", &[CTX, ANY], Ret::Integer, G::XDP, v(4, 10), "move data by a delta").pkt(),
    d(45, "probe_read_str", &[OUT, SIZE0, ANY], Ret::Integer, TR, v(4, 11), "read a string (legacy, x86-64 only)").gpl(),
    d(46, "get_socket_cookie", &[CTX], Ret::Integer, any(&[G::SOCKET, G::TC, G::SK_SKB, G::CG_SOCK, G::SOCK_ADDR, G::SOCK_OPS, G::SK_REUSEPORT, BT]), v(4, 12), "the socket cookie (tracing, sk_reuseport: a socket pointer)"),
    d(47, "get_socket_uid", &[CTX], Ret::Integer, any(&[G::SOCKET, G::TC, G::SK_SKB]), v(4, 12), "the owner uid of the packet's socket"),
    d(48, "set_hash", &[CTX, ANY], Ret::Integer, G::TC, v(4, 13), "set the packet hash"),
    d(49, "setsockopt", &[CTX, ANY, ANY, MEM, SIZE], Ret::Integer, any(&[G::SOCK_OPS, G::SOCK_ADDR, G::SOCKOPT, G::STRUCT_OPS]), v(4, 13), "set a socket option"),
    d(50, "skb_adjust_room", &[CTX, ANY, ANY, ANY], Ret::Integer, any(&[G::TC, G::SK_SKB]), v(4, 13), "grow or shrink room at L2 or L3").pkt(),
    d(51, "redirect_map", &[Arg::Map { types: &[DEVMAP, DEVMAP_HASH, CPUMAP, XSKMAP] }, ANY, ANY], Ret::Integer, G::XDP, v(4, 14), "redirect to a map entry"),
    d(52, "sk_redirect_map", &[CTX, SOCKMAP_ARG, ANY, ANY], Ret::Integer, G::SK_SKB, v(4, 14), "redirect to a sockmap socket"),
    d(53, "sock_map_update", &[CTX, SOCKMAP_ARG, KEY, ANY], Ret::Integer, G::SOCK_OPS, v(4, 14), "add the socket to a sockmap"),
    d(54, "xdp_adjust_meta", &[CTX, ANY], Ret::Integer, G::XDP, v(4, 15), "move data_meta by a delta").pkt(),
    d(55, "perf_event_read_value", &[PEA, ANY, OUT, SIZE], Ret::Integer, TR, v(4, 15), "read a perf counter with times").gpl(),
    d(56, "perf_prog_read_value", &[CTX, OUT, SIZE], Ret::Integer, G::PERF_EVENT, v(4, 15), "read the program's perf counter").gpl(),
    d(57, "getsockopt", &[CTX, ANY, ANY, OUT, SIZE], Ret::Integer, any(&[G::SOCK_OPS, G::SOCK_ADDR, G::SOCKOPT, G::STRUCT_OPS]), v(4, 15), "read a socket option"),
    d(58, "override_return", &[CTX, ANY], Ret::Integer, G::KPROBE, v(4, 16), "make the probed function return a value").gpl(),
    d(59, "sock_ops_cb_flags_set", &[CTX, ANY], Ret::Integer, G::SOCK_OPS, v(4, 16), "choose which sock_ops callbacks run"),
    d(60, "msg_redirect_map", &[CTX, SOCKMAP_ARG, ANY, ANY], Ret::Integer, G::SK_MSG, v(4, 17), "redirect the message to a sockmap socket"),
    d(61, "msg_apply_bytes", &[CTX, ANY], Ret::Integer, G::SK_MSG, v(4, 17), "apply the verdict to the next n bytes"),
    d(62, "msg_cork_bytes", &[CTX, ANY], Ret::Integer, G::SK_MSG, v(4, 17), "wait for n bytes before running again"),
    d(63, "msg_pull_data", &[CTX, ANY, ANY, ANY], Ret::Integer, G::SK_MSG, v(4, 17), "make message bytes directly accessible").pkt(),
    d(64, "bind", &[CTX, MEM, SIZE], Ret::Integer, G::SOCK_ADDR, v(4, 17), "bind the socket (connect hooks only)"),
    d(65, "xdp_adjust_tail", &[CTX, ANY], Ret::Integer, G::XDP, v(4, 18), "move data_end by a delta").pkt(),
    d(66, "skb_get_xfrm_state", &[CTX, ANY, OUT, SIZE, ANY], Ret::Integer, G::TC, v(4, 18), "read an XFRM state"),
    d(67, "get_stack", &[CTX, OUT, SIZE0, ANY], Ret::Integer, TR, v(4, 18), "copy the stack into a buffer").gpl(),
    d(68, "skb_load_bytes_relative", &[CTX, ANY, OUT, SIZE, ANY], Ret::Integer, any(&[G::SOCKET, G::TC, G::SK_REUSEPORT]), v(4, 18), "copy bytes relative to a header"),
    d(69, "fib_lookup", &[CTX, RW, SIZE, ANY], Ret::Integer, any(&[G::TC, G::XDP]), v(4, 18), "FIB lookup; results written into params").gpl(),
    d(70, "sock_hash_update", &[CTX, SOCKHASH_ARG, KEY, ANY], Ret::Integer, G::SOCK_OPS, v(4, 18), "add the socket to a sockhash"),
];
