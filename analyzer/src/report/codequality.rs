//! GitLab Code Quality reports (the Code Climate issue format GitLab reads from a job's
//! `artifacts:reports:codequality`): one issue per finding, at its C source line when BTF has
//! one (else at the object, line 1), so merge requests show the findings beside the diff.
//!
//! GitLab matches issues between the base and the head of a merge request by `fingerprint`, so
//! it is built from what identifies a finding (object, program, code, instruction), not from
//! its message text.

use super::Report;
use serde::Serialize;

#[derive(Serialize)]
struct Issue {
    description: String,
    check_name: String,
    fingerprint: String,
    /// `info`, `minor`, `major`, `critical` or `blocker`.
    severity: &'static str,
    location: Location,
}

#[derive(Serialize)]
struct Location {
    path: String,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: u32,
}

/// 64-bit FNV-1a: a stable hash whose value does not depend on the Rust version or the
/// platform, so fingerprints stay the same across bpfvet builds.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The Code Quality JSON array for a report.
pub fn to_json(report: &Report) -> String {
    let mut issues = Vec::new();
    for o in &report.objects {
        for p in &o.programs {
            for f in p.findings.iter().chain(&p.warnings) {
                let (path, line) = f
                    .location
                    .as_ref()
                    .map_or((o.path.clone(), 1), |l| (l.file.clone(), l.line.max(1)));
                let mut description = format!("{} ({}): {}", p.name, f.code, f.message);
                if !f.kernel_message.is_empty() {
                    description.push_str(&format!(" [kernel: {}]", f.kernel_message));
                }
                let key = format!("{}\u{0}{}\u{0}{}\u{0}{}", o.path, p.name, f.code, f.insn);
                issues.push(Issue {
                    description,
                    check_name: format!("bpfvet/{}", f.code),
                    fingerprint: format!("{:016x}", fnv1a(&key)),
                    severity: if f.severity == "warning" {
                        "minor"
                    } else {
                        "major"
                    },
                    location: Location {
                        path,
                        lines: Lines { begin: line },
                    },
                });
            }
        }
    }
    serde_json::to_string_pretty(&issues).unwrap_or_else(|e| format!("[] // {e}"))
}

#[cfg(test)]
mod tests {
    use super::fnv1a;

    #[test]
    fn fingerprints_use_the_published_fnv1a_constants() {
        // Test vectors of FNV-1a 64 (the empty string is the offset basis).
        assert_eq!(fnv1a(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a("a"), 0xaf63_dc4c_8601_ec8c);
    }
}
