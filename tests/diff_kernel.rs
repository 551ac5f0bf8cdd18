//! `bpfvet diff --kernel` against the live kernel's `BPF_PROG_TEST_RUN`, one program of each
//! way the kernel frames a test-run packet: tc and flow dissectors see the Ethernet frame;
//! socket filters, cgroup skb and LWT programs see it from the network header (and the kernel
//! hands the frame back with its Ethernet header zeroed); XDP returns its metadata in front of
//! the packet; two tail-call chains, their program arrays filled with the object's other programs
//! in the kernel as in ours; resilient spin locks (the runtime's section kfuncs). Every compared
//! run must agree on `r0` and the output bytes.

#[path = "kernel_support/mod.rs"]
mod kernel_support;

use kernel_support::{kernel_or_skip, root};
use std::process::Command;

const PROGRAMS: &[(&str, &str)] = &[
    ("corpus/c/tc/tc_port_rewrite.bpf.o", ""),
    ("corpus/c/net/flow_dissector_ipv4.bpf.o", ""),
    (
        "corpus/c/socket/sockfilter_load_bytes.bpf.o",
        "sockfilter_proto_count",
    ),
    ("corpus/c/cgroup/cgroup_skb_acct.bpf.o", "cg_ingress_acct"),
    ("corpus/c/net/lwt_xmit_mark.bpf.o", "lwt_in_ttl"),
    ("corpus/c/xdp/xdp_metadata.bpf.o", "xdp_meta_from_frame"),
    // Resilient spin locks (runtime::sections): taken again by the CPU that holds it, the
    // lock call returns -EDEADLK in the kernel and in the runtime (r0 = 35).
    ("corpus/c/kfuncs/res_spin_lock_aa.bpf.o", "res_lock_twice"),
    (
        "corpus/c/kfuncs/res_spin_lock.bpf.o",
        "res_lock_irqsave_pair",
    ),
    // Tail calls: the program array is filled with the object's other programs in both.
    ("corpus/c/tailcall/tailcall_chain.bpf.o", "tc_dispatch"),
    (
        "corpus/c/tailcall/tailcall_subprog_chain.bpf.o",
        "xdp_chain_entry",
    ),
];

const RUNS: u64 = 60;

#[test]
fn generated_packets_run_as_in_the_kernel() {
    if !kernel_or_skip("generated_packets_run_as_in_the_kernel") {
        return;
    }
    let mut failures = Vec::new();
    for &(object, program) in PROGRAMS {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_bpfvet"));
        cmd.current_dir(root())
            .args([
                "diff", object, "--kernel", "--format", "json", "--seed", "3",
            ])
            .args(["--runs", &RUNS.to_string()]);
        if !program.is_empty() {
            cmd.args(["--program", program]);
        }
        let out = cmd.output().expect("bpfvet runs");
        let reports: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "{object}: no JSON ({e}): {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        for r in reports.as_array().expect("one report per program") {
            let name = r["program"].as_str().unwrap_or("?");
            let k = &r["kernel"];
            let agreed = k["agreed"].as_u64().unwrap_or(0);
            println!("{object} {name}: {agreed} of {RUNS} packets agree with the kernel");
            if !k["unavailable"].is_null() {
                failures.push(format!("{object} {name}: {}", k["unavailable"]));
            }
            if let Some(f) = r["findings"].as_array().and_then(|f| f.first()) {
                failures.push(format!("{object} {name}: {}", f["detail"]));
            }
            // Packets shorter than an Ethernet header are refused; most are longer.
            if agreed < RUNS / 2 {
                failures.push(format!(
                    "{object} {name}: only {agreed} of {RUNS} packets agreed"
                ));
            }
            let tails = k["agreed_with_tail_calls"].as_u64().unwrap_or(0);
            if object.contains("/tailcall/") && tails < RUNS / 4 {
                failures.push(format!(
                    "{object} {name}: only {tails} agreed runs followed a tail call"
                ));
            }
        }
        if !out.status.success() {
            failures.push(format!("{object}: exit {}", out.status));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
