//! Why an ELF object could not be loaded, with the coordinates of the problem.

use crate::btf::BtfError;
use crate::isa::DecodeError;
use std::fmt;

/// A section, by index and name, as error coordinates.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct SectionRef {
    pub index: u32,
    pub name: String,
}

impl fmt::Display for SectionRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "section {} `{}`", self.index, self.name)
    }
}

/// What went wrong.
#[derive(Clone, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum LoadErrorKind {
    /// The input ends before the ELF header does.
    Truncated { len: usize },
    /// No `\x7fELF` magic.
    NotElf,
    /// A 32-bit ELF file (BPF objects are ELFCLASS64).
    Not64Bit,
    /// A big-endian object (built with `-target bpfeb`); we only analyze little-endian code.
    BigEndian,
    /// `e_machine` is not `EM_BPF` (247) nor `EM_NONE`.
    NotBpf { machine: u16 },
    /// `e_type` is not `ET_REL`: BPF objects are relocatable files.
    NotRelocatable { e_type: u16 },
    /// The section or symbol tables are malformed (`what` says how).
    Malformed { what: String },
    /// A section's contents lie outside the file.
    SectionOutOfBounds {
        section: SectionRef,
        offset: u64,
        size: u64,
    },
    /// A section or link index points at no section.
    BadSectionIndex { section: SectionRef, index: u32 },
    /// A symbol's range is outside its section, misaligned, or overlaps another program.
    BadSymbol {
        section: SectionRef,
        symbol: String,
        offset: u64,
        size: u64,
        what: &'static str,
    },
    /// Code size is not a multiple of 8.
    CodeSizeNotMultipleOf8 { section: SectionRef, size: u64 },
    /// An instruction could not be decoded. `err.insn` counts slots from the start of
    /// `program`; `offset` is the slot's byte offset in the section (as `llvm-objdump` shows).
    /// The kernel would reject such a program at verification, so a caller predicting a
    /// verdict may turn this into a rejection of `program`.
    Decode {
        section: SectionRef,
        program: String,
        offset: u64,
        err: DecodeError,
    },
    /// A relocation names a symbol index past the end of the symbol table.
    MissingSymbol {
        section: SectionRef,
        offset: u64,
        symbol_index: u32,
    },
    /// A relocation's offset is outside its section or not at an instruction boundary.
    RelocOutOfRange { section: SectionRef, offset: u64 },
    /// A relocation whose type we do not handle, or on an instruction it cannot apply to.
    BadReloc {
        section: SectionRef,
        offset: u64,
        symbol: String,
        what: String,
    },
    /// A call or function-address load whose target is not inside any function.
    BadCallTarget {
        section: SectionRef,
        offset: u64,
        target: i64,
    },
    /// A map definition we cannot read.
    BadMap { map: String, what: String },
    /// `.BTF` could not be parsed.
    Btf { err: BtfError },
    /// `.BTF.ext` could not be parsed.
    BtfExt { err: BtfError },
    /// An instruction index does not fit in 32 bits (an absurdly large program).
    TooLarge,
}

/// An error from [`crate::elf::load`].
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct LoadError {
    kind: LoadErrorKind,
}

impl LoadError {
    pub fn kind(&self) -> &LoadErrorKind {
        &self.kind
    }
}

impl From<LoadErrorKind> for LoadError {
    fn from(kind: LoadErrorKind) -> LoadError {
        LoadError { kind }
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use LoadErrorKind as K;
        match &self.kind {
            K::Truncated { len } => write!(
                f,
                "file is truncated ({len} bytes, shorter than an elf header)"
            ),
            K::NotElf => write!(f, "not an elf file"),
            K::Not64Bit => write!(f, "32-bit elf file, bpf objects are 64-bit"),
            K::BigEndian => write!(
                f,
                "big-endian bpf object (built with -target bpfeb): it loads only on big-endian \
                 hosts such as s390x; bpfvet checks little-endian objects (-target bpfel, what \
                 x86-64 and arm64 load)"
            ),
            K::NotBpf { machine } => {
                write!(f, "not a bpf object: machine is {}", machine_name(*machine))
            }
            K::NotRelocatable { e_type } => {
                write!(f, "elf type {e_type} is not a relocatable object (ET_REL)")
            }
            K::Malformed { what } => write!(f, "malformed elf: {}", what.to_lowercase()),
            K::SectionOutOfBounds {
                section,
                offset,
                size,
            } => {
                write!(
                    f,
                    "{section}: contents at offset {offset} size {size} lie outside the file"
                )
            }
            K::BadSectionIndex { section, index } => {
                write!(f, "{section}: refers to missing section {index}")
            }
            K::BadSymbol {
                section,
                symbol,
                offset,
                size,
                what,
            } => {
                write!(
                    f,
                    "{section}: symbol `{symbol}` at offset {offset} size {size}: {what}"
                )
            }
            K::CodeSizeNotMultipleOf8 { section, size } => {
                write!(f, "{section}: code size {size} is not a multiple of 8")
            }
            K::Decode {
                section,
                program,
                offset,
                err,
            } => {
                write!(
                    f,
                    "{section}: program `{program}`: {err} (section offset {offset})"
                )
            }
            K::MissingSymbol {
                section,
                offset,
                symbol_index,
            } => {
                write!(f, "{section}: relocation at offset {offset} refers to missing symbol {symbol_index}")
            }
            K::RelocOutOfRange { section, offset } => {
                write!(
                    f,
                    "{section}: relocation offset {offset} is out of range or misaligned"
                )
            }
            K::BadReloc {
                section,
                offset,
                symbol,
                what,
            } => {
                write!(
                    f,
                    "{section}: relocation at offset {offset} against `{symbol}`: {what}"
                )
            }
            K::BadCallTarget {
                section,
                offset,
                target,
            } => {
                write!(f, "{section}: call at offset {offset} targets insn {target}, outside any function")
            }
            K::BadMap { map, what } => write!(f, "map `{map}`: {what}"),
            K::Btf { err } => write!(f, ".BTF: {err}"),
            K::BtfExt { err } => write!(f, ".BTF.ext: {err}"),
            K::TooLarge => write!(f, "program is too large"),
        }
    }
}

impl std::error::Error for LoadError {}

/// A readable name for common `e_machine` values.
fn machine_name(machine: u16) -> String {
    let name = match machine {
        3 => "x86 (EM_386)",
        8 => "mips (EM_MIPS)",
        20 => "powerpc (EM_PPC)",
        21 => "powerpc64 (EM_PPC64)",
        22 => "s390 (EM_S390)",
        40 => "arm (EM_ARM)",
        62 => "x86-64 (EM_X86_64)",
        183 => "aarch64 (EM_AARCH64)",
        243 => "risc-v (EM_RISCV)",
        258 => "loongarch (EM_LOONGARCH)",
        _ => return format!("e_machine {machine}"),
    };
    name.to_string()
}
