//! BTF, the BPF type format: the `.BTF` section of an object, or a standalone blob such as
//! `/sys/kernel/btf/vmlinux` (the caller reads the file; this module takes bytes).
//!
//! Representation: [`Btf`] owns a copy of the string table and one [`BtfType`] per type id.
//! Id 0 is `void` and has no entry; id `n` is `types[n - 1]`. Names are kept as string-table
//! offsets and looked up with [`Btf::str_at`] / [`Btf::name`].
//!
//! Invariant after [`Btf::parse`]: every type record was read completely from within the type
//! section, and every name offset is inside the string table. Type ids *referenced* by a type
//! are not checked here (vmlinux has ~100k types and the kernel checks lazily too): lookups
//! return `None` for a dangling id, and every walk through references ([`Btf::resolve`],
//! [`Btf::size_of`]) is bounded by [`MAX_RESOLVE_DEPTH`] steps, so cycles terminate.
//!
//! The `.BTF.ext` part (func_info, line_info, CO-RE relocations) is in [`ext`].

pub mod ext;
pub mod kernel_meta;

use std::fmt;

/// Longest chain of modifiers, typedefs or array dimensions we follow (the kernel's
/// `MAX_RESOLVE_DEPTH` is 32 as well).
pub const MAX_RESOLVE_DEPTH: usize = 32;

const BTF_MAGIC: u16 = 0xeb9f;

/// A BTF type id. `TypeId(0)` is `void`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Default)]
pub struct TypeId(pub u32);

impl TypeId {
    pub const VOID: TypeId = TypeId(0);
}

impl fmt::Display for TypeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Why a BTF blob (or `.BTF.ext`) could not be parsed.
#[derive(Clone, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum BtfError {
    /// The blob ends before the structure at `offset` does.
    Truncated {
        what: &'static str,
        offset: usize,
    },
    /// The magic number is not `0xeb9f` (a big-endian blob reads as `0x9feb`).
    BadMagic {
        magic: u16,
    },
    BadVersion {
        version: u8,
    },
    /// A header field is inconsistent (overlapping or out-of-bounds sections).
    BadHeader {
        what: &'static str,
    },
    /// The type at `id` has an unknown kind number.
    UnknownKind {
        id: u32,
        kind: u32,
    },
    /// A name offset points outside the string table, or at bytes that are not UTF-8.
    BadString {
        offset: u32,
    },
    /// A record size in `.BTF.ext` is smaller than the record it must hold.
    BadRecordSize {
        what: &'static str,
        size: u32,
    },
    /// More types than ids exist.
    TooManyTypes,
}

impl fmt::Display for BtfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BtfError::Truncated { what, offset } => {
                write!(f, "{what} truncated at offset {offset}")
            }
            BtfError::BadMagic { magic } => write!(f, "bad magic {magic:#06x}, expected 0xeb9f"),
            BtfError::BadVersion { version } => write!(f, "unsupported version {version}"),
            BtfError::BadHeader { what } => write!(f, "bad header: {what}"),
            BtfError::UnknownKind { id, kind } => write!(f, "type {id}: unknown kind {kind}"),
            BtfError::BadString { offset } => write!(f, "bad string offset {offset}"),
            BtfError::BadRecordSize { what, size } => {
                write!(f, "{what} record size {size} is too small")
            }
            BtfError::TooManyTypes => write!(f, "too many types"),
        }
    }
}

impl std::error::Error for BtfError {}

/// `BTF_INT_*` encoding of an integer type.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub struct IntEncoding {
    pub signed: bool,
    pub char: bool,
    pub bool: bool,
}

/// A struct or union member.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Member {
    pub name_off: u32,
    pub ty: TypeId,
    /// Offset from the start of the aggregate, in bits.
    pub bit_offset: u32,
    /// Width of a bitfield in bits, 0 for an ordinary member.
    pub bitfield_size: u8,
}

/// An enumerator (of `enum` or `enum64`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct EnumValue {
    pub name_off: u32,
    /// The value, sign- or zero-extended according to the enum's signedness.
    pub val: i64,
}

/// A function parameter.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Param {
    pub name_off: u32,
    pub ty: TypeId,
}

/// A variable placed in a data section.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct VarSecInfo {
    pub ty: TypeId,
    pub offset: u32,
    pub size: u32,
}

/// Linkage of a `func` or `var` (`BTF_FUNC_STATIC`/`GLOBAL`/`EXTERN`, `BTF_VAR_*`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Linkage {
    Static,
    Global,
    Extern,
    Other(u32),
}

impl Linkage {
    fn from_raw(raw: u32) -> Linkage {
        match raw {
            0 => Linkage::Static,
            1 => Linkage::Global,
            2 => Linkage::Extern,
            n => Linkage::Other(n),
        }
    }
}

/// What a type is, with its kind-specific data (`BTF_KIND_*`).
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum BtfKind {
    Int {
        size: u32,
        encoding: IntEncoding,
        bit_offset: u8,
        bits: u8,
    },
    Ptr {
        ty: TypeId,
    },
    Array {
        elem: TypeId,
        index: TypeId,
        nelems: u32,
    },
    Struct {
        size: u32,
        members: Vec<Member>,
    },
    Union {
        size: u32,
        members: Vec<Member>,
    },
    Enum {
        size: u32,
        signed: bool,
        values: Vec<EnumValue>,
    },
    /// A forward declaration of a struct, or of a union when `is_union`.
    Fwd {
        is_union: bool,
    },
    Typedef {
        ty: TypeId,
    },
    Volatile {
        ty: TypeId,
    },
    Const {
        ty: TypeId,
    },
    Restrict {
        ty: TypeId,
    },
    Func {
        proto: TypeId,
        linkage: Linkage,
    },
    FuncProto {
        ret: TypeId,
        params: Vec<Param>,
    },
    Var {
        ty: TypeId,
        linkage: Linkage,
    },
    Datasec {
        size: u32,
        vars: Vec<VarSecInfo>,
    },
    Float {
        size: u32,
    },
    /// A `btf_decl_tag` on `ty`: on the type itself when `component_idx` is -1, otherwise on
    /// that member or parameter.
    DeclTag {
        ty: TypeId,
        component_idx: i32,
    },
    TypeTag {
        ty: TypeId,
    },
    Enum64 {
        size: u32,
        signed: bool,
        values: Vec<EnumValue>,
    },
}

/// One BTF type: its name and its kind.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct BtfType {
    pub name_off: u32,
    pub kind: BtfKind,
}

impl BtfType {
    /// The kernel's lowercase kind name (`struct`, `typedef`, ...), as bpftool prints it.
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            BtfKind::Int { .. } => "int",
            BtfKind::Ptr { .. } => "ptr",
            BtfKind::Array { .. } => "array",
            BtfKind::Struct { .. } => "struct",
            BtfKind::Union { .. } => "union",
            BtfKind::Enum { .. } => "enum",
            BtfKind::Fwd { .. } => "fwd",
            BtfKind::Typedef { .. } => "typedef",
            BtfKind::Volatile { .. } => "volatile",
            BtfKind::Const { .. } => "const",
            BtfKind::Restrict { .. } => "restrict",
            BtfKind::Func { .. } => "func",
            BtfKind::FuncProto { .. } => "func_proto",
            BtfKind::Var { .. } => "var",
            BtfKind::Datasec { .. } => "datasec",
            BtfKind::Float { .. } => "float",
            BtfKind::DeclTag { .. } => "decl_tag",
            BtfKind::TypeTag { .. } => "type_tag",
            BtfKind::Enum64 { .. } => "enum64",
        }
    }

    /// The type this one refers to, for modifiers, typedefs, pointers, vars, funcs and tags.
    pub fn referenced(&self) -> Option<TypeId> {
        match self.kind {
            BtfKind::Ptr { ty }
            | BtfKind::Typedef { ty }
            | BtfKind::Volatile { ty }
            | BtfKind::Const { ty }
            | BtfKind::Restrict { ty }
            | BtfKind::Var { ty, .. }
            | BtfKind::DeclTag { ty, .. }
            | BtfKind::TypeTag { ty } => Some(ty),
            BtfKind::Func { proto, .. } => Some(proto),
            BtfKind::Array { elem, .. } => Some(elem),
            _ => None,
        }
    }

    /// Members of a struct or union (empty for other kinds).
    pub fn members(&self) -> &[Member] {
        match &self.kind {
            BtfKind::Struct { members, .. } | BtfKind::Union { members, .. } => members,
            _ => &[],
        }
    }
}

/// A parsed BTF blob. See the module doc for the representation.
#[derive(Clone)]
pub struct Btf {
    strings: Vec<u8>,
    types: Vec<BtfType>,
    /// [`Btf::find_by_name`]'s index, built once it has been asked often enough
    /// (`NAME_INDEX_AFTER`): the verifier looks up kernel types by name during exploration
    /// (a `__safe_trusted` companion per pointer load), and each linear walk over vmlinux's
    /// 150,000 types took 0.5 ms (`iters_task_vma`: 7 s of lookups for 15,036 instructions).
    by_name: NameIndex,
}

impl PartialEq for Btf {
    fn eq(&self, other: &Btf) -> bool {
        self.strings == other.strings && self.types == other.types
    }
}

impl Eq for Btf {}

/// Lookups by name before the index is built: building it over vmlinux costs about what 80
/// walks do, and most programs make fewer lookups than that (`corpus/c` `proc_fork_tp_btf`
/// took 30 ms more with the index built after 16).
const NAME_INDEX_AFTER: u32 = 128;

/// The ids of the types of each name, in id order, and how many lookups were made without it.
#[derive(Default)]
struct NameIndex {
    walks: std::sync::atomic::AtomicU32,
    ids: std::sync::OnceLock<std::collections::HashMap<Box<str>, Vec<TypeId>>>,
}

impl Clone for NameIndex {
    fn clone(&self) -> NameIndex {
        // Rebuilt on demand: a clone may be changed (`fix_datasec_offsets` keeps names, but
        // an index is cheap to drop).
        NameIndex::default()
    }
}

impl fmt::Debug for Btf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Btf")
            .field("n_types", &self.types.len())
            .field("strings_len", &self.strings.len())
            .finish()
    }
}

/// A little-endian reader over a byte slice that never panics.
#[derive(Clone, Copy)]
pub(crate) struct Cursor<'a> {
    pub(crate) bytes: &'a [u8],
    pub(crate) pos: usize,
    pub(crate) what: &'static str,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(bytes: &'a [u8], what: &'static str) -> Cursor<'a> {
        Cursor {
            bytes,
            pos: 0,
            what,
        }
    }

    pub(crate) fn remaining(&self) -> usize {
        self.bytes.len().saturating_sub(self.pos)
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], BtfError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len());
        let end = end.ok_or(BtfError::Truncated {
            what: self.what,
            offset: self.pos,
        })?;
        let res = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(res)
    }

    pub(crate) fn u32(&mut self) -> Result<u32, BtfError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub(crate) fn u16(&mut self) -> Result<u16, BtfError> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    pub(crate) fn u8(&mut self) -> Result<u8, BtfError> {
        Ok(self.take(1)?[0])
    }
}

/// The sub-slice `[off, off + len)` of `bytes`, or a header error.
pub(crate) fn sub<'a>(
    bytes: &'a [u8],
    off: u32,
    len: u32,
    what: &'static str,
) -> Result<&'a [u8], BtfError> {
    let start = off as usize;
    let end = start
        .checked_add(len as usize)
        .filter(|&e| e <= bytes.len());
    end.map(|e| &bytes[start..e])
        .ok_or(BtfError::BadHeader { what })
}

/// The NUL-terminated string at `off` in a string table.
pub(crate) fn str_in(strings: &[u8], off: u32) -> Option<&str> {
    let rest = strings.get(off as usize..)?;
    let len = rest.iter().position(|&b| b == 0)?;
    std::str::from_utf8(&rest[..len]).ok()
}

/// The common BTF header: magic, version, flags, header length.
pub(crate) fn parse_preamble(c: &mut Cursor<'_>) -> Result<u32, BtfError> {
    let magic = c.u16()?;
    if magic != BTF_MAGIC {
        return Err(BtfError::BadMagic { magic });
    }
    let version = c.u8()?;
    if version != 1 {
        return Err(BtfError::BadVersion { version });
    }
    let _flags = c.u8()?;
    let hdr_len = c.u32()?;
    if (hdr_len as usize) < 8 || hdr_len as usize > c.bytes.len() {
        return Err(BtfError::BadHeader {
            what: "header length",
        });
    }
    Ok(hdr_len)
}

impl Btf {
    /// Parses a BTF blob: a `.BTF` section or a standalone file such as vmlinux BTF.
    ///
    /// Never panics, and allocates at most in proportion to `bytes.len()`.
    pub fn parse(bytes: &[u8]) -> Result<Btf, BtfError> {
        let mut c = Cursor::new(bytes, "btf header");
        let hdr_len = parse_preamble(&mut c)?;
        if hdr_len < 24 {
            return Err(BtfError::BadHeader {
                what: "header length",
            });
        }
        let type_off = c.u32()?;
        let type_len = c.u32()?;
        let str_off = c.u32()?;
        let str_len = c.u32()?;
        let body = &bytes[hdr_len as usize..];
        let type_sec = sub(body, type_off, type_len, "type section out of bounds")?;
        let str_sec = sub(body, str_off, str_len, "string section out of bounds")?;
        if !str_sec.is_empty() && str_sec[0] != 0 {
            return Err(BtfError::BadHeader {
                what: "string section does not start with NUL",
            });
        }
        if !str_sec.is_empty() && str_sec[str_sec.len() - 1] != 0 {
            return Err(BtfError::BadHeader {
                what: "string section not NUL-terminated",
            });
        }
        let mut btf = Btf {
            strings: str_sec.to_vec(),
            types: Vec::new(),
            by_name: NameIndex::default(),
        };
        let mut c = Cursor::new(type_sec, "btf type");
        while c.remaining() > 0 {
            let id = u32::try_from(btf.types.len() + 1).map_err(|_| BtfError::TooManyTypes)?;
            let ty = parse_type(&mut c, id)?;
            btf.check_name(ty.name_off)?;
            for off in nested_names(&ty.kind) {
                btf.check_name(off)?;
            }
            btf.types.push(ty);
        }
        Ok(btf)
    }

    fn check_name(&self, off: u32) -> Result<(), BtfError> {
        if off == 0 && self.strings.is_empty() {
            return Ok(());
        }
        str_in(&self.strings, off)
            .map(|_| ())
            .ok_or(BtfError::BadString { offset: off })
    }

    /// Number of types, not counting `void`; valid ids are `1..=n_types()`.
    /// Sets the offsets of a datasec's variables as the loader does (libbpf's
    /// `btf_fixup_datasec`): the compiler may leave them 0 for sections it does not lay out
    /// itself (`.bss.A`, `.data.A`), and the symbol table has them. `offset_of` gives a
    /// variable's offset by name; variables it does not know keep theirs.
    pub(crate) fn fix_datasec_offsets(
        &mut self,
        id: TypeId,
        offset_of: impl Fn(&str) -> Option<u32>,
    ) {
        self.by_name = NameIndex::default();
        let names: Vec<Option<u32>> = match self.type_by_id(id).map(|t| &t.kind) {
            Some(BtfKind::Datasec { vars, .. }) => {
                vars.iter().map(|v| offset_of(self.name_of(v.ty))).collect()
            }
            _ => return,
        };
        let Some(t) = (id.0 as usize)
            .checked_sub(1)
            .and_then(|i| self.types.get_mut(i))
        else {
            return;
        };
        if let BtfKind::Datasec { vars, .. } = &mut t.kind {
            for (v, off) in vars.iter_mut().zip(names) {
                if let Some(off) = off {
                    v.offset = off;
                }
            }
        }
    }

    pub fn n_types(&self) -> usize {
        self.types.len()
    }

    /// The type with this id (`None` for `void` and for ids past the end).
    pub fn type_by_id(&self, id: TypeId) -> Option<&BtfType> {
        let idx = (id.0 as usize).checked_sub(1)?;
        self.types.get(idx)
    }

    /// All types with their ids, in id order.
    pub fn types(&self) -> impl Iterator<Item = (TypeId, &BtfType)> {
        self.types
            .iter()
            .enumerate()
            .map(|(i, t)| (TypeId(i as u32 + 1), t))
    }

    /// The string at `off` in the string table (`""` for offset 0).
    pub fn str_at(&self, off: u32) -> Option<&str> {
        if off == 0 {
            return Some("");
        }
        str_in(&self.strings, off)
    }

    /// The name of a type (`""` when anonymous or when the offset is bad).
    pub fn name(&self, ty: &BtfType) -> &str {
        self.str_at(ty.name_off).unwrap_or("")
    }

    /// The name of the type with this id (`""` for `void`, anonymous or unknown types).
    pub fn name_of(&self, id: TypeId) -> &str {
        self.type_by_id(id).map_or("", |t| self.name(t))
    }

    /// The first type with this name and kind name (`"struct"`, `"func"`, ...), by linear scan.
    pub fn find_by_name(&self, name: &str, kind: &str) -> Option<TypeId> {
        use std::sync::atomic::Ordering;
        let index = &self.by_name;
        if index.ids.get().is_none()
            && index.walks.fetch_add(1, Ordering::Relaxed) < NAME_INDEX_AFTER
        {
            return self
                .types()
                .find(|(_, t)| t.kind_name() == kind && self.name(t) == name)
                .map(|(id, _)| id);
        }
        let ids = index.ids.get_or_init(|| {
            let mut ids: std::collections::HashMap<Box<str>, Vec<TypeId>> =
                std::collections::HashMap::new();
            for (id, t) in self.types() {
                ids.entry(self.name(t).into()).or_default().push(id);
            }
            ids
        });
        // The first of that kind in id order, as the walk finds it.
        ids.get(name)?
            .iter()
            .copied()
            .find(|&id| self.type_by_id(id).is_some_and(|t| t.kind_name() == kind))
    }

    /// Follows typedefs, `const`, `volatile`, `restrict` and type tags to the underlying type.
    /// Returns the id reached (possibly `void`), or `None` for a dangling id or a chain longer
    /// than [`MAX_RESOLVE_DEPTH`].
    pub fn resolve(&self, id: TypeId) -> Option<TypeId> {
        let mut id = id;
        for _ in 0..MAX_RESOLVE_DEPTH {
            if id == TypeId::VOID {
                return Some(id);
            }
            let ty = self.type_by_id(id)?;
            match ty.kind {
                BtfKind::Typedef { ty }
                | BtfKind::Volatile { ty }
                | BtfKind::Const { ty }
                | BtfKind::Restrict { ty }
                | BtfKind::TypeTag { ty } => id = ty,
                _ => return Some(id),
            }
        }
        None
    }

    /// The resolved type itself (see [`Btf::resolve`]); `None` for `void`.
    pub fn resolve_type(&self, id: TypeId) -> Option<&BtfType> {
        self.type_by_id(self.resolve(id)?)
    }

    /// The size in bytes of a value of this type, as the kernel's `btf_resolve_size` computes
    /// it: arrays multiply through (iteratively), pointers are 8 bytes, vars take their type's
    /// size. `None` for `void`, functions, forward declarations, dangling ids, overflow, or
    /// chains longer than [`MAX_RESOLVE_DEPTH`].
    pub fn size_of(&self, id: TypeId) -> Option<u64> {
        let mut id = id;
        let mut mult: u64 = 1;
        for _ in 0..MAX_RESOLVE_DEPTH {
            let ty = self.type_by_id(self.resolve(id)?)?;
            let size = match ty.kind {
                BtfKind::Int { size, .. }
                | BtfKind::Struct { size, .. }
                | BtfKind::Union { size, .. }
                | BtfKind::Enum { size, .. }
                | BtfKind::Enum64 { size, .. }
                | BtfKind::Datasec { size, .. }
                | BtfKind::Float { size } => u64::from(size),
                BtfKind::Ptr { .. } => 8,
                BtfKind::Array { elem, nelems, .. } => {
                    mult = mult.checked_mul(u64::from(nelems))?;
                    id = elem;
                    continue;
                }
                BtfKind::Var { ty, .. } => {
                    id = ty;
                    continue;
                }
                BtfKind::Fwd { .. }
                | BtfKind::Func { .. }
                | BtfKind::FuncProto { .. }
                | BtfKind::DeclTag { .. }
                | BtfKind::Typedef { .. }
                | BtfKind::Volatile { .. }
                | BtfKind::Const { .. }
                | BtfKind::Restrict { .. }
                | BtfKind::TypeTag { .. } => return None,
            };
            return size.checked_mul(mult);
        }
        None
    }

    /// The members of the struct or union `id` resolves to (`None` for other kinds).
    pub fn members(&self, id: TypeId) -> Option<&[Member]> {
        match &self.resolve_type(id)?.kind {
            BtfKind::Struct { members, .. } | BtfKind::Union { members, .. } => Some(members),
            _ => None,
        }
    }

    /// The member named `name` of the struct or union `id` resolves to (direct members only).
    pub fn member(&self, id: TypeId, name: &str) -> Option<&Member> {
        self.members(id)?
            .iter()
            .find(|m| self.str_at(m.name_off) == Some(name))
    }

    /// The name of a member, parameter or enumerator (`""` when anonymous).
    pub fn member_name(&self, m: &Member) -> &str {
        self.str_at(m.name_off).unwrap_or("")
    }

    /// Every `btf_decl_tag` attached to `target` as `(component_idx, tag string)`, where
    /// `component_idx` is -1 for the type itself and otherwise a member or parameter index.
    /// A linear scan: for many look-ups build an index with [`Btf::decl_tags`].
    pub fn decl_tags_of(&self, target: TypeId) -> Vec<(i32, &str)> {
        self.decl_tags()
            .filter(|(t, _, _)| *t == target)
            .map(|(_, idx, s)| (idx, s))
            .collect()
    }

    /// Every decl tag in the blob as `(target, component_idx, tag string)`, in id order.
    pub fn decl_tags(&self) -> impl Iterator<Item = (TypeId, i32, &str)> {
        self.types().filter_map(|(_, t)| match t.kind {
            BtfKind::DeclTag { ty, component_idx } => Some((ty, component_idx, self.name(t))),
            _ => None,
        })
    }
}

/// Name offsets inside a type record other than the type's own name.
fn nested_names(kind: &BtfKind) -> Vec<u32> {
    match kind {
        BtfKind::Struct { members, .. } | BtfKind::Union { members, .. } => {
            members.iter().map(|m| m.name_off).collect()
        }
        BtfKind::Enum { values, .. } | BtfKind::Enum64 { values, .. } => {
            values.iter().map(|v| v.name_off).collect()
        }
        BtfKind::FuncProto { params, .. } => params.iter().map(|p| p.name_off).collect(),
        _ => Vec::new(),
    }
}

/// Reads `vlen` records of `rec` bytes each, checking first that they fit, so that a huge
/// `vlen` from a corrupt header never drives a large allocation.
fn records<'a, T>(
    c: &mut Cursor<'a>,
    vlen: u32,
    rec: usize,
    mut f: impl FnMut(&mut Cursor<'a>) -> Result<T, BtfError>,
) -> Result<Vec<T>, BtfError> {
    let need = (vlen as usize).checked_mul(rec);
    if !matches!(need, Some(n) if n <= c.remaining()) {
        return Err(BtfError::Truncated {
            what: c.what,
            offset: c.pos,
        });
    }
    let mut res = Vec::with_capacity(vlen as usize);
    for _ in 0..vlen {
        res.push(f(c)?);
    }
    Ok(res)
}

fn parse_type(c: &mut Cursor<'_>, id: u32) -> Result<BtfType, BtfError> {
    let name_off = c.u32()?;
    let info = c.u32()?;
    let size_or_type = c.u32()?;
    let vlen = info & 0xffff;
    let kind_num = (info >> 24) & 0x1f;
    let kind_flag = info >> 31 != 0;
    let ty = TypeId(size_or_type);
    let size = size_or_type;
    let kind = match kind_num {
        1 => {
            let data = c.u32()?;
            let enc = (data >> 24) & 0x0f;
            BtfKind::Int {
                size,
                encoding: IntEncoding {
                    signed: enc & 1 != 0,
                    char: enc & 2 != 0,
                    bool: enc & 4 != 0,
                },
                bit_offset: ((data >> 16) & 0xff) as u8,
                bits: (data & 0xff) as u8,
            }
        }
        2 => BtfKind::Ptr { ty },
        3 => {
            let elem = TypeId(c.u32()?);
            let index = TypeId(c.u32()?);
            let nelems = c.u32()?;
            BtfKind::Array {
                elem,
                index,
                nelems,
            }
        }
        4 | 5 => {
            let members = records(c, vlen, 12, |c| {
                let name_off = c.u32()?;
                let ty = TypeId(c.u32()?);
                let off = c.u32()?;
                let (bit_offset, bitfield_size) = if kind_flag {
                    (off & 0x00ff_ffff, (off >> 24) as u8)
                } else {
                    (off, 0)
                };
                Ok(Member {
                    name_off,
                    ty,
                    bit_offset,
                    bitfield_size,
                })
            })?;
            if kind_num == 4 {
                BtfKind::Struct { size, members }
            } else {
                BtfKind::Union { size, members }
            }
        }
        6 => {
            let values = records(c, vlen, 8, |c| {
                let name_off = c.u32()?;
                let raw = c.u32()?;
                let val = if kind_flag {
                    i64::from(raw as i32)
                } else {
                    i64::from(raw)
                };
                Ok(EnumValue { name_off, val })
            })?;
            BtfKind::Enum {
                size,
                signed: kind_flag,
                values,
            }
        }
        7 => BtfKind::Fwd {
            is_union: kind_flag,
        },
        8 => BtfKind::Typedef { ty },
        9 => BtfKind::Volatile { ty },
        10 => BtfKind::Const { ty },
        11 => BtfKind::Restrict { ty },
        12 => BtfKind::Func {
            proto: ty,
            linkage: Linkage::from_raw(vlen),
        },
        13 => {
            let params = records(c, vlen, 8, |c| {
                Ok(Param {
                    name_off: c.u32()?,
                    ty: TypeId(c.u32()?),
                })
            })?;
            BtfKind::FuncProto { ret: ty, params }
        }
        14 => BtfKind::Var {
            ty,
            linkage: Linkage::from_raw(c.u32()?),
        },
        15 => {
            let vars = records(c, vlen, 12, |c| {
                Ok(VarSecInfo {
                    ty: TypeId(c.u32()?),
                    offset: c.u32()?,
                    size: c.u32()?,
                })
            })?;
            BtfKind::Datasec { size, vars }
        }
        16 => BtfKind::Float { size },
        17 => BtfKind::DeclTag {
            ty,
            component_idx: c.u32()? as i32,
        },
        18 => BtfKind::TypeTag { ty },
        19 => {
            let values = records(c, vlen, 12, |c| {
                let name_off = c.u32()?;
                let lo = u64::from(c.u32()?);
                let hi = u64::from(c.u32()?);
                Ok(EnumValue {
                    name_off,
                    val: ((hi << 32) | lo) as i64,
                })
            })?;
            BtfKind::Enum64 {
                size,
                signed: kind_flag,
                values,
            }
        }
        kind => return Err(BtfError::UnknownKind { id, kind }),
    };
    Ok(BtfType { name_off, kind })
}

#[cfg(test)]
mod tests;

/// A `.BTF` blob of the given type records (as little-endian words) and string table, for
/// tests that build BTF by hand.
#[cfg(test)]
pub(crate) fn test_blob(type_words: &[u32], strings: &[u8]) -> Vec<u8> {
    let types: Vec<u8> = type_words.iter().flat_map(|w| w.to_le_bytes()).collect();
    let mut res = Vec::new();
    res.extend_from_slice(&0xeb9fu16.to_le_bytes());
    res.extend_from_slice(&[1, 0]);
    let (tl, sl) = (types.len() as u32, strings.len() as u32);
    for w in [24u32, 0, tl, tl, sl] {
        res.extend_from_slice(&w.to_le_bytes());
    }
    res.extend_from_slice(&types);
    res.extend_from_slice(strings);
    res
}
