//! Generated contexts, one per [`CtxShape`]: what the kernel would hand the program, with
//! random contents where the kernel's are arbitrary.
//!
//! - XDP and skb: a generated packet, with the context fields the kernel derives from it.
//! - Flow dissector: as skb, plus `struct bpf_flow_keys` filled as the kernel's test run does
//!   (`bpf_flow_dissect`): zeroes, `n_proto` the Ethernet type, `nhoff` = `thoff` = 14, and
//!   random dissector flags.
//! - Packet-like buffers (`sk_msg` message bytes, a sockopt option value): random bytes between
//!   the context's buffer pointers, with the fields that describe them (`sk_msg_md.size`,
//!   `bpf_sockopt.optlen`) set to the buffer's length.
//! - Netfilter: a generated IPv4 or IPv6 packet at a random hook ([`netfilter`]).
//! - BTF-typed arguments: random u64s; a pointer argument points to a read-only object of the
//!   pointee's BTF size ([`object_bytes`]), or is NULL (one in four) where the type allows.

use super::{gen_packet, BtfSlots, CtxShape, GenInput, Rng};
use crate::machine::Input;
use crate::machine::XDP_FIELDS;
use crate::mem::{CtxField, CtxObject, ObjectKind};
use crate::netfilter::{NfLayout, NFPROTO_IPV4, NFPROTO_IPV6};
use bpfvet_analyzer::rules::ProgTypeRules;

/// `sizeof(struct bpf_flow_keys)`.
const FLOW_KEYS_SIZE: usize = 56;
/// Offsets in `struct bpf_flow_keys`.
const FK_NHOFF: usize = 0;
const FK_THOFF: usize = 2;
const FK_N_PROTO: usize = 10;
const FK_FLAGS: usize = 48;
/// `sizeof(struct ethhdr)`: where the test run starts dissecting.
const ETH_HLEN: u16 = 14;

/// The context (and packet, buffer, objects) of one run; no map entries.
pub(super) fn gen_ctx(rng: &mut Rng, rules: &ProgTypeRules, btf: Option<&BtfSlots>) -> GenInput {
    match super::ctx_shape(rules) {
        CtxShape::Xdp => {
            let packet = gen_packet(rng);
            let mut ctx = vec![0u8; 24];
            ctx[12..16].copy_from_slice(&(1 + rng.below(4) as u32).to_le_bytes());
            ctx[16..20].copy_from_slice(&(rng.below(4) as u32).to_le_bytes());
            GenInput {
                ctx,
                packet: Some(packet),
                fields: XDP_FIELDS.to_vec(),
                ..GenInput::default()
            }
        }
        CtxShape::Skb => {
            let packet = gen_packet(rng);
            let mut ctx = rng.bytes(192);
            ctx[..4].copy_from_slice(&(packet.len() as u32).to_le_bytes());
            // `protocol` holds the ethertype in network order, as the kernel sets it.
            let proto = if packet.len() >= 14 {
                u16::from_be_bytes([packet[12], packet[13]])
            } else {
                0
            };
            ctx[16..20].copy_from_slice(&u32::from(proto.to_be()).to_le_bytes());
            let fields = super::ctx_fields(rules);
            let mut objects = Vec::new();
            if fields.iter().any(|(_, f)| *f == CtxField::FlowKeys) {
                // BPF_FLOW_DISSECTOR_F_PARSE_1ST_FRAG, _STOP_AT_FLOW_LABEL, _STOP_AT_ENCAP.
                objects.push(flow_keys(proto, rng.below(8) as u32));
            }
            GenInput {
                ctx,
                packet: Some(packet),
                fields,
                objects,
                ..GenInput::default()
            }
        }
        CtxShape::Buffer(n) => {
            let len = match rng.below(4) {
                0 => rng.below(5),
                1 => rng.below(17),
                _ => rng.below(80),
            } as usize;
            let buf = rng.bytes(len);
            let mut ctx = rng.bytes(n as usize);
            // The field that tells the buffer's length, where the context has one.
            let len_field = match rules.name {
                "sk_msg" => Some(68),
                "cgroup_sockopt" => Some(32),
                _ => None,
            };
            if let Some(off) = len_field.filter(|o| o + 4 <= ctx.len()) {
                ctx[off..off + 4].copy_from_slice(&(len as u32).to_le_bytes());
            }
            if rules.name == "cgroup_sockopt" && ctx.len() >= 40 {
                // A level and option name programs look for (SOL_IP/IP_TOS, SOL_SOCKET,
                // SOL_TCP, a private level) half of the time; the kernel starts `retval` at 0.
                if rng.chance(2) {
                    let level: u32 = rng.pick(&[0, 1, 6, 0xdead_beef]);
                    ctx[24..28].copy_from_slice(&level.to_le_bytes());
                    ctx[28..32].copy_from_slice(&(rng.below(4) as u32).to_le_bytes());
                }
                ctx[36..40].fill(0);
            }
            GenInput {
                ctx,
                packet: Some(buf),
                fields: super::ctx_fields(rules),
                ..GenInput::default()
            }
        }
        CtxShape::BtfArgs => {
            let slots = btf.map_or(&[][..], |b| &b.0[..]);
            let mut ctx = rng.bytes(slots.len() * 8);
            let mut objects = Vec::new();
            for (i, slot) in slots.iter().enumerate() {
                let Some((size, nullable)) = *slot else {
                    continue;
                };
                let at = i * 8;
                ctx[at..at + 8].fill(0);
                if nullable && rng.chance(4) {
                    continue;
                }
                objects.push(CtxObject {
                    kind: ObjectKind::kernel_for(rules.name),
                    bytes: object_bytes(rng, size as usize),
                    slot: Some(at as u32),
                });
            }
            GenInput {
                ctx,
                objects,
                ..GenInput::default()
            }
        }
        // Laid out by the kernel's BTF: `netfilter` below, once the layout is known.
        CtxShape::Netfilter => GenInput {
            ctx: vec![0; 16],
            ..GenInput::default()
        },
        CtxShape::Plain(n) => GenInput {
            ctx: rng.bytes(n.min(4096) as usize),
            ..GenInput::default()
        },
    }
}

/// A kernel object's bytes: random, or sparse (three bytes in four zero) one time in four, or
/// all zeroes one time in four, so that equal fields (`pid == tgid`), zero flags and NULL
/// pointer fields occur too, and paths behind them run.
fn object_bytes(rng: &mut Rng, n: usize) -> Vec<u8> {
    match rng.below(4) {
        0 => vec![0; n],
        1 => (0..n)
            .map(|_| {
                let b = rng.next_u64();
                if b & 3 == 0 {
                    (b >> 8) as u8
                } else {
                    0
                }
            })
            .collect(),
        _ => rng.bytes(n),
    }
}

/// A flow dissector's keys at the start of a dissection of a packet of Ethernet type `proto`
/// with dissector flags `flags`, as the kernel's test run fills them.
pub fn flow_keys(proto: u16, flags: u32) -> CtxObject {
    let mut k = vec![0u8; FLOW_KEYS_SIZE];
    k[FK_NHOFF..FK_NHOFF + 2].copy_from_slice(&ETH_HLEN.to_le_bytes());
    k[FK_THOFF..FK_THOFF + 2].copy_from_slice(&ETH_HLEN.to_le_bytes());
    k[FK_N_PROTO..FK_N_PROTO + 2].copy_from_slice(&proto.to_be_bytes());
    k[FK_FLAGS..FK_FLAGS + 4].copy_from_slice(&flags.to_le_bytes());
    CtxObject {
        kind: ObjectKind::FlowKeys,
        bytes: k,
        slot: None,
    }
}

/// The flow keys a dissection of a `hlen`-byte packet reports after the program left `keys`:
/// the kernel's `bpf_flow_dissect` clamps `nhoff` into `[14, hlen]` and then `thoff` into
/// `[nhoff, hlen]`, so that a program cannot point the stack past the packet.
pub fn flow_keys_reported(keys: &[u8], hlen: usize) -> Vec<u8> {
    let mut k = keys.to_vec();
    if k.len() < FK_THOFF + 2 {
        return k;
    }
    let hlen = u16::try_from(hlen).unwrap_or(u16::MAX);
    let get = |k: &[u8], at: usize| u16::from_le_bytes([k[at], k[at + 1]]);
    let nhoff = get(&k, FK_NHOFF).max(ETH_HLEN).min(hlen);
    let thoff = get(&k, FK_THOFF).max(nhoff).min(hlen);
    k[FK_NHOFF..FK_NHOFF + 2].copy_from_slice(&nhoff.to_le_bytes());
    k[FK_THOFF..FK_THOFF + 2].copy_from_slice(&thoff.to_le_bytes());
    k
}

/// A netfilter run's context: a generated packet from its network header on (the Ethernet
/// header, which the hooks other than `LOCAL_OUT` parse off, left out), its family from the
/// packet's Ethernet type, and a random hook (`NF_INET_PRE_ROUTING` .. `POST_ROUTING`).
pub fn netfilter(rng: &mut Rng, layout: &NfLayout) -> GenInput {
    let frame = gen_packet(rng);
    let ipv6 = frame.get(12..14) == Some(&[0x86, 0xdd][..]);
    let data = frame.get(ETH_HLEN as usize..).unwrap_or_default();
    let pf = if ipv6 { NFPROTO_IPV6 } else { NFPROTO_IPV4 };
    let hook = rng.below(5) as u8;
    match layout.input(pf, hook, data) {
        Input::Context {
            ctx,
            packet,
            fields,
            objects,
        } => GenInput {
            ctx,
            packet,
            fields,
            objects,
            ..GenInput::default()
        },
        _ => GenInput::default(),
    }
}
