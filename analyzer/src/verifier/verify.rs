//! The verifier's entry point: structural checks, then exploration, then whole-program limits.

use super::btf_ctx;
use super::btf_info;
use super::engine::{Engine, Exploration, NoObserver, Observer, Stats};
use super::env::{Input, KernelVersion, Options};
use super::fastcall;
use super::liveness;
use super::loop_proof;
use super::state::{AbstractState, Frame, PtrKind, RegState, MAX_CALL_FRAMES, STACK_SIZE};
use super::transfer::Vm;
use super::violation::{Code, Violation};
use crate::cfg::{self, StructuralViolation};
use crate::isa::{CallTarget, Insn, InsnIdx, PseudoSrc, Reg};

/// Accept or reject.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Verdict {
    Accept,
    Reject,
}

/// The verdict with every finding and the counters.
#[derive(Debug)]
pub struct VerifyResult {
    pub verdict: Verdict,
    /// All independent findings, the one the kernel would report first at the front.
    pub violations: Vec<Violation>,
    pub stats: Stats,
    /// Deepest stack use of each subprogram, in bytes.
    pub stack_depth: Vec<u32>,
    /// The depths the kernel's log prints for an accepted program: `stack_depth` with what its
    /// rewrites add (`rewrite_stack`); `stack_depth` itself for a rejected one.
    pub logged_stack_depth: Vec<u32>,
    /// bpfvet's own verdict where the kernel's budget runs out but widening proves the
    /// program safe (`loop_proof.rs`); the verdict above stays the kernel's.
    pub own: Option<Box<loop_proof::OwnVerdict>>,
}

impl VerifyResult {
    fn reject(violations: Vec<Violation>) -> Self {
        VerifyResult {
            verdict: Verdict::Reject,
            violations,
            stats: Stats::default(),
            stack_depth: Vec::new(),
            logged_stack_depth: Vec::new(),
            own: None,
        }
    }
}

/// Unprivileged programs may not call other BPF functions or kernel functions, nor take a
/// function's address (the kernel's `add_subprog_and_kfunc` refuses them with `EPERM` before
/// verifying anything).
fn unprivileged_call(input: &Input<'_>, opts: &Options) -> Option<Violation> {
    use crate::isa::{CallTarget, Insn, PseudoSrc};
    if opts.privileged {
        return None;
    }
    let pc = input.insns.iter().position(|insn| {
        matches!(
            insn,
            Insn::Call(CallTarget::Local(_) | CallTarget::Kfunc { .. })
                | Insn::LdImm64 {
                    src: PseudoSrc::Func,
                    ..
                }
        )
    })?;
    Some(
        *Violation::new(
            Code::HelperNotAllowed,
            InsnIdx(pc as u32),
            "unprivileged programs may not call BPF subprograms or kernel functions, nor take a function's address",
            "loading/calling other bpf or kernel functions are allowed for CAP_BPF and CAP_SYS_ADMIN",
        )
        .with_note("the kernel refuses the load with EPERM before the verifier runs"),
    )
}

/// The map types an unprivileged user may create (the kernel's `map_create`; the others
/// need `CAP_BPF` or `CAP_NET_ADMIN`), among those the program uses.
fn unprivileged_map(input: &Input<'_>, opts: &Options) -> Option<Violation> {
    use crate::rules::map_type as t;
    const UNPRIVILEGED: [u32; 13] = [
        t::ARRAY,
        t::PERCPU_ARRAY,
        t::PROG_ARRAY,
        t::PERF_EVENT_ARRAY,
        t::CGROUP_ARRAY,
        t::ARRAY_OF_MAPS,
        t::HASH,
        t::PERCPU_HASH,
        t::HASH_OF_MAPS,
        t::RINGBUF,
        t::USER_RINGBUF,
        t::CGROUP_STORAGE,
        t::PERCPU_CGROUP_STORAGE,
    ];
    if opts.privileged {
        return None;
    }
    // The maps the program refers to: loaders that skip creating the others (the kernel
    // selftests' loader does, libbpf does not) load it; with libbpf the whole object fails.
    let used = input.insns.iter().filter_map(|insn| match insn {
        crate::isa::Insn::LdImm64 {
            src: crate::isa::PseudoSrc::MapIdx | crate::isa::PseudoSrc::MapIdxValue,
            imm,
            ..
        } => usize::try_from(*imm).ok(),
        _ => None,
    });
    let m = used
        .filter_map(|i| input.maps.get(i))
        .find(|m| !UNPRIVILEGED.contains(&m.map_type.0))?;
    Some(
        *Violation::new(
            Code::HelperNotAllowed,
            InsnIdx(0),
            format!(
                "map {} is a {}, which only a loader with CAP_BPF (or CAP_NET_ADMIN) may create",
                m.name,
                t::name(m.map_type.0)
            ),
            format!("map '{}': failed to create: -EPERM", m.name),
        )
        .with_note("the kernel refuses to create the map with EPERM, so the object does not load"),
    )
}

/// Why an unprivileged loader's object has no BTF in the kernel.
const UNPRIVILEGED_BTF: &str = "loading BTF needs CAP_BPF, which an unprivileged loader lacks";

/// `input` as the loader hands it to the profile's kernel, when that differs from the object:
/// without BTF when the kernel refuses the object's BTF (from the release the refusal began),
/// or when the loader is unprivileged (`BPF_BTF_LOAD` needs `CAP_BPF`). libbpf then goes on
/// without the object's BTF, creating its maps without value types (no spin locks, timers or
/// kptrs in them) and loading its programs without function info. The live 6.18.44 accepts an
/// unprivileged socket filter reading a map whose BTF declares a `bpf_res_spin_lock`, which
/// the same loader with capabilities is refused (`corpus/c/kfuncs/res_spin_lock_fail`'s
/// `res_lock_socket_filter`).
fn loaded_view_of<'a>(input: &Input<'a>, opts: &Options) -> Option<Input<'a>> {
    input.btf?;
    let refused = input.btf_refused.filter(|_| {
        input
            .btf_refused_since
            .map_or(true, |since| opts.kernel >= since)
    });
    let why = match (opts.privileged, refused) {
        (false, _) => UNPRIVILEGED_BTF,
        (true, Some(why)) => why,
        (true, None) if input.btf_refused.is_some() => {
            // A refusal that began after the profile's release: this kernel takes the BTF.
            return Some(Input {
                btf_refused: None,
                btf_refused_since: None,
                ..input.clone()
            });
        }
        (true, None) => return None,
    };
    Some(Input {
        btf: None,
        func_info: &[],
        btf_func_info: false,
        btf_refused: Some(why),
        ..input.clone()
    })
}

/// Verifies one linked program under `opts`.
pub fn verify(input: &Input<'_>, opts: &Options) -> VerifyResult {
    verify_observed(input, opts, &mut NoObserver)
}

/// [`verify`], reporting every step of the exploration to `obs`.
pub fn verify_observed<O: Observer>(
    input: &Input<'_>,
    opts: &Options,
    obs: &mut O,
) -> VerifyResult {
    let loaded_view;
    let input = match loaded_view_of(input, opts) {
        Some(view) => {
            loaded_view = view;
            &loaded_view
        }
        None => input,
    };
    let n = input.insns.len();
    if !opts.privileged
        && !crate::rules::UNPRIVILEGED_PROG_TYPES.contains(&input.prog_type.kernel_id)
    {
        return VerifyResult::reject(vec![*Violation::new(
            Code::HelperNotAllowed,
            InsnIdx(0),
            format!("{} programs can only be loaded with CAP_BPF; unprivileged users may load socket filters and cgroup_skb programs", input.prog_type.name),
            "",
        )
        .with_note("the kernel refuses the load with EPERM before the verifier runs")]);
    }
    if let Some(v) = unprivileged_call(input, opts).or_else(|| unprivileged_map(input, opts)) {
        return VerifyResult::reject(vec![v]);
    }
    if n > opts.max_insns() {
        return VerifyResult::reject(vec![*Violation::new(
            Code::ProgramTooLarge,
            InsnIdx(0),
            format!(
                "the program has {n} instructions; the profile allows {}",
                opts.max_insns()
            ),
            "",
        )
        .with_note("the kernel refuses the load with E2BIG before the verifier runs")]);
    }
    let exception_cb = match super::exception_cb::entry(input, opts.kernel) {
        Ok(e) => e,
        Err(v) => return VerifyResult::reject(vec![*v]),
    };
    let (cfg, structural) = cfg::build_with(input.insns, exception_cb.as_slice());
    let structural: Vec<Violation> = structural
        .into_iter()
        .filter(|v| match v {
            // Kernels before 6.12 took a back-edge only through a jump (the 6.1 kernel
            // refuses the selftests' loops entered in their middle; 6.12 accepts them).
            StructuralViolation::BackEdge { fall_through, .. } => {
                !opts.bounded_loops() || (*fall_through && opts.kernel < KernelVersion::new(6, 12))
            }
            _ => true,
        })
        .map(structural_violation)
        .collect();
    if !structural.is_empty() {
        return VerifyResult::reject(structural);
    }
    if let Some(v) = hidden_exit_needs_int(input, &cfg) {
        return VerifyResult::reject(vec![v]);
    }
    let live = liveness::live_in(input.insns);
    let special: Vec<Vec<btf_info::SpecialField>> = input
        .maps
        .iter()
        .map(|m| btf_info::special_fields(input.btf, btf_info::value_type_of(input.btf, m)))
        .collect();
    if let Some(v) = super::transfer::attach_target::disabled_lsm_hook(input) {
        return VerifyResult::reject(vec![v]);
    }
    if let Some(v) = super::transfer::attach_target::unsleepable_target(input, &opts.build) {
        return VerifyResult::reject(vec![v]);
    }
    if let Some(v) = super::transfer::attach_target::unmodifiable_target(input, &opts.build) {
        return VerifyResult::reject(vec![v]);
    }
    if let Some(v) = super::sched_ext::ops_type_missing(input) {
        return VerifyResult::reject(vec![v]);
    }
    if let Some(v) = super::sched_ext::sleepable_member_refused(input) {
        return VerifyResult::reject(vec![v]);
    }
    if let Some(v) = super::map_extra::refused_map(input)
        .or_else(|| super::mmapable_data::refused_global_data(input, opts.kernel))
    {
        return VerifyResult::reject(vec![v]);
    }
    if let Some(v) = map_prog_compat(input, &special) {
        return VerifyResult::reject(vec![v]);
    }
    // The program types whose context libbpf can name with a struct (`__sk_buff`, `xdp_md`,
    // `bpf_user_pt_regs_t`, `bpf_perf_event_data`, `bpf_raw_tracepoint_args`...): for those it
    // rewrites an `arg:ctx` parameter for kernels that ignore the tag.
    const LIBBPF_CTX_TYPES: [u32; 24] = [
        1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 22, 23, 24, 25, 30,
    ];
    let globals: Vec<_> = cfg
        .subprogs()
        .iter()
        .enumerate()
        .map(|(i, s)| {
            if i == 0 {
                None
            } else {
                btf_info::global_sig(
                    input.btf,
                    input.func_info,
                    s.start,
                    opts.kernel >= KernelVersion::new(6, 8),
                    LIBBPF_CTX_TYPES.contains(&input.prog_type.kernel_id),
                )
            }
        })
        .collect();
    if let Some(e) = exception_cb {
        let sig = cfg.subprog_at(e).and_then(|i| globals.get(i)?.as_ref());
        if let Err(v) = super::exception_cb::check_signature(input, e, sig) {
            return VerifyResult::reject(vec![*v]);
        }
    }
    let btf_ctx = (input.prog_type.ctx == crate::rules::CtxModel::BtfArgs).then(|| match (input.kernel_btf, input.attach_target) {
        (Some(k), Some(target)) => btf_ctx::btf_ctx(k, input.attach, target),
        (None, _) => Err("the kernel's BTF is needed to type this context (run where /sys/kernel/btf/vmlinux exists, or pass --btf)".to_string()),
        (_, None) => Err("the section names no attach target".to_string()),
    });
    let arena = match super::transfer::program_arena(input, opts) {
        Ok(a) => a,
        Err(v) => return VerifyResult::reject(vec![*v]),
    };
    let vm = Vm {
        arena,
        input,
        opts,
        cfg: &cfg,
        special,
        globals,
        changes_pkt_data: super::pkt_effects::changes_pkt_data(input.insns, &cfg, input.helpers),
        btf_ctx,
        access_bases: std::cell::RefCell::new(vec![None; input.insns.len()]),
        alu_sanitation: std::cell::RefCell::new(vec![None; input.insns.len()]),
        tail_call_maps: std::cell::RefCell::new(vec![None; input.insns.len()]),
        kfunc_protos: Default::default(),
        kfunc_compat: Default::default(),
        kernel_structs: Default::default(),
        exception_cb,
        alloc_call_types: Default::default(),
        rewrites: Default::default(),
        map_kptrs: Default::default(),
    };
    let mut main = Frame::new(0, InsnIdx(0));
    main.set(Reg::R1, RegState::ptr(PtrKind::Ctx));
    main.set(Reg::FP, RegState::ptr(PtrKind::Stack { frame: 0 }));
    let init = AbstractState {
        frames: smallvec::smallvec![main],
        refs: Vec::new(),
        active_lock: None,
        res_locks: Vec::new(),
        rcu_lock: false,
        next_id: 0,
        may_goto_depth: 0,
    };
    let mut starts = vec![(init, InsnIdx(0))];
    // Global functions are verified once each, on their own, from their declared argument
    // types; callers only check the arguments they pass (the kernel's `btf_check_subprog_call`).
    for (i, sig) in vm.globals.iter().enumerate() {
        let Some(sig) = sig else { continue };
        let entry = cfg.subprogs()[i].start;
        let mut frame = Frame::new(i as u32, entry);
        let mut next_id = 0;
        for (n, p) in sig.params.iter().enumerate().take(5) {
            let r = Reg::new(n as u8 + 1).expect("r1-r5");
            frame.set(
                r,
                match p {
                    btf_info::ParamKind::Scalar
                    | btf_info::ParamKind::Arena
                    | btf_info::ParamKind::Unsupported(_) => RegState::unknown(),
                    btf_info::ParamKind::Ctx => RegState::ptr(PtrKind::Ctx),
                    btf_info::ParamKind::Dynptr => {
                        next_id += 1;
                        let mut ptr = super::state::Pointer::new(PtrKind::ConstDynptr {
                            kind: super::state::DynptrKind::Local,
                        });
                        ptr.dynptr_id = next_id;
                        RegState::Ptr(ptr)
                    }
                    btf_info::ParamKind::Mem { size, nonnull } => {
                        next_id += 1;
                        let mut ptr = super::state::Pointer::new(PtrKind::Mem {
                            size: *size,
                            rdonly: false,
                            ringbuf: false,
                        });
                        ptr.maybe_null = !nonnull;
                        ptr.id = if *nonnull { 0 } else { next_id };
                        RegState::Ptr(ptr)
                    }
                    btf_info::ParamKind::Object {
                        kernel_struct,
                        trusted,
                        nullable,
                    } => {
                        next_id += 1;
                        let mut ptr = super::state::Pointer::new(PtrKind::BtfId {
                            type_id: vm.kernel_struct_id(kernel_struct),
                            trust: if *trusted {
                                super::state::Trust::Trusted
                            } else {
                                super::state::Trust::Untrusted
                            },
                        });
                        ptr.maybe_null = *nullable;
                        ptr.id = if *nullable { next_id } else { 0 };
                        RegState::Ptr(ptr)
                    }
                },
            );
        }
        frame.set(Reg::FP, RegState::ptr(PtrKind::Stack { frame: 0 }));
        let init = AbstractState {
            frames: smallvec::smallvec![frame],
            refs: Vec::new(),
            active_lock: None,
            res_locks: Vec::new(),
            rcu_lock: false,
            next_id,
            may_goto_depth: 0,
        };
        starts.push((init, entry));
    }
    let names: Vec<Option<&str>> = vm
        .globals
        .iter()
        .map(|g| g.as_ref().map(|g| g.name.as_str()))
        .collect();
    obs.globals(&names);
    let mut exploration = explore_all(&vm, &live, &mut *obs, &starts, None);
    let own = loop_proof::after_budget(&exploration, || {
        let loops = loop_proof::Loops::find(input.insns);
        explore_all(
            &vm,
            &live,
            &mut NoObserver,
            &starts,
            Some(loop_proof::Record::new(loops)),
        )
    })
    .filter(|(_, stack_depth)| whole_program_limits(input, opts, &cfg, stack_depth).is_none())
    .map(|(v, _)| Box::new(v));
    let mut violations = std::mem::take(&mut exploration.violations);
    if violations.is_empty() {
        // The kernel walks the call graph after verifying (`check_max_stack_depth`).
        if let Err(v) = super::exception_cb::check_call_graph(input, &cfg, exception_cb) {
            violations.push(*v);
        }
    }
    if violations.is_empty() {
        violations.extend(whole_program_limits(
            input,
            opts,
            &cfg,
            &exploration.stack_depth,
        ));
    }
    let logged_stack_depth = if violations.is_empty() {
        vm.rewrites
            .borrow()
            .logged_depths(input.insns, &cfg, &exploration.stack_depth, opts.kernel)
    } else {
        exploration.stack_depth.clone()
    };
    VerifyResult {
        verdict: if violations.is_empty() {
            Verdict::Accept
        } else {
            Verdict::Reject
        },
        violations,
        stats: exploration.stats,
        stack_depth: exploration.stack_depth,
        logged_stack_depth,
        own,
    }
}

/// Explores from each of `starts` (the program's entry, then each global function), adding
/// up what was found. A widening exploration carries its `record` through all of them. From
/// Linux 6.8 on, the kernel verifies a global function only once a call to it was explored
/// (in the entry or in a global function so verified; `do_check_subprogs` repeats its pass
/// until no new one is called), so one never called is not verified at all
/// (`xdp-dispatcher.o`: the calls all sit behind a frozen `.rodata` count of 0); before, it
/// verified every one.
fn explore_all<O: Observer>(
    vm: &Vm<'_>,
    live: &[liveness::RegSet],
    obs: &mut O,
    starts: &[(AbstractState, InsnIdx)],
    mut record: Option<loop_proof::Record>,
) -> Exploration {
    let lazy = vm.opts.kernel >= KernelVersion::new(6, 8);
    let mut all: Option<Exploration> = None;
    let mut done = vec![false; starts.len()];
    let mut called = vec![false; vm.cfg.subprogs().len()];
    // The exception callback is verified as a global function that no call reaches.
    if let Some(i) = vm.exception_cb.and_then(|e| vm.cfg.subprog_at(e)) {
        called[i] = true;
    }
    loop {
        let mut new = 0;
        for (k, (init, entry)) in starts.iter().enumerate() {
            // Every start but the program's entry is a global function.
            let sub_idx = (*entry != InsnIdx(0))
                .then(|| vm.cfg.subprog_at(*entry))
                .flatten();
            let wanted =
                k == 0 || !lazy || sub_idx.is_some_and(|i| called.get(i).copied().unwrap_or(false));
            if done[k] || !wanted {
                continue;
            }
            done[k] = true;
            new += 1;
            let global =
                sub_idx.and_then(|i| Some((i, vm.globals.get(i)?.as_ref()?.name.as_str())));
            if let Some((i, name)) = global {
                obs.global_start(i, name);
            }
            let mut engine = Engine::new(vm, live, &mut *obs);
            if let Some(r) = record.take() {
                engine = engine.widening(r);
            }
            let mut sub = engine.run(init.clone(), *entry);
            if let Some((i, name)) = global {
                obs.global_done(i, name, sub.violations.is_empty());
            }
            for (c, s) in called.iter_mut().zip(&sub.called_globals) {
                *c |= *s;
            }
            record = sub.record.take();
            let Some(acc) = all.as_mut() else {
                all = Some(sub);
                continue;
            };
            acc.violations.extend(sub.violations);
            acc.stats.processed += sub.stats.processed;
            acc.stats.states += sub.stats.states;
            acc.stats.peak_states = acc.stats.peak_states.max(sub.stats.peak_states);
            for (d, s) in acc.stack_depth.iter_mut().zip(&sub.stack_depth) {
                *d = (*d).max(*s);
            }
        }
        if new == 0 {
            break;
        }
    }
    let mut all = all.expect("the entry is always explored");
    // The depths the kernel reports and limits: without removable fastcall spill areas.
    fastcall::apply(vm.input.insns, vm.cfg, &mut all.stack_depth);
    all.record = record;
    all
}

/// The limits on the whole program checked after exploration (the combined stack).
fn whole_program_limits(
    input: &Input<'_>,
    opts: &Options,
    cfg: &cfg::Cfg,
    stack_depth: &[u32],
) -> Option<Violation> {
    let id = input.prog_type.kernel_id;
    let stack = StackRule {
        private: opts.private_stack_for(id),
        may_be_private: opts.may_have_private_stack(id),
    };
    combined_stack(input.insns, cfg, stack_depth, stack)
}

/// `ld_abs`/`ld_ind` and tail calls may leave a subprogram with a number in r0 that the
/// subprogram never set (0, or the tail-called program's result): the kernel refuses them in a
/// subprogram whose BTF prototype does not return an integer or enum, before exploring.
fn hidden_exit_needs_int(input: &Input<'_>, cfg: &cfg::Cfg) -> Option<Violation> {
    // Without BTF function info nothing says what a subprogram returns: the kernel refuses
    // both in any subprogram (its `check_abnormal_return`).
    if !input.btf_func_info {
        for s in cfg.subprogs().iter().skip(1) {
            let body = input.insns.get(s.start.0 as usize..s.end.0 as usize)?;
            let found = body.iter().enumerate().find_map(|(i, insn)| match insn {
                Insn::LdAbs { .. } | Insn::LdInd { .. } => {
                    Some((i, Code::InvalidMemAccess, "LD_ABS", "a legacy packet load"))
                }
                Insn::Call(CallTarget::Helper(12)) => {
                    Some((i, Code::TailCallMisuse, "tail_call", "a tail call"))
                }
                _ => None,
            });
            if let Some((at, code, what, prose)) = found {
                return Some(*Violation::new(
                    code,
                    InsnIdx(s.start.0 + at as u32),
                    format!("{prose} in a subprogram needs BTF function info (.BTF.ext), which this program lacks; build with BTF (clang -g)"),
                    format!("{what} is not allowed in subprogs without BTF"),
                ));
            }
        }
    }
    for s in cfg.subprogs().iter().skip(1) {
        if btf_info::returns_scalar(input.btf, input.func_info, s.start) != Some(false) {
            continue;
        }
        let body = input.insns.get(s.start.0 as usize..s.end.0 as usize)?;
        let (at, code, what) = body.iter().enumerate().find_map(|(i, insn)| match insn {
            Insn::LdAbs { .. } | Insn::LdInd { .. } => Some((i, Code::InvalidMemAccess, "LD_ABS")),
            Insn::Call(CallTarget::Helper(12)) => Some((i, Code::TailCallMisuse, "tail_call")),
            _ => None,
        })?;
        return Some(*Violation::new(
            code,
            InsnIdx(s.start.0 + at as u32),
            format!(
                "{} may leave this function with a number in r0, but its BTF prototype does not return an integer (declare it to return int)",
                if what == "LD_ABS" { "a legacy packet load" } else { "a tail call" }
            ),
            format!("{what} is only allowed in functions that return 'int'."),
        ));
    }
    None
}

fn structural_violation(v: StructuralViolation) -> Violation {
    let (code, message) = match &v {
        StructuralViolation::JumpOutOfRange { to, .. } => (
            Code::JumpOutOfRange,
            format!("the jump lands on instruction {to}, outside its function"),
        ),
        StructuralViolation::JumpIntoLdImm64 { to, .. } => (
            Code::JumpIntoLdImm64,
            format!("the jump lands on instruction {to}, the second half of a lddw"),
        ),
        StructuralViolation::CallOutOfRange { to, .. } => (
            Code::CallOutOfRange,
            format!("the call targets instruction {to}, outside the program"),
        ),
        StructuralViolation::FallsOffEnd { .. } => (
            Code::FallsOffEnd,
            "the function can run past its last instruction".to_string(),
        ),
        StructuralViolation::Unreachable { .. } => (
            Code::UnreachableInsn,
            "no path reaches this instruction".to_string(),
        ),
        StructuralViolation::BackEdge {
            to, fall_through, ..
        } => (
            Code::BackEdge,
            if *fall_through {
                format!("a loop back to instruction {to} that closes by falling through into it (entered in its middle): this profile takes loops only through a jump (bounded loops from 5.3, such loops from 6.12)")
            } else {
                format!("a loop back to instruction {to}, and this profile has no bounded loops")
            },
        ),
        StructuralViolation::Empty => (Code::EmptyProgram, "the program is empty".to_string()),
    };
    *Violation::new(code, v.insn(), message, v.kernel_message())
}

/// Program types the kernel counts as tracing (`is_tracing_prog_type`): kprobe, tracepoint,
/// perf_event, raw_tracepoint, raw_tracepoint_writable. They run in any context, so the kernel
/// keeps locks and timers in map values away from them.
const TRACING_PROG_TYPES: &[u32] = &[2, 5, 7, 17, 24];

/// The kernel's check of each map a program names against the program's type, done when it
/// resolves the map references, before any instruction is explored.
fn map_prog_compat(
    input: &Input<'_>,
    special: &[Vec<btf_info::SpecialField>],
) -> Option<Violation> {
    if input.sleepable {
        if let Some(v) = sleepable_map_refused(input) {
            return Some(v);
        }
    }
    let socket_filter = input.prog_type.kernel_id == 1;
    if !socket_filter && !TRACING_PROG_TYPES.contains(&input.prog_type.kernel_id) {
        return None;
    }
    input.insns.iter().enumerate().find_map(|(at, insn)| {
        let Insn::LdImm64 {
            src: PseudoSrc::MapIdx | PseudoSrc::MapIdxValue,
            imm,
            ..
        } = insn
        else {
            return None;
        };
        let fields = special.get(usize::try_from(*imm).ok()?)?;
        // Graph roots are checked first (the kernel's `check_map_prog_compatibility`).
        let has = |k: &str| fields.iter().any(|f| f.kind == k);
        // A resilient lock counts as a spin lock; socket filters may use neither (live
        // 6.18.44: "socket filter progs cannot use bpf_spin_lock yet"), but timers and work
        // queues.
        let lock = has("bpf_spin_lock") || has("bpf_res_spin_lock");
        let kind = if socket_filter {
            lock.then_some("bpf_spin_lock")?
        } else if has("bpf_list_head") || has("bpf_rb_root") {
            "bpf_{list_head,rb_root}"
        } else if lock {
            "bpf_spin_lock"
        } else {
            ["bpf_timer", "bpf_wq"].into_iter().find(|k| has(k))?
        };
        let map = input
            .maps
            .get(*imm as usize)
            .map_or("", |m| m.name.as_str());
        let (who, why) = if socket_filter {
            ("socket filter", "the kernel does not allow it for them yet")
        } else {
            ("tracing", "they can run in any context")
        };
        Some(*Violation::new(
            Code::HelperNotAllowed,
            InsnIdx(at as u32),
            format!(
                "map {map} holds a {kind}, which {} programs may not use ({why})",
                input.prog_type.name
            ),
            format!("{who} progs cannot use {kind} yet"),
        ))
    })
}

/// The map types a sleepable program may name, as the live 6.18.44 answers for each (a
/// `syscall` program naming one map of each type): hash, array and their per-CPU and LRU forms,
/// maps of maps, queue, stack, ring buffers, local storage, arena. The release each joined the
/// list is not modelled: older profiles take 6.18's list.
const SLEEPABLE_MAP_TYPES: &[u32] = &[
    1, 2, 5, 6, 9, 10, 12, 13, 22, 23, 24, 27, 28, 29, 31, 32, 33,
];

/// The first map a sleepable program names that sleepable programs may not use (the kernel's
/// `check_map_prog_compatibility`, before any instruction is explored).
fn sleepable_map_refused(input: &Input<'_>) -> Option<Violation> {
    input.insns.iter().enumerate().find_map(|(at, insn)| {
        let Insn::LdImm64 {
            src: PseudoSrc::MapIdx | PseudoSrc::MapIdxValue,
            imm,
            ..
        } = insn
        else {
            return None;
        };
        let map = input.maps.get(usize::try_from(*imm).ok()?)?;
        // A map of maps passes for itself, but its inner map's type counts too: the program
        // reaches that map's values through the outer one (live 6.18.44: an array of LPM
        // tries or of bloom filters is refused, kernel_cases/sleepable_inner_maps.rs).
        let message = if !SLEEPABLE_MAP_TYPES.contains(&map.map_type.0) {
            format!(
                "map {} is a {} map, which sleepable programs may not use",
                map.name, map.map_type
            )
        } else {
            let inner = map
                .inner
                .as_deref()
                .filter(|inner| !SLEEPABLE_MAP_TYPES.contains(&inner.map_type.0))?;
            format!(
                "the inner map {} of map {} is a {} map, which sleepable programs may not use",
                inner.name, map.name, inner.map_type
            )
        };
        Some(*Violation::new(
            Code::HelperNotAllowed,
            InsnIdx(at as u32),
            message,
            "Sleepable programs can only use array, hash, ringbuf and local storage maps",
        ))
    })
}

/// Whether functions may run on a private stack (see [`Options::private_stack`]).
#[derive(Clone, Copy)]
struct StackRule {
    /// Assumed: functions of at least 64 bytes do not count toward the sum.
    private: bool,
    /// Some build of the profile's kernel would give one: the finding says so.
    may_be_private: bool,
}

/// The kernel's stack limit across a chain of bpf-to-bpf calls: the rounded frame sizes along
/// any call path must add up to at most 512 bytes.
///
/// Programs with a private stack do not count subprograms of at least
/// [`crate::rules::PRIV_STACK_MIN`] bytes toward the total. A call chain deeper than 8 frames
/// (recursion, above all) is rejected here whatever the values, as the kernel's walk of the call
/// graph does.
fn combined_stack(
    insns: &[Insn],
    cfg: &cfg::Cfg,
    depth: &[u32],
    rule: StackRule,
) -> Option<Violation> {
    let subprogs = cfg.subprogs();
    // A tail call anywhere keeps every function on the shared stack.
    let tail_calls = insns
        .iter()
        .any(|i| matches!(i, Insn::Call(CallTarget::Helper(12))));
    let private = rule.private && !tail_calls;
    let round = |d: u32| {
        if private && d >= crate::rules::PRIV_STACK_MIN {
            0
        } else {
            d.div_ceil(16) * 16
        }
    };
    // Call edges: (caller subprogram, call instruction, callee subprogram).
    let mut calls: Vec<Vec<(InsnIdx, usize)>> = vec![Vec::new(); subprogs.len()];
    for (at, insn) in insns.iter().enumerate() {
        if let Insn::Call(CallTarget::Local(imm)) = insn {
            let pc = InsnIdx(at as u32);
            if let (Some(from), Some(to)) = (
                cfg.subprog_of(pc),
                pc.jump(i64::from(*imm)).and_then(|t| cfg.subprog_at(t)),
            ) {
                calls[from].push((pc, to));
            }
        }
    }
    // Depth-first over call paths with an explicit stack; paths are at most 8 frames deep,
    // deeper ones were already rejected by the exploration.
    let mut stack = vec![(0usize, round(depth.first().copied().unwrap_or(0)), 1usize)];
    while let Some((sp, total, frames)) = stack.pop() {
        for &(pc, callee) in &calls[sp] {
            if frames >= MAX_CALL_FRAMES {
                return Some(*Violation::new(
                    Code::CallStackTooDeep,
                    pc,
                    format!("calls nest deeper than {MAX_CALL_FRAMES} frames on some path (recursion is never allowed)"),
                    format!("the call stack of {frames} frames is too deep !"),
                ));
            }
            let callee_sp = &subprogs[callee];
            let has_tail_call = insns[callee_sp.start.idx()..callee_sp.end.idx()]
                .iter()
                .any(|i| matches!(i, Insn::Call(CallTarget::Helper(12))));
            if has_tail_call && total >= 256 {
                return Some(*Violation::new(
                    Code::TailCallMisuse,
                    pc,
                    format!("a function that tail-calls is reached with {total} bytes of stack in use by its callers; the kernel allows under 256"),
                    format!("tail_calls are not allowed when call stack of previous frames is {total} bytes. Too large"),
                ));
            }
            let t = total + round(depth.get(callee).copied().unwrap_or(0));
            if t > STACK_SIZE as u32 {
                let unless = if rule.may_be_private && !private && !tail_calls {
                    "; a kernel that gives this program a private stack (Linux 6.13 and later on x86-64, for kprobe, tracepoint, perf_event, raw_tracepoint and tracing programs, but not every build: 6.18.44-fc-v1045 did, 6.18.44-fc-v1252 and -v1272 did not) counts each function alone and accepts it (`--private-stack` assumes that)"
                } else {
                    ""
                };
                return Some(*Violation::new(
                    Code::CombinedStackTooLarge,
                    pc,
                    format!("the stacks of the {} functions on this call chain add up to {t} bytes, over 512{unless}", frames + 1),
                    format!("combined stack size of {} calls is {t}. Too large", frames + 1),
                ));
            }
            stack.push((callee, t, frames + 1));
        }
    }
    None
}
