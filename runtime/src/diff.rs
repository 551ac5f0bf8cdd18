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
//! 3. The interpreter runs it with a [`Tracer`] that checks, before each instruction, that the
//!    live registers lie in the concretization of at least one recorded abstract state of the same
//!    call depth: a scalar must be a member of the `Scalar` (tnum, unsigned and signed ranges, both
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

use crate::interp::{self, Prepared, Tracer};
use crate::jit;
use crate::load::{self, LoadError};
use crate::machine::{Input, Machine, RunResult, FRAME_SIZE, SKB_FIELDS, XDP_FIELDS};
use crate::maps::MapId;
use crate::mem::{CtxField, CtxObject, RegionKind};
use crate::program::Program;
use crate::{Fault, FaultKind};
use bpfvet_analyzer::btf::{Btf, TypeId};
use bpfvet_analyzer::isa::{Insn, InsnIdx};
use bpfvet_analyzer::program::MapDef as ObjMapDef;
use bpfvet_analyzer::rules::{CtxModel, ProgTypeRules};
use bpfvet_analyzer::verifier::btf_ctx::BtfArg;
use bpfvet_analyzer::verifier::domain::Scalar;
use bpfvet_analyzer::verifier::env::{Input as VerifyInput, Options};
use bpfvet_analyzer::verifier::state::{AbstractState, PtrKind, RegState};
use bpfvet_analyzer::verifier::{live_regs, verify_program_observed, Observer, VerifyResult};
use std::collections::BTreeMap;
use std::fmt;
use std::hash::{Hash, Hasher};

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

// ---- inputs ----

mod addresses;
mod ctx_gen;
pub use ctx_gen::{flow_keys, flow_keys_reported};

/// One generated input: a context, maybe a packet, and map entries to install before the run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GenInput {
    pub ctx: Vec<u8>,
    pub packet: Option<Vec<u8>>,
    pub fields: Vec<(u32, CtxField)>,
    /// Objects the context points to (kernel objects, flow keys).
    pub objects: Vec<CtxObject>,
    /// `(map index in the object, key, value)`.
    pub map_entries: Vec<(u32, Vec<u8>, Vec<u8>)>,
}

impl GenInput {
    /// The runtime input of this run.
    pub fn to_input(&self) -> Input {
        Input::Context {
            ctx: self.ctx.clone(),
            packet: self.packet.clone(),
            fields: self.fields.clone(),
            objects: self.objects.clone(),
        }
    }
}

/// How a program type's context looks to the runtime.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum CtxShape {
    /// `struct xdp_md` over a packet.
    Xdp,
    /// `struct __sk_buff` over a packet (with `flow_keys` for a flow dissector).
    Skb,
    /// A context of this many bytes whose pointer fields ([`ctx_fields`]) delimit a packet-like
    /// buffer: an `sk_msg` message, a sockopt option value.
    Buffer(u32),
    /// u64 arguments typed by the kernel's BTF ([`BtfSlots`]).
    BtfArgs,
    /// A plain context of this many bytes, no packet.
    Plain(u32),
}

/// The slots of a BTF-typed context: per u64 argument, `None` for a number, else the size of
/// the kernel object it points to and whether it may be NULL.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BtfSlots(pub Vec<Option<(u32, bool)>>);

impl BtfSlots {
    /// The slots of `args` (as the verifier typed them), sized from `kernel`. A pointee whose
    /// size BTF does not give gets an empty object: every load through it reads 0.
    pub fn new(args: &[BtfArg], kernel: &Btf) -> BtfSlots {
        BtfSlots(
            args.iter()
                .map(|a| match *a {
                    BtfArg::Scalar => None,
                    BtfArg::Ptr { type_id, nullable } => {
                        let size = kernel_size(kernel, type_id);
                        Some((size, nullable))
                    }
                })
                .collect(),
        )
    }
}

/// The BTF size of a kernel type, capped: objects are generated per run.
fn kernel_size(kernel: &Btf, ty: TypeId) -> u32 {
    kernel
        .size_of(ty)
        .map_or(0, |n| u32::try_from(n.min(1 << 16)).unwrap_or(0))
}

/// Program types whose context is a `struct __sk_buff`.
const SKB_TYPES: &[&str] = &[
    "socket_filter",
    "sched_cls",
    "sched_act",
    "cgroup_skb",
    "lwt_in",
    "lwt_out",
    "lwt_xmit",
    "lwt_seg6local",
    "sk_skb",
    "flow_dissector",
];

/// The pointer fields a run's context gives values to, for a program of type `rules`: the
/// packet pointers of XDP and skb contexts, a flow dissector's `flow_keys`, the buffer
/// pointers of other contexts whose fields yield packet pointers, and NULL for the nullable
/// pointer fields whose objects the runtime does not model.
pub fn ctx_fields(rules: &ProgTypeRules) -> Vec<(u32, CtxField)> {
    let mut res = modeled_ctx_fields(rules);
    if let CtxModel::Fields(fields) = rules.ctx {
        for f in fields {
            if f.yields.is_some() && f.yields_null && !res.iter().any(|&(o, _)| o == f.off) {
                res.push((f.off, CtxField::Null));
            }
        }
    }
    res
}

/// The pointer fields whose objects the runtime models.
fn modeled_ctx_fields(rules: &ProgTypeRules) -> Vec<(u32, CtxField)> {
    match ctx_shape(rules) {
        CtxShape::Xdp => XDP_FIELDS.to_vec(),
        CtxShape::Skb => {
            let mut res = SKB_FIELDS.to_vec();
            if let CtxModel::Fields(fields) = rules.ctx {
                res.extend(
                    fields
                        .iter()
                        .filter(|f| f.yields == Some(PtrKind::FlowKeys))
                        .map(|f| (f.off, CtxField::FlowKeys)),
                );
            }
            res
        }
        CtxShape::Buffer(_) => match rules.ctx {
            CtxModel::Fields(fields) => fields
                .iter()
                .filter_map(|f| {
                    let field = match f.yields? {
                        PtrKind::Packet => CtxField::Data,
                        PtrKind::PacketEnd => CtxField::DataEnd,
                        PtrKind::PacketMeta => CtxField::DataMeta,
                        _ => return None,
                    };
                    Some((f.off, field))
                })
                .collect(),
            _ => Vec::new(),
        },
        CtxShape::BtfArgs | CtxShape::Plain(_) => Vec::new(),
    }
}

/// The context shape of a program type.
pub fn ctx_shape(rules: &ProgTypeRules) -> CtxShape {
    if rules.name == "xdp" {
        return CtxShape::Xdp;
    }
    if SKB_TYPES.contains(&rules.name) {
        return CtxShape::Skb;
    }
    if let CtxModel::Fields(fields) = rules.ctx {
        if fields.iter().any(|f| f.yields == Some(PtrKind::Packet)) {
            return CtxShape::Buffer(fields.iter().map(|f| f.off + f.size).max().unwrap_or(0));
        }
    }
    if rules.ctx == CtxModel::BtfArgs {
        return CtxShape::BtfArgs;
    }
    CtxShape::Plain(match rules.ctx {
        CtxModel::Fields(fields) => fields.iter().map(|f| f.off + f.size).max().unwrap_or(0),
        CtxModel::ReadOnly { size } => size,
        CtxModel::ReadOnlyRange { end, .. } => end,
        CtxModel::U64Args { count } => count * 8,
        CtxModel::BtfArgs | CtxModel::UserBuffer => 64,
    })
}

const ETH_P_IP: u16 = 0x0800;
const ETH_P_IPV6: u16 = 0x86dd;
const ETH_P_ARP: u16 = 0x0806;
const ETH_P_8021Q: u16 = 0x8100;
const PORTS: &[u16] = &[22, 53, 80, 123, 443, 4789, 8080, 9999, 0, 65535];

fn csum16(bytes: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    for c in bytes.chunks(2) {
        let w = u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]);
        sum += u32::from(w);
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// A packet: Ethernet (sometimes VLAN-tagged) over IPv4 or IPv6 over TCP, UDP or ICMP, or ARP,
/// or an unknown ethertype, or plain random bytes; random payload; one in four truncated at a
/// random length (zero included).
pub fn gen_packet(rng: &mut Rng) -> Vec<u8> {
    let mut p = Vec::with_capacity(128);
    let kind = rng.below(10);
    if kind == 9 {
        let n = rng.below(96) as usize;
        return rng.bytes(n);
    }
    p.extend(rng.bytes(12)); // dst and src MAC.
    if rng.chance(8) {
        p.extend(ETH_P_8021Q.to_be_bytes());
        p.extend((rng.below(4096) as u16).to_be_bytes());
    }
    let l4 = rng.pick(&[6u8, 17, 17, 6, 1, 58, 47]);
    let payload = rng.below(64) as usize;
    let l4_len = match l4 {
        6 => 20 + payload,
        17 => 8 + payload,
        _ => 8 + payload,
    };
    let mut l4_hdr = match l4 {
        6 => {
            let mut h = Vec::with_capacity(20);
            h.extend(rng.pick(PORTS).to_be_bytes());
            h.extend(rng.pick(PORTS).to_be_bytes());
            h.extend(rng.bytes(8)); // seq, ack
            h.push(5 << 4); // data offset
            h.push(rng.next_u64() as u8); // flags
            h.extend(rng.bytes(6)); // window, csum, urg
            h
        }
        17 => {
            let mut h = Vec::with_capacity(8);
            h.extend(rng.pick(PORTS).to_be_bytes());
            h.extend(rng.pick(PORTS).to_be_bytes());
            h.extend((l4_len as u16).to_be_bytes());
            h.extend(rng.bytes(2));
            h
        }
        _ => {
            let mut h = vec![rng.pick(&[0u8, 8, 3, 11, 128, 129]), 0];
            h.extend(rng.bytes(6));
            h
        }
    };
    l4_hdr.extend(rng.bytes(payload));
    match kind {
        0..=4 => {
            p.extend(ETH_P_IP.to_be_bytes());
            let opts = if rng.chance(6) {
                4 * rng.below(4) as usize
            } else {
                0
            };
            let ihl = 20 + opts;
            let mut ip = vec![0u8; ihl];
            ip[0] = 0x40 | (ihl / 4) as u8;
            ip[1] = rng.next_u64() as u8;
            ip[2..4].copy_from_slice(&((ihl + l4_hdr.len()) as u16).to_be_bytes());
            ip[4..6].copy_from_slice(&(rng.next_u64() as u16).to_be_bytes());
            if rng.chance(6) {
                // Fragment: more-fragments flag or an offset.
                ip[6..8].copy_from_slice(&(rng.pick(&[0x2000u16, 0x0010, 0x2010])).to_be_bytes());
            }
            ip[8] = rng.pick(&[64u8, 1, 0, 255]);
            ip[9] = l4;
            let src = rng.pick(&[
                [10u8, 0, 0, 1],
                [192, 168, 1, 2],
                [127, 0, 0, 1],
                [8, 8, 8, 8],
            ]);
            ip[12..16].copy_from_slice(&src);
            ip[16..20].copy_from_slice(&rng.bytes(4));
            ip[20..].copy_from_slice(&rng.bytes(opts));
            let c = csum16(&ip);
            ip[10..12].copy_from_slice(&c.to_be_bytes());
            p.extend(ip);
            p.extend(l4_hdr);
        }
        5..=7 => {
            p.extend(ETH_P_IPV6.to_be_bytes());
            let mut ip = vec![0u8; 40];
            ip[0] = 0x60;
            ip[4..6].copy_from_slice(&(l4_hdr.len() as u16).to_be_bytes());
            ip[6] = if l4 == 1 { 58 } else { l4 };
            ip[7] = rng.pick(&[64u8, 1, 0, 255]);
            ip[8..40].copy_from_slice(&rng.bytes(32));
            p.extend(ip);
            p.extend(l4_hdr);
        }
        _ => {
            let et = if rng.chance(2) {
                ETH_P_ARP
            } else {
                rng.next_u64() as u16
            };
            p.extend(et.to_be_bytes());
            let n = rng.below(64) as usize;
            p.extend(rng.bytes(n));
        }
    }
    if rng.chance(4) {
        let n = rng.below(p.len() as u64 + 1) as usize;
        p.truncate(n);
    }
    p
}

/// An input for a program of type `rules` whose object has `maps`: the context (typed by
/// `btf` for BTF-typed contexts: without it, their pointer arguments are NULL), the packet or
/// buffer and objects it points to, and a few entries for hash and array maps (global data is
/// left alone).
pub fn gen_input(
    rng: &mut Rng,
    rules: &ProgTypeRules,
    btf: Option<&BtfSlots>,
    maps: &[ObjMapDef],
) -> GenInput {
    let mut res = ctx_gen::gen_ctx(rng, rules, btf);
    // Pointer fields the runtime does not model (`__sk_buff.sk`, ...) read as NULL, which the
    // verifier allows for every `*_or_null` field; other pointer fields stay as the runtime
    // sets them.
    if let CtxModel::Fields(fields) = rules.ctx {
        for f in fields.iter().filter(|f| f.yields.is_some()) {
            let end = (f.off + f.size) as usize;
            if end <= res.ctx.len() && !res.fields.iter().any(|(o, _)| *o == f.off) {
                res.ctx[f.off as usize..end].fill(0);
            }
        }
    }
    res.map_entries = crate::maps::gen::map_entries(rng, maps);
    res
}

// ---- abstract states ----

/// One register as recorded: what the check needs, ids dropped.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum AbsReg {
    /// Not checked: dead, uninitialised, or a kind the runtime does not model.
    Any,
    Scalar(Scalar),
    Ptr {
        kind: PtrKind,
        off: i32,
        var_off: Scalar,
        maybe_null: bool,
    },
}

impl fmt::Display for AbsReg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AbsReg::Any => f.write_str("any"),
            AbsReg::Scalar(s) => write!(f, "scalar({s})"),
            AbsReg::Ptr {
                kind,
                off,
                var_off,
                maybe_null,
            } => {
                write!(f, "{}", kind.kernel_name())?;
                if *maybe_null {
                    f.write_str("_or_null")?;
                }
                write!(f, "(off={off}")?;
                if var_off.as_const() != Some(0) {
                    write!(f, ",var_off={var_off}")?;
                }
                f.write_str(")")
            }
        }
    }
}

#[derive(Clone, PartialEq, Eq, Hash, Debug)]
struct Snapshot {
    depth: usize,
    regs: [AbsReg; 11],
}

/// Per instruction, the distinct abstract register files the verifier explored there.
#[derive(Debug)]
pub struct StateRecorder {
    live: Vec<u16>,
    states: Vec<Vec<(u64, Snapshot)>>,
    saturated: Vec<bool>,
}

impl StateRecorder {
    pub fn new(insns: &[Insn]) -> StateRecorder {
        StateRecorder {
            live: live_regs(insns),
            states: vec![Vec::new(); insns.len()],
            saturated: vec![false; insns.len()],
        }
    }

    /// Instructions with at least one recorded state.
    pub fn n_covered(&self) -> usize {
        self.states.iter().filter(|s| !s.is_empty()).count()
    }

    /// Instructions where more than [`MAX_STATES_PER_INSN`] states were seen (not checked).
    pub fn n_saturated(&self) -> usize {
        self.saturated.iter().filter(|s| **s).count()
    }
}

fn abs_reg(r: &RegState) -> AbsReg {
    match r {
        RegState::Uninit => AbsReg::Any,
        RegState::Scalar { v, .. } => AbsReg::Scalar(*v),
        RegState::Ptr(p) => AbsReg::Ptr {
            kind: p.kind,
            off: p.off,
            var_off: p.var_off,
            maybe_null: p.maybe_null,
        },
    }
}

impl Observer for StateRecorder {
    fn wants_states(&self) -> bool {
        true
    }

    fn step(&mut self, pc: InsnIdx, before: &AbstractState, _after: Option<&AbstractState>) {
        let i = pc.idx();
        if i >= self.states.len() || self.saturated[i] {
            return;
        }
        let live = self.live.get(i).copied().unwrap_or(u16::MAX);
        let frame = before.cur();
        let mut regs = [AbsReg::Any; 11];
        for (n, r) in frame.regs.iter().enumerate() {
            if live & (1 << n) != 0 {
                regs[n] = abs_reg(r);
            }
        }
        let snap = Snapshot {
            depth: before.frame_no(),
            regs,
        };
        let mut h = std::collections::hash_map::DefaultHasher::new();
        snap.hash(&mut h);
        let h = h.finish();
        let list = &mut self.states[i];
        if list.iter().any(|(k, s)| *k == h && *s == snap) {
            return;
        }
        if list.len() >= MAX_STATES_PER_INSN {
            self.saturated[i] = true;
            list.clear();
            return;
        }
        list.push((h, snap));
    }
}

// ---- the concrete-in-abstract check ----

/// A concrete state outside every abstract state recorded at its instruction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Escape {
    pub insn: InsnIdx,
    /// The register that failed in the closest recorded state (`None`: no state at this
    /// instruction and depth at all).
    pub reg: Option<u8>,
    pub concrete: u64,
    /// The closest recorded state's value of that register.
    pub abstract_state: String,
    /// How many states were recorded at the instruction (at that depth).
    pub n_states: usize,
    pub depth: usize,
}

impl fmt::Display for Escape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.reg {
            None => write!(
                f,
                "insn {}: reached at call depth {} where the analyzer explored no state",
                self.insn, self.depth
            ),
            Some(r) => write!(
                f,
                "insn {}: r{r} = {:#x} ({}) is outside the abstract state {} (closest of {} states at depth {})",
                self.insn, self.concrete, self.concrete as i64, self.abstract_state, self.n_states, self.depth
            ),
        }
    }
}

struct StateCheck<'a> {
    /// The states of the program running now (the entry's, or a tail-call target's).
    rec: &'a StateRecorder,
    entry: &'a StateRecorder,
    /// The tail-call targets' states, by program-array value.
    targets: &'a [&'a StateRecorder],
    /// Per tail call being run: its target and the frame it started in, the depth the
    /// target's own frame 0 has.
    tails: Vec<(u32, usize)>,
    maps: &'a [MapId],
    /// `r1` at the first instruction: the context's address.
    ctx_base: Option<u64>,
    escape: Option<Escape>,
    checked: u64,
    unchecked: u64,
}

fn offset_ok(conc_off: i64, off: i32, var_off: &Scalar) -> bool {
    let v = conc_off.wrapping_sub(i64::from(off)) as u64;
    Scalar::constant(v).le(var_off)
}

impl StateCheck<'_> {
    /// Whether `v` is in γ(`a`). `shift` is how many concrete frames lie below the abstract
    /// state's frame 0 (global functions are verified from their own frame 0).
    fn reg_ok(
        &self,
        m: &Machine,
        a: &AbsReg,
        v: u64,
        regs: &[u64; 11],
        depth: usize,
        shift: usize,
    ) -> bool {
        match a {
            AbsReg::Any => true,
            AbsReg::Scalar(s) => Scalar::constant(v).le(s),
            AbsReg::Ptr {
                kind,
                off,
                var_off,
                maybe_null,
            } => {
                if v == 0 && *maybe_null {
                    return true;
                }
                let region = m.mem.region_at(v);
                let in_region = |k: RegionKind| region.filter(|r| r.kind == k);
                match kind {
                    // Relative to the context's start, wherever it points (tracepoint
                    // programs add `__data_loc` offsets and hand the result to
                    // `probe_read`, so it may lie past the context).
                    PtrKind::Ctx => self
                        .ctx_base
                        .is_some_and(|b| offset_ok(v.wrapping_sub(b) as i64, *off, var_off)),
                    PtrKind::Stack { frame } => {
                        let top = regs[10].wrapping_add((depth * FRAME_SIZE) as u64);
                        let frame = usize::from(*frame) + shift;
                        let fp = top.wrapping_sub((frame * FRAME_SIZE) as u64);
                        offset_ok(v.wrapping_sub(fp) as i64, *off, var_off)
                    }
                    PtrKind::Packet | PtrKind::PacketMeta | PtrKind::PacketEnd => {
                        let Some((meta, data, end)) = m.mem.packet_bounds() else {
                            return false;
                        };
                        let base = match kind {
                            PtrKind::Packet => data,
                            PtrKind::PacketMeta => meta,
                            _ => end,
                        };
                        offset_ok(v.wrapping_sub(base) as i64, *off, var_off)
                    }
                    PtrKind::MapValue { map } => {
                        let Some(id) = crate::maps::of_maps::machine_map(self.maps, *map, region)
                        else {
                            return false;
                        };
                        let Some(mm) = m.map(id) else { return false };
                        let vs = i64::from(mm.def.value_size);
                        let stride = (u64::from(mm.def.value_size) + 7) & !7;
                        // A pointer whose offset may leave the value is not checked (it
                        // cannot be attributed to an element); one inside must point into a
                        // value of that map at a member offset.
                        let lo = i64::from(*off).saturating_add(var_off.smin());
                        let hi = i64::from(*off).saturating_add(var_off.smax());
                        if lo < 0 || hi >= vs {
                            return true;
                        }
                        let Some(r) = in_region(RegionKind::MapValue { map: id }) else {
                            return false;
                        };
                        let rel = v - r.start;
                        let elem_off = if r.len > stride { rel % stride } else { rel };
                        offset_ok(elem_off as i64, *off, var_off)
                    }
                    PtrKind::MapPtr { map } => {
                        crate::maps::of_maps::map_ptr_ok(m, self.maps, *map, v)
                    }
                    // Ring-buffer records, and global functions' sized-memory arguments, which
                    // may point into any region: it must point into one.
                    PtrKind::Mem { .. } => region.is_some(),
                    PtrKind::FlowKeys => region
                        .filter(|r| r.kind == RegionKind::FlowKeys)
                        .is_some_and(|r| offset_ok((v - r.start) as i64, *off, var_off)),
                    // Kinds the runtime does not model (sockets, map keys in callbacks,
                    // functions): not checked. Nor are BTF-typed kernel pointers: the verifier
                    // guarantees nothing about their address (a pointer field read out of a
                    // kernel object may hold anything), which is why loads through them are
                    // probe loads.
                    _ => true,
                }
            }
        }
    }
}

impl<'a> StateCheck<'a> {
    /// The recorder of the program on top of the tail-call stack, and its frame 0's depth.
    fn current(&self) -> (&'a StateRecorder, usize) {
        match self.tails.last() {
            Some(&(t, base)) => (self.targets[t as usize], base),
            None => (self.entry, 0),
        }
    }
}

impl Tracer for StateCheck<'_> {
    fn tail_call(&mut self, target: u32, depth: usize) {
        self.tails.push((target, depth));
        self.rec = self.current().0;
    }

    fn tail_return(&mut self) {
        // From a subprogram, its caller goes on with the target's `r0`: the verifier explores
        // that return at the tail call (r0 unknown), so checking goes on.
        self.tails.pop();
        self.rec = self.current().0;
    }

    fn step(&mut self, m: &Machine, pc: InsnIdx, regs: &[u64; 11], depth: usize) {
        if self.escape.is_some() {
            return;
        }
        // A tail-called program was verified from its own frame 0.
        let depth = depth - self.current().1;
        let i = pc.idx();
        if self.ctx_base.is_none() {
            self.ctx_base = Some(regs[1]);
        }
        if self.rec.saturated.get(i).copied().unwrap_or(true) {
            self.unchecked += 1;
            return;
        }
        self.checked += 1;
        let mut best: Option<(usize, u8, &AbsReg)> = None;
        let mut n_states = 0;
        // A state of the main program's exploration has the concrete depth; one of a global
        // function's own exploration starts at depth 0 however deep the call is.
        for (_, s) in &self.rec.states[i] {
            if s.depth > depth {
                continue;
            }
            let shift = depth - s.depth;
            n_states += 1;
            let mut bad = None;
            let mut n_bad = 0;
            for (n, a) in s.regs.iter().enumerate() {
                if !self.reg_ok(m, a, regs[n], regs, depth, shift) {
                    n_bad += 1;
                    bad.get_or_insert((n as u8, a));
                }
            }
            match bad {
                None => return,
                Some((r, a)) => {
                    if best.map_or(true, |b| n_bad < b.0) {
                        best = Some((n_bad, r, a));
                    }
                }
            }
        }
        self.escape = Some(match best {
            None => Escape {
                insn: pc,
                reg: None,
                concrete: 0,
                abstract_state: String::new(),
                n_states: 0,
                depth,
            },
            Some((_, r, a)) => Escape {
                insn: pc,
                reg: Some(r),
                concrete: regs[usize::from(r)],
                abstract_state: a.to_string(),
                n_states,
                depth,
            },
        });
    }
}

// ---- runs and comparison ----

/// What one engine's run left behind, comparable across machines (no host addresses).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// `r0`, or the fault with addresses erased.
    pub result: Result<u64, String>,
    pub packet: Option<Vec<u8>>,
    /// The context's bytes after the run (object addresses masked), and the flow keys.
    pub ctx: Option<Vec<u8>>,
    pub objects: Vec<Vec<u8>>,
    /// Per map: every `(key, value)`.
    pub maps: Vec<Vec<(Vec<u8>, Vec<u8>)>>,
    /// Per map: ring-buffer records and perf events (index, bytes).
    pub events: Vec<(u32, Vec<u8>)>,
    pub trace: Vec<String>,
    pub redirects: Vec<(Option<u32>, u64, u64)>,
}

fn strip_fault(f: &Fault) -> String {
    let mut f = f.clone();
    if let FaultKind::OutOfBounds { addr, near, .. } = &mut f.kind {
        *addr = 0;
        *near = None;
    }
    if let FaultKind::ReadOnly { addr, .. } = &mut f.kind {
        *addr = 0;
    }
    if let FaultKind::BadCallTarget { target } = &mut f.kind {
        *target = 0;
    }
    f.to_string()
}

/// Reads everything observable out of a machine after a run.
pub fn outcome(m: &mut Machine, res: &Result<RunResult, Fault>) -> Outcome {
    let mut maps = Vec::new();
    let mut events = Vec::new();
    for i in 0..m.maps_len() {
        let id = MapId(i);
        let Some(map) = m.map(id) else { continue };
        let vs = map.def.value_size as usize;
        let mut entries = Vec::new();
        for (k, addr) in map.entries() {
            let mut value = m.mem.peek_bytes(addr, vs).unwrap_or_default();
            addresses::mask_addresses(&m.mem, &mut value);
            entries.push((k, value));
        }
        maps.push(entries);
        for r in map.ringbuf_records() {
            events.push((i, r.clone()));
        }
        for (idx, e) in map.perf_events() {
            events.push((i << 16 | (*idx & 0xffff), e.clone()));
        }
    }
    Outcome {
        result: match res {
            Ok(r) => Ok(r.r0),
            Err(f) => Err(strip_fault(f)),
        },
        packet: res.as_ref().ok().and_then(|r| r.packet.clone()),
        ctx: m.mem.context_bytes(),
        objects: m.mem.written_objects(),
        maps,
        events,
        trace: m.env.trace.clone(),
        redirects: m
            .env
            .redirects
            .iter()
            .map(|r| (r.map.map(|x| x.0), r.target, r.flags))
            .collect(),
    }
}

/// The first difference between two outcomes, in words.
pub fn compare(a: &Outcome, b: &Outcome) -> Option<String> {
    if a.result != b.result {
        return Some(format!(
            "result: interp {:?}, jit {:?}",
            a.result.as_ref().map(|v| format!("{v:#x}")),
            b.result.as_ref().map(|v| format!("{v:#x}"))
        ));
    }
    if a.packet != b.packet {
        return Some("the packets after the run differ".to_string());
    }
    if a.ctx != b.ctx {
        return Some("the contexts after the run differ".to_string());
    }
    if a.objects != b.objects {
        return Some("the flow keys after the run differ".to_string());
    }
    for (i, (x, y)) in a.maps.iter().zip(&b.maps).enumerate() {
        if x != y {
            return Some(format!("map {i}: contents differ after the run"));
        }
    }
    if a.events != b.events {
        return Some("ring-buffer or perf events differ".to_string());
    }
    if a.trace != b.trace {
        return Some("trace_printk output differs".to_string());
    }
    if a.redirects != b.redirects {
        return Some("redirects differ".to_string());
    }
    None
}

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
    /// Instruction budget per run (both engines).
    pub insn_limit: u64,
}

impl Default for DiffConfig {
    fn default() -> DiffConfig {
        DiffConfig {
            runs: 100,
            seed: 0,
            max_findings: 8,
            insn_limit: 1 << 22,
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
/// the instruction budget).
pub fn skip_reason(f: &Fault) -> Option<String> {
    match &f.kind {
        FaultKind::UnsupportedHelper { id, name } => Some(match name {
            Some(n) => format!("unsupported helper bpf_{n}"),
            None => format!("unknown helper {id}"),
        }),
        FaultKind::UnsupportedInsn { what } => Some(format!("unsupported instruction: {what}")),
        FaultKind::InsnLimit { .. } => Some("instruction budget exhausted".to_string()),
        _ => None,
    }
}

/// A program made ready for differential runs: its abstract states recorded, pre-decoded
/// for the interpreter and compiled by the checked JIT.
struct Ready {
    rec: StateRecorder,
    slots: Option<BtfSlots>,
    prepared: Prepared,
    code: jit::JitProgram,
}

/// Verifies the program (recording its abstract states) and prepares it for both engines.
fn ready(vin: &VerifyInput<'_>, opts: &Options, cfg: &DiffConfig) -> Result<Ready, DiffError> {
    if vin.prog_type.ctx == CtxModel::BtfArgs && vin.kernel_btf.is_none() {
        return Err(DiffError::NeedsKernelBtf);
    }
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
        if !(nullable || modeled) {
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
        slots,
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
    let mut left_out = Vec::new();
    let mut reached = Vec::new();
    for (i, t) in targets.iter().enumerate() {
        match ready(t, opts, cfg) {
            Ok(r) => reached.push(r),
            Err(e) => left_out.push((i, e.to_string())),
        }
    }
    let recs: Vec<&StateRecorder> = reached.iter().map(|r| &r.rec).collect();
    let prepared: Vec<&Prepared> = reached.iter().map(|r| &r.prepared).collect();
    let codes: Vec<&jit::JitProgram> = reached.iter().map(|r| &r.code).collect();
    // Generated slots name the targets that could be prepared; report them by `targets` index.
    let reached_idx: Vec<usize> = (0..targets.len())
        .filter(|i| !left_out.iter().any(|(j, _)| j == i))
        .collect();
    let (rec, slots) = (&entry.rec, entry.slots.as_ref());
    let insns = vin.insns;
    let maps = vin.maps;
    let mut report = DiffReport {
        n_insns: insns.len(),
        insns_with_states: rec.n_covered(),
        insns_saturated: rec.n_saturated(),
        targets: reached_idx.clone(),
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
        gen.map_entries.extend(crate::maps::gen::prog_slots(
            &mut rng,
            maps,
            reached.len() as u32,
        ));
        let input = gen.to_input();
        let (mut mi, prog) =
            machine_for(maps, insns, &gen, cfg.insn_limit).map_err(DiffError::Load)?;
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
        let (oi, oj) = (outcome(&mut mi, &ri), outcome(&mut mj, &rj));
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
