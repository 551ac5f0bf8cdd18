//! SARIF 2.1.0 through the `serde-sarif` crate: one rule per finding code (with its summary and
//! its fix), one result per finding, located at its C source line when BTF has one (else at the
//! object file), with the provenance labels as related locations and the failing path as a
//! code flow.

use super::{Finding, InsnLocation, Report};
use crate::diagnostics::{help, warnings::WARNING_CODES};
use crate::verifier::violation::Code;
use serde_sarif::sarif as s;

/// The SARIF schema URI written into the log.
pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// Every rule: the verifier's codes, then the warnings.
fn rules() -> Vec<s::ReportingDescriptor> {
    let mut res: Vec<s::ReportingDescriptor> = Code::ALL
        .iter()
        .map(|c| {
            let fix = help::help_for(*c, None).unwrap_or_default();
            s::ReportingDescriptor::builder()
                .id(c.name())
                .name(c.name())
                .short_description(
                    s::MultiformatMessageString::builder()
                        .text(c.summary())
                        .build(),
                )
                .help(s::MultiformatMessageString::builder().text(fix).build())
                .build()
        })
        .collect();
    for w in WARNING_CODES {
        res.push(
            s::ReportingDescriptor::builder()
                .id(*w)
                .name(*w)
                .short_description(
                    s::MultiformatMessageString::builder()
                        .text(crate::diagnostics::warnings::summary(w))
                        .build(),
                )
                .default_configuration(
                    s::ReportingConfiguration::builder()
                        .level(serde_json::json!("warning"))
                        .build(),
                )
                .build(),
        );
    }
    res
}

fn location(object: &str, at: &InsnLocation, message: Option<&str>) -> s::Location {
    let phys = match &at.location {
        Some(l) => {
            let mut region = s::Region::builder().start_line(i64::from(l.line)).build();
            if l.column > 0 {
                region.start_column = Some(i64::from(l.column));
            }
            s::PhysicalLocation::builder()
                .artifact_location(s::ArtifactLocation::builder().uri(l.file.clone()).build())
                .region(region)
                .build()
        }
        None => s::PhysicalLocation::builder()
            .artifact_location(
                s::ArtifactLocation::builder()
                    .uri(object.to_string())
                    .build(),
            )
            .build(),
    };
    let mut loc = s::Location::builder().physical_location(phys).build();
    let text = match message {
        Some(m) => format!("{m} (insn {}: `{}`)", at.insn, at.instruction),
        None => format!("insn {}: `{}`", at.insn, at.instruction),
    };
    loc.message = Some(s::Message::builder().text(text).build());
    loc
}

fn result(object: &str, program: &str, f: &Finding, rule_index: Option<usize>) -> s::Result {
    let primary = InsnLocation {
        insn: f.insn,
        instruction: f.instruction.clone(),
        location: f.location.clone(),
    };
    let mut text = format!("{} [{program}]", f.message);
    if !f.kernel_message.is_empty() {
        text.push_str(&format!("\nkernel: {}", f.kernel_message));
    }
    if let Some(h) = &f.help {
        text.push_str(&format!("\nhelp: {h}"));
    }
    let mut r = s::Result::builder()
        .rule_id(f.code)
        .message(s::Message::builder().text(text).build())
        .locations(vec![location(object, &primary, None)])
        .build();
    r.level = Some(if f.severity == "warning" {
        s::ResultLevel::Warning
    } else {
        s::ResultLevel::Error
    });
    r.rule_index = rule_index.and_then(|i| i64::try_from(i).ok());
    if !f.labels.is_empty() {
        r.related_locations = Some(
            f.labels
                .iter()
                .map(|l| location(object, &l.at, Some(&l.message)))
                .collect(),
        );
    }
    if !f.path.is_empty() {
        let mut steps: Vec<s::ThreadFlowLocation> = f
            .path
            .iter()
            .map(|p| {
                let dir = if p.taken {
                    "the branch jumps"
                } else {
                    "the branch falls through"
                };
                s::ThreadFlowLocation::builder()
                    .location(location(object, &p.at, Some(dir)))
                    .build()
            })
            .collect();
        steps.push(
            s::ThreadFlowLocation::builder()
                .location(location(object, &primary, Some("fails here")))
                .build(),
        );
        let flow = s::ThreadFlow::builder().locations(steps).build();
        r.code_flows = Some(vec![s::CodeFlow::builder()
            .thread_flows(vec![flow])
            .build()]);
    }
    r
}

/// The SARIF log of a report.
pub fn sarif(report: &Report) -> s::Sarif {
    let rules = rules();
    let mut results = Vec::new();
    for o in &report.objects {
        for p in &o.programs {
            for f in p.findings.iter().chain(&p.warnings) {
                let idx = rules.iter().position(|r| r.id == f.code);
                let mut r = result(&o.path, &p.name, f, idx);
                // The kernel gives up, bpfvet proves it safe: both verdicts on the one result.
                if let (Some(own), "program-too-complex") = (&p.own_verdict, f.code) {
                    if let Some(m) = r.message.text.as_mut() {
                        for line in own.lines() {
                            m.push('\n');
                            m.push_str(&line);
                        }
                    }
                }
                results.push(r);
            }
        }
    }
    let driver = s::ToolComponent::builder()
        .name("bpfvet")
        .version(env!("CARGO_PKG_VERSION"))
        .rules(rules)
        .build();
    let run = s::Run::builder().tool(driver).results(results).build();
    s::Sarif::builder()
        .version(serde_json::json!("2.1.0"))
        .schema(SCHEMA)
        .runs(vec![run])
        .build()
}

/// The SARIF log as pretty JSON.
pub fn to_json(report: &Report) -> String {
    serde_json::to_string_pretty(&sarif(report)).unwrap_or_default()
}
