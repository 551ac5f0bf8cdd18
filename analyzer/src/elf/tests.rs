//! Unit tests for the loader on hand-made ELF bytes: one per error kind, and the linking rules.

use super::*;
use crate::isa::{encode, AluOp, CallTarget, Operand, PseudoSrc, Reg, Width};
use crate::program::{MapIdx, MapKind, MapType, RelocTarget};

const R_64_64: u32 = 1;
const R_ABS64: u32 = 2;
const R_64_32: u32 = 10;
const STT_NOTYPE: u8 = 0;
const STT_OBJECT: u8 = 1;
const STT_FUNC: u8 = 2;
const STT_SECTION: u8 = 3;

struct Sec {
    name: String,
    sh_type: u32,
    flags: u64,
    data: Vec<u8>,
    /// `sh_size` for `SHT_NOBITS`.
    nobits_size: u64,
}

struct Sym {
    name: String,
    /// Section index in the finished file (user sections start at 1), or 0.
    shndx: u16,
    value: u64,
    size: u64,
    st_type: u8,
    global: bool,
}

/// `(offset, symbol index, type)`.
type RelEntry = (u64, u32, u32);

/// A section header to write, with the contents it points at.
struct Shdr {
    name: u32,
    sh_type: u32,
    flags: u64,
    data: Vec<u8>,
    link: u32,
    info: u32,
    entsize: u64,
    size: u64,
}

/// A minimal ELF writer: user sections first (indices 1..), then `.rel*`, `.strtab`,
/// `.symtab`, `.shstrtab`.
struct ElfBuilder {
    secs: Vec<Sec>,
    syms: Vec<Sym>,
    /// Per target user-section index, its relocations.
    rels: Vec<(u16, Vec<RelEntry>)>,
    machine: u16,
    /// Write `SHT_RELA` sections, with these addends by `(target, offset)` (0 when absent).
    rela: Option<Vec<((u16, u64), i64)>>,
}

impl ElfBuilder {
    fn new() -> ElfBuilder {
        let null = Sym {
            name: String::new(),
            shndx: 0,
            value: 0,
            size: 0,
            st_type: 0,
            global: false,
        };
        ElfBuilder {
            secs: Vec::new(),
            syms: vec![null],
            rels: Vec::new(),
            machine: 247,
            rela: None,
        }
    }

    /// Adds a section and its section symbol; returns the section index.
    fn sec(&mut self, name: &str, sh_type: u32, flags: u64, data: Vec<u8>) -> u16 {
        self.secs.push(Sec {
            name: name.into(),
            sh_type,
            flags,
            data,
            nobits_size: 0,
        });
        let idx = self.secs.len() as u16;
        self.sym(name, idx, 0, 0, STT_SECTION, false);
        idx
    }

    fn code(&mut self, name: &str, insns: &[Insn]) -> u16 {
        self.sec(name, 1, 2 | 4, encode(insns))
    }

    fn sym(
        &mut self,
        name: &str,
        shndx: u16,
        value: u64,
        size: u64,
        st_type: u8,
        global: bool,
    ) -> u32 {
        self.syms.push(Sym {
            name: name.into(),
            shndx,
            value,
            size,
            st_type,
            global,
        });
        self.syms.len() as u32 - 1
    }

    fn func(&mut self, name: &str, shndx: u16, start: u64, len: u64) -> u32 {
        self.sym(name, shndx, start * 8, len * 8, STT_FUNC, true)
    }

    fn sec_sym(&self, shndx: u16) -> u32 {
        self.syms
            .iter()
            .position(|s| s.st_type == STT_SECTION && s.shndx == shndx)
            .unwrap() as u32
    }

    fn rel(&mut self, target: u16, offset: u64, sym: u32, r_type: u32) {
        match self.rels.iter_mut().find(|(t, _)| *t == target) {
            Some((_, v)) => v.push((offset, sym, r_type)),
            None => self.rels.push((target, vec![(offset, sym, r_type)])),
        }
    }

    fn build(&self) -> Vec<u8> {
        let mut shstr = vec![0u8];
        let mut name_of = |n: &str| {
            let off = shstr.len() as u32;
            shstr.extend_from_slice(n.as_bytes());
            shstr.push(0);
            off
        };
        let shdr = |name, sh_type, flags, data: Vec<u8>, link, info, entsize| {
            let size = data.len() as u64;
            Shdr {
                name,
                sh_type,
                flags,
                data,
                link,
                info,
                entsize,
                size,
            }
        };
        let mut all: Vec<Shdr> = Vec::new();
        for s in &self.secs {
            let mut h = shdr(
                name_of(&s.name),
                s.sh_type,
                s.flags,
                s.data.clone(),
                0,
                0,
                0,
            );
            if s.sh_type == 8 {
                h.size = s.nobits_size;
            }
            all.push(h);
        }
        let n_user = self.secs.len() as u32;
        let symtab_idx = n_user + self.rels.len() as u32 + 2;
        for (target, rels) in &self.rels {
            let mut data = Vec::new();
            for &(off, sym, ty) in rels {
                data.extend_from_slice(&off.to_le_bytes());
                data.extend_from_slice(&((u64::from(sym) << 32) | u64::from(ty)).to_le_bytes());
                if let Some(addends) = &self.rela {
                    let a = addends
                        .iter()
                        .find(|(k, _)| *k == (*target, off))
                        .map_or(0, |(_, a)| *a);
                    data.extend_from_slice(&a.to_le_bytes());
                }
            }
            let target_name = self
                .secs
                .get(*target as usize - 1)
                .map_or("bogus", |s| s.name.as_str());
            let (kind, prefix, entsize) = if self.rela.is_some() {
                (4, ".rela", 24)
            } else {
                (9, ".rel", 16)
            };
            let name = format!("{prefix}{target_name}");
            all.push(shdr(
                name_of(&name),
                kind,
                0,
                data,
                symtab_idx,
                u32::from(*target),
                entsize,
            ));
        }
        let mut strtab = vec![0u8];
        let mut symtab = Vec::new();
        let mut n_local = 0;
        for (i, s) in self.syms.iter().enumerate() {
            let off = if s.name.is_empty() || s.st_type == STT_SECTION {
                0
            } else {
                let off = strtab.len() as u32;
                strtab.extend_from_slice(s.name.as_bytes());
                strtab.push(0);
                off
            };
            if !s.global {
                n_local = i as u32 + 1;
            }
            symtab.extend_from_slice(&off.to_le_bytes());
            symtab.push((u8::from(s.global) << 4) | s.st_type);
            symtab.push(0);
            symtab.extend_from_slice(&s.shndx.to_le_bytes());
            symtab.extend_from_slice(&s.value.to_le_bytes());
            symtab.extend_from_slice(&s.size.to_le_bytes());
        }
        let strtab_idx = symtab_idx - 1;
        all.push(shdr(name_of(".strtab"), 3, 0, strtab, 0, 0, 0));
        all.push(shdr(
            name_of(".symtab"),
            2,
            0,
            symtab,
            strtab_idx,
            n_local,
            24,
        ));
        let shstr_name = name_of(".shstrtab");
        all.push(shdr(shstr_name, 3, 0, shstr.clone(), 0, 0, 0));

        let mut out = vec![0u8; 64];
        let mut offsets = Vec::new();
        for s in &all {
            while out.len() % 8 != 0 {
                out.push(0);
            }
            offsets.push(out.len() as u64);
            out.extend_from_slice(&s.data);
        }
        while out.len() % 8 != 0 {
            out.push(0);
        }
        let shoff = out.len() as u64;
        out.extend_from_slice(&[0u8; 64]);
        for (s, off) in all.iter().zip(offsets) {
            out.extend_from_slice(&s.name.to_le_bytes());
            out.extend_from_slice(&s.sh_type.to_le_bytes());
            out.extend_from_slice(&s.flags.to_le_bytes());
            out.extend_from_slice(&0u64.to_le_bytes());
            out.extend_from_slice(&off.to_le_bytes());
            out.extend_from_slice(&s.size.to_le_bytes());
            out.extend_from_slice(&s.link.to_le_bytes());
            out.extend_from_slice(&s.info.to_le_bytes());
            out.extend_from_slice(&8u64.to_le_bytes());
            out.extend_from_slice(&s.entsize.to_le_bytes());
        }
        let shnum = all.len() as u16 + 1;
        let h = &mut out[..64];
        h[..4].copy_from_slice(b"\x7fELF");
        h[4] = 2;
        h[5] = 1;
        h[6] = 1;
        h[16..18].copy_from_slice(&1u16.to_le_bytes());
        h[18..20].copy_from_slice(&self.machine.to_le_bytes());
        h[20..24].copy_from_slice(&1u32.to_le_bytes());
        h[40..48].copy_from_slice(&shoff.to_le_bytes());
        h[52..54].copy_from_slice(&64u16.to_le_bytes());
        h[58..60].copy_from_slice(&64u16.to_le_bytes());
        h[60..62].copy_from_slice(&shnum.to_le_bytes());
        h[62..64].copy_from_slice(&(shnum - 1).to_le_bytes());
        out
    }
}

fn mov(dst: Reg, imm: i32) -> Insn {
    Insn::Alu {
        width: Width::W64,
        op: AluOp::Mov,
        dst,
        src: Operand::Imm(imm),
    }
}

fn lddw(dst: Reg, imm: i32) -> Insn {
    Insn::LdImm64 {
        dst,
        src: PseudoSrc::Imm,
        imm,
        next_imm: 0,
    }
}

fn local_call(imm: i32) -> Insn {
    Insn::Call(CallTarget::Local(imm))
}

/// `r0 = 0; exit` in section `xdp` as program `prog`, with a license.
fn minimal() -> ElfBuilder {
    let mut b = ElfBuilder::new();
    let x = b.code("xdp", &[mov(Reg::R0, 0), Insn::Exit]);
    b.func("prog", x, 0, 2);
    b.sec("license", 1, 3, b"GPL\0".to_vec());
    b
}

fn kind(bytes: &[u8]) -> LoadErrorKind {
    load(bytes).expect_err("load should fail").kind().clone()
}

#[test]
fn minimal_object_loads() {
    let obj = load(&minimal().build()).unwrap();
    assert_eq!(obj.license(), "GPL");
    assert_eq!(obj.kern_version(), None);
    assert!(!obj.has_btf());
    let p = &obj.programs()[0];
    assert_eq!((p.name(), p.section()), ("prog", "xdp"));
    assert_eq!(p.prog_type(), Some(crate::prog_type::ProgType::Xdp));
    assert_eq!(p.insns(), [mov(Reg::R0, 0), Insn::Exit]);
    assert_eq!(p.n_insns_own(), 2);
    assert!(p.is_gpl_compatible());
}

#[test]
fn unknown_sections_and_missing_symbols_still_load() {
    let mut b = ElfBuilder::new();
    b.code("my/custom", &[mov(Reg::R0, 0), Insn::Exit]);
    b.sec("version", 1, 3, 0x0005_0a00u32.to_le_bytes().to_vec());
    let obj = load(&b.build()).unwrap();
    let p = &obj.programs()[0];
    assert_eq!((p.name(), p.prog_type()), ("my/custom", None));
    assert_eq!(obj.kern_version(), Some(0x0005_0a00));
    assert_eq!(obj.license(), "");
}

#[test]
fn splits_sections_into_programs_by_symbol() {
    let mut b = ElfBuilder::new();
    let x = b.code(
        "tc",
        &[
            mov(Reg::R0, 0),
            Insn::Exit,
            mov(Reg::R0, 1),
            mov(Reg::R0, 2),
            Insn::Exit,
        ],
    );
    b.func("first", x, 0, 2);
    b.func("second", x, 2, 3);
    let obj = load(&b.build()).unwrap();
    let names: Vec<_> = obj
        .programs()
        .iter()
        .map(|p| (p.name(), p.insns().len()))
        .collect();
    assert_eq!(names, [("first", 2), ("second", 3)]);
}

/// `prog` calls static `a` (through the `.text` section symbol) and global `b` (through its own
/// symbol, `imm = -1`); `a` calls `b` without a relocation, and takes `b`'s address as a
/// callback. `b` is placed once.
#[test]
fn links_text_functions_transitively() {
    let mut bld = ElfBuilder::new();
    // Both calls have `imm == -1`: static `a` sits at `.text` offset 0 (0/8 - 1 + 1 = 0),
    // global `b` is reached through its own symbol (32/8 - 1 + 1 = 4).
    let x = bld.code("xdp", &[local_call(-1), local_call(-1), Insn::Exit]);
    let text = bld.code(
        ".text",
        &[
            // a: slots 0..5
            local_call(3),     // -> slot 4 (b), no relocation
            lddw(Reg::R2, 32), // &b via section symbol + 32 bytes
            Insn::LdImm64Tail,
            Insn::Exit,
            // b: slots 4..6
            mov(Reg::R0, 7),
            Insn::Exit,
        ],
    );
    bld.func("prog", x, 0, 3);
    bld.sym("a", text, 0, 32, STT_FUNC, false);
    let b_sym = bld.func("b", text, 4, 2);
    let text_sym = bld.sec_sym(text);
    bld.rel(x, 0, text_sym, R_64_32);
    bld.rel(x, 8, b_sym, R_64_32);
    bld.rel(text, 8, text_sym, R_64_64);
    let bytes = bld.build();
    let obj = load(&bytes).unwrap();
    let p = &obj.programs()[0];
    let subs: Vec<_> = p
        .subprogs()
        .iter()
        .map(|s| (s.name.as_str(), s.start.0, s.len))
        .collect();
    assert_eq!(subs, [("prog", 0, 3), ("a", 3, 4), ("b", 7, 2)]);
    // prog: call a (at 3) from 0: imm 2; call b (at 7) from 1: imm 5.
    assert_eq!(p.insns()[0], local_call(2));
    assert_eq!(p.insns()[1], local_call(5));
    // a: call b (at 7) from 3: imm 3; lddw &b from 4: imm 2, src Func.
    assert_eq!(p.insns()[3], local_call(3));
    assert_eq!(
        p.insns()[4],
        Insn::LdImm64 {
            dst: Reg::R2,
            src: PseudoSrc::Func,
            imm: 2,
            next_imm: 0
        }
    );
    assert_eq!(
        p.reloc_at(InsnIdx(1)),
        Some(&RelocTarget::Subprog {
            name: "b".into(),
            target: InsnIdx(7)
        })
    );
    assert_eq!(p.subprog_of(InsnIdx(8)).map(|s| s.name.as_str()), Some("b"));
    assert_eq!(p.subprog_of(InsnIdx(9)), None);
}

#[test]
fn recursion_and_intra_program_calls_stay_relative() {
    let mut b = ElfBuilder::new();
    let x = b.code("xdp", &[local_call(-1), local_call(0), Insn::Exit]);
    b.func("prog", x, 0, 3);
    let p = &load(&b.build()).unwrap().programs()[0].clone();
    assert_eq!(p.insns()[..2], [local_call(-1), local_call(0)]);
    assert_eq!(p.subprogs().len(), 1);
}

#[test]
fn relocates_maps_and_global_data() {
    let mut b = ElfBuilder::new();
    let x = b.code(
        "socket",
        &[
            lddw(Reg::R1, 0),
            Insn::LdImm64Tail,
            lddw(Reg::R2, 4),
            Insn::LdImm64Tail,
            lddw(Reg::R3, 0),
            Insn::LdImm64Tail,
            Insn::Exit,
        ],
    );
    b.func("prog", x, 0, 7);
    let mut def = Vec::new();
    for w in [1u32, 4, 8, 16, 0, /* second map */ 2, 4, 4, 1, 0] {
        def.extend_from_slice(&w.to_le_bytes());
    }
    let maps = b.sec("maps", 1, 3, def);
    b.sym("m0", maps, 0, 20, STT_OBJECT, true);
    let m1 = b.sym("m1", maps, 20, 20, STT_OBJECT, true);
    let data = b.sec(".data", 1, 3, vec![1, 2, 3, 4, 5, 6, 7, 8]);
    b.sym("counter", data, 4, 4, STT_OBJECT, true);
    b.secs.push(Sec {
        name: ".bss".into(),
        sh_type: 8,
        flags: 3,
        data: Vec::new(),
        nobits_size: 16,
    });
    let bss = b.secs.len() as u16;
    let zero = b.sym("zero", bss, 8, 8, STT_OBJECT, true);
    let data_sym = b.sec_sym(data);
    b.rel(x, 0, m1, R_64_64);
    b.rel(x, 16, data_sym, R_64_64);
    b.rel(x, 32, zero, R_64_64);
    let obj = load(&b.build()).unwrap();
    let names: Vec<_> = obj
        .maps()
        .iter()
        .map(|m| (m.name.as_str(), m.map_type, m.value_size))
        .collect();
    assert_eq!(
        names,
        [
            ("m0", MapType::HASH, 8),
            ("m1", MapType::ARRAY, 4),
            (".data", MapType::ARRAY, 8),
            (".bss", MapType::ARRAY, 16)
        ]
    );
    assert!(
        matches!(&obj.maps()[2].kind, MapKind::GlobalData { init: Some(v), read_only: false, .. } if v.len() == 8)
    );
    assert!(matches!(
        &obj.maps()[3].kind,
        MapKind::GlobalData { init: None, .. }
    ));
    let p = &obj.programs()[0];
    assert_eq!(
        p.insns()[0],
        Insn::LdImm64 {
            dst: Reg::R1,
            src: PseudoSrc::MapIdx,
            imm: 1,
            next_imm: 0
        }
    );
    assert_eq!(
        p.insns()[2],
        Insn::LdImm64 {
            dst: Reg::R2,
            src: PseudoSrc::MapIdxValue,
            imm: 2,
            next_imm: 4
        }
    );
    assert_eq!(
        p.insns()[4],
        Insn::LdImm64 {
            dst: Reg::R3,
            src: PseudoSrc::MapIdxValue,
            imm: 3,
            next_imm: 8
        }
    );
    assert_eq!(
        p.reloc_at(InsnIdx(0)),
        Some(&RelocTarget::Map {
            map: MapIdx(1),
            name: "m1".into()
        })
    );
    let var = |i| match p.reloc_at(InsnIdx(i)) {
        Some(RelocTarget::GlobalData { var, offset, .. }) => (var.clone(), *offset),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        var(2),
        (Some("counter".into()), 4),
        "section symbol + imm names the variable"
    );
    assert_eq!(var(4), (Some("zero".into()), 8));
}

#[test]
fn extern_calls_become_kfunc_calls() {
    let mut b = minimal();
    let x = b.code("kprobe/x", &[local_call(-1), Insn::Exit]);
    b.func("kp", x, 0, 2);
    let ext = b.sym("bpf_task_acquire", 0, 0, 0, STT_NOTYPE, true);
    b.rel(x, 0, ext, R_64_32);
    let obj = load(&b.build()).unwrap();
    let p = obj.program("kp").unwrap();
    assert_eq!(
        p.insns()[0],
        Insn::Call(CallTarget::Kfunc {
            btf_id: 0,
            module: 0
        })
    );
    assert_eq!(
        p.reloc_at(InsnIdx(0)),
        Some(&RelocTarget::Extern {
            name: "bpf_task_acquire".into()
        })
    );
}

#[test]
fn header_errors() {
    assert_eq!(kind(b"\x7fEL"), LoadErrorKind::Truncated { len: 3 });
    assert_eq!(kind(b""), LoadErrorKind::Truncated { len: 0 });
    assert_eq!(
        kind(&minimal().build()[..40]),
        LoadErrorKind::Truncated { len: 40 }
    );
    assert_eq!(
        kind(b"hello, world, this is not an elf file at all......................"),
        LoadErrorKind::NotElf
    );
    let good = minimal().build();
    let mut b32 = good.clone();
    b32[4] = 1;
    assert_eq!(kind(&b32), LoadErrorKind::Not64Bit);
    let mut be = good.clone();
    be[5] = 2;
    assert_eq!(kind(&be), LoadErrorKind::BigEndian);
    let mut x86 = minimal();
    x86.machine = 62;
    let e = load(&x86.build()).unwrap_err();
    assert_eq!(e.kind(), &LoadErrorKind::NotBpf { machine: 62 });
    assert_eq!(
        e.to_string(),
        "not a bpf object: machine is x86-64 (EM_X86_64)"
    );
    let mut exec = good.clone();
    exec[16] = 2;
    assert_eq!(kind(&exec), LoadErrorKind::NotRelocatable { e_type: 2 });
    let mut shoff = good.clone();
    shoff[40..48].copy_from_slice(&u64::MAX.to_le_bytes());
    assert!(matches!(kind(&shoff), LoadErrorKind::Malformed { .. }));
}

#[test]
fn section_errors() {
    // A section whose contents run past the end of the file: patch `sh_size` of section 1.
    let good = minimal().build();
    let shoff = u64::from_le_bytes(good[40..48].try_into().unwrap()) as usize;
    let mut big = good.clone();
    let size_at = shoff + 64 + 32;
    big[size_at..size_at + 8].copy_from_slice(&(1u64 << 40).to_le_bytes());
    assert!(
        matches!(kind(&big), LoadErrorKind::SectionOutOfBounds { section, .. } if section.index == 1 && section.name == "xdp")
    );
    // Code that is not a multiple of 8 bytes.
    let mut b = ElfBuilder::new();
    b.sec("xdp", 1, 6, vec![0x95, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert!(matches!(
        kind(&b.build()),
        LoadErrorKind::CodeSizeNotMultipleOf8 { size: 12, .. }
    ));
    // A relocation section whose target does not exist.
    let mut b = minimal();
    b.rel(40, 0, 1, R_64_64);
    assert!(matches!(
        kind(&b.build()),
        LoadErrorKind::BadSectionIndex { index: 40, .. }
    ));
}

#[test]
fn symbol_errors() {
    let mut b = minimal();
    b.sym("ghost", 77, 0, 0, STT_OBJECT, true);
    assert!(
        matches!(kind(&b.build()), LoadErrorKind::BadSymbol { symbol, .. } if symbol == "ghost")
    );
    let mut b = minimal();
    b.func("long", 1, 1, 5);
    assert!(matches!(
        kind(&b.build()),
        LoadErrorKind::BadSymbol {
            what: "extends past the end of the section",
            ..
        }
    ));
    let mut b = minimal();
    b.sym("odd", 1, 3, 8, STT_FUNC, true);
    assert!(matches!(
        kind(&b.build()),
        LoadErrorKind::BadSymbol {
            what: "not a multiple of 8",
            ..
        }
    ));
    let mut b = ElfBuilder::new();
    let x = b.code("xdp", &[mov(Reg::R0, 0), mov(Reg::R0, 0), Insn::Exit]);
    b.func("one", x, 0, 2);
    b.func("two", x, 1, 2);
    assert!(matches!(
        kind(&b.build()),
        LoadErrorKind::BadSymbol {
            what: "overlaps another function",
            ..
        }
    ));
    let mut b = ElfBuilder::new();
    let x = b.code("xdp", &[lddw(Reg::R0, 0), Insn::LdImm64Tail, Insn::Exit]);
    b.func("one", x, 0, 1);
    b.func("two", x, 1, 2);
    assert!(matches!(
        kind(&b.build()),
        LoadErrorKind::BadSymbol {
            what: "starts in the middle of a lddw",
            ..
        }
    ));
}

#[test]
fn decode_errors_name_the_program_and_insn() {
    let mut b = ElfBuilder::new();
    let mut code = encode(&[mov(Reg::R0, 0), Insn::Exit, mov(Reg::R0, 0)]);
    code.extend_from_slice(&[0xff, 0, 0, 0, 0, 0, 0, 0]);
    let x = b.sec("xdp", 1, 6, code);
    b.func("ok", x, 0, 2);
    b.func("bad", x, 2, 2);
    let e = load(&b.build()).unwrap_err();
    let LoadErrorKind::Decode {
        section,
        program,
        offset,
        err,
    } = e.kind()
    else {
        panic!("{e}")
    };
    assert_eq!(
        (section.name.as_str(), program.as_str(), *offset, err.insn),
        ("xdp", "bad", 24, InsnIdx(1))
    );
    assert_eq!(
        e.to_string(),
        "section 1 `xdp`: program `bad`: insn 1: unknown opcode 0xff (section offset 24)"
    );
}

#[test]
fn relocation_errors() {
    // A symbol index past the symbol table.
    let mut b = minimal();
    b.rel(1, 0, 999, R_64_64);
    assert!(matches!(
        kind(&b.build()),
        LoadErrorKind::MissingSymbol {
            symbol_index: 999,
            offset: 0,
            ..
        }
    ));
    // Offsets past the section or between slots.
    let mut b = minimal();
    b.rel(1, 64, 1, R_64_64);
    assert!(matches!(
        kind(&b.build()),
        LoadErrorKind::RelocOutOfRange { offset: 64, .. }
    ));
    let mut b = minimal();
    b.rel(1, 3, 1, R_64_64);
    assert!(matches!(
        kind(&b.build()),
        LoadErrorKind::RelocOutOfRange { offset: 3, .. }
    ));
    // R_BPF_64_64 on an instruction that is not a lddw.
    let mut b = minimal();
    b.rel(1, 0, 1, R_64_64);
    assert!(
        matches!(kind(&b.build()), LoadErrorKind::BadReloc { what, .. } if what.contains("does not apply"))
    );
    // A data relocation type in code.
    let mut b = minimal();
    b.rel(1, 0, 1, R_ABS64);
    assert!(
        matches!(kind(&b.build()), LoadErrorKind::BadReloc { what, .. } if what.contains("unsupported relocation type 2"))
    );
    // A lddw against a section that is neither map, data nor code.
    let mut b = ElfBuilder::new();
    let x = b.code("xdp", &[lddw(Reg::R0, 0), Insn::LdImm64Tail, Insn::Exit]);
    let odd = b.sec(".comment", 1, 0, vec![0; 8]);
    let odd_sym = b.sec_sym(odd);
    b.rel(x, 0, odd_sym, R_64_64);
    assert!(
        matches!(kind(&b.build()), LoadErrorKind::BadReloc { what, .. } if what.contains("`.comment`"))
    );
    // A data offset past the end of the data section loads, as libbpf loads it (GCC 12 emits
    // such objects); the verifier refuses the lddw ("invalid access to map value pointer").
    let mut b = ElfBuilder::new();
    let x = b.code("xdp", &[lddw(Reg::R0, 100), Insn::LdImm64Tail, Insn::Exit]);
    let d = b.sec(".data", 1, 3, vec![0; 8]);
    let d_sym = b.sec_sym(d);
    b.rel(x, 0, d_sym, R_64_64);
    let obj = load(&b.build()).expect("loads");
    assert!(matches!(
        obj.programs()[0].insns()[0],
        Insn::LdImm64 {
            src: PseudoSrc::MapIdxValue,
            next_imm: 100,
            ..
        }
    ));
    // An offset the instruction cannot hold is still an error.
    let mut b = ElfBuilder::new();
    let x = b.code("xdp", &[lddw(Reg::R0, -8), Insn::LdImm64Tail, Insn::Exit]);
    let d = b.sec(".data", 1, 3, vec![0; 8]);
    let d_sym = b.sec_sym(d);
    b.rel(x, 0, d_sym, R_64_64);
    assert!(
        matches!(kind(&b.build()), LoadErrorKind::BadReloc { what, .. } if what.contains("does not fit"))
    );
}

#[test]
fn dangling_calls_load_and_point_out_of_the_program() {
    // No function at the target: the object still loads and the call stays out of range, for
    // the verifier to report at its source line.
    let mut b = ElfBuilder::new();
    let x = b.code("xdp", &[local_call(10), Insn::Exit]);
    b.func("prog", x, 0, 2);
    let obj = load(&b.build()).unwrap();
    let p = &obj.programs()[0];
    assert_eq!(p.insns()[0], local_call(10));
    let mut b = ElfBuilder::new();
    let x = b.code("xdp", &[local_call(-5), Insn::Exit]);
    b.func("prog", x, 0, 2);
    let obj = load(&b.build()).unwrap();
    let p = &obj.programs()[0];
    assert_eq!(p.insns()[0], local_call(-5));
    // Slot 3 of `xdp` is in no function, but after linking slot 3 holds `.text`'s helper: the
    // dangling call must not silently become a call to it.
    let mut b = ElfBuilder::new();
    let x = b.code(
        "xdp",
        &[local_call(-1), local_call(1), Insn::Exit, Insn::Exit],
    );
    let t = b.code(".text", &[mov(Reg::R0, 1), Insn::Exit]);
    b.func("prog", x, 0, 3);
    let helper = b.func("helper", t, 0, 2);
    b.rel(x, 0, helper, R_64_32);
    let obj = load(&b.build()).unwrap();
    let p = &obj.programs()[0];
    assert_eq!(p.insns().len(), 5);
    assert_eq!(p.insns()[0], local_call(2));
    assert_eq!(p.insns()[1], local_call(3), "aimed just past the end");
}

#[test]
fn call_target_errors() {
    // A relocated call into `.text` past its end.
    let mut b = ElfBuilder::new();
    let x = b.code("xdp", &[local_call(7), Insn::Exit]);
    let t = b.code(".text", &[Insn::Exit]);
    b.func("prog", x, 0, 2);
    let t_sym = b.sec_sym(t);
    b.rel(x, 0, t_sym, R_64_32);
    assert!(matches!(
        kind(&b.build()),
        LoadErrorKind::BadCallTarget { target: 8, .. }
    ));
}

#[test]
fn map_and_btf_errors() {
    let mut b = minimal();
    b.sec(".maps", 1, 3, vec![0; 32]);
    assert!(
        matches!(kind(&b.build()), LoadErrorKind::BadMap { what, .. } if what.contains("need a .BTF"))
    );
    let mut b = minimal();
    let m = b.sec("maps", 1, 3, vec![0; 8]);
    b.sym("m", m, 4, 20, STT_OBJECT, true);
    assert!(matches!(kind(&b.build()), LoadErrorKind::BadMap { map, .. } if map == "m"));
    let mut b = minimal();
    let m = b.sec("maps", 1, 3, vec![0; 40]);
    b.sym("a", m, 0, 20, STT_OBJECT, true);
    b.sym("b", m, 16, 20, STT_OBJECT, true);
    assert!(
        matches!(kind(&b.build()), LoadErrorKind::BadMap { map, what } if map == "b" && what.contains("overlaps map `a`"))
    );
    // A `.BTF` that does not parse is left out, as libbpf does, unless the object needs it.
    let mut b = minimal();
    b.sec(".BTF", 1, 0, vec![1, 2, 3, 4, 5, 6, 7, 8, 9]);
    let obj = load(&b.build()).unwrap();
    assert!(!obj.has_btf());
    assert_eq!(
        obj.load_notes(),
        [".BTF does not parse (bad magic 0x0201, expected 0xeb9f): ignored, as libbpf does; no source lines"]
    );
    let mut ext = minimal();
    ext.sec(".BTF", 1, 0, btf_blob(&[]));
    ext.sec(".BTF.ext", 1, 0, vec![9; 4]);
    let obj = load(&ext.build()).unwrap();
    assert!(obj.has_btf() && !obj.has_btf_ext());
    assert!(
        obj.load_notes()[0].starts_with(".BTF.ext does not parse ("),
        "{:?}",
        obj.load_notes()
    );
    b.sec(".maps", 1, 3, vec![0; 8]);
    let e = load(&b.build()).unwrap_err();
    assert!(matches!(e.kind(), LoadErrorKind::Btf { .. }));
    assert_eq!(e.to_string(), ".BTF: bad magic 0x0201, expected 0xeb9f");
}

#[test]
fn errors_display_as_one_lowercase_line() {
    let cases: Vec<Vec<u8>> = vec![
        b"\x7fEL".to_vec(),
        b"nope nope nope nope nope nope nope nope nope nope nope nope nope".to_vec(),
    ];
    for bytes in cases {
        let msg = load(&bytes).unwrap_err().to_string();
        assert!(!msg.contains('\n') && !msg.ends_with('.'), "{msg}");
        assert_eq!(
            msg.chars().next().map(char::is_lowercase),
            Some(true),
            "{msg}"
        );
    }
}

/// A `.BTF` blob from `(name, info, size_or_type, extra words)` records.
fn btf_blob(types: &[(&str, u32, u32, &[u32])]) -> Vec<u8> {
    let mut strings = vec![0u8];
    let mut words = Vec::new();
    for (name, info, st, extra) in types {
        let off = if name.is_empty() {
            0
        } else {
            strings.extend_from_slice(name.as_bytes());
            strings.push(0);
            (strings.len() - name.len() - 1) as u32
        };
        words.extend_from_slice(&[off, *info, *st]);
        words.extend_from_slice(extra);
    }
    crate::btf::test_blob(&words, &strings)
}

#[test]
fn kconfig_and_ksym_externs() {
    let kind = |k: u32, vlen: u32| (k << 24) | vlen;
    let btf = btf_blob(&[
        ("int", kind(1, 0), 4, &[(1 << 24) | 32]),         // 1
        ("LINUX_KERNEL_VERSION", kind(14, 0), 1, &[2]),    // 2
        ("CONFIG_HZ", kind(14, 0), 4, &[2]),               // 3
        ("unsigned long long", kind(1, 0), 8, &[64]),      // 4
        (".kconfig", kind(15, 2), 0, &[2, 0, 4, 3, 0, 8]), // 5
        ("bpf_prog_active", kind(14, 0), 1, &[2]),         // 6
        (".ksyms", kind(15, 1), 0, &[6, 0, 4]),            // 7
    ]);
    let mut b = minimal();
    let x = b.code(
        "tp/x/y",
        &[
            lddw(Reg::R1, 0),
            Insn::LdImm64Tail,
            lddw(Reg::R2, 0),
            Insn::LdImm64Tail,
            Insn::Exit,
        ],
    );
    b.func("tp", x, 0, 5);
    b.sec(".BTF", 1, 0, btf);
    let lkv = b.sym("LINUX_KERNEL_VERSION", 0, 0, 0, STT_NOTYPE, true);
    let active = b.sym("bpf_prog_active", 0, 0, 0, STT_NOTYPE, true);
    b.rel(x, 0, lkv, R_64_64);
    b.rel(x, 16, active, R_64_64);
    let obj = load(&b.build()).unwrap();
    let kc = obj
        .maps()
        .iter()
        .position(|m| m.name == ".kconfig")
        .expect(".kconfig map");
    assert_eq!(obj.maps()[kc].value_size, 16);
    assert!(matches!(
        obj.maps()[kc].kind,
        MapKind::GlobalData {
            read_only: true,
            init: None,
            ..
        }
    ));
    let p = obj.program("tp").unwrap();
    let (dst, src, imm, next_imm) = (Reg::R1, PseudoSrc::MapIdxValue, kc as i32, 8);
    assert_eq!(
        p.insns()[0],
        Insn::LdImm64 {
            dst,
            src,
            imm,
            next_imm
        },
        "u64 CONFIG_HZ first, then the int"
    );
    assert_eq!(
        p.insns()[2],
        Insn::LdImm64 {
            dst: Reg::R2,
            src: PseudoSrc::BtfId,
            imm: 0,
            next_imm: 0
        }
    );
    assert_eq!(
        p.reloc_at(InsnIdx(2)),
        Some(&RelocTarget::Extern {
            name: "bpf_prog_active".into()
        })
    );
}

#[test]
fn zero_size_function_is_an_empty_program() {
    let mut b = ElfBuilder::new();
    let x = b.code("xdp", &[mov(Reg::R0, 0), Insn::Exit]);
    b.func("empty", x, 0, 0);
    b.func("prog", x, 0, 2);
    let obj = load(&b.build()).unwrap();
    let progs: Vec<_> = obj
        .programs()
        .iter()
        .map(|p| (p.name(), p.insns().len()))
        .collect();
    assert_eq!(progs, [("empty", 0), ("prog", 2)]);
}

mod legacy_maps;
mod lenient;
mod rela;
mod text;
