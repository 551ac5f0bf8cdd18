//! The memory model: typed regions over runtime-owned blocks, addressed by host addresses.
//!
//! Representation. Every byte a program can touch lives in a *block*, a heap allocation owned
//! by [`Memory`] (`Box<[Cell<u8>]>`, 8-byte aligned start). A *region* is a window of a block
//! with a kind (context, packet, stack, map value, ...) and a permission. A BPF pointer is the
//! host address of a byte, so the JIT in unchecked mode can dereference it directly, and both
//! engines see the same pointer values.
//!
//! Invariant: regions never overlap, and every region lies inside its block. An access of `n`
//! bytes at `addr` is valid exactly when `[addr, addr + n)` lies inside one region (and the
//! region is writable, for a store). The interpreter and the checked JIT validate every access
//! against this table; the unchecked JIT relies on the analyzer's proof instead.
//!
//! Lifetimes. Map values are *persistent* blocks (they outlive a run); the stack, context,
//! packet, input buffer and ring-buffer records are *transient*: they are freed by
//! [`Memory::end_run`]. A hash-map element deleted during a run stays readable until the run
//! ends, as under the kernel's RCU, so a stale pointer never becomes a dangling host pointer.
//!
//! Why `Cell<u8>`: the unchecked JIT writes through raw host pointers while `Memory` owns the
//! bytes. Cells make those writes permitted through shared references, so safe Rust code here
//! never holds a `&mut [u8]` that JIT code could alias.

use crate::maps::MapId;
use std::cell::Cell;
use std::collections::BTreeMap;
use std::fmt;

/// Read or write.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Access {
    Read,
    Write,
}

impl fmt::Display for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Access::Read => "read",
            Access::Write => "write",
        })
    }
}

/// What a region holds.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum RegionKind {
    /// The program's context (`r1` at entry), e.g. `struct xdp_md`.
    Context,
    /// Packet bytes from `data_meta` (or `data`) to `data_end`.
    Packet,
    /// The BPF stack: all call frames, 512 bytes each, frame 0 at the top.
    Stack,
    /// Values of a map (one region per array map, one per hash element).
    MapValue { map: MapId },
    /// A plain input buffer (the conformance tests' `mem`: `r1` = start, `r2` = length).
    Input,
    /// A reserved ring-buffer record, between `ringbuf_reserve` and its submit or discard.
    RingbufRecord { map: MapId },
    /// Memory a caller configured for `probe_read_*`, readable by those helpers only.
    Probe,
}

impl fmt::Display for RegionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegionKind::Context => f.write_str("ctx"),
            RegionKind::Packet => f.write_str("packet"),
            RegionKind::Stack => f.write_str("stack"),
            RegionKind::MapValue { map } => write!(f, "map {} value", map.0),
            RegionKind::Input => f.write_str("input buffer"),
            RegionKind::RingbufRecord { map } => write!(f, "ringbuf {} record", map.0),
            RegionKind::Probe => f.write_str("probe memory"),
        }
    }
}

/// An index into the block slab.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash, PartialOrd, Ord)]
pub struct BlockId(u32);

#[derive(Debug)]
struct Block {
    bytes: Box<[Cell<u8>]>,
    /// Offset of the first usable byte, chosen so that it is 8-byte aligned.
    skew: usize,
    len: usize,
    transient: bool,
}

impl Block {
    fn cells(&self) -> &[Cell<u8>] {
        &self.bytes[self.skew..self.skew + self.len]
    }

    fn addr(&self) -> u64 {
        self.cells().as_ptr() as u64
    }
}

/// A typed window of a block.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Region {
    pub start: u64,
    pub len: u64,
    pub kind: RegionKind,
    pub writable: bool,
    block: BlockId,
    block_off: usize,
}

/// A context field that the kernel rewrites into a packet pointer (`xdp_md.data` etc.): a
/// load of it yields the 64-bit pointer, whatever its declared width.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum CtxField {
    Data,
    DataEnd,
    DataMeta,
}

/// The packet, inside a block with head- and tailroom for `xdp_adjust_head`/`_tail`.
#[derive(Clone, Copy, Debug)]
struct Packet {
    block: BlockId,
    /// Host addresses.
    meta: u64,
    data: u64,
    end: u64,
    cap_start: u64,
    cap_end: u64,
}

/// Headroom before the packet data, as the kernel's `XDP_PACKET_HEADROOM`.
pub const PACKET_HEADROOM: usize = 256;
/// Tailroom the packet can grow into with `xdp_adjust_tail`.
pub const PACKET_TAILROOM: usize = 256;

/// The regions of one machine.
#[derive(Debug, Default)]
pub struct Memory {
    blocks: Vec<Option<Block>>,
    free_ids: Vec<u32>,
    /// Keyed by start address.
    regions: BTreeMap<u64, Region>,
    /// The region of the last successful lookup: most accesses hit the same one.
    last: Option<Region>,
    ctx_fields: Vec<(u32, CtxField)>,
    ctx_start: u64,
    packet: Option<Packet>,
    /// Blocks to free at the end of the run (transient ones and deleted map elements).
    deferred: Vec<BlockId>,
}

type Res<T> = Result<T, crate::FaultKind>;

impl Memory {
    /// Allocates a zeroed block of `len` bytes. Transient blocks are freed at [`Self::end_run`].
    pub fn alloc(&mut self, len: usize, transient: bool) -> BlockId {
        let bytes: Box<[Cell<u8>]> = (0..len + 7).map(|_| Cell::new(0)).collect();
        let skew = (8 - (bytes.as_ptr() as usize) % 8) % 8;
        let block = Block {
            bytes,
            skew,
            len,
            transient,
        };
        let id = match self.free_ids.pop() {
            Some(i) => {
                self.blocks[i as usize] = Some(block);
                BlockId(i)
            }
            None => {
                self.blocks.push(Some(block));
                BlockId(u32::try_from(self.blocks.len() - 1).expect("fewer than 2^32 blocks"))
            }
        };
        if transient {
            self.deferred.push(id);
        }
        id
    }

    fn block(&self, id: BlockId) -> &Block {
        self.blocks[id.0 as usize].as_ref().expect("live block")
    }

    /// The host address of a block's first byte.
    pub fn block_addr(&self, id: BlockId) -> u64 {
        self.block(id).addr()
    }

    /// Adds a region over `block[off..off + len]` and returns its start address.
    pub fn add_region(
        &mut self,
        block: BlockId,
        off: usize,
        len: usize,
        kind: RegionKind,
        writable: bool,
    ) -> u64 {
        let b = self.block(block);
        assert!(off + len <= b.len, "region inside its block");
        let start = b.addr() + off as u64;
        self.regions.insert(
            start,
            Region {
                start,
                len: len as u64,
                kind,
                writable,
                block,
                block_off: off,
            },
        );
        start
    }

    /// Removes the region starting at `start` (if any).
    pub fn remove_region(&mut self, start: u64) {
        self.regions.remove(&start);
        self.last = None;
    }

    /// Frees a block, and drops its regions, at the end of the run.
    pub fn free_later(&mut self, block: BlockId) {
        // The regions stay readable until the run ends (RCU-like); only queue the block.
        self.deferred.push(block);
    }

    /// Ends a run: frees transient blocks and deferred ones, and their regions.
    pub fn end_run(&mut self) {
        let mut ids = std::mem::take(&mut self.deferred);
        ids.sort_unstable();
        ids.dedup();
        for id in ids {
            let Some(b) = self.blocks[id.0 as usize].take() else {
                continue;
            };
            let (addr, len) = (b.addr(), b.len as u64);
            let starts: Vec<u64> = self
                .regions
                .range(addr..addr + len.max(1))
                .map(|(k, _)| *k)
                .collect();
            for s in starts {
                if self.regions[&s].block == id {
                    self.regions.remove(&s);
                }
            }
            self.free_ids.push(id.0);
        }
        self.last = None;
        self.ctx_fields.clear();
        self.ctx_start = 0;
        self.packet = None;
    }

    /// Whether a block is transient (for tests and assertions).
    pub fn is_transient(&self, id: BlockId) -> bool {
        self.block(id).transient
    }

    // ---- context and packet ----

    /// Installs a transient context region holding `bytes`, whose `fields` are packet
    /// pointers. Returns its address (the program's `r1`).
    pub fn set_context(&mut self, bytes: &[u8], fields: &[(u32, CtxField)]) -> u64 {
        let b = self.alloc(bytes.len(), true);
        self.fill(b, 0, bytes);
        // Context fields are written by the kernel's rewrite only; programs may write the
        // others (e.g. `__sk_buff.cb`), which we allow.
        let start = self.add_region(b, 0, bytes.len(), RegionKind::Context, true);
        self.ctx_fields = fields.to_vec();
        self.ctx_start = start;
        start
    }

    /// Installs a transient packet with head- and tailroom; returns the address of `data`.
    pub fn set_packet(&mut self, bytes: &[u8]) -> u64 {
        let cap = PACKET_HEADROOM + bytes.len() + PACKET_TAILROOM;
        let b = self.alloc(cap, true);
        self.fill(b, PACKET_HEADROOM, bytes);
        let base = self.block_addr(b);
        let data = base + PACKET_HEADROOM as u64;
        let p = Packet {
            block: b,
            meta: data,
            data,
            end: data + bytes.len() as u64,
            cap_start: base,
            cap_end: base + cap as u64,
        };
        self.packet = Some(p);
        self.add_region(b, PACKET_HEADROOM, bytes.len(), RegionKind::Packet, true);
        data
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
        self.add_region(
            p.block,
            off,
            (end - meta) as usize,
            RegionKind::Packet,
            true,
        );
        true
    }

    // ---- checked access ----

    /// The region containing `[addr, addr + size)`, or the fault for that access.
    #[inline]
    pub fn lookup(&mut self, addr: u64, size: u64, access: Access) -> Res<Region> {
        let r = match self.last {
            Some(r) if addr.wrapping_sub(r.start) < r.len && addr - r.start + size <= r.len => r,
            _ => self.lookup_slow(addr, size, access)?,
        };
        if access == Access::Write && !r.writable {
            return Err(crate::FaultKind::ReadOnly {
                addr,
                size: size as u32,
                region: r.kind,
            });
        }
        Ok(r)
    }

    #[cold]
    fn lookup_slow(&mut self, addr: u64, size: u64, access: Access) -> Res<Region> {
        let found = self.regions.range(..=addr).next_back().map(|(_, r)| *r);
        match found {
            Some(r) if addr - r.start < r.len && addr - r.start + size <= r.len => {
                self.last = Some(r);
                Ok(r)
            }
            near => Err(crate::FaultKind::OutOfBounds {
                addr,
                size: size as u32,
                access,
                near: near.map(|r| (r.kind, addr.wrapping_sub(r.start) as i64)),
            }),
        }
    }

    /// Loads `size` (1, 2, 4 or 8) bytes, little-endian, zero-extended.
    #[inline]
    pub fn load(&mut self, addr: u64, size: u32) -> Res<u64> {
        let r = self.lookup(addr, u64::from(size), Access::Read)?;
        if r.kind == RegionKind::Context && !self.ctx_fields.is_empty() {
            if let Some(v) = self.ctx_field_load(addr, size)? {
                return Ok(v);
            }
        }
        let b = self.block(r.block);
        Ok(read_cells(
            &b.cells()[r.block_off + (addr - r.start) as usize..],
            size,
        ))
    }

    /// Stores the low `size` bytes of `v`.
    #[inline]
    pub fn store(&mut self, addr: u64, size: u32, v: u64) -> Res<()> {
        let r = self.lookup(addr, u64::from(size), Access::Write)?;
        if r.kind == RegionKind::Context {
            let off = (addr - self.ctx_start) as u32;
            if self
                .ctx_fields
                .iter()
                .any(|&(f, _)| off < f + 4 && f < off + size)
            {
                return Err(crate::FaultKind::BadCtxAccess { off, size });
            }
        }
        let b = self.block(r.block);
        write_cells(
            &b.cells()[r.block_off + (addr - r.start) as usize..],
            size,
            v,
        );
        Ok(())
    }

    fn ctx_field_load(&self, addr: u64, size: u32) -> Res<Option<u64>> {
        let off = (addr - self.ctx_start) as u32;
        for &(f, field) in &self.ctx_fields {
            if off == f && size >= 4 {
                let p = self
                    .packet
                    .ok_or(crate::FaultKind::BadCtxAccess { off, size })?;
                return Ok(Some(match field {
                    CtxField::Data => p.data,
                    CtxField::DataEnd => p.end,
                    CtxField::DataMeta => p.meta,
                }));
            }
            if off < f + 4 && f < off + size {
                return Err(crate::FaultKind::BadCtxAccess { off, size });
            }
        }
        Ok(None)
    }

    /// The 64-bit value a context pointer field reads as, for the JIT's rewritten loads.
    pub fn ctx_field_value(&self, field: CtxField) -> u64 {
        self.packet.map_or(0, |p| match field {
            CtxField::Data => p.data,
            CtxField::DataEnd => p.end,
            CtxField::DataMeta => p.meta,
        })
    }

    /// Checks a whole-range access without performing it (helpers, atomics).
    pub fn check(&mut self, addr: u64, len: u64, access: Access) -> Res<Region> {
        self.lookup(addr, len.max(1), access)
    }

    /// Copies `len` bytes out (checked).
    pub fn read_bytes(&mut self, addr: u64, len: usize) -> Res<Vec<u8>> {
        if len == 0 {
            return Ok(Vec::new());
        }
        let r = self.lookup(addr, len as u64, Access::Read)?;
        let off = r.block_off + (addr - r.start) as usize;
        Ok(self.block(r.block).cells()[off..off + len]
            .iter()
            .map(Cell::get)
            .collect())
    }

    /// Copies bytes in (checked).
    pub fn write_bytes(&mut self, addr: u64, bytes: &[u8]) -> Res<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        let r = self.lookup(addr, bytes.len() as u64, Access::Write)?;
        let off = r.block_off + (addr - r.start) as usize;
        for (c, &v) in self.block(r.block).cells()[off..off + bytes.len()]
            .iter()
            .zip(bytes)
        {
            c.set(v);
        }
        Ok(())
    }

    /// Reads a NUL-terminated string of at most `max` bytes (checked, byte by byte); the
    /// result excludes the NUL.
    pub fn read_cstr(&mut self, addr: u64, max: usize) -> Res<Vec<u8>> {
        let mut res = Vec::new();
        for i in 0..max as u64 {
            let b = self.load(addr + i, 1)? as u8;
            if b == 0 {
                break;
            }
            res.push(b);
        }
        Ok(res)
    }

    // ---- unchecked block access (runtime-internal owners: maps, helpers) ----

    /// Writes `bytes` at `off` of a block.
    pub fn fill(&self, block: BlockId, off: usize, bytes: &[u8]) {
        for (c, &v) in self.block(block).cells()[off..off + bytes.len()]
            .iter()
            .zip(bytes)
        {
            c.set(v);
        }
    }

    /// Copies `len` bytes from `off` of a block.
    pub fn block_bytes(&self, block: BlockId, off: usize, len: usize) -> Vec<u8> {
        self.block(block).cells()[off..off + len]
            .iter()
            .map(Cell::get)
            .collect()
    }

    /// Zeroes a whole block.
    pub fn zero(&self, block: BlockId) {
        for c in self.block(block).cells() {
            c.set(0);
        }
    }

    /// The regions currently installed, in address order.
    pub fn regions(&self) -> impl Iterator<Item = &Region> {
        self.regions.values()
    }

    /// The region containing byte `addr`, if any (no access check, no cache update).
    pub fn region_at(&self, addr: u64) -> Option<Region> {
        self.regions
            .range(..=addr)
            .next_back()
            .map(|(_, r)| *r)
            .filter(|r| addr - r.start < r.len)
    }

    /// A copy of `len` bytes at `addr` when they lie inside one region (no access check
    /// recorded, for reading results out of the machine).
    pub fn peek_bytes(&self, addr: u64, len: usize) -> Option<Vec<u8>> {
        let r = self.region_at(addr)?;
        if addr - r.start + len as u64 > r.len {
            return None;
        }
        let off = r.block_off + (addr - r.start) as usize;
        Some(self.block_bytes(r.block, off, len))
    }
}

#[inline]
fn read_cells(s: &[Cell<u8>], size: u32) -> u64 {
    match size {
        1 => u64::from(s[0].get()),
        2 => u64::from(u16::from_le_bytes([s[0].get(), s[1].get()])),
        4 => u64::from(u32::from_le_bytes([
            s[0].get(),
            s[1].get(),
            s[2].get(),
            s[3].get(),
        ])),
        _ => u64::from_le_bytes([
            s[0].get(),
            s[1].get(),
            s[2].get(),
            s[3].get(),
            s[4].get(),
            s[5].get(),
            s[6].get(),
            s[7].get(),
        ]),
    }
}

#[inline]
fn write_cells(s: &[Cell<u8>], size: u32, v: u64) {
    let b = v.to_le_bytes();
    for (c, &x) in s[..size as usize].iter().zip(&b) {
        c.set(x);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FaultKind;

    #[test]
    fn checked_access_and_faults() {
        let mut m = Memory::default();
        let b = m.alloc(16, true);
        let a = m.add_region(b, 0, 16, RegionKind::Input, true);
        m.store(a + 8, 8, 0x1122_3344_5566_7788).unwrap();
        assert_eq!(m.load(a + 8, 4).unwrap(), 0x5566_7788);
        assert_eq!(m.load(a + 15, 1).unwrap(), 0x11);
        let e = m.load(a + 12, 8).unwrap_err();
        assert!(
            matches!(
                e,
                FaultKind::OutOfBounds {
                    size: 8,
                    access: Access::Read,
                    near: Some((RegionKind::Input, 12)),
                    ..
                }
            ),
            "{e:?}"
        );
        m.end_run();
        assert!(m.load(a, 1).is_err());
    }

    #[test]
    fn ctx_pointer_fields_read_as_packet_pointers() {
        let mut m = Memory::default();
        let data = m.set_packet(&[1, 2, 3, 4]);
        let ctx = m.set_context(
            &[0; 24],
            &[
                (0, CtxField::Data),
                (4, CtxField::DataEnd),
                (8, CtxField::DataMeta),
            ],
        );
        assert_eq!(m.load(ctx, 4).unwrap(), data);
        assert_eq!(m.load(ctx + 4, 4).unwrap(), data + 4);
        assert!(m.store(ctx, 4, 0).is_err());
        assert_eq!(m.load(data + 3, 1).unwrap(), 4);
        assert!(m.load(data + 4, 1).is_err());
        assert!(m.adjust_packet(data - 2, data - 2, data + 4));
        assert_eq!(m.load(data - 2, 1).unwrap(), 0);
        assert_eq!(m.packet_bytes().unwrap(), vec![0, 0, 1, 2, 3, 4]);
    }
}
