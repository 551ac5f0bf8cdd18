//! Maps: array, hash, per-CPU array/hash (one CPU), LRU hash, LPM trie, queue/stack, ring
//! buffer, perf event array and program array, with the kernel's type ids and error returns;
//! and the maps whose values refer to kernel objects (maps of maps, device, CPU and socket
//! maps, cgroup arrays, stack traces, socket storage), which share one keyed store
//! ([`slots`]), plus the bloom filter ([`bloom`]).
//!
//! Values that programs can point into live in [`Memory`] blocks, so a `map_lookup_elem`
//! result is an ordinary host pointer into a `MapValue` region. Keys and bookkeeping live here.
//! Iteration order is deterministic (keys sorted), so runs are reproducible.
//!
//! Simplifications, each deliberate: one CPU, so a per-CPU map is its plain twin; LRU eviction
//! is exact least-recently-used (the kernel's is approximate); the LPM trie is a sorted list
//! scanned for the longest match (correct, not fast).

use crate::mem::{BlockId, Memory, RegionKind};
use std::collections::{BTreeMap, VecDeque};

pub mod bloom;
pub mod gen;
pub mod of_maps;
pub mod slots;
pub mod stack_trace;

/// A map, by its index in the machine's map table.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash, PartialOrd, Ord)]
pub struct MapId(pub u32);

/// Map types, numbered as the kernel's `enum bpf_map_type`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum MapType {
    Hash = 1,
    Array = 2,
    ProgArray = 3,
    PerfEventArray = 4,
    PercpuHash = 5,
    PercpuArray = 6,
    StackTrace = 7,
    CgroupArray = 8,
    LruHash = 9,
    LruPercpuHash = 10,
    LpmTrie = 11,
    ArrayOfMaps = 12,
    HashOfMaps = 13,
    DevMap = 14,
    SockMap = 15,
    CpuMap = 16,
    XskMap = 17,
    SockHash = 18,
    CgroupStorage = 19,
    ReuseportSockarray = 20,
    PercpuCgroupStorage = 21,
    Queue = 22,
    Stack = 23,
    SkStorage = 24,
    DevMapHash = 25,
    Ringbuf = 27,
    BloomFilter = 30,
}

impl MapType {
    /// The type with kernel id `id`, if we implement it.
    pub fn from_kernel_id(id: u32) -> Option<MapType> {
        Some(match id {
            1 => MapType::Hash,
            2 => MapType::Array,
            3 => MapType::ProgArray,
            4 => MapType::PerfEventArray,
            5 => MapType::PercpuHash,
            6 => MapType::PercpuArray,
            7 => MapType::StackTrace,
            8 => MapType::CgroupArray,
            9 => MapType::LruHash,
            10 => MapType::LruPercpuHash,
            11 => MapType::LpmTrie,
            12 => MapType::ArrayOfMaps,
            13 => MapType::HashOfMaps,
            14 => MapType::DevMap,
            15 => MapType::SockMap,
            16 => MapType::CpuMap,
            17 => MapType::XskMap,
            18 => MapType::SockHash,
            19 => MapType::CgroupStorage,
            20 => MapType::ReuseportSockarray,
            21 => MapType::PercpuCgroupStorage,
            22 => MapType::Queue,
            23 => MapType::Stack,
            24 => MapType::SkStorage,
            25 => MapType::DevMapHash,
            27 => MapType::Ringbuf,
            30 => MapType::BloomFilter,
            _ => return None,
        })
    }
}

/// A map definition, as in an ELF `.maps` section.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct MapDef {
    pub map_type: MapType,
    pub key_size: u32,
    pub value_size: u32,
    pub max_entries: u32,
    pub flags: u32,
    /// Programs may read but not write the values (`.rodata`, or `BPF_F_RDONLY_PROG`).
    pub read_only: bool,
    /// The kernel's `map_extra` (a bloom filter's hash-function count).
    pub extra: u64,
}

impl MapDef {
    pub fn new(map_type: MapType, key_size: u32, value_size: u32, max_entries: u32) -> MapDef {
        MapDef {
            map_type,
            key_size,
            value_size,
            max_entries,
            flags: 0,
            read_only: false,
            extra: 0,
        }
    }
}

/// Why a map could not be created.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MapError {
    #[error("invalid map definition: {0}")]
    BadDef(&'static str),
}

/// Kernel errno values the map operations return (negated).
pub mod errno {
    pub const ENOENT: i64 = 2;
    pub const EAGAIN: i64 = 11;
    pub const EPERM: i64 = 1;
    pub const ENODEV: i64 = 19;
    pub const EFAULT: i64 = 14;
    pub const EBUSY: i64 = 16;
    pub const EEXIST: i64 = 17;
    pub const EINVAL: i64 = 22;
    pub const E2BIG: i64 = 7;
    pub const ENOSPC: i64 = 28;
    pub const ENOMSG: i64 = 42;
    pub const EOVERFLOW: i64 = 75;
    pub const EAFNOSUPPORT: i64 = 97;
    pub const EOPNOTSUPP: i64 = 95;
}

/// `map_update_elem` flags.
pub const BPF_ANY: u64 = 0;
pub const BPF_NOEXIST: u64 = 1;
pub const BPF_EXIST: u64 = 2;

#[derive(Clone, Copy, Debug)]
pub(crate) struct Elem {
    block: BlockId,
    addr: u64,
    last_used: u64,
}

#[derive(Debug)]
enum Storage {
    Array {
        block: BlockId,
        addr: u64,
    },
    Hash {
        elems: BTreeMap<Vec<u8>, Elem>,
        lru: bool,
    },
    /// Entries `(prefix_len, data)` → element.
    Lpm {
        elems: BTreeMap<(u32, Vec<u8>), Elem>,
    },
    Queue {
        items: VecDeque<Vec<u8>>,
        lifo: bool,
    },
    ProgArray {
        progs: Vec<Option<u32>>,
    },
    /// Events written by `perf_event_output`: (index, bytes).
    PerfEvents {
        events: Vec<(u32, Vec<u8>)>,
    },
    /// Submitted records, and reserved ones by address. `used` is the kernel's producer
    /// position less the consumer's: bytes of records (with their 8-byte headers) reserved
    /// and not yet consumed, discarded ones included, as the kernel frees a discarded record's
    /// space only when the consumer passes it. `consumed` is the consumer position.
    Ringbuf {
        records: Vec<Vec<u8>>,
        reserved: BTreeMap<u64, (BlockId, u32)>,
        used: u64,
        consumed: u64,
    },
    /// Maps whose values name kernel objects (see [`slots`]): key → value element.
    Slots {
        elems: BTreeMap<Vec<u8>, Elem>,
    },
    Bloom(bloom::Bloom),
}

/// One map.
#[derive(Debug)]
pub struct Map {
    pub def: MapDef,
    storage: Storage,
    clock: u64,
    /// For a map of maps: the machine ids of the maps its slots may hold (those matching its
    /// inner definition), when known (see [`of_maps`]).
    inner_ids: Option<Vec<u32>>,
}

fn round8(n: u32) -> u64 {
    (u64::from(n) + 7) & !7
}

impl Map {
    /// Creates a map whose value storage lives in `mem`.
    pub fn new(id: MapId, def: MapDef, mem: &mut Memory) -> Result<Map, MapError> {
        use MapType::*;
        let storage = match def.map_type {
            Array | PercpuArray => {
                if def.key_size != 4 || def.value_size == 0 {
                    return Err(MapError::BadDef("array maps need key_size 4 and a value"));
                }
                let len = round8(def.value_size) * u64::from(def.max_entries);
                let len = usize::try_from(len).map_err(|_| MapError::BadDef("array too large"))?;
                let block = mem.alloc(len, false);
                let addr = mem.add_region(
                    block,
                    0,
                    len,
                    RegionKind::MapValue { map: id },
                    !def.read_only,
                );
                Storage::Array { block, addr }
            }
            Hash | PercpuHash | LruHash | LruPercpuHash => {
                if def.key_size == 0 || def.value_size == 0 {
                    return Err(MapError::BadDef("hash maps need a key and a value"));
                }
                Storage::Hash {
                    elems: BTreeMap::new(),
                    lru: matches!(def.map_type, LruHash | LruPercpuHash),
                }
            }
            LpmTrie => {
                if def.key_size <= 4 {
                    return Err(MapError::BadDef(
                        "lpm trie keys are a u32 prefix length and data",
                    ));
                }
                Storage::Lpm {
                    elems: BTreeMap::new(),
                }
            }
            Queue | Stack => {
                if def.key_size != 0 {
                    return Err(MapError::BadDef("queue and stack maps have no key"));
                }
                Storage::Queue {
                    items: VecDeque::new(),
                    lifo: def.map_type == Stack,
                }
            }
            ProgArray => Storage::ProgArray {
                progs: vec![None; def.max_entries as usize],
            },
            PerfEventArray => Storage::PerfEvents { events: Vec::new() },
            Ringbuf => {
                if !def.max_entries.is_power_of_two() {
                    return Err(MapError::BadDef("ring buffer size must be a power of two"));
                }
                Storage::Ringbuf {
                    records: Vec::new(),
                    reserved: BTreeMap::new(),
                    used: 0,
                    consumed: 0,
                }
            }
            StackTrace | CgroupArray | ArrayOfMaps | HashOfMaps | DevMap | SockMap | CpuMap
            | SockHash | ReuseportSockarray | SkStorage | DevMapHash | XskMap | CgroupStorage
            | PercpuCgroupStorage => {
                slots::check_def(&def)?;
                Storage::Slots {
                    elems: BTreeMap::new(),
                }
            }
            BloomFilter => Storage::Bloom(bloom::Bloom::new(&def)?),
        };
        // Socket and cgroup storage have no capacity: the kernel requires 0 and sizes them by
        // sockets, or by the cgroups the program is attached to.
        if def.max_entries == 0
            && !matches!(
                def.map_type,
                PerfEventArray | SkStorage | CgroupStorage | PercpuCgroupStorage
            )
        {
            return Err(MapError::BadDef("max_entries is 0"));
        }
        Ok(Map {
            def,
            storage,
            clock: 0,
            inner_ids: None,
        })
    }

    fn tick(&mut self) -> u64 {
        self.clock += 1;
        self.clock
    }

    /// `map_lookup_elem`: the address of the value, or `None`.
    pub fn lookup(&mut self, key: &[u8]) -> Option<u64> {
        let now = self.tick();
        let vs = round8(self.def.value_size);
        let max = self.def.max_entries;
        match &mut self.storage {
            Storage::Array { addr, .. } => {
                let idx = u32::from_le_bytes(key.get(..4)?.try_into().ok()?);
                (idx < max).then(|| *addr + u64::from(idx) * vs)
            }
            Storage::Hash { elems, .. } => elems.get_mut(key).map(|e| {
                e.last_used = now;
                e.addr
            }),
            Storage::Lpm { elems } => lpm_match(elems, key).map(|e| e.addr),
            Storage::Slots { elems } => {
                elems.get(&slots::store_key(self.def, key)?).map(|e| e.addr)
            }
            _ => None,
        }
    }

    /// `map_update_elem`: 0 or a negative errno. `value` has `value_size` bytes.
    pub fn update(
        &mut self,
        id: MapId,
        mem: &mut Memory,
        key: &[u8],
        value: &[u8],
        flags: u64,
    ) -> i64 {
        let now = self.tick();
        let def = self.def;
        // Socket storage also takes `BPF_F_LOCK` (4), which one CPU never needs.
        let flags = if def.map_type == MapType::SkStorage {
            flags & !4
        } else {
            flags
        };
        if flags & !3 != 0 || flags == 3 {
            return -errno::EINVAL;
        }
        match &mut self.storage {
            Storage::Array { block, .. } => {
                let idx = u32::from_le_bytes(key[..4].try_into().unwrap_or_default());
                if idx >= def.max_entries {
                    return -errno::E2BIG;
                }
                if flags == BPF_NOEXIST {
                    return -errno::EEXIST;
                }
                mem.fill(
                    *block,
                    (u64::from(idx) * round8(def.value_size)) as usize,
                    value,
                );
                0
            }
            Storage::Hash { elems, lru } => {
                if let Some(e) = elems.get_mut(key) {
                    if flags == BPF_NOEXIST {
                        return -errno::EEXIST;
                    }
                    e.last_used = now;
                    mem.fill(e.block, 0, value);
                    return 0;
                }
                if flags == BPF_EXIST {
                    return -errno::ENOENT;
                }
                if elems.len() >= def.max_entries as usize {
                    if !*lru {
                        return -errno::E2BIG;
                    }
                    let victim = elems
                        .iter()
                        .min_by_key(|(_, e)| e.last_used)
                        .map(|(k, _)| k.clone());
                    if let Some(k) = victim {
                        let e = elems.remove(&k).expect("victim exists");
                        mem.free_later(e.block);
                    }
                }
                let e = new_elem(id, mem, def, value, now);
                elems.insert(key.to_vec(), e);
                0
            }
            Storage::Lpm { elems } => {
                let Some(k) = lpm_key(def, key) else {
                    return -errno::EINVAL;
                };
                if let Some(e) = elems.get(&k) {
                    if flags == BPF_NOEXIST {
                        return -errno::EEXIST;
                    }
                    mem.fill(e.block, 0, value);
                    return 0;
                }
                if flags == BPF_EXIST {
                    return -errno::ENOENT;
                }
                if elems.len() >= def.max_entries as usize {
                    return -errno::ENOSPC;
                }
                let e = new_elem(id, mem, def, value, now);
                elems.insert(k, e);
                0
            }
            Storage::Slots { elems } => {
                let Some(k) = slots::store_key(def, key) else {
                    return -errno::EINVAL;
                };
                // A map of maps holds only maps like its inner definition (the kernel's
                // `bpf_map_meta_equal`): a program's lookup result is typed by it.
                if let Some(allowed) = &self.inner_ids {
                    let inner = value
                        .get(..4)
                        .and_then(|b| b.try_into().ok())
                        .map(u32::from_le_bytes);
                    if !inner.is_some_and(|i| allowed.contains(&i)) {
                        return -errno::EINVAL;
                    }
                }
                match slots::check_update(def, &k, elems, value, flags) {
                    Err(e) => -e,
                    Ok(slots::Update::Clear) => {
                        if let Some(e) = elems.remove(&k) {
                            mem.free_later(e.block);
                        }
                        0
                    }
                    Ok(slots::Update::Set) => {
                        match elems.get(&k) {
                            Some(e) => mem.fill(e.block, 0, value),
                            None => {
                                let e = new_elem(id, mem, def, value, now);
                                elems.insert(k, e);
                            }
                        }
                        0
                    }
                }
            }
            Storage::Bloom(b) => b.push(value, flags),
            Storage::ProgArray { progs } => {
                let idx = u32::from_le_bytes(key[..4].try_into().unwrap_or_default()) as usize;
                let prog = u32::from_le_bytes(value[..4].try_into().unwrap_or_default());
                match progs.get_mut(idx) {
                    Some(slot) => {
                        *slot = Some(prog);
                        0
                    }
                    None => -errno::E2BIG,
                }
            }
            _ => -errno::EINVAL,
        }
    }

    /// `map_delete_elem`: 0 or a negative errno.
    pub fn delete(&mut self, mem: &mut Memory, key: &[u8]) -> i64 {
        let def = self.def;
        match &mut self.storage {
            Storage::Array { .. } => -errno::EINVAL,
            Storage::Hash { elems, .. } => match elems.remove(key) {
                Some(e) => {
                    mem.free_later(e.block);
                    0
                }
                None => -errno::ENOENT,
            },
            Storage::Lpm { elems } => {
                let Some(k) = lpm_key(def, key) else {
                    return -errno::EINVAL;
                };
                match elems.remove(&k) {
                    Some(e) => {
                        mem.free_later(e.block);
                        0
                    }
                    None => -errno::ENOENT,
                }
            }
            Storage::Slots { elems } => {
                let Some(k) = slots::store_key(def, key) else {
                    return -errno::EINVAL;
                };
                if let Err(e) = slots::check_delete(def, &k, elems) {
                    return -e;
                }
                match elems.remove(&k) {
                    Some(e) => {
                        mem.free_later(e.block);
                        0
                    }
                    // Emptying an empty device or CPU slot is no error.
                    None if matches!(def.map_type, MapType::DevMap | MapType::CpuMap) => 0,
                    None => -errno::ENOENT,
                }
            }
            Storage::Bloom(_) => -errno::EOPNOTSUPP,
            Storage::ProgArray { progs } => {
                let idx = u32::from_le_bytes(key[..4].try_into().unwrap_or_default()) as usize;
                match progs.get_mut(idx) {
                    Some(slot @ Some(_)) => {
                        *slot = None;
                        0
                    }
                    _ => -errno::ENOENT,
                }
            }
            _ => -errno::EINVAL,
        }
    }

    /// `map_push_elem` (queue/stack, bloom filter): 0 or a negative errno.
    pub fn push(&mut self, value: &[u8], flags: u64) -> i64 {
        let max = self.def.max_entries as usize;
        if let Storage::Bloom(b) = &mut self.storage {
            return b.push(value, flags);
        }
        let Storage::Queue { items, .. } = &mut self.storage else {
            return -errno::EINVAL;
        };
        if items.len() >= max {
            if flags & BPF_EXIST == 0 {
                return -errno::E2BIG;
            }
            // Make room by dropping the oldest element (the front, for queues and stacks).
            items.pop_front();
        }
        items.push_back(value.to_vec());
        0
    }

    /// `map_pop_elem` / `map_peek_elem`: the value, or `None` when empty.
    pub fn pop(&mut self, remove: bool) -> Option<Vec<u8>> {
        let Storage::Queue { items, lifo } = &mut self.storage else {
            return None;
        };
        match (remove, *lifo) {
            (true, true) => items.pop_back(),
            (true, false) => items.pop_front(),
            (false, true) => items.back().cloned(),
            (false, false) => items.front().cloned(),
        }
    }

    /// The program index stored at `idx` of a program array.
    pub fn prog_at(&self, idx: u32) -> Option<u32> {
        match &self.storage {
            Storage::ProgArray { progs } => progs.get(idx as usize).copied().flatten(),
            _ => None,
        }
    }

    /// Records a `perf_event_output` event.
    pub fn perf_output(&mut self, index: u32, bytes: Vec<u8>) -> i64 {
        match &mut self.storage {
            Storage::PerfEvents { events } => {
                events.push((index, bytes));
                0
            }
            _ => -errno::EINVAL,
        }
    }

    /// Events captured so far by a perf event array.
    pub fn perf_events(&self) -> &[(u32, Vec<u8>)] {
        match &self.storage {
            Storage::PerfEvents { events } => events,
            _ => &[],
        }
    }

    /// `ringbuf_output`: appends a record. 0 or a negative errno.
    pub fn ringbuf_output(&mut self, bytes: Vec<u8>) -> i64 {
        let cap = u64::from(self.def.max_entries);
        let Storage::Ringbuf { records, used, .. } = &mut self.storage else {
            return -errno::EINVAL;
        };
        let need = round8(bytes.len() as u32 + 8);
        if *used + need > cap {
            return -errno::EAGAIN;
        }
        *used += need;
        records.push(bytes);
        0
    }

    /// `ringbuf_reserve`: a transient record region, or 0 when full.
    pub fn ringbuf_reserve(&mut self, id: MapId, mem: &mut Memory, size: u32) -> u64 {
        let cap = u64::from(self.def.max_entries);
        let Storage::Ringbuf { reserved, used, .. } = &mut self.storage else {
            return 0;
        };
        let need = round8(size + 8);
        if size == 0 || *used + need > cap {
            return 0;
        }
        *used += need;
        let b = mem.alloc(size as usize, true);
        let addr = mem.add_region(
            b,
            0,
            size as usize,
            RegionKind::RingbufRecord { map: id },
            true,
        );
        reserved.insert(addr, (b, size));
        addr
    }

    /// `ringbuf_submit` / `ringbuf_discard`. Returns false if `addr` is no reserved record.
    pub fn ringbuf_commit(&mut self, mem: &mut Memory, addr: u64, submit: bool) -> bool {
        let Storage::Ringbuf {
            records, reserved, ..
        } = &mut self.storage
        else {
            return false;
        };
        let Some((b, size)) = reserved.remove(&addr) else {
            return false;
        };
        if submit {
            records.push(mem.block_bytes(b, 0, size as usize));
        }
        mem.remove_region(addr);
        mem.free_later(b);
        true
    }

    /// Records submitted to a ring buffer so far, oldest first.
    pub fn ringbuf_records(&self) -> &[Vec<u8>] {
        match &self.storage {
            Storage::Ringbuf { records, .. } => records,
            _ => &[],
        }
    }

    /// Drains the submitted records (a consumer reading the ring), freeing their space.
    pub fn ringbuf_drain(&mut self) -> Vec<Vec<u8>> {
        match &mut self.storage {
            Storage::Ringbuf {
                records,
                used,
                consumed,
                reserved,
            } => {
                // The consumer stops at the first record still reserved; offline it reads
                // everything committed, so only the reserved records' bytes stay used.
                let res = std::mem::take(records);
                let pending: u64 = reserved.values().map(|(_, n)| round8(n + 8)).sum();
                *consumed += *used - pending;
                *used = pending;
                res
            }
            _ => Vec::new(),
        }
    }

    /// `ringbuf_query(map, flags)`: available data (0), ring size (1), consumer position (2),
    /// producer position (3); 0 for other flags, as the kernel.
    pub fn ringbuf_query(&self, flags: u64) -> u64 {
        let Storage::Ringbuf { used, consumed, .. } = &self.storage else {
            return 0;
        };
        match flags {
            0 => *used,
            1 => u64::from(self.def.max_entries),
            2 => *consumed,
            3 => consumed + used,
            _ => 0,
        }
    }

    /// Every `(key, value address)` in key order (arrays: every index), for
    /// `for_each_map_elem` and for reading a map from outside.
    pub fn entries(&self) -> Vec<(Vec<u8>, u64)> {
        let vs = round8(self.def.value_size);
        match &self.storage {
            Storage::Array { addr, .. } => (0..self.def.max_entries)
                .map(|i| (i.to_le_bytes().to_vec(), addr + u64::from(i) * vs))
                .collect(),
            Storage::Hash { elems, .. } | Storage::Slots { elems } => {
                elems.iter().map(|(k, e)| (k.clone(), e.addr)).collect()
            }
            Storage::Lpm { elems } => elems
                .iter()
                .map(|((len, data), e)| {
                    let mut k = len.to_le_bytes().to_vec();
                    k.extend_from_slice(data);
                    (k, e.addr)
                })
                .collect(),
            _ => Vec::new(),
        }
    }
}

fn new_elem(id: MapId, mem: &mut Memory, def: MapDef, value: &[u8], now: u64) -> Elem {
    let len = def.value_size as usize;
    let block = mem.alloc(len, false);
    mem.fill(block, 0, &value[..len.min(value.len())]);
    let addr = mem.add_region(
        block,
        0,
        len,
        RegionKind::MapValue { map: id },
        !def.read_only,
    );
    Elem {
        block,
        addr,
        last_used: now,
    }
}

/// An LPM key `(prefix_len, data)` with bits past the prefix cleared, or `None` when the
/// prefix is longer than the data.
fn lpm_key(def: MapDef, key: &[u8]) -> Option<(u32, Vec<u8>)> {
    let len = u32::from_le_bytes(key.get(..4)?.try_into().ok()?);
    let data = &key[4..def.key_size as usize];
    if len as usize > data.len() * 8 {
        return None;
    }
    Some((len, mask_prefix(data, len)))
}

fn mask_prefix(data: &[u8], len: u32) -> Vec<u8> {
    data.iter()
        .enumerate()
        .map(|(i, &b)| {
            let bit = i as u32 * 8;
            if bit + 8 <= len {
                b
            } else if bit >= len {
                0
            } else {
                b & (0xffu8 << (8 - (len - bit)))
            }
        })
        .collect()
}

fn lpm_match<'a>(
    elems: &'a mut BTreeMap<(u32, Vec<u8>), Elem>,
    key: &[u8],
) -> Option<&'a mut Elem> {
    let max = u32::from_le_bytes(key.get(..4)?.try_into().ok()?);
    let data = &key[4..];
    let best = elems
        .keys()
        .filter(|(len, d)| *len <= max && mask_prefix(data, *len) == *d)
        .max_by_key(|(len, _)| *len)
        .cloned()?;
    elems.get_mut(&best)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_update_flags_and_lru_eviction() {
        let mut mem = Memory::default();
        let id = MapId(0);
        let mut m = Map::new(id, MapDef::new(MapType::LruHash, 4, 8, 2), &mut mem).unwrap();
        assert_eq!(
            m.update(id, &mut mem, &[1, 0, 0, 0], &[1; 8], BPF_EXIST),
            -errno::ENOENT
        );
        assert_eq!(m.update(id, &mut mem, &[1, 0, 0, 0], &[1; 8], BPF_ANY), 0);
        assert_eq!(
            m.update(id, &mut mem, &[1, 0, 0, 0], &[1; 8], BPF_NOEXIST),
            -errno::EEXIST
        );
        assert_eq!(m.update(id, &mut mem, &[2, 0, 0, 0], &[2; 8], BPF_ANY), 0);
        assert!(m.lookup(&[1, 0, 0, 0]).is_some());
        // Key 2 is now the least recently used and is evicted.
        assert_eq!(m.update(id, &mut mem, &[3, 0, 0, 0], &[3; 8], BPF_ANY), 0);
        assert!(m.lookup(&[2, 0, 0, 0]).is_none());
        let a = m.lookup(&[3, 0, 0, 0]).unwrap();
        assert_eq!(mem.load(a, 8).unwrap(), 0x0303_0303_0303_0303);
    }

    #[test]
    fn lpm_longest_prefix_wins() {
        let mut mem = Memory::default();
        let id = MapId(0);
        let mut m = Map::new(id, MapDef::new(MapType::LpmTrie, 8, 4, 16), &mut mem).unwrap();
        let key = |len: u32, ip: [u8; 4]| [len.to_le_bytes().as_slice(), &ip].concat();
        assert_eq!(
            m.update(id, &mut mem, &key(8, [10, 0, 0, 0]), &[8, 0, 0, 0], BPF_ANY),
            0
        );
        assert_eq!(
            m.update(
                id,
                &mut mem,
                &key(24, [10, 1, 2, 0]),
                &[24, 0, 0, 0],
                BPF_ANY
            ),
            0
        );
        let hit = |m: &mut Map, mem: &mut Memory, ip| {
            m.lookup(&key(32, ip)).map(|a| mem.load(a, 4).unwrap())
        };
        assert_eq!(hit(&mut m, &mut mem, [10, 1, 2, 3]), Some(24));
        assert_eq!(hit(&mut m, &mut mem, [10, 9, 2, 3]), Some(8));
        assert_eq!(hit(&mut m, &mut mem, [11, 1, 2, 3]), None);
    }

    #[test]
    fn queue_and_stack_order() {
        let mut mem = Memory::default();
        let mut q = Map::new(MapId(0), MapDef::new(MapType::Queue, 0, 1, 2), &mut mem).unwrap();
        let mut s = Map::new(MapId(1), MapDef::new(MapType::Stack, 0, 1, 2), &mut mem).unwrap();
        for m in [&mut q, &mut s] {
            assert_eq!(m.push(&[1], 0), 0);
            assert_eq!(m.push(&[2], 0), 0);
            assert_eq!(m.push(&[3], 0), -errno::E2BIG);
        }
        assert_eq!(q.pop(true), Some(vec![1]));
        assert_eq!(s.pop(true), Some(vec![2]));
    }
}
