//! The first stage of loading: check the ELF header and copy sections, symbols and
//! relocations out of the `object` crate's views into plain structs.

use super::error::{LoadError, LoadErrorKind, SectionRef};
use object::elf::{FileHeader64, ELFCLASS64, ELFDATA2LSB, ELFMAG};
use object::read::elf::{FileHeader, Rel as _, Rela as _, SectionHeader as _, Sym as _};
use object::LittleEndian as LE;

pub(crate) const SHT_PROGBITS: u32 = 1;
pub(crate) const SHT_SYMTAB: u32 = 2;
pub(crate) const SHT_RELA: u32 = 4;
pub(crate) const SHT_NOBITS: u32 = 8;
pub(crate) const SHT_REL: u32 = 9;
pub(crate) const SHF_ALLOC: u64 = 2;
pub(crate) const SHF_EXECINSTR: u64 = 4;
pub(crate) const STT_OBJECT: u8 = 1;
pub(crate) const STT_FUNC: u8 = 2;
pub(crate) const STT_SECTION: u8 = 3;
const STB_GLOBAL: u8 = 1;
const STB_WEAK: u8 = 2;
const EM_NONE: u16 = 0;
const EM_BPF: u16 = 247;
const ET_REL: u16 = 1;
/// Symbols with a section index at or above this are special (`SHN_ABS`, `SHN_COMMON`, ...).
pub(crate) const SHN_LORESERVE: u32 = 0xff00;

/// A section, with its contents (empty for `SHT_NOBITS`) and the relocations that apply to it.
#[derive(Debug)]
pub(crate) struct Section<'a> {
    pub(crate) index: u32,
    pub(crate) name: String,
    pub(crate) sh_type: u32,
    pub(crate) flags: u64,
    /// `sh_size`; for `SHT_NOBITS` this is larger than `data.len()` (which is 0).
    pub(crate) size: u64,
    pub(crate) data: &'a [u8],
    pub(crate) rels: Vec<Rel>,
}

/// A symbol-table entry.
#[derive(Debug, Clone)]
pub(crate) struct Symbol {
    pub(crate) name: String,
    /// Section index (0 = undefined, >= `SHN_LORESERVE` = special).
    pub(crate) shndx: u32,
    pub(crate) value: u64,
    pub(crate) size: u64,
    pub(crate) st_type: u8,
    /// `STB_GLOBAL` or `STB_WEAK`: visible outside the object.
    pub(crate) global: bool,
    /// `STV_HIDDEN` or `STV_INTERNAL` (`__hidden`): libbpf treats such a global variable as
    /// static (no skeleton exposes it).
    pub(crate) hidden: bool,
}

/// A relocation. Clang's objects use `SHT_REL`, whose addend lives in the instruction; an
/// `SHT_RELA` entry carries it in `addend` instead, and the linker folds it into the
/// instruction before reading it the same way.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rel {
    pub(crate) offset: u64,
    pub(crate) sym: u32,
    pub(crate) r_type: u32,
    /// The explicit addend of an `SHT_RELA` entry.
    pub(crate) addend: Option<i64>,
}

/// The parts of an ELF object later stages need.
#[derive(Debug)]
pub(crate) struct Elf<'a> {
    pub(crate) sections: Vec<Section<'a>>,
    pub(crate) symbols: Vec<Symbol>,
    /// Per section index, the indices of the symbols defined in it (so that per-section
    /// look-ups stay linear overall).
    syms_in: Vec<Vec<u32>>,
}

impl<'a> Elf<'a> {
    pub(crate) fn section_by_name(&self, name: &str) -> Option<&Section<'a>> {
        self.sections.iter().find(|s| s.name == name)
    }

    /// The symbols defined in section `sec`, in symbol-table order.
    pub(crate) fn symbols_in(&self, sec: u32) -> impl Iterator<Item = &Symbol> {
        let idx = self
            .syms_in
            .get(sec as usize)
            .map_or(&[][..], Vec::as_slice);
        idx.iter().map(|&i| &self.symbols[i as usize])
    }

    pub(crate) fn sec_ref(&self, index: u32) -> SectionRef {
        let name = self
            .sections
            .get(index as usize)
            .map_or_else(String::new, |s| s.name.clone());
        SectionRef { index, name }
    }
}

fn malformed(e: object::read::Error) -> LoadError {
    LoadErrorKind::Malformed {
        what: e.to_string(),
    }
    .into()
}

pub(crate) fn read(bytes: &[u8]) -> Result<Elf<'_>, LoadError> {
    if bytes.len() < 4 || bytes[..4] != ELFMAG {
        return Err(if bytes.len() < 4 && ELFMAG.starts_with(bytes) {
            LoadErrorKind::Truncated { len: bytes.len() }
        } else {
            LoadErrorKind::NotElf
        }
        .into());
    }
    if bytes.len() < 64 {
        return Err(LoadErrorKind::Truncated { len: bytes.len() }.into());
    }
    if bytes[4] != ELFCLASS64 {
        return Err(LoadErrorKind::Not64Bit.into());
    }
    if bytes[5] != ELFDATA2LSB {
        return Err(LoadErrorKind::BigEndian.into());
    }
    let header = FileHeader64::<LE>::parse(bytes).map_err(malformed)?;
    let e = LE;
    let machine = header.e_machine(e);
    if machine != EM_BPF && machine != EM_NONE {
        return Err(LoadErrorKind::NotBpf { machine }.into());
    }
    let e_type = header.e_type(e);
    if e_type != ET_REL {
        return Err(LoadErrorKind::NotRelocatable { e_type }.into());
    }
    let table = header.sections(e, bytes).map_err(malformed)?;

    let mut sections = Vec::with_capacity(table.len());
    for (i, sh) in table.iter().enumerate() {
        let index = u32::try_from(i).map_err(|_| LoadErrorKind::TooLarge)?;
        let name = table.section_name(e, sh).map_or_else(
            |_| String::new(),
            |n| String::from_utf8_lossy(n).into_owned(),
        );
        let sh_type = sh.sh_type(e);
        let data = if sh_type == SHT_NOBITS {
            &[][..]
        } else {
            sh.data(e, bytes)
                .map_err(|_| LoadErrorKind::SectionOutOfBounds {
                    section: SectionRef {
                        index,
                        name: name.clone(),
                    },
                    offset: sh.sh_offset(e),
                    size: sh.sh_size(e),
                })?
        };
        sections.push(Section {
            index,
            name,
            sh_type,
            flags: sh.sh_flags(e),
            size: sh.sh_size(e),
            data,
            rels: Vec::new(),
        });
    }

    let symtab = table.symbols(e, bytes, SHT_SYMTAB).map_err(malformed)?;
    let mut symbols = Vec::with_capacity(symtab.len());
    for (i, sym) in symtab.enumerate() {
        let name = symtab.symbol_name(e, sym).map_or_else(
            |_| String::new(),
            |n| String::from_utf8_lossy(n).into_owned(),
        );
        let shndx = match symtab.symbol_section(e, sym, i) {
            Ok(Some(idx)) => u32::try_from(idx.0).unwrap_or(u32::MAX),
            Ok(None) => u32::from(sym.st_shndx(e)),
            Err(err) => return Err(malformed(err)),
        };
        if shndx != 0 && shndx < SHN_LORESERVE && shndx as usize >= sections.len() {
            return Err(LoadErrorKind::BadSymbol {
                section: SectionRef {
                    index: shndx,
                    name: String::new(),
                },
                symbol: name,
                offset: sym.st_value(e),
                size: sym.st_size(e),
                what: "defined in a section that does not exist",
            }
            .into());
        }
        symbols.push(Symbol {
            name,
            shndx,
            value: sym.st_value(e),
            size: sym.st_size(e),
            st_type: sym.st_type(),
            global: matches!(sym.st_bind(), STB_GLOBAL | STB_WEAK),
            // The visibility is the low two bits of `st_other`: 1 internal, 2 hidden.
            hidden: matches!(sym.st_other() & 3, 1 | 2),
        });
    }

    for (i, sh) in table.iter().enumerate() {
        let sh_type = sh.sh_type(e);
        if sh_type != SHT_REL && sh_type != SHT_RELA {
            continue;
        }
        let index = i as u32;
        let target = sh.sh_info(e);
        if target as usize >= sections.len() || target == 0 {
            return Err(LoadErrorKind::BadSectionIndex {
                section: sec_ref(&sections, index),
                index: target,
            }
            .into());
        }
        let out_of_bounds = || LoadErrorKind::SectionOutOfBounds {
            section: sec_ref(&sections, index),
            offset: sh.sh_offset(e),
            size: sh.sh_size(e),
        };
        let mut read = Vec::new();
        if sh_type == SHT_RELA {
            if let Some((relas, _link)) = sh.rela(e, bytes).map_err(|_| out_of_bounds())? {
                read.extend(relas.iter().map(|r| Rel {
                    offset: r.r_offset(e),
                    sym: r.r_sym(e, false),
                    r_type: r.r_type(e, false),
                    addend: Some(r.r_addend(e)),
                }));
            }
        } else if let Some((rels, _link)) = sh.rel(e, bytes).map_err(|_| out_of_bounds())? {
            read.extend(rels.iter().map(|r| Rel {
                offset: r.r_offset(e),
                sym: r.r_sym(e),
                r_type: r.r_type(e),
                addend: None,
            }));
        }
        sections[target as usize].rels.extend(read);
    }
    for s in &mut sections {
        s.rels.sort_by_key(|r| r.offset);
    }
    let mut syms_in = vec![Vec::new(); sections.len()];
    for (i, sym) in symbols.iter().enumerate() {
        if let Some(v) = syms_in.get_mut(sym.shndx as usize) {
            v.push(i as u32);
        }
    }
    Ok(Elf {
        sections,
        symbols,
        syms_in,
    })
}

fn sec_ref(sections: &[Section<'_>], index: u32) -> SectionRef {
    let name = sections
        .get(index as usize)
        .map_or_else(String::new, |s| s.name.clone());
    SectionRef { index, name }
}
