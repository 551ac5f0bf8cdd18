//! Running an accepted program once (or `repeat` times) through `BPF_PROG_TEST_RUN`.
//!
//! Program types differ in what they take: packet programs take packet bytes (`data_in`) and
//! optionally a context (`__sk_buff`, `xdp_md`), raw tracepoint and syscall programs take only a
//! context (the argument array), and some types cannot be test-run at all. [`run_mode`] is the
//! table; the kernel has the last word and its errno is reported as is.

use serde::Serialize;

use crate::load::load_for_run;
use crate::sys::{self, RawTestRun};
use crate::verdict::{Errno, KernelVerdict};
use crate::OracleError;

/// How `BPF_PROG_TEST_RUN` feeds a program type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum RunMode {
    /// Packet bytes in and out (`data_in`/`data_out`), an optional context, `repeat` allowed.
    Packet,
    /// A context only (`ctx_in`), run once: `repeat`, `data_in` and `duration` are refused.
    ContextOnce,
    /// A context only, `repeat` allowed (`sk_lookup`).
    Context,
    /// The kernel does not test-run this type.
    Unsupported,
}

/// The table of how each program type is test-run (kernel `net/bpf/test_run.c`).
#[must_use]
pub fn run_mode(prog_type: &str) -> RunMode {
    match prog_type {
        "socket_filter" | "sched_cls" | "sched_act" | "xdp" | "cgroup_skb" | "lwt_in"
        | "lwt_out" | "lwt_xmit" | "lwt_seg6local" | "flow_dissector" => RunMode::Packet,
        "raw_tracepoint" | "raw_tracepoint_writable" | "syscall" => RunMode::ContextOnce,
        "sk_lookup" | "netfilter" => RunMode::Context,
        _ => RunMode::Unsupported,
    }
}

/// The input of one test run.
#[derive(Debug, Clone, Default)]
pub struct TestRunInput {
    /// Packet bytes for packet programs; for context-only types, used as the context when
    /// `ctx` is `None` (so one input file serves every type).
    pub data: Vec<u8>,
    /// The context (`struct __sk_buff`, `struct xdp_md`, the raw tracepoint's `u64` arguments).
    pub ctx: Option<Vec<u8>>,
    /// How many times to run (0 and 1 both mean once); ignored for run-once types.
    pub repeat: u32,
}

/// What a test run produced.
#[derive(Debug, Clone, Serialize)]
pub struct TestRunOutput {
    /// The kernel's verdict on the program (always accepted here).
    pub verdict: KernelVerdict,
    /// How the input was passed.
    pub mode: RunMode,
    /// The program's return value (`r0`, truncated to 32 bits by the kernel).
    pub retval: u32,
    /// The packet after the run, for packet programs.
    pub data_out: Option<Vec<u8>>,
    /// The context after the run, when one was passed and the type returns it.
    pub ctx_out: Option<Vec<u8>>,
    /// The mean duration of one run in nanoseconds, as the kernel measured it (0 for run-once
    /// types, which the kernel does not time).
    pub duration_ns: u32,
    /// The number of runs the kernel was asked for.
    pub repeat: u32,
}

/// A program-array slot filled before a test run: `map[key]` = program `program` of the same
/// object (loaded with the program that runs, so that its tail calls reach it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgSlot {
    /// The program array's name.
    pub map: String,
    /// The slot.
    pub key: u32,
    /// The target program's name.
    pub program: String,
}

/// Room for a program to grow the packet (`bpf_xdp_adjust_head`, `bpf_skb_change_tail`, ...).
const DATA_OUT_SLACK: usize = 64 * 1024;

/// Loads program `program` of `elf` and runs it through `BPF_PROG_TEST_RUN`.
///
/// # Errors
/// [`OracleError::NotAccepted`] (with the verdict) when the kernel does not accept the program,
/// [`OracleError::TestRunUnsupported`] for program types the kernel cannot test-run,
/// [`OracleError::TestRun`] when the kernel refuses the run (an input too short for the
/// program type, say), and the errors of [`crate::verify_object`].
pub fn test_run(
    elf: &[u8],
    name: &str,
    program: &str,
    input: &TestRunInput,
) -> Result<TestRunOutput, OracleError> {
    test_run_with_slots(elf, name, program, &[], input)
}

/// [`test_run`] with program-array slots filled first, so that the program's tail calls
/// reach other programs of the object (each loaded alongside it).
///
/// # Errors
/// As [`test_run`], [`OracleError::NoSuchProgram`] for a target the object does not have,
/// and [`OracleError::ProgSlot`] when a slot cannot be filled.
pub fn test_run_with_slots(
    elf: &[u8],
    name: &str,
    program: &str,
    slots: &[ProgSlot],
    input: &TestRunInput,
) -> Result<TestRunOutput, OracleError> {
    let targets: Vec<&str> = slots.iter().map(|s| s.program.as_str()).collect();
    let loaded = load_for_run(elf, name, program, &targets)?;
    let Some(obj) = loaded.obj.as_ref() else {
        return Err(OracleError::NotAccepted(Box::new(loaded.verdict)));
    };
    for slot in slots {
        obj.program_index(&slot.program)
            .ok_or(Errno(libc::ENOENT))
            .and_then(|prog| obj.set_prog_slot(&slot.map, slot.key, prog))
            .map_err(|errno| OracleError::ProgSlot {
                slot: format!("{}[{}] = {}", slot.map, slot.key, slot.program),
                errno,
            })?;
    }
    let prog_type = loaded.verdict.prog_type.clone();
    let mode = run_mode(&prog_type);
    let mut data_out = vec![0u8; input.data.len() + DATA_OUT_SLACK];
    let ctx_in = match mode {
        RunMode::Packet => input.ctx.clone(),
        _ => Some(input.ctx.clone().unwrap_or_else(|| input.data.clone())),
    };
    let mut ctx_out = ctx_in.as_ref().map(|it| vec![0u8; it.len()]);
    let repeat = if mode == RunMode::ContextOnce {
        0
    } else {
        input.repeat
    };
    let run = match mode {
        RunMode::Unsupported => return Err(OracleError::TestRunUnsupported { prog_type }),
        RunMode::Packet => RawTestRun {
            data_in: Some(&input.data),
            data_out: Some(&mut data_out),
            ctx_in: ctx_in.as_deref(),
            ctx_out: ctx_out.as_deref_mut(),
            repeat,
        },
        RunMode::Context => RawTestRun {
            ctx_in: ctx_in.as_deref(),
            ctx_out: ctx_out.as_deref_mut(),
            repeat,
            ..RawTestRun::default()
        },
        RunMode::ContextOnce => RawTestRun {
            ctx_in: ctx_in.as_deref(),
            ..RawTestRun::default()
        },
    };
    let res = sys::test_run(obj, loaded.idx, run).map_err(|errno| OracleError::TestRun {
        errno,
        hint: test_run_hint(errno, mode, input.data.len()),
    })?;
    let cut = |mut buf: Vec<u8>, n: u32| {
        buf.truncate(n as usize);
        buf
    };
    let data_out = (mode == RunMode::Packet).then(|| cut(data_out, res.data_size_out));
    let ctx_out = match (mode, ctx_out) {
        (RunMode::ContextOnce, _) | (_, None) => None,
        (_, Some(buf)) => Some(cut(buf, res.ctx_size_out)),
    };
    Ok(TestRunOutput {
        verdict: loaded.verdict,
        mode,
        retval: res.retval,
        data_out,
        ctx_out,
        duration_ns: res.duration_ns,
        repeat: repeat.max(1),
    })
}

fn test_run_hint(errno: Errno, mode: RunMode, data_len: usize) -> String {
    match errno.0 {
        524 | libc::ENOTSUP => "the kernel cannot test-run this program type".to_owned(),
        libc::EINVAL if mode == RunMode::Packet && data_len < 14 => {
            format!("the input is {data_len} bytes; packet programs need at least an Ethernet header (14 bytes)")
        }
        libc::EINVAL => {
            "the kernel refused the input or the context for this program type".to_owned()
        }
        libc::ENOSPC => "the output did not fit in the buffer".to_owned(),
        _ => std::io::Error::from_raw_os_error(errno.0).to_string(),
    }
}
