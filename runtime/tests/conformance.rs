//! Runs the bpf_conformance suite (`../shared/conformance`, relative to the repository root)
//! on the interpreter and the checked JIT (all 313) and the unchecked JIT (what the analyzer
//! accepts), and checks that the decoder rejects the reserved-field negatives.
//!
//! The unchecked JIT compiles only analyzer-`VerifiedProgram`s, and the suite's programs are
//! not programs of any kernel type (`r1` is a plain buffer, `r2` its length, helper 5 returns
//! its argument), so it runs the ones the analyzer accepts as socket filters: those that touch
//! no memory and leave `r1` alone (260 of 313). The checked JIT shares every
//! instruction-selection path with the unchecked one except the memory accesses, which the
//! engine tests and `tests/diff_corpus.rs` cover on verified programs.
//!
//! Each engine ends with a plain `engine: N passed, M failed` line; any failure fails the test.
//! Source of the data: github.com/Alan-Jowett/bpf_conformance (see its README in that folder).

use bpfvet_analyzer::isa::Insn;
use bpfvet_runtime::conformance::{parse, TestCase};
use bpfvet_runtime::jit;
use bpfvet_runtime::{interp, Input, Machine, Program};
use std::path::PathBuf;

fn suite_dir(sub: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/conformance")
        .join(sub)
}

fn load_dir(sub: &str) -> Vec<(String, Vec<u8>)> {
    let dir = suite_dir(sub);
    let mut res: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "data"))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    res.sort();
    res
}

/// The suite's helper 5: returns its first argument.
fn identity_helper(_: &mut bpfvet_runtime::Env, a: [u64; 5]) -> u64 {
    a[0]
}

fn machine() -> Machine {
    let mut m = Machine::new();
    m.register_helper(5, identity_helper);
    m
}

#[derive(Clone, Copy, Debug)]
enum Engine {
    Interp,
    JitChecked,
}

fn run_one(engine: Engine, t: &TestCase, insns: Vec<Insn>) -> Result<u64, String> {
    let mut m = machine();
    let input = Input::Buffer(t.mem.clone());
    let prog = Program::new(insns);
    let res = match engine {
        Engine::Interp => interp::run(&mut m, &prog, &input),
        Engine::JitChecked => {
            let code = jit::compile_checked(&prog).map_err(|e| e.to_string())?;
            code.run(&mut m, &input)
        }
    };
    res.map(|r| r.r0).map_err(|e| e.to_string())
}

fn run_engine(engine: Engine, name: &str) -> (usize, Vec<String>) {
    let mut passed = 0;
    let mut failures = Vec::new();
    for (file, bytes) in load_dir("tests") {
        let t = match parse(&bytes) {
            Ok(t) => t,
            Err(e) => {
                failures.push(format!("{file}: parse: {e}"));
                continue;
            }
        };
        let want = t.result.expect("every positive test has a result");
        let insns = match t.program() {
            Ok(p) => p,
            Err(e) => {
                failures.push(format!("{file}: {e}"));
                continue;
            }
        };
        match run_one(engine, &t, insns) {
            Ok(got) if got == want => passed += 1,
            Ok(got) => failures.push(format!("{file}: r0 = {got:#x}, expected {want:#x}")),
            Err(e) => failures.push(format!("{file}: {e}")),
        }
    }
    for f in &failures {
        eprintln!("{name} FAIL {f}");
    }
    println!("{name}: {passed} passed, {} failed", failures.len());
    (passed, failures)
}

#[test]
fn interp_passes_conformance() {
    let (passed, failures) = run_engine(Engine::Interp, "interp");
    assert!(failures.is_empty(), "{} failures", failures.len());
    assert_eq!(passed, 313);
}

#[test]
fn checked_jit_passes_conformance() {
    let (passed, failures) = run_engine(Engine::JitChecked, "jit-checked");
    assert!(failures.is_empty(), "{} failures", failures.len());
    assert_eq!(passed, 313);
}

/// Every `negative/unused-*.data` sets a reserved field; RFC 9669 says it must be zero, so the
/// decoder must reject each one.
#[test]
fn decoder_rejects_reserved_fields() {
    let mut passed = 0;
    let mut failed = Vec::new();
    for (file, bytes) in load_dir("negative")
        .into_iter()
        .filter(|(f, _)| f.starts_with("unused-"))
    {
        let t = parse(&bytes).expect("parses");
        assert!(t.error.is_some(), "{file}: negatives have an error section");
        match t.program() {
            Err(_) => passed += 1,
            Ok(p) => failed.push(format!("{file}: decoded as {:?}", p[0])),
        }
    }
    for f in &failed {
        eprintln!("decode FAIL {f}");
    }
    println!("decode-negative: {passed} passed, {} failed", failed.len());
    assert!(failed.is_empty());
    assert_eq!(passed, 45);
}

/// The other negatives are for the parser and assembler: each must be a clean error, except
/// `error.data` (which assembles; upstream expects a *verifier* rejection of its uninitialised
/// `r0`) and `incorrect_return_value_high_bits.data` (which runs, to a different result).
#[test]
fn parser_and_assembler_reject_bad_sources() {
    for (file, bytes) in load_dir("negative")
        .into_iter()
        .filter(|(f, _)| !f.starts_with("unused-"))
    {
        let res = parse(&bytes).and_then(|t| t.program().map(|p| (t, p)));
        match file.as_str() {
            "error.data" => assert!(res.is_ok(), "{file}"),
            "incorrect_return_value_high_bits.data" => {
                let (t, p) = res.expect("valid program");
                let got = run_one(Engine::Interp, &t, p).expect("runs");
                assert_ne!(
                    Some(got),
                    t.result,
                    "{file}: the expected value is wrong on purpose"
                );
                assert_eq!(
                    got as u32,
                    t.result.unwrap() as u32,
                    "{file}: only the high bits differ"
                );
            }
            _ => assert!(res.is_err(), "{file}: accepted"),
        }
    }
}

/// The suite's programs that touch no memory (no `mem` section) and that the analyzer accepts
/// as socket filters (their `r1` unused or only overwritten): the unchecked JIT, which runs
/// nothing else, must return the expected `r0` on each.
#[test]
fn unchecked_jit_passes_the_conformance_programs_the_analyzer_accepts() {
    use bpfvet_analyzer::rules::ProgTypeRules;
    use bpfvet_analyzer::verifier::env::{Input as VerifyInput, Options};
    use bpfvet_analyzer::verifier::verify_program;

    let rules = ProgTypeRules::by_name("socket_filter").expect("rules");
    let (mut passed, mut rejected) = (0, 0);
    let mut failures = Vec::new();
    for (file, bytes) in load_dir("tests") {
        let t = parse(&bytes).expect("parses");
        let want = t.result.expect("every positive test has a result");
        let Ok(insns) = t.program() else { continue };
        if !t.mem.is_empty() {
            continue;
        }
        let Ok(verified) = verify_program(
            &VerifyInput::bare(&insns, &[], rules, true),
            &Options::default(),
        ) else {
            rejected += 1;
            continue;
        };
        let mut m = machine();
        let got = jit::compile(&verified, &m, &[])
            .map_err(|e| e.to_string())
            .and_then(|code| {
                code.run(&mut m, &Input::skb(&[]))
                    .map_err(|e| e.to_string())
            });
        match got {
            Ok(r) if r.r0 == want => passed += 1,
            Ok(r) => failures.push(format!("{file}: r0 = {:#x}, expected {want:#x}", r.r0)),
            Err(e) => failures.push(format!("{file}: {e}")),
        }
    }
    for f in &failures {
        eprintln!("jit FAIL {f}");
    }
    println!(
        "jit (analyzer-accepted, {rejected} rejected): {passed} passed, {} failed",
        failures.len()
    );
    assert!(failures.is_empty(), "{} failures", failures.len());
    // Guard against the analyzer or the filter quietly leaving nothing to run.
    assert!(
        passed >= FLOOR_UNCHECKED,
        "only {passed} programs ran on the unchecked JIT"
    );
}

/// How many conformance programs ran on the unchecked JIT when this test was written: 260 of the
/// 273 without memory (the analyzer rejects 13: division by an immediate zero, `r1` returned or
/// otherwise used as a number, and the like); the other 40 read `r1` as a plain buffer.
const FLOOR_UNCHECKED: usize = 260;
