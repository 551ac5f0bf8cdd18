//! The keyed store shared by maps whose values name kernel objects: maps of maps, device and
//! CPU maps, socket maps, reuseport socket arrays, cgroup arrays, stack traces and socket-local
//! storage.
//!
//! Each element's value lives in a [`crate::mem::Memory`] block, as a hash element's does, so
//! user-space reads and the differential comparison see the bytes. What the bytes mean:
//!
//! | map | value bytes (user space writes) | a program's view |
//! | --- | --- | --- |
//! | array/hash of maps | the inner map's machine id (the kernel's map fd) | a map pointer |
//! | devmap, devmap_hash | `struct bpf_devmap_val` (ifindex, program) | read-only value |
//! | cpumap | `struct bpf_cpumap_val` (queue size, program) | redirect target only |
//! | sockmap, sockhash, reuseport array | an opaque socket id (the kernel's socket fd) | a socket |
//! | cgroup array | a cgroup id (the kernel's cgroup fd) | `*_under_cgroup` |
//! | stack trace | instruction pointers, `value_size / 8` of them | `get_stackid` only |
//! | sk storage | the storage value, keyed by socket | `sk_storage_get` |
//!
//! Array-like maps (a `u32` index below `max_entries`) store only the occupied slots; an
//! absent slot is the kernel's NULL pointer. Update and delete return the errors the kernel's
//! per-type `map_update_elem`/`map_delete_elem` return, checked in the order it checks them
//! (`kernel/bpf/arraymap.c` fd arrays, `devmap.c`, `cpumap.c`, `net/core/sock_map.c`,
//! `reuseport_array.c`, `hashtab.c`, `bpf_local_storage.c`, `stackmap.c`).

use super::{errno, Elem, MapDef, MapError, MapType, BPF_EXIST, BPF_NOEXIST};
use std::collections::BTreeMap;

/// What an accepted update does.
pub(crate) enum Update {
    /// Install or overwrite the value.
    Set,
    /// Empty the slot (a devmap ifindex or cpumap queue size of 0 means "no target").
    Clear,
}

/// Whether `t` is indexed by a `u32` below `max_entries` (an array of object pointers).
pub fn is_indexed(t: MapType) -> bool {
    matches!(
        t,
        MapType::ArrayOfMaps
            | MapType::DevMap
            | MapType::CpuMap
            | MapType::SockMap
            | MapType::ReuseportSockarray
            | MapType::CgroupArray
            | MapType::XskMap
    )
}

/// Whether `t`'s elements are sockets.
pub fn holds_sockets(t: MapType) -> bool {
    matches!(
        t,
        MapType::SockMap | MapType::SockHash | MapType::ReuseportSockarray
    )
}

/// Checks a definition as the kernel's `map_alloc_check` of its type does.
pub(crate) fn check_def(def: &MapDef) -> Result<(), MapError> {
    let bad = |why| Err(MapError::BadDef(why));
    let (k, v) = (def.key_size, def.value_size);
    match def.map_type {
        MapType::ArrayOfMaps | MapType::HashOfMaps if v != 4 => {
            bad("maps of maps have 4-byte values (the inner map)")
        }
        MapType::ArrayOfMaps | MapType::CgroupArray if k != 4 || v != 4 => {
            bad("fd arrays have 4-byte keys and values")
        }
        MapType::DevMap | MapType::CpuMap if k != 4 || (v != 4 && v != 8) => {
            bad("device and CPU maps have 4-byte keys and 4- or 8-byte values")
        }
        MapType::DevMapHash if k != 4 || (v != 4 && v != 8) => {
            bad("devmap_hash has 4-byte keys and 4- or 8-byte values")
        }
        MapType::SockMap | MapType::ReuseportSockarray if k != 4 || (v != 4 && v != 8) => {
            bad("socket arrays have 4-byte keys and 4- or 8-byte values")
        }
        MapType::SockHash if k == 0 || (v != 4 && v != 8) => {
            bad("sockhash needs a key and a 4- or 8-byte value")
        }
        MapType::StackTrace if k != 4 || v < 8 || v % 8 != 0 => {
            bad("stack trace maps have 4-byte keys and values of 8-byte addresses")
        }
        MapType::SkStorage if k != 4 || v == 0 || def.max_entries != 0 => {
            bad("socket storage has an int key, a value and max_entries 0")
        }
        MapType::XskMap if k != 4 || v != 4 => bad("xskmap has 4-byte keys and values"),
        MapType::CgroupStorage | MapType::PercpuCgroupStorage
            if (k != 8 && k != 16) || v == 0 || def.max_entries != 0 =>
        {
            bad("cgroup storage has a cgroup id (or cgroup id and attach type) key, a value and max_entries 0")
        }
        MapType::CpuMap if def.max_entries > 8192 => bad("cpumap larger than NR_CPUS"),
        MapType::HashOfMaps if k == 0 => bad("hash of maps needs a key"),
        _ => Ok(()),
    }
}

/// The stored form of `key`: a socket-storage key is widened to the 8-byte socket id (user
/// space passes a 4-byte fd, programs a socket); others are their `key_size` bytes. `None`
/// when `key` is short.
pub(crate) fn store_key(def: MapDef, key: &[u8]) -> Option<Vec<u8>> {
    let n = def.key_size as usize;
    let k = key.get(..n)?;
    if def.map_type == MapType::SkStorage {
        let mut w = [0u8; 8];
        w[..n.min(8)].copy_from_slice(&k[..n.min(8)]);
        return Some(w.to_vec());
    }
    Some(k.to_vec())
}

fn index(key: &[u8]) -> u32 {
    key.get(..4)
        .and_then(|b| b.try_into().ok())
        .map_or(u32::MAX, u32::from_le_bytes)
}

fn u32_at(v: &[u8], off: usize) -> u32 {
    v.get(off..off + 4)
        .and_then(|b| b.try_into().ok())
        .map_or(0, u32::from_le_bytes)
}

/// Why an update is refused (a positive errno), or what it does. `flags` is already known
/// to be `BPF_ANY`, `BPF_NOEXIST` or `BPF_EXIST`.
pub(crate) fn check_update(
    def: MapDef,
    key: &[u8],
    elems: &BTreeMap<Vec<u8>, Elem>,
    value: &[u8],
    flags: u64,
) -> Result<Update, i64> {
    let exists = elems.contains_key(key);
    let t = def.map_type;
    // `bpf_fd_array_map_update_elem` takes only BPF_ANY, checked before the index.
    if matches!(t, MapType::ArrayOfMaps | MapType::CgroupArray) && flags != 0 {
        return Err(errno::EINVAL);
    }
    if is_indexed(t) && index(key) >= def.max_entries {
        return Err(errno::E2BIG);
    }
    match t {
        // Arrays whose slots always "exist" refuse BPF_NOEXIST (`dev_map_update_elem`,
        // `cpu_map_update_elem`).
        MapType::DevMap | MapType::CpuMap if flags == BPF_NOEXIST => Err(errno::EEXIST),
        MapType::DevMap => Ok(if u32_at(value, 0) == 0 {
            Update::Clear
        } else {
            Update::Set
        }),
        MapType::CpuMap => {
            let qsize = u32_at(value, 0);
            if qsize > 16384 {
                Err(errno::EOVERFLOW)
            } else if qsize == 0 {
                Ok(Update::Clear)
            } else {
                Ok(Update::Set)
            }
        }
        MapType::StackTrace => Err(errno::EINVAL),
        _ => {
            if exists && flags == BPF_NOEXIST {
                return Err(errno::EEXIST);
            }
            if !exists && flags == BPF_EXIST {
                return Err(errno::ENOENT);
            }
            // A devmap_hash entry must name a device (`dev_get_by_index` of 0 fails).
            if t == MapType::DevMapHash && u32_at(value, 0) == 0 {
                return Err(errno::EINVAL);
            }
            let bounded = !is_indexed(t) && t != MapType::SkStorage;
            if !exists && bounded && elems.len() >= def.max_entries as usize {
                return Err(errno::E2BIG);
            }
            Ok(Update::Set)
        }
    }
}

/// Why a delete is refused before the element is looked for (a positive errno); a missing
/// element is then `ENOENT` except where the kernel says otherwise.
pub(crate) fn check_delete(
    def: MapDef,
    key: &[u8],
    elems: &BTreeMap<Vec<u8>, Elem>,
) -> Result<(), i64> {
    let t = def.map_type;
    let out_of_range = is_indexed(t) && index(key) >= def.max_entries;
    match t {
        // `dev_map_delete_elem`, `cpu_map_delete_elem`: an empty slot is no error.
        MapType::DevMap | MapType::CpuMap if out_of_range => Err(errno::EINVAL),
        MapType::DevMap | MapType::CpuMap => Ok(()),
        // `sock_map_delete_elem`: out of range or empty is EINVAL.
        MapType::SockMap if out_of_range || !elems.contains_key(key) => Err(errno::EINVAL),
        _ if out_of_range => Err(errno::E2BIG),
        _ => Ok(()),
    }
}

impl super::Map {
    /// The value address stored under `key` of a slot map, without the program-side meaning.
    pub fn slot(&self, key: &[u8]) -> Option<u64> {
        match &self.storage {
            super::Storage::Slots { elems } => {
                elems.get(&store_key(self.def, key)?).map(|e| e.addr)
            }
            _ => None,
        }
    }

    /// Installs `value` under `key` of a slot map with no update rules (what a helper that
    /// creates elements does: `get_stackid`, `sk_storage_get` with `F_CREATE`). Returns the
    /// value's address, or `None` for other maps.
    pub fn slot_insert(
        &mut self,
        id: super::MapId,
        mem: &mut crate::mem::Memory,
        key: &[u8],
        value: &[u8],
    ) -> Option<u64> {
        let now = self.tick();
        let def = self.def;
        let k = store_key(def, key)?;
        let super::Storage::Slots { elems } = &mut self.storage else {
            return None;
        };
        if let Some(e) = elems.get(&k) {
            mem.fill(e.block, 0, value);
            return Some(e.addr);
        }
        let e = super::new_elem(id, mem, def, value, now);
        elems.insert(k, e);
        Some(e.addr)
    }

    /// Number of elements of a slot map.
    pub fn slot_count(&self) -> usize {
        match &self.storage {
            super::Storage::Slots { elems } => elems.len(),
            _ => 0,
        }
    }
}
