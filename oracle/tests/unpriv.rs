//! Unprivileged loads against the running kernel (`oracle/tests/data/oracle_unpriv.bpf.c`):
//! the same object judged privileged and unprivileged, the sysctl put back afterwards.

mod common;

use bpfvet_oracle::{verify_file, Outcome, RefusalStage, VerifyOptions};
use common::{data, kernel_or_skip};

fn sysctl() -> String {
    std::fs::read_to_string("/proc/sys/kernel/unprivileged_bpf_disabled")
        .unwrap_or_default()
        .trim()
        .to_owned()
}

fn words(unprivileged: bool) -> Vec<(String, Outcome)> {
    let opts = VerifyOptions::default().unprivileged(unprivileged);
    verify_file(&data("oracle_unpriv.bpf.o"), None, &opts)
        .expect("verify")
        .into_iter()
        .map(|v| (v.program, v.outcome))
        .collect()
}

#[test]
fn unprivileged_loads_drop_root_and_restore_the_sysctl() {
    if !kernel_or_skip("unprivileged_loads_drop_root_and_restore_the_sysctl") {
        return;
    }
    let before = sysctl();
    if before == "1" {
        // The only state in which unprivileged BPF cannot be opened; the error must say so.
        let err = verify_file(
            &data("oracle_unpriv.bpf.o"),
            None,
            &VerifyOptions::default().unprivileged(true),
        )
        .expect_err("sysctl 1 forbids unprivileged loads");
        assert!(err.to_string().contains("until reboot"), "{err}");
        return;
    }
    let privileged = words(false);
    assert!(
        privileged.iter().all(|(_, o)| *o == Outcome::Accepted),
        "{privileged:?}"
    );
    let unprivileged = words(true);
    assert_eq!(sysctl(), before, "the sysctl is restored after the load");
    let [(p0, plain), (p1, leak), (p2, xdp)] = unprivileged.as_slice() else {
        panic!("three programs expected: {unprivileged:?}");
    };
    assert_eq!((p0.as_str(), plain), ("plain_filter", &Outcome::Accepted));
    assert_eq!(p1, "leak_to_map");
    match leak {
        Outcome::Rejected { reason, .. } => assert_eq!(reason, "R0 leaks addr into map"),
        other => panic!("leak_to_map: expected a rejection, got {other:?}"),
    }
    assert_eq!(p2, "xdp_pass");
    match xdp {
        Outcome::Refused { stage, reason, .. } => {
            assert_eq!(*stage, RefusalStage::ProgLoad);
            assert!(
                reason.starts_with("unprivileged loads allow only"),
                "{reason}"
            );
        }
        other => panic!("xdp_pass: expected a refusal, got {other:?}"),
    }
}
