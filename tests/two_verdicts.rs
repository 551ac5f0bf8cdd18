//! Two verdicts on a program the kernel gives up on: `corpus/c/reject/limits/insn_limit.bpf.o`
//! counts r6 from 0 to 2^28 one by one, and the live kernel (6.18) refuses it with "BPF
//! program is too large. Processed 1000001 insn" (`bpfvet kernel`, recorded in the corpus
//! manifest). bpfvet reports that verdict, and exits with it, and adds its own: safe, the loop
//! turning at most 2^28 times, in every output format.

use std::path::PathBuf;
use std::process::{Command, Output};

const OBJ: &str = "corpus/c/reject/limits/insn_limit.bpf.o";

fn check(format: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bpfvet"))
        .current_dir(PathBuf::from(env!("CARGO_MANIFEST_DIR")))
        .args(["check", "--format", format, OBJ])
        .output()
        .expect("run bpfvet")
}

#[test]
fn json_carries_both_verdicts() {
    let out = check("json");
    assert_eq!(
        out.status.code(),
        Some(1),
        "the exit status is the kernel's verdict"
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let prog = &report["objects"][0]["programs"][0];
    assert_eq!(prog["verdict"], "reject");
    assert_eq!(prog["findings"][0]["code"], "program-too-complex");
    assert_eq!(
        prog["findings"][0]["kernel_message"],
        "BPF program is too large. Processed 1000001 insn"
    );
    let own = &prog["own_verdict"];
    assert_eq!(own["verdict"], "safe");
    assert_eq!(own["kernel_verdict"], "program-too-complex");
    assert_eq!(own["kernel_processed"], 1_000_001);
    let lp = &own["loops"][0];
    assert_eq!(own["loops"].as_array().map(Vec::len), Some(1));
    assert_eq!(lp["at"]["insn"], 1);
    assert_eq!(lp["counter"], "r6");
    assert_eq!((&lp["min"], &lp["max"]), (&0.into(), &0x0fff_ffff.into()));
    assert_eq!(lp["direction"], "up");
    assert_eq!(lp["max_turns"], 1u64 << 28);
}

#[test]
fn human_and_sarif_say_both() {
    let human = check("human");
    assert_eq!(human.status.code(), Some(1));
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(
        text.contains("counted_loop_too_long (xdp, section xdp): REJECTED"),
        "{text}"
    );
    assert!(
        text.contains(
            "bpfvet's own verdict: safe (the kernel gives up after 1000001 processed instructions"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "r6 counts up by at least 1 within [0, 268435455], so at most 268435456 turns"
        ),
        "{text}"
    );
    let sarif = check("sarif");
    let log: serde_json::Value = serde_json::from_slice(&sarif.stdout).expect("sarif");
    let result = &log["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "program-too-complex");
    assert_eq!(result["level"], "error");
    let msg = result["message"]["text"].as_str().unwrap_or_default();
    assert!(msg.contains("bpfvet's own verdict: safe"), "{msg}");
}
