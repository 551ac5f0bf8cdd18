//! The oracle against the running kernel, on the objects in `oracle/tests/data/` (one program
//! per kind of outcome; their sources sit beside them).

mod common;

use bpfvet_oracle::{
    verify_file, LogLevel, OracleError, Outcome, RefusalStage, RejectKind, TestRunInput,
    VerifyOptions,
};
use common::{data, kernel_or_skip};

fn verdict(file: &str, prog: &str, opts: &VerifyOptions) -> bpfvet_oracle::KernelVerdict {
    let mut vs = verify_file(&data(file), Some(prog), opts).expect("verify");
    assert_eq!(vs.len(), 1);
    vs.remove(0)
}

#[test]
fn accepted_with_stats() {
    if !kernel_or_skip("accepted_with_stats") {
        return;
    }
    let v = verdict("oracle_cases.bpf.o", "pass_all", &VerifyOptions::default());
    assert_eq!(v.outcome, Outcome::Accepted);
    assert_eq!(v.prog_type, "xdp");
    let s = v.stats.expect("stats");
    assert_eq!(s.processed_insns, 2);
    assert!(s.verification_time_us.is_some());
    assert!(v.log.is_none());
}

#[test]
fn rejected_by_the_verifier() {
    if !kernel_or_skip("rejected_by_the_verifier") {
        return;
    }
    let v = verdict(
        "oracle_cases.bpf.o",
        "null_deref",
        &VerifyOptions::new(LogLevel::Brief, true),
    );
    match &v.outcome {
        Outcome::Rejected {
            errno,
            kind,
            reason,
        } => {
            assert_eq!(errno.name(), "EACCES");
            assert_eq!(*kind, RejectKind::Verifier);
            assert_eq!(reason, "R0 invalid mem access 'map_value_or_null'");
        }
        other => panic!("expected a rejection, got {other:?}"),
    }
    assert!(v.log.expect("log kept").contains("processed "));
}

#[test]
fn helper_unavailable_and_core_are_told_apart() {
    if !kernel_or_skip("helper_unavailable_and_core_are_told_apart") {
        return;
    }
    let opts = VerifyOptions::default();
    let v = verdict("oracle_cases.bpf.o", "wrong_helper", &opts);
    assert!(
        matches!(&v.outcome, Outcome::Rejected { kind: RejectKind::HelperUnavailable, reason, .. }
            if reason.starts_with("program of this type cannot use helper bpf_xdp_adjust_head")),
        "{v:?}"
    );
    let v = verdict("oracle_cases.bpf.o", "core_missing", &opts);
    assert!(
        matches!(&v.outcome, Outcome::Rejected { kind: RejectKind::UnresolvedRelocation, reason, .. }
            if reason.starts_with("failed to resolve CO-RE relocation")),
        "{v:?}"
    );
}

#[test]
fn refusals_name_their_stage() {
    if !kernel_or_skip("refusals_name_their_stage") {
        return;
    }
    let opts = VerifyOptions::default();
    let stage = |file: &str, prog: &str| match verdict(file, prog, &opts).outcome {
        Outcome::Refused { stage, reason, .. } => (stage, reason),
        other => panic!("{prog}: expected a refusal, got {other:?}"),
    };
    let (s, r) = stage("oracle_badmap.bpf.o", "uses_badmap");
    assert_eq!(s, RefusalStage::MapCreate);
    assert!(r.contains("map 'badmap': failed to create"), "{r}");
    let (s, r) = stage("oracle_cases.bpf.o", "fentry_missing");
    assert_eq!(s, RefusalStage::AttachTarget);
    assert!(r.contains("bpfvet_no_such_function"), "{r}");
    let (s, r) = stage("oracle_legacy.bpf.o", "legacy_prog");
    assert_eq!(s, RefusalStage::Open);
    assert!(r.contains("legacy map definitions"), "{r}");
}

#[test]
fn every_program_in_object_order() {
    if !kernel_or_skip("every_program_in_object_order") {
        return;
    }
    let vs = verify_file(
        &data("oracle_cases.bpf.o"),
        None,
        &VerifyOptions::new(LogLevel::Stats, false),
    )
    .expect("verify");
    let names: Vec<&str> = vs.iter().map(|v| v.program.as_str()).collect();
    assert_eq!(
        names,
        [
            "pass_all",
            "long_log",
            "null_deref",
            "wrong_helper",
            "core_missing",
            "fentry_missing"
        ]
    );
}

#[test]
fn log_buffer_grows_until_the_log_fits() {
    if !kernel_or_skip("log_buffer_grows_until_the_log_fits") {
        return;
    }
    let mut opts = VerifyOptions::new(LogLevel::Verbose, true);
    opts.initial_log_size = 4096;
    let v = verdict("oracle_cases.bpf.o", "long_log", &opts);
    assert_eq!(v.outcome, Outcome::Accepted);
    assert!(!v.log_truncated);
    let log = v.log.expect("log");
    assert!(log.len() > 4 * 4096, "log of {} bytes", log.len());
    assert!(
        log.trim_end()
            .lines()
            .last()
            .is_some_and(|l| l.starts_with("processed ")),
        "the log ends with its stats"
    );
}

#[test]
fn no_such_program() {
    if !kernel_or_skip("no_such_program") {
        return;
    }
    let err = verify_file(
        &data("oracle_cases.bpf.o"),
        Some("nope"),
        &VerifyOptions::default(),
    )
    .unwrap_err();
    assert!(
        matches!(err, OracleError::NoSuchProgram { ref available, .. } if available.len() == 6),
        "{err}"
    );
}

#[test]
fn test_run_xdp_returns_pass_and_the_packet() {
    if !kernel_or_skip("test_run_xdp_returns_pass_and_the_packet") {
        return;
    }
    let elf = std::fs::read(data("oracle_cases.bpf.o")).expect("read");
    let pkt: Vec<u8> = (0..64).collect();
    let input = TestRunInput {
        data: pkt.clone(),
        ctx: None,
        repeat: 100,
    };
    let out =
        bpfvet_oracle::test_run(&elf, "oracle_cases.bpf.o", "pass_all", &input).expect("test run");
    assert_eq!(out.retval, 2, "XDP_PASS");
    assert_eq!(out.data_out.as_deref(), Some(&pkt[..]));
    assert_eq!(out.repeat, 100);
}

#[test]
fn test_run_refuses_rejected_programs() {
    if !kernel_or_skip("test_run_refuses_rejected_programs") {
        return;
    }
    let elf = std::fs::read(data("oracle_cases.bpf.o")).expect("read");
    let input = TestRunInput {
        data: vec![0; 64],
        ctx: None,
        repeat: 1,
    };
    let err =
        bpfvet_oracle::test_run(&elf, "oracle_cases.bpf.o", "null_deref", &input).unwrap_err();
    assert!(matches!(err, OracleError::NotAccepted(_)), "{err}");
}
