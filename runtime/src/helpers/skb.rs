//! Helpers that rewrite an `__sk_buff`'s packet or its metadata: `skb_ecn_set_ce`,
//! `skb_vlan_push/pop`, `skb_set_tunnel_key`, `skb_change_head`, `csum_update`
//! (`net/core/filter.c`, `include/net/inet_ecn.h`, `net/core/skbuff.c`).

use super::neg;
use crate::machine::Machine;
use crate::maps::errno;
use crate::FaultKind;

/// Helper ids served here.
pub mod id {
    pub const SKB_VLAN_PUSH: i32 = 18;
    pub const SKB_VLAN_POP: i32 = 19;
    pub const SKB_SET_TUNNEL_KEY: i32 = 21;
    pub const CSUM_UPDATE: i32 = 40;
    pub const SKB_CHANGE_HEAD: i32 = 43;
    pub const SKB_ECN_SET_CE: i32 = 97;
}

/// `ENOMEM`.
const ENOMEM: i64 = 12;
/// `ENOTSUPP` (the kernel-internal 524, not `EOPNOTSUPP`).
const ENOTSUPP: i64 = 524;
/// `BPF_SKB_MAX_LEN` (`SKB_MAX_ALLOC` with 4K pages: four pages less the aligned
/// `struct skb_shared_info`): `skb_change_head` refuses to grow a packet past it.
const BPF_SKB_MAX_LEN: u64 = 4 * 4096 - 320;
/// `__sk_buff.len`.
const SKB_LEN_OFF: u64 = 0;
/// `__sk_buff` fields the VLAN helpers keep: `protocol` (the ethertype after any VLAN tags
/// left in the packet, network order) and the offloaded tag `vlan_present`, `vlan_tci`,
/// `vlan_proto`.
const SKB_PROTOCOL_OFF: u64 = 16;
const SKB_VLAN_PRESENT_OFF: u64 = 20;
const SKB_VLAN_TCI_OFF: u64 = 24;
const SKB_VLAN_PROTO_OFF: u64 = 28;
/// 802.1Q and 802.1ad ethertypes as a program holds them (network order read as host u16).
const VLAN_8021Q: u16 = 0x0081;
const VLAN_8021AD: u16 = 0xa888;
/// `sizeof(struct bpf_tunnel_key)`, and the shorter layouts older programs pass (up to
/// `local_ipv4`, `tunnel_label`, `tunnel_ext`, `remote_ipv6[1]`).
const TUNNEL_KEY_SIZE: usize = 44;
const TUNNEL_KEY_OLD_SIZES: [usize; 4] = [28, 24, 22, 8];
/// `BPF_F_TUNINFO_IPV6` .. `BPF_F_NO_TUNNEL_KEY`.
const TUNNEL_FLAGS: u64 = 0x1f;
const BPF_F_TUNINFO_IPV6: u64 = 1;

/// Calls helper `hid` if it is one of ours.
pub(crate) fn call(m: &mut Machine, hid: i32, a: [u64; 5]) -> Option<Result<u64, FaultKind>> {
    Some(match hid {
        id::SKB_ECN_SET_CE => ecn_set_ce(m),
        id::SKB_VLAN_PUSH => vlan_push(m, a),
        id::SKB_VLAN_POP => vlan_pop(m, a[0]),
        id::SKB_SET_TUNNEL_KEY => set_tunnel_key(m, a),
        // The checksum is folded into `skb->csum` only for `CHECKSUM_COMPLETE` packets;
        // packets offline arrive with `CHECKSUM_NONE`, as `BPF_PROG_TEST_RUN` builds them.
        id::CSUM_UPDATE => Ok(neg(ENOTSUPP)),
        id::SKB_CHANGE_HEAD => change_head(m, a),
        _ => return None,
    })
}

/// `skb_ecn_set_ce(skb)` (`INET_ECN_set_ce`): marks Congestion Experienced in the IPv4 TOS
/// or IPv6 traffic class of a packet whose ECN field says it is ECN-capable, and returns 1;
/// returns 1 for a packet already marked, 0 for one not ECN-capable or not IP. The network
/// header is taken to follow an untagged Ethernet header (a VLAN-tagged packet counts as not
/// IP). The IPv4 checksum is updated incrementally, as the kernel does (`csum16_add` on the
/// header's bytes read as a host-order word).
fn ecn_set_ce(m: &mut Machine) -> Result<u64, FaultKind> {
    let Some((_, data, end)) = m.mem.packet_bounds() else {
        return Ok(0);
    };
    let len = end - data;
    if len < 14 {
        return Ok(0);
    }
    let eth = m.mem.read_bytes(data + 12, 2)?;
    match u16::from_be_bytes([eth[0], eth[1]]) {
        0x0800 if len >= 14 + 20 => {
            let ip = data + 14;
            let tos = m.mem.read_bytes(ip + 1, 1)?[0];
            // (tos + 1) & 3: not-ECT 01, ECT(1) 10, ECT(0) 11, CE 00.
            let ecn = u16::from(tos.wrapping_add(1) & 3);
            if ecn & 2 == 0 {
                return Ok(u64::from(ecn == 0));
            }
            let c = m.mem.read_bytes(ip + 10, 2)?;
            let check = u16::from_le_bytes([c[0], c[1]]);
            let add = 0xfffb_u16.swap_bytes().wrapping_add(ecn.swap_bytes());
            let res = check.wrapping_add(add);
            let res = res.wrapping_add(u16::from(res < add));
            m.mem.write_bytes(ip + 10, &res.to_le_bytes())?;
            m.mem.write_bytes(ip + 1, &[tos | 3])?;
            Ok(1)
        }
        0x86dd if len >= 14 + 40 => {
            let ip = data + 14;
            let w = m.mem.read_bytes(ip, 4)?;
            let word = u32::from_be_bytes([w[0], w[1], w[2], w[3]]);
            // The traffic class is bits 20..28; its ECN field the low two of those.
            if (word >> 20) & 3 == 0 {
                return Ok(0);
            }
            m.mem.write_bytes(ip, &(word | 3 << 20).to_be_bytes())?;
            Ok(1)
        }
        _ => Ok(0),
    }
}

/// `skb_change_head(skb, head_room, flags)`: pushes `head_room` zeroed bytes in front of
/// the data, which become the new mac header (the network header stays where it was), and
/// grows `len`. `EINVAL` for flags, or a length past `BPF_SKB_MAX_LEN`. The kernel grows the
/// skb's headroom as needed; the runtime's packet has [`crate::mem::PACKET_HEADROOM`] bytes,
/// and a push past them is a fault, not a made-up errno.
fn change_head(m: &mut Machine, a: [u64; 5]) -> Result<u64, FaultKind> {
    let (ctx, room, flags) = (a[0], a[1] as u32, a[2]);
    let Some((meta, data, end)) = m.mem.packet_bounds() else {
        return Ok(neg(errno::EINVAL));
    };
    let len = end - data;
    let new_len = len + u64::from(room);
    if flags != 0 || new_len > BPF_SKB_MAX_LEN {
        return Ok(neg(errno::EINVAL));
    }
    let new_data = data - u64::from(room);
    if !m.mem.adjust_packet(meta.min(new_data), new_data, end) {
        return Err(FaultKind::HelperFault {
            id: id::SKB_CHANGE_HEAD,
            name: "skb_change_head",
            reason: format!(
                "{room} bytes of headroom: the runtime's packet has {}",
                crate::mem::PACKET_HEADROOM
            ),
        });
    }
    m.mem.write_bytes(new_data, &vec![0; room as usize])?;
    m.mem.reset_mac_header();
    let old = m.mem.load(ctx + SKB_LEN_OFF, 4)? as u32;
    m.mem
        .write_bytes(ctx + SKB_LEN_OFF, &old.wrapping_add(room).to_le_bytes())?;
    Ok(0)
}

fn is_vlan(proto: u16) -> bool {
    proto == VLAN_8021Q || proto == VLAN_8021AD
}

fn set_offloaded_tag(m: &mut Machine, ctx: u64, tag: Option<(u16, u16)>) -> Result<(), FaultKind> {
    let (present, proto, tci) = tag.map_or((0u32, 0, 0), |(p, t)| (1, p, t));
    m.mem
        .write_bytes(ctx + SKB_VLAN_PRESENT_OFF, &present.to_le_bytes())?;
    m.mem
        .write_bytes(ctx + SKB_VLAN_TCI_OFF, &u32::from(tci).to_le_bytes())?;
    m.mem
        .write_bytes(ctx + SKB_VLAN_PROTO_OFF, &u32::from(proto).to_le_bytes())
}

/// `skb_vlan_push(skb, proto, tci)` (`skb_vlan_push`): the new tag becomes the offloaded one
/// (a protocol other than 802.1Q/802.1ad counts as 802.1Q); a tag already offloaded is first
/// written into the packet after the MAC addresses, which grows by 4 bytes (`ENOMEM` when the
/// packet has no Ethernet header). Returns 0.
fn vlan_push(m: &mut Machine, a: [u64; 5]) -> Result<u64, FaultKind> {
    let ctx = a[0];
    let proto = if is_vlan(a[1] as u16) {
        a[1] as u16
    } else {
        VLAN_8021Q
    };
    let tci = a[2] as u16;
    if m.mem.load(ctx + SKB_VLAN_PRESENT_OFF, 4)? != 0 {
        let old_proto = m.mem.load(ctx + SKB_VLAN_PROTO_OFF, 4)? as u16;
        let old_tci = m.mem.load(ctx + SKB_VLAN_TCI_OFF, 4)? as u16;
        let Some((meta, data, end)) = m.mem.packet_bounds() else {
            return Ok(neg(ENOMEM));
        };
        if end - data < 14 {
            return Ok(neg(ENOMEM));
        }
        let macs = m.mem.read_bytes(data, 12)?;
        let new_data = data - 4;
        if !m.mem.adjust_packet(meta.min(new_data), new_data, end) {
            return Ok(neg(ENOMEM));
        }
        let mut hdr = macs;
        hdr.extend(old_proto.to_le_bytes());
        hdr.extend(old_tci.to_be_bytes());
        m.mem.write_bytes(new_data, &hdr)?;
        // The packet's outermost ethertype is now the pushed-down tag's.
        m.mem
            .write_bytes(ctx + SKB_PROTOCOL_OFF, &u32::from(old_proto).to_le_bytes())?;
    }
    set_offloaded_tag(m, ctx, Some((proto, tci)))?;
    Ok(0)
}

/// `skb_vlan_pop(skb)` (`skb_vlan_pop`): drops the offloaded tag, or, with none, the
/// outermost tag in the packet when `protocol` says there is one; then, if another tag
/// follows in the packet, moves it to the offloaded tag. Returns 0, or `ENOMEM` when a tag
/// to pop is cut short.
fn vlan_pop(m: &mut Machine, ctx: u64) -> Result<u64, FaultKind> {
    if m.mem.load(ctx + SKB_VLAN_PRESENT_OFF, 4)? != 0 {
        set_offloaded_tag(m, ctx, None)?;
    } else {
        let proto = m.mem.load(ctx + SKB_PROTOCOL_OFF, 4)? as u16;
        if !is_vlan(proto) {
            return Ok(0);
        }
        if pop_packet_tag(m, ctx)?.is_none() {
            return Ok(neg(ENOMEM));
        }
    }
    let proto = m.mem.load(ctx + SKB_PROTOCOL_OFF, 4)? as u16;
    if !is_vlan(proto) {
        return Ok(0);
    }
    match pop_packet_tag(m, ctx)? {
        Some(tci) => {
            set_offloaded_tag(m, ctx, Some((proto, tci)))?;
            Ok(0)
        }
        None => Ok(neg(ENOMEM)),
    }
}

/// Removes the VLAN tag after the MAC addresses, setting `protocol` to the ethertype it
/// carried; the tag's TCI, or `None` when the packet is shorter than a tagged header.
fn pop_packet_tag(m: &mut Machine, ctx: u64) -> Result<Option<u16>, FaultKind> {
    let Some((_, data, end)) = m.mem.packet_bounds() else {
        return Ok(None);
    };
    if end - data < 18 {
        return Ok(None);
    }
    let hdr = m.mem.read_bytes(data, 18)?;
    let tci = u16::from_be_bytes([hdr[14], hdr[15]]);
    let inner = u16::from_le_bytes([hdr[16], hdr[17]]);
    let new_data = data + 4;
    m.mem.write_bytes(new_data, &hdr[..12])?;
    if !m.mem.adjust_packet(new_data, new_data, end) {
        return Ok(None);
    }
    m.mem
        .write_bytes(ctx + SKB_PROTOCOL_OFF, &u32::from(inner).to_le_bytes())?;
    Ok(Some(tci))
}

/// `skb_set_tunnel_key(skb, key, size, flags)` (`bpf_skb_set_tunnel_key`): `EINVAL` for
/// unknown flags, a size that is no layout of `struct bpf_tunnel_key`, a flow label without
/// `BPF_F_TUNINFO_IPV6`, or a non-zero `tunnel_ext`; else 0, the key (zero-extended to the
/// full layout) kept in `System::tunnel_key` for the packet's transmission.
fn set_tunnel_key(m: &mut Machine, a: [u64; 5]) -> Result<u64, FaultKind> {
    let (size, flags) = (a[2] as u32 as usize, a[3]);
    if flags & !TUNNEL_FLAGS != 0 {
        return Ok(neg(errno::EINVAL));
    }
    if size != TUNNEL_KEY_SIZE && !TUNNEL_KEY_OLD_SIZES.contains(&size) {
        return Ok(neg(errno::EINVAL));
    }
    let mut key = m.mem.read_bytes(a[1], size)?;
    key.resize(TUNNEL_KEY_SIZE, 0);
    let label = u32::from_le_bytes([key[24], key[25], key[26], key[27]]);
    let ext = u16::from_le_bytes([key[22], key[23]]);
    if (flags & BPF_F_TUNINFO_IPV6 == 0 && label != 0) || ext != 0 {
        return Ok(neg(errno::EINVAL));
    }
    m.env.system.tunnel_key = Some(key);
    Ok(0)
}
