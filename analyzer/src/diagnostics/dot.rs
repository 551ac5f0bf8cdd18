//! The control-flow graph as Graphviz DOT: one box per basic block labelled with its source
//! lines (or its first instruction when there is no line info), the failing path of the first
//! finding in red, blocks no path reaches in grey and dashed.

use super::render::where_is;
use crate::cfg::{BlockId, Cfg, EdgeKind};
use crate::isa::InsnIdx;
use crate::program::Program;
use std::collections::BTreeSet;
use std::fmt::Write as _;

/// What to highlight.
#[derive(Clone, Debug, Default)]
pub struct Highlight {
    /// Instructions on the failing path (from a [`super::provenance::walk`]).
    pub path: Vec<InsnIdx>,
    /// The faulting instruction.
    pub fault: Option<InsnIdx>,
    /// Instructions the verifier reached on some path (all when empty).
    pub reached: BTreeSet<InsnIdx>,
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('{', "\\{")
        .replace('}', "\\}")
        .replace('<', "\\<")
        .replace('>', "\\>")
        .replace('|', "\\|")
}

/// The block's label: its instruction range and each distinct source line in it.
fn block_label(prog: &Program, cfg: &Cfg, id: BlockId) -> String {
    let b = cfg.block(id);
    let mut lines: Vec<String> = Vec::new();
    let mut last = None;
    for at in b.start.0..=b.last.0 {
        if let Some(l) = prog.line_for(InsnIdx(at)) {
            let key = (l.file.clone(), l.line);
            if last.as_ref() != Some(&key) && !l.text.trim().is_empty() {
                lines.push(format!("{}: {}", l.line, l.text.trim()));
                last = Some(key);
            }
        }
    }
    if lines.is_empty() {
        lines.push(where_is(prog, b.start));
    }
    let body: Vec<String> = lines.iter().map(|l| escape(l)).collect();
    format!("insns {}..{}\\l{}\\l", b.start, b.last, body.join("\\l"))
}

/// The DOT text of `prog`'s control-flow graph.
pub fn dot(prog: &Program, cfg: &Cfg, hl: &Highlight) -> String {
    let on_path: BTreeSet<BlockId> = hl.path.iter().filter_map(|i| cfg.block_of(*i)).collect();
    let path_edges: BTreeSet<(BlockId, BlockId)> = hl
        .path
        .windows(2)
        .filter_map(|w| Some((cfg.block_of(w[0])?, cfg.block_of(w[1])?)))
        .filter(|(a, b)| a != b)
        .collect();
    let mut out = String::new();
    let _ = writeln!(out, "digraph \"{}\" {{", escape(prog.name()));
    let _ = writeln!(
        out,
        "  node [shape=record, fontname=\"monospace\", fontsize=10];"
    );
    for (id, b) in cfg.blocks() {
        let mut attrs = Vec::new();
        let reached = hl.reached.is_empty()
            || (b.start.0..=b.last.0).any(|i| hl.reached.contains(&InsnIdx(i)));
        if hl.fault.is_some_and(|f| cfg.block_of(f) == Some(id)) {
            attrs.push("color=red, penwidth=3, style=filled, fillcolor=\"#ffdddd\"".to_string());
        } else if on_path.contains(&id) {
            attrs.push("color=red, penwidth=2".to_string());
        } else if !reached {
            attrs.push(
                "style=\"dashed,filled\", fillcolor=\"#eeeeee\", fontcolor=gray40".to_string(),
            );
        }
        let mut label = block_label(prog, cfg, id);
        if !reached {
            label.push_str("(unreachable)\\l");
        }
        let extra = if attrs.is_empty() {
            String::new()
        } else {
            format!(", {}", attrs.join(", "))
        };
        let _ = writeln!(out, "  b{} [label=\"{{{label}}}\"{extra}];", id.0);
    }
    for (id, _) in cfg.blocks() {
        for (to, kind) in cfg.succs(id) {
            let mut attrs = vec![match kind {
                EdgeKind::Taken => "label=\"T\"",
                EdgeKind::FallThrough => "label=\"F\"",
            }
            .to_string()];
            if path_edges.contains(&(id, to)) {
                attrs.push("color=red, penwidth=2".to_string());
            }
            let _ = writeln!(out, "  b{} -> b{} [{}];", id.0, to.0, attrs.join(", "));
        }
    }
    out.push_str("}\n");
    out
}
