//! Generated inputs: what one run gets (`GenInput`), the context shapes and fields of each
//! program type, packets with realistic headers, and map contents.

use super::{ctx_gen, Rng};
use crate::machine::{Input, SKB_FIELDS, XDP_FIELDS};
use crate::mem::{CtxField, CtxObject};
use bpfvet_analyzer::btf::{Btf, TypeId};
use bpfvet_analyzer::program::MapDef as ObjMapDef;
use bpfvet_analyzer::rules::{CtxModel, ProgTypeRules};
use bpfvet_analyzer::verifier::btf_ctx::BtfArg;
use bpfvet_analyzer::verifier::state::PtrKind;

/// One generated input: a context, maybe a packet, and map entries to install before the run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GenInput {
    pub ctx: Vec<u8>,
    pub packet: Option<Vec<u8>>,
    pub fields: Vec<(u32, CtxField)>,
    /// Objects the context points to (kernel objects, flow keys).
    pub objects: Vec<CtxObject>,
    /// `(map index in the object, key, value)`.
    pub map_entries: Vec<(u32, Vec<u8>, Vec<u8>)>,
}

impl GenInput {
    /// The runtime input of this run.
    pub fn to_input(&self) -> Input {
        Input::Context {
            ctx: self.ctx.clone(),
            packet: self.packet.clone(),
            fields: self.fields.clone(),
            objects: self.objects.clone(),
        }
    }
}

/// How a program type's context looks to the runtime.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum CtxShape {
    /// `struct xdp_md` over a packet.
    Xdp,
    /// `struct __sk_buff` over a packet (with `flow_keys` for a flow dissector).
    Skb,
    /// A context of this many bytes whose pointer fields ([`ctx_fields`]) delimit a packet-like
    /// buffer: an `sk_msg` message, a sockopt option value.
    Buffer(u32),
    /// u64 arguments typed by the kernel's BTF ([`BtfSlots`]).
    BtfArgs,
    /// Netfilter's `struct bpf_nf_ctx`: a hook state and an skb over a packet, laid out by
    /// the kernel's BTF ([`crate::netfilter::NfLayout`]).
    Netfilter,
    /// A plain context of this many bytes, no packet.
    Plain(u32),
}

/// The slots of a BTF-typed context: per u64 argument, `None` for a number, else the size of
/// the kernel object it points to and whether it may be NULL.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BtfSlots(pub Vec<Option<(u32, bool)>>);

impl BtfSlots {
    /// The slots of `args` (as the verifier typed them), sized from `kernel`. A pointee whose
    /// size BTF does not give gets an empty object: every load through it reads 0.
    pub fn new(args: &[BtfArg], kernel: &Btf) -> BtfSlots {
        BtfSlots(
            args.iter()
                .map(|a| match *a {
                    BtfArg::Scalar => None,
                    BtfArg::Ptr { type_id, nullable } => {
                        let size = kernel_size(kernel, type_id);
                        Some((size, nullable))
                    }
                })
                .collect(),
        )
    }
}

/// The BTF size of a kernel type, capped: objects are generated per run.
fn kernel_size(kernel: &Btf, ty: TypeId) -> u32 {
    kernel
        .size_of(ty)
        .map_or(0, |n| u32::try_from(n.min(1 << 16)).unwrap_or(0))
}

/// Program types whose context is a `struct __sk_buff`.
const SKB_TYPES: &[&str] = &[
    "socket_filter",
    "sched_cls",
    "sched_act",
    "cgroup_skb",
    "lwt_in",
    "lwt_out",
    "lwt_xmit",
    "lwt_seg6local",
    "sk_skb",
    "flow_dissector",
];

/// The pointer fields a run's context gives values to, for a program of type `rules`: the
/// packet pointers of XDP and skb contexts, a flow dissector's `flow_keys`, the buffer
/// pointers of other contexts whose fields yield packet pointers, and NULL for the nullable
/// pointer fields whose objects the runtime does not model.
pub fn ctx_fields(rules: &ProgTypeRules) -> Vec<(u32, CtxField)> {
    let mut res = modeled_ctx_fields(rules);
    if let CtxModel::Fields(fields) = rules.ctx {
        for f in fields {
            if f.yields.is_some() && f.yields_null && !res.iter().any(|&(o, _)| o == f.off) {
                res.push((f.off, CtxField::Null));
            }
        }
    }
    res
}

/// The pointer fields whose objects the runtime models.
fn modeled_ctx_fields(rules: &ProgTypeRules) -> Vec<(u32, CtxField)> {
    match ctx_shape(rules) {
        CtxShape::Xdp => XDP_FIELDS.to_vec(),
        CtxShape::Skb => {
            let mut res = SKB_FIELDS.to_vec();
            if let CtxModel::Fields(fields) = rules.ctx {
                res.extend(
                    fields
                        .iter()
                        .filter(|f| f.yields == Some(PtrKind::FlowKeys))
                        .map(|f| (f.off, CtxField::FlowKeys)),
                );
            }
            res
        }
        CtxShape::Buffer(_) => match rules.ctx {
            CtxModel::Fields(fields) => fields
                .iter()
                .filter_map(|f| {
                    let field = match f.yields? {
                        PtrKind::Packet => CtxField::Data,
                        PtrKind::PacketEnd => CtxField::DataEnd,
                        PtrKind::PacketMeta => CtxField::DataMeta,
                        _ => return None,
                    };
                    Some((f.off, field))
                })
                .collect(),
            _ => Vec::new(),
        },
        CtxShape::BtfArgs | CtxShape::Netfilter | CtxShape::Plain(_) => Vec::new(),
    }
}

/// The context shape of a program type.
pub fn ctx_shape(rules: &ProgTypeRules) -> CtxShape {
    if rules.name == "xdp" {
        return CtxShape::Xdp;
    }
    if rules.name == "netfilter" {
        return CtxShape::Netfilter;
    }
    if SKB_TYPES.contains(&rules.name) {
        return CtxShape::Skb;
    }
    if let CtxModel::Fields(fields) = rules.ctx {
        if fields.iter().any(|f| f.yields == Some(PtrKind::Packet)) {
            return CtxShape::Buffer(fields.iter().map(|f| f.off + f.size).max().unwrap_or(0));
        }
    }
    if rules.ctx == CtxModel::BtfArgs {
        return CtxShape::BtfArgs;
    }
    CtxShape::Plain(match rules.ctx {
        CtxModel::Fields(fields) => fields.iter().map(|f| f.off + f.size).max().unwrap_or(0),
        CtxModel::ReadOnly { size } => size,
        CtxModel::ReadOnlyRange { end, .. } => end,
        CtxModel::U64Args { count } => count * 8,
        CtxModel::BtfArgs | CtxModel::UserBuffer => 64,
    })
}

const ETH_P_IP: u16 = 0x0800;
const ETH_P_IPV6: u16 = 0x86dd;
const ETH_P_ARP: u16 = 0x0806;
const ETH_P_8021Q: u16 = 0x8100;
const PORTS: &[u16] = &[22, 53, 80, 123, 443, 4789, 8080, 9999, 0, 65535];

fn csum16(bytes: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    for c in bytes.chunks(2) {
        let w = u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]);
        sum += u32::from(w);
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// A packet: Ethernet (sometimes VLAN-tagged) over IPv4 or IPv6 over TCP, UDP or ICMP, or ARP,
/// or an unknown ethertype, or plain random bytes; random payload; one in four truncated at a
/// random length (zero included).
pub fn gen_packet(rng: &mut Rng) -> Vec<u8> {
    let mut p = Vec::with_capacity(128);
    let kind = rng.below(10);
    if kind == 9 {
        let n = rng.below(96) as usize;
        return rng.bytes(n);
    }
    p.extend(rng.bytes(12)); // dst and src MAC.
    if rng.chance(8) {
        p.extend(ETH_P_8021Q.to_be_bytes());
        p.extend((rng.below(4096) as u16).to_be_bytes());
    }
    let l4 = rng.pick(&[6u8, 17, 17, 6, 1, 58, 47]);
    let payload = rng.below(64) as usize;
    let l4_len = match l4 {
        6 => 20 + payload,
        17 => 8 + payload,
        _ => 8 + payload,
    };
    let mut l4_hdr = match l4 {
        6 => {
            let mut h = Vec::with_capacity(20);
            h.extend(rng.pick(PORTS).to_be_bytes());
            h.extend(rng.pick(PORTS).to_be_bytes());
            h.extend(rng.bytes(8)); // seq, ack
            h.push(5 << 4); // data offset
            h.push(rng.next_u64() as u8); // flags
            h.extend(rng.bytes(6)); // window, csum, urg
            h
        }
        17 => {
            let mut h = Vec::with_capacity(8);
            h.extend(rng.pick(PORTS).to_be_bytes());
            h.extend(rng.pick(PORTS).to_be_bytes());
            h.extend((l4_len as u16).to_be_bytes());
            h.extend(rng.bytes(2));
            h
        }
        _ => {
            let mut h = vec![rng.pick(&[0u8, 8, 3, 11, 128, 129]), 0];
            h.extend(rng.bytes(6));
            h
        }
    };
    l4_hdr.extend(rng.bytes(payload));
    match kind {
        0..=4 => {
            p.extend(ETH_P_IP.to_be_bytes());
            let opts = if rng.chance(6) {
                4 * rng.below(4) as usize
            } else {
                0
            };
            let ihl = 20 + opts;
            let mut ip = vec![0u8; ihl];
            ip[0] = 0x40 | (ihl / 4) as u8;
            ip[1] = rng.next_u64() as u8;
            ip[2..4].copy_from_slice(&((ihl + l4_hdr.len()) as u16).to_be_bytes());
            ip[4..6].copy_from_slice(&(rng.next_u64() as u16).to_be_bytes());
            if rng.chance(6) {
                // Fragment: more-fragments flag or an offset.
                ip[6..8].copy_from_slice(&(rng.pick(&[0x2000u16, 0x0010, 0x2010])).to_be_bytes());
            }
            ip[8] = rng.pick(&[64u8, 1, 0, 255]);
            ip[9] = l4;
            let src = rng.pick(&[
                [10u8, 0, 0, 1],
                [192, 168, 1, 2],
                [127, 0, 0, 1],
                [8, 8, 8, 8],
            ]);
            ip[12..16].copy_from_slice(&src);
            ip[16..20].copy_from_slice(&rng.bytes(4));
            ip[20..].copy_from_slice(&rng.bytes(opts));
            let c = csum16(&ip);
            ip[10..12].copy_from_slice(&c.to_be_bytes());
            p.extend(ip);
            p.extend(l4_hdr);
        }
        5..=7 => {
            p.extend(ETH_P_IPV6.to_be_bytes());
            let mut ip = vec![0u8; 40];
            ip[0] = 0x60;
            ip[4..6].copy_from_slice(&(l4_hdr.len() as u16).to_be_bytes());
            ip[6] = if l4 == 1 { 58 } else { l4 };
            ip[7] = rng.pick(&[64u8, 1, 0, 255]);
            ip[8..40].copy_from_slice(&rng.bytes(32));
            p.extend(ip);
            p.extend(l4_hdr);
        }
        _ => {
            let et = if rng.chance(2) {
                ETH_P_ARP
            } else {
                rng.next_u64() as u16
            };
            p.extend(et.to_be_bytes());
            let n = rng.below(64) as usize;
            p.extend(rng.bytes(n));
        }
    }
    if rng.chance(4) {
        let n = rng.below(p.len() as u64 + 1) as usize;
        p.truncate(n);
    }
    p
}

/// An input for a program of type `rules` whose object has `maps`: the context (typed by
/// `btf` for BTF-typed contexts: without it, their pointer arguments are NULL), the packet or
/// buffer and objects it points to, and a few entries for hash and array maps (global data is
/// left alone).
pub fn gen_input(
    rng: &mut Rng,
    rules: &ProgTypeRules,
    btf: Option<&BtfSlots>,
    maps: &[ObjMapDef],
) -> GenInput {
    let mut res = ctx_gen::gen_ctx(rng, rules, btf);
    // Pointer fields the runtime does not model (`__sk_buff.sk`, ...) read as NULL, which the
    // verifier allows for every `*_or_null` field; other pointer fields stay as the runtime
    // sets them.
    if let CtxModel::Fields(fields) = rules.ctx {
        for f in fields.iter().filter(|f| f.yields.is_some()) {
            let end = (f.off + f.size) as usize;
            if end <= res.ctx.len() && !res.fields.iter().any(|(o, _)| *o == f.off) {
                res.ctx[f.off as usize..end].fill(0);
            }
        }
    }
    res.map_entries = crate::maps::gen::map_entries(rng, maps);
    res
}
