//! What the loader produces: an [`Object`] holding linked [`Program`]s and the [`MapDef`]s they
//! refer to.
//!
//! Invariant of a loaded `Program` (established by [`crate::elf::load`]):
//! - `insns` is decoded, one [`Insn`] per 8-byte slot with `lddw` fused (see [`crate::isa`]);
//! - every `.text` function the program reaches by a pseudo call or a `lddw` of a function
//!   address (`PseudoSrc::Func`) is appended after the program's own `n_insns_own` slots, and the
//!   `imm` of the call or load is the callee's offset relative to the next slot, as the kernel
//!   expects; every such target is inside `insns`;
//! - every map reference is a `lddw` with `PseudoSrc::MapIdx` (`imm` = index into
//!   [`Object::maps`]) or `PseudoSrc::MapIdxValue` (`imm` = map index, `next_imm` = offset into
//!   the value), and the index is valid;
//! - `subprogs` starts with the program itself at index 0 and is sorted by start;
//!   `relocs`, `line_info`, `func_info` and `core_relos` are sorted by instruction index, and
//!   every index in them is inside `insns`.
//!
//! Fields are private (the invariant above spans several of them); getters expose everything.

use crate::btf::ext::CoreReloKind;
use crate::btf::{Btf, TypeId};
use crate::isa::{Insn, InsnIdx};
use crate::prog_type::{AttachType, ProgType};
use std::fmt;

/// An index into [`Object::maps`], as stored in the `imm` of a `lddw` with
/// `PseudoSrc::MapIdx`/`MapIdxValue`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct MapIdx(pub u32);

impl MapIdx {
    pub fn idx(self) -> usize {
        self.0 as usize
    }
}

/// `enum bpf_map_type`: the kernel's numeric value, with its name when we know it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct MapType(pub u32);

impl MapType {
    pub const HASH: MapType = MapType(1);
    pub const ARRAY: MapType = MapType(2);
    pub const PROG_ARRAY: MapType = MapType(3);
    pub const PERF_EVENT_ARRAY: MapType = MapType(4);
    pub const ARRAY_OF_MAPS: MapType = MapType(12);
    pub const HASH_OF_MAPS: MapType = MapType(13);
    pub const RINGBUF: MapType = MapType(27);

    /// Kernel names indexed by number (`map_type_name` in libbpf and bpftool).
    const NAMES: &'static [&'static str] = &[
        "unspec",
        "hash",
        "array",
        "prog_array",
        "perf_event_array",
        "percpu_hash",
        "percpu_array",
        "stack_trace",
        "cgroup_array",
        "lru_hash",
        "lru_percpu_hash",
        "lpm_trie",
        "array_of_maps",
        "hash_of_maps",
        "devmap",
        "sockmap",
        "cpumap",
        "xskmap",
        "sockhash",
        "cgroup_storage",
        "reuseport_sockarray",
        "percpu_cgroup_storage",
        "queue",
        "stack",
        "sk_storage",
        "devmap_hash",
        "struct_ops",
        "ringbuf",
        "inode_storage",
        "task_storage",
        "bloom_filter",
        "user_ringbuf",
        "cgrp_storage",
        "arena",
    ];

    /// The kernel's lowercase name, or `None` for a number we do not know.
    pub fn name(self) -> Option<&'static str> {
        Self::NAMES.get(self.0 as usize).copied()
    }

    /// The map type with this name.
    pub fn from_name(name: &str) -> Option<MapType> {
        Self::NAMES
            .iter()
            .position(|n| *n == name)
            .map(|i| MapType(i as u32))
    }

    /// Whether the values of this map type are themselves maps.
    pub fn is_map_in_map(self) -> bool {
        self == MapType::ARRAY_OF_MAPS || self == MapType::HASH_OF_MAPS
    }
}

impl fmt::Display for MapType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "map_type_{}", self.0),
        }
    }
}

/// `BPF_F_RDONLY_PROG`: programs may not write the map.
pub const BPF_F_RDONLY_PROG: u32 = 1 << 7;
/// `BPF_F_WRONLY_PROG`: programs may not read the map.
pub const BPF_F_WRONLY_PROG: u32 = 1 << 8;
/// `BPF_F_MMAPABLE`.
pub const BPF_F_MMAPABLE: u32 = 1 << 10;

/// Where a map definition came from.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum MapKind {
    /// A BTF-defined map in `.maps`.
    Btf,
    /// A `struct bpf_map_def` in the legacy `maps` section.
    Legacy,
    /// A global-data section turned into a one-entry array (`.data`, `.rodata*`, `.bss`,
    /// `.kconfig`). `init` is the initial value (`None` for all-zero `.bss`/`.kconfig`);
    /// `read_only` for `.rodata*` and `.kconfig`, which the loader freezes.
    GlobalData {
        section: String,
        init: Option<Vec<u8>>,
        read_only: bool,
    },
}

/// `LIBBPF_PIN_*`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Pinning {
    None,
    ByName,
    Other(u32),
}

/// A map definition.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct MapDef {
    pub name: String,
    pub map_type: MapType,
    pub key_size: u32,
    pub value_size: u32,
    pub max_entries: u32,
    pub map_flags: u32,
    pub pinning: Pinning,
    /// `map_extra` of a BTF definition (`__uint`/`__ulong(map_extra, ...)`): a bloom filter's
    /// number of hash functions (low 4 bits), an arena's user address; 0 elsewhere.
    pub map_extra: u64,
    /// BTF type of the key and value, when the map is BTF-defined with `__type(...)`.
    pub key_type: Option<TypeId>,
    pub value_type: Option<TypeId>,
    /// For map-in-map: the inner map's definition (`__array(values, ...)`).
    pub inner: Option<Box<MapDef>>,
    /// For map-in-map and prog arrays: slots initialised in the object, as
    /// `(slot, name of the map or program stored there)`.
    pub init_slots: Vec<(u32, String)>,
    pub kind: MapKind,
}

impl MapDef {
    /// A map with only its shape: no flags, pinning, BTF types, inner map or initial slots,
    /// as a legacy `maps` section declares it (tests and hand-built programs start here).
    pub fn plain(
        name: &str,
        map_type: MapType,
        key_size: u32,
        value_size: u32,
        max_entries: u32,
    ) -> MapDef {
        MapDef {
            name: name.to_string(),
            map_type,
            key_size,
            value_size,
            max_entries,
            map_flags: 0,
            pinning: Pinning::None,
            map_extra: 0,
            key_type: None,
            value_type: None,
            inner: None,
            init_slots: Vec::new(),
            kind: MapKind::Legacy,
        }
    }
}

/// What a relocated instruction refers to, for printing it symbolically.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum RelocTarget {
    /// `lddw rX, map`: a map pointer.
    Map { map: MapIdx, name: String },
    /// `lddw rX, &var`: a pointer into a global-data map. `var` is the symbol named by the
    /// relocation when it is a variable (not a section symbol); `offset` is the byte offset
    /// within the map value (the `next_imm` of the instruction).
    GlobalData {
        map: MapIdx,
        section: String,
        var: Option<String>,
        offset: u32,
    },
    /// A BPF-to-BPF call, or a `lddw` of a function address (a callback).
    Subprog { name: String, target: InsnIdx },
    /// A reference to an extern symbol that only the kernel's BTF can resolve. A kfunc call
    /// becomes `call` with `CallTarget::Kfunc { btf_id: 0, module: 0 }` (0 = unresolved); a
    /// typed `__ksym` variable becomes `lddw` with `PseudoSrc::BtfId` and `imm` 0; an untyped
    /// one stays a plain `lddw` of 0 (the address libbpf would fill in).
    Extern { name: String },
}

/// A relocation applied to the instruction at `insn`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct InsnReloc {
    pub insn: InsnIdx,
    pub target: RelocTarget,
}

/// A function inside a linked program: the program itself (first entry) or an appended
/// `.text` function.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Subprog {
    pub name: String,
    pub start: InsnIdx,
    /// Length in 8-byte slots.
    pub len: u32,
}

/// Source position of the instructions starting at `insn` (from `.BTF.ext` line_info).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct LineInfo {
    pub insn: InsnIdx,
    pub file: String,
    /// The source line's text, as BTF carries it (may be empty).
    pub text: String,
    pub line: u32,
    pub col: u32,
}

/// A `.BTF.ext` func_info record: the function starting at `insn` has BTF type `type_id`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct FuncInfo {
    pub insn: InsnIdx,
    pub type_id: TypeId,
    pub name: String,
}

/// A CO-RE relocation record, listed but not resolved.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct CoreRelo {
    pub insn: InsnIdx,
    pub type_id: TypeId,
    /// Name of the local type (`""` when anonymous).
    pub type_name: String,
    pub access: String,
    pub kind: CoreReloKind,
}

/// One loadable program, linked with the subprograms it uses. See the module doc.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Program {
    pub(crate) name: String,
    pub(crate) section: String,
    pub(crate) prog_type: Option<ProgType>,
    pub(crate) attach_type: Option<AttachType>,
    pub(crate) sleepable: bool,
    pub(crate) xdp_frags: bool,
    pub(crate) insns: Vec<Insn>,
    pub(crate) n_insns_own: usize,
    pub(crate) relocs: Vec<InsnReloc>,
    pub(crate) subprogs: Vec<Subprog>,
    pub(crate) line_info: Vec<LineInfo>,
    pub(crate) func_info: Vec<FuncInfo>,
    pub(crate) core_relos: Vec<CoreRelo>,
    pub(crate) license: String,
    /// Slots that do not decode, when loaded by [`crate::elf::load_lenient`] (sorted; the slot
    /// holds an `exit` placeholder). Empty for [`crate::elf::load`], which refuses them.
    pub(crate) undecoded: Vec<Undecoded>,
    /// For a struct_ops program, the ops member it implements (`tcp_congestion_ops:init`),
    /// from the `.struct_ops` section's relocations.
    pub(crate) struct_ops_member: Option<String>,
}

/// A slot that does not decode, kept so that the rest of its program can still be shown.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Undecoded {
    /// Where in the linked program (also `err.insn`).
    pub insn: InsnIdx,
    /// The slot's bytes as in the object.
    pub bytes: [u8; 8],
    pub err: crate::isa::DecodeError,
}

impl Program {
    /// A program from bare instructions (assembly, tests): no relocations, no debug info, a
    /// single subprogram. `insns` must already satisfy the `lddw` fusing invariant.
    pub fn from_insns(name: &str, prog_type: Option<ProgType>, insns: Vec<Insn>) -> Program {
        let len = u32::try_from(insns.len()).unwrap_or(u32::MAX);
        Program {
            name: name.to_string(),
            section: String::new(),
            prog_type,
            attach_type: None,
            sleepable: false,
            xdp_frags: false,
            n_insns_own: insns.len(),
            insns,
            relocs: Vec::new(),
            subprogs: vec![Subprog {
                name: name.to_string(),
                start: InsnIdx(0),
                len,
            }],
            line_info: Vec::new(),
            func_info: Vec::new(),
            core_relos: Vec::new(),
            license: String::new(),
            undecoded: Vec::new(),
            struct_ops_member: None,
        }
    }

    /// For a struct_ops program, the ops member it implements, as `struct:member`
    /// (`tcp_congestion_ops:init`), when a `.struct_ops` section assigns it.
    pub fn struct_ops_member(&self) -> Option<&str> {
        self.struct_ops_member.as_deref()
    }

    /// Slots that do not decode (only from [`crate::elf::load_lenient`]): such a program must
    /// not be verified, its listing marks them.
    pub fn undecoded(&self) -> &[Undecoded] {
        &self.undecoded
    }

    /// Replaces the program type (the CLI's `--type` override) and its expected attach type.
    pub fn set_prog_type(&mut self, prog_type: Option<ProgType>, attach_type: Option<AttachType>) {
        self.prog_type = prog_type;
        self.attach_type = attach_type;
    }

    /// The program's function name (its ELF symbol), or the section name when the section
    /// has no function symbol.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The ELF section the program's own code came from.
    pub fn section(&self) -> &str {
        &self.section
    }

    /// The program type from the section name, `None` when no convention matched.
    pub fn prog_type(&self) -> Option<ProgType> {
        self.prog_type
    }

    /// The `expected_attach_type` libbpf would load it with.
    pub fn attach_type(&self) -> Option<AttachType> {
        self.attach_type
    }

    /// Whether the section marks it sleepable (`lsm.s/`, `fentry.s/`, ...).
    pub fn sleepable(&self) -> bool {
        self.sleepable
    }

    /// Whether the section marks it as a multi-buffer XDP program (`xdp.frags`).
    pub fn xdp_frags(&self) -> bool {
        self.xdp_frags
    }

    /// All instructions, own code first, then appended subprograms.
    pub fn insns(&self) -> &[Insn] {
        &self.insns
    }

    /// The instructions, for in-place patching by the loader's later stages (CO-RE
    /// relocation, [`crate::elf::relocate_core`]). A slice, so the slot count and with it every
    /// index in `relocs`, `subprogs` and the debug info stay valid; callers keep the `lddw`
    /// pairing (a `LdImm64` is followed by its `LdImm64Tail`, or both slots are replaced).
    pub(crate) fn insns_mut(&mut self) -> &mut [Insn] {
        &mut self.insns
    }

    /// The number of 8-byte slots of the program's own code, before linking.
    pub fn n_insns_own(&self) -> usize {
        self.n_insns_own
    }

    /// Every relocated instruction, sorted by index.
    pub fn relocs(&self) -> &[InsnReloc] {
        &self.relocs
    }

    /// What the instruction at `insn` was relocated against, if anything.
    pub fn reloc_at(&self, insn: InsnIdx) -> Option<&RelocTarget> {
        let i = self.relocs.binary_search_by_key(&insn, |r| r.insn).ok()?;
        Some(&self.relocs[i].target)
    }

    /// The functions of the linked program; the first is the program itself.
    pub fn subprogs(&self) -> &[Subprog] {
        &self.subprogs
    }

    /// The function containing `insn`.
    pub fn subprog_of(&self, insn: InsnIdx) -> Option<&Subprog> {
        let i = self
            .subprogs
            .partition_point(|s| s.start <= insn)
            .checked_sub(1)?;
        let s = &self.subprogs[i];
        (insn.0 - s.start.0 < s.len).then_some(s)
    }

    /// Line info records, sorted by instruction index.
    pub fn line_info(&self) -> &[LineInfo] {
        &self.line_info
    }

    /// The source line an instruction belongs to: the last line_info record at or before it
    /// within the same subprogram (the kernel's rule for printing source lines).
    pub fn line_for(&self, insn: InsnIdx) -> Option<&LineInfo> {
        let i = self
            .line_info
            .partition_point(|l| l.insn <= insn)
            .checked_sub(1)?;
        let l = &self.line_info[i];
        let sub = self.subprog_of(insn)?;
        (l.insn >= sub.start).then_some(l)
    }

    /// Func info records, sorted by instruction index.
    pub fn func_info(&self) -> &[FuncInfo] {
        &self.func_info
    }

    /// CO-RE relocation records (unresolved), sorted by instruction index.
    pub fn core_relos(&self) -> &[CoreRelo] {
        &self.core_relos
    }

    /// The object's license string (`""` when it has none).
    pub fn license(&self) -> &str {
        &self.license
    }

    /// Whether the license is GPL-compatible by the kernel's `license_is_gpl_compatible` list.
    pub fn is_gpl_compatible(&self) -> bool {
        license_is_gpl_compatible(&self.license)
    }
}

/// The kernel's list of GPL-compatible license strings (`license_is_gpl_compatible`).
pub fn license_is_gpl_compatible(license: &str) -> bool {
    const GPL: &[&str] = &[
        "GPL",
        "GPL v2",
        "GPL and additional rights",
        "Dual BSD/GPL",
        "Dual MIT/GPL",
        "Dual MPL/GPL",
    ];
    GPL.contains(&license)
}

/// A loaded ELF object.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Object {
    pub(crate) programs: Vec<Program>,
    /// Every `.text` function linked as a program of its own (section `.text`, no type), for
    /// loaders that pick functions by name.
    pub(crate) text_functions: Vec<Program>,
    pub(crate) maps: Vec<MapDef>,
    pub(crate) license: String,
    pub(crate) kern_version: Option<u32>,
    pub(crate) btf: Option<Btf>,
    pub(crate) has_btf_ext: bool,
    pub(crate) n_core_relos: usize,
    /// What the loader left out and why (a `.BTF` that does not parse, ...), for the reader.
    pub(crate) notes: Vec<String>,
    /// Why the kernel refuses the object's BTF, if it does (`btf::kernel_meta`): libbpf then
    /// loads the object without BTF, and so does the verifier's input.
    pub(crate) btf_refused: Option<crate::btf::kernel_meta::Refusal>,
}

impl Object {
    /// Programs in section order, then symbol order within a section.
    pub fn programs(&self) -> &[Program] {
        &self.programs
    }

    /// Consumes the object, keeping its programs.
    pub fn into_programs(self) -> Vec<Program> {
        self.programs
    }

    /// The program with this name, or else the `.text` function with this name linked as a
    /// program (section `.text`, no type).
    pub fn program(&self, name: &str) -> Option<&Program> {
        self.programs
            .iter()
            .chain(&self.text_functions)
            .find(|p| p.name == name)
    }

    /// Every `.text` function, each linked as a program of its own.
    pub fn text_functions(&self) -> &[Program] {
        &self.text_functions
    }

    /// Maps, indexed by [`MapIdx`]: legacy `maps`, then `.maps`, then global data, then
    /// `.kconfig` (libbpf's order).
    pub fn maps(&self) -> &[MapDef] {
        &self.maps
    }

    pub fn map(&self, idx: MapIdx) -> Option<&MapDef> {
        self.maps.get(idx.idx())
    }

    /// The `license` section's string (`""` when absent).
    pub fn license(&self) -> &str {
        &self.license
    }

    /// The `version` section's value, when present.
    pub fn kern_version(&self) -> Option<u32> {
        self.kern_version
    }

    /// The object's `.BTF`, when present.
    pub fn btf(&self) -> Option<&Btf> {
        self.btf.as_ref()
    }

    /// Why the kernel refuses this object's BTF as a whole, if it does.
    pub fn btf_refused(&self) -> Option<&str> {
        self.btf_refused.as_ref().map(|r| r.why.as_str())
    }

    /// The first release that refuses this object's BTF (`None`: every release, or none
    /// refuses it).
    pub fn btf_refused_since(&self) -> Option<(u16, u16)> {
        self.btf_refused.as_ref().and_then(|r| r.since)
    }

    pub fn has_btf(&self) -> bool {
        self.btf.is_some()
    }

    pub fn has_btf_ext(&self) -> bool {
        self.has_btf_ext
    }

    /// What the loader left out of the object and why, one sentence each.
    pub fn load_notes(&self) -> &[String] {
        &self.notes
    }

    /// Number of CO-RE relocation records in `.BTF.ext` (over all sections).
    pub fn n_core_relos(&self) -> usize {
        self.n_core_relos
    }
}
