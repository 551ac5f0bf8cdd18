//! `.BTF.ext`: per-section func_info, line_info and CO-RE relocation records.
//!
//! Representation: one [`ExtSection`] per ELF section named in the blob, holding its records
//! in file order. In an object file every `insn_off` is a *byte* offset from the start of that
//! ELF section (the loader turns them into instruction indices of each linked program).
//! Record sizes come from the blob; records longer than we know are read by their known prefix
//! (forward compatibility, as libbpf does), shorter ones are an error.

use super::{parse_preamble, str_in, sub, BtfError, Cursor, TypeId};
use std::collections::HashMap;

/// A `bpf_func_info` record: the function whose code starts at `insn_off`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct FuncInfoRec {
    pub insn_off: u32,
    pub type_id: TypeId,
}

/// A `bpf_line_info` record: source position of the code starting at `insn_off`. Strings are
/// offsets into the `.BTF` string table.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct LineInfoRec {
    pub insn_off: u32,
    pub file_name_off: u32,
    pub line_off: u32,
    pub line: u32,
    pub col: u32,
}

/// `enum bpf_core_relo_kind`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum CoreReloKind {
    FieldByteOffset,
    FieldByteSize,
    FieldExists,
    FieldSigned,
    FieldLshiftU64,
    FieldRshiftU64,
    TypeIdLocal,
    TypeIdTarget,
    TypeExists,
    TypeSize,
    EnumvalExists,
    EnumvalValue,
    TypeMatches,
    Unknown(u32),
}

impl CoreReloKind {
    pub fn from_raw(raw: u32) -> CoreReloKind {
        use CoreReloKind::*;
        match raw {
            0 => FieldByteOffset,
            1 => FieldByteSize,
            2 => FieldExists,
            3 => FieldSigned,
            4 => FieldLshiftU64,
            5 => FieldRshiftU64,
            6 => TypeIdLocal,
            7 => TypeIdTarget,
            8 => TypeExists,
            9 => TypeSize,
            10 => EnumvalExists,
            11 => EnumvalValue,
            12 => TypeMatches,
            n => Unknown(n),
        }
    }

    /// libbpf's short name (`byte_off`, `type_exists`, ...).
    pub fn name(self) -> &'static str {
        use CoreReloKind::*;
        match self {
            FieldByteOffset => "byte_off",
            FieldByteSize => "byte_sz",
            FieldExists => "field_exists",
            FieldSigned => "signed",
            FieldLshiftU64 => "lshift_u64",
            FieldRshiftU64 => "rshift_u64",
            TypeIdLocal => "local_type_id",
            TypeIdTarget => "target_type_id",
            TypeExists => "type_exists",
            TypeSize => "type_size",
            EnumvalExists => "enumval_exists",
            EnumvalValue => "enumval_value",
            TypeMatches => "type_matches",
            Unknown(_) => "unknown",
        }
    }
}

/// A `bpf_core_relo` record.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct CoreReloRec {
    pub insn_off: u32,
    pub type_id: TypeId,
    /// Offset of the access string (`"0:1:2"`) in the `.BTF` string table.
    pub access_str_off: u32,
    pub kind: CoreReloKind,
}

/// The records of one ELF section, each list sorted by `insn_off`.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct ExtSection {
    pub func_info: Vec<FuncInfoRec>,
    pub line_info: Vec<LineInfoRec>,
    pub core_relos: Vec<CoreReloRec>,
}

/// A parsed `.BTF.ext`, with sections named by strings of the accompanying `.BTF`.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct BtfExt {
    /// `(section name, records)`, in the order sections first appear in the blob; the records
    /// of each section sorted by `insn_off` (stably).
    sections: Vec<(String, ExtSection)>,
    /// Section name to its position in `sections`.
    by_name: HashMap<String, usize>,
}

impl BtfExt {
    /// Parses `.BTF.ext` bytes; `btf` is the matching `.BTF`, whose string table names the
    /// sections (record strings stay offsets into it).
    pub fn parse(bytes: &[u8], btf: &super::Btf) -> Result<BtfExt, BtfError> {
        let mut c = Cursor::new(bytes, "btf.ext header");
        let hdr_len = parse_preamble(&mut c)?;
        if hdr_len < 24 {
            return Err(BtfError::BadHeader {
                what: "btf.ext header length",
            });
        }
        let func_off = c.u32()?;
        let func_len = c.u32()?;
        let line_off = c.u32()?;
        let line_len = c.u32()?;
        let (core_off, core_len) = if hdr_len >= 32 {
            (c.u32()?, c.u32()?)
        } else {
            (0, 0)
        };
        let body = &bytes[hdr_len as usize..];
        let mut res = BtfExt::default();
        let strings = &btf.strings;
        let func = sub(body, func_off, func_len, "func_info out of bounds")?;
        for_each_record(func, "func_info", 8, strings, |sec, c| {
            let rec = FuncInfoRec {
                insn_off: c.u32()?,
                type_id: TypeId(c.u32()?),
            };
            res.section_mut(sec).func_info.push(rec);
            Ok(())
        })?;
        let line = sub(body, line_off, line_len, "line_info out of bounds")?;
        for_each_record(line, "line_info", 16, strings, |sec, c| {
            let insn_off = c.u32()?;
            let file_name_off = c.u32()?;
            let line_off = c.u32()?;
            let line_col = c.u32()?;
            let rec = LineInfoRec {
                insn_off,
                file_name_off,
                line_off,
                line: line_col >> 10,
                col: line_col & 0x3ff,
            };
            res.section_mut(sec).line_info.push(rec);
            Ok(())
        })?;
        let core = sub(body, core_off, core_len, "core_relo out of bounds")?;
        for_each_record(core, "core_relo", 16, strings, |sec, c| {
            let rec = CoreReloRec {
                insn_off: c.u32()?,
                type_id: TypeId(c.u32()?),
                access_str_off: c.u32()?,
                kind: CoreReloKind::from_raw(c.u32()?),
            };
            res.section_mut(sec).core_relos.push(rec);
            Ok(())
        })?;
        for (_, s) in &mut res.sections {
            s.func_info.sort_by_key(|r| r.insn_off);
            s.line_info.sort_by_key(|r| r.insn_off);
            s.core_relos.sort_by_key(|r| r.insn_off);
        }
        Ok(res)
    }

    fn section_mut(&mut self, name: &str) -> &mut ExtSection {
        let idx = match self.sections.iter().position(|(n, _)| n == name) {
            Some(idx) => idx,
            None => {
                self.sections
                    .push((name.to_string(), ExtSection::default()));
                self.sections.len() - 1
            }
        };
        &mut self.sections[idx].1
    }

    /// The records of the ELF section named `name`, if any.
    pub fn section(&self, name: &str) -> Option<&ExtSection> {
        self.sections
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, s)| s)
    }

    /// Total number of CO-RE relocation records.
    pub fn n_core_relos(&self) -> usize {
        self.sections.iter().map(|(_, s)| s.core_relos.len()).sum()
    }
}

/// Walks an info block: `u32 rec_size`, then per section `{ u32 sec_name_off; u32 n; n records }`.
/// Calls `f` with a cursor over exactly one record's known prefix.
fn for_each_record<'a>(
    block: &'a [u8],
    what: &'static str,
    min_rec: u32,
    strings: &[u8],
    mut f: impl FnMut(&str, &mut Cursor<'a>) -> Result<(), BtfError>,
) -> Result<(), BtfError> {
    if block.is_empty() {
        return Ok(());
    }
    let mut c = Cursor::new(block, what);
    let rec_size = c.u32()?;
    if rec_size < min_rec {
        return Err(BtfError::BadRecordSize {
            what,
            size: rec_size,
        });
    }
    while c.remaining() > 0 {
        let name_off = c.u32()?;
        let n = c.u32()?;
        let name = str_in(strings, name_off).ok_or(BtfError::BadString { offset: name_off })?;
        let total = (n as usize).checked_mul(rec_size as usize);
        if !matches!(total, Some(t) if t <= c.remaining()) {
            return Err(BtfError::Truncated {
                what,
                offset: c.pos,
            });
        }
        for _ in 0..n {
            let rec = c.take(rec_size as usize)?;
            let mut rc = Cursor::new(rec, what);
            f(name, &mut rc)?;
        }
    }
    Ok(())
}
