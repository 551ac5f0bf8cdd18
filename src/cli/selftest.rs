//! `bpfvet test`: runs verifier tests written in the style of the kernel's BPF selftests
//! offline. Each program's expectations come from its BTF decl tags
//! (`bpfvet_analyzer::test_spec`); per mode (privileged, unprivileged) the verdict, the log
//! messages in order, and the return value of one run on a zeroed 64-byte input (as
//! `BPF_PROG_TEST_RUN` makes it, on both the interpreter and the JIT) are compared.
//!
//! bpfvet's log for a program is its analysis in the kernel's level-2 syntax (`explain
//! --format kernel`) followed by the kernel's message of each finding, so messages about
//! states, instructions and errors can all be found.
//!
//! Exit codes: 0 every test passed (or was skipped, with its reason), 1 some test failed,
//! 2 bad input (unreadable object, no BTF, no test tags, a malformed tag).

use anyhow::Context as _;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use bpfvet_analyzer::cfg;
use bpfvet_analyzer::diagnostics::explain::{Explainer, Syntax};
use bpfvet_analyzer::program::{Object, Program};
use bpfvet_analyzer::test_spec::{Expect, TestSpec};
use bpfvet_analyzer::verifier::env::{Input as VerifyInput, Options};
use bpfvet_analyzer::verifier::{verify_observed, verify_program, Verdict};
use serde::Serialize;

use super::check::rules_for;
use super::load::{core_relocate, load_object};
use super::test_run::{check_retval, map_entries, object_entries, MapEntry, RunSetup};

#[derive(clap::Args, Debug)]
#[command(
    after_help = "Expectations are BTF decl tags `comment:test_*` on each program \
(the selftests' __success, __failure, __msg, __retval, __log_level, __flag, __auxiliary, \
*_unpriv). A program without a verdict tag is expected to load, as in the kernel's test_loader.\n\
Exit codes: 0 all passed or skipped, 1 some test failed, 2 bad input."
)]
pub struct Args {
    /// BPF ELF objects with selftests-style expectations in their BTF.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Only the test with this function name.
    #[arg(long)]
    program: Option<String>,
    /// Run only the unprivileged mode (of tests that have one).
    #[arg(long, conflicts_with = "both")]
    unprivileged: bool,
    /// Run both modes (the unprivileged one where a test has it).
    #[arg(long)]
    both: bool,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Show bpfvet's kernel-style log (what `__msg` expectations are matched against) for
    /// each test that did not pass (in JSON: for every test that ran).
    #[arg(long)]
    log: bool,
    /// Kernel BTF for BTF-typed contexts and CO-RE (default: the running kernel's).
    #[arg(long, value_name = "FILE")]
    btf: Option<PathBuf>,
    /// Write a map entry before each `__retval` run, as a test harness's pre-execution
    /// callback does: `--map NAME KEY=VALUE` (repeatable; in every object with a map of that
    /// name; KEY and VALUE as `bpfvet run --map` takes them).
    #[arg(long, num_args = 2, value_names = ["NAME", "KEY=VALUE"], action = clap::ArgAction::Append)]
    map: Vec<String>,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    /// One line per test that did not pass, and a summary.
    Human,
    /// Every test with its result.
    Json,
}

/// One test in one mode.
#[derive(Serialize)]
struct Outcome {
    object: String,
    program: String,
    mode: &'static str,
    /// `pass`, `fail` or `skip`.
    result: &'static str,
    /// bpfvet's verdict in this mode (`accept`, `reject`), when the test ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    verdict: Option<&'static str>,
    /// The test's expected verdict in this mode (`accept`, `reject`).
    expected: &'static str,
    /// How many log messages the test expects in this mode.
    msgs: usize,
    /// What differed (fail), why it was not run (skip), or what was not checked (pass).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    notes: Vec<String>,
    /// The kernel's text of bpfvet's first finding, when it rejects (the last line is what the
    /// kernel's log ends with).
    #[serde(skip_serializing_if = "Option::is_none")]
    finding: Option<String>,
    /// bpfvet's kernel-style log for this mode (with `--log`).
    #[serde(skip_serializing_if = "Option::is_none")]
    log: Option<String>,
}

#[derive(Serialize)]
struct Doc {
    tests: Vec<Outcome>,
    passed: usize,
    failed: usize,
    skipped: usize,
}

/// Load flags a test may ask for, and whether bpfvet's analysis honours each: on x86-64 the
/// kernel does not require aligned accesses, so `BPF_F_ANY_ALIGNMENT` changes nothing there;
/// `BPF_F_TEST_STATE_FREQ` changes where states are kept, not verdicts; strict alignment and
/// the register-invariant checks are options of the analysis (`load_flag_options`).
fn flag_modelled(flag: &str) -> bool {
    matches!(
        flag,
        "BPF_F_ANY_ALIGNMENT"
            | "BPF_F_TEST_STATE_FREQ"
            | "BPF_F_TEST_RND_HI32"
            | "BPF_F_STRICT_ALIGNMENT"
            | "BPF_F_TEST_REG_INVARIANTS"
    )
}

/// `BPF_PROG_LOAD` flag bits by the names `__flag(...)` uses (include/uapi/linux/bpf.h).
const LOAD_FLAG_BITS: [(&str, u32); 8] = [
    ("BPF_F_STRICT_ALIGNMENT", 1 << 0),
    ("BPF_F_ANY_ALIGNMENT", 1 << 1),
    ("BPF_F_TEST_RND_HI32", 1 << 2),
    ("BPF_F_TEST_STATE_FREQ", 1 << 3),
    ("BPF_F_SLEEPABLE", 1 << 4),
    ("BPF_F_XDP_HAS_FRAGS", 1 << 5),
    ("BPF_F_XDP_DEV_BOUND_ONLY", 1 << 6),
    ("BPF_F_TEST_REG_INVARIANTS", 1 << 7),
];

/// The load flags each test program of the object at `path` asks for (`__flag(...)`), by
/// program name, as bits: `bpfvet kernel --test-flags` loads each test as the selftests'
/// loader does. An object bpfvet cannot read, or one without tags, asks for none; a flag name
/// not in the uapi table is an error rather than a load that silently differs.
pub fn test_load_flags(path: &Path) -> anyhow::Result<std::collections::BTreeMap<String, u32>> {
    let mut out = std::collections::BTreeMap::new();
    let Ok(obj) = load_object(path) else {
        return Ok(out);
    };
    let Some(btf) = obj.btf() else {
        return Ok(out);
    };
    for prog in obj.programs() {
        let Ok(Some(spec)) = TestSpec::of_function(btf, prog.name()) else {
            continue;
        };
        let mut bits = 0;
        for name in &spec.prog_flags {
            let (_, bit) = LOAD_FLAG_BITS
                .iter()
                .find(|(n, _)| n == name)
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "{}: {}: unknown load flag {name}",
                        path.display(),
                        prog.name()
                    )
                })?;
            bits |= bit;
        }
        if bits != 0 {
            out.insert(prog.name().to_owned(), bits);
        }
    }
    Ok(out)
}

/// `base` with the options the load flags of `prog`'s `__flag(...)` tag ask for (none when the
/// object has no BTF or the program no tags): `bpfvet check --test-flags`.
pub(super) fn test_options(obj: &Object, prog: &Program, base: &Options) -> Options {
    let mut opts = base.clone();
    if let Some(Ok(Some(spec))) = obj.btf().map(|b| TestSpec::of_function(b, prog.name())) {
        load_flag_options(&spec.prog_flags, &mut opts);
    }
    opts
}

/// The analysis options a test's load flags ask for.
fn load_flag_options(flags: &[String], opts: &mut Options) {
    for f in flags {
        match f.as_str() {
            "BPF_F_STRICT_ALIGNMENT" => opts.strict_alignment = true,
            "BPF_F_TEST_REG_INVARIANTS" => opts.reg_invariants = true,
            _ => {}
        }
    }
    // As in the kernel, "any alignment" wins over "strict" whatever their order.
    if flags.iter().any(|f| f == "BPF_F_ANY_ALIGNMENT") {
        opts.strict_alignment = false;
    }
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let entries = map_entries(&args.map)?;
    let mut tests = Vec::new();
    let mut named = vec![false; entries.len()];
    for path in &args.files {
        test_object(path, &args, &entries, &mut named, &mut tests)?;
    }
    if let Some(e) = entries.iter().zip(&named).find(|(_, n)| !**n) {
        anyhow::bail!("--map {}: no object given has a map of that name", e.0.map);
    }
    let count = |r: &str| tests.iter().filter(|t| t.result == r).count();
    let doc = Doc {
        passed: count("pass"),
        failed: count("fail"),
        skipped: count("skip"),
        tests,
    };
    let out = match args.format {
        Format::Json => serde_json::to_string_pretty(&doc)? + "\n",
        Format::Human => {
            let mut out = String::new();
            for t in doc.tests.iter().filter(|t| t.result != "pass") {
                let _ = writeln!(
                    out,
                    "{} {} {} ({}): {}",
                    t.result.to_uppercase(),
                    t.object,
                    t.program,
                    t.mode,
                    t.notes.join("; ")
                );
                if let Some(log) = &t.log {
                    for line in log.lines() {
                        let _ = writeln!(out, "    | {line}");
                    }
                }
            }
            let _ = writeln!(
                out,
                "{} passed, {} failed, {} skipped",
                doc.passed, doc.failed, doc.skipped
            );
            out
        }
    };
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(out.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(ExitCode::SUCCESS),
        r => r?,
    }
    Ok(if doc.failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The specs of every program of `obj` (of `only`, when given). A program without tags in an
/// object that has tests is a test expecting success, as in the kernel's loader.
fn specs<'a>(
    obj: &'a Object,
    path: &Path,
    only: Option<&str>,
) -> anyhow::Result<Vec<(&'a Program, TestSpec)>> {
    let btf = obj.btf().ok_or_else(|| {
        anyhow::anyhow!(
            "{}: no BTF: test expectations are BTF decl tags (compile with -g and keep .BTF)",
            path.display()
        )
    })?;
    let mut out = Vec::new();
    let mut tagged = false;
    for prog in super::load::select(obj, path, only)? {
        let spec = TestSpec::of_function(btf, prog.name())
            .map_err(|e| anyhow::anyhow!("{}: {}: {e}", path.display(), prog.name()))?;
        tagged |= spec.is_some();
        out.push((prog, spec.unwrap_or_default()));
    }
    let any_tag = tagged
        || btf
            .decl_tags()
            .any(|(_, _, s)| s.starts_with("comment:test_"));
    anyhow::ensure!(
        any_tag,
        "{}: no test tags (`comment:test_*` decl tags, the selftests' __success/__failure/__msg): \
         not a test object; `bpfvet check` verifies programs without expectations",
        path.display()
    );
    Ok(out)
}

fn test_object(
    path: &Path,
    args: &Args,
    entries: &[MapEntry],
    named: &mut [bool],
    out: &mut Vec<Outcome>,
) -> anyhow::Result<()> {
    let object = path.display().to_string();
    let bytes =
        std::fs::read(path).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    // A program that does not decode stops the loader for the whole object: say so as a
    // skipped entry, not as bad input, so the other objects' tests still count.
    if let Err(e) = bpfvet_analyzer::elf::load(&bytes) {
        if let bpfvet_analyzer::elf::LoadErrorKind::Decode { program, err, .. } = e.kind() {
            out.push(Outcome {
                object,
                program: program.clone(),
                mode: "priv",
                result: "skip",
                verdict: None,
                expected: "reject",
                msgs: 0,
                finding: None,
                log: None,
                notes: vec![format!(
                    "instruction {} does not decode ({err}), and bpfvet's loader then reads none of the object's programs (the kernel says: {})",
                    err.insn,
                    err.kernel_message()
                )],
            });
            return Ok(());
        }
    }
    let obj = load_object(path)?;
    // Bad `--map` input stops the run before any test, not one test at a time.
    object_entries(&obj, entries).with_context(|| path.display().to_string())?;
    for (e, n) in entries.iter().zip(named.iter_mut()) {
        *n |= obj.maps().iter().any(|d| d.name == e.map);
    }
    // Auxiliary programs (tail-call targets) are loaded beside every test of their mode, as
    // the kernel's test_loader does: the object's load fails when one of them is refused.
    let all = specs(&obj, path, None)?;
    let aux = |privileged: bool| -> Vec<&Program> {
        all.iter()
            .filter(|(_, s)| {
                if privileged {
                    s.auxiliary_priv
                } else {
                    s.auxiliary_unpriv
                }
            })
            .map(|(p, _)| *p)
            .collect()
    };
    for (prog, spec) in specs(&obj, path, args.program.as_deref())? {
        if spec.auxiliary {
            continue;
        }
        let mut modes: Vec<(&'static str, bool, &Expect)> = Vec::new();
        if !args.unprivileged {
            modes.push(("priv", true, &spec.privileged));
        }
        if args.unprivileged || args.both {
            if let Some(u) = &spec.unprivileged {
                modes.push(("unpriv", false, u));
            }
        }
        for (mode, privileged, expect) in modes {
            let (result, verdict, notes, ran) = match skip_reason(&spec) {
                Some(why) => ("skip", None, vec![why], None),
                None => match test_mode(
                    &obj,
                    prog,
                    expect,
                    privileged,
                    &spec.prog_flags,
                    &aux(privileged),
                    args,
                ) {
                    Ok(r) if r.differences.is_empty() => {
                        ("pass", Some(r.verdict), unchecked(&spec), Some(r))
                    }
                    Ok(mut r) => {
                        let d = std::mem::take(&mut r.differences);
                        ("fail", Some(r.verdict), d, Some(r))
                    }
                    Err(e) => ("fail", None, vec![format!("{e:#}")], None),
                },
            };
            let (finding, log) = ran.map_or((None, None), |r| (r.finding, Some(r.log)));
            out.push(Outcome {
                object: object.clone(),
                program: prog.name().to_owned(),
                mode,
                result,
                verdict,
                expected: if expect.failure { "reject" } else { "accept" },
                msgs: expect.msgs.len(),
                notes,
                finding,
                log: log.filter(|_| args.log),
            });
        }
    }
    Ok(())
}

/// Why a test cannot be run offline at all, if it cannot.
fn skip_reason(spec: &TestSpec) -> Option<String> {
    if let Some(f) = spec.prog_flags.iter().find(|f| !flag_modelled(f)) {
        return Some(format!("load flag {f} is not modelled"));
    }
    None
}

/// The expectations this run could not check (said on a pass, so it is not mistaken for more).
fn unchecked(spec: &TestSpec) -> Vec<String> {
    spec.unchecked
        .iter()
        .map(|t| format!("{t} expectations not checked"))
        .collect()
}

/// What one mode of one test gave.
struct ModeRun {
    verdict: &'static str,
    /// The differences from the expectations (none: it passed).
    differences: Vec<String>,
    /// The log the messages were looked for in.
    log: String,
    /// The kernel's text of the first finding.
    finding: Option<String>,
}

/// Runs one mode of one test.
fn test_mode(
    obj: &Object,
    prog: &Program,
    expect: &Expect,
    privileged: bool,
    flags: &[String],
    aux: &[&Program],
    args: &Args,
) -> anyhow::Result<ModeRun> {
    let rules = rules_for(prog, None)?;
    let kbtf = super::load::kernel_btf_for(obj, prog, rules, args.btf.as_deref())?;
    let (relocated, _) = core_relocate(obj, prog, kbtf);
    let prog = relocated.as_ref().unwrap_or(prog);
    let mut opts = Options {
        privileged,
        ..Options::default()
    };
    load_flag_options(flags, &mut opts);
    let input = VerifyInput::new(obj, prog, rules).with_kernel_btf(kbtf);
    let (graph, _) = cfg::build(prog.insns());
    let mut ex = Explainer::new(prog, &graph, Syntax::Kernel, Vec::new())
        .with_maps(obj.maps())
        .with_kernel_btf(kbtf);
    let res = verify_observed(&input, &opts, &mut ex);
    let mut log = ex.finish();
    for v in &res.violations {
        let _ = writeln!(log, "{}", v.kernel_message);
    }
    // The statistics trailer the kernel ends every log with.
    let depths: Vec<String> = res.logged_stack_depth.iter().map(u32::to_string).collect();
    let _ = writeln!(
        log,
        "stack depth {}\nprocessed {} insns (limit {}) max_states_per_insn 0 total_states {} peak_states {} mark_read 0",
        depths.join("+"),
        res.stats.processed,
        opts.max_processed,
        res.stats.states,
        res.stats.peak_states
    );
    let mut finding = res
        .violations
        .first()
        .map(|v| v.kernel_message.clone())
        .filter(|m| !m.is_empty());
    let mut accepted = res.verdict == Verdict::Accept;
    if accepted {
        for a in aux.iter().filter(|a| a.name() != prog.name()) {
            if let Some(why) = aux_rejection(obj, a, privileged, args)? {
                let _ = writeln!(log, "auxiliary program {}: {why}", a.name());
                finding = Some(format!("auxiliary program {} is refused: {why}", a.name()));
                accepted = false;
                break;
            }
        }
    }
    let mut differences = Vec::new();
    match (accepted, expect.failure) {
        (true, true) => {
            differences.push("expected the verifier to reject it; bpfvet accepts it".to_owned())
        }
        (false, false) => differences.push(format!(
            "expected the verifier to accept it; bpfvet rejects it: {}",
            finding.as_deref().unwrap_or("")
        )),
        _ => {}
    }
    let mut at = 0;
    for (i, msg) in expect.msgs.iter().enumerate() {
        let missing = format!(
            "message {} of {} not found in order: {msg:?}",
            i + 1,
            expect.msgs.len()
        );
        match find_msg(&log, msg, at) {
            Some(end) => at = end,
            // Linux 6.12 printed liveness marks (`R0_w=`), 6.18 prints none, as bpfvet: the
            // message is still not met, but the rest of the log is worth matching.
            None => match find_msg(&log, &without_write_marks(msg), at) {
                Some(end) if msg.contains("_w=") => {
                    differences.push(format!("{missing} ({WRITE_MARK_NOTE})"));
                    at = end;
                }
                _ => {
                    differences.push(missing);
                    break;
                }
            },
        }
    }
    if let (true, Some(want), false) = (accepted, &expect.retval, expect.failure) {
        if let Ok(verified) = verify_program(&input, &opts) {
            // Checked by `test_object` before any test ran.
            let entries = map_entries(&args.map)?;
            let setup = RunSetup {
                privileged,
                opts: &opts,
                aux,
                entries: &entries,
                btf: args.btf.as_deref(),
            };
            if let Some(d) = check_retval(obj, prog, &input, &verified, rules, &setup, want)? {
                differences.push(d);
            }
        }
    }
    Ok(ModeRun {
        verdict: if accepted { "accept" } else { "reject" },
        differences,
        log,
        finding,
    })
}

/// Why an auxiliary program loaded beside a test is refused in this mode, if it is.
fn aux_rejection(
    obj: &Object,
    prog: &Program,
    privileged: bool,
    args: &Args,
) -> anyhow::Result<Option<String>> {
    let rules = rules_for(prog, None)?;
    let kbtf = super::load::kernel_btf_for(obj, prog, rules, args.btf.as_deref())?;
    let (relocated, _) = core_relocate(obj, prog, kbtf);
    let prog = relocated.as_ref().unwrap_or(prog);
    let opts = Options {
        privileged,
        ..Options::default()
    };
    let input = VerifyInput::new(obj, prog, rules).with_kernel_btf(kbtf);
    let res = bpfvet_analyzer::verifier::verify(&input, &opts);
    Ok((res.verdict != Verdict::Accept).then(|| {
        res.violations
            .first()
            .map_or_else(|| "rejected".to_owned(), |v| v.kernel_message.clone())
    }))
}

/// Where `pattern` (literal text with `{{regex}}` parts, as the selftests write them) first
/// matches `log` at or after byte `from`: the end of the match.
/// Said of a message found once its 6.12 `_w` write marks are dropped.
pub const WRITE_MARK_NOTE: &str =
    "found with the `_w` write marks of Linux 6.12 dropped, as 6.18 and bpfvet print the state";

/// `R0_w=1 fp-8_w=0` as Linux 6.18 prints it: `R0=1 fp-8=0` (it has no liveness marks).
fn without_write_marks(msg: &str) -> String {
    msg.replace("_w=", "=")
}

pub fn find_msg(log: &str, pattern: &str, from: usize) -> Option<usize> {
    let from = from.min(log.len());
    if !pattern.contains("{{") {
        return log[from..]
            .find(pattern)
            .map(|at| from + at + pattern.len());
    }
    let mut re = String::new();
    let mut rest = pattern;
    while let Some(open) = rest.find("{{") {
        re.push_str(&regex::escape(&rest[..open]));
        let close = rest[open + 2..].find("}}")? + open + 2;
        re.push('(');
        re.push_str(&rest[open + 2..close]);
        re.push(')');
        rest = &rest[close + 2..];
    }
    re.push_str(&regex::escape(rest));
    let re = regex::Regex::new(&re).ok()?;
    re.find(&log[from..]).map(|m| from + m.end())
}

#[cfg(test)]
mod tests {
    use super::{find_msg, without_write_marks};

    #[test]
    fn messages_match_in_order_with_regex_parts() {
        let log = "0: (b7) r0 = 1 ; R0_w=1\n1: (95) exit\nR0 invalid mem access 'scalar'";
        let end = find_msg(log, "0: (b7) r0 = 1 {{.*}} R0_w=1", 0).expect("first");
        assert!(find_msg(log, "invalid mem access", end).is_some());
        assert!(find_msg(log, "0: (b7)", end).is_none());
        assert!(find_msg(log, "{{unclosed", 0).is_none());
    }

    /// A 6.12 annotation with liveness marks, against a 6.18-style state line.
    #[test]
    fn write_marks_are_dropped_for_the_newer_format() {
        let log = "2: (7a) *(u64 *)(r10 -8) = 0          ; R10=fp0 fp-8=0";
        let want = "2: (7a) *(u64 *)(r10 -8) = 0 {{.*}} R10=fp0 fp-8_w=0";
        assert!(find_msg(log, want, 0).is_none());
        assert!(find_msg(log, &without_write_marks(want), 0).is_some());
    }
}
