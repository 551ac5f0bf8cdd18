//! `struct __sk_buff`, shared by socket filters, tc, cgroup_skb, lwt, sk_skb and the flow
//! dissector, each with its own read and write permissions.
//!
//! The table below has one row per field and, per row, the set of program families that may
//! read it and the set that may write it (the kernel's `sk_filter_is_valid_access`,
//! `tc_cls_act_is_valid_access`, `cg_skb_is_valid_access`, `lwt_is_valid_access`,
//! `sk_skb_is_valid_access` and `flow_dissector_is_valid_access` on top of
//! `bpf_skb_is_valid_access`). [`project`] turns it into one field list per family at compile
//! time, so each program type still sees a plain `&[CtxField]`.

use super::super::sizes::{ANY, B, DW, NONE, W};
use super::super::CtxField;
use super::f;
use crate::verifier::ptr_kind::PtrKind;

/// Program families that share `__sk_buff`, as bits.
pub(in super::super) mod fam {
    /// socket_filter.
    pub const SF: u8 = 1;
    /// sched_cls, sched_act.
    pub const TC: u8 = 2;
    /// cgroup_skb.
    pub const CG: u8 = 4;
    /// lwt_in, lwt_out, lwt_xmit, lwt_seg6local.
    pub const LWT: u8 = 8;
    /// sk_skb.
    pub const SKSKB: u8 = 16;
    /// flow_dissector.
    pub const FD: u8 = 32;
    pub const ALL_BUT_FD: u8 = SF | TC | CG | LWT | SKSKB;
}

use fam::{ALL_BUT_FD as ALL, CG, FD, LWT, SF, SKSKB, TC};

/// One `__sk_buff` field with its per-family permissions.
#[derive(Clone, Copy)]
struct Row {
    field: CtxField,
    /// Families that may read (and write, if also in `write`) the field.
    read: u8,
    /// Families that may write it (with the field's `write_sizes`).
    write: u8,
    /// Families for which the access needs CAP_BPF.
    cap: u8,
    /// Families for which a write (only) needs CAP_BPF.
    cap_write: u8,
}

const fn row(field: CtxField, read: u8, write: u8) -> Row {
    Row {
        field,
        read,
        write,
        cap: 0,
        cap_write: 0,
    }
}

const fn row_cap(field: CtxField, read: u8, write: u8, cap: u8) -> Row {
    Row {
        field,
        read,
        write,
        cap,
        cap_write: 0,
    }
}

/// A row whose stores (not loads) need CAP_BPF for families `cap_write`.
const fn row_cap_write(field: CtxField, read: u8, write: u8, cap_write: u8) -> Row {
    Row {
        field,
        read,
        write,
        cap: 0,
        cap_write,
    }
}

/// Families that lose the socket fields `family`..`local_port`.
const NO_SOCK_FIELDS: u8 = SF | TC | LWT;

#[rustfmt::skip]
const ROWS: [Row; 34] = [
    row(f("len", 0, 4), ALL, 0),
    row(f("pkt_type", 4, 4), ALL, 0),
    row(f("mark", 8, 4).wr(W), ALL & !SKSKB, TC | CG | LWT),
    row(f("queue_mapping", 12, 4).wr(W), ALL, TC),
    row(f("protocol", 16, 4), ALL, 0),
    row(f("vlan_present", 20, 4), ALL, 0),
    row(f("vlan_tci", 24, 4), ALL, 0),
    row(f("vlan_proto", 28, 4), ALL, 0),
    row(f("priority", 32, 4).wr(W), ALL, TC | CG | LWT | SKSKB),
    row(f("ingress_ifindex", 36, 4), ALL, 0),
    row(f("ifindex", 40, 4), ALL, 0),
    row(f("tc_index", 44, 4).wr(W), ALL, TC | SKSKB),
    row(f("cb", 48, 20).rd(ANY).wr(ANY), ALL, SF | TC | CG | LWT),
    row(f("hash", 68, 4), ALL, 0),
    row(f("tc_classid", 72, 4).wr(W), TC, TC),
    row_cap(f("data", 76, 4).rd(W).ptr(PtrKind::Packet), TC | CG | LWT | SKSKB | FD, 0, CG),
    row_cap(f("data_end", 80, 4).rd(W).ptr(PtrKind::PacketEnd), TC | CG | LWT | SKSKB | FD, 0, CG),
    row(f("napi_id", 84, 4), ALL, 0),
    row(f("family", 88, 4), ALL & !NO_SOCK_FIELDS, 0),
    row(f("remote_ip4", 92, 4).rd(W), ALL & !NO_SOCK_FIELDS, 0),
    row(f("local_ip4", 96, 4).rd(W), ALL & !NO_SOCK_FIELDS, 0),
    row(f("remote_ip6", 100, 16).rd(W), ALL & !NO_SOCK_FIELDS, 0),
    row(f("local_ip6", 116, 16).rd(W), ALL & !NO_SOCK_FIELDS, 0),
    row(f("remote_port", 132, 4), ALL & !NO_SOCK_FIELDS, 0),
    row(f("local_port", 136, 4), ALL & !NO_SOCK_FIELDS, 0),
    row(f("data_meta", 140, 4).rd(W).ptr(PtrKind::PacketMeta), TC, 0),
    row(f("flow_keys", 144, 8).rd(DW).ptr(PtrKind::FlowKeys), FD, 0),
    // cgroup_skb programs read the timestamp freely; writing it needs CAP_BPF.
    row_cap_write(f("tstamp", 152, 8).rd(DW).wr(DW), TC | CG, TC | CG, CG),
    row(f("wire_len", 160, 4), TC, 0),
    row(f("gso_segs", 164, 4), ALL, 0),
    row(f("sk", 168, 8).rd(DW).ptr_or_null(PtrKind::SockCommon), ALL, 0),
    row(f("gso_size", 176, 4), ALL, 0),
    row(f("tstamp_type", 180, 1).rd(B), TC, 0),
    row(f("hwtstamp", 184, 8).rd(DW), TC | CG, 0),
];

/// How many rows a family keeps.
const fn count(fam: u8) -> usize {
    let mut n = 0;
    let mut i = 0;
    while i < ROWS.len() {
        if ROWS[i].read & fam != 0 {
            n += 1;
        }
        i += 1;
    }
    n
}

/// The field list of one family: the rows it may read, writable where it may write.
const fn project<const N: usize>(fam: u8) -> [CtxField; N] {
    assert!(count(fam) == N, "__sk_buff projection size mismatch");
    let mut out = [ROWS[0].field; N];
    let mut n = 0;
    let mut i = 0;
    while i < ROWS.len() {
        let r = ROWS[i];
        if r.read & fam != 0 {
            let mut field = r.field;
            if r.write & fam == 0 {
                field = field.wr(NONE);
            }
            if r.cap & fam != 0 {
                field = field.cap_bpf();
            }
            if r.cap_write & fam != 0 {
                field = field.cap_bpf_write();
            }
            out[n] = field;
            n += 1;
        }
        i += 1;
    }
    out
}

const SF_FIELDS: [CtxField; count(SF)] = project(SF);
const TC_FIELDS: [CtxField; count(TC)] = project(TC);
const CG_FIELDS: [CtxField; count(CG)] = project(CG);
const LWT_FIELDS: [CtxField; count(LWT)] = project(LWT);
const SKSKB_FIELDS: [CtxField; count(SKSKB)] = project(SKSKB);
const FD_FIELDS: [CtxField; count(FD)] = project(FD);

/// `__sk_buff` for socket filters: no packet pointers, writes to `cb[]` only.
pub(in super::super) const SOCKET_FILTER: &[CtxField] = &SF_FIELDS;
/// `__sk_buff` for tc: packet, meta and end pointers; writes to mark, priority, tc_index,
/// tc_classid, cb, tstamp, queue_mapping.
pub(in super::super) const TC_SKB: &[CtxField] = &TC_FIELDS;
/// `__sk_buff` for cgroup_skb: packet pointers need CAP_BPF; writes to mark, priority, cb, and
/// tstamp (CAP_BPF).
pub(in super::super) const CGROUP_SKB: &[CtxField] = &CG_FIELDS;
/// `__sk_buff` for the lwt types: packet pointers; writes to mark, priority, cb.
pub(in super::super) const LWT_SKB: &[CtxField] = &LWT_FIELDS;
/// `__sk_buff` for sk_skb: packet pointers, no mark; writes to priority and tc_index.
pub(in super::super) const SK_SKB: &[CtxField] = &SKSKB_FIELDS;
/// `__sk_buff` for the flow dissector: only data, data_end and flow_keys, read only.
pub(in super::super) const FLOW_DISSECTOR: &[CtxField] = &FD_FIELDS;
