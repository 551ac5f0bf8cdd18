//! A run's context, packet and input buffer: blocks kept from run to run and re-filled in
//! place, so that repeated runs (`--repeat`, benchmarks, differential runs) neither allocate
//! nor re-register regions when the input keeps its shape.
//!
//! Every run starts from exactly the bytes a fresh block would hold: the input copied in, and
//! zeroes everywhere else a program could reach (the packet's head- and tailroom). Each slot
//! remembers which of its bytes may be non-zero, so only those are cleared again.

use super::{BlockId, CtxField, Memory, Packet, RegionKind, PACKET_HEADROOM, PACKET_TAILROOM};
use std::cell::Cell;

/// The three input slots of a machine.
#[derive(Debug, Default)]
pub(super) struct Slots {
    ctx: Slot,
    packet: Slot,
    input: Slot,
}

#[derive(Clone, Copy, Debug)]
enum Which {
    Ctx,
    Packet,
    Input,
}

#[derive(Clone, Copy, Debug, Default)]
struct Slot {
    block: Option<BlockId>,
    /// The installed region, `(start, len)`.
    region: Option<(u64, usize)>,
    /// Offsets `lo..hi` of the block that may hold non-zero bytes.
    lo: usize,
    hi: usize,
}

impl Memory {
    fn slot(&mut self, which: Which) -> &mut Slot {
        match which {
            Which::Ctx => &mut self.slots.ctx,
            Which::Packet => &mut self.slots.packet,
            Which::Input => &mut self.slots.input,
        }
    }

    /// Puts `bytes` at offset `head` of the slot's block (growing it to hold `head + len +
    /// tail` bytes), zeroes whatever else may be non-zero, and installs the region over them.
    /// Returns the block and the region's start.
    fn install(
        &mut self,
        which: Which,
        bytes: &[u8],
        head: usize,
        tail: usize,
        kind: RegionKind,
    ) -> (BlockId, u64) {
        let len = bytes.len();
        let need = head + len + tail;
        let mut s = *self.slot(which);
        let block = match s.block {
            Some(b) if self.block(b).len >= need => b,
            old => {
                if let Some((start, _)) = s.region.take() {
                    self.remove_region(start);
                }
                if let Some(b) = old {
                    self.free_now(b);
                }
                s.lo = 0;
                s.hi = 0;
                self.alloc(need, false)
            }
        };
        if s.lo < s.hi {
            self.zero_range(block, s.lo, s.hi.min(head).max(s.lo));
            self.zero_range(block, (head + len).clamp(s.lo, s.hi), s.hi);
        }
        self.fill(block, head, bytes);
        (s.lo, s.hi) = (head, head + len);
        let start = self.block_addr(block) + head as u64;
        if s.region != Some((start, len)) {
            if let Some((old, _)) = s.region {
                self.remove_region(old);
            }
            self.add_region(block, head, len, kind, true);
            s.region = Some((start, len));
        }
        s.block = Some(block);
        *self.slot(which) = s;
        (block, start)
    }

    /// Removes a slot's region (the block is kept for a later run).
    fn uninstall(&mut self, which: Which) {
        if let Some((start, _)) = self.slot(which).region.take() {
            self.remove_region(start);
        }
    }

    /// Installs the context region holding `bytes`, whose `fields` are packet pointers.
    /// Returns its address (the program's `r1`).
    pub fn set_context(&mut self, bytes: &[u8], fields: &[(u32, CtxField)]) -> u64 {
        // Context fields are written by the kernel's rewrite only; programs may write the
        // others (e.g. `__sk_buff.cb`), which we allow.
        let (_, start) = self.install(Which::Ctx, bytes, 0, 0, RegionKind::Context);
        if self.ctx_fields[..] != fields[..] {
            self.ctx_fields.clear();
            self.ctx_fields.extend_from_slice(fields);
            // Whether the context's loads may bypass the field check changed.
            self.forget_hot();
        }
        self.ctx_start = start;
        start
    }

    /// Removes the context region: the run has none.
    pub fn clear_context(&mut self) {
        self.uninstall(Which::Ctx);
        self.ctx_fields.clear();
        self.ctx_start = 0;
    }

    /// Installs the packet with head- and tailroom; returns the address of `data`.
    pub fn set_packet(&mut self, bytes: &[u8]) -> u64 {
        let (block, data) = self.install(
            Which::Packet,
            bytes,
            PACKET_HEADROOM,
            PACKET_TAILROOM,
            RegionKind::Packet,
        );
        let base = data - PACKET_HEADROOM as u64;
        self.packet = Some(Packet {
            block,
            meta: data,
            data,
            end: data + bytes.len() as u64,
            cap_start: base,
            cap_end: data + (bytes.len() + PACKET_TAILROOM) as u64,
            mac: None,
            net: data,
        });
        data
    }

    /// Places the packet's link-layer and network headers, relative to its data, and an
    /// Ethernet header that precedes the data in the headroom.
    pub fn set_skb_headers(&mut self, h: crate::SkbHeaders) {
        let Some(p) = &mut self.packet else {
            return;
        };
        p.mac = h.mac.map(|m| p.data.wrapping_add_signed(m));
        p.net = p.data.wrapping_add_signed(h.network);
        let eth = h.ethernet.len();
        if h.mac == Some(-(eth as i64)) {
            let (block, at) = (p.block, (p.data - p.cap_start) as usize - eth);
            self.fill(block, at, &h.ethernet);
            // Bytes the next run must clear again.
            let s = &mut self.slots.packet;
            s.lo = s.lo.min(at);
        }
    }

    /// Puts the mac header at the packet's data (`skb_reset_mac_header`).
    pub fn reset_mac_header(&mut self) {
        if let Some(p) = &mut self.packet {
            p.mac = Some(p.data);
        }
    }

    /// A legacy `LD_ABS`/`LD_IND` load of `size` bytes at signed offset `off`, as the kernel's
    /// skb load helpers read it: from the data for `off >= 0`, from the network header past
    /// `SKF_NET_OFF` (-0x100000), from the mac header past `SKF_LL_OFF` (-0x200000). The bytes
    /// must lie between the packet block's head and the data's end (`None`: the program ends
    /// with 0). Returns the bytes as a little-endian number; the caller swaps them.
    pub fn legacy_load(&self, off: i32, size: u32) -> Option<u64> {
        const SKF_NET_OFF: i64 = -0x10_0000;
        const SKF_LL_OFF: i64 = -0x20_0000;
        let p = self.packet?;
        let off = i64::from(off);
        let at = if off >= 0 {
            p.data.checked_add_signed(off)?
        } else if off >= SKF_NET_OFF {
            p.net.checked_add_signed(off - SKF_NET_OFF)?
        } else if off >= SKF_LL_OFF {
            p.mac?.checked_add_signed(off - SKF_LL_OFF)?
        } else {
            return None;
        };
        if at < p.cap_start || at.checked_add(u64::from(size))? > p.end {
            return None;
        }
        let bytes = self.block_bytes(p.block, (at - p.cap_start) as usize, size as usize);
        Some(bytes.iter().rev().fold(0, |v, b| v << 8 | u64::from(*b)))
    }

    /// Removes the packet region: the run has none.
    pub fn clear_packet(&mut self) {
        self.uninstall(Which::Packet);
        self.packet = None;
    }

    /// Installs a plain input buffer region holding `bytes`; returns its address.
    pub fn set_input(&mut self, bytes: &[u8]) -> u64 {
        self.install(Which::Input, bytes, 0, 0, RegionKind::Input).1
    }

    /// Removes the input buffer region: the run has none.
    pub fn clear_input(&mut self) {
        self.uninstall(Which::Input);
    }

    /// The current packet bytes from `data` to `data_end` (after any adjustments).
    pub fn packet_bytes(&self) -> Option<Vec<u8>> {
        let p = self.packet?;
        let off = (p.data - p.cap_start) as usize;
        let len = (p.end - p.data) as usize;
        Some(
            self.block(p.block).cells()[off..off + len]
                .iter()
                .map(Cell::get)
                .collect(),
        )
    }

    /// The context's bytes as the last run left them, the slots that hold object addresses
    /// zeroed (so that runs on different machines compare equal).
    pub fn context_bytes(&self) -> Option<Vec<u8>> {
        let (start, len) = self.slots.ctx.region?;
        let mut res = self.peek_bytes(start, len)?;
        for &slot in self.objects.slots() {
            let at = slot as usize;
            if at + 8 <= res.len() {
                res[at..at + 8].fill(0);
            }
        }
        Some(res)
    }

    /// `(meta, data, end)` host addresses of the packet.
    pub fn packet_bounds(&self) -> Option<(u64, u64, u64)> {
        self.packet.map(|p| (p.meta, p.data, p.end))
    }

    /// Moves the packet's `meta`/`data`/`end`, keeping them within the block and ordered.
    /// Returns false (changing nothing) when that is impossible.
    pub fn adjust_packet(&mut self, meta: u64, data: u64, end: u64) -> bool {
        let Some(mut p) = self.packet else {
            return false;
        };
        if !(p.cap_start <= meta && meta <= data && data <= end && end <= p.cap_end) {
            return false;
        }
        self.remove_region(p.meta);
        p.meta = meta;
        p.data = data;
        p.end = end;
        self.packet = Some(p);
        let off = (meta - p.cap_start) as usize;
        let len = (end - meta) as usize;
        self.add_region(p.block, off, len, RegionKind::Packet, true);
        let s = &mut self.slots.packet;
        s.region = Some((meta, len));
        // The head- and tailroom were reachable: the next run clears all of it.
        (s.lo, s.hi) = (0, (p.cap_end - p.cap_start) as usize);
        true
    }
}
