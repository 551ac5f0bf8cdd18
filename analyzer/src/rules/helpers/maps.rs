//! The map-type side of the kernel's `check_map_func_compatibility`: map types that may only
//! be passed to certain helpers. Map types without a row (hash, array, LRU, LPM, ...) may be
//! passed to any helper taking a map. The helper side (a helper that only takes certain map
//! types) is the helper's `Arg::Map { types }`; the verifier checks both.

use super::super::map_type::*;
use super::super::MapHelpers;

// `BPF_FUNC_*` ids used below.
const MAP_LOOKUP_ELEM: u32 = 1;
const MAP_UPDATE_ELEM: u32 = 2;
const MAP_DELETE_ELEM: u32 = 3;
const TAIL_CALL: u32 = 12;
const PERF_EVENT_READ: u32 = 22;
const PERF_EVENT_OUTPUT: u32 = 25;
const GET_STACKID: u32 = 27;
const SKB_UNDER_CGROUP: u32 = 33;
const CURRENT_TASK_UNDER_CGROUP: u32 = 37;
const REDIRECT_MAP: u32 = 51;
const SK_REDIRECT_MAP: u32 = 52;
const SOCK_MAP_UPDATE: u32 = 53;
const PERF_EVENT_READ_VALUE: u32 = 55;
const MSG_REDIRECT_MAP: u32 = 60;
const SOCK_HASH_UPDATE: u32 = 70;
const MSG_REDIRECT_HASH: u32 = 71;
const SK_REDIRECT_HASH: u32 = 72;
const GET_LOCAL_STORAGE: u32 = 81;
const SK_SELECT_REUSEPORT: u32 = 82;
const MAP_PUSH_ELEM: u32 = 87;
const MAP_POP_ELEM: u32 = 88;
const MAP_PEEK_ELEM: u32 = 89;
const SK_STORAGE_GET: u32 = 107;
const SK_STORAGE_DELETE: u32 = 108;
const SKB_OUTPUT: u32 = 111;
const XDP_OUTPUT: u32 = 121;
const RINGBUF_OUTPUT: u32 = 130;
const RINGBUF_RESERVE: u32 = 131;
const RINGBUF_QUERY: u32 = 134;
const INODE_STORAGE_GET: u32 = 145;
const INODE_STORAGE_DELETE: u32 = 146;
const TASK_STORAGE_GET: u32 = 156;
const TASK_STORAGE_DELETE: u32 = 157;
const KPTR_XCHG: u32 = 194;
const RINGBUF_RESERVE_DYNPTR: u32 = 198;
const RINGBUF_SUBMIT_DYNPTR: u32 = 199;
const RINGBUF_DISCARD_DYNPTR: u32 = 200;
const USER_RINGBUF_DRAIN: u32 = 209;
const CGRP_STORAGE_GET: u32 = 210;
const CGRP_STORAGE_DELETE: u32 = 211;

/// Map types restricted to some helpers, sorted by map type.
#[rustfmt::skip]
pub static MAP_ALLOWED_HELPERS: &[MapHelpers] = &[
    MapHelpers { map_type: PROG_ARRAY, helpers: &[TAIL_CALL], doc: "only tail calls" },
    MapHelpers { map_type: PERF_EVENT_ARRAY, helpers: &[PERF_EVENT_READ, PERF_EVENT_OUTPUT, PERF_EVENT_READ_VALUE, SKB_OUTPUT, XDP_OUTPUT], doc: "perf reads and outputs" },
    MapHelpers { map_type: STACK_TRACE, helpers: &[GET_STACKID], doc: "only get_stackid" },
    MapHelpers { map_type: CGROUP_ARRAY, helpers: &[SKB_UNDER_CGROUP, CURRENT_TASK_UNDER_CGROUP], doc: "cgroup membership tests" },
    MapHelpers { map_type: ARRAY_OF_MAPS, helpers: &[MAP_LOOKUP_ELEM], doc: "lookup of the inner map only" },
    MapHelpers { map_type: HASH_OF_MAPS, helpers: &[MAP_LOOKUP_ELEM], doc: "lookup of the inner map only" },
    MapHelpers { map_type: DEVMAP, helpers: &[REDIRECT_MAP, MAP_LOOKUP_ELEM], doc: "XDP redirect and lookup" },
    MapHelpers { map_type: SOCKMAP, helpers: &[SK_REDIRECT_MAP, SOCK_MAP_UPDATE, MSG_REDIRECT_MAP, SK_SELECT_REUSEPORT, MAP_LOOKUP_ELEM, MAP_UPDATE_ELEM, MAP_DELETE_ELEM], doc: "update/delete only from program types the kernel's may_update_sockmap allows (tc, xdp, socket filter, sk_lookup, sk_reuseport, sock_ops callbacks, iterators)" },
    MapHelpers { map_type: CPUMAP, helpers: &[REDIRECT_MAP], doc: "only XDP redirect" },
    MapHelpers { map_type: XSKMAP, helpers: &[REDIRECT_MAP, MAP_LOOKUP_ELEM], doc: "XDP redirect and lookup" },
    MapHelpers { map_type: SOCKHASH, helpers: &[SK_REDIRECT_HASH, SOCK_HASH_UPDATE, MSG_REDIRECT_HASH, SK_SELECT_REUSEPORT, MAP_LOOKUP_ELEM, MAP_UPDATE_ELEM, MAP_DELETE_ELEM], doc: "as sockmap" },
    MapHelpers { map_type: CGROUP_STORAGE, helpers: &[GET_LOCAL_STORAGE], doc: "only get_local_storage" },
    MapHelpers { map_type: REUSEPORT_SOCKARRAY, helpers: &[SK_SELECT_REUSEPORT], doc: "only sk_select_reuseport" },
    MapHelpers { map_type: PERCPU_CGROUP_STORAGE, helpers: &[GET_LOCAL_STORAGE], doc: "only get_local_storage" },
    MapHelpers { map_type: QUEUE, helpers: &[MAP_PEEK_ELEM, MAP_POP_ELEM, MAP_PUSH_ELEM], doc: "push, pop, peek" },
    MapHelpers { map_type: STACK, helpers: &[MAP_PEEK_ELEM, MAP_POP_ELEM, MAP_PUSH_ELEM], doc: "push, pop, peek" },
    MapHelpers { map_type: SK_STORAGE, helpers: &[SK_STORAGE_GET, SK_STORAGE_DELETE, KPTR_XCHG], doc: "sk_storage helpers" },
    MapHelpers { map_type: DEVMAP_HASH, helpers: &[REDIRECT_MAP, MAP_LOOKUP_ELEM], doc: "XDP redirect and lookup" },
    MapHelpers { map_type: RINGBUF, helpers: &[RINGBUF_OUTPUT, RINGBUF_RESERVE, RINGBUF_QUERY, RINGBUF_RESERVE_DYNPTR, RINGBUF_SUBMIT_DYNPTR, RINGBUF_DISCARD_DYNPTR], doc: "ring buffer helpers" },
    MapHelpers { map_type: INODE_STORAGE, helpers: &[INODE_STORAGE_GET, INODE_STORAGE_DELETE, KPTR_XCHG], doc: "inode storage helpers" },
    MapHelpers { map_type: TASK_STORAGE, helpers: &[TASK_STORAGE_GET, TASK_STORAGE_DELETE, KPTR_XCHG], doc: "task storage helpers" },
    MapHelpers { map_type: BLOOM_FILTER, helpers: &[MAP_PEEK_ELEM, MAP_PUSH_ELEM], doc: "push (add) and peek (test)" },
    MapHelpers { map_type: USER_RINGBUF, helpers: &[USER_RINGBUF_DRAIN], doc: "only user_ringbuf_drain" },
    MapHelpers { map_type: CGRP_STORAGE, helpers: &[CGRP_STORAGE_GET, CGRP_STORAGE_DELETE, KPTR_XCHG], doc: "cgroup storage helpers" },
];
