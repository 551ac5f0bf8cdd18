//! GitHub Actions workflow commands: one `::error` or `::warning` line per finding, at its C
//! source line when BTF has one (else at the object), so a CI job marks the offending lines.
//!
//! The message escaping follows the workflow-command rules: `%`, `\r` and `\n` in the message,
//! and additionally `:` and `,` in property values, are percent-encoded.

use super::Report;
use std::fmt::Write as _;

fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_prop(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// The annotation lines for a report.
pub fn annotations(report: &Report) -> String {
    let mut out = String::new();
    for o in &report.objects {
        for p in &o.programs {
            for f in p.findings.iter().chain(&p.warnings) {
                let level = if f.severity == "warning" {
                    "warning"
                } else {
                    "error"
                };
                let mut props = Vec::new();
                match &f.location {
                    Some(l) => {
                        props.push(format!("file={}", escape_prop(&l.file)));
                        props.push(format!("line={}", l.line));
                        if l.column > 0 {
                            props.push(format!("col={}", l.column));
                        }
                    }
                    None => props.push(format!("file={}", escape_prop(&o.path))),
                }
                props.push(format!(
                    "title={}",
                    escape_prop(&format!("bpfvet {} ({})", f.code, p.name))
                ));
                let mut msg = format!("{} (insn {}: {})", f.message, f.insn, f.instruction);
                if let Some(h) = &f.help {
                    let _ = write!(msg, "\nhelp: {h}");
                }
                if !f.kernel_message.is_empty() {
                    let _ = write!(msg, "\nkernel: {}", f.kernel_message);
                }
                let _ = writeln!(out, "::{level} {}::{}", props.join(","), escape_data(&msg));
            }
        }
    }
    out
}
