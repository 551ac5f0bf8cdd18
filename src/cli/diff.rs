//! `bpfvet diff`: differential runs of accepted programs (see `bpfvet_runtime::diff` for what
//! is generated, run, checked and compared), plus, with `--kernel`, the live kernel's
//! `BPF_PROG_TEST_RUN` on the same packets.
//!
//! What `--kernel` compares, and why not more: the kernel builds its own context (for XDP an
//! `xdp_md` on the loopback device; for skb types an `__sk_buff` from the packet, `protocol` from
//! the Ethernet header), starts from empty maps, and its time, random and CPU helpers are its
//! own. So the kernel run is compared against a *second* interpreter run on a kernel-like
//! context (zeroes, `len`, `protocol` and `ifindex`/`ingress_ifindex` = 1) with no generated map
//! entries but program-array slots, filled alike in the kernel (`test_run_with_slots`) and in
//! ours with the object's other programs of the type, so that tail calls are compared too.
//! Only the return value (32 bits, as the kernel reports it) and the output packet are compared
//! (for a flow dissector, whose test run outputs its `bpf_flow_keys`, the keys).
//! Packets shorter than an Ethernet header are refused by the kernel and skipped.
//!
//! Exit codes: 0 no finding, 1 a finding (mismatch, state escape, fault on an accepted
//! program, kernel disagreement), 2 usage, IO or internal error.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context as _;
use bpfvet_analyzer::isa::{CallTarget, Insn};
use bpfvet_analyzer::rules::ProgTypeRules;
use bpfvet_runtime::diff::{
    self, run_seed, CtxShape, DiffConfig, DiffReport, Finding, GenInput, Rng,
};
use bpfvet_runtime::interp::Prepared;
use bpfvet_runtime::{helpers, interp, Input};

use super::run::{hex, load_one, Loaded};

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
}

#[derive(clap::Args, Debug)]
#[command(after_help = "\
A finding is written with its reproducer (packet, context and map files, and the `bpfvet run` \
command that replays it) under --outdir (default: a bpfvet-diff directory in the temp dir).\n\
Exit codes: 0 no finding, 1 a finding, 2 usage/IO error.")]
pub struct Args {
    /// A BPF ELF object or an assembly file.
    file: PathBuf,
    /// Only this program (default: every program of the object).
    #[arg(long, short = 'p')]
    program: Option<String>,
    /// The program type (overrides the section name; needed for assembly).
    #[arg(long = "type", short = 't')]
    prog_type: Option<String>,
    /// Generated inputs per program.
    #[arg(long, default_value_t = 100)]
    runs: u32,
    /// Seed of the input generator (run i uses a seed derived from it and i).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Also run each packet through the live kernel (BPF_PROG_TEST_RUN; needs root).
    #[arg(long)]
    kernel: bool,
    /// Where to write reproducers.
    #[arg(long)]
    outdir: Option<PathBuf>,
    /// Kernel BTF that types tp_btf, fentry, lsm and iterator contexts and resolves CO-RE
    /// relocations (default: the running kernel's /sys/kernel/btf/vmlinux, when present).
    #[arg(long, value_name = "FILE")]
    btf: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

#[derive(serde::Serialize, Default)]
struct ProgDoc {
    program: String,
    prog_type: String,
    /// `None` when the program was diffed; else why not.
    skipped: Option<String>,
    runs: u32,
    completed: u32,
    skipped_runs: Vec<(String, u32)>,
    steps_checked: u64,
    steps_unchecked: u64,
    n_insns: usize,
    insns_with_states: usize,
    insns_saturated: usize,
    findings: Vec<FindingDoc>,
    kernel: Option<KernelDoc>,
    /// The programs the generated program-array slots name (the object's other programs of
    /// this type, when this one makes tail calls), and those left out, with why.
    tail_call_targets: Vec<String>,
    tail_call_targets_left_out: Vec<String>,
    seconds: f64,
}

#[derive(serde::Serialize)]
struct FindingDoc {
    kind: String,
    run: u32,
    run_seed: u64,
    detail: String,
    reproducer: Option<String>,
}

#[derive(serde::Serialize, Default)]
struct KernelDoc {
    runs: u32,
    agreed: u32,
    refused: u32,
    /// Runs our interpreter could not finish (unsupported helper ...), by reason.
    skipped: std::collections::BTreeMap<String, u32>,
    /// Why the comparison did not happen at all.
    unavailable: Option<String>,
    /// Agreed runs on which the program tail-called into another (program arrays filled).
    agreed_with_tail_calls: u32,
}

/// How `BPF_PROG_TEST_RUN` frames a packet (`net/bpf/test_run.c`): tc programs, flow
/// dissectors and XDP see the whole Ethernet frame; the other skb types see it from the network
/// header, and get the frame back with its Ethernet header zeroed.
pub(super) fn sees_ethernet(rules: &ProgTypeRules) -> bool {
    matches!(
        rules.name,
        "sched_cls" | "sched_act" | "flow_dissector" | "xdp"
    )
}

/// Bytes of the Ethernet header the kernel's test run takes off for the other skb types.
pub(super) const ETH_HLEN: usize = 14;

/// Where the test run's skb headers are (for `LD_ABS`/`LD_IND` at `SKF_LL_OFF`/`SKF_NET_OFF`):
/// `eth_type_trans` sets the mac header at the frame's first byte and the network header after
/// it; tc programs see data from the frame's start, the other skb types from the network
/// header, with the Ethernet header just before it.
pub(super) fn kernel_like_headers(
    rules: &ProgTypeRules,
    frame: &[u8],
) -> bpfvet_runtime::SkbHeaders {
    let mut ethernet = [0u8; ETH_HLEN];
    let n = frame.len().min(ETH_HLEN);
    ethernet[..n].copy_from_slice(&frame[..n]);
    if sees_ethernet(rules) {
        bpfvet_runtime::SkbHeaders {
            mac: Some(0),
            network: ETH_HLEN as i64,
            ethernet: [0; ETH_HLEN],
        }
    } else {
        bpfvet_runtime::SkbHeaders {
            mac: Some(-(ETH_HLEN as i64)),
            network: 0,
            ethernet,
        }
    }
}

/// Helpers whose results differ between the kernel and the runtime by design (a real clock,
/// real randomness, the CPU the run landed on, a flow hash seeded at boot): a mismatch in a
/// program that calls one is not a finding.
const NONDETERMINISTIC: &[i32] = &[
    helpers::id::KTIME_GET_NS,
    helpers::id::GET_PRANDOM_U32,
    helpers::id::GET_SMP_PROCESSOR_ID,
    helpers::id::KTIME_GET_BOOT_NS,
    helpers::id::KTIME_GET_COARSE_NS,
    34, // get_hash_recalc
];

/// The first helper of [`NONDETERMINISTIC`] that `insns` call, by name.
fn nondeterministic_helper(insns: &[Insn]) -> Option<&'static str> {
    insns.iter().find_map(|i| match i {
        Insn::Call(CallTarget::Helper(id)) if NONDETERMINISTIC.contains(id) => {
            helpers::helper_name(*id)
        }
        _ => None,
    })
}

/// A kernel-like context for `seen` (the packet as the program sees it, from `frame`), as
/// `BPF_PROG_TEST_RUN` builds it without `ctx_in`.
pub(super) fn kernel_like(rules: &ProgTypeRules, frame: &[u8], seen: &[u8]) -> Option<Input> {
    match diff::ctx_shape(rules) {
        CtxShape::Xdp => {
            let mut ctx = vec![0u8; 24];
            ctx[12..16].copy_from_slice(&1u32.to_le_bytes());
            Some(Input::Context {
                ctx,
                packet: Some(seen.to_vec()),
                fields: bpfvet_runtime::XDP_FIELDS.to_vec(),
                objects: Vec::new(),
            })
        }
        CtxShape::Skb => {
            let mut ctx = vec![0u8; 192];
            ctx[..4].copy_from_slice(&(seen.len() as u32).to_le_bytes());
            let proto = u16::from_be_bytes([frame[12], frame[13]]);
            ctx[16..20].copy_from_slice(&u32::from(proto.to_be()).to_le_bytes());
            ctx[36..40].copy_from_slice(&1u32.to_le_bytes());
            ctx[40..44].copy_from_slice(&1u32.to_le_bytes());
            let fields = diff::ctx_fields(rules);
            let flow_dissector = fields
                .iter()
                .any(|(_, f)| *f == bpfvet_runtime::mem::CtxField::FlowKeys);
            let objects = if flow_dissector {
                // A flow dissector: the test run starts its keys with no flags.
                vec![diff::flow_keys(proto, 0)]
            } else {
                Vec::new()
            };
            Some(Input::Context {
                ctx,
                packet: Some(seen.to_vec()),
                fields,
                objects,
            })
        }
        CtxShape::Buffer(_) | CtxShape::BtfArgs | CtxShape::Netfilter | CtxShape::Plain(_) => None,
    }
}

/// Writes the reproducer of `f` under `dir`; returns the `bpfvet run` command that replays it.
fn write_reproducer(
    dir: &Path,
    file: &Path,
    loaded: &Loaded,
    slot_names: &[String],
    f: &Finding,
    seed: u64,
) -> anyhow::Result<String> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let stem = format!("{}-seed{seed}-run{}", loaded.name, f.run);
    let ctx_path = dir.join(format!("{stem}.ctx"));
    std::fs::write(&ctx_path, &f.input.ctx)?;
    let mut cmd = format!(
        "bpfvet run {} --program {} --type {} --engine interp --ctx {}",
        file.display(),
        loaded.name,
        loaded.rules.name,
        ctx_path.display()
    );
    if let Some(p) = &f.input.packet {
        let p_path = dir.join(format!("{stem}.packet"));
        std::fs::write(&p_path, p)?;
        let _ = write!(cmd, " --packet {}", p_path.display());
    }
    for o in &f.input.objects {
        let at = o
            .slot
            .map_or_else(|| "flow_keys".to_string(), |s| s.to_string());
        let o_path = dir.join(format!("{stem}.object-{at}"));
        std::fs::write(&o_path, &o.bytes)?;
        let _ = write!(cmd, " --object {at}={}", o_path.display());
    }
    for (i, k, v) in &f.input.map_entries {
        let Some(m) = loaded.maps.get(*i as usize) else {
            continue;
        };
        if super::tail_targets::is_prog_array(m) {
            // A slot names a program (`bpfvet run` takes its name).
            let target = super::tail_targets::slot_word(v);
            if let Some(name) = target.and_then(|t| slot_names.get(t as usize)) {
                let _ = write!(cmd, " --map {} 0x{}={name}", m.name, hex(k));
            }
        } else {
            let _ = write!(cmd, " --map {} 0x{}=0x{}", m.name, hex(k), hex(v));
        }
    }
    let note = format!(
        "{} at run {} (run seed {:#x}) of `bpfvet diff --seed {seed}`:\n{}\n\nreplay:\n{cmd}\n",
        f.kind, f.run, f.run_seed, f.detail
    );
    std::fs::write(dir.join(format!("{stem}.txt")), note)?;
    Ok(cmd)
}

/// Runs the kernel comparison on the same generated packets.
fn kernel_compare(
    elf: &[u8],
    file: &Path,
    loaded: &Loaded,
    targets: &[Loaded],
    cfg: &DiffConfig,
    findings: &mut Vec<FindingDoc>,
) -> KernelDoc {
    let mut doc = KernelDoc::default();
    let mode = bpfvet_oracle::run_mode(loaded.rules.name);
    if mode != bpfvet_oracle::RunMode::Packet {
        doc.unavailable = Some(format!(
            "the kernel does not test-run {} programs on packets",
            loaded.rules.name
        ));
        return doc;
    }
    if loaded.obj.is_none() {
        doc.unavailable = Some("assembly input: the kernel needs an object".to_string());
        return doc;
    }
    if let Err(e) = bpfvet_oracle::kernel_available() {
        doc.unavailable = Some(format!("the live kernel is unavailable: {e}"));
        return doc;
    }
    // Tail-call targets, bound to the maps as every run's machine makes them.
    let chain = match diff::machine_for(
        &loaded.maps,
        &loaded.insns,
        &GenInput::default(),
        cfg.insn_limit,
    ) {
        Ok((_, prog)) => super::tail_targets::prepared(targets, prog.maps()),
        Err(_) => Vec::new(),
    };
    let chain: Vec<&Prepared> = chain.iter().collect();
    let nondeterministic = std::iter::once(loaded)
        .chain(targets)
        .find_map(|p| nondeterministic_helper(&p.insns));
    for run in 0..cfg.runs {
        let rs = run_seed(cfg.seed, run);
        let gen = diff::gen_input(&mut Rng::new(rs), loaded.rules, None, &loaded.maps);
        // The kernel's maps start empty, but for program arrays filled with the targets, in
        // both (a stream of its own, so that the packets stay those of programs without).
        let slots = bpfvet_runtime::maps::gen::prog_slots(
            &mut Rng::new(rs ^ 0x7a11_ca11),
            &loaded.maps,
            targets.len() as u32,
        );
        let ours_gen = GenInput {
            map_entries: slots.clone(),
            ..GenInput::default()
        };
        let Some(packet) = gen.packet.clone() else {
            continue;
        };
        doc.runs += 1;
        if packet.len() < ETH_HLEN {
            doc.refused += 1;
            continue;
        }
        let ethernet = sees_ethernet(loaded.rules);
        let seen = if ethernet {
            &packet[..]
        } else {
            &packet[ETH_HLEN..]
        };
        let Some(input) = kernel_like(loaded.rules, &packet, seen) else {
            continue;
        };
        let followed;
        let ours = match diff::machine_for(&loaded.maps, &loaded.insns, &ours_gen, cfg.insn_limit) {
            Ok((mut m, prog)) => {
                // The kfuncs the runtime implements run (as in the differential runs).
                let prog =
                    prog.with_kfuncs(bpfvet_runtime::kfuncs::names(loaded.verify_input().relocs));
                m.env.skb_headers = kernel_like_headers(loaded.rules, &packet);
                m.env.skb_dynptr_rdonly =
                    bpfvet_runtime::dynptr::skb_dynptr_rdonly(loaded.rules.name);
                let res = interp::run_chain(&mut m, &chain, &Prepared::new(&prog), &input);
                let mut out = res.as_ref().ok().and_then(|r| r.packet.clone());
                if let Some(keys) = m.mem.written_objects().into_iter().next() {
                    // A flow dissector's output is its keys, which the test run returns as
                    // `data_out` after clamping the offsets it reports to the packet.
                    out = Some(diff::flow_keys_reported(&keys, packet.len()));
                } else if loaded.rules.name == "xdp" {
                    // An XDP test run returns the packet from `data_meta`.
                    out = m
                        .mem
                        .packet_bounds()
                        .and_then(|(meta, _, end)| m.mem.peek_bytes(meta, (end - meta) as usize));
                } else if !ethernet {
                    out = out.map(|o| [&[0u8; ETH_HLEN][..], &o].concat());
                }
                followed = res.as_ref().map_or(0, |r| r.tail_calls.len());
                res.map(|r| (r.r0, out))
            }
            Err(_) => continue,
        };
        let theirs = bpfvet_oracle::test_run_with_slots(
            elf,
            &file.display().to_string(),
            &loaded.name,
            &super::tail_targets::kernel_slots(&slots, &loaded.maps, targets),
            &bpfvet_oracle::TestRunInput {
                data: packet.clone(),
                ctx: None,
                repeat: 1,
            },
        );
        let theirs = match theirs {
            Ok(t) => t,
            Err(e) => {
                doc.refused += 1;
                if doc.refused == 1 {
                    eprintln!(
                        "bpfvet diff: {}: the kernel refused a run: {e}",
                        loaded.name
                    );
                }
                continue;
            }
        };
        if let Some(why) = ours.as_ref().err().and_then(diff::skip_reason) {
            *doc.skipped.entry(why).or_default() += 1;
            continue;
        }
        let detail = match &ours {
            Err(f) => Some(format!(
                "interpreter faulted ({f}), kernel returned {}",
                theirs.retval
            )),
            Ok((r0, _)) if *r0 as u32 != theirs.retval => Some(format!(
                "r0: interpreter {:#x}, kernel {:#x}",
                *r0 as u32, theirs.retval
            )),
            Ok((_, out)) if out.as_deref() != theirs.data_out.as_deref() => Some(format!(
                "output packet (flow keys for a flow dissector): interpreter {}, kernel {}",
                out.as_deref().map_or_else(String::new, hex),
                theirs.data_out.as_deref().map_or_else(String::new, hex)
            )),
            Ok(_) => None,
        };
        match (detail, nondeterministic) {
            (None, _) => {
                doc.agreed += 1;
                doc.agreed_with_tail_calls += u32::from(followed > 0);
            }
            (Some(_), Some(name)) => {
                *doc.skipped
                    .entry(format!("the result depends on bpf_{name}"))
                    .or_default() += 1;
            }
            (Some(detail), None) => {
                if findings.len() < cfg.max_findings {
                    findings.push(FindingDoc {
                        kind: "kernel-mismatch".to_string(),
                        run,
                        run_seed: rs,
                        detail: format!("{detail} (packet {})", hex(&packet)),
                        reproducer: None,
                    });
                }
            }
        }
    }
    doc
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let names: Vec<Option<String>> = match &args.program {
        Some(p) => vec![Some(p.clone())],
        None => {
            let bytes = std::fs::read(&args.file)
                .with_context(|| format!("cannot read {}", args.file.display()))?;
            if bytes.starts_with(b"\x7fELF") {
                let obj = super::load::load_object(&args.file)?;
                obj.programs()
                    .iter()
                    .map(|p| Some(p.name().to_string()))
                    .collect()
            } else {
                vec![None]
            }
        }
    };
    let outdir = args
        .outdir
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join("bpfvet-diff"));
    let cfg = DiffConfig {
        runs: args.runs,
        seed: args.seed,
        ..DiffConfig::default()
    };
    let elf = std::fs::read(&args.file)?;
    let mut docs = Vec::new();
    // One step per program: its generated runs, then (with --kernel) the kernel's.
    let bar = super::progress::bar(names.len(), "diff");
    for name in &names {
        bar.set_message(format!(
            "{} ({} runs{})",
            name.as_deref().unwrap_or("program"),
            args.runs,
            if args.kernel { ", kernel" } else { "" }
        ));
        let loaded = load_one(
            &args.file,
            name.as_deref(),
            args.prog_type.as_deref(),
            args.btf.as_deref(),
        )?;
        let started = Instant::now();
        let mut doc = ProgDoc {
            program: loaded.name.clone(),
            prog_type: loaded.rules.name.to_string(),
            ..ProgDoc::default()
        };
        // Every concrete state must lie in an explored abstract state, which holds only when
        // pruning compares every scalar: with precision tracking an imprecise scalar of a
        // pruned path may differ from the state that pruned it.
        let opts = bpfvet_analyzer::verifier::env::Options {
            precision: false,
            ..Default::default()
        };
        let vin = loaded.verify_input();
        let source = super::tail_targets::Source {
            file: &args.file,
            prog_type: args.prog_type.as_deref(),
            btf: args.btf.as_deref(),
        };
        let targets = super::tail_targets::same_type_programs(&source, &loaded)?;
        let target_inputs: Vec<_> = targets.iter().map(Loaded::verify_input).collect();
        match diff::diff_program_with_targets(&vin, &target_inputs, &opts, &cfg) {
            Err(e) => {
                doc.skipped = Some(e.to_string());
            }
            Ok(rep) => {
                fill(&mut doc, &rep);
                // Generated program-array value `i` names this target.
                let slot_names: Vec<String> = rep
                    .targets
                    .iter()
                    .map(|&i| targets[i].name.clone())
                    .collect();
                doc.tail_call_targets = slot_names.clone();
                doc.tail_call_targets_left_out = rep
                    .targets_left_out
                    .iter()
                    .map(|(i, why)| format!("{}: {why}", targets[*i].name))
                    .collect();
                for f in &rep.findings {
                    let repro =
                        write_reproducer(&outdir, &args.file, &loaded, &slot_names, f, args.seed)?;
                    doc.findings.push(FindingDoc {
                        kind: f.kind.to_string(),
                        run: f.run,
                        run_seed: f.run_seed,
                        detail: f.detail.clone(),
                        reproducer: Some(repro),
                    });
                }
                if args.kernel {
                    doc.kernel = Some(kernel_compare(
                        &elf,
                        &args.file,
                        &loaded,
                        &targets,
                        &cfg,
                        &mut doc.findings,
                    ));
                }
            }
        }
        doc.seconds = started.elapsed().as_secs_f64();
        docs.push(doc);
        bar.inc(1);
    }
    bar.finish_and_clear();
    let mut out = String::new();
    match args.format {
        Format::Json => {
            out = serde_json::to_string_pretty(&docs)?;
            out.push('\n');
        }
        Format::Human => {
            for d in &docs {
                render_human(d, &mut out);
            }
            if docs.iter().any(|d| !d.findings.is_empty()) {
                let _ = writeln!(out, "reproducers in {}", outdir.display());
            }
        }
    }
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout.write_all(out.as_bytes()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return Err(e.into());
        }
    }
    Ok(if docs.iter().any(|d| !d.findings.is_empty()) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn fill(doc: &mut ProgDoc, rep: &DiffReport) {
    doc.runs = rep.runs;
    doc.completed = rep.completed;
    doc.skipped_runs = rep.skipped.iter().map(|(k, v)| (k.clone(), *v)).collect();
    doc.steps_checked = rep.steps_checked;
    doc.steps_unchecked = rep.steps_unchecked;
    doc.n_insns = rep.n_insns;
    doc.insns_with_states = rep.insns_with_states;
    doc.insns_saturated = rep.insns_saturated;
}

fn render_human(d: &ProgDoc, out: &mut String) {
    let _ = write!(out, "{} ({}): ", d.program, d.prog_type);
    if let Some(why) = &d.skipped {
        let _ = writeln!(out, "not diffed: {why}");
        return;
    }
    let _ = write!(
        out,
        "{} runs, {} completed, {} finding{}",
        d.runs,
        d.completed,
        d.findings.len(),
        if d.findings.len() == 1 { "" } else { "s" }
    );
    for (why, n) in &d.skipped_runs {
        let _ = write!(out, ", {n} skipped ({why})");
    }
    let _ = writeln!(out, " [{:.2}s]", d.seconds);
    let _ = writeln!(
        out,
        "  states: {} interpreter steps checked against the analyzer's states, {} at saturated insns; {}/{} insns explored, {} saturated",
        d.steps_checked, d.steps_unchecked, d.insns_with_states, d.n_insns, d.insns_saturated
    );
    if !d.tail_call_targets.is_empty() {
        let _ = writeln!(
            out,
            "  tail calls: program arrays filled with {}",
            d.tail_call_targets.join(", ")
        );
    }
    for why in &d.tail_call_targets_left_out {
        let _ = writeln!(out, "  tail calls: left out {why}");
    }
    if let Some(k) = &d.kernel {
        match &k.unavailable {
            Some(why) => {
                let _ = writeln!(out, "  kernel: not compared: {why}");
            }
            None => {
                let _ = writeln!(
                    out,
                    "  kernel: {} packets, {} agreed (r0 and output packet), {} refused by the kernel, {} skipped {:?}",
                    k.runs, k.agreed, k.refused, k.skipped.values().sum::<u32>(), k.skipped
                );
                if k.agreed_with_tail_calls > 0 {
                    let _ = writeln!(
                        out,
                        "  kernel: {} of the agreed runs tail-called into the object's other programs",
                        k.agreed_with_tail_calls
                    );
                }
            }
        }
    }
    for f in &d.findings {
        let _ = writeln!(
            out,
            "  {} at run {} (run seed {:#x}): {}",
            f.kind, f.run, f.run_seed, f.detail
        );
        if let Some(r) = &f.reproducer {
            let _ = writeln!(out, "    replay: {r}");
        }
    }
}
