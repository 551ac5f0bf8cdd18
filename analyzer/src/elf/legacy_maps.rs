//! Legacy map definitions: structs in a `maps` section (or `maps/NAME` sections), one per symbol,
//! in whichever layout the object's loader expected. The layout is told by the definition size:
//!
//! | size | layout | fields after `type, key_size, value_size, max_entries, map_flags` |
//! | --- | --- | --- |
//! | under 28 | libbpf's `struct bpf_map_def` (20 bytes) | none |
//! | 28 to 35 | the old samples/bpf `struct bpf_map_def` | `inner_map_idx, numa_node` |
//! | 36 or more | iproute2's `struct bpf_elf_map` | `id, pinning, inner_id, inner_idx` |
//!
//! Missing trailing bytes read as zero and extra ones are ignored. A definition's size is its
//! symbol's; when some symbol has no size (`STT_NOTYPE` labels from older compilers), every
//! definition of the section is the section size divided by its number of map symbols, as
//! libbpf's legacy path computed it.
//!
//! Map-in-map: the samples layout names the inner template by `inner_map_idx`, its index among
//! the section's maps in offset order (as `bpf_load.c` indexed them); iproute2 by `inner_id`,
//! the `id` of the template, and a map with an `id`, no `inner_id` and an `inner_idx` other than
//! `-1` is stored at slot `inner_idx` of every outer map whose `inner_id` is its `id` (what tc
//! does at load time). The outer map's [`MapDef::inner`] is then a copy of the template, which
//! is what a lookup in the outer map yields.

use super::error::LoadError;
use super::maps::{bad_map, blank, check_disjoint, Maps};
use super::read::{Elf, STT_SECTION};
use crate::program::{MapDef, MapIdx, MapKind, MapType, Pinning};

/// samples/bpf's 7-field `struct bpf_map_def`.
const SAMPLES_DEF_SIZE: u64 = 28;
/// iproute2's `struct bpf_elf_map`.
const IPROUTE2_DEF_SIZE: u64 = 36;
/// iproute2's `inner_idx` for "not stored in any outer map".
const NO_INNER_IDX: u32 = u32::MAX;

/// What a definition says beyond the map's shape, for linking maps to each other.
#[derive(Debug)]
enum Extra {
    None,
    Samples {
        inner_map_idx: u32,
    },
    Iproute2 {
        id: u32,
        inner_id: u32,
        inner_idx: u32,
    },
}

/// One definition read, with where it sits among its section's maps.
#[derive(Debug)]
struct Read {
    idx: MapIdx,
    /// The maps of the same section, in offset order (for `inner_map_idx`).
    section_maps: usize,
    extra: Extra,
}

/// Whether a section holds legacy map definitions.
pub(super) fn is_maps_section(name: &str) -> bool {
    name == "maps" || name.starts_with("maps/")
}

/// Reads every legacy maps section, in section order, then links map-in-maps to their inner
/// templates.
pub(super) fn collect(elf: &Elf<'_>, maps: &mut Maps) -> Result<(), LoadError> {
    let mut read = Vec::new();
    let mut sections: Vec<Vec<MapIdx>> = Vec::new();
    for sec in elf.sections.iter().filter(|s| is_maps_section(&s.name)) {
        let first = read.len();
        section(elf, sec.index, maps, sections.len(), &mut read)?;
        sections.push(read[first..].iter().map(|r: &Read| r.idx).collect());
    }
    link_inner(&read, &sections, maps)
}

/// The definitions of one section.
fn section(
    elf: &Elf<'_>,
    sec: u32,
    maps: &mut Maps,
    section_no: usize,
    out: &mut Vec<Read>,
) -> Result<(), LoadError> {
    let s = &elf.sections[sec as usize];
    let data = s.data;
    let mut syms: Vec<_> = elf
        .symbols_in(sec)
        .filter(|s| s.st_type != STT_SECTION)
        .cloned()
        .collect();
    if syms.is_empty() {
        return Ok(());
    }
    syms.sort_by_key(|s| s.value);
    if syms.iter().any(|s| s.size == 0) {
        let n = syms.len() as u64;
        let len = data.len() as u64;
        if len == 0 || len % n != 0 {
            return Err(bad_map(
                &s.name,
                format!(
                    "cannot tell the size of each map definition: {n} map symbols share {len} bytes"
                ),
            ));
        }
        for sym in &mut syms {
            sym.size = len / n;
        }
    }
    check_disjoint(&syms.iter().collect::<Vec<_>>())?;
    for sym in &syms {
        let bytes = usize::try_from(sym.value)
            .ok()
            .zip(usize::try_from(sym.size).ok())
            .and_then(|(start, size)| data.get(start..start.checked_add(size)?));
        let Some(bytes) = bytes else {
            return Err(bad_map(
                &sym.name,
                format!("definition lies outside the `{}` section", s.name),
            ));
        };
        let field = |i: usize| {
            let mut b = [0u8; 4];
            for (k, byte) in b.iter_mut().enumerate() {
                *byte = bytes.get(i * 4 + k).copied().unwrap_or(0);
            }
            u32::from_le_bytes(b)
        };
        let mut def = blank(&sym.name, MapKind::Legacy);
        def.map_type = MapType(field(0));
        def.key_size = field(1);
        def.value_size = field(2);
        def.max_entries = field(3);
        def.map_flags = field(4);
        let extra = match sym.size {
            s if s >= IPROUTE2_DEF_SIZE => {
                def.pinning = match field(6) {
                    0 => Pinning::None,
                    // PIN_GLOBAL_NS: pinned under its name, as libbpf's own pinning.
                    2 => Pinning::ByName,
                    n => Pinning::Other(n),
                };
                Extra::Iproute2 {
                    id: field(5),
                    inner_id: field(7),
                    inner_idx: field(8),
                }
            }
            s if s >= SAMPLES_DEF_SIZE => Extra::Samples {
                inner_map_idx: field(5),
            },
            _ => Extra::None,
        };
        let idx = maps.push(def)?;
        maps.by_sym.insert((sec, sym.value), idx);
        out.push(Read {
            idx,
            section_maps: section_no,
            extra,
        });
    }
    Ok(())
}

/// Gives each map-in-map the definition of its inner template, and iproute2's outer maps the
/// slots their templates are stored in.
fn link_inner(read: &[Read], sections: &[Vec<MapIdx>], maps: &mut Maps) -> Result<(), LoadError> {
    let template = |idx: MapIdx, maps: &Maps| -> MapDef {
        let mut t = maps.defs[idx.idx()].clone();
        t.inner = None;
        t.init_slots.clear();
        t
    };
    let mut inner = Vec::new();
    let mut slots = Vec::new();
    for r in read {
        let outer = &maps.defs[r.idx.idx()];
        match r.extra {
            Extra::Samples { inner_map_idx } if outer.map_type.is_map_in_map() => {
                let list = &sections[r.section_maps];
                let Some(&t) = list.get(inner_map_idx as usize) else {
                    return Err(bad_map(
                        &outer.name,
                        format!(
                            "inner_map_idx {inner_map_idx} names no map (its section has {})",
                            list.len()
                        ),
                    ));
                };
                if t == r.idx {
                    return Err(bad_map(&outer.name, "inner_map_idx names the map itself"));
                }
                inner.push((r.idx, template(t, maps)));
            }
            Extra::Iproute2 { inner_id, .. } if outer.map_type.is_map_in_map() && inner_id != 0 => {
                let found = read.iter().find(|t| {
                    matches!(t.extra, Extra::Iproute2 { id, inner_id: 0, .. } if id == inner_id)
                });
                let Some(t) = found else {
                    return Err(bad_map(
                        &outer.name,
                        format!("inner_id {inner_id} names no map (no map has that id)"),
                    ));
                };
                inner.push((r.idx, template(t.idx, maps)));
            }
            Extra::Iproute2 {
                id,
                inner_id: 0,
                inner_idx,
            } if id != 0 && inner_idx != NO_INNER_IDX => {
                for o in read {
                    let is_outer = maps.defs[o.idx.idx()].map_type.is_map_in_map();
                    if matches!(o.extra, Extra::Iproute2 { inner_id, .. } if inner_id == id)
                        && is_outer
                    {
                        slots.push((o.idx, inner_idx, outer.name.clone()));
                    }
                }
            }
            _ => {}
        }
    }
    for (idx, t) in inner {
        maps.defs[idx.idx()].inner = Some(Box::new(t));
    }
    for (idx, slot, name) in slots {
        let def = &mut maps.defs[idx.idx()];
        def.init_slots.push((slot, name));
        def.init_slots.sort();
    }
    Ok(())
}
