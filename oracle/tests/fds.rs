//! Every fd the oracle (and libbpf for it) opens is closed again. Alone in its test binary so
//! that no other test opens fds meanwhile.

mod common;

use bpfvet_oracle::{verify_file, LogLevel, TestRunInput, VerifyOptions};
use common::{data, kernel_or_skip};

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd")
        .count()
}

#[test]
fn no_fd_leaks() {
    if !kernel_or_skip("no_fd_leaks") {
        return;
    }
    // Warm up once: libbpf caches kernel BTF and probe results on first use.
    let _ = verify_file(
        &data("oracle_cases.bpf.o"),
        Some("pass_all"),
        &VerifyOptions::default(),
    );
    let before = open_fds();
    for file in [
        "oracle_cases.bpf.o",
        "oracle_badmap.bpf.o",
        "oracle_legacy.bpf.o",
    ] {
        let _ = verify_file(
            &data(file),
            None,
            &VerifyOptions::new(LogLevel::Brief, true),
        )
        .expect("verify");
    }
    let elf = std::fs::read(data("oracle_cases.bpf.o")).expect("read");
    let input = TestRunInput {
        data: vec![0; 64],
        ctx: None,
        repeat: 1,
    };
    let _ = bpfvet_oracle::test_run(&elf, "cases", "pass_all", &input).expect("test run");
    let _ = bpfvet_oracle::kernel_available();
    assert_eq!(open_fds(), before, "fds leaked");
}
