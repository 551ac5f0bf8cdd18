//! bpfvet's analysis time against the kernel verifier's own, per corpus program, in one run.
//!
//! Run as root: `cargo bench --bench vs_kernel`. For every program of corpus/manifest.json that
//! the kernel verifies (accepted or rejected by the verifier), it takes the kernel's reported
//! `verification time` (from the oracle, stats log level) and bpfvet's analysis time (the median
//! of several runs of `verify`, after loading), prints both and their ratio, the totals, and the
//! peak heap bpfvet used on any one program (counted by a wrapping allocator).

use bpfvet_analyzer::elf;
use bpfvet_analyzer::rules::ProgTypeRules;
use bpfvet_analyzer::verifier::env::{Input, Options};
use bpfvet_analyzer::verifier::verify;
use bpfvet_oracle::{LogLevel, Outcome, VerifyOptions};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// Counts live heap bytes and their peak.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards every call to the system allocator unchanged; only counts sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

const RUNS: usize = 5;

fn main() {
    if let Err(why) = bpfvet_oracle::kernel_available() {
        eprintln!("vs_kernel: the live kernel verifier is unavailable ({why}); run as root");
        std::process::exit(2);
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("corpus/manifest.json")).expect("manifest"),
    )
    .expect("json");
    let opts = VerifyOptions::new(LogLevel::Stats, false);
    let (mut total_k, mut total_b, mut n) = (0u64, 0u64, 0usize);
    let (mut peak_bytes, mut peak_prog) = (0usize, String::new());
    println!(
        "{:<60} {:>10} {:>10} {:>7}",
        "program", "kernel µs", "bpfvet µs", "ratio"
    );
    for p in manifest["programs"].as_array().expect("programs") {
        let (object, name) = (
            p["object"].as_str().unwrap_or(""),
            p["program"].as_str().unwrap_or(""),
        );
        let Ok(bytes) = std::fs::read(root.join(object)) else {
            continue;
        };
        let Ok(kv) = bpfvet_oracle::verify_object(&bytes, object, Some(name), &opts) else {
            continue;
        };
        let Some(k_us) = kv
            .first()
            .filter(|v| !matches!(v.outcome, Outcome::Refused { .. }))
            .and_then(|v| v.stats.as_ref())
            .and_then(|s| s.verification_time_us)
        else {
            continue;
        };
        let Ok(obj) = elf::load(&bytes) else { continue };
        let Some(prog) = obj.program(name) else {
            continue;
        };
        let Some(rules) = prog.prog_type().and_then(|t| ProgTypeRules::by_id(t.raw())) else {
            continue;
        };
        let input = Input::new(&obj, prog, rules);
        let mut times = Vec::with_capacity(RUNS);
        for _ in 0..RUNS {
            let before = LIVE.load(Ordering::Relaxed);
            PEAK.store(before, Ordering::Relaxed);
            let t = Instant::now();
            let res = verify(&input, &Options::default());
            times.push(t.elapsed().as_micros() as u64);
            drop(res);
            let used = PEAK.load(Ordering::Relaxed) - before;
            if used > peak_bytes {
                peak_bytes = used;
                peak_prog = format!("{object} {name}");
            }
        }
        times.sort_unstable();
        let b_us = times[RUNS / 2];
        total_k += k_us;
        total_b += b_us;
        n += 1;
        let ratio = b_us as f64 / k_us.max(1) as f64;
        println!(
            "{:<60} {:>10} {:>10} {:>7.2}",
            format!("{} {}", object.trim_start_matches("corpus/c/"), name),
            k_us,
            b_us,
            ratio
        );
    }
    println!();
    println!("programs: {n}; kernel total {total_k} µs; bpfvet total {total_b} µs; bpfvet/kernel = {:.2}", total_b as f64 / total_k.max(1) as f64);
    println!(
        "peak heap of one bpfvet analysis: {:.1} KiB ({peak_prog})",
        peak_bytes as f64 / 1024.0
    );
}
