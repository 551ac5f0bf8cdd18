//! The `__retval` check of `bpfvet test`: one run of a test program on the interpreter and on
//! the checked JIT, set up as the kernel's test loader and `BPF_PROG_TEST_RUN` set it up.
//!
//! - The object's maps are created, and its program arrays get the initial slots the object
//!   declares (`.values = { [K] = &prog }`, which libbpf fills once the programs are loaded):
//!   a slot names one of the programs this test loads (the test and its mode's auxiliary
//!   programs), and the run follows tail calls into them.
//! - `--map NAME KEY=VALUE` entries are written before the run, as a harness's
//!   pre-execution callback writes them (the kernel's `prog_tests/verifier.c` fills
//!   `map_array_48b`/`map_array_ro` for two of its objects; `tests/selftests_suite.rs` passes
//!   the same entries).
//! - The input is the zeroed 64-byte frame the selftests' loader passes, framed as
//!   `net/bpf/test_run.c` frames it (mac and network headers included, for `LD_ABS`/`LD_IND`).
//! - An unprivileged test runs with the unprivileged verifier's tail-call bound.
//! - A netfilter program gets the kernel's `struct bpf_nf_ctx`: IPv4 at `LOCAL_OUT`, the
//!   whole frame as the skb's data (`bpfvet_runtime::netfilter`).
//! - An fentry/fexit program is not run: its test run calls the kernel's test functions with
//!   the program unattached, and returns 0.

use anyhow::Context as _;
use bpfvet_analyzer::isa::{Insn, InsnIdx};
use bpfvet_analyzer::prog_type::AttachType;
use bpfvet_analyzer::program::{MapType, Object, Program};
use bpfvet_analyzer::test_spec::Retval;
use bpfvet_analyzer::verifier::env::{Input as VerifyInput, Options};
use bpfvet_analyzer::verifier::{verify_program, VerifiedProgram};
use bpfvet_runtime::diff::{self as rdiff, CtxShape};
use bpfvet_runtime::interp::{self, Prepared};
use bpfvet_runtime::{jit, load, Machine};

use super::check::rules_for;
use super::diff::{kernel_like, kernel_like_headers, sees_ethernet, ETH_HLEN};
use super::load::core_relocate;
use super::run::parse_bytes;

/// The data `BPF_PROG_TEST_RUN` is given by the selftests' loader: 64 zero bytes.
const TEST_DATA_LEN: usize = 64;

/// A map entry written before each run (`--map NAME KEY=VALUE`).
#[derive(Clone, Debug)]
pub(super) struct MapEntry {
    pub map: String,
    pub key: String,
    pub value: String,
}

/// Parses the `--map` pairs of `bpfvet test`.
pub(super) fn map_entries(raw: &[String]) -> anyhow::Result<Vec<MapEntry>> {
    if raw.len() % 2 != 0 {
        anyhow::bail!("--map takes NAME and KEY=VALUE");
    }
    raw.chunks(2)
        .map(|pair| {
            let (k, v) = pair[1].split_once('=').ok_or_else(|| {
                anyhow::anyhow!("--map {}: want KEY=VALUE, got {:?}", pair[0], pair[1])
            })?;
            Ok(MapEntry {
                map: pair[0].clone(),
                key: k.to_owned(),
                value: v.to_owned(),
            })
        })
        .collect()
}

/// What one test run needs besides the program.
pub(super) struct RunSetup<'a> {
    pub privileged: bool,
    /// The options the test was verified with (its auxiliary programs get them too).
    pub opts: &'a Options,
    /// The auxiliary programs this mode loads beside the test.
    pub aux: &'a [&'a Program],
    pub entries: &'a [MapEntry],
    pub btf: Option<&'a std::path::Path>,
}

/// A tail-call target, ready to bind to a machine's maps.
struct Target {
    name: String,
    insns: Vec<Insn>,
    probe_loads: Vec<InsnIdx>,
    kfuncs: Vec<(InsnIdx, String)>,
}

/// The programs the object's program arrays name that this test loads (itself included).
fn targets(obj: &Object, prog: &Program, setup: &RunSetup<'_>) -> anyhow::Result<Vec<Target>> {
    let mut res = Vec::new();
    for name in load::prog_array_targets(obj.maps()) {
        let Some(p) = std::iter::once(prog)
            .chain(setup.aux.iter().copied())
            .find(|p| p.name() == name)
        else {
            continue;
        };
        let rules = rules_for(p, None)?;
        let kbtf = super::load::kernel_btf_for(obj, p, rules, setup.btf)?;
        let (relocated, _) = core_relocate(obj, p, kbtf);
        let p = relocated.as_ref().unwrap_or(p);
        let input = VerifyInput::new(obj, p, rules).with_kernel_btf(kbtf);
        let probe_loads = verify_program(&input, setup.opts)
            .map(|v| v.probe_loads().to_vec())
            .unwrap_or_default();
        res.push(Target {
            name,
            insns: p.insns().to_vec(),
            probe_loads,
            kfuncs: bpfvet_runtime::kfuncs::names(input.relocs),
        });
    }
    Ok(res)
}

/// Runs the program once on each engine on the test loader's input; a difference from `want`.
pub(super) fn check_retval(
    obj: &Object,
    prog: &Program,
    input: &VerifyInput<'_>,
    verified: &VerifiedProgram,
    rules: &bpfvet_analyzer::rules::ProgTypeRules,
    setup: &RunSetup<'_>,
    want: &Retval,
) -> anyhow::Result<Option<String>> {
    let Retval::Value(want) = *want else {
        // POINTER_VALUE: the kernel returns a pointer's low half, which no offline run shares.
        return Ok(None);
    };
    if matches!(
        prog.attach_type(),
        Some(AttachType::TraceFentry | AttachType::TraceFexit)
    ) {
        // The test run of an fentry/fexit program calls the kernel's `bpf_fentry_test*`
        // functions, which the unattached program does not see: it never runs, and the
        // retval is 0 (`bpf_prog_test_run_tracing`).
        return Ok((want as i32 != 0).then(|| {
            format!(
                "expected retval {want}: BPF_PROG_TEST_RUN does not run an unattached fentry/fexit program, its retval is 0"
            )
        }));
    }
    let frame = [0u8; TEST_DATA_LEN];
    let seen = if sees_ethernet(rules) {
        &frame[..]
    } else {
        &frame[ETH_HLEN..]
    };
    let run_input = match rdiff::ctx_shape(rules) {
        CtxShape::Xdp | CtxShape::Skb => kernel_like(rules, &frame, seen),
        // A syscall program's test run passes the context the caller gives, and the test
        // loader gives none: r1 is NULL.
        _ if rules.name == "syscall" => Some(bpfvet_runtime::Input::None),
        // A netfilter program's test run: IPv4 at LOCAL_OUT over the whole frame.
        _ if rules.name == "netfilter" => super::load::kernel_btf(setup.btf)?
            .and_then(bpfvet_runtime::netfilter::NfLayout::from_btf)
            .map(|l| l.test_run_input(&frame)),
        _ => None,
    };
    let Some(run_input) = run_input else {
        return Ok(Some(format!(
            "retval {want}: bpfvet does not run {} programs as BPF_PROG_TEST_RUN does",
            rules.name
        )));
    };
    let targets = targets(obj, prog, setup)?;
    let names: Vec<&str> = targets.iter().map(|t| t.name.as_str()).collect();
    let mut got = Vec::new();
    // The checked JIT: an unsound verdict shows as a typed fault, not a crash of bpfvet.
    for engine in ["interpreter", "jit"] {
        let mut m = Machine::new();
        // BPF_PROG_TEST_RUN counts no instructions: a `may_goto` loop runs its 8M iterations
        // (`MAY_GOTO_BUDGET`), which the default budget of a `bpfvet run` would cut short.
        m.env.insn_limit = 1 << 28;
        m.env.unprivileged = !setup.privileged;
        m.env.skb_headers = kernel_like_headers(rules, &frame);
        m.env.skb_dynptr_rdonly = bpfvet_runtime::dynptr::skb_dynptr_rdonly(rules.name);
        let code = load::load_program(&mut m, obj.maps(), prog.insns())
            .map_err(|e| anyhow::anyhow!("{}: {e}", prog.name()))?
            .with_probe_loads(verified.probe_loads().to_vec())
            .with_kfuncs(bpfvet_runtime::kfuncs::names(input.relocs));
        let ids = code.maps().to_vec();
        write_entries(&mut m, obj, &ids, setup.entries)?;
        load::fill_prog_arrays(&mut m, obj.maps(), &ids, &names);
        let chain: Vec<bpfvet_runtime::Program> = targets
            .iter()
            .map(|t| {
                bpfvet_runtime::Program::with_maps(t.insns.clone(), ids.clone())
                    .with_probe_loads(t.probe_loads.clone())
                    .with_kfuncs(t.kfuncs.clone())
            })
            .collect();
        let r = if engine == "jit" {
            let compiled = chain
                .iter()
                .zip(&targets)
                .map(|(p, t)| {
                    jit::compile_checked(p).with_context(|| format!("tail-call target {}", t.name))
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let refs: Vec<&jit::JitProgram> = compiled.iter().collect();
            jit::compile_checked(&code)?.run_chain(&refs, &mut m, &run_input)
        } else {
            let prepared: Vec<Prepared> = chain.iter().map(Prepared::new).collect();
            let refs: Vec<&Prepared> = prepared.iter().collect();
            interp::run_chain(&mut m, &refs, &Prepared::new(&code), &run_input)
        };
        got.push((engine, r.map(|r| r.r0)));
    }
    // The kernel reports the return value as a u32, which the loader compares as an int.
    let want32 = want as i32;
    let wrong: Vec<String> = got
        .iter()
        .filter(|(_, r)| r.as_ref().map_or(true, |r0| *r0 as u32 as i32 != want32))
        .map(|(e, r)| match r {
            Ok(r0) => format!("{e} returned {}", *r0 as u32 as i32),
            Err(f) => format!("{e} faulted: {f}"),
        })
        .collect();
    Ok((!wrong.is_empty()).then(|| format!("expected retval {want}, {}", wrong.join(", "))))
}

/// A `--map` entry of one object: the map's index, the key and the value.
pub(super) struct Entry {
    map: usize,
    key: Vec<u8>,
    value: Vec<u8>,
}

/// The `--map` entries that apply to `obj`; an entry
/// that does not fit its map is bad input.
pub(super) fn object_entries(obj: &Object, entries: &[MapEntry]) -> anyhow::Result<Vec<Entry>> {
    let mut res = Vec::new();
    for e in entries {
        let Some(i) = obj.maps().iter().position(|d| d.name == e.map) else {
            continue;
        };
        let def = &obj.maps()[i];
        if def.map_type == MapType::PROG_ARRAY {
            anyhow::bail!(
                "--map {}: a program array is filled from the object's own initial slots",
                e.map
            );
        }
        let k =
            parse_bytes(&e.key, def.key_size).with_context(|| format!("--map {} key", e.map))?;
        let v = parse_bytes(&e.value, def.value_size)
            .with_context(|| format!("--map {} value", e.map))?;
        res.push(Entry {
            map: i,
            key: k,
            value: v,
        });
    }
    Ok(res)
}

/// Writes `obj`'s `--map` entries into its machine maps `ids`.
fn write_entries(
    m: &mut Machine,
    obj: &Object,
    ids: &[bpfvet_runtime::maps::MapId],
    entries: &[MapEntry],
) -> anyhow::Result<()> {
    for e in object_entries(obj, entries)? {
        let rc = m.map_update(ids[e.map], &e.key, &e.value, 0);
        if rc != 0 {
            anyhow::bail!("--map {}: update failed with {rc}", obj.maps()[e.map].name);
        }
    }
    Ok(())
}
