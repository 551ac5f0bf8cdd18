//! Linking one program: its own code, then every function it reaches, with relocations applied.
//!
//! Mechanics (libbpf's `bpf_object__reloc_code`, done as a worklist instead of recursion):
//! the program's own function is placed first as chunk 0. Chunks are then processed in order;
//! processing a slot applies its relocation (if any), and a pseudo call or function-address
//! `lddw` whose target function is not placed yet places it, appending a new chunk at the end
//! of `insns`. Each function is placed at most once, so the loop ends after at most as many
//! chunks as the object has functions.
//!
//! Targets, in slots within the target's section (`sym` is the relocation symbol):
//! - call with a relocation: `sym.value / 8 + imm + 1` (a static callee is reached through the
//!   section symbol and `imm`; a global one through its own symbol with `imm == -1`);
//! - `lddw` of a function address with a relocation: `(sym.value + imm) / 8`;
//! - pseudo call or `PseudoSrc::Func` without a relocation: `slot + imm + 1` in the same section.
//!
//! Worked example: `prog_b` (own code, 13 slots) calls `helper` at `.text` slot 10 with
//! `imm = 9` against the `.text` section symbol: target `0 + 9 + 1 = 10`. `helper` is placed at
//! 13, so the call at program slot 5 gets `imm = 13 - (5 + 1) = 7`.

use super::error::{LoadError, LoadErrorKind};
use super::maps::Maps;
use super::read::{Elf, Rel, Symbol, SHN_LORESERVE, STT_OBJECT, STT_SECTION};
use super::{insn_idx, CodeSection, Linked};
use crate::btf::ext::BtfExt;
use crate::btf::Btf;
use crate::isa::{CallTarget, Insn, InsnIdx, PseudoSrc, Reg};
use crate::program::{CoreRelo, FuncInfo, InsnReloc, LineInfo, Program, RelocTarget, Subprog};
use std::collections::HashMap;

const R_BPF_NONE: u32 = 0;
const R_BPF_64_64: u32 = 1;
const R_BPF_64_32: u32 = 10;

/// A run of consecutive slots copied from one section into the program.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Chunk {
    /// Index into the code-section list.
    pub(crate) code: usize,
    /// ELF section index of that code section.
    pub(crate) sec: u32,
    pub(crate) sec_start: u32,
    pub(crate) len: u32,
    pub(crate) out_start: u32,
}

struct Linker<'e, 'a> {
    elf: &'e Elf<'a>,
    code: &'e [CodeSection],
    maps: &'e Maps,
    insns: Vec<Insn>,
    relocs: Vec<InsnReloc>,
    subprogs: Vec<Subprog>,
    chunks: Vec<Chunk>,
    index: &'e Index,
    /// `(code-section index, function index)` to the slot the function was placed at.
    placed: HashMap<(usize, usize), u32>,
    /// Most slots this program may have (see [`MAX_PROGRAM_SLOTS`]).
    limit: usize,
    /// Pseudo calls and function-address loads without a relocation whose target is no
    /// function: left for the verifier's structural check (`call-out-of-range`, at the source
    /// line) rather than failing the whole object.
    dangling: Vec<usize>,
}

/// Largest linked program, in slots: the kernel's `BPF_COMPLEXITY_LIMIT_INSNS`.
pub(crate) const MAX_PROGRAM_SLOTS: usize = 1_000_000;

/// Look-up tables built once per object and shared by every program's linking, so that
/// linking all programs stays linear in the object's size (apart from the copies).
pub(crate) struct Index {
    /// Per code section (same order as the code-section list), its relocations by offset.
    rels: Vec<HashMap<u64, Rel>>,
    /// ELF section index to code-section list index.
    code_by_sec: HashMap<u32, usize>,
    /// Per data section, its `STT_OBJECT` symbols as `(start, end, symbol index)`, sorted.
    vars: HashMap<u32, Vec<(u64, u64, usize)>>,
}

impl Index {
    pub(crate) fn new(elf: &Elf<'_>, code: &[CodeSection]) -> Result<Index, LoadError> {
        let mut rels = Vec::with_capacity(code.len());
        for cs in code {
            let s = &elf.sections[cs.sec as usize];
            let mut by_off = HashMap::with_capacity(s.rels.len());
            for r in &s.rels {
                if r.r_type == R_BPF_NONE {
                    continue;
                }
                if r.offset % 8 != 0 || r.offset >= s.data.len() as u64 {
                    let section = elf.sec_ref(cs.sec);
                    return Err(LoadErrorKind::RelocOutOfRange {
                        section,
                        offset: r.offset,
                    }
                    .into());
                }
                if r.sym as usize >= elf.symbols.len() {
                    let section = elf.sec_ref(cs.sec);
                    let offset = r.offset;
                    return Err(LoadErrorKind::MissingSymbol {
                        section,
                        offset,
                        symbol_index: r.sym,
                    }
                    .into());
                }
                by_off.insert(r.offset, *r);
            }
            rels.push(by_off);
        }
        let code_by_sec = code.iter().enumerate().map(|(i, c)| (c.sec, i)).collect();
        let mut vars: HashMap<u32, Vec<(u64, u64, usize)>> = HashMap::new();
        for (i, s) in elf.symbols.iter().enumerate() {
            if s.st_type == STT_OBJECT && s.shndx != 0 && s.shndx < SHN_LORESERVE {
                let end = s.value.saturating_add(s.size.max(1));
                vars.entry(s.shndx).or_default().push((s.value, end, i));
            }
        }
        for v in vars.values_mut() {
            v.sort_unstable();
        }
        Ok(Index {
            rels,
            code_by_sec,
            vars,
        })
    }
}

/// Links function `func` of code section `sec` (an ELF section index) into a program.
/// `budget` is how many more slots all programs of the object may still use in total.
pub(crate) fn link(
    elf: &Elf<'_>,
    code: &[CodeSection],
    maps: &Maps,
    index: &Index,
    (sec, func): (u32, usize),
    exception_cb: Option<&str>,
    budget: &mut usize,
) -> Result<Linked, LoadError> {
    let code_idx = *index.code_by_sec.get(&sec).ok_or(LoadErrorKind::TooLarge)?;
    let mut l = Linker {
        elf,
        code,
        maps,
        index,
        insns: Vec::new(),
        relocs: Vec::new(),
        subprogs: Vec::new(),
        chunks: Vec::new(),
        placed: HashMap::new(),
        limit: MAX_PROGRAM_SLOTS.min(*budget),
        dangling: Vec::new(),
    };
    l.place(code_idx, func)?;
    let mut i = 0;
    l.process_from(&mut i)?;
    // libbpf appends the exception callback the main function's BTF names (if no call placed
    // it already), then links what the callback reaches.
    if let Some(at) = exception_cb.and_then(|name| l.text_function(name)) {
        l.place(at.0, at.1)?;
        l.process_from(&mut i)?;
    }
    l.point_dangling_past_end()?;
    l.relocs.sort_by_key(|r| r.insn);
    *budget -= l.insns.len();
    let own = code[code_idx].funcs[func].len as usize;
    let mut program = Program::from_insns("", None, Vec::new());
    program.insns = l.insns;
    program.n_insns_own = own;
    program.relocs = l.relocs;
    program.subprogs = l.subprogs;
    Ok(Linked {
        program,
        chunks: l.chunks,
    })
}

impl Linker<'_, '_> {
    /// Processes every chunk from `*i` on, the ones placed meanwhile included.
    fn process_from(&mut self, i: &mut usize) -> Result<(), LoadError> {
        while *i < self.chunks.len() {
            let c = self.chunks[*i];
            for k in 0..c.len {
                self.process(c, k)?;
            }
            *i += 1;
        }
        Ok(())
    }

    /// The `.text` function named `name`, as (code-section index, function index).
    fn text_function(&self, name: &str) -> Option<(usize, usize)> {
        self.code.iter().enumerate().find_map(|(ci, cs)| {
            if self.elf.sections[cs.sec as usize].name != ".text" {
                return None;
            }
            cs.funcs
                .iter()
                .position(|f| f.name == name)
                .map(|fi| (ci, fi))
        })
    }

    /// Appends function `func` of code section `code`; returns where it starts.
    fn place(&mut self, code: usize, func: usize) -> Result<u32, LoadError> {
        if let Some(&at) = self.placed.get(&(code, func)) {
            return Ok(at);
        }
        let f = &self.code[code].funcs[func];
        let out_start = insn_idx(self.insns.len())?.0;
        let (s, e) = (f.start as usize, f.start as usize + f.len as usize);
        if self.insns.len() + (e - s) > self.limit {
            return Err(LoadErrorKind::TooLarge.into());
        }
        self.insns.extend_from_slice(&self.code[code].insns[s..e]);
        self.chunks.push(Chunk {
            code,
            sec: self.code[code].sec,
            sec_start: f.start,
            len: f.len,
            out_start,
        });
        self.subprogs.push(Subprog {
            name: f.name.clone(),
            start: InsnIdx(out_start),
            len: f.len,
        });
        self.placed.insert((code, func), out_start);
        Ok(out_start)
    }

    fn bad_reloc(
        &self,
        code: usize,
        offset: u64,
        sym: &Symbol,
        what: impl Into<String>,
    ) -> LoadError {
        let section = self.elf.sec_ref(self.code[code].sec);
        LoadErrorKind::BadReloc {
            section,
            offset,
            symbol: sym.name.clone(),
            what: what.into(),
        }
        .into()
    }

    /// Applies whatever slot `k` of chunk `c` needs: a relocation, or a call fix-up.
    fn process(&mut self, c: Chunk, k: u32) -> Result<(), LoadError> {
        let slot = c.sec_start + k;
        let out = (c.out_start + k) as usize;
        let offset = u64::from(slot) * 8;
        let insn = self.insns[out];
        if self.code[c.code].is_bad(slot) {
            // A placeholder for a slot that did not decode: nothing to relocate or link.
            return Ok(());
        }
        let Some(rel) = self.index.rels[c.code].get(&offset).copied() else {
            return self.process_unrelocated(c, slot, out, insn);
        };
        let sym = &self.elf.symbols[rel.sym as usize];
        let insn = match rel.addend {
            Some(a) => self.fold_addend(c.code, offset, sym, rel.r_type, insn, a)?,
            None => insn,
        };
        self.insns[out] = insn;
        match (rel.r_type, insn) {
            (
                R_BPF_64_64,
                Insn::LdImm64 {
                    dst, imm, next_imm, ..
                },
            ) => {
                let _ = next_imm;
                self.reloc_lddw(c.code, offset, out, sym, dst, imm)
            }
            (R_BPF_64_32, Insn::Call(CallTarget::Local(imm))) => {
                if sym.shndx == 0 {
                    self.insns[out] = Insn::Call(CallTarget::Kfunc {
                        btf_id: 0,
                        module: 0,
                    });
                    return self.record_extern(out, sym);
                }
                let base = i64::try_from(sym.value / 8).unwrap_or(i64::MAX);
                let target =
                    self.code_target(c.code, offset, sym, base.saturating_add(i64::from(imm) + 1))?;
                self.link_call(out, target, true)
            }
            (R_BPF_64_32, Insn::Call(_)) if sym.shndx == 0 => {
                self.insns[out] = Insn::Call(CallTarget::Kfunc {
                    btf_id: 0,
                    module: 0,
                });
                self.record_extern(out, sym)
            }
            (R_BPF_64_64 | R_BPF_64_32, _) => {
                Err(self.bad_reloc(c.code, offset, sym, "does not apply to this instruction"))
            }
            (t, _) => Err(self.bad_reloc(
                c.code,
                offset,
                sym,
                format!("unsupported relocation type {t} in code"),
            )),
        }
    }

    /// Writes an `SHT_RELA` addend where an `SHT_REL` one would be, so that the rest of
    /// linking reads both alike: a `lddw` holds `S + A` as `sym.value + imm`, a call reaches
    /// slot `(S + A) / 8` through `imm = A / 8 - 1` (the LLVM BPF ABI's `R_BPF_64_32`).
    fn fold_addend(
        &self,
        code: usize,
        offset: u64,
        sym: &Symbol,
        r_type: u32,
        insn: Insn,
        addend: i64,
    ) -> Result<Insn, LoadError> {
        let too_big = || {
            self.bad_reloc(
                code,
                offset,
                sym,
                format!("addend {addend} does not fit the instruction"),
            )
        };
        Ok(match (r_type, insn) {
            (
                R_BPF_64_64,
                Insn::LdImm64 {
                    dst, src, next_imm, ..
                },
            ) => Insn::LdImm64 {
                dst,
                src,
                imm: i32::try_from(addend).map_err(|_| too_big())?,
                next_imm,
            },
            (R_BPF_64_32, Insn::Call(CallTarget::Local(_))) if sym.shndx != 0 => {
                if addend % 8 != 0 {
                    return Err(self.bad_reloc(
                        code,
                        offset,
                        sym,
                        format!("call addend {addend} is not insn-aligned"),
                    ));
                }
                Insn::Call(CallTarget::Local(
                    i32::try_from(addend / 8 - 1).map_err(|_| too_big())?,
                ))
            }
            _ => insn,
        })
    }

    fn record_extern(&mut self, out: usize, sym: &Symbol) -> Result<(), LoadError> {
        let target = RelocTarget::Extern {
            name: sym.name.clone(),
        };
        self.relocs.push(InsnReloc {
            insn: insn_idx(out)?,
            target,
        });
        Ok(())
    }

    /// A slot without a relocation: only pseudo calls and function-address loads need work.
    fn process_unrelocated(
        &mut self,
        c: Chunk,
        slot: u32,
        out: usize,
        insn: Insn,
    ) -> Result<(), LoadError> {
        let (imm, is_call) = match insn {
            Insn::Call(CallTarget::Local(imm)) => (imm, true),
            Insn::LdImm64 {
                src: PseudoSrc::Func,
                imm,
                ..
            } => (imm, false),
            _ => return Ok(()),
        };
        let target = i64::from(slot) + i64::from(imm) + 1;
        let cs = &self.code[c.code];
        let func = u32::try_from(target)
            .ok()
            .and_then(|t| Some((t, cs.func_at(t)?)));
        let Some((t, func)) = func else {
            self.dangling.push(out);
            return Ok(());
        };
        self.link_call(out, (c.code, func, t), is_call)
    }

    /// A dangling call's offset was relative to its section; in the linked program it could
    /// land inside some other placed function, so it is re-aimed just past the end, where the
    /// verifier reports it as out of range like the kernel would.
    fn point_dangling_past_end(&mut self) -> Result<(), LoadError> {
        let len = self.insns.len() as i64;
        for &out in &self.dangling {
            let past_end =
                i32::try_from(len - (out as i64 + 1)).map_err(|_| LoadErrorKind::TooLarge)?;
            let aim = |imm: i32| {
                let target = out as i64 + 1 + i64::from(imm);
                if (0..len).contains(&target) {
                    past_end
                } else {
                    imm
                }
            };
            if let Insn::LdImm64 { imm, .. } | Insn::Call(CallTarget::Local(imm)) =
                &mut self.insns[out]
            {
                *imm = aim(*imm);
            }
        }
        Ok(())
    }

    /// The `(code section, function, slot)` of slot `target` in the section of `sym` (see the
    /// module doc for how callers compute `target`).
    fn code_target(
        &self,
        code: usize,
        offset: u64,
        sym: &Symbol,
        target: i64,
    ) -> Result<(usize, usize, u32), LoadError> {
        let Some(&tcode) = self.index.code_by_sec.get(&sym.shndx) else {
            return Err(self.bad_reloc(code, offset, sym, "call target is not in a code section"));
        };
        let found = u32::try_from(target)
            .ok()
            .and_then(|t| Some((t, self.code[tcode].func_at(t)?)));
        let Some((t, func)) = found else {
            let section = self.elf.sec_ref(self.code[code].sec);
            return Err(LoadErrorKind::BadCallTarget {
                section,
                offset,
                target,
            }
            .into());
        };
        Ok((tcode, func, t))
    }

    /// Places the target function if needed and rewrites the call or `lddw` at `out` to point
    /// at the target slot, relative to the next slot.
    fn link_call(
        &mut self,
        out: usize,
        (code, func, slot): (usize, usize, u32),
        is_call: bool,
    ) -> Result<(), LoadError> {
        let start = self.place(code, func)?;
        let f = &self.code[code].funcs[func];
        let target = start + (slot - f.start);
        let rel = i64::from(target) - (out as i64 + 1);
        let rel = i32::try_from(rel).map_err(|_| LoadErrorKind::TooLarge)?;
        let name = if slot == f.start {
            f.name.clone()
        } else {
            format!("{}+{}", f.name, slot - f.start)
        };
        self.insns[out] = match self.insns[out] {
            Insn::LdImm64 { dst, next_imm, .. } if !is_call => Insn::LdImm64 {
                dst,
                src: PseudoSrc::Func,
                imm: rel,
                next_imm,
            },
            _ => Insn::Call(CallTarget::Local(rel)),
        };
        let target = RelocTarget::Subprog {
            name,
            target: InsnIdx(target),
        };
        self.relocs.push(InsnReloc {
            insn: insn_idx(out)?,
            target,
        });
        Ok(())
    }

    /// A `R_BPF_64_64` on `lddw dst, imm`: a map, global data, a kconfig extern, another
    /// extern, or a function address, depending on where `sym` lives.
    fn reloc_lddw(
        &mut self,
        code: usize,
        offset: u64,
        out: usize,
        sym: &Symbol,
        dst: Reg,
        imm: i32,
    ) -> Result<(), LoadError> {
        let at = insn_idx(out)?;
        if sym.shndx == 0 {
            if let Some(&(map, off)) = self.maps.kconfig.get(&sym.name) {
                let def = &self.maps.defs[map.idx()];
                self.insns[out] = Insn::LdImm64 {
                    dst,
                    src: PseudoSrc::MapIdxValue,
                    imm: map.0 as i32,
                    next_imm: off as i32,
                };
                let target = RelocTarget::GlobalData {
                    map,
                    section: def.name.clone(),
                    var: Some(sym.name.clone()),
                    offset: off,
                };
                self.relocs.push(InsnReloc { insn: at, target });
                return Ok(());
            }
            if self.maps.typed_ksyms.contains(&sym.name) {
                self.insns[out] = Insn::LdImm64 {
                    dst,
                    src: PseudoSrc::BtfId,
                    imm: 0,
                    next_imm: 0,
                };
            }
            return self.record_extern(out, sym);
        }
        if sym.shndx >= SHN_LORESERVE {
            return Err(self.bad_reloc(code, offset, sym, "symbol is not in a section"));
        }
        // A map is named by its own symbol, or (some assemblers) by its section's symbol plus
        // the definition's offset in the immediate.
        let map_off = if sym.st_type == STT_SECTION {
            u64::try_from(i64::from(imm)).map_or(u64::MAX, |i| sym.value.saturating_add(i))
        } else {
            sym.value
        };
        if let Some(&map) = self.maps.by_sym.get(&(sym.shndx, map_off)) {
            self.insns[out] = Insn::LdImm64 {
                dst,
                src: PseudoSrc::MapIdx,
                imm: map.0 as i32,
                next_imm: 0,
            };
            let name = self.maps.defs[map.idx()].name.clone();
            self.relocs.push(InsnReloc {
                insn: at,
                target: RelocTarget::Map { map, name },
            });
            return Ok(());
        }
        if let Some(&map) = self.maps.by_section.get(&sym.shndx) {
            let def = &self.maps.defs[map.idx()];
            let off = i64::try_from(sym.value)
                .unwrap_or(i64::MAX)
                .saturating_add(i64::from(imm));
            // libbpf adds the symbol's value to the instruction's offset without a bounds
            // check (GCC 12 puts the variable's offset in both, so its objects point past the
            // section): the kernel then refuses the lddw, as the analysis does. Only an offset
            // the instruction cannot hold is a loader error.
            let off = match u32::try_from(off) {
                Ok(o) if i32::try_from(o).is_ok() => o,
                _ => {
                    return Err(self.bad_reloc(
                        code,
                        offset,
                        sym,
                        format!("offset {off} does not fit the instruction"),
                    ))
                }
            };
            let var = if sym.st_type == STT_SECTION {
                self.var_at(sym.shndx, u64::from(off))
            } else {
                Some(sym.name.clone())
            };
            let section = def.name.clone();
            self.insns[out] = Insn::LdImm64 {
                dst,
                src: PseudoSrc::MapIdxValue,
                imm: map.0 as i32,
                next_imm: off as i32,
            };
            self.relocs.push(InsnReloc {
                insn: at,
                target: RelocTarget::GlobalData {
                    map,
                    section,
                    var,
                    offset: off,
                },
            });
            return Ok(());
        }
        if self.index.code_by_sec.contains_key(&sym.shndx) {
            let byte = i64::try_from(sym.value)
                .unwrap_or(i64::MAX)
                .saturating_add(i64::from(imm));
            if byte % 8 != 0 {
                return Err(self.bad_reloc(
                    code,
                    offset,
                    sym,
                    "function address is not insn-aligned",
                ));
            }
            let target = self.code_target(code, offset, sym, byte / 8)?;
            return self.link_call(out, target, false);
        }
        let name = self.elf.sec_ref(sym.shndx).name;
        Err(self.bad_reloc(
            code,
            offset,
            sym,
            format!("refers to section `{name}`, which holds no map, data or code"),
        ))
    }

    /// The name of the variable covering `off` in a data section, for printing.
    /// (The variable starting last at or before `off`, if `off` is inside it.)
    fn var_at(&self, shndx: u32, off: u64) -> Option<String> {
        let vars = self.index.vars.get(&shndx)?;
        let i = vars.partition_point(|v| v.0 <= off).checked_sub(1)?;
        let (_, end, sym) = vars[i];
        (off < end).then(|| self.elf.symbols[sym].name.clone())
    }
}

/// Maps `.BTF.ext` records (byte offsets within ELF sections) onto the linked program's slots,
/// chunk by chunk, so that appended `.text` functions keep their debug info.
pub(crate) fn attach_btf_ext(
    program: &mut Program,
    chunks: &[Chunk],
    elf: &Elf<'_>,
    btf: &Btf,
    ext: &BtfExt,
) {
    for c in chunks {
        let Some(sec) = elf.sections.get(c.sec as usize) else {
            continue;
        };
        let Some(recs) = ext.section(&sec.name) else {
            continue;
        };
        // Records are sorted by byte offset: visit only those inside this chunk.
        let (lo, hi) = (
            u64::from(c.sec_start) * 8,
            u64::from(c.sec_start + c.len) * 8,
        );
        let map = |off: u32| -> Option<InsnIdx> {
            (off % 8 == 0).then(|| InsnIdx(c.out_start + (off / 8 - c.sec_start)))
        };
        let first = recs
            .func_info
            .partition_point(|r| u64::from(r.insn_off) < lo);
        for r in recs.func_info[first..]
            .iter()
            .take_while(|r| u64::from(r.insn_off) < hi)
        {
            if let Some(insn) = map(r.insn_off) {
                let name = btf.name_of(r.type_id).to_string();
                program.func_info.push(FuncInfo {
                    insn,
                    type_id: r.type_id,
                    name,
                });
            }
        }
        let first = recs
            .line_info
            .partition_point(|r| u64::from(r.insn_off) < lo);
        for r in recs.line_info[first..]
            .iter()
            .take_while(|r| u64::from(r.insn_off) < hi)
        {
            if let Some(insn) = map(r.insn_off) {
                program.line_info.push(LineInfo {
                    insn,
                    file: btf.str_at(r.file_name_off).unwrap_or("").to_string(),
                    text: btf.str_at(r.line_off).unwrap_or("").to_string(),
                    line: r.line,
                    col: r.col,
                });
            }
        }
        let first = recs
            .core_relos
            .partition_point(|r| u64::from(r.insn_off) < lo);
        for r in recs.core_relos[first..]
            .iter()
            .take_while(|r| u64::from(r.insn_off) < hi)
        {
            if let Some(insn) = map(r.insn_off) {
                program.core_relos.push(CoreRelo {
                    insn,
                    type_id: r.type_id,
                    type_name: btf.name_of(r.type_id).to_string(),
                    access: btf.str_at(r.access_str_off).unwrap_or("").to_string(),
                    kind: r.kind,
                });
            }
        }
    }
    program.func_info.sort_by_key(|r| r.insn);
    keep_one_func_info_per_insn(program);
    program.line_info.sort_by_key(|r| r.insn);
    program.core_relos.sort_by_key(|r| r.insn);
}

/// A zero-size function shares its offset with the function after it, so two func_info
/// records can name one instruction: keep the one naming the function placed there.
fn keep_one_func_info_per_insn(program: &mut Program) {
    let records = std::mem::take(&mut program.func_info);
    let mut kept: Vec<FuncInfo> = Vec::with_capacity(records.len());
    for r in records {
        match kept.last_mut() {
            Some(prev) if prev.insn == r.insn => {
                let placed = program.subprogs.iter().find(|s| s.start == r.insn);
                if placed.is_some_and(|s| s.name == r.name) {
                    *prev = r;
                }
            }
            _ => kept.push(r),
        }
    }
    program.func_info = kept;
}
