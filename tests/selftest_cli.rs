//! `bpfvet test` from the outside: a selftests object's tests pass, fail and report as the
//! kernel's test loader would, and bad input gets a clear message and exit 2, never a panic.

use std::path::PathBuf;
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn bpfvet(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bpfvet"))
        .current_dir(root())
        .args(args)
        .output()
        .expect("run bpfvet")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn an_object_without_btf_is_refused_plainly() {
    let o = bpfvet(&["test", "corpus/c/realworld/samples/sockex1_ldabs.bpf.o"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("no BTF"), "{}", text(&o));
}

#[test]
fn an_object_without_test_tags_is_refused_plainly() {
    let o = bpfvet(&["test", "corpus/c/xdp/xdp_fw_lpm.bpf.o"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("no test tags"), "{}", text(&o));
}

#[test]
fn a_file_that_is_no_object_is_refused_plainly() {
    let o = bpfvet(&["test", "README.md"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(!text(&o).contains("panicked"), "{}", text(&o));
}

/// `bpfvet test --format json` over `../shared/kernel-selftests/verifier/NAME`: the report and
/// the exit code, or `None` (said loudly) when the suite is absent and
/// `BPFVET_NO_SELFTESTS=1` allows that.
fn selftest_report(name: &str) -> Option<(serde_json::Value, Option<i32>)> {
    selftest_report_with(name, &[])
}

/// [`selftest_report`] with more arguments.
fn selftest_report_with(name: &str, extra: &[&str]) -> Option<(serde_json::Value, Option<i32>)> {
    let obj = root()
        .join("../shared/kernel-selftests/verifier")
        .join(name);
    if !obj.exists() && std::env::var("BPFVET_NO_SELFTESTS").as_deref() == Ok("1") {
        eprintln!(
            "\n!!! {} missing; BPFVET_NO_SELFTESTS=1: not checked\n",
            obj.display()
        );
        return None;
    }
    let mut args = vec![
        "test",
        "--format",
        "json",
        obj.to_str().expect("utf-8 path"),
    ];
    args.extend_from_slice(extra);
    let o = bpfvet(&args);
    let doc = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o)));
    Some((doc, o.status.code()))
}

/// The entry of test `name` in a `bpfvet test` report.
fn test_of<'a>(doc: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    doc["tests"]
        .as_array()
        .expect("tests")
        .iter()
        .find(|t| t["program"] == name)
        .unwrap_or_else(|| panic!("{name} in {doc}"))
}

/// `verifier_and.o` of the kernel's suite: its two failure tests expect the kernel's message,
/// which the live kernel prints for both; its success tests pass.
#[test]
fn a_kernel_selftests_object_reports_each_test() {
    let Some((doc, code)) = selftest_report("verifier_and.o") else {
        return;
    };
    // Expected to be accepted, and bpfvet does.
    let ok = test_of(&doc, "known_subreg_with_unknown_reg");
    assert_eq!(ok["result"], "pass", "{ok}");
    assert_eq!(ok["verdict"], "accept", "{ok}");
    // Expected to be rejected with a message: bpfvet rejects it; whether its message is the
    // kernel's shows in `result`.
    let bad = test_of(&doc, "invalid_and_of_negative_number");
    assert_eq!(bad["expected"], "reject", "{bad}");
    assert_eq!(bad["verdict"], "reject", "{bad}");
    assert_eq!(bad["msgs"], 1, "{bad}");
    let failed = doc["failed"].as_u64().expect("failed count");
    assert_eq!(code, Some(if failed > 0 { 1 } else { 0 }), "{doc}");
}

/// Maps holding a `bpf_timer` or `bpf_spin_lock` are refused to tracing program types before
/// any instruction is explored (verifier_helper_restricted.c; the live 6.18 kernel prints
/// "tracing progs cannot use bpf_timer yet" for `in_bpf_prog_type_kprobe_2`).
#[test]
fn tracing_programs_may_not_name_maps_with_timers_or_locks() {
    let Some((doc, _)) = selftest_report("verifier_helper_restricted.o") else {
        return;
    };
    for name in [
        "in_bpf_prog_type_kprobe_2",
        "in_bpf_prog_type_tracepoint_3",
        "bpf_prog_type_raw_tracepoint_2",
    ] {
        let t = test_of(&doc, name);
        assert_eq!(t["verdict"], "reject", "{t}");
        assert_eq!(t["result"], "pass", "{t}");
    }
}

/// Sockmap and sockhash entries may be changed with `bpf_map_update_elem`/`delete_elem` only
/// by program types that cannot hold a locked socket, and sock_ops only deletes
/// (verifier_sockmap_mutate.c; the live 6.18 kernel says "cannot update sockmap in this
/// context" for `test_raw_tp_delete` and `test_sockops_update`, and accepts the others).
#[test]
fn sockmaps_change_only_where_no_socket_lock_can_be_held() {
    let Some((doc, _)) = selftest_report("verifier_sockmap_mutate.o") else {
        return;
    };
    for (name, verdict) in [
        ("test_raw_tp_delete", "reject"),
        ("test_sockops_update", "reject"),
        ("test_sockops_delete", "accept"),
        ("test_trace_iter", "accept"),
        ("test_xdp", "accept"),
    ] {
        assert_eq!(test_of(&doc, name)["verdict"], verdict, "{name}");
    }
}

/// The `struct test_val` the kernel's harness (`prog_tests/verifier.c`) writes at key 0 of
/// `map_array_48b` before each run of `verifier_value_ptr_arith.o`: index 28, `foo[6]` =
/// 0xabcdef12.
const TEST_VAL: &str =
    "0=0x1c00000000000000000000000000000000000000000000000000000012efcdab00000000000000000000000000000000";

/// `__retval(0xabcdef12)` reads the entry a harness wrote: without `--map` the run reads
/// zeroes; with it, both engines return what the kernel's test run returns.
#[test]
fn map_entries_written_before_the_run_are_what_the_program_reads() {
    let name = "value_ptr_known_scalar_5";
    let Some((doc, _)) = selftest_report("verifier_value_ptr_arith.o") else {
        return;
    };
    let t = test_of(&doc, name);
    assert_eq!(t["result"], "fail", "{t}");
    assert!(
        t["notes"].to_string().contains("interpreter returned 0"),
        "{t}"
    );
    let Some((doc, _)) = selftest_report_with(
        "verifier_value_ptr_arith.o",
        &["--both", "--map", "map_array_48b", TEST_VAL],
    ) else {
        return;
    };
    for t in doc["tests"].as_array().expect("tests") {
        if t["program"] == name {
            assert_eq!(t["result"], "pass", "{t}");
        }
    }
}

/// Program arrays start with the slots the object initialises, and the run follows tail calls
/// into the auxiliary programs (`verifier_runtime_jit.c`: slot 1 of `map_prog1_socket` is a
/// program that tail-calls itself until the limit, then returns 41).
#[test]
fn tail_calls_reach_the_auxiliary_programs_the_object_puts_in_its_program_arrays() {
    let Some((doc, _)) = selftest_report_with("verifier_runtime_jit.o", &["--both"]) else {
        return;
    };
    for name in [
        "call_within_bounds_prog_once",
        "call_within_bounds_prog_loop",
        "call_within_bounds_key_2",
        "_32bit_index_to_tail_call",
    ] {
        for t in doc["tests"].as_array().expect("tests") {
            if t["program"] == name {
                assert_eq!(t["result"], "pass", "{t}");
            }
        }
    }
}

#[test]
fn a_map_entry_that_does_not_fit_is_refused_plainly() {
    let obj = "../shared/kernel-selftests/verifier/verifier_value_ptr_arith.o";
    // Present, or its absence allowed and said.
    if selftest_report("verifier_value_ptr_arith.o").is_none() {
        return;
    }
    let o = bpfvet(&["test", obj, "--map", "map_array_48b", "0=0x12"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("the map wants 48"), "{}", text(&o));
    let o = bpfvet(&["test", obj, "--map", "no_such_map", "0=1"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("no object given has a map of that name"),
        "{}",
        text(&o)
    );
}

/// An fentry program's `__retval(0)`: `BPF_PROG_TEST_RUN` calls the kernel's
/// `bpf_fentry_test*` functions with the program unattached (`bpf_prog_test_run_tracing`), so
/// the program never runs and the retval is 0; bpfvet says the same instead of refusing.
#[test]
fn an_fentry_programs_test_run_returns_0_without_running_it() {
    let Some((doc, _)) = selftest_report("verifier_d_path.o") else {
        return;
    };
    let t = test_of(&doc, "d_path_accept");
    assert_eq!(t["result"], "pass", "{t}");
}
