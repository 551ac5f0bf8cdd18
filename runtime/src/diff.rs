//! Differential checks of one accepted program: the interpreter against the checked JIT, and
//! every concrete state against the analyzer's abstract state at the same instruction.
//!
//! How a program is checked ([`diff_program`]):
//! 1. The analyzer verifies it with a [`StateRecorder`] watching: per instruction, the distinct
//!    abstract register files it explored there (dead registers erased, ids dropped), up to
//!    [`MAX_STATES_PER_INSN`]; past that the instruction is marked *saturated* and not checked.
//! 2. Each run draws an input suited to the program type from a seeded generator ([`gen_input`]):
//!    Ethernet/IPv4/IPv6/TCP/UDP/ICMP/VLAN/ARP packets with random contents and lengths
//!    (truncated ones included), context fields, and map contents. Packet-like buffers that are
//!    not packets (an `sk_msg` message, a sockopt option value) reuse the packet machinery; a
//!    flow dissector gets its `bpf_flow_keys` as the kernel's test run fills them; a BTF-typed
//!    context (tp_btf, iterators, fentry) gets random u64 arguments whose pointers point to
//!    read-only objects of random bytes of the pointee's BTF size (NULL sometimes, where the
//!    type allows it), read with probe loads ([`crate::Program`]) as in the kernel.
//! 3. The interpreter runs it with a [`Tracer`](crate::interp::Tracer) that checks, before each
//!    instruction, that the live registers lie in the concretization of at least one recorded
//!    abstract state of the same call depth: a scalar must be a member of the `Scalar` (tnum, unsigned and signed ranges, both
//!    widths); a pointer must point into a region of the same kind, at an offset inside
//!    `off + var_off` (for packet pointers, relative to `data`; for stack pointers, to that frame's
//!    `r10`), or be NULL when the abstract pointer may be.
//! 4. The checked JIT runs the same input on a machine set up identically, and the two results
//!    are compared: `r0` or the fault, the packet, the context and the flow keys, every map
//!    entry (addresses a privileged program stored there compared by region and offset,
//!    `addresses`), ring-buffer records, perf events, `trace_printk` lines and redirects.
//!
//! Why only live registers: the verifier prunes a path when an explored state covers it *on the
//! live registers*, so a dead register may legitimately hold a value outside every recorded
//! state (see `bpfvet_analyzer::verifier::live_regs`). Stack contents are not checked.
//!
//! What is a finding: an engine mismatch, a state escape, or a fault of the interpreter on the
//! accepted program (out-of-bounds access, bad jump, call depth...). Unsupported helpers and
//! instructions end a run as a *skip* with its reason, counted, never as a pass.
//!
//! Here: the runs and the report. Inputs are `inputs` (context layouts: `ctx_gen`), recorded
//! states `states`, the check `check`, what a run left behind and its comparison `outcome`
//! (addresses in map values: `addresses`).

use crate::interp::{self, Prepared};
use crate::jit;
use crate::load::{self, LoadError};
use crate::machine::Machine;
use crate::mem::CtxField;
use crate::program::Program;
use crate::{Fault, FaultKind};
use bpfvet_analyzer::isa::{Insn, InsnIdx};
use bpfvet_analyzer::program::MapDef as ObjMapDef;
use bpfvet_analyzer::rules::CtxModel;
use bpfvet_analyzer::verifier::env::{Input as VerifyInput, Options};
use bpfvet_analyzer::verifier::state::PtrKind;
use bpfvet_analyzer::verifier::{verify_program_observed, VerifyResult};
use std::collections::BTreeMap;
use std::fmt;

/// Distinct abstract register files kept per instruction.
pub const MAX_STATES_PER_INSN: usize = 512;

/// A small seeded generator (xorshift64*), so runs are reproducible from a seed.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        // splitmix64 of the seed, so that nearby seeds give unrelated streams; never 0.
        let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        Rng((z ^ (z >> 31)) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    pub fn chance(&mut self, one_in: u64) -> bool {
        self.below(one_in) == 0
    }

    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next_u64() as u8).collect()
    }

    pub fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len() as u64) as usize]
    }
}

/// The seed of run `run` of a diff seeded with `seed`.
pub fn run_seed(seed: u64, run: u32) -> u64 {
    Rng::new(seed ^ (u64::from(run) << 32 | u64::from(run))).next_u64()
}

mod addresses;
mod check;
mod ctx_gen;
mod inputs;
mod outcome;
mod states;
pub use check::Escape;
use check::StateCheck;
pub use ctx_gen::{flow_keys, flow_keys_reported};
pub use inputs::{ctx_fields, ctx_shape, gen_input, gen_packet, BtfSlots, CtxShape, GenInput};
pub use outcome::{compare, outcome, Outcome};
pub use states::StateRecorder;

/// What kind of finding.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum FindingKind {
    /// The interpreter and the checked JIT disagree.
    EngineMismatch,
    /// A concrete register lies outside the abstract state at its instruction.
    StateEscape,
    /// The interpreter faulted on the accepted program.
    Fault,
}

impl fmt::Display for FindingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FindingKind::EngineMismatch => "engine-mismatch",
            FindingKind::StateEscape => "state-escape",
            FindingKind::Fault => "fault",
        })
    }
}

/// One finding, with the input that reproduces it.
#[derive(Clone, Debug)]
pub struct Finding {
    pub run: u32,
    /// The seed of this run alone ([`run_seed`]).
    pub run_seed: u64,
    pub kind: FindingKind,
    pub detail: String,
    pub input: GenInput,
}

/// The figures of one program's differential run.
#[derive(Clone, Debug, Default)]
pub struct DiffReport {
    pub runs: u32,
    /// Runs that ended without a skip reason (both engines ran to the end or faulted alike).
    pub completed: u32,
    /// Skip reason (`unsupported helper bpf_x`, ...) → runs.
    pub skipped: BTreeMap<String, u32>,
    pub findings: Vec<Finding>,
    /// Interpreter steps checked against an abstract state, and steps at saturated instructions.
    pub steps_checked: u64,
    pub steps_unchecked: u64,
    pub n_insns: usize,
    /// Instructions with recorded abstract states, and saturated ones.
    pub insns_with_states: usize,
    pub insns_saturated: usize,
    /// Tail-call targets (indices into the `targets` given) the program arrays were filled
    /// with; a generated slot value `i` names `targets[self.targets[i]]`.
    pub targets: Vec<usize>,
    /// Targets that could not be diffed themselves, with why; no slot names them.
    pub targets_left_out: Vec<(usize, String)>,
    /// Tail calls the interpreter followed into a target, over all runs.
    pub tail_calls_followed: u64,
}

/// Why a program could not be diffed at all.
#[derive(Debug)]
pub enum DiffError {
    /// The analyzer rejected it.
    Rejected(Box<VerifyResult>),
    /// Its maps cannot be instantiated (an unsupported map type it uses).
    Load(LoadError),
    /// The checked JIT cannot compile it.
    Jit(jit::JitError),
    /// It loads a non-NULL pointer out of the context that the runtime does not model
    /// (the socket of `bpf_sockopt.sk`...).
    UnmodeledCtx { insn: InsnIdx, kind: &'static str },
    /// Its context is typed by the kernel's BTF, and none was given.
    NeedsKernelBtf,
}

impl fmt::Display for DiffError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DiffError::Rejected(r) => write!(
                f,
                "rejected by the analyzer ({})",
                r.violations
                    .first()
                    .map_or_else(|| "no finding".to_string(), |v| v.code.to_string())
            ),
            DiffError::Load(e) => write!(f, "{e}"),
            DiffError::Jit(e) => write!(f, "checked JIT: {e}"),
            DiffError::UnmodeledCtx { insn, kind } => write!(
                f,
                "insn {insn} loads a {kind} pointer out of the context, which the runtime does not model"
            ),
            DiffError::NeedsKernelBtf => f.write_str(
                "needs kernel BTF (its context is typed by the kernel's BTF; pass --btf)",
            ),
        }
    }
}

impl std::error::Error for DiffError {}

/// How to diff.
#[derive(Clone, Debug)]
pub struct DiffConfig {
    pub runs: u32,
    pub seed: u64,
    /// Stop after this many findings.
    pub max_findings: usize,
    /// Instruction budget per run (both engines): enough for a loop bounded only by
    /// `may_goto` to run the kernel's 8M turns.
    pub insn_limit: u64,
}

impl Default for DiffConfig {
    fn default() -> DiffConfig {
        DiffConfig {
            runs: 100,
            seed: 0,
            max_findings: 8,
            insn_limit: 1 << 26,
        }
    }
}

/// Sets up a machine for one run: maps instantiated, entries installed.
pub fn machine_for(
    maps: &[ObjMapDef],
    insns: &[Insn],
    gen: &GenInput,
    insn_limit: u64,
) -> Result<(Machine, Program), LoadError> {
    let mut m = Machine::new();
    m.env.insn_limit = insn_limit;
    let prog = load::load_program(&mut m, maps, insns)?;
    for (i, k, v) in &gen.map_entries {
        if let Some(&id) = prog.maps().get(*i as usize) {
            m.map_update(id, k, v, 0);
        }
    }
    Ok((m, prog))
}

/// Why a faulted run is a skip rather than a finding (an unsupported helper or instruction,
/// a kernel-owned object, the instruction budget).
pub fn skip_reason(f: &Fault) -> Option<String> {
    match &f.kind {
        FaultKind::UnsupportedHelper { id, name } => Some(match name {
            Some(n) => format!("unsupported helper bpf_{n}"),
            None => format!("unknown helper {id}"),
        }),
        FaultKind::UnsupportedInsn { what } => Some(format!("unsupported instruction: {what}")),
        FaultKind::UnsupportedKfunc { name } => Some(format!("unsupported kfunc {name}")),
        // A kernel-owned object (a task's cpumask) that an offline run does not have.
        FaultKind::ForeignObject { kfunc, object } => {
            Some(format!("{kfunc} on a kernel-owned {object}"))
        }
        FaultKind::InsnLimit { .. } => Some("instruction budget exhausted".to_string()),
        _ => None,
    }
}

/// A program made ready for differential runs: its abstract states recorded, pre-decoded
/// for the interpreter and compiled by the checked JIT.
struct Ready {
    rec: StateRecorder,
    /// The program implements a void kernel function: its r0 is not a result to compare.
    void_result: bool,
    slots: Option<BtfSlots>,
    /// A netfilter program's context layout, from the kernel's BTF.
    nf: Option<crate::netfilter::NfLayout>,
    prepared: Prepared,
    code: jit::JitProgram,
}

/// Verifies the program (recording its abstract states) and prepares it for both engines.
fn ready(vin: &VerifyInput<'_>, opts: &Options, cfg: &DiffConfig) -> Result<Ready, DiffError> {
    if vin.prog_type.ctx == CtxModel::BtfArgs && vin.kernel_btf.is_none() {
        return Err(DiffError::NeedsKernelBtf);
    }
    let nf = if ctx_shape(vin.prog_type) == CtxShape::Netfilter {
        let layout = vin
            .kernel_btf
            .and_then(crate::netfilter::NfLayout::from_btf)
            .ok_or(DiffError::NeedsKernelBtf)?;
        Some(layout)
    } else {
        None
    };
    let mut rec = StateRecorder::new(vin.insns);
    let verified = verify_program_observed(vin, opts, &mut rec)
        .map_err(|r| DiffError::Rejected(Box::new(r)))?;
    let fields = ctx_fields(vin.prog_type);
    for &(insn, kind) in verified.ctx_loads() {
        let field = match verified.insns().get(insn.idx()) {
            Some(Insn::Load { off, .. }) => u32::try_from(*off).ok(),
            _ => None,
        };
        let nullable = field
            .and_then(|o| vin.prog_type.ctx_field(o))
            .is_some_and(|f| f.yields_null);
        let modeled = field.is_some_and(|o| {
            fields.iter().any(|&(f, cf)| {
                f == o
                    && match cf {
                        CtxField::Data => kind == PtrKind::Packet,
                        CtxField::DataEnd => kind == PtrKind::PacketEnd,
                        CtxField::DataMeta => kind == PtrKind::PacketMeta,
                        CtxField::FlowKeys => kind == PtrKind::FlowKeys,
                        CtxField::Null => false,
                    }
            })
        });
        // Netfilter's `state` and `skb` hold the addresses of the objects the run installs.
        let nf_object = field.is_some_and(|o| nf.is_some_and(|l| l.slots().contains(&o)));
        if !(nullable || modeled || nf_object) {
            return Err(DiffError::UnmodeledCtx {
                insn,
                kind: kind.kernel_name(),
            });
        }
    }
    let slots = match (verified.ctx_args(), vin.kernel_btf) {
        (Some(args), Some(k)) => Some(BtfSlots::new(args, k)),
        _ => None,
    };
    let (_, probe) = machine_for(vin.maps, vin.insns, &GenInput::default(), cfg.insn_limit)
        .map_err(DiffError::Load)?;
    let probe = probe
        .with_probe_loads(verified.probe_loads().to_vec())
        .with_kfuncs(crate::kfuncs::names(vin.relocs));
    let prepared = Prepared::new(&probe);
    let code = jit::compile_checked(&probe).map_err(DiffError::Jit)?;
    Ok(Ready {
        rec,
        void_result: verified.returns_nothing(),
        slots,
        nf,
        prepared,
        code,
    })
}

/// Verifies the program (recording abstract states), then runs `cfg.runs` generated inputs
/// through the interpreter (checking states) and the checked JIT (comparing results).
pub fn diff_program(
    vin: &VerifyInput<'_>,
    opts: &Options,
    cfg: &DiffConfig,
) -> Result<DiffReport, DiffError> {
    diff_program_with_targets(vin, &[], opts, cfg)
}

/// [`diff_program`], with `targets` (other programs of the object, of the same type) in reach
/// of the program's tail calls: the generated inputs fill its program arrays with them
/// (value `i` is `targets[i]`), both engines follow the tail calls, and each target's steps
/// are checked against its own abstract states. A target that cannot be diffed itself is left
/// out of the slots ([`DiffReport::targets_left_out`]).
pub fn diff_program_with_targets(
    vin: &VerifyInput<'_>,
    targets: &[VerifyInput<'_>],
    opts: &Options,
    cfg: &DiffConfig,
) -> Result<DiffReport, DiffError> {
    let entry = ready(vin, opts, cfg)?;
    // Generated slots name the targets that could be prepared (`reached_idx`: their indices
    // in `targets`).
    let (mut reached, mut reached_idx, mut left_out) = (Vec::new(), Vec::new(), Vec::new());
    for (i, t) in targets.iter().enumerate() {
        match ready(t, opts, cfg) {
            Ok(r) => {
                reached.push(r);
                reached_idx.push(i);
            }
            Err(e) => left_out.push((i, e.to_string())),
        }
    }
    let recs: Vec<&StateRecorder> = reached.iter().map(|r| &r.rec).collect();
    let prepared: Vec<&Prepared> = reached.iter().map(|r| &r.prepared).collect();
    let codes: Vec<&jit::JitProgram> = reached.iter().map(|r| &r.code).collect();
    let (rec, slots, nf) = (&entry.rec, entry.slots.as_ref(), entry.nf);
    let insns = vin.insns;
    let maps = vin.maps;
    let mut report = DiffReport {
        n_insns: insns.len(),
        insns_with_states: rec.n_covered(),
        insns_saturated: rec.n_saturated(),
        targets: reached_idx,
        targets_left_out: left_out,
        ..DiffReport::default()
    };
    for run in 0..cfg.runs {
        if report.findings.len() >= cfg.max_findings {
            break;
        }
        report.runs += 1;
        let rs = run_seed(cfg.seed, run);
        let mut rng = Rng::new(rs);
        let mut gen = gen_input(&mut rng, vin.prog_type, slots, maps);
        if let Some(layout) = &nf {
            let entries = std::mem::take(&mut gen.map_entries);
            gen = ctx_gen::netfilter(&mut rng, layout);
            gen.map_entries = entries;
        }
        gen.map_entries.extend(crate::maps::gen::prog_slots(
            &mut rng,
            maps,
            reached.len() as u32,
        ));
        let input = gen.to_input();
        let (mut mi, prog) =
            machine_for(maps, insns, &gen, cfg.insn_limit).map_err(DiffError::Load)?;
        let rdonly = crate::dynptr::skb_dynptr_rdonly(vin.prog_type.name);
        mi.env.skb_dynptr_rdonly = rdonly;
        let mut check = StateCheck {
            rec,
            entry: rec,
            targets: &recs,
            tails: Vec::new(),
            maps: prog.maps(),
            ctx_base: None,
            escape: None,
            checked: 0,
            unchecked: 0,
        };
        let ri = interp::run_chain_traced(&mut mi, &prepared, &entry.prepared, &input, &mut check);
        report.steps_checked += check.checked;
        report.steps_unchecked += check.unchecked;
        if let Ok(r) = &ri {
            report.tail_calls_followed += r.tail_calls.len() as u64;
        }
        let (mut mj, _) =
            machine_for(maps, insns, &gen, cfg.insn_limit).map_err(DiffError::Load)?;
        mj.env.skb_dynptr_rdonly = rdonly;
        let rj = entry.code.run_chain(&codes, &mut mj, &input);
        let finding = |kind, detail: String| Finding {
            run,
            run_seed: rs,
            kind,
            detail,
            input: gen.clone(),
        };
        if let Some(e) = check.escape {
            report
                .findings
                .push(finding(FindingKind::StateEscape, e.to_string()));
            continue;
        }
        // Both engines out of the run budget (a loop of millions of turns, as may_goto allows):
        // they stop at different instructions of the same loop, which is no disagreement.
        if let (Err(a), Err(b)) = (&ri, &rj) {
            if matches!(a.kind, FaultKind::InsnLimit { .. })
                && matches!(b.kind, FaultKind::InsnLimit { .. })
            {
                *report
                    .skipped
                    .entry("instruction budget exhausted".to_string())
                    .or_default() += 1;
                continue;
            }
        }
        let (mut oi, mut oj) = (outcome(&mut mi, &ri), outcome(&mut mj, &rj));
        if entry.void_result {
            // What a void function leaves in r0 is whatever was there: not an output.
            oi.result = oi.result.map(|_| 0);
            oj.result = oj.result.map(|_| 0);
        }
        if let Some(d) = compare(&oi, &oj) {
            report
                .findings
                .push(finding(FindingKind::EngineMismatch, d));
            continue;
        }
        match &ri {
            Err(f) => match skip_reason(f) {
                Some(why) => *report.skipped.entry(why).or_default() += 1,
                None => report
                    .findings
                    .push(finding(FindingKind::Fault, format!("interpreter: {f}"))),
            },
            Ok(_) => report.completed += 1,
        }
    }
    Ok(report)
}
