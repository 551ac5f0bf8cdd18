//! Our disassembly against `llvm-objdump -d`, instruction by instruction.
//!
//! For every `*.o` under `corpus/`, each executable section is decoded by us and printed in the
//! syntax of the installed llvm-objdump ([`Syntax::Llvm19`] for LLVM 15 and later,
//! [`Syntax::Llvm14`] before), then compared with that llvm-objdump's output line by line,
//! with whitespace normalised. A second test does the same for [`samples`], every instruction
//! form, assembled with `llvm-mc` from `.byte` directives.
//!
//! The objdump is `$BPFVET_OBJDUMP` if set, else `llvm-objdump-19`, else `llvm-objdump`. It
//! runs with `--mattr=+alu32` (see `isa::text`'s module doc for why) and without `-r`, so
//! relocated `lddw`s and calls show their raw immediates, as our decoder sees them. When no
//! objdump is installed the test says so and fails, unless `BPFVET_ALLOW_NO_OBJDUMP=1`.
//!
//! This test reads the ELF itself with `object` (section bytes and symbols) instead of using
//! `analyzer::elf`, so that it checks the printer and decoder alone.

use bpfvet_analyzer::isa::text::{samples, Printer, Syntax};
use bpfvet_analyzer::isa::{decode, decode_one, encode, Insn, InsnIdx, PseudoSrc, Reg};
use object::{Object, ObjectSection, ObjectSymbol, SectionKind, SymbolKind};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// An llvm-objdump and the syntax its version prints.
struct Objdump {
    cmd: String,
    syntax: Syntax,
    version: String,
}

/// Finds llvm-objdump, or says plainly that there is none (and whether that is allowed).
fn objdump() -> Option<Objdump> {
    let candidates = match std::env::var("BPFVET_OBJDUMP") {
        Ok(cmd) => vec![cmd],
        Err(_) => vec!["llvm-objdump-19".to_string(), "llvm-objdump".to_string()],
    };
    for cmd in candidates.clone() {
        let Ok(out) = Command::new(&cmd).arg("--version").output() else {
            continue;
        };
        let text = String::from_utf8_lossy(&out.stdout);
        // `LLVM version 19.1.7`, or `Debian LLVM version 19.1.7`.
        let Some(version) = text
            .lines()
            .find_map(|l| l.split_once("LLVM version ").map(|(_, v)| v.trim()))
        else {
            continue;
        };
        let major: u32 = version
            .split('.')
            .next()
            .and_then(|m| m.parse().ok())
            .unwrap_or(0);
        // LLVM 15 switched llvm-objdump to hexadecimal immediates; 19 is the version we model.
        let syntax = if major >= 15 {
            Syntax::Llvm19
        } else {
            Syntax::Llvm14
        };
        if !(major == 14 || major >= 19) {
            println!(
                "note: {cmd} is LLVM {version}; only 14 and 19 are modelled, trying {syntax:?}"
            );
        }
        return Some(Objdump {
            cmd,
            syntax,
            version: version.to_string(),
        });
    }
    let allowed = std::env::var("BPFVET_ALLOW_NO_OBJDUMP").is_ok_and(|v| v == "1");
    println!(
        "llvm-objdump is NOT installed (tried {}): disassembly was NOT compared{}",
        candidates.join(", "),
        if allowed {
            " (allowed by BPFVET_ALLOW_NO_OBJDUMP=1)"
        } else {
            ""
        }
    );
    assert!(
        allowed,
        "no llvm-objdump; install LLVM or set BPFVET_ALLOW_NO_OBJDUMP=1"
    );
    None
}

/// llvm-objdump's instruction lines, per section: slot index and the text after the bytes.
fn run_objdump(od: &Objdump, path: &Path) -> BTreeMap<String, Vec<(u32, String)>> {
    let out = Command::new(&od.cmd)
        .args(["-d", "--mattr=+alu32"])
        .arg(path)
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", od.cmd));
    assert!(
        out.status.success(),
        "{} failed on {}: {}",
        od.cmd,
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let mut res: BTreeMap<String, Vec<(u32, String)>> = BTreeMap::new();
    let mut section = None;
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        if let Some(name) = line
            .strip_prefix("Disassembly of section ")
            .and_then(|l| l.strip_suffix(':'))
        {
            section = Some(name.to_string());
            res.entry(name.to_string()).or_default();
            continue;
        }
        // `      12:\tb4 00 00 00 01 00 00 00\tw0 = 0x1`
        let Some((idx, rest)) = line.split_once(":\t") else {
            continue;
        };
        let Ok(idx) = idx.trim().parse::<u32>() else {
            continue;
        };
        let Some((_bytes, text)) = rest.split_once('\t') else {
            continue;
        };
        let section = section
            .as_ref()
            .expect("instruction before any section header");
        res.get_mut(section)
            .expect("section entry")
            .push((idx, text.to_string()));
    }
    res
}

/// Decodes a section slot by slot: `None` for a slot our strict decoder rejects (the corpus
/// has deliberately malformed programs), so the rest can still be compared.
fn decode_lenient(data: &[u8]) -> Vec<Option<Insn>> {
    if let Ok(insns) = decode(data) {
        return insns.into_iter().map(Some).collect();
    }
    let mut res = Vec::new();
    let mut i = 0;
    while i + 8 <= data.len() {
        // A `lddw` needs both slots (llvm-objdump prints them as one line, even when the
        // second is malformed); anything else decodes alone.
        let slot: &[u8; 8] = data[i..i + 8].try_into().expect("8 bytes");
        if let Ok(Insn::LdImm64 { .. }) = decode_one(slot) {
            match data.get(i..i + 16).map(decode) {
                Some(Ok(insns)) => res.extend(insns.into_iter().map(Some)),
                _ => res.extend([None, None]),
            }
            i += 8;
        } else {
            res.push(decode(slot).ok().map(|insns| insns[0]));
        }
        i += 8;
    }
    res
}

/// Whitespace-normalised text.
fn norm(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Compares our printing of `insns` (one section, decoded) with objdump's lines for it.
/// `symbols` are the section's symbols (byte address, ELF symbol type, name), which give jump
/// labels as llvm-objdump prints them: the last symbol at or below the target, with `+0x..`.
/// A `None` slot is one we reject: it is not compared, and neither is objdump's line for it.
/// Returns the number of instructions compared, or the mismatches.
fn compare_section(
    insns: &[Option<Insn>],
    objdump_lines: &[(u32, String)],
    symbols: &[(u64, u8, String)],
    syntax: Syntax,
) -> Result<usize, Vec<String>> {
    let mut sorted = symbols.to_vec();
    sorted.sort();
    let labels = |target: i64| -> Option<String> {
        let addr = (target as u64).wrapping_mul(8);
        let (sym_addr, _, name) = sorted.iter().rev().find(|(a, _, _)| *a <= addr)?;
        Some(if addr == *sym_addr {
            name.clone()
        } else {
            format!("{name}+{:#x}", addr - sym_addr)
        })
    };
    let printer = Printer::new(syntax).with_labels(&labels);
    let theirs: BTreeMap<u32, &str> = objdump_lines
        .iter()
        .map(|(i, t)| (*i, t.as_str()))
        .collect();
    let mut errs = Vec::new();
    let mut n = 0;
    for (i, insn) in insns.iter().enumerate() {
        let at = InsnIdx(i as u32);
        let Some(insn) = insn else { continue };
        if *insn == Insn::LdImm64Tail {
            if theirs.contains_key(&at.0) {
                errs.push(format!(
                    "slot {i}: objdump prints a line for the second slot of a lddw"
                ));
            }
            continue;
        }
        let ours = printer.insn(insn, at);
        match theirs.get(&at.0) {
            Some(t) if norm(t) == norm(&ours) => n += 1,
            Some(t) => errs.push(format!(
                "slot {i}: ours `{ours}` vs objdump `{t}` ({insn:?})"
            )),
            None => errs.push(format!(
                "slot {i}: ours `{ours}`, objdump has no line ({insn:?})"
            )),
        }
    }
    if let Some(extra) = theirs.keys().find(|k| **k as usize >= insns.len()) {
        errs.push(format!(
            "objdump has a line at slot {extra}, past our {} slots",
            insns.len()
        ));
    }
    if errs.is_empty() {
        Ok(n)
    } else {
        Err(errs)
    }
}

/// ELF symbol type as llvm-objdump ranks symbols at one address (NOTYPE < OBJECT < FUNC).
fn elf_type(kind: SymbolKind) -> u8 {
    match kind {
        SymbolKind::Data => 1,
        SymbolKind::Text => 2,
        _ => 0,
    }
}

/// Checks one object; returns the number of instructions compared.
fn check_object(od: &Objdump, path: &Path) -> Result<usize, Vec<String>> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let file = object::File::parse(&*bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let dump = run_objdump(od, path);
    let mut n = 0;
    let mut errs = Vec::new();
    for section in file.sections() {
        if section.kind() != SectionKind::Text || section.size() == 0 {
            continue;
        }
        let name = section.name().unwrap_or("?").to_string();
        let data = section.data().unwrap_or_else(|e| panic!("{name}: {e}"));
        let insns = decode_lenient(data);
        let rejected = insns.iter().filter(|i| i.is_none()).count();
        if rejected > 0 {
            println!(
                "  {}: {name}: {rejected} slots our decoder rejects, not compared",
                path.display()
            );
        }
        let symbols: Vec<(u64, u8, String)> = file
            .symbols()
            .filter(|s| s.section_index() == Some(section.index()))
            .filter(|s| !matches!(s.kind(), SymbolKind::Section | SymbolKind::File))
            .map(|s| {
                (
                    s.address(),
                    elf_type(s.kind()),
                    s.name().unwrap_or("").to_string(),
                )
            })
            .collect();
        let lines = dump.get(&name).map_or(&[][..], |v| &v[..]);
        match compare_section(&insns, lines, &symbols, od.syntax) {
            Ok(k) => n += k,
            Err(e) => errs.extend(e.into_iter().map(|e| format!("{name}: {e}"))),
        }
    }
    if errs.is_empty() {
        Ok(n)
    } else {
        Err(errs)
    }
}

fn corpus_objects(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            corpus_objects(&p, out);
        } else if p.extension().is_some_and(|e| e == "o") {
            out.push(p);
        }
    }
}

fn report(what: &str, od: &Objdump, results: Vec<(String, Result<usize, Vec<String>>)>) {
    let mut failed = 0;
    let mut total = 0;
    for (name, res) in &results {
        match res {
            Ok(n) => {
                total += n;
                println!(
                    "{name}: {n} instructions equal to {} (LLVM {})",
                    od.cmd, od.version
                );
            }
            Err(errs) => {
                failed += 1;
                println!(
                    "{name}: {} mismatches with {} (LLVM {}):",
                    errs.len(),
                    od.cmd,
                    od.version
                );
                for e in errs.iter().take(40) {
                    println!("  {e}");
                }
            }
        }
    }
    println!(
        "{what}: {} objects, {total} instructions compared, {failed} failed",
        results.len()
    );
    assert_eq!(failed, 0, "disassembly differs from {}", od.cmd);
}

#[test]
fn corpus_disassembly_matches_llvm_objdump() {
    let Some(od) = objdump() else { return };
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus");
    let mut objects = Vec::new();
    corpus_objects(&root, &mut objects);
    if objects.is_empty() {
        println!("no *.o under {}: nothing compared", root.display());
    }
    let results = objects
        .iter()
        .map(|p| {
            let name = p.strip_prefix(&root).unwrap_or(p).display().to_string();
            (name, check_object(&od, p))
        })
        .collect();
    report("corpus", &od, results);
}

/// Every generated form, assembled by `llvm-mc` from raw bytes and disassembled by objdump.
#[test]
fn sample_forms_match_llvm_objdump() {
    let Some(od) = objdump() else { return };
    let mc = ["llvm-mc-19", "llvm-mc"]
        .into_iter()
        .find(|mc| Command::new(mc).arg("--version").output().is_ok());
    let Some(mc) = mc else {
        println!("llvm-mc is NOT installed: sample forms were NOT compared");
        assert!(
            std::env::var("BPFVET_ALLOW_NO_OBJDUMP").is_ok_and(|v| v == "1"),
            "no llvm-mc"
        );
        return;
    };
    let mut insns = samples();
    if od.syntax == Syntax::Llvm14 {
        // llvm-objdump 14 misdecodes `ld_pseudo r0, 2, 0` (and only that) as an 8-byte `lea`
        // whose operands are uninitialised memory, so there is nothing to compare it with.
        let misdecoded = |i: &Insn| matches!(i, Insn::LdImm64 { dst, src: PseudoSrc::MapValue, imm: 0, .. } if *dst == Reg::R0);
        let mut kept = Vec::new();
        let mut skip_tail = false;
        for insn in insns {
            if misdecoded(&insn) || (skip_tail && insn == Insn::LdImm64Tail) {
                skip_tail = misdecoded(&insn);
                continue;
            }
            skip_tail = false;
            kept.push(insn);
        }
        insns = kept;
    }
    let bytes = encode(&insns);
    let mut asm = String::from("\t.text\n\t.globl samples\nsamples:\n");
    for slot in bytes.chunks(8) {
        let list: Vec<String> = slot.iter().map(|b| format!("{b:#04x}")).collect();
        asm.push_str(&format!("\t.byte {}\n", list.join(", ")));
    }
    let dir = std::env::temp_dir().join(format!("bpfvet-objdump-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (s, o) = (dir.join("samples.s"), dir.join("samples.o"));
    std::fs::write(&s, asm).unwrap();
    let st = Command::new(mc)
        .args(["-triple", "bpfel", "-filetype=obj", "-o"])
        .arg(&o)
        .arg(&s)
        .status()
        .unwrap();
    assert!(st.success(), "{mc} failed");
    let res = check_object(&od, &o);
    let _ = std::fs::remove_dir_all(&dir);
    report("samples", &od, vec![("samples.o".to_string(), res)]);
}
