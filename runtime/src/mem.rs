//! The memory model: typed regions over runtime-owned blocks, addressed by host addresses.
//!
//! Representation. Every byte a program can touch lives in a *block*, a heap allocation owned
//! by [`Memory`] (`Rc<[Cell<u8>]>`, 8-byte aligned start; shared only with the access cache). A *region* is a window of a block
//! with a kind (context, packet, stack, map value, ...) and a permission. A BPF pointer is the
//! host address of a byte, so the JIT in unchecked mode can dereference it directly, and both
//! engines see the same pointer values.
//!
//! Invariant: regions never overlap, and every region lies inside its block. An access of `n`
//! bytes at `addr` is valid exactly when `[addr, addr + n)` lies inside one region (and the
//! region is writable, for a store). The interpreter and the checked JIT validate every access
//! against this table; the unchecked JIT relies on the analyzer's proof instead.
//!
//! Lifetimes. Map values and the stack are *persistent* blocks (they outlive a run); ring-buffer
//! records and helpers' scratch copies are *transient*: they are freed by [`Memory::end_run`].
//! A hash-map element deleted during a run stays readable until the run ends, as under the
//! kernel's RCU, so a stale pointer never becomes a dangling host pointer. The context, packet
//! and input buffer live in blocks kept from run to run (see `inputs`): a run of the same shape
//! re-fills them in place instead of allocating, and their regions stay installed between
//! runs (no code runs then) until a run with a different input replaces or removes them.
//!
//! Speed. The last region a checked access hit is cached with its bytes ([`Hot`]), so a run of
//! accesses to one region (a packet walk, a stack frame) costs two compares and one slice index.
//! Writes to the stack lower a watermark, so the next run re-zeroes only the bytes written.
//!
//! Why `Cell<u8>`: the unchecked JIT writes through raw host pointers while `Memory` owns the
//! bytes. Cells make those writes permitted through shared references, so safe Rust code here
//! never holds a `&mut [u8]` that JIT code could alias.

use crate::maps::MapId;
use std::cell::Cell;
use std::collections::BTreeMap;
use std::fmt;
use std::rc::Rc;

mod inputs;
mod objects;

pub use objects::{CtxObject, ObjectKind};

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
    /// A kernel object a BTF-typed context points to (`task_struct`, ...): read-only, and
    /// read through probe loads.
    KernelObject,
    /// A flow dissector's `struct bpf_flow_keys` (`__sk_buff.flow_keys`), which the program
    /// fills in.
    FlowKeys,
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
            RegionKind::KernelObject => f.write_str("kernel object"),
            RegionKind::FlowKeys => f.write_str("flow keys"),
        }
    }
}

/// An index into the block slab.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash, PartialOrd, Ord)]
pub struct BlockId(u32);

#[derive(Debug)]
struct Block {
    bytes: Rc<[Cell<u8>]>,
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

/// A context field that the kernel rewrites into a pointer (`xdp_md.data` etc.): a load of it
/// yields the 64-bit pointer, whatever its declared width.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum CtxField {
    Data,
    DataEnd,
    DataMeta,
    /// `__sk_buff.flow_keys` of a flow dissector: the run's [`ObjectKind::FlowKeys`] object.
    FlowKeys,
    /// A nullable pointer field whose object the runtime does not model (`__sk_buff.sk`,
    /// `bpf_sock_ops.sk`, ...): it reads as NULL, a value the verifier makes every program
    /// handle, so all engines agree whatever bytes the caller put there.
    Null,
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
    /// The skb's link-layer and network headers (see [`crate::SkbHeaders`]).
    mac: Option<u64>,
    net: u64,
}

/// Headroom before the packet data, as the kernel's `XDP_PACKET_HEADROOM`.
pub const PACKET_HEADROOM: usize = 256;
/// Tailroom the packet can grow into with `xdp_adjust_tail`.
pub const PACKET_TAILROOM: usize = 256;

/// The region of the last successful checked access, with its bytes at hand.
#[derive(Clone, Debug)]
struct Hot {
    region: Region,
    /// Index of the region's first byte in `bytes`.
    base: usize,
    bytes: Rc<[Cell<u8>]>,
    /// Plain loads may use the cache: not a context with pointer fields, whose loads are
    /// rewritten.
    load_ok: bool,
    /// Plain stores may use the cache: writable, and not a context with pointer fields.
    store_ok: bool,
    stack: bool,
}

/// The regions of one machine.
#[derive(Debug, Default)]
pub struct Memory {
    blocks: Vec<Option<Block>>,
    free_ids: Vec<u32>,
    /// Keyed by start address.
    regions: BTreeMap<u64, Region>,
    /// Most accesses hit the same region as the one before.
    hot: Option<Hot>,
    /// The region `hot` held before it: loops that alternate between two regions (the stack
    /// and a map value, a packet and the stack) swap the two instead of searching `regions`.
    warm: Option<Hot>,
    ctx_fields: Vec<(u32, CtxField)>,
    ctx_start: u64,
    packet: Option<Packet>,
    /// Blocks to free at the end of the run (transient ones and deleted map elements).
    deferred: Vec<BlockId>,
    /// The blocks kept from run to run for the context, packet and input buffer.
    slots: inputs::Slots,
    /// Lowest stack address written since [`Self::take_stack_watermark`] (`u64::MAX`: none).
    stack_low: u64,
    /// The run's context objects (see `objects`).
    objects: objects::Objects,
}

type Res<T> = Result<T, crate::FaultKind>;

impl Memory {
    /// Allocates a zeroed block of `len` bytes. Transient blocks are freed at [`Self::end_run`].
    pub fn alloc(&mut self, len: usize, transient: bool) -> BlockId {
        let bytes: Rc<[Cell<u8>]> = (0..len + 7).map(|_| Cell::new(0)).collect();
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
        let replaced = self.regions.insert(
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
        if replaced.is_some() {
            self.forget_hot();
        }
        start
    }

    /// Removes the region starting at `start` (if any).
    pub fn remove_region(&mut self, start: u64) {
        self.regions.remove(&start);
        self.forget_hot();
    }

    /// Drops the cached regions: a region was removed or replaced, or the context's fields
    /// changed.
    pub(crate) fn forget_hot(&mut self) {
        self.hot = None;
        self.warm = None;
    }

    /// Frees a block, and drops its regions, at the end of the run.
    pub fn free_later(&mut self, block: BlockId) {
        // The regions stay readable until the run ends (RCU-like); only queue the block.
        self.deferred.push(block);
    }

    /// Frees a block and its regions now.
    fn free_now(&mut self, id: BlockId) {
        let Some(b) = self.blocks[id.0 as usize].take() else {
            return;
        };
        let (addr, len) = (b.addr(), b.len as u64);
        let starts: Vec<u64> = self
            .regions
            .range(addr..addr + len.max(1))
            .filter(|(_, r)| r.block == id)
            .map(|(k, _)| *k)
            .collect();
        for s in starts {
            self.regions.remove(&s);
        }
        self.free_ids.push(id.0);
        self.forget_hot();
    }

    /// Ends a run: frees transient blocks and deferred ones, and their regions. The context,
    /// packet and input regions stay installed for the next run to re-use or remove.
    pub fn end_run(&mut self) {
        if self.deferred.is_empty() {
            return;
        }
        let mut ids = std::mem::take(&mut self.deferred);
        ids.sort_unstable();
        ids.dedup();
        for id in ids.drain(..) {
            self.free_now(id);
        }
        // Keep the allocation for the next run.
        self.deferred = ids;
    }

    /// Whether a block is transient (for tests and assertions).
    pub fn is_transient(&self, id: BlockId) -> bool {
        self.block(id).transient
    }

    // ---- stack watermark ----

    /// Records that the stack may have been written from `addr` up (the unchecked JIT's
    /// frames, which no check sees).
    pub fn note_stack_write(&mut self, addr: u64) {
        self.stack_low = self.stack_low.min(addr);
    }

    /// The lowest stack address written since the last call (`u64::MAX`: none), and resets it.
    pub fn take_stack_watermark(&mut self) -> u64 {
        std::mem::replace(&mut self.stack_low, u64::MAX)
    }

    // ---- checked access ----

    /// The region containing `[addr, addr + size)`, or the fault for that access.
    #[inline]
    pub fn lookup(&mut self, addr: u64, size: u64, access: Access) -> Res<Region> {
        let r = match &self.hot {
            Some(h) if fits(&h.region, addr, size) => h.region,
            _ => self.lookup_slow(addr, size, access)?,
        };
        if access == Access::Write {
            if !r.writable {
                return Err(crate::FaultKind::ReadOnly {
                    addr,
                    size: size as u32,
                    region: r.kind,
                });
            }
            if r.kind == RegionKind::Stack {
                self.note_stack_write(addr);
            }
        }
        Ok(r)
    }

    #[cold]
    #[inline(never)]
    fn lookup_slow(&mut self, addr: u64, size: u64, access: Access) -> Res<Region> {
        if self.promote_warm(addr, size) {
            if let Some(h) = &self.hot {
                return Ok(h.region);
            }
        }
        let found = self.regions.range(..=addr).next_back().map(|(_, r)| *r);
        match found {
            Some(r) if fits(&r, addr, size) => {
                let plain = r.kind != RegionKind::Context || self.ctx_fields.is_empty();
                self.warm = self.hot.take();
                let b = self.block(r.block);
                self.hot = Some(Hot {
                    region: r,
                    base: b.skew + r.block_off,
                    bytes: Rc::clone(&b.bytes),
                    load_ok: plain,
                    store_ok: plain && r.writable,
                    stack: r.kind == RegionKind::Stack,
                });
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
    ///
    /// Only the two cached regions' checks are inlined into the interpreter's loop (with more,
    /// the compiler called this out of line: 7-10 % of a map-lookup loop's time). The warm
    /// region is read in place, so a loop alternating between two regions (the stack and a
    /// map value, a packet and the stack) never leaves the inline path.
    #[inline(always)]
    pub fn load(&mut self, addr: u64, size: u32) -> Res<u64> {
        match read_cached(&self.hot, addr, size).or_else(|| read_cached(&self.warm, addr, size)) {
            Some(v) => Ok(v),
            None => self.load_slow(addr, size),
        }
    }

    /// Swaps the warm region in as the hot one if it holds `addr..addr + size`.
    #[inline(always)]
    fn promote_warm(&mut self, addr: u64, size: u64) -> bool {
        let hit = matches!(&self.warm, Some(w) if fits(&w.region, addr, size));
        if hit {
            std::mem::swap(&mut self.hot, &mut self.warm);
        }
        hit
    }

    /// `(start, len)` of the region plain loads may read without a check until a region is
    /// removed: the last one a load found, unless it is a context with pointer fields.
    pub fn load_window(&self) -> Option<(u64, u64)> {
        self.hot
            .as_ref()
            .filter(|h| h.load_ok)
            .map(|h| (h.region.start, h.region.len))
    }

    #[inline(never)]
    fn load_slow(&mut self, addr: u64, size: u32) -> Res<u64> {
        let r = self.lookup(addr, u64::from(size), Access::Read)?;
        if r.kind == RegionKind::Context && !self.ctx_fields.is_empty() {
            if let Some(v) = self.ctx_field_load(addr, size)? {
                return Ok(v);
            }
        }
        let b = self.block(r.block);
        Ok(read_le(
            &b.bytes,
            b.skew + r.block_off + (addr - r.start) as usize,
            size,
        ))
    }

    /// Stores the low `size` bytes of `v` (inlined as [`Memory::load`] is).
    #[inline(always)]
    pub fn store(&mut self, addr: u64, size: u32, v: u64) -> Res<()> {
        if write_cached(&self.hot, &mut self.stack_low, addr, size, v)
            || write_cached(&self.warm, &mut self.stack_low, addr, size, v)
        {
            return Ok(());
        }
        self.store_slow(addr, size, v)
    }

    #[inline(never)]
    fn store_slow(&mut self, addr: u64, size: u32, v: u64) -> Res<()> {
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
        write_le(
            &b.bytes,
            b.skew + r.block_off + (addr - r.start) as usize,
            size,
            v,
        );
        Ok(())
    }

    fn ctx_field_load(&self, addr: u64, size: u32) -> Res<Option<u64>> {
        let off = (addr - self.ctx_start) as u32;
        for &(f, field) in &self.ctx_fields {
            if off == f && size >= 4 {
                return self
                    .field_pointer(field)
                    .map(Some)
                    .ok_or(crate::FaultKind::BadCtxAccess { off, size });
            }
            if off < f + 4 && f < off + size {
                return Err(crate::FaultKind::BadCtxAccess { off, size });
            }
        }
        Ok(None)
    }

    /// What a context pointer field points to in this run, if the run has it.
    fn field_pointer(&self, field: CtxField) -> Option<u64> {
        match field {
            CtxField::FlowKeys => self.flow_keys_addr(),
            CtxField::Null => Some(0),
            _ => self.packet.map(|p| match field {
                CtxField::Data => p.data,
                CtxField::DataEnd => p.end,
                _ => p.meta,
            }),
        }
    }

    /// The 64-bit value a context pointer field reads as, for the JIT's rewritten loads.
    pub fn ctx_field_value(&self, field: CtxField) -> u64 {
        self.field_pointer(field).unwrap_or(0)
    }

    /// A load with the kernel's `BPF_PROBE_MEM` semantics (loads through BTF-typed kernel
    /// pointers): a normal load when `[addr, addr + size)` lies inside a region, else 0 and no
    /// fault, as the kernel's exception table makes a faulting probe load read.
    pub fn probe_load(&mut self, addr: u64, size: u32) -> Res<u64> {
        match self.load(addr, size) {
            Err(crate::FaultKind::OutOfBounds { .. }) => Ok(0),
            res => res,
        }
    }

    /// Checks a whole-range access without performing it (helpers, atomics).
    pub fn check(&mut self, addr: u64, len: u64, access: Access) -> Res<Region> {
        self.lookup(addr, len.max(1), access)
    }

    /// Copies `len` bytes out (checked).
    pub fn read_bytes(&mut self, addr: u64, len: usize) -> Res<Vec<u8>> {
        let mut v = vec![0; len];
        self.read_into(addr, &mut v)?;
        Ok(v)
    }

    /// Fills `buf` from `addr` (checked), for callers that keep small copies on their stack.
    pub fn read_into(&mut self, addr: u64, buf: &mut [u8]) -> Res<()> {
        if buf.is_empty() {
            return Ok(());
        }
        let r = self.lookup(addr, buf.len() as u64, Access::Read)?;
        let off = r.block_off + (addr - r.start) as usize;
        let n = buf.len();
        for (b, c) in buf
            .iter_mut()
            .zip(&self.block(r.block).cells()[off..off + n])
        {
            *b = c.get();
        }
        Ok(())
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
        self.zero_range(block, 0, self.block(block).len);
    }

    /// Zeroes bytes `from..to` of a block.
    pub fn zero_range(&self, block: BlockId, from: usize, to: usize) {
        for c in &self.block(block).cells()[from..to] {
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

/// A store into a cached region, when it holds `addr..addr + size` and may be written directly
/// (`stack_low` follows the lowest stack byte written, which the next run re-zeroes from).
#[inline(always)]
fn write_cached(h: &Option<Hot>, stack_low: &mut u64, addr: u64, size: u32, v: u64) -> bool {
    let Some(h) = h else {
        return false;
    };
    if !(h.store_ok && fits(&h.region, addr, u64::from(size))) {
        return false;
    }
    let at = h.base + (addr - h.region.start) as usize;
    write_le(&h.bytes, at, size, v);
    if h.stack && addr < *stack_low {
        *stack_low = addr;
    }
    true
}

/// A load from a cached region, when it holds `addr..addr + size` and may be read directly.
#[inline(always)]
fn read_cached(h: &Option<Hot>, addr: u64, size: u32) -> Option<u64> {
    let h = h.as_ref()?;
    (h.load_ok && fits(&h.region, addr, u64::from(size))).then(|| {
        let at = h.base + (addr - h.region.start) as usize;
        read_le(&h.bytes, at, size)
    })
}

/// Whether `[addr, addr + size)` lies inside `r` (`size` ≥ 1; no overflow for any `addr`).
#[inline(always)]
fn fits(r: &Region, addr: u64, size: u64) -> bool {
    let off = addr.wrapping_sub(r.start);
    off < r.len && size <= r.len - off
}

/// Reads `size` bytes little-endian at `at`; the fixed-size copies let the compiler turn the
/// byte cells into one load.
#[inline(always)]
fn read_le(s: &[Cell<u8>], at: usize, size: u32) -> u64 {
    fn bytes<const N: usize>(s: &[Cell<u8>], at: usize) -> [u8; N] {
        let c: &[Cell<u8>; N] = s[at..at + N].try_into().expect("N bytes");
        std::array::from_fn(|i| c[i].get())
    }
    match size {
        1 => u64::from(s[at].get()),
        2 => u64::from(u16::from_le_bytes(bytes(s, at))),
        4 => u64::from(u32::from_le_bytes(bytes(s, at))),
        _ => u64::from_le_bytes(bytes(s, at)),
    }
}

#[inline(always)]
fn write_le(s: &[Cell<u8>], at: usize, size: u32, v: u64) {
    fn put<const N: usize>(s: &[Cell<u8>], at: usize, b: &[u8; 8]) {
        let c: &[Cell<u8>; N] = s[at..at + N].try_into().expect("N bytes");
        for i in 0..N {
            c[i].set(b[i]);
        }
    }
    let b = v.to_le_bytes();
    match size {
        1 => s[at].set(b[0]),
        2 => put::<2>(s, at, &b),
        4 => put::<4>(s, at, &b),
        _ => put::<8>(s, at, &b),
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

    #[test]
    fn alternating_regions_stay_checked() {
        let mut m = Memory::default();
        let (x, y) = (m.alloc(8, false), m.alloc(8, false));
        let a = m.add_region(x, 0, 8, RegionKind::Input, true);
        let b = m.add_region(y, 0, 8, RegionKind::Input, false);
        for i in 0..4u64 {
            m.store(a, 8, i).unwrap();
            assert_eq!(m.load(a, 8).unwrap(), i);
            assert_eq!(m.load(b, 8).unwrap(), 0);
            // The read-only region stays read-only when it comes back from the second slot.
            assert!(matches!(m.store(b, 1, 1), Err(FaultKind::ReadOnly { .. })));
        }
        // Neither slot outlives its region: `a` is the second slot here.
        m.remove_region(a);
        assert!(matches!(m.load(a, 1), Err(FaultKind::OutOfBounds { .. })));
        assert_eq!(m.load(b, 1).unwrap(), 0);
    }
}
