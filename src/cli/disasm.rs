//! `bpfvet disasm`: each program's instructions in llvm-objdump's syntax, with the C source
//! line above the instructions it produced and relocations shown by name. A slot that does not
//! decode is listed as `<unknown>` with its bytes and the reason; the rest is listed as usual.

use super::load::{is_embedded, load_objects_lenient, select};
use bpfvet_analyzer::isa::text::{Printer, Syntax};
use bpfvet_analyzer::isa::{Insn, InsnIdx};
use bpfvet_analyzer::program::{Object, Program, RelocTarget};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// A BPF ELF object file, or an executable with BPF objects embedded (libbpf skeletons).
    file: PathBuf,
    /// Show only the program with this name.
    #[arg(long)]
    program: Option<String>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let objs = load_objects_lenient(&args.file)?;
    let mut out = String::new();
    let wanted = args.program.as_deref();
    let mut listed = 0;
    for named in &objs {
        let obj = &named.item;
        let embedded = is_embedded(&named.name, &args.file);
        // In an executable, `--program` picks the embedded objects that have it.
        if embedded && wanted.is_some_and(|n| obj.program(n).is_none()) {
            continue;
        }
        if embedded {
            let _ = writeln!(out, "{}:\n", named.name);
        }
        for prog in select(obj, &args.file, wanted)? {
            render(&mut out, obj, prog);
            listed += 1;
        }
    }
    if listed == 0 && objs.len() > 1 {
        if let Some(n) = wanted {
            anyhow::bail!(
                "{}: no embedded BPF object has a program named {n:?}",
                args.file.display()
            );
        }
    }
    print!("{out}");
    Ok(ExitCode::SUCCESS)
}

/// Labels for jump targets: `LBB<n>` in instruction order, as a reader wants to follow them.
fn jump_labels(insns: &[Insn]) -> Vec<Option<String>> {
    let mut labels = vec![None; insns.len()];
    for (at, insn) in insns.iter().enumerate() {
        if let Some(off) = insn.jump_offset() {
            if let Some(t) = InsnIdx(at as u32).jump(off) {
                if let Some(l) = labels.get_mut(t.idx()) {
                    *l = Some(String::new());
                }
            }
        }
    }
    for (n, l) in labels.iter_mut().flatten().enumerate() {
        *l = format!("L{n}");
    }
    labels
}

fn render(out: &mut String, obj: &Object, prog: &Program) {
    let ty = prog.prog_type().map_or("unknown", |t| t.name());
    let _ = writeln!(
        out,
        "{} (section {}, type {ty}, {} insns):",
        prog.name(),
        prog.section(),
        prog.insns().len()
    );
    let insns = prog.insns();
    let labels = jump_labels(insns);
    let lookup = |t: i64| {
        usize::try_from(t)
            .ok()
            .and_then(|t| labels.get(t).cloned().flatten())
    };
    let printer = Printer::new(Syntax::Bpfvet).with_labels(&lookup);
    let mut last_line = None;
    for (at, insn) in insns.iter().enumerate() {
        if matches!(insn, Insn::LdImm64Tail) {
            continue;
        }
        let idx = InsnIdx(at as u32);
        if let Some(sp) = prog.subprogs().iter().find(|s| s.start == idx) {
            let _ = writeln!(out, "{}:", sp.name);
        }
        if let Some(li) = prog.line_for(idx) {
            let key = (li.file.clone(), li.line);
            if last_line.as_ref() != Some(&key) {
                let text = li.text.trim();
                if !text.is_empty() {
                    let _ = writeln!(out, "; {text}   [{}:{}]", li.file, li.line);
                }
                last_line = Some(key);
            }
        }
        if let Some(l) = &labels[at] {
            let _ = writeln!(out, "{l}:");
        }
        if let Some(u) = prog.undecoded().iter().find(|u| u.insn == idx) {
            // As llvm-objdump marks what it cannot decode, with the bytes and why.
            let b = u.bytes;
            let what = u.err.to_string();
            let what = what.split_once(": ").map_or(what.as_str(), |(_, w)| w);
            let _ = writeln!(
                out,
                "{at:>6}: <unknown>  ; {:02x} {:02x} {:02x} {:02x} {:02x} {:02x} {:02x} {:02x}: {what}",
                b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]
            );
            continue;
        }
        let text = printer.insn(insn, idx);
        let note = prog
            .reloc_at(idx)
            .map(|r| reloc_note(obj, r))
            .unwrap_or_default();
        let _ = writeln!(out, "{at:>6}: {text}{note}");
    }
    let _ = writeln!(out);
}

fn reloc_note(obj: &Object, r: &RelocTarget) -> String {
    match r {
        RelocTarget::Map { name, .. } => format!("  ; map {name}"),
        RelocTarget::GlobalData {
            section,
            var,
            offset,
            map,
        } => {
            let map_name = obj.map(*map).map_or(section.as_str(), |m| m.name.as_str());
            match var {
                Some(v) => format!("  ; &{v} ({map_name} + {offset})"),
                None => format!("  ; {map_name} + {offset}"),
            }
        }
        RelocTarget::Subprog { name, .. } => format!("  ; {name}"),
        RelocTarget::Extern { name } => format!("  ; extern {name}"),
    }
}
