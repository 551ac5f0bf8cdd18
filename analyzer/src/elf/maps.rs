//! The object's map list, in libbpf's order: legacy `maps` and `maps/*` (in
//! [`legacy_maps`](super::legacy_maps)), BTF-defined `.maps`, global data
//! (`.data*`, `.rodata*`, `.bss*` in section order), then `.kconfig`.
//!
//! Besides the definitions, [`Maps`] keeps how relocations find them: by (section, symbol
//! offset) for `maps`/`.maps`, by section for global data, and by extern name for `.kconfig`.

use super::error::{LoadError, LoadErrorKind};
use super::read::{Elf, Symbol, SHF_ALLOC, SHT_NOBITS, SHT_PROGBITS, STT_SECTION};
use crate::btf::{Btf, BtfKind, TypeId};
use crate::program::{
    MapDef, MapIdx, MapKind, MapType, Pinning, BPF_F_MMAPABLE, BPF_F_RDONLY_PROG,
};
use std::collections::{HashMap, HashSet};

/// The maps and the indexes relocations use to find them.
#[derive(Debug, Default)]
pub(crate) struct Maps {
    pub(crate) defs: Vec<MapDef>,
    /// `(section index, symbol offset)` of a map definition in `maps` or `.maps`.
    pub(crate) by_sym: HashMap<(u32, u64), MapIdx>,
    /// Global-data section index to its map.
    pub(crate) by_section: HashMap<u32, MapIdx>,
    /// `.kconfig` extern name to `(map, offset in its value)`.
    pub(crate) kconfig: HashMap<String, (MapIdx, u32)>,
    /// `__ksym` extern variables with a BTF type (not `void`): libbpf loads them with
    /// `BPF_PSEUDO_BTF_ID`; untyped ones become plain 64-bit addresses.
    pub(crate) typed_ksyms: HashSet<String>,
}

impl Maps {
    pub(super) fn push(&mut self, def: MapDef) -> Result<MapIdx, LoadError> {
        let idx = u32::try_from(self.defs.len()).map_err(|_| LoadErrorKind::TooLarge)?;
        self.defs.push(def);
        Ok(MapIdx(idx))
    }
}

pub(super) fn bad_map(map: &str, what: impl Into<String>) -> LoadError {
    LoadErrorKind::BadMap {
        map: map.to_string(),
        what: what.into(),
    }
    .into()
}

pub(super) fn blank(name: &str, kind: MapKind) -> MapDef {
    MapDef {
        kind,
        ..MapDef::plain(name, MapType(0), 0, 0, 0)
    }
}

pub(crate) fn collect(elf: &Elf<'_>, btf: Option<&Btf>) -> Result<Maps, LoadError> {
    let mut maps = Maps::default();
    super::legacy_maps::collect(elf, &mut maps)?;
    if let Some(sec) = elf.section_by_name(".maps") {
        let btf = btf.ok_or_else(|| bad_map(".maps", "btf-defined maps need a .BTF section"))?;
        btf_maps(elf, sec.index, btf, &mut maps)?;
    }
    for sec in &elf.sections {
        let is = |base: &str| sec.name == base || sec.name.starts_with(&format!("{base}."));
        let (read_only, init) = if sec.sh_type == SHT_PROGBITS && (is(".data") || is(".rodata")) {
            (is(".rodata"), Some(sec.data.to_vec()))
        } else if sec.sh_type == SHT_NOBITS && is(".bss") {
            (false, None)
        } else {
            continue;
        };
        if sec.flags & SHF_ALLOC == 0 || sec.size == 0 {
            continue;
        }
        let value_size =
            u32::try_from(sec.size).map_err(|_| bad_map(&sec.name, "section too large"))?;
        let mut def = blank(
            &sec.name,
            MapKind::GlobalData {
                section: sec.name.clone(),
                init,
                read_only,
            },
        );
        def.map_type = MapType::ARRAY;
        def.key_size = 4;
        def.value_size = value_size;
        def.max_entries = 1;
        def.map_flags = if read_only { BPF_F_RDONLY_PROG } else { 0 };
        if btf.is_some_and(|b| exposes_a_global(elf, b, sec.index, &sec.name)) {
            def.map_flags |= BPF_F_MMAPABLE;
        }
        let idx = maps.push(def)?;
        maps.by_section.insert(sec.index, idx);
    }
    arena_globals(elf, &mut maps)?;
    if let Some(btf) = btf {
        kconfig(btf, &mut maps)?;
        maps.typed_ksyms = typed_ksyms(btf);
    }
    Ok(maps)
}

/// Whether libbpf makes a global-data section's array mmapable: its datasec holds a variable a
/// skeleton exposes, one whose BTF linkage is not static once libbpf has made `__hidden`
/// symbols static (libbpf's `map_is_mmapable`; without BTF it never is).
fn exposes_a_global(elf: &Elf<'_>, btf: &Btf, section: u32, name: &str) -> bool {
    use crate::btf::{BtfKind, Linkage};
    let Some(ds) = btf.find_by_name(name, "datasec") else {
        return false;
    };
    let Some(BtfKind::Datasec { vars, .. }) = btf.type_by_id(ds).map(|t| &t.kind) else {
        return false;
    };
    vars.iter().any(|v| {
        let Some(t) = btf.type_by_id(v.ty) else {
            return false;
        };
        let BtfKind::Var { linkage, .. } = &t.kind else {
            return false;
        };
        let var = btf.name(t);
        let hidden = elf
            .symbols
            .iter()
            .any(|s| s.shndx == section && s.name == var && s.hidden);
        *linkage != Linkage::Static && !hidden
    })
}

/// `__arena` globals: clang puts variables of address space 1 in `.addr_space.1`, and libbpf
/// places them in the object's arena map, so a `lddw` of one names the arena map with the
/// variable's offset. (libbpf 1.4 to 1.6 put them at the arena's start, 1.7 at its end: the
/// verifier sees a number either way, and both lie inside the arena.)
fn arena_globals(elf: &Elf<'_>, maps: &mut Maps) -> Result<(), LoadError> {
    const SECTION: &str = ".addr_space.1";
    const PAGE_SIZE: u64 = 4096;
    let Some(sec) = elf.section_by_name(SECTION) else {
        return Ok(());
    };
    let mut arenas = maps
        .defs
        .iter()
        .enumerate()
        .filter(|(_, d)| d.map_type.0 == crate::rules::map_type::ARENA);
    let Some((idx, def)) = arenas.next() else {
        return Err(bad_map(
            SECTION,
            "global __arena variables need an arena map (BPF_MAP_TYPE_ARENA) declared in SEC(\".maps\")",
        ));
    };
    if arenas.next().is_some() {
        return Err(bad_map(SECTION, "an object may declare only one arena map"));
    }
    if sec.size.div_ceil(PAGE_SIZE) > u64::from(def.max_entries) {
        return Err(bad_map(
            SECTION,
            format!(
                "arena {} ({} pages) is too small for {} bytes of __arena variables",
                def.name, def.max_entries, sec.size
            ),
        ));
    }
    maps.by_section.insert(sec.index, MapIdx(idx as u32));
    Ok(())
}

/// BTF-defined maps: each variable of the `.maps` datasec is a struct whose members encode the
/// definition (`__uint(name, n)` is `int (*name)[n]`, `__type(name, T)` is `T *name`,
/// `__array(values, struct inner)` is `struct inner *values[]`).
fn btf_maps(elf: &Elf<'_>, sec: u32, btf: &Btf, maps: &mut Maps) -> Result<(), LoadError> {
    let Some(ds) = btf.find_by_name(".maps", "datasec") else {
        return Err(bad_map(".maps", "no .maps datasec in .BTF"));
    };
    let vars = match btf.type_by_id(ds).map(|t| &t.kind) {
        Some(BtfKind::Datasec { vars, .. }) => vars.clone(),
        _ => Vec::new(),
    };
    let mut syms: Vec<_> = elf
        .symbols_in(sec)
        .filter(|s| s.st_type != STT_SECTION)
        .collect();
    syms.sort_by_key(|s| s.value);
    check_disjoint(&syms)?;
    let by_name: HashMap<&str, &Symbol> = syms.iter().map(|s| (s.name.as_str(), *s)).collect();
    // Definitions by struct type: many maps may share one definition type, and re-reading a
    // large struct for each would be quadratic.
    let mut parsed: HashMap<TypeId, (MapDef, Option<u64>)> = HashMap::new();
    for v in vars {
        let Some(var) = btf.type_by_id(v.ty) else {
            return Err(bad_map(
                ".maps",
                format!("datasec refers to missing type {}", v.ty),
            ));
        };
        let BtfKind::Var { ty, .. } = var.kind else {
            return Err(bad_map(".maps", "datasec entry is not a variable"));
        };
        let name = btf.name(var).to_string();
        let Some(&sym) = by_name.get(name.as_str()) else {
            return Err(bad_map(&name, "no symbol in .maps"));
        };
        let (mut def, values_off) = match parsed.get(&ty) {
            Some(it) => it.clone(),
            None => {
                let it = parse_btf_def(btf, &name, ty, true)?;
                parsed.insert(ty, it.clone());
                it
            }
        };
        if let Some(inner) = &mut def.inner {
            inner.name = format!("{name}.inner");
        }
        def.name.clone_from(&name);
        def.init_slots = init_slots(elf, sec, sym.value, sym.size, values_off);
        let idx = maps.push(def)?;
        maps.by_sym.insert((sec, sym.value), idx);
    }
    Ok(())
}

/// Map definitions must not overlap (sorted by offset on entry): each map's bytes, and the
/// relocations inside them, belong to it alone.
pub(super) fn check_disjoint(syms: &[&Symbol]) -> Result<(), LoadError> {
    for w in syms.windows(2) {
        if w[0].value.saturating_add(w[0].size) > w[1].value {
            return Err(bad_map(
                &w[1].name,
                format!("definition overlaps map `{}`", w[0].name),
            ));
        }
    }
    Ok(())
}

/// Reads a BTF map definition struct. Returns it and the byte offset of its `values` member.
/// `allow_inner` is false for the inner definition, so nesting stops at one level.
fn parse_btf_def(
    btf: &Btf,
    name: &str,
    ty: TypeId,
    allow_inner: bool,
) -> Result<(MapDef, Option<u64>), LoadError> {
    let Some(members) = btf.members(ty) else {
        return Err(bad_map(name, "definition is not a struct"));
    };
    let mut def = blank(name, MapKind::Btf);
    let mut values_off = None;
    let mut inner_ty = None;
    for m in members {
        let mname = btf.member_name(m);
        let uint = || -> Result<u32, LoadError> {
            match btf.resolve_type(m.ty).map(|t| &t.kind) {
                Some(BtfKind::Ptr { ty }) => match btf.resolve_type(*ty).map(|t| &t.kind) {
                    Some(BtfKind::Array { nelems, .. }) => Ok(*nelems),
                    _ => Err(bad_map(name, format!("member `{mname}` is not __uint()"))),
                },
                _ => Err(bad_map(name, format!("member `{mname}` is not __uint()"))),
            }
        };
        let pointee = || -> Result<TypeId, LoadError> {
            match btf.resolve_type(m.ty).map(|t| &t.kind) {
                Some(BtfKind::Ptr { ty }) => Ok(*ty),
                _ => Err(bad_map(name, format!("member `{mname}` is not __type()"))),
            }
        };
        let sized = |t: TypeId| -> Result<u32, LoadError> {
            btf.size_of(t)
                .and_then(|s| u32::try_from(s).ok())
                .ok_or_else(|| bad_map(name, format!("cannot size the type of `{mname}`")))
        };
        match mname {
            "type" => def.map_type = MapType(uint()?),
            "max_entries" => def.max_entries = uint()?,
            "map_flags" => def.map_flags = uint()?,
            "key_size" => def.key_size = uint()?,
            "value_size" => def.value_size = uint()?,
            "pinning" => {
                def.pinning = match uint()? {
                    0 => Pinning::None,
                    1 => Pinning::ByName,
                    n => Pinning::Other(n),
                }
            }
            "key" => {
                let t = pointee()?;
                def.key_size = sized(t)?;
                def.key_type = Some(t);
            }
            "value" => {
                let t = pointee()?;
                def.value_size = sized(t)?;
                def.value_type = Some(t);
            }
            "values" => {
                values_off = Some(u64::from(m.bit_offset / 8));
                // `struct inner *values[]`: an array of pointers to the inner definition.
                if let Some(BtfKind::Array { elem, .. }) = btf.resolve_type(m.ty).map(|t| &t.kind) {
                    if let Some(BtfKind::Ptr { ty }) = btf.resolve_type(*elem).map(|t| &t.kind) {
                        inner_ty = Some(*ty);
                    }
                }
            }
            "map_extra" => def.map_extra = long_field(btf, name, m)?,
            // numa_node and members newer than us do not change what we check.
            _ => {}
        }
    }
    if let Some(t) = inner_ty {
        if def.map_type.is_map_in_map() {
            if !allow_inner {
                return Err(bad_map(name, "inner map definitions nest too deeply"));
            }
            let (inner, _) = parse_btf_def(btf, &format!("{name}.inner"), t, false)?;
            def.inner = Some(Box::new(inner));
            // The value of a map-in-map is a map id.
            def.value_size = 4;
        } else if def.map_type == MapType::PROG_ARRAY {
            def.value_size = 4;
        }
    }
    Ok((def, values_off))
}

/// A 64-bit definition member, as libbpf reads one: `__uint(name, N)` (a pointer to an array of
/// N elements, so at most 32 bits) or `__ulong(name, N)` (an enum whose one value is N).
fn long_field(btf: &Btf, map: &str, m: &crate::btf::Member) -> Result<u64, LoadError> {
    let what = || {
        bad_map(
            map,
            format!(
                "member `{}` is neither __uint() nor __ulong()",
                btf.member_name(m)
            ),
        )
    };
    match btf.resolve_type(m.ty).map(|t| &t.kind) {
        Some(BtfKind::Ptr { ty }) => match btf.resolve_type(*ty).map(|t| &t.kind) {
            Some(BtfKind::Array { nelems, .. }) => Ok(u64::from(*nelems)),
            _ => Err(what()),
        },
        Some(BtfKind::Enum { values, .. } | BtfKind::Enum64 { values, .. })
            if values.len() == 1 =>
        {
            Ok(values[0].val as u64)
        }
        _ => Err(what()),
    }
}

/// Initial slots of a map-in-map or prog array: `R_BPF_64_ABS64` relocations in `.rel.maps`
/// that land in this map's `values` array, which runs from the `values` member to the end of
/// the map's symbol (the array is flexible, so the symbol size includes the initialiser).
fn init_slots(
    elf: &Elf<'_>,
    sec: u32,
    map_off: u64,
    map_size: u64,
    values_off: Option<u64>,
) -> Vec<(u32, String)> {
    let (Some(base), Some(end)) = (
        values_off.and_then(|v| map_off.checked_add(v)),
        map_off.checked_add(map_size),
    ) else {
        return Vec::new();
    };
    let mut res = Vec::new();
    // Relocations are sorted by offset: only look at this map's range.
    let rels = &elf.sections[sec as usize].rels;
    let first = rels.partition_point(|r| r.offset < base);
    for r in rels[first..].iter().take_while(|r| r.offset < end) {
        if (r.offset - base) % 8 != 0 {
            continue;
        }
        let Some(sym) = elf.symbols.get(r.sym as usize) else {
            continue;
        };
        let slot = u32::try_from((r.offset - base) / 8).unwrap_or(u32::MAX);
        res.push((slot, sym.name.clone()));
    }
    res.sort();
    res
}

/// `.kconfig`: extern variables the loader fills from the kernel config, laid out as libbpf
/// does (by alignment descending, then size ascending, then name) in one read-only array.
fn kconfig(btf: &Btf, maps: &mut Maps) -> Result<(), LoadError> {
    let Some((layout, off)) = kconfig_layout(btf) else {
        return Ok(());
    };
    let idx = MapIdx(u32::try_from(maps.defs.len()).map_err(|_| LoadErrorKind::TooLarge)?);
    for (name, at) in layout {
        maps.kconfig.insert(name, (idx, at));
    }
    let value_size = off
        .checked_next_multiple_of(8)
        .ok_or_else(|| bad_map(".kconfig", "too large"))?;
    let mut def = blank(
        ".kconfig",
        MapKind::GlobalData {
            section: ".kconfig".into(),
            init: None,
            read_only: true,
        },
    );
    def.map_type = MapType::ARRAY;
    def.key_size = 4;
    def.value_size = value_size.max(8);
    def.max_entries = 1;
    def.map_flags = BPF_F_MMAPABLE | BPF_F_RDONLY_PROG;
    maps.push(def)?;
    Ok(())
}

/// Natural alignment of a type, approximated as libbpf's `btf__align_of` does for the scalar
/// and array types `.kconfig` externs use.
fn align_of(btf: &Btf, ty: TypeId) -> u32 {
    let mut ty = ty;
    for _ in 0..crate::btf::MAX_RESOLVE_DEPTH {
        match btf.resolve_type(ty).map(|t| &t.kind) {
            Some(BtfKind::Array { elem, .. }) => ty = *elem,
            Some(
                BtfKind::Int { size, .. }
                | BtfKind::Enum { size, .. }
                | BtfKind::Enum64 { size, .. }
                | BtfKind::Float { size },
            ) => return (*size).clamp(1, 8),
            Some(BtfKind::Ptr { .. }) => return 8,
            Some(BtfKind::Struct { size, .. } | BtfKind::Union { size, .. }) => {
                return if size % 8 == 0 {
                    8
                } else {
                    4.min(*size).max(1)
                };
            }
            _ => return 1,
        }
    }
    1
}

/// Names of the `.ksyms` datasec variables whose type is not `void`.
fn typed_ksyms(btf: &Btf) -> HashSet<String> {
    let mut res = HashSet::new();
    let Some(ds) = btf.find_by_name(".ksyms", "datasec") else {
        return res;
    };
    let Some(BtfKind::Datasec { vars, .. }) = btf.type_by_id(ds).map(|t| &t.kind) else {
        return res;
    };
    for v in vars {
        let Some(var) = btf.type_by_id(v.ty) else {
            continue;
        };
        if let BtfKind::Var { ty, .. } = var.kind {
            if btf.resolve(ty).is_some_and(|t| t != TypeId::VOID) {
                res.insert(btf.name(var).to_string());
            }
        }
    }
    res
}

/// Where libbpf puts each `.kconfig` extern of `btf` in the `.kconfig` map's value (by
/// alignment descending, then size ascending, then name), and the end of the last one. `None`
/// when the object declares none, or their layout overflows.
pub(crate) fn kconfig_layout(btf: &Btf) -> Option<(Vec<(String, u32)>, u32)> {
    let ds = btf.find_by_name(".kconfig", "datasec")?;
    let Some(BtfKind::Datasec { vars, .. }) = btf.type_by_id(ds).map(|t| &t.kind) else {
        return None;
    };
    let mut ext = Vec::new();
    for v in vars {
        let Some(var) = btf.type_by_id(v.ty) else {
            continue;
        };
        let BtfKind::Var { ty, .. } = var.kind else {
            continue;
        };
        let name = btf.name(var).to_string();
        let size = btf
            .size_of(ty)
            .and_then(|s| u32::try_from(s).ok())
            .unwrap_or(0);
        let align = align_of(btf, ty);
        ext.push((align, size, name));
    }
    if ext.is_empty() {
        return None;
    }
    ext.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let mut off: u32 = 0;
    let mut layout = Vec::with_capacity(ext.len());
    for (align, size, name) in ext {
        off = off.checked_next_multiple_of(align)?;
        layout.push((name, off));
        off = off.checked_add(size)?;
    }
    Some((layout, off))
}

#[cfg(test)]
mod map_extra_tests {
    use super::parse_btf_def;
    use crate::btf::{Btf, TypeId};

    /// `struct { int (*type)[30]; int (*map_extra)[5]; }` and the same with
    /// `__ulong(map_extra, 1 << 44)` (an enum64 whose one value is the address).
    #[test]
    fn map_extra_is_read_from_uint_and_ulong_members() {
        let strings = b"\0int\0type\0map_extra\0def\0def2\0v\0";
        const INT: u32 = 1 << 24;
        const PTR: u32 = 2 << 24;
        const ARRAY: u32 = 3 << 24;
        const STRUCT: u32 = 4 << 24;
        const ENUM64: u32 = 19 << 24;
        #[rustfmt::skip]
        let w = [
            1, INT, 4, 32,                    // 1: int
            0, ARRAY, 0, 1, 1, 30,            // 2: int[30]
            0, PTR, 2,                        // 3: int (*)[30]
            0, ARRAY, 0, 1, 1, 5,             // 4: int[5]
            0, PTR, 4,                        // 5: int (*)[5]
            20, STRUCT | 2, 16, 5, 3, 0, 10, 5, 64,   // 6: def
            0, ENUM64 | 1, 8, 29, 0, 1 << 12, // 7: enum { v = 1 << 44 }
            24, STRUCT | 2, 16, 5, 3, 0, 10, 7, 64,   // 8: def2
        ];
        let btf = Btf::parse(&crate::btf::test_blob(&w, strings)).expect("BTF");
        let (def, _) = parse_btf_def(&btf, "bloom", TypeId(6), true).expect("def");
        assert_eq!((def.map_type.0, def.map_extra), (30, 5));
        let (def, _) = parse_btf_def(&btf, "arena", TypeId(8), true).expect("def");
        assert_eq!(def.map_extra, 1 << 44);
    }
}
