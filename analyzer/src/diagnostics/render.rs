//! Human rendering of [`Diagnostic`]s through codespan-reporting. codespan's types never leave
//! this module.
//!
//! Each label sits on the C source line BTF line_info names for its instruction, when the CLI
//! found that source file and its line still reads as BTF recorded it; otherwise it sits on a
//! disassembly listing of the program rendered as a source file, whose line `n + 1` is
//! instruction `n` (the second slot of a `lddw` gets its own line so the numbering holds).

use super::{insn_text, source_pos, Diagnostic, Severity};
use crate::isa::{Insn, InsnIdx};
use crate::program::Program;
use codespan_reporting::diagnostic as cs;
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::{self, termcolor};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::ops::Range;

/// Source texts the CLI found, by the path BTF records for them.
#[derive(Clone, Debug, Default)]
pub struct Sources {
    files: BTreeMap<String, String>,
}

impl Sources {
    pub fn new() -> Sources {
        Sources::default()
    }

    /// Adds the text of the file BTF calls `path`.
    pub fn insert(&mut self, path: impl Into<String>, text: impl Into<String>) {
        self.files.insert(path.into(), text.into());
    }

    pub fn get(&self, path: &str) -> Option<&str> {
        self.files.get(path).map(String::as_str)
    }
}

/// The distinct source files `prog`'s line info names, in first-use order.
pub fn source_files(prog: &Program) -> Vec<String> {
    let mut res: Vec<String> = Vec::new();
    for l in prog.line_info() {
        if !l.file.is_empty() && !res.contains(&l.file) {
            res.push(l.file.clone());
        }
    }
    res
}

/// How to render.
#[derive(Clone, Debug)]
pub struct Options {
    /// ANSI colours (never in snapshots).
    pub color: bool,
    /// The object's name as the user gave it, for the disassembly listing's title.
    pub object: String,
}

/// The files one program's diagnostics point into, and where each instruction is in them.
struct Files<'a> {
    db: SimpleFiles<String, String>,
    prog: &'a Program,
    sources: &'a Sources,
    by_name: BTreeMap<String, usize>,
    listing: usize,
    /// Byte range of each instruction's line in the listing.
    listing_lines: Vec<Range<usize>>,
}

impl<'a> Files<'a> {
    fn new(prog: &'a Program, sources: &'a Sources, object: &str) -> Files<'a> {
        let mut db = SimpleFiles::new();
        let (text, listing_lines) = listing(prog);
        let listing = db.add(format!("{object} [{}]", prog.name()), text);
        Files {
            db,
            prog,
            sources,
            by_name: BTreeMap::new(),
            listing,
            listing_lines,
        }
    }

    /// Where `insn` is shown: its C source line from the column BTF gives, or its listing line.
    fn span(&mut self, insn: InsnIdx) -> (usize, Range<usize>) {
        if let Some(s) = self.source_span(insn) {
            return s;
        }
        let r = self.listing_lines.get(insn.idx()).cloned().unwrap_or(0..0);
        let start = r.start + r.len().min(8);
        (self.listing, start..r.end)
    }

    fn source_span(&mut self, insn: InsnIdx) -> Option<(usize, Range<usize>)> {
        let (file, line, col) = source_pos(self.prog, insn)?;
        let text = self.sources.get(file)?;
        let (start, content) = nth_line(text, line as usize)?;
        let expected = self
            .prog
            .line_for(insn)
            .map(|l| l.text.trim())
            .unwrap_or_default();
        if !expected.is_empty() && content.trim() != expected {
            // The file on disk is not the one the object was built from.
            return None;
        }
        let trimmed_end = content.trim_end().len();
        let indent = content.len() - content.trim_start().len();
        let from = (col.saturating_sub(1) as usize)
            .max(indent)
            .min(trimmed_end.saturating_sub(1));
        let id = match self.by_name.get(file) {
            Some(id) => *id,
            None => {
                let id = self.db.add(file.to_string(), text.to_string());
                self.by_name.insert(file.to_string(), id);
                id
            }
        };
        Some((id, start + from..start + trimmed_end.max(from + 1)))
    }
}

/// The byte offset and text (without the newline) of 1-based line `n`.
fn nth_line(text: &str, n: usize) -> Option<(usize, &str)> {
    let mut off = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == n {
            return Some((off, l.trim_end_matches(['\n', '\r'])));
        }
        off += l.len();
    }
    None
}

/// The program as text, one line per slot: `  7: r1 = *(u64 *)(r0 + 0x0)`.
fn listing(prog: &Program) -> (String, Vec<Range<usize>>) {
    let mut text = String::new();
    let mut lines = Vec::with_capacity(prog.insns().len());
    for (at, insn) in prog.insns().iter().enumerate() {
        let start = text.len();
        let idx = InsnIdx(at as u32);
        let body = if matches!(insn, Insn::LdImm64Tail) {
            "(second slot of lddw)".to_string()
        } else {
            insn_text(prog, idx)
        };
        let _ = write!(text, "{at:>6}: {body}");
        lines.push(start..text.len());
        text.push('\n');
    }
    (text, lines)
}

/// Where the failing path went, as source lines: one line per branch decision, the last ten.
pub fn path_note(prog: &Program, d: &Diagnostic) -> Option<String> {
    if d.path.is_empty() {
        return None;
    }
    const SHOWN: usize = 10;
    let mut out = String::from("the failing path:");
    let skip = d.path.len().saturating_sub(SHOWN);
    if skip > 0 {
        let _ = write!(out, "\n  ... {skip} earlier branches");
    }
    for step in &d.path[skip..] {
        let tail_call = matches!(
            prog.insns().get(step.insn.idx()),
            Some(Insn::Call(crate::isa::CallTarget::Helper(
                super::provenance::TAIL_CALL
            )))
        );
        let dir = match (tail_call, step.taken) {
            (true, false) => "succeeds, and the subprogram returns the target program's r0",
            (true, true) => "fails, and the subprogram goes on",
            (false, true) => "jumps",
            (false, false) => "falls through",
        };
        let _ = write!(out, "\n  {} {dir}", where_is(prog, step.insn));
    }
    let _ = write!(out, "\n  {} fails", where_is(prog, d.insn));
    Some(out)
}

/// `file:line `text`` for an instruction with line info, else `insn N `asm``.
pub fn where_is(prog: &Program, insn: InsnIdx) -> String {
    match prog.line_for(insn) {
        Some(l) if l.line > 0 && !l.text.trim().is_empty() => {
            format!("{}:{} `{}`", l.file, l.line, l.text.trim())
        }
        Some(l) if l.line > 0 => format!("{}:{} (insn {insn})", l.file, l.line),
        _ => format!("insn {insn} `{}`", insn_text(prog, insn)),
    }
}

/// Renders `diags` of `prog` as codespan text, each followed by a blank line.
pub fn human(prog: &Program, diags: &[Diagnostic], sources: &Sources, opts: &Options) -> String {
    let mut files = Files::new(prog, sources, &opts.object);
    let config = term::Config::default();
    let mut out = String::new();
    for d in diags {
        let cd = to_codespan(prog, d, &mut files);
        if opts.color {
            let mut buf = termcolor::Buffer::ansi();
            if term::emit_to_write_style(&mut buf, &config, &files.db, &cd).is_ok() {
                out.push_str(&String::from_utf8_lossy(buf.as_slice()));
            }
        } else {
            let _ = term::emit_to_string(&mut out, &config, &files.db, &cd);
        }
    }
    out
}

fn to_codespan(prog: &Program, d: &Diagnostic, files: &mut Files<'_>) -> cs::Diagnostic<usize> {
    let severity = match d.severity {
        Severity::Error => cs::Severity::Error,
        Severity::Warning => cs::Severity::Warning,
    };
    let mut labels = Vec::new();
    let mut notes = Vec::new();
    if d.insn.idx() < prog.insns().len() {
        let (fid, range) = files.span(d.insn);
        labels.push(cs::Label::primary(fid, range).with_message(&d.primary));
    } else {
        // Nothing to point at (an empty program): the text stands alone.
        notes.push(d.primary.clone());
    }
    for l in &d.labels {
        let (fid, range) = files.span(l.insn);
        labels.push(cs::Label::secondary(fid, range).with_message(format!(
            "{} (insn {}: `{}`)",
            l.message,
            l.insn,
            insn_text(prog, l.insn)
        )));
    }
    for &at in &d.also_at {
        let (fid, range) = files.span(at);
        labels.push(
            cs::Label::secondary(fid, range)
                .with_message(format!("the same value is misused again here (insn {at})")),
        );
    }
    notes.extend(d.notes.iter().cloned());
    notes.extend(path_note(prog, d));
    if !d.kernel_message.is_empty() {
        notes.push(format!(
            "kernel: {}",
            d.kernel_message.replace('\n', "\n        ")
        ));
    }
    if let Some(h) = &d.help {
        notes.push(format!("help: {h}"));
    }
    cs::Diagnostic::new(severity)
        .with_code(d.code)
        .with_message(&d.message)
        .with_labels(labels)
        .with_notes(notes)
}
