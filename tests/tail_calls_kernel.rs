//! Tail calls against the live kernel: `corpus/c/tailcall/tailcall_subprog_chain.bpf.o` runs
//! in the kernel (`BPF_PROG_TEST_RUN`, its program array filled with the other programs'
//! fds) and through `bpfvet run --map chain_slots K=PROGRAM` on each engine, on packets that
//! pick every slot; `r0` and the packet after the run must be the same. The chain tail-calls
//! from a subprogram, so this pins down where the target's result goes.

#[path = "kernel_support/mod.rs"]
mod kernel_support;

use bpfvet_oracle::{test_run_with_slots, ProgSlot, TestRunInput};
use kernel_support::{kernel_or_skip, root};
use std::process::Command;

const OBJECT: &str = "corpus/c/tailcall/tailcall_subprog_chain.bpf.o";
const ENTRY: &str = "xdp_chain_entry";
/// Slot 3 stays empty: the tail call fails and the subprogram returns.
const SLOTS: &[(u32, &str)] = &[
    (0, "xdp_chain_stage1"),
    (1, "xdp_chain_stage2"),
    (2, "xdp_chain_stage2"),
];
/// The entry tail-calls itself from its subprogram: each of the 33 tail calls the kernel
/// allows keeps one more entry frame, and the results come back through all of them.
const SELF_LOOP: &[(u32, &str)] = &[(0, ENTRY), (1, ENTRY), (2, ENTRY), (3, ENTRY)];

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A packet of 14 to 77 bytes whose byte 3 picks slot `n % 4`, the rest arbitrary.
fn packet(n: u32) -> Vec<u8> {
    let mut x = u64::from(n).wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let len = 14 + (n as usize * 7) % 64;
    let mut p: Vec<u8> = (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    p[3] = (p[3] & !3) | (n % 4) as u8;
    p
}

/// `bpfvet run` on `engine`: (r0, packet after the run, tail calls).
fn ours(
    engine: &str,
    slots: &[(u32, &str)],
    packet: &[u8],
    dir: &std::path::Path,
) -> (u64, String, Vec<String>) {
    let file = dir.join(format!("packet-{engine}.bin"));
    std::fs::write(&file, packet).expect("write packet");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bpfvet"));
    cmd.current_dir(root())
        .args(["run", OBJECT, "--program", ENTRY, "--engine", engine])
        .args(["--format", "json", "--packet"])
        .arg(&file);
    for (k, p) in slots {
        cmd.args(["--map", "chain_slots", &format!("{k}={p}")]);
    }
    let out = cmd.output().expect("bpfvet runs");
    assert!(
        out.status.success(),
        "bpfvet run --engine {engine}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let tails = doc["tail_calls"]
        .as_array()
        .expect("tail_calls")
        .iter()
        .map(|t| t.as_str().unwrap_or("?").to_string())
        .collect();
    (
        doc["r0"].as_u64().expect("r0"),
        doc["packet_out"].as_str().expect("packet_out").to_string(),
        tails,
    )
}

fn prog_slots(slots: &[(u32, &str)]) -> Vec<ProgSlot> {
    slots
        .iter()
        .map(|&(key, program)| ProgSlot {
            map: "chain_slots".to_string(),
            key,
            program: program.to_string(),
        })
        .collect()
}

/// Runs packets `packets` with `slots` filled in the kernel and on every engine of ours;
/// returns the chains our runs took.
fn agree(
    slots: &[(u32, &str)],
    packets: std::ops::Range<u32>,
    tag: &str,
) -> std::collections::BTreeSet<String> {
    let elf = std::fs::read(root().join(OBJECT)).expect("corpus object");
    let dir = std::env::temp_dir().join(format!("bpfvet-tail-calls-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut chains = std::collections::BTreeSet::new();
    for n in packets {
        let p = packet(n);
        let input = TestRunInput {
            data: p.clone(),
            ..TestRunInput::default()
        };
        let k = test_run_with_slots(&elf, OBJECT, ENTRY, &prog_slots(slots), &input)
            .unwrap_or_else(|e| panic!("kernel test run of packet {n}: {e}"));
        let kernel = (
            u64::from(k.retval),
            hex(k.data_out.as_deref().expect("a packet comes back")),
        );
        for engine in ["interp", "jit", "jit-checked"] {
            let (r0, packet, tails) = ours(engine, slots, &p, &dir);
            assert_eq!(
                (r0, packet),
                kernel,
                "packet {n} ({}) on {engine}: ours (r0, packet) vs the kernel's",
                hex(&p)
            );
            chains.insert(tails.join(" -> "));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    chains
}

#[test]
fn a_tail_call_chain_from_a_subprogram_runs_as_in_the_kernel() {
    if !kernel_or_skip("a_tail_call_chain_from_a_subprogram_runs_as_in_the_kernel") {
        return;
    }
    let chains = agree(SLOTS, 0..24, "chain");
    // Every path was taken: both targets, the two-hop chain, and the empty slot.
    let expected: std::collections::BTreeSet<String> = [
        "",
        "xdp_chain_stage1 -> xdp_chain_stage2",
        "xdp_chain_stage2",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(chains, expected);
}

#[test]
fn tail_calls_from_a_subprogram_nest_up_to_the_kernels_limit() {
    if !kernel_or_skip("tail_calls_from_a_subprogram_nest_up_to_the_kernels_limit") {
        return;
    }
    let chains = agree(SELF_LOOP, 0..4, "self-loop");
    let expected = vec![ENTRY; 33].join(" -> ");
    assert_eq!(chains.into_iter().collect::<Vec<_>>(), vec![expected]);
}
