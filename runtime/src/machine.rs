//! The machine: memory, maps and helper environment that runs share, plus the run input and
//! result types common to both engines.

use crate::maps::{Map, MapDef, MapError, MapId};
use crate::mem::{BlockId, CtxField, CtxObject, Memory, RegionKind};
use std::collections::BTreeMap;

/// Size of one stack frame, as in Linux.
pub const FRAME_SIZE: usize = 512;
/// Maximum call depth of one program (main program plus nested local calls and callbacks),
/// as in Linux.
pub const MAX_FRAMES: usize = 8;
/// Maximum chained tail calls, as the kernel's `MAX_TAIL_CALL_CNT`.
pub const MAX_TAIL_CALLS: u32 = 33;
/// Frames in a run's stack. A tail call from a subprogram keeps its callers' frames, and the
/// target may call as deep as any program: up to 33 targets each up to 7 frames deeper than
/// the frame that tail-called it.
pub const STACK_FRAMES: usize = MAX_FRAMES + MAX_TAIL_CALLS as usize * (MAX_FRAMES - 1);
/// How many times `may_goto` instructions fall through before they take their jump, as the
/// kernel's `BPF_MAX_LOOPS`. One count per frame: the kernel keeps it in a stack slot of each
/// (sub)program that uses `may_goto`, set at every entry (a call, a callback, a tail-call
/// target), so a callee's loops do not spend its caller's count.
pub const MAY_GOTO_BUDGET: u64 = 1 << 23;

/// [`Env::nr_cpus`] unless set: a fixed count, so that runs agree from machine to machine.
pub const DEFAULT_NR_CPUS: u32 = 4;

/// Configuration and captured output of the helpers. Every source of non-determinism is
/// here, with a fixed default, so two runs of the same input agree.
#[derive(Clone, Debug)]
pub struct Env {
    /// `ktime_get_ns` returns this, then advances it by `clock_step_ns`.
    pub clock_ns: u64,
    pub clock_step_ns: u64,
    /// State of the xorshift generator behind `get_prandom_u32` (never 0).
    pub prng_state: u64,
    /// `get_current_pid_tgid`: `tgid << 32 | pid`.
    pub pid_tgid: u64,
    /// `get_current_uid_gid`: `gid << 32 | uid`.
    pub uid_gid: u64,
    /// `get_current_comm`, NUL-padded.
    pub comm: [u8; 16],
    /// `get_smp_processor_id`.
    pub cpu: u32,
    /// `nr_cpu_ids`: the bits of a cpumask ([`crate::cpumask`], at most
    /// [`crate::cpumask::MAX_CPUS`]). To compare with a kernel, set it to that kernel's count
    /// of possible CPUs.
    pub nr_cpus: u32,
    /// Kernel or user memory that `probe_read_*` can read, by (fake) address.
    pub probe_memory: BTreeMap<u64, Vec<u8>>,
    /// Lines written by `trace_printk`, formatted.
    pub trace: Vec<String>,
    /// Redirects recorded by `redirect` / `redirect_map`.
    pub redirects: Vec<Redirect>,
    /// What `redirect`/`redirect_map` return on success: `XDP_REDIRECT` (4) by default, set
    /// to `TC_ACT_REDIRECT` (7) for an `Input::skb` run.
    pub redirect_return: u64,
    /// Instruction budget per run for the interpreter and the checked JIT (counts backward
    /// jumps and calls in the JIT, instructions in the interpreter). The default lets a loop
    /// bounded only by `may_goto` run all the kernel's 8M turns of a few instructions each.
    pub insn_limit: u64,
    /// What the system helpers report: cgroups, current task, stacks, sockets, sysctls...
    pub system: crate::helpers::System,
    /// The program was loaded without `CAP_PERFMON`: the kernel's verifier then puts a 64-bit
    /// `if r3 >= max_entries goto skip` before each tail call (its Spectre v1 index masking),
    /// so an index above `u32::MAX` makes no tail call, where a privileged program's JIT
    /// compares only the index's low 32 bits.
    pub unprivileged: bool,
    /// Where an skb's link-layer and network headers are, for the legacy `LD_ABS`/`LD_IND`
    /// offsets relative to them (`SKF_LL_OFF`, `SKF_NET_OFF`).
    pub skb_headers: SkbHeaders,
    /// `bpf_dynptr_from_skb` makes read-only dynptrs: the program's type may not write packet
    /// data (see [`crate::dynptr::skb_dynptr_rdonly`]).
    pub skb_dynptr_rdonly: bool,
}

/// An skb's link-layer (`mac`) and network header offsets from the packet's data at the start
/// of the run. `BPF_PROG_TEST_RUN` parses the frame with `eth_type_trans`: the mac header is
/// the frame's first byte and the network header follows the 14-byte Ethernet header, so a
/// tc program (data at the frame's start) has `mac: Some(0), network: 14` and a socket filter
/// (data at the network header) `mac: Some(-14), network: 0`, its Ethernet header in the
/// packet's headroom.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SkbHeaders {
    /// `None`: no mac header was set (`SKF_LL_OFF` loads fail).
    pub mac: Option<i64>,
    pub network: i64,
    /// With `mac: Some(-14)`: the frame's Ethernet header, which the skb's head holds just
    /// before the data.
    pub ethernet: [u8; 14],
}

impl Default for SkbHeaders {
    /// A packet with no link-layer header, its network header at the data.
    fn default() -> SkbHeaders {
        SkbHeaders {
            mac: None,
            network: 0,
            ethernet: [0; 14],
        }
    }
}

impl Default for Env {
    fn default() -> Env {
        let mut comm = [0u8; 16];
        comm[..6].copy_from_slice(b"bpfvet");
        Env {
            clock_ns: 1_000_000_000,
            clock_step_ns: 1000,
            prng_state: 0x2545_f491_4f6c_dd1d,
            pid_tgid: (4242 << 32) | 4243,
            uid_gid: (1000 << 32) | 1000,
            comm,
            cpu: 0,
            nr_cpus: DEFAULT_NR_CPUS,
            probe_memory: BTreeMap::new(),
            trace: Vec::new(),
            redirects: Vec::new(),
            redirect_return: 4,
            insn_limit: 1 << 26,
            system: crate::helpers::System::default(),
            unprivileged: false,
            skb_headers: SkbHeaders::default(),
            skb_dynptr_rdonly: false,
        }
    }
}

/// A helper supplied by the embedder: gets the helper environment and `r1`..`r5`, returns
/// `r0`.
pub type CustomHelper = fn(&mut Env, [u64; 5]) -> u64;

/// A recorded redirect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Redirect {
    /// `Some` for `redirect_map`.
    pub map: Option<MapId>,
    /// The interface index, or the map key.
    pub target: u64,
    pub flags: u64,
}

/// What a run gets in `r1` (and `r2`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Input {
    /// `r1` = `r2` = 0.
    #[default]
    None,
    /// A plain buffer: `r1` = its address, `r2` = its length (the conformance convention).
    Buffer(Vec<u8>),
    /// A context struct in `r1`, optionally with a packet whose pointers the context's
    /// `fields` yield, and with the objects it points to (kernel objects of BTF-typed
    /// contexts, whose addresses are written into their slots; a flow dissector's keys).
    Context {
        ctx: Vec<u8>,
        packet: Option<Vec<u8>>,
        fields: Vec<(u32, CtxField)>,
        objects: Vec<CtxObject>,
    },
}

/// `struct xdp_md` pointer fields.
pub const XDP_FIELDS: [(u32, CtxField); 3] = [
    (0, CtxField::Data),
    (4, CtxField::DataEnd),
    (8, CtxField::DataMeta),
];
/// `struct __sk_buff` pointer fields.
pub const SKB_FIELDS: [(u32, CtxField); 3] = [
    (76, CtxField::Data),
    (80, CtxField::DataEnd),
    (140, CtxField::DataMeta),
];

impl Input {
    /// An XDP program's input: a zeroed `struct xdp_md` over `packet`.
    pub fn xdp(packet: &[u8]) -> Input {
        Input::Context {
            ctx: vec![0; 24],
            packet: Some(packet.to_vec()),
            fields: XDP_FIELDS.to_vec(),
            objects: Vec::new(),
        }
    }

    /// A TC/socket-filter input: a `struct __sk_buff` with `len` set, over `packet`.
    pub fn skb(packet: &[u8]) -> Input {
        let mut ctx = vec![0; 192];
        ctx[..4].copy_from_slice(&(packet.len() as u32).to_le_bytes());
        Input::Context {
            ctx,
            packet: Some(packet.to_vec()),
            fields: SKB_FIELDS.to_vec(),
            objects: Vec::new(),
        }
    }
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunResult {
    /// `r0` at the outermost `exit`.
    pub r0: u64,
    /// Instructions executed (interpreter; the JIT reports 0).
    pub n_insns: u64,
    /// The packet at the end (after any `xdp_adjust_*` and stores), when there was one and
    /// [`Machine::capture_output`] is set.
    pub packet: Option<Vec<u8>>,
    /// The input buffer at the end, for `Input::Buffer` (with [`Machine::capture_output`]).
    pub buffer: Option<Vec<u8>>,
    /// `Some(prog)` when the run ended in a successful tail call to that program-array value
    /// (a run of one program, or a value naming no program of the chain).
    pub tail_call: Option<u32>,
    /// The programs tail calls entered, in order (chain runs: indices into its programs).
    pub tail_calls: Vec<u32>,
}

/// Maps, memory and helper environment, shared by the runs of one or more programs.
#[derive(Debug)]
pub struct Machine {
    pub mem: Memory,
    maps: Vec<Map>,
    /// The run's cpumask objects (the `bpf_cpumask_*` kfuncs).
    pub(crate) cpumasks: crate::cpumask::Cpumasks,
    /// The resilient spin locks the run holds (`bpf_res_spin_lock`).
    pub(crate) held_locks: crate::sections::HeldLocks,
    pub env: Env,
    stack: BlockId,
    /// Helpers registered by the embedder; they take precedence over the built-in ones.
    pub(crate) custom_helpers: BTreeMap<i32, CustomHelper>,
    /// Chained tail calls in the current run.
    pub(crate) tail_calls: u32,
    /// Whether runs copy the packet and input buffer out into their [`RunResult`] (default
    /// true). Repeated runs that only need the last result turn it off for the others.
    pub capture_output: bool,
}

impl Default for Machine {
    fn default() -> Machine {
        Machine::new()
    }
}

/// Where a run's regions are, once [`Machine::begin_run`] installed them.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RunSetup {
    pub r1: u64,
    pub r2: u64,
    /// One past the end of the stack: frame 0's `r10`.
    pub stack_top: u64,
    pub input_addr: Option<(u64, usize)>,
}

impl Machine {
    pub fn new() -> Machine {
        let mut mem = Memory::default();
        let stack = mem.alloc(FRAME_SIZE * STACK_FRAMES, false);
        mem.add_region(stack, 0, FRAME_SIZE * STACK_FRAMES, RegionKind::Stack, true);
        Machine {
            mem,
            maps: Vec::new(),
            cpumasks: Default::default(),
            held_locks: Default::default(),
            env: Env::default(),
            stack,
            custom_helpers: BTreeMap::new(),
            tail_calls: 0,
            capture_output: true,
        }
    }

    /// Registers a helper under `id`, replacing the built-in one (the conformance suite's
    /// helper 5 returns its first argument, where Linux's 5 is `ktime_get_ns`).
    pub fn register_helper(&mut self, id: i32, f: CustomHelper) {
        self.custom_helpers.insert(id, f);
    }

    /// Creates a map; its id is its index in creation order.
    pub fn create_map(&mut self, def: MapDef) -> Result<MapId, MapError> {
        let id =
            MapId(u32::try_from(self.maps.len()).map_err(|_| MapError::BadDef("too many maps"))?);
        let m = Map::new(id, def, &mut self.mem)?;
        self.maps.push(m);
        Ok(id)
    }

    pub fn map(&self, id: MapId) -> Option<&Map> {
        self.maps.get(id.0 as usize)
    }

    /// Number of maps created.
    pub fn maps_len(&self) -> u32 {
        self.maps.len() as u32
    }

    pub fn map_mut(&mut self, id: MapId) -> Option<&mut Map> {
        self.maps.get_mut(id.0 as usize)
    }

    pub(crate) fn map_and_mem(&mut self, id: MapId) -> Option<(&mut Map, &mut Memory)> {
        self.maps.get_mut(id.0 as usize).map(|m| (m, &mut self.mem))
    }

    /// User-space `BPF_MAP_UPDATE_ELEM`: 0 or a negative errno.
    pub fn map_update(&mut self, id: MapId, key: &[u8], value: &[u8], flags: u64) -> i64 {
        let Some((m, mem)) = self.map_and_mem(id) else {
            return -crate::maps::errno::EINVAL;
        };
        if key.len() != m.def.key_size as usize || value.len() != m.def.value_size as usize {
            return -crate::maps::errno::EINVAL;
        }
        m.update(id, mem, key, value, flags)
    }

    /// User-space `BPF_MAP_LOOKUP_ELEM`: a copy of the value.
    pub fn map_lookup(&mut self, id: MapId, key: &[u8]) -> Option<Vec<u8>> {
        let m = self.maps.get_mut(id.0 as usize)?;
        let vs = m.def.value_size as usize;
        let addr = m.lookup(key)?;
        self.mem.read_bytes(addr, vs).ok()
    }

    /// User-space `BPF_MAP_DELETE_ELEM`.
    pub fn map_delete(&mut self, id: MapId, key: &[u8]) -> i64 {
        let Some((m, mem)) = self.map_and_mem(id) else {
            return -crate::maps::errno::EINVAL;
        };
        m.delete(mem, key)
    }

    /// Installs the input's regions and re-zeroes the stack bytes the previous run wrote.
    pub(crate) fn begin_run(&mut self, input: &Input) -> RunSetup {
        let base = self.mem.block_addr(self.stack);
        let stack_top = base + (FRAME_SIZE * STACK_FRAMES) as u64;
        let low = self.mem.take_stack_watermark().max(base);
        if low < stack_top {
            self.mem
                .zero_range(self.stack, (low - base) as usize, FRAME_SIZE * STACK_FRAMES);
        }
        self.tail_calls = 0;
        let (r1, r2, input_addr) = match input {
            Input::Buffer(b) if !b.is_empty() => {
                self.mem.clear_context();
                self.mem.clear_packet();
                self.mem.clear_objects();
                let a = self.mem.set_input(b);
                (a, b.len() as u64, Some((a, b.len())))
            }
            Input::None | Input::Buffer(_) => {
                self.mem.clear_context();
                self.mem.clear_packet();
                self.mem.clear_input();
                self.mem.clear_objects();
                (0, 0, None)
            }
            Input::Context {
                ctx,
                packet,
                fields,
                objects,
            } => {
                // An skb context (`__sk_buff.data` at 76) redirects with TC_ACT_REDIRECT, the
                // others with XDP_REDIRECT.
                self.env.redirect_return = if fields.contains(&SKB_FIELDS[0]) {
                    7
                } else {
                    4
                };
                self.mem.clear_input();
                match packet {
                    Some(p) => {
                        self.mem.set_packet(p);
                        self.mem.set_skb_headers(self.env.skb_headers);
                    }
                    None => self.mem.clear_packet(),
                }
                let addrs = self.mem.set_objects(objects);
                let r1 = self.mem.set_context(ctx, fields);
                for (o, addr) in objects.iter().zip(addrs) {
                    // A slot past the context's end is left out: the program cannot read it.
                    if let Some(slot) = o.slot {
                        let _ = self
                            .mem
                            .write_bytes(r1 + u64::from(slot), &addr.to_le_bytes());
                    }
                }
                (r1, 0, None)
            }
        };
        RunSetup {
            r1,
            r2,
            stack_top,
            input_addr,
        }
    }

    /// Collects the result (the packet and buffer only when [`Machine::capture_output`] is
    /// set) and frees the run's transient blocks. An object the run acquired and never
    /// released is a fault at the call that made it (the verifier refuses such programs).
    pub(crate) fn end_run(
        &mut self,
        setup: RunSetup,
        r0: u64,
        n_insns: u64,
        tail_call: Option<u32>,
    ) -> Result<RunResult, crate::Fault> {
        self.held_locks.end_run();
        if let Some((at, kind)) = self.cpumasks.end_run() {
            self.mem.end_run();
            return Err(crate::Fault {
                insn: bpfvet_analyzer::isa::InsnIdx(at),
                kind,
            });
        }
        let (packet, buffer) = if self.capture_output {
            (
                self.mem.packet_bytes(),
                setup
                    .input_addr
                    .and_then(|(a, n)| self.mem.read_bytes(a, n).ok()),
            )
        } else {
            (None, None)
        };
        self.mem.end_run();
        Ok(RunResult {
            r0,
            n_insns,
            packet,
            buffer,
            tail_call,
            tail_calls: Vec::new(),
        })
    }

    /// Frees a run's regions after a fault.
    pub(crate) fn abort_run(&mut self) {
        self.cpumasks.end_run();
        self.held_locks.end_run();
        self.mem.end_run();
    }
}
