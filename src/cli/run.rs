//! `bpfvet run`: runs one program on the interpreter or the JIT and prints what it did.
//!
//! Glue only: loading and map set-up are `bpfvet_runtime::load`, inputs `bpfvet_runtime::diff`'s
//! context shapes, verification `bpfvet_analyzer::verifier::verify_program`.
//!
//! With `--repeat N`, `r0` and the packet are the last run's (every run starts from the same
//! input), while map changes and captured events accumulate over all N runs, as with
//! `BPF_PROG_TEST_RUN`'s `repeat`. Exit codes: 0 the program ran, 1 it faulted or (with
//! `--engine jit`) the verifier rejected it, 2 usage or input error.
//!
//! BTF-typed contexts (tp_btf, fentry, lsm, iterators) need the kernel's BTF (`--btf`, default
//! the running kernel's): the program is verified first, for the argument types and the loads
//! that go through kernel objects (which then run as the kernel's probe loads). Each pointer
//! argument points to a zeroed read-only object of the pointee's size; `--ctx` gives the
//! other arguments.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context as _;
use bpfvet_analyzer::btf::Btf;
use bpfvet_analyzer::isa::Insn;
use bpfvet_analyzer::program::{MapDef, Object};
use bpfvet_analyzer::rules::ProgTypeRules;
use bpfvet_analyzer::verifier::env::Input as VerifyInput;
use bpfvet_analyzer::verifier::{verify_program, VerifiedProgram};
use bpfvet_runtime::diff::{self, BtfSlots, CtxShape, Outcome};
use bpfvet_runtime::interp::{self, Prepared};
use bpfvet_runtime::mem::{CtxObject, ObjectKind};
use bpfvet_runtime::{jit, load, Fault, Input, Machine, RunResult, XDP_FIELDS};

use super::tail_targets;

/// Which engine runs the program.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    /// The interpreter: any program, every access checked.
    Interp,
    /// The JIT: only programs the verifier accepts (exits 1 otherwise).
    Jit,
    /// The JIT with every access checked: any program.
    JitChecked,
}

/// Output formats.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
}

#[derive(clap::Args, Debug)]
#[command(after_help = "\
FILE is a BPF ELF object, or llvm-objdump-style assembly (then --type gives the program type; \
default socket_filter).\n\
KEY and VALUE of --map are hex bytes in memory order (0x0100000000000000, or 01:00:00:00), or a \
decimal number stored little-endian in the map's key or value size.\n\
Exit codes: 0 ran, 1 faulted or (--engine jit) rejected by the verifier, 2 usage/IO error.")]
pub struct Args {
    /// A BPF ELF object or an assembly file.
    file: PathBuf,
    /// The program to run (function name); needed when the object has several.
    #[arg(long, short = 'p')]
    program: Option<String>,
    /// The program type (overrides the section name; needed for assembly).
    #[arg(long = "type", short = 't')]
    prog_type: Option<String>,
    #[arg(long, value_enum, default_value_t = Engine::Interp)]
    engine: Engine,
    /// Packet bytes (packet program types).
    #[arg(long)]
    packet: Option<PathBuf>,
    /// Context bytes (`struct xdp_md`, `struct __sk_buff`, the tracepoint record, ...); default
    /// zeroes (with `__sk_buff.len` set to the packet's length).
    #[arg(long)]
    ctx: Option<PathBuf>,
    /// Set an entry before the run: `--map NAME KEY=VALUE` (repeatable).
    #[arg(long, num_args = 2, value_names = ["NAME", "KEY=VALUE"], action = clap::ArgAction::Append)]
    map: Vec<String>,
    /// Run this many times and report the mean time per run.
    #[arg(long, default_value_t = 1)]
    repeat: u32,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Kernel version to verify against, X.Y (with --engine jit).
    #[arg(long)]
    kernel: Option<String>,
    /// Verify as an unprivileged program (with --engine jit), and run its tail calls with the
    /// bound the verifier inserts for one (an index above u32::MAX makes no tail call).
    #[arg(long)]
    unprivileged: bool,
    /// The number of possible CPUs (`nr_cpu_ids`): the bits of a cpumask (at most 256). Give
    /// the kernel's count to compare with its test run (`nproc --all`).
    #[arg(long, value_name = "N", default_value_t = bpfvet_runtime::DEFAULT_NR_CPUS,
          value_parser = clap::value_parser!(u32).range(1..=i64::from(bpfvet_runtime::cpumask::MAX_CPUS)))]
    nr_cpus: u32,
    /// Kernel BTF that types tp_btf, fentry, lsm and iterator contexts and resolves CO-RE
    /// relocations (default: the running kernel's /sys/kernel/btf/vmlinux, when present).
    #[arg(long, value_name = "FILE")]
    btf: Option<PathBuf>,
    /// An object the context points to (repeatable): `flow_keys=FILE`, a flow dissector's
    /// initial `struct bpf_flow_keys` (default: as the kernel's test run starts them), or
    /// `OFFSET=FILE`, the kernel object that a BTF-typed context's pointer argument at byte
    /// OFFSET points to (default: zeroes; once one is given, arguments without one are NULL).
    #[arg(long = "object", value_name = "WHERE=FILE")]
    objects: Vec<String>,
}

/// The objects given with `--object`.
#[derive(Default)]
struct GivenObjects {
    flow_keys: Option<Vec<u8>>,
    /// `(context offset, bytes)`.
    args: Vec<(u32, Vec<u8>)>,
}

fn parse_objects(specs: &[String]) -> anyhow::Result<GivenObjects> {
    let mut res = GivenObjects::default();
    for spec in specs {
        let (at, file) = spec
            .split_once('=')
            .ok_or_else(|| anyhow::anyhow!("--object: want WHERE=FILE, got {spec:?}"))?;
        let bytes =
            std::fs::read(file).with_context(|| format!("--object {at}: cannot read {file}"))?;
        if at == "flow_keys" {
            res.flow_keys = Some(bytes);
        } else {
            let off: u32 = at.parse().with_context(|| {
                format!("--object: {at:?} is neither flow_keys nor a context offset")
            })?;
            res.args.push((off, bytes));
        }
    }
    Ok(res)
}

/// A program to run, from an object or an assembly file.
pub(super) struct Loaded {
    pub name: String,
    pub insns: Vec<Insn>,
    pub maps: Vec<MapDef>,
    pub rules: &'static ProgTypeRules,
    pub gpl: bool,
    /// The object, when the input was one (for the verifier's BTF and function info).
    pub obj: Option<Object>,
    /// The kernel's BTF, when the program needs it (a BTF-typed context, CO-RE relocations)
    /// and one was found.
    pub kernel_btf: Option<&'static Btf>,
}

impl Loaded {
    /// The verifier's input for this program.
    pub fn verify_input(&self) -> VerifyInput<'_> {
        if let Some(obj) = &self.obj {
            if let Some(p) = obj.program(&self.name) {
                let mut input =
                    VerifyInput::new(obj, p, self.rules).with_kernel_btf(self.kernel_btf);
                input.insns = &self.insns;
                return input;
            }
        }
        VerifyInput::bare(&self.insns, &self.maps, self.rules, self.gpl)
    }
}

/// Loads `path` as an object (ELF magic) or assembly, and selects one program. A program with
/// a BTF-typed context or CO-RE relocations gets the kernel's BTF (`btf`, else the running
/// kernel's), and its relocations resolved against it, as `bpfvet check` does.
pub(super) fn load_one(
    path: &Path,
    program: Option<&str>,
    prog_type: Option<&str>,
    btf: Option<&Path>,
) -> anyhow::Result<Loaded> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let override_type = super::check::override_type(prog_type)?;
    if bytes.starts_with(b"\x7fELF") {
        let obj = super::load::load_object(path)?;
        let progs = super::load::select(&obj, path, program)?;
        let [prog] = progs.as_slice() else {
            let names: Vec<&str> = progs.iter().map(|p| p.name()).collect();
            anyhow::bail!(
                "{}: {} programs ({}); pick one with --program",
                path.display(),
                names.len(),
                names.join(", ")
            );
        };
        let rules = super::check::rules_for(prog, override_type)?;
        let kernel_btf = super::load::kernel_btf_for(&obj, prog, rules, btf)?;
        let (relocated, note) = super::load::core_relocate(&obj, prog, kernel_btf);
        if let Some(note) = note {
            eprintln!("bpfvet: {}: {note}", prog.name());
        }
        let insns = relocated.as_ref().unwrap_or(prog).insns().to_vec();
        return Ok(Loaded {
            name: prog.name().to_string(),
            insns,
            maps: obj.maps().to_vec(),
            rules,
            gpl: prog.is_gpl_compatible(),
            obj: Some(obj),
            kernel_btf,
        });
    }
    let text = String::from_utf8(bytes)
        .map_err(|_| anyhow::anyhow!("{}: neither an ELF object nor text", path.display()))?;
    let insns = bpfvet_analyzer::isa::text::parse_program(&text)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let rules = match override_type {
        Some(r) => r,
        None => ProgTypeRules::by_name("socket_filter").expect("socket_filter rules exist"),
    };
    Ok(Loaded {
        name: path
            .file_stem()
            .map_or_else(|| "prog".to_string(), |s| s.to_string_lossy().into_owned()),
        insns,
        maps: Vec::new(),
        rules,
        gpl: true,
        obj: None,
        kernel_btf: None,
    })
}

/// The run's input: the packet and context files, or defaults for the program type (`slots`
/// types a BTF-typed context).
fn build_input(
    rules: &ProgTypeRules,
    slots: Option<&BtfSlots>,
    nf: Option<bpfvet_runtime::netfilter::NfLayout>,
    given: GivenObjects,
    packet: Option<&Path>,
    ctx: Option<&Path>,
) -> anyhow::Result<Input> {
    let shape = diff::ctx_shape(rules);
    let flow_dissector = diff::ctx_fields(rules)
        .iter()
        .any(|(_, f)| *f == bpfvet_runtime::mem::CtxField::FlowKeys);
    if given.flow_keys.is_some() && !flow_dissector {
        anyhow::bail!(
            "--object flow_keys: {} programs have no flow keys",
            rules.name
        );
    }
    if !given.args.is_empty() && shape != CtxShape::BtfArgs {
        anyhow::bail!(
            "--object OFFSET: {} programs have no BTF-typed pointer arguments",
            rules.name
        );
    }
    let read = |p: &Path| std::fs::read(p).with_context(|| format!("cannot read {}", p.display()));
    let packet = packet.map(read).transpose()?;
    let ctx = ctx.map(read).transpose()?;
    Ok(match shape {
        CtxShape::Xdp => Input::Context {
            ctx: ctx.unwrap_or_else(|| vec![0; 24]),
            packet: Some(packet.unwrap_or_default()),
            fields: XDP_FIELDS.to_vec(),
            objects: Vec::new(),
        },
        CtxShape::Skb => {
            let packet = packet.unwrap_or_default();
            let ctx = ctx.unwrap_or_else(|| {
                let mut c = vec![0; 192];
                c[..4].copy_from_slice(&(packet.len() as u32).to_le_bytes());
                c
            });
            let fields = diff::ctx_fields(rules);
            let mut objects = Vec::new();
            if flow_dissector {
                // Its keys as given, else as the kernel's test run starts them.
                let proto = packet
                    .get(12..14)
                    .map_or(0, |p| u16::from_be_bytes([p[0], p[1]]));
                let mut keys = diff::flow_keys(proto, 0);
                if let Some(bytes) = given.flow_keys {
                    if bytes.len() != keys.bytes.len() {
                        anyhow::bail!(
                            "--object flow_keys: {} bytes, struct bpf_flow_keys has {}",
                            bytes.len(),
                            keys.bytes.len()
                        );
                    }
                    keys.bytes = bytes;
                }
                objects.push(keys);
            }
            Input::Context {
                ctx,
                packet: Some(packet),
                fields,
                objects,
            }
        }
        CtxShape::Buffer(n) => {
            let buf = packet.unwrap_or_default();
            Input::Context {
                ctx: ctx.unwrap_or_else(|| vec![0; n as usize]),
                packet: Some(buf),
                fields: diff::ctx_fields(rules),
                objects: Vec::new(),
            }
        }
        CtxShape::BtfArgs => {
            if packet.is_some() {
                anyhow::bail!(
                    "--packet: {} programs take no packet (use --ctx)",
                    rules.name
                );
            }
            let slots = slots.map_or(&[][..], |s| &s.0[..]);
            let objects = if given.args.is_empty() {
                slots
                    .iter()
                    .enumerate()
                    .filter_map(|(i, s)| {
                        s.map(|(size, _)| CtxObject {
                            kind: ObjectKind::kernel_for(rules.name),
                            bytes: vec![0; size as usize],
                            slot: Some(i as u32 * 8),
                        })
                    })
                    .collect()
            } else {
                let mut objects = Vec::new();
                for (off, bytes) in given.args {
                    let is_ptr =
                        off % 8 == 0 && slots.get(off as usize / 8).is_some_and(Option::is_some);
                    if !is_ptr {
                        anyhow::bail!(
                            "--object {off}: the context has no pointer argument at offset {off}"
                        );
                    }
                    objects.push(CtxObject {
                        kind: ObjectKind::kernel_for(rules.name),
                        bytes,
                        slot: Some(off),
                    });
                }
                objects
            };
            Input::Context {
                ctx: ctx.unwrap_or_else(|| vec![0; slots.len() * 8]),
                packet: None,
                fields: Vec::new(),
                objects,
            }
        }
        CtxShape::Netfilter => {
            // The test run's hook state (IPv4 at LOCAL_OUT) over the packet as the skb's data.
            let Some(layout) = nf else {
                anyhow::bail!(
                    "{} programs need the kernel's BTF for their context (pass --btf)",
                    rules.name
                );
            };
            let mut input = layout.test_run_input(&packet.unwrap_or_default());
            if let (Some(given), Input::Context { ctx: c, .. }) = (ctx, &mut input) {
                *c = given;
            }
            input
        }
        CtxShape::Plain(n) => {
            if packet.is_some() {
                anyhow::bail!(
                    "--packet: {} programs take no packet (use --ctx)",
                    rules.name
                );
            }
            Input::Context {
                ctx: ctx.unwrap_or_else(|| vec![0; n as usize]),
                packet: None,
                fields: Vec::new(),
                objects: Vec::new(),
            }
        }
    })
}

/// Parses a `--map` key or value for a field of `size` bytes.
pub(super) fn parse_bytes(s: &str, size: u32) -> anyhow::Result<Vec<u8>> {
    let size = size as usize;
    let bytes = if let Some(hex) = s.strip_prefix("0x") {
        hex_bytes(hex)?
    } else if s.contains(':') {
        hex_bytes(&s.replace(':', ""))?
    } else {
        let n: u128 = s
            .parse()
            .with_context(|| format!("{s:?} is neither hex bytes nor a decimal number"))?;
        let le = n.to_le_bytes();
        if size > le.len() || le[size.min(16)..].iter().any(|b| *b != 0) {
            anyhow::bail!("{n} does not fit in {size} bytes");
        }
        le[..size].to_vec()
    };
    if bytes.len() != size {
        anyhow::bail!("{s:?} is {} bytes, the map wants {size}", bytes.len());
    }
    Ok(bytes)
}

fn hex_bytes(hex: &str) -> anyhow::Result<Vec<u8>> {
    if hex.len() % 2 != 0 {
        anyhow::bail!("odd number of hex digits in {hex:?}");
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).with_context(|| format!("bad hex {hex:?}")))
        .collect()
}

pub(super) fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// The kernel's name for a return value, where the type has named ones.
fn retval_name(prog_type: &str, r0: u64) -> Option<&'static str> {
    let xdp = [
        "XDP_ABORTED",
        "XDP_DROP",
        "XDP_PASS",
        "XDP_TX",
        "XDP_REDIRECT",
    ];
    match prog_type {
        "xdp" => xdp.get(r0 as u32 as usize).copied(),
        "sched_cls" | "sched_act" => match r0 as u32 as i32 {
            -1 => Some("TC_ACT_UNSPEC"),
            0 => Some("TC_ACT_OK"),
            1 => Some("TC_ACT_RECLASSIFY"),
            2 => Some("TC_ACT_SHOT"),
            3 => Some("TC_ACT_PIPE"),
            4 => Some("TC_ACT_STOLEN"),
            7 => Some("TC_ACT_REDIRECT"),
            _ => None,
        },
        _ => None,
    }
}

#[derive(serde::Serialize)]
struct MapChange {
    map: String,
    key: String,
    old: Option<String>,
    new: Option<String>,
}

#[derive(serde::Serialize)]
struct Event {
    map: String,
    kind: &'static str,
    bytes: String,
}

#[derive(serde::Serialize)]
struct RunDoc {
    program: String,
    prog_type: &'static str,
    engine: &'static str,
    runs: u32,
    r0: Option<u64>,
    r0_name: Option<&'static str>,
    fault: Option<String>,
    /// The programs the last run's tail calls entered, in order.
    tail_calls: Vec<String>,
    packet_in: Option<String>,
    packet_out: Option<String>,
    /// The context after the run, when the program changed it (object addresses zeroed).
    ctx_out: Option<String>,
    /// A flow dissector's keys after the run.
    flow_keys_out: Option<String>,
    map_changes: Vec<MapChange>,
    events: Vec<Event>,
    printk: Vec<String>,
    /// BPF instructions the last run executed (the interpreter counts them; the JIT does not).
    insns_executed: Option<u64>,
    mean_ns_per_run: f64,
    /// The mean of the fastest of (up to) 100 equal batches of runs: on a shared machine, the
    /// figure least disturbed by other processes (the kernel's test-run duration likewise leaves
    /// out time the test was scheduled away).
    best_ns_per_run: f64,
}

fn map_changes(before: &Outcome, after: &Outcome, maps: &[MapDef]) -> Vec<MapChange> {
    let mut res = Vec::new();
    for (i, (b, a)) in before.maps.iter().zip(&after.maps).enumerate() {
        let name = maps
            .get(i)
            .map_or_else(|| format!("map{i}"), |m| m.name.clone());
        // Keyed lookups: an array map lists every slot (65,536 in some corpus programs).
        let before: HashMap<&[u8], &[u8]> = b
            .iter()
            .map(|(k, v)| (k.as_slice(), v.as_slice()))
            .collect();
        let after: HashSet<&[u8]> = a.iter().map(|(k, _)| k.as_slice()).collect();
        for (k, v) in a {
            let old = before.get(k.as_slice()).copied();
            if old != Some(v.as_slice()) {
                res.push(MapChange {
                    map: name.clone(),
                    key: hex(k),
                    old: old.map(hex),
                    new: Some(hex(v)),
                });
            }
        }
        for (k, v) in b {
            if !after.contains(k.as_slice()) {
                res.push(MapChange {
                    map: name.clone(),
                    key: hex(k),
                    old: Some(hex(v)),
                    new: None,
                });
            }
        }
    }
    res
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let loaded = load_one(
        &args.file,
        args.program.as_deref(),
        args.prog_type.as_deref(),
        args.btf.as_deref(),
    )?;
    let opts = super::check::options(args.kernel.as_deref(), args.unprivileged)?;
    // A BTF-typed context is laid out by the verifier's typing, and its kernel-object loads
    // must run as probe loads: verify first. The JIT needs the verdict anyway.
    let btf_ctx = loaded.rules.ctx == bpfvet_analyzer::rules::CtxModel::BtfArgs;
    let netfilter = diff::ctx_shape(loaded.rules) == CtxShape::Netfilter;
    let verified = if btf_ctx || netfilter || args.engine == Engine::Jit {
        Some(verify_program(&loaded.verify_input(), &opts))
    } else {
        None
    };
    let accepted: Option<&VerifiedProgram> = verified.as_ref().and_then(|v| v.as_ref().ok());
    let returns_nothing = accepted.is_some_and(VerifiedProgram::returns_nothing);
    let slots = accepted
        .and_then(VerifiedProgram::ctx_args)
        .zip(loaded.kernel_btf)
        .map(|(a, k)| BtfSlots::new(a, k));
    if btf_ctx && slots.is_none() {
        eprintln!(
            "bpfvet run: {}: the context's types are unknown (the verifier rejects the program, or there is no kernel BTF): its pointer arguments are NULL",
            loaded.name
        );
    }
    let nf = loaded
        .kernel_btf
        .and_then(bpfvet_runtime::netfilter::NfLayout::from_btf);
    let input = build_input(
        loaded.rules,
        slots.as_ref(),
        nf,
        parse_objects(&args.objects)?,
        args.packet.as_deref(),
        args.ctx.as_deref(),
    )?;
    let mut m = Machine::new();
    m.env.unprivileged = args.unprivileged;
    m.env.nr_cpus = args.nr_cpus;
    m.env.skb_dynptr_rdonly = bpfvet_runtime::dynptr::skb_dynptr_rdonly(loaded.rules.name);
    let prog = load::load_program(&mut m, &loaded.maps, &loaded.insns)
        .map_err(|e| anyhow::anyhow!("{}: {e}", loaded.name))?
        .with_probe_loads(accepted.map_or_else(Vec::new, |v| v.probe_loads().to_vec()))
        .with_kfuncs(bpfvet_runtime::kfuncs::names(loaded.verify_input().relocs));
    if args.map.len() % 2 != 0 {
        anyhow::bail!("--map takes NAME and KEY=VALUE");
    }
    let mut tails = tail_targets::TailTargets::default();
    for pair in args.map.chunks(2) {
        let (name, kv) = (&pair[0], &pair[1]);
        let idx = loaded
            .maps
            .iter()
            .position(|m| m.name == *name)
            .ok_or_else(|| anyhow::anyhow!("--map: no map named {name:?}"))?;
        let def = &loaded.maps[idx];
        let (k, v) = kv
            .split_once('=')
            .ok_or_else(|| anyhow::anyhow!("--map {name}: want KEY=VALUE, got {kv:?}"))?;
        let (k, v) = (
            parse_bytes(k, def.key_size).with_context(|| format!("--map {name} key"))?,
            if tail_targets::is_prog_array(def) {
                tails.slot_value(name, v, def.value_size)?
            } else {
                parse_bytes(v, def.value_size).with_context(|| format!("--map {name} value"))?
            },
        );
        let rc = m.map_update(prog.maps()[idx], &k, &v, 0);
        if rc != 0 {
            anyhow::bail!("--map {name}: update failed with {rc}");
        }
    }
    let source = tail_targets::Source {
        file: &args.file,
        prog_type: args.prog_type.as_deref(),
        btf: args.btf.as_deref(),
    };
    let targets = tails.load(
        &source,
        &loaded,
        prog.maps(),
        &opts,
        btf_ctx || args.engine == Engine::Jit,
    )?;
    let repeat = args.repeat.max(1);
    let before = diff::outcome(&mut m, &Err(placeholder_fault()));
    let engine_name = match args.engine {
        Engine::Interp => "interp",
        Engine::Jit => "jit",
        Engine::JitChecked => "jit-checked",
    };
    let timing = match args.engine {
        Engine::Interp => {
            let prepared = Prepared::new(&prog);
            let chain: Vec<Prepared> = targets.iter().map(|t| Prepared::new(&t.prog)).collect();
            let chain: Vec<&Prepared> = chain.iter().collect();
            time_runs(&mut m, repeat, |m| {
                interp::run_chain(m, &chain, &prepared, &input)
            })
        }
        Engine::JitChecked => {
            let code = jit::compile_checked(&prog)?;
            let chain = tail_targets::compile(&targets, &m)?;
            let chain: Vec<&jit::JitProgram> = chain.iter().collect();
            time_runs(&mut m, repeat, |m| code.run_chain(&chain, m, &input))
        }
        Engine::Jit => {
            let Some(verified) = verified else {
                anyhow::bail!("internal error: the program was not verified for the JIT");
            };
            let verified = match verified {
                Ok(v) => v,
                Err(res) => {
                    eprintln!(
                        "bpfvet run: {}: the verifier rejects it, so the JIT will not compile it ({} finding{}):",
                        loaded.name,
                        res.violations.len(),
                        if res.violations.len() == 1 { "" } else { "s" }
                    );
                    for v in res.violations.iter().take(5) {
                        eprintln!("  insn {}: {} [{}]", v.insn, v.message, v.code);
                    }
                    eprintln!("  (use --engine interp or --engine jit-checked to run it anyway; `bpfvet check` explains)");
                    return Ok(ExitCode::from(1));
                }
            };
            let code = jit::compile(&verified, &m, prog.maps())?;
            let chain = tail_targets::compile(&targets, &m)?;
            let chain: Vec<&jit::JitProgram> = chain.iter().collect();
            time_runs(&mut m, repeat, |m| code.run_chain(&chain, m, &input))
        }
    };
    let Timing {
        last: res,
        mean_ns,
        best_ns,
    } = timing;
    let after = diff::outcome(&mut m, &res);
    let mut events = Vec::new();
    for i in 0..m.maps_len() {
        let Some(map) = m.map(bpfvet_runtime::maps::MapId(i)) else {
            continue;
        };
        let name = loaded
            .maps
            .get(i as usize)
            .map_or_else(|| format!("map{i}"), |d| d.name.clone());
        for r in map.ringbuf_records() {
            events.push(Event {
                map: name.clone(),
                kind: "ringbuf",
                bytes: hex(r),
            });
        }
        for (_, e) in map.perf_events() {
            events.push(Event {
                map: name.clone(),
                kind: "perf",
                bytes: hex(e),
            });
        }
    }
    let packet_in = match &input {
        Input::Context { packet, .. } => packet.as_ref().map(|p| hex(p)),
        _ => None,
    };
    let doc = RunDoc {
        program: loaded.name.clone(),
        prog_type: loaded.rules.name,
        engine: engine_name,
        runs: repeat,
        // A program implementing a void kernel function leaves whatever r0 held: no result.
        r0: res.as_ref().ok().filter(|_| !returns_nothing).map(|r| r.r0),
        r0_name: res
            .as_ref()
            .ok()
            .and_then(|r| retval_name(loaded.rules.name, r.r0)),
        fault: res.as_ref().err().map(ToString::to_string),
        tail_calls: res.as_ref().map_or_else(
            |_| Vec::new(),
            |r| {
                r.tail_calls
                    .iter()
                    .map(|&i| {
                        targets
                            .get(i as usize)
                            .map_or_else(|| format!("#{i}"), |t| t.name.clone())
                    })
                    .collect()
            },
        ),
        packet_in,
        packet_out: res
            .as_ref()
            .ok()
            .and_then(|r| r.packet.as_ref())
            .map(|p| hex(p)),
        ctx_out: match &input {
            Input::Context { ctx, objects, .. } if objects.is_empty() => m
                .mem
                .context_bytes()
                .filter(|after| after != ctx)
                .map(|after| hex(&after)),
            _ => None,
        },
        flow_keys_out: m.mem.written_objects().first().map(|k| hex(k)),
        map_changes: map_changes(&before, &after, &loaded.maps),
        events,
        printk: m.env.trace.clone(),
        insns_executed: res
            .as_ref()
            .ok()
            .filter(|_| args.engine == Engine::Interp)
            .map(|r| r.n_insns),
        mean_ns_per_run: mean_ns,
        best_ns_per_run: best_ns,
    };
    let mut out = String::new();
    match args.format {
        Format::Json => {
            out = serde_json::to_string_pretty(&doc)?;
            out.push('\n');
        }
        Format::Human => render_human(&doc, &mut out),
    }
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout.write_all(out.as_bytes()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return Err(e.into());
        }
    }
    Ok(if doc.fault.is_some() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// What [`time_runs`] measured.
struct Timing {
    last: Result<RunResult, Fault>,
    mean_ns: f64,
    best_ns: f64,
}

/// Runs `run` `repeat` times in up to 100 batches, copying the packet and buffer out only on
/// the last run (the only result kept).
fn time_runs(
    m: &mut Machine,
    repeat: u32,
    mut run: impl FnMut(&mut Machine) -> Result<RunResult, Fault>,
) -> Timing {
    let batch = repeat.div_ceil(100).max(1);
    m.capture_output = false;
    let mut best = f64::INFINITY;
    let mut done = 0;
    let mut last = None;
    let start = Instant::now();
    while done < repeat {
        let n = batch.min(repeat - done);
        let t = Instant::now();
        for _ in 0..n - 1 {
            // Only the last run's result is reported.
            let _ = run(m);
        }
        m.capture_output = done + n == repeat;
        last = Some(run(m));
        best = best.min(t.elapsed().as_nanos() as f64 / f64::from(n));
        done += n;
    }
    Timing {
        last: last.expect("repeat >= 1"),
        mean_ns: start.elapsed().as_nanos() as f64 / f64::from(repeat),
        best_ns: best,
    }
}

/// A stand-in result for reading the machine before any run.
fn placeholder_fault() -> bpfvet_runtime::Fault {
    bpfvet_runtime::Fault {
        insn: bpfvet_analyzer::isa::InsnIdx(0),
        kind: bpfvet_runtime::FaultKind::BadInput {
            reason: "not run yet".to_string(),
        },
    }
}

fn render_human(d: &RunDoc, out: &mut String) {
    let _ = writeln!(
        out,
        "{} ({}) on {}, {} run{}",
        d.program,
        d.prog_type,
        d.engine,
        d.runs,
        if d.runs == 1 { "" } else { "s" }
    );
    match (d.r0, &d.fault) {
        (Some(r0), _) => {
            let _ = write!(out, "r0 = {} ({r0:#x})", r0 as i64);
            if let Some(n) = d.r0_name {
                let _ = write!(out, " {n}");
            }
            out.push('\n');
        }
        (None, Some(f)) => {
            let _ = writeln!(out, "fault: {f}");
        }
        (None, None) => {
            let _ = writeln!(
                out,
                "returns nothing (it implements a void kernel function)"
            );
        }
    }
    if !d.tail_calls.is_empty() {
        let _ = writeln!(
            out,
            "tail calls: {} -> {}",
            d.program,
            d.tail_calls.join(" -> ")
        );
    }
    match (&d.packet_in, &d.packet_out) {
        (Some(i), Some(o)) if i == o => {
            let _ = writeln!(out, "packet: {} bytes, unchanged", i.len() / 2);
        }
        (_, Some(o)) => {
            let _ = writeln!(out, "packet after the run ({} bytes): {o}", o.len() / 2);
        }
        _ => {}
    }
    if let Some(c) = &d.ctx_out {
        let _ = writeln!(out, "context after the run: {c}");
    }
    if let Some(k) = &d.flow_keys_out {
        let _ = writeln!(out, "flow keys after the run: {k}");
    }
    if d.map_changes.is_empty() {
        let _ = writeln!(out, "maps: no change");
    } else {
        let _ = writeln!(out, "maps changed:");
        for c in &d.map_changes {
            let _ = writeln!(
                out,
                "  {}[{}]: {} -> {}",
                c.map,
                c.key,
                c.old.as_deref().unwrap_or("(none)"),
                c.new.as_deref().unwrap_or("(deleted)")
            );
        }
    }
    for e in &d.events {
        let _ = writeln!(out, "event {} {}: {}", e.kind, e.map, e.bytes);
    }
    for p in &d.printk {
        let _ = writeln!(out, "printk: {}", p.trim_end());
    }
    if let Some(n) = d.insns_executed {
        let _ = writeln!(out, "instructions executed: {n}");
    }
    let _ = writeln!(
        out,
        "time: {:.0} ns/run (mean of {}; fastest batch {:.0} ns/run)",
        d.mean_ns_per_run, d.runs, d.best_ns_per_run
    );
}
