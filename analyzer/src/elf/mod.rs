//! ELF object bytes in, linked and relocated [`Program`]s out: [`load`].
//!
//! Stages, in order (each one only reads what the previous ones built):
//! 1. [`read`](self::read): check the header (64-bit, little-endian, `EM_BPF`, `ET_REL`) and copy
//!    out sections, symbols and relocations into plain structs, so that no `object` type leaves
//!    this module and every later stage indexes checked `Vec`s;
//! 2. `license`, `version`, `.BTF`, `.BTF.ext`;
//! 3. [`maps`]: the object's map list (legacy `maps`, BTF `.maps`, global data, `.kconfig`);
//! 4. code: decode every executable section, find its functions (`STT_FUNC` symbols), and
//!    [`link`] each function of a non-`.text` section into a [`Program`], appending the `.text`
//!    functions it reaches and rewriting map and call references, as libbpf does.
//!
//! Limits: every count and size is bounded by the input length before anything is allocated
//! from it, nothing recurses on input-sized structures, and no input makes this panic (a fuzz
//! target, `fuzz/fuzz_targets/load.rs`, and the truncation tests check the latter). Linking
//! copies shared `.text` functions into every program that uses them, so output can exceed
//! the input: one program is capped at the kernel's 1M instructions, and all programs together
//! at `max(16 × code slots, 4M)` slots ([`LoadErrorKind::TooLarge`] past either). Look-ups that
//! would otherwise be quadratic in the symbol or relocation count go through per-object
//! indexes (`read::Elf::symbols_in`, `link::Index`).

mod core;
pub mod embedded;
mod error;
mod legacy_maps;
mod lenient;
mod link;
mod maps;
pub(crate) use maps::kconfig_layout;
mod read;
mod struct_ops;

pub use self::core::{
    essential_name, relocate as relocate_core, CoreError, CoreErrorKind, CoreOutcome, Relocated,
    MAX_SPEC_LEN, POISON_HELPER_ID,
};
pub use error::{LoadError, LoadErrorKind, SectionRef};

use crate::btf::ext::BtfExt;
use crate::btf::Btf;
use crate::isa::{self, Insn, InsnIdx};
use crate::program::{Object, Program};
use read::{Elf, SHF_EXECINSTR, SHT_PROGBITS};

/// Loads a BPF ELF object: every program, linked and relocated, with its maps and debug info.
///
/// Sections whose name follows no libbpf convention still load, with an unknown program type.
pub fn load(bytes: &[u8]) -> Result<Object, LoadError> {
    load_with(bytes, false)
}

/// Like [`load`], but a slot that does not decode does not refuse the object: it becomes an
/// `exit` placeholder listed in its program's [`Program::undecoded`], its relocation (if any)
/// is not applied, and every other slot and program loads as usual. For listings and for
/// reporting the bad program at its source line while checking the others.
pub fn load_lenient(bytes: &[u8]) -> Result<Object, LoadError> {
    load_with(bytes, true)
}

fn load_with(bytes: &[u8], lenient: bool) -> Result<Object, LoadError> {
    let elf = read::read(bytes)?;
    let license = elf
        .section_by_name("license")
        .map(|s| c_string(s.data))
        .unwrap_or_default();
    let kern_version = elf.section_by_name("version").and_then(|s| {
        let b = s.data.get(..4)?;
        Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    });
    // libbpf treats `.BTF` and `.BTF.ext` as optional: one that does not parse is dropped
    // (said in `notes`) unless the object cannot do without BTF.
    let mut notes = Vec::new();
    let btf = match elf.section_by_name(".BTF").map(|s| Btf::parse(s.data)) {
        Some(Ok(mut btf)) => {
            fix_global_datasecs(&elf, &mut btf);
            Some(btf)
        }
        Some(Err(err)) if needs_btf(&elf) => return Err(LoadErrorKind::Btf { err }.into()),
        Some(Err(err)) => {
            notes.push(format!(
                ".BTF does not parse ({err}): ignored, as libbpf does; no source lines"
            ));
            None
        }
        None => None,
    };
    let btf_ext = match (&btf, elf.section_by_name(".BTF.ext")) {
        (Some(btf), Some(s)) => match BtfExt::parse(s.data, btf) {
            Ok(ext) => Some(ext),
            Err(err) => {
                notes.push(format!(
                    ".BTF.ext does not parse ({err}): ignored, as libbpf does; no source lines"
                ));
                None
            }
        },
        _ => None,
    };
    let maps = maps::collect(&elf, btf.as_ref())?;
    let code = decode_code_sections(&elf, lenient)?;

    let index = link::Index::new(&elf, &code)?;
    // All programs together may use this many slots: generous for real objects (which share
    // a `.text` library between a few programs), and a bound on what a crafted object with
    // thousands of programs calling one large function can make us allocate.
    let total_code: usize = code.iter().map(|c| c.insns.len()).sum();
    let mut budget = total_code
        .saturating_mul(16)
        .max(4 * link::MAX_PROGRAM_SLOTS);
    let mut programs = Vec::new();
    let link_one = |cs: &CodeSection, func_idx: usize, budget: &mut usize| {
        let sec = &elf.sections[cs.sec as usize];
        let exception_cb = btf
            .as_ref()
            .and_then(|b| exception_callback_name(b, &cs.funcs[func_idx].name));
        let mut prog = link::link(
            &elf,
            &code,
            &maps,
            &index,
            (cs.sec, func_idx),
            exception_cb.as_deref(),
            budget,
        )?;
        if let (Some(btf), Some(ext)) = (&btf, &btf_ext) {
            link::attach_btf_ext(&mut prog.program, &prog.chunks, &elf, btf, ext);
        }
        let mut program = prog.program;
        program.undecoded = undecoded_in(&code, &prog.chunks);
        let def = crate::prog_type::lookup(&sec.name);
        program.name.clone_from(&cs.funcs[func_idx].name);
        program.section.clone_from(&sec.name);
        program.prog_type = def.map(|d| d.prog_type);
        program.attach_type = def.and_then(|d| d.attach_type);
        program.sleepable = def.is_some_and(|d| d.sleepable);
        program.xdp_frags = def.is_some_and(|d| d.xdp_frags);
        program.license.clone_from(&license);
        Ok::<Program, LoadError>(program)
    };
    for cs in &code {
        if elf.sections[cs.sec as usize].name == ".text" {
            continue;
        }
        for func_idx in 0..cs.funcs.len() {
            programs.push(link_one(cs, func_idx, &mut budget)?);
        }
    }
    // `.text` functions are subprograms to libbpf, but other loaders pick any function by
    // name, and some objects have no other code: every one is linked as a program of its own,
    // with no type (its section name tells none).
    let text_code = || {
        code.iter()
            .filter(|c| elf.sections[c.sec as usize].name == ".text")
    };
    // With no other code, the entry points are the global functions (static ones are their
    // helpers), or every function when none is global (hand-written assembly).
    let text_only = programs.is_empty();
    let globals: std::collections::HashSet<&str> = text_code()
        .flat_map(|c| &c.funcs)
        .filter(|f| f.global)
        .map(|f| f.name.as_str())
        .collect();
    let is_entry = |name: &str| text_only && (globals.is_empty() || globals.contains(name));
    let mut text_functions = Vec::new();
    for cs in text_code() {
        for (func_idx, f) in cs.funcs.iter().enumerate() {
            match link_one(cs, func_idx, &mut budget) {
                Ok(p) => text_functions.push(p),
                // An entry point that cannot be linked is the object's error, as for any
                // program; another function is only reachable by name, and must not make the
                // object unreadable.
                Err(e) if is_entry(&f.name) => return Err(e),
                Err(_) => {}
            }
        }
    }
    type_iproute2_tail_sections(&mut programs, &mut notes);
    for (func, member) in struct_ops::struct_ops_members(&elf, btf.as_ref()) {
        for p in programs.iter_mut().filter(|p| p.name == func) {
            p.struct_ops_member = Some(member.clone());
        }
    }
    if text_only {
        programs = text_functions
            .iter()
            .filter(|p| is_entry(&p.name))
            .cloned()
            .collect();
    }
    let btf_refused = btf
        .as_ref()
        .and_then(crate::btf::kernel_meta::kernel_refusal);
    if let Some(refusal) = &btf_refused {
        let (who, which) =
            refusal
                .since
                .map_or(("the kernel refuses".to_string(), ""), |(major, minor)| {
                    (
                        format!("Linux {major}.{minor} and later refuse"),
                        " on those releases",
                    )
                });
        notes.push(format!(
            "{who} this object's BTF ({}); libbpf then loads it without BTF, so its maps have no \
             BTF types and its programs no function info, and bpfvet checks it that way{which}",
            refusal.why
        ));
    }
    Ok(Object {
        programs,
        text_functions,
        maps: maps.defs,
        license,
        kern_version,
        notes,
        has_btf_ext: btf_ext.is_some(),
        n_core_relos: btf_ext.as_ref().map_or(0, BtfExt::n_core_relos),
        btf,
        btf_refused,
    })
}

/// iproute2 (`tc ... bpf obj FILE sec NAME`) loads every program of an object with the type the
/// command names, and puts those in sections named `ID/KEY` (its `__section_tail(ID, KEY)`) into
/// slot KEY of the program array whose `bpf_elf_map` has that id. Such a section tells no type
/// of its own: it gets the one type all the object's typed programs share, said in a note.
fn type_iproute2_tail_sections(programs: &mut [Program], notes: &mut Vec<String>) {
    let is_tail_section = |name: &str| {
        name.split_once('/')
            .is_some_and(|(id, key)| id.parse::<u32>().is_ok() && key.parse::<u32>().is_ok())
    };
    let mut typed = programs
        .iter()
        .filter(|p| !is_tail_section(&p.section))
        .filter_map(|p| p.prog_type.map(|t| (t, p.attach_type)));
    let Some(shared) = typed.next() else { return };
    if typed.any(|t| t != shared) {
        return;
    }
    let mut named = Vec::new();
    for p in programs
        .iter_mut()
        .filter(|p| p.prog_type.is_none() && is_tail_section(&p.section))
    {
        p.prog_type = Some(shared.0);
        p.attach_type = shared.1;
        named.push(format!("{} ({})", p.name, p.section));
    }
    if !named.is_empty() {
        notes.push(format!(
            "iproute2 tail-call sections ID/KEY get the type of the object's other programs, \
             {}, as tc loads them: {}",
            shared.0.name(),
            named.join(", ")
        ));
    }
}

/// Whether the object cannot be read without its `.BTF` (libbpf's rule): BTF-defined maps,
/// struct_ops, or externs (undefined global symbols), which only BTF describes.
fn needs_btf(elf: &Elf<'_>) -> bool {
    elf.sections
        .iter()
        .any(|s| s.name == ".maps" || s.name.starts_with(".struct_ops"))
        || elf
            .symbols
            .iter()
            .any(|s| s.shndx == 0 && s.global && !s.name.is_empty())
}

/// The string up to the first NUL (lossy UTF-8).
fn c_string(data: &[u8]) -> String {
    let end = data.iter().position(|&b| b == 0).unwrap_or(data.len());
    String::from_utf8_lossy(&data[..end]).into_owned()
}

/// A function inside a code section, in slots.
#[derive(Clone, Debug)]
pub(crate) struct Func {
    pub(crate) name: String,
    pub(crate) start: u32,
    pub(crate) len: u32,
    /// A global (or weak) symbol: in `.text`, what a loader may pick as a program.
    pub(crate) global: bool,
}

/// A decoded executable section with its functions sorted by start.
#[derive(Debug)]
pub(crate) struct CodeSection {
    pub(crate) sec: u32,
    pub(crate) insns: Vec<Insn>,
    pub(crate) funcs: Vec<Func>,
    /// Slots that did not decode, sorted (only when loading leniently).
    pub(crate) bad: Vec<lenient::BadSlot>,
}

impl CodeSection {
    /// Whether slot `slot` did not decode.
    pub(crate) fn is_bad(&self, slot: u32) -> bool {
        self.bad.binary_search_by_key(&slot, |b| b.slot).is_ok()
    }
}

/// The bad slots of the code a program was linked from, at their places in the program.
fn undecoded_in(code: &[CodeSection], chunks: &[link::Chunk]) -> Vec<crate::program::Undecoded> {
    let mut res = Vec::new();
    for c in chunks {
        let bad = &code[c.code].bad;
        let first = bad.partition_point(|b| b.slot < c.sec_start);
        for b in bad[first..]
            .iter()
            .take_while(|b| b.slot - c.sec_start < c.len)
        {
            let insn = InsnIdx(c.out_start + (b.slot - c.sec_start));
            let mut err = b.err;
            err.insn = insn;
            res.push(crate::program::Undecoded {
                insn,
                bytes: b.bytes,
                err,
            });
        }
    }
    res.sort_by_key(|u| u.insn);
    res
}

impl CodeSection {
    /// The function containing slot `slot`.
    pub(crate) fn func_at(&self, slot: u32) -> Option<usize> {
        // Sized functions never overlap, so the last sized one starting at or before `slot` is
        // the only candidate; zero-size functions (empty programs) contain no slot.
        let end = self.funcs.partition_point(|f| f.start <= slot);
        let i = self.funcs[..end].iter().rposition(|f| f.len > 0)?;
        (slot - self.funcs[i].start < self.funcs[i].len).then_some(i)
    }
}

fn decode_code_sections(elf: &Elf<'_>, lenient: bool) -> Result<Vec<CodeSection>, LoadError> {
    let mut res = Vec::new();
    for sec in &elf.sections {
        if sec.sh_type != SHT_PROGBITS || sec.flags & SHF_EXECINSTR == 0 || sec.data.is_empty() {
            continue;
        }
        let size = sec.data.len() as u64;
        if size % 8 != 0 {
            return Err(LoadErrorKind::CodeSizeNotMultipleOf8 {
                section: elf.sec_ref(sec.index),
                size,
            }
            .into());
        }
        let n_slots = u32::try_from(size / 8).map_err(|_| LoadErrorKind::TooLarge)?;
        let funcs = find_funcs(elf, sec.index, n_slots)?;
        if lenient {
            let (insns, bad) = lenient::decode(sec.data);
            check_func_starts(elf, sec.index, &funcs, &insns)?;
            res.push(CodeSection {
                sec: sec.index,
                insns,
                funcs,
                bad,
            });
            continue;
        }
        let insns = isa::decode(sec.data).map_err(|mut err| {
            let offset = u64::from(err.insn.0) * 8;
            let func = funcs
                .iter()
                .find(|f| err.insn.0 >= f.start && err.insn.0 - f.start < f.len);
            let program = func.map_or_else(|| sec.name.clone(), |f| f.name.clone());
            err.insn = InsnIdx(err.insn.0 - func.map_or(0, |f| f.start));
            LoadErrorKind::Decode {
                section: elf.sec_ref(sec.index),
                program,
                offset,
                err,
            }
        })?;
        check_func_starts(elf, sec.index, &funcs, &insns)?;
        res.push(CodeSection {
            sec: sec.index,
            insns,
            funcs,
            bad: Vec::new(),
        });
    }
    Ok(res)
}

/// No function may start on the second slot of a `lddw`.
fn check_func_starts(
    elf: &Elf<'_>,
    sec: u32,
    funcs: &[Func],
    insns: &[Insn],
) -> Result<(), LoadError> {
    for f in funcs {
        if matches!(insns.get(f.start as usize), Some(Insn::LdImm64Tail)) {
            let what = "starts in the middle of a lddw";
            return Err(bad_func(elf, sec, f, what));
        }
    }
    Ok(())
}

fn bad_func(elf: &Elf<'_>, sec: u32, f: &Func, what: &'static str) -> LoadError {
    LoadErrorKind::BadSymbol {
        section: elf.sec_ref(sec),
        symbol: f.name.clone(),
        offset: u64::from(f.start) * 8,
        size: u64::from(f.len) * 8,
        what,
    }
    .into()
}

/// The `STT_FUNC` symbols of a code section, checked and sorted; a section without any
/// becomes one function named after its global label at offset 0, or else after the section
/// (hand-written assembly).
fn find_funcs(elf: &Elf<'_>, sec: u32, n_slots: u32) -> Result<Vec<Func>, LoadError> {
    let mut funcs = Vec::new();
    for sym in elf.symbols_in(sec) {
        if sym.st_type != read::STT_FUNC {
            continue;
        }
        let bad = |what| LoadErrorKind::BadSymbol {
            section: elf.sec_ref(sec),
            symbol: sym.name.clone(),
            offset: sym.value,
            size: sym.size,
            what,
        };
        if sym.value % 8 != 0 || sym.size % 8 != 0 {
            return Err(bad("not a multiple of 8").into());
        }
        let end = sym
            .value
            .checked_add(sym.size)
            .filter(|&e| e <= u64::from(n_slots) * 8);
        if end.is_none() {
            return Err(bad("extends past the end of the section").into());
        }
        // A zero-size function stays: as a program it is reported as `empty-program` (libbpf
        // refuses the object as "corrupted"), and a call to it finds no function to land in.
        // Both fit in u32 slots: they are bounded by `n_slots` above.
        funcs.push(Func {
            name: sym.name.clone(),
            start: (sym.value / 8) as u32,
            len: (sym.size / 8) as u32,
            global: sym.global,
        });
    }
    funcs.sort_by_key(|f| (f.start, f.len));
    funcs.dedup_by(|b, a| a.start == b.start && a.len == b.len);
    let sized: Vec<&Func> = funcs.iter().filter(|f| f.len > 0).collect();
    for w in sized.windows(2) {
        if w[1].start < w[0].start + w[0].len {
            return Err(bad_func(elf, sec, w[1], "overlaps another function"));
        }
    }
    if sized.is_empty() && n_slots > 0 {
        // Older compilers and hand-written assembly label a program with a global symbol of no
        // type or size; older loaders named the program after it, and so do we.
        let label = elf
            .symbols_in(sec)
            .find(|s| s.global && s.value == 0 && s.st_type != read::STT_SECTION)
            .map(|s| s.name.clone());
        funcs.push(Func {
            name: label.unwrap_or_else(|| elf.sections[sec as usize].name.clone()),
            start: 0,
            len: n_slots,
            global: true,
        });
        funcs.sort_by_key(|f| (f.start, f.len));
    }
    Ok(funcs)
}

/// `InsnIdx` from a `usize` position in a program, or [`LoadErrorKind::TooLarge`].
pub(crate) fn insn_idx(i: usize) -> Result<InsnIdx, LoadError> {
    u32::try_from(i)
        .map(InsnIdx)
        .map_err(|_| LoadErrorKind::TooLarge.into())
}

/// What `link` hands back: the program and where each of its pieces came from.
pub(crate) struct Linked {
    pub(crate) program: Program,
    pub(crate) chunks: Vec<link::Chunk>,
}

#[cfg(test)]
mod tests;

/// The function an `exception_callback:NAME` decl tag on the program's BTF function names
/// (`__exception_cb(NAME)` in bpf_experimental.h), which libbpf appends to the program. With
/// several tags the first is linked; the verifier refuses the program for the others.
fn exception_callback_name(btf: &Btf, func: &str) -> Option<String> {
    let id = btf.find_by_name(func, "func")?;
    btf.decl_tags_of(id)
        .into_iter()
        .filter(|(idx, _)| *idx == -1)
        .find_map(|(_, t)| t.strip_prefix("exception_callback:").map(str::to_string))
}

/// Gives the datasecs of global-data sections their variables' offsets from the symbol table,
/// as libbpf does before loading (clang may leave them 0 in custom sections like `.bss.A`).
fn fix_global_datasecs(elf: &read::Elf<'_>, btf: &mut Btf) {
    for sec in &elf.sections {
        let global = [".data", ".bss", ".rodata"]
            .iter()
            .any(|b| sec.name == *b || sec.name.starts_with(&format!("{b}.")));
        if !global {
            continue;
        }
        let Some(ds) = btf.find_by_name(&sec.name, "datasec") else {
            continue;
        };
        let offsets: std::collections::HashMap<&str, u32> = elf
            .symbols_in(sec.index)
            .filter_map(|s| Some((s.name.as_str(), u32::try_from(s.value).ok()?)))
            .collect();
        btf.fix_datasec_offsets(ds, |name| offsets.get(name).copied());
    }
}
