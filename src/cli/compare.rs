//! `bpfvet compare BASE.json NEW.json`: two `check --format json` reports side by side, in the
//! spirit of veristat's `-C`. Per program (object path and name): the verdict change and the
//! change in processed instructions, states, peak states and stack depth. `--fail-on` turns
//! chosen changes into exit code 1, so a CI job catches the commit that pushes a program toward
//! the kernel's 1M-instruction budget before the kernel refuses it.
//!
//! Exit codes: 0 nothing `--fail-on` names happened, 1 something did, 2 unreadable input.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use serde::Serialize;

#[derive(clap::Args, Debug)]
#[command(
    after_help = "Thresholds (--fail-on, comma-separated): `verdict` (a program accepted \
in BASE is rejected in NEW), `new` / `gone` (a program appears / disappears), or \
METRIC+N% / METRIC+N (growth of processed (or its other name insns), states, peak_states or \
stack beyond N percent or N units), e.g. --fail-on verdict,insns+10%.\n\
Exit codes: 0 no threshold crossed, 1 some threshold crossed, 2 unreadable input."
)]
pub struct Args {
    /// The baseline report (`bpfvet check --format json` of the old build).
    base: PathBuf,
    /// The new report.
    new: PathBuf,
    /// Which changes fail the comparison (see below).
    #[arg(long, value_delimiter = ',', value_name = "RULE,...")]
    fail_on: Vec<String>,
    /// Print every program, not only those that changed.
    #[arg(long)]
    all: bool,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    /// A table of changed programs and the thresholds crossed.
    Human,
    /// Every program with both sides' figures and the rules it broke.
    Json,
}

/// What a report says about one program.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
struct Side {
    verdict: String,
    processed: u64,
    states: u64,
    peak_states: u64,
    /// The deepest function's stack, in bytes.
    stack: u64,
}

/// The figures compared, by name; `insns` is another name for `processed` (the kernel's
/// "processed N insns", veristat's `insns` column).
const METRICS: [&str; 5] = ["processed", "insns", "states", "peak_states", "stack"];

impl Side {
    fn metric(&self, name: &str) -> u64 {
        match name {
            "processed" | "insns" => self.processed,
            "states" => self.states,
            "peak_states" => self.peak_states,
            _ => self.stack,
        }
    }
}

/// One `--fail-on` rule.
#[derive(Clone, Debug, PartialEq)]
enum Rule {
    Verdict,
    New,
    Gone,
    /// The metric grew by more than this many percent of the baseline.
    Percent(&'static str, f64),
    /// The metric grew by more than this many units.
    Units(&'static str, u64),
}

fn parse_rule(s: &str) -> anyhow::Result<Rule> {
    match s {
        "verdict" => return Ok(Rule::Verdict),
        "new" => return Ok(Rule::New),
        "gone" => return Ok(Rule::Gone),
        _ => {}
    }
    let (name, limit) = s.split_once('+').ok_or_else(|| {
        anyhow::anyhow!("--fail-on {s:?}: want verdict, new, gone or METRIC+N[%]")
    })?;
    let metric = METRICS
        .iter()
        .copied()
        .find(|m| *m == name)
        .ok_or_else(|| {
            anyhow::anyhow!("--fail-on {s:?}: unknown metric {name:?} (known: {METRICS:?})")
        })?;
    Ok(match limit.strip_suffix('%') {
        Some(p) => Rule::Percent(
            metric,
            p.parse()
                .map_err(|_| anyhow::anyhow!("--fail-on {s:?}: {p:?} is not a number"))?,
        ),
        None => Rule::Units(
            metric,
            limit
                .parse()
                .map_err(|_| anyhow::anyhow!("--fail-on {s:?}: {limit:?} is not a number"))?,
        ),
    })
}

/// The rules `base` → `new` breaks, as text.
fn broken(rules: &[Rule], base: Option<&Side>, new: Option<&Side>) -> Vec<String> {
    let mut out = Vec::new();
    for rule in rules {
        match (rule, base, new) {
            (Rule::Verdict, Some(b), Some(n)) if b.verdict == "accept" && n.verdict != "accept" => {
                out.push("verdict: accepted before, rejected now".to_owned());
            }
            (Rule::New, None, Some(_)) => out.push("new: not in the baseline".to_owned()),
            (Rule::Gone, Some(_), None) => out.push("gone: not in the new report".to_owned()),
            (Rule::Percent(m, p), Some(b), Some(n)) => {
                let (old, now) = (b.metric(m), n.metric(m));
                let grew = now.saturating_sub(old) as f64;
                if now > old && grew * 100.0 > p * old as f64 {
                    out.push(format!("{m}+{p}%: {old} -> {now}"));
                }
            }
            (Rule::Units(m, u), Some(b), Some(n)) => {
                let (old, now) = (b.metric(m), n.metric(m));
                if now > old && now - old > *u {
                    out.push(format!("{m}+{u}: {old} -> {now}"));
                }
            }
            _ => {}
        }
    }
    out
}

/// The programs of a report by (object path, program name).
fn read(path: &PathBuf) -> anyhow::Result<BTreeMap<(String, String), Side>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let doc: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("{}: not a JSON report", path.display()))?;
    let objects = doc["objects"].as_array().ok_or_else(|| {
        anyhow::anyhow!(
            "{}: no `objects` array: not a `bpfvet check --format json` report",
            path.display()
        )
    })?;
    let mut out = BTreeMap::new();
    for o in objects {
        let object = o["path"].as_str().unwrap_or("").to_owned();
        for p in o["programs"].as_array().into_iter().flatten() {
            let s = &p["stats"];
            let n = |k: &str| s[k].as_u64().unwrap_or(0);
            let side = Side {
                verdict: p["verdict"].as_str().unwrap_or("").to_owned(),
                processed: n("processed"),
                states: n("states"),
                peak_states: n("peak_states"),
                stack: s["stack_depth"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(serde_json::Value::as_u64)
                    .max()
                    .unwrap_or(0),
            };
            out.insert(
                (object.clone(), p["name"].as_str().unwrap_or("").to_owned()),
                side,
            );
        }
    }
    Ok(out)
}

#[derive(Serialize)]
struct Row {
    object: String,
    program: String,
    base: Option<Side>,
    new: Option<Side>,
    broken: Vec<String>,
}

/// `old -> new (+d%)`, or the value alone when unchanged.
fn delta(old: u64, new: u64) -> String {
    if old == new {
        return new.to_string();
    }
    let pct = if old == 0 {
        String::new()
    } else {
        format!(" ({:+.1}%)", (new as f64 - old as f64) * 100.0 / old as f64)
    };
    format!("{old} -> {new}{pct}")
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let rules = args
        .fail_on
        .iter()
        .map(|s| parse_rule(s))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let (base, new) = (read(&args.base)?, read(&args.new)?);
    let mut keys: Vec<&(String, String)> = base.keys().chain(new.keys()).collect();
    keys.sort();
    keys.dedup();
    let rows: Vec<Row> = keys
        .into_iter()
        .map(|k| Row {
            object: k.0.clone(),
            program: k.1.clone(),
            base: base.get(k).cloned(),
            new: new.get(k).cloned(),
            broken: broken(&rules, base.get(k), new.get(k)),
        })
        .collect();
    let failed = rows.iter().any(|r| !r.broken.is_empty());
    let out = match args.format {
        Format::Json => serde_json::to_string_pretty(&rows)? + "\n",
        Format::Human => human(&rows, args.all),
    };
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(out.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        r => r?,
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn human(rows: &[Row], all: bool) -> String {
    let mut out = String::new();
    let (mut changed, mut crossed) = (0, 0);
    let (mut old_total, mut new_total) = (0u64, 0u64);
    for r in rows {
        old_total += r.base.as_ref().map_or(0, |s| s.processed);
        new_total += r.new.as_ref().map_or(0, |s| s.processed);
        let same = r.base == r.new;
        changed += usize::from(!same);
        crossed += usize::from(!r.broken.is_empty());
        if same && !all && r.broken.is_empty() {
            continue;
        }
        let figures = match (&r.base, &r.new) {
            (Some(b), Some(n)) => format!(
                "{}{}, processed {}, states {}, peak {}, stack {}",
                b.verdict,
                if b.verdict == n.verdict {
                    String::new()
                } else {
                    format!(" -> {}", n.verdict)
                },
                delta(b.processed, n.processed),
                delta(b.states, n.states),
                delta(b.peak_states, n.peak_states),
                delta(b.stack, n.stack)
            ),
            (None, Some(n)) => format!("new: {}, processed {}", n.verdict, n.processed),
            (Some(b), None) => format!("gone (was {}, processed {})", b.verdict, b.processed),
            (None, None) => String::new(),
        };
        let _ = writeln!(out, "{} {}: {figures}", r.object, r.program);
        for b in &r.broken {
            let _ = writeln!(out, "  FAIL {b}");
        }
    }
    let _ = writeln!(
        out,
        "{} programs, {changed} changed, {crossed} crossed a threshold; processed in total {}",
        rows.len(),
        delta(old_total, new_total)
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn side(verdict: &str, processed: u64) -> Side {
        Side {
            verdict: verdict.into(),
            processed,
            ..Side::default()
        }
    }

    #[test]
    fn rules_parse_and_catch_growth_and_verdict_changes() {
        let rules: Vec<Rule> = ["verdict", "processed+10%", "states+5", "new"]
            .iter()
            .map(|s| parse_rule(s).expect("rule"))
            .collect();
        let (a, b) = (side("accept", 100), side("accept", 111));
        assert_eq!(broken(&rules, Some(&a), Some(&b)).len(), 1);
        assert!(broken(&rules, Some(&a), Some(&side("accept", 110))).is_empty());
        assert_eq!(
            broken(&rules, Some(&a), Some(&side("reject", 100))),
            ["verdict: accepted before, rejected now"]
        );
        assert_eq!(broken(&rules, None, Some(&a)).len(), 1);
        assert!(parse_rule("cycles+1").is_err());
        assert!(parse_rule("processed+ten%").is_err());
        assert!(parse_rule("nonsense").is_err());
    }
}
