//! From the analyzer's object model to a runnable machine: map definitions become machine maps
//! (global-data maps filled with their `.data`/`.rodata` contents), and a linked program's
//! `lddw` map indices get bound to them.
//!
//! A map type the runtime does not implement is an error only if the program references it;
//! otherwise it is replaced by a *placeholder* (a one-entry array marked as such), so that map
//! indices keep their meaning. The JIT refuses to bind a used placeholder.

use crate::machine::Machine;
use crate::maps::{MapDef, MapError, MapId, MapType};
use crate::program::Program;
use bpfvet_analyzer::isa::{CallTarget, Insn, PseudoSrc};
use bpfvet_analyzer::program::{MapDef as ObjMapDef, MapKind, MapType as ObjMapType};
use std::fmt;

/// Flags that mark a placeholder map (no kernel map flag uses bit 31).
const PLACEHOLDER_FLAGS: u32 = 1 << 31;

/// Why an object's maps cannot be instantiated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoadError {
    /// The map's type is not implemented by the runtime.
    UnsupportedMap { name: String, map_type: String },
    /// The runtime rejected the definition.
    BadMap { name: String, error: MapError },
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // Arena programs need the arena's pages, bpf_arena_alloc_pages and the
            // address-space casts, none of which the runtime models yet: said by name.
            LoadError::UnsupportedMap { name, map_type } if map_type == "arena" => write!(
                f,
                "unsupported map type arena (map {name}): the runtime does not run arena programs (arena memory, bpf_arena_alloc_pages and addr_space_cast are not modelled)"
            ),
            LoadError::UnsupportedMap { name, map_type } => {
                write!(f, "unsupported map type {map_type} (map {name})")
            }
            LoadError::BadMap { name, error } => write!(f, "map {name}: {error}"),
        }
    }
}

impl std::error::Error for LoadError {}

/// The runtime definition of an object's map.
pub fn map_def_of(def: &ObjMapDef) -> Result<MapDef, LoadError> {
    let map_type =
        MapType::from_kernel_id(def.map_type.0).ok_or_else(|| LoadError::UnsupportedMap {
            name: def.name.clone(),
            map_type: def.map_type.to_string(),
        })?;
    Ok(MapDef {
        map_type,
        key_size: def.key_size,
        value_size: def.value_size,
        max_entries: def.max_entries,
        flags: def.map_flags,
        // Device and CPU maps are read-only to programs whatever their flags: the kernel
        // sets `BPF_F_RDONLY_PROG` on them at creation.
        read_only: bpfvet_analyzer::verifier::env::map_read_only(def)
            || matches!(
                map_type,
                MapType::DevMap | MapType::DevMapHash | MapType::CpuMap
            ),
        // The object model does not carry `map_extra` yet, so a bloom filter gets the kernel's
        // default of 5 hash functions (only the false-positive rate depends on it).
        extra: 0,
    })
}

/// Whether `def` is a placeholder made by [`instantiate`].
pub fn is_placeholder(def: MapDef) -> bool {
    def.flags == PLACEHOLDER_FLAGS
}

/// The map indices a program's `lddw`s reference, sorted.
pub fn maps_used(insns: &[Insn]) -> Vec<u32> {
    let mut res: Vec<u32> =
        insns
            .iter()
            .filter_map(|i| match *i {
                Insn::LdImm64 {
                    src:
                        PseudoSrc::MapIdx
                        | PseudoSrc::MapIdxValue
                        | PseudoSrc::MapFd
                        | PseudoSrc::MapValue,
                    imm,
                    ..
                } => Some(imm as u32),
                _ => None,
            })
            .collect();
    res.sort_unstable();
    res.dedup();
    res
}

/// Whether `insns` call `bpf_tail_call` (and so may reach other programs of their object).
pub fn makes_tail_calls(insns: &[Insn]) -> bool {
    insns.contains(&Insn::Call(CallTarget::Helper(
        crate::helpers::id::TAIL_CALL,
    )))
}

/// Creates one machine map per definition (placeholders for unsupported types that `insns`
/// does not reference) and fills global-data maps with their initial contents.
pub fn instantiate(
    m: &mut Machine,
    defs: &[ObjMapDef],
    insns: &[Insn],
) -> Result<Vec<MapId>, LoadError> {
    let used = maps_used(insns);
    let mut ids = Vec::with_capacity(defs.len());
    for (i, def) in defs.iter().enumerate() {
        let rt = match map_def_of(def) {
            Ok(d) => d,
            Err(e) if used.contains(&(i as u32)) => return Err(e),
            Err(_) => MapDef {
                flags: PLACEHOLDER_FLAGS,
                ..MapDef::new(MapType::Array, 4, 8, 1)
            },
        };
        let id = m.create_map(rt).map_err(|error| LoadError::BadMap {
            name: def.name.clone(),
            error,
        })?;
        if let MapKind::GlobalData {
            init: Some(init), ..
        } = &def.kind
        {
            let mut value = init.clone();
            value.resize(def.value_size as usize, 0);
            m.map_update(id, &0u32.to_le_bytes(), &value, 0);
        }
        ids.push(id);
    }
    // Inner maps for maps of maps come after the object's own, so indices keep their meaning.
    crate::maps::of_maps::create_inner(m, defs, &ids);
    Ok(ids)
}

/// The programs that the object's program arrays name in their initial slots (libbpf fills
/// `.values = { [K] = &prog }` from the relocations in `.maps` once the programs are loaded), in
/// order of first mention: the tail-call targets a run of the object can reach without any
/// user-space update.
pub fn prog_array_targets(defs: &[ObjMapDef]) -> Vec<String> {
    let mut res: Vec<String> = Vec::new();
    for d in defs.iter().filter(|d| d.map_type == ObjMapType::PROG_ARRAY) {
        for (_, name) in &d.init_slots {
            if !res.contains(name) {
                res.push(name.clone());
            }
        }
    }
    res
}

/// Fills the initial slots of the program arrays of `defs` (machine maps `ids`): slot `K`
/// naming program `P` gets `P`'s index in `loaded`, the programs the run can tail-call into
/// (see [`crate::interp::run_chain`]). A slot naming a program that is not loaded stays empty,
/// as libbpf leaves it when the program's autoload is off.
pub fn fill_prog_arrays(m: &mut Machine, defs: &[ObjMapDef], ids: &[MapId], loaded: &[&str]) {
    for (d, &id) in defs.iter().zip(ids) {
        if d.map_type != ObjMapType::PROG_ARRAY {
            continue;
        }
        for (slot, name) in &d.init_slots {
            if let Some(p) = loaded.iter().position(|n| n == name) {
                m.map_update(id, &slot.to_le_bytes(), &(p as u32).to_le_bytes(), 0);
            }
        }
    }
}

/// Instantiates `defs` on `m` and binds `insns` to them.
pub fn load_program(
    m: &mut Machine,
    defs: &[ObjMapDef],
    insns: &[Insn],
) -> Result<Program, LoadError> {
    let ids = instantiate(m, defs, insns)?;
    Ok(Program::with_maps(insns.to_vec(), ids))
}
