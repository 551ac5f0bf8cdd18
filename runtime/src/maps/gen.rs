//! Seeded map contents for differential runs ([`crate::diff::gen_input`]): a few entries per
//! map, in the form user space writes them (`BPF_MAP_UPDATE_ELEM`), so that lookups of small
//! keys hit and both branches of a program's lookup get exercised.
//!
//! Values of maps that name kernel objects are objects the runtime models: machine ids of
//! compatible maps for maps of maps ([`super::of_maps::inner_candidates`]), interface indices
//! 1-4 for device maps (the generated XDP contexts' interfaces), queue sizes for CPU maps,
//! socket ids (a few listening) for socket maps, the current task's cgroups and one other
//! for cgroup arrays. Stack-trace maps take no user-space updates, and socket storage is keyed
//! by sockets the contexts do not hold, so both start empty.

use super::MapType;
use crate::diff::Rng;
use crate::helpers::socket_id;
use bpfvet_analyzer::program::{MapDef as ObjMapDef, MapKind};

/// `(map index in the object, key, value)` entries for `maps`.
pub fn map_entries(rng: &mut Rng, maps: &[ObjMapDef]) -> Vec<(u32, Vec<u8>, Vec<u8>)> {
    let mut res = Vec::new();
    for (i, m) in maps.iter().enumerate() {
        if matches!(m.kind, MapKind::GlobalData { .. }) || m.value_size > 4096 {
            continue;
        }
        match MapType::from_kernel_id(m.map_type.0) {
            Some(
                t @ (MapType::Hash
                | MapType::PercpuHash
                | MapType::LruHash
                | MapType::LruPercpuHash
                | MapType::Array
                | MapType::PercpuArray),
            ) => {
                plain_entries(
                    rng,
                    i,
                    m,
                    matches!(t, MapType::Array | MapType::PercpuArray),
                    &mut res,
                );
            }
            Some(t) => object_entries(rng, i, m, t, maps, &mut res),
            None => {}
        }
    }
    res
}

/// Program-array slots for differential runs with `n_targets` tail-call targets: each slot of
/// the first eight holds a random target, or (one in four) stays empty, so that both a tail
/// call's success and its failure get exercised. The value is the target's index, which is what
/// the runtime's chain runs look up.
pub fn prog_slots(
    rng: &mut Rng,
    maps: &[ObjMapDef],
    n_targets: u32,
) -> Vec<(u32, Vec<u8>, Vec<u8>)> {
    let mut res = Vec::new();
    if n_targets == 0 {
        return res;
    }
    for (i, m) in maps.iter().enumerate() {
        if MapType::from_kernel_id(m.map_type.0) != Some(MapType::ProgArray) || m.value_size != 4 {
            continue;
        }
        for slot in 0..m.max_entries.min(8) {
            if rng.chance(4) {
                continue;
            }
            let target = rng.below(u64::from(n_targets)) as u32;
            res.push((
                i as u32,
                slot.to_le_bytes().to_vec(),
                target.to_le_bytes().to_vec(),
            ));
        }
    }
    res
}

/// A small index of an array-like map.
fn index(rng: &mut Rng, m: &ObjMapDef) -> Vec<u8> {
    (rng.below(u64::from(m.max_entries.clamp(1, 8))) as u32)
        .to_le_bytes()
        .to_vec()
}

/// A small key (mostly zero bytes) so that lookups of small ids hit, sometimes random.
fn small_key(rng: &mut Rng, n: usize) -> Vec<u8> {
    let mut k = vec![0u8; n];
    if let Some(b) = k.first_mut() {
        *b = rng.below(4) as u8;
    }
    if rng.chance(3) {
        k = rng.bytes(n);
    }
    k
}

/// Hash and array maps: random values (this draws from `rng` exactly as the harness always
/// has, so the inputs of programs without object maps are unchanged).
fn plain_entries(
    rng: &mut Rng,
    i: usize,
    m: &ObjMapDef,
    array: bool,
    res: &mut Vec<(u32, Vec<u8>, Vec<u8>)>,
) {
    if rng.chance(3) {
        return;
    }
    for _ in 0..rng.below(4) {
        let key = if array {
            index(rng, m)
        } else {
            small_key(rng, m.key_size as usize)
        };
        let value = rng.bytes(m.value_size as usize);
        res.push((i as u32, key, value));
    }
}

/// `v` as `n` little-endian bytes.
fn le(v: u64, n: u32) -> Vec<u8> {
    let mut b = v.to_le_bytes().to_vec();
    b.resize(n as usize, 0);
    b
}

fn object_entries(
    rng: &mut Rng,
    i: usize,
    m: &ObjMapDef,
    t: MapType,
    maps: &[ObjMapDef],
    res: &mut Vec<(u32, Vec<u8>, Vec<u8>)>,
) {
    // Only the object maps draw from `rng` (other maps' draws would shift every later
    // program input).
    let filled = matches!(
        t,
        MapType::ArrayOfMaps
            | MapType::HashOfMaps
            | MapType::DevMap
            | MapType::DevMapHash
            | MapType::CpuMap
            | MapType::SockMap
            | MapType::SockHash
            | MapType::ReuseportSockarray
            | MapType::CgroupArray
            | MapType::BloomFilter
    );
    if !filled || rng.chance(3) {
        return;
    }
    let candidates = super::of_maps::inner_candidates(maps, i);
    for _ in 0..=rng.below(4) {
        let key = if super::slots::is_indexed(t) {
            index(rng, m)
        } else {
            small_key(rng, m.key_size as usize)
        };
        let value = match t {
            MapType::ArrayOfMaps | MapType::HashOfMaps => {
                if candidates.is_empty() {
                    return;
                }
                le(u64::from(rng.pick(&candidates)), m.value_size)
            }
            MapType::DevMap | MapType::DevMapHash => le(1 + rng.below(4), m.value_size),
            MapType::CpuMap => le(1 + rng.below(256), m.value_size),
            MapType::SockMap | MapType::SockHash | MapType::ReuseportSockarray => {
                let sock = socket_id(0x2000 + rng.below(8), rng.chance(4));
                le(sock, m.value_size)
            }
            MapType::CgroupArray => le(rng.pick(&[1, 4242, 777]), m.value_size),
            MapType::BloomFilter => {
                // Mostly small numbers (interface indices, ports, ids) so that peeks hit.
                if rng.chance(3) {
                    rng.bytes(m.value_size as usize)
                } else {
                    le(rng.below(8), m.value_size)
                }
            }
            _ => return,
        };
        let key = if t == MapType::BloomFilter {
            Vec::new()
        } else {
            key
        };
        res.push((i as u32, key, value));
    }
}
