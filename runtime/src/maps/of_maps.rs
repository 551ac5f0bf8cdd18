//! Maps of maps (`ARRAY_OF_MAPS`, `HASH_OF_MAPS`) built from an object: which machine maps
//! an outer map's slots may hold, and its initial slots.
//!
//! An outer map stores the inner map's machine id (where the kernel stores a map fd), and a
//! program's lookup yields that map's pointer (`MAP_PTR_TAG | id`). The inner maps are the
//! object's maps compatible with the outer map's inner definition (`__array(values, ...)`:
//! same type, key and value sizes, entries), plus one map created from that definition for
//! each outer map ([`create_inner`]), so that every outer map has something to hold even when
//! the object declares no inner map of its own. On a fresh machine the object's maps get ids
//! `0..n` in order and the created inner maps follow, so [`inner_candidates`] can name them
//! from the definitions alone (the differential harness fills outer maps with them).

use super::MapId;
use crate::load::map_def_of;
use crate::machine::Machine;
use bpfvet_analyzer::program::MapDef as ObjMapDef;

/// Whether object map `def` may be stored in an outer map whose inner definition is `inner`
/// (the kernel's `bpf_map_meta_equal`: type, sizes and flags; entries too, for arrays).
fn compatible(inner: &ObjMapDef, def: &ObjMapDef) -> bool {
    def.map_type == inner.map_type
        && def.key_size == inner.key_size
        && def.value_size == inner.value_size
        && def.max_entries == inner.max_entries
        && def.inner.is_none()
}

/// The outer maps of `defs` whose inner definition the runtime can create, in order.
fn outers(defs: &[ObjMapDef]) -> impl Iterator<Item = (usize, &ObjMapDef)> {
    defs.iter().enumerate().filter_map(|(i, d)| {
        let inner = d.inner.as_deref()?;
        (d.map_type.is_map_in_map() && map_def_of(inner).is_ok()).then_some((i, inner))
    })
}

/// Creates one inner map per outer map of `defs` (after the object's maps, whose machine ids
/// are `ids`), and installs the outer maps' initial slots (`.values = { &a, &b }`), which
/// name object maps. Returns the created maps' ids.
pub fn create_inner(m: &mut Machine, defs: &[ObjMapDef], ids: &[MapId]) -> Vec<MapId> {
    let mut created = Vec::new();
    for (outer, inner) in outers(defs) {
        let Ok(def) = map_def_of(inner) else { continue };
        let Ok(id) = m.create_map(def) else { continue };
        created.push(id);
        // The outer map may hold the compatible object maps and the map just created.
        let mut allowed: Vec<u32> = defs
            .iter()
            .enumerate()
            .filter(|(_, d)| compatible(inner, d))
            .filter_map(|(j, _)| ids.get(j).map(|x| x.0))
            .collect();
        allowed.push(id.0);
        if let Some(o) = ids.get(outer).and_then(|&o| m.map_mut(o)) {
            o.restrict_inner(allowed);
        }
    }
    for (i, d) in defs.iter().enumerate() {
        if !d.map_type.is_map_in_map() {
            continue;
        }
        for (slot, name) in &d.init_slots {
            let target = defs.iter().position(|x| &x.name == name);
            if let (Some(t), Some(&outer)) = (target, ids.get(i)) {
                if let Some(&tid) = ids.get(t) {
                    m.map_update(outer, &slot.to_le_bytes(), &tid.0.to_le_bytes(), 0);
                }
            }
        }
    }
    created
}

impl super::Map {
    /// Lets this map of maps hold only the maps `ids` (user-space updates naming another map
    /// fail with `EINVAL`, as the kernel refuses a map unlike the inner definition).
    pub fn restrict_inner(&mut self, ids: Vec<u32>) {
        self.inner_ids = Some(ids);
    }
}

/// The machine ids, on a fresh machine set up by [`crate::load::instantiate`], of the maps
/// that outer map `outer` of `defs` may hold: compatible object maps, then the inner map
/// created for it. Empty for other maps.
pub fn inner_candidates(defs: &[ObjMapDef], outer: usize) -> Vec<u32> {
    let Some(inner) = defs.get(outer).and_then(|d| d.inner.as_deref()) else {
        return Vec::new();
    };
    let mut res: Vec<u32> = defs
        .iter()
        .enumerate()
        .filter(|(_, d)| compatible(inner, d))
        .map(|(i, _)| i as u32)
        .collect();
    if let Some(k) = outers(defs).position(|(i, _)| i == outer) {
        res.push((defs.len() + k) as u32);
    }
    res
}

/// The analyzer's mark on a map index naming "the inner map of outer map `idx`" (the result
/// of a lookup in a map of maps).
pub const INNER_MAP: u32 = 1 << 31;

/// For the differential state check: the machine map that the analyzer's map index `idx`
/// names, given the object's machine ids `maps`. An inner-map index stands for whichever map
/// the outer map held, so it is read off the region the pointer points into (`None` when it
/// points into no map value).
pub fn machine_map(maps: &[MapId], idx: u32, region: Option<crate::mem::Region>) -> Option<MapId> {
    if idx & INNER_MAP == 0 {
        return maps.get(idx as usize).copied();
    }
    match region?.kind {
        crate::mem::RegionKind::MapValue { map } => Some(map),
        _ => None,
    }
}

/// For the differential state check: whether `v` is the map pointer that the analyzer's map
/// index `idx` names (for an inner-map index: a pointer to any map of the machine).
pub fn map_ptr_ok(m: &Machine, maps: &[MapId], idx: u32, v: u64) -> bool {
    if idx & INNER_MAP != 0 {
        return crate::helpers::map_of_ptr(v).is_some_and(|id| m.map(id).is_some());
    }
    maps.get(idx as usize)
        .is_some_and(|id| v == crate::helpers::MAP_PTR_TAG | u64::from(id.0))
}
