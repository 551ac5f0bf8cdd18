//! The harness of the helper tests (`object_maps.rs`, `helpers_system_net.rs`): programs with map
//! references, run on the interpreter and the checked JIT, which must agree.

use crate::support;
use bpfvet_runtime::jit;
use bpfvet_runtime::maps::MapId;
use bpfvet_runtime::{interp, Fault, Input, Machine, Program, RunResult};

/// Assembles `src` with references to maps `0..n_maps` (see [`support::assemble_with_refs`]).
pub fn program(src: &str, n_maps: u32) -> Program {
    Program::with_maps(
        support::assemble_with_refs(src),
        (0..n_maps).map(MapId).collect(),
    )
}

/// Runs `prog` on the interpreter and the checked JIT, each on a machine built by `setup`;
/// checks that `r0`, the redirects and the map contents agree; returns `r0` and the
/// interpreter's machine.
pub fn run_both(prog: &Program, input: &Input, setup: impl Fn(&mut Machine)) -> (u64, Machine) {
    let mut mi = Machine::new();
    setup(&mut mi);
    let ri: Result<RunResult, Fault> = interp::run(&mut mi, prog, input);
    let mut mj = Machine::new();
    setup(&mut mj);
    let rj = jit::compile_checked(prog)
        .expect("compiles")
        .run(&mut mj, input);
    let ri = ri.expect("interpreter runs");
    let rj = rj.expect("checked JIT runs");
    assert_eq!(ri.r0, rj.r0, "interp vs checked jit");
    assert_eq!(mi.env.redirects, mj.env.redirects);
    for i in 0..mi.maps_len() {
        let (a, b) = (mi.map(MapId(i)).unwrap(), mj.map(MapId(i)).unwrap());
        let bytes = |m: &mut Machine, entries: Vec<(Vec<u8>, u64)>, n| {
            entries
                .into_iter()
                .map(|(k, addr)| (k, m.mem.peek_bytes(addr, n)))
                .collect::<Vec<_>>()
        };
        let (ea, eb) = (a.entries(), b.entries());
        let n = a.def.value_size as usize;
        assert_eq!(bytes(&mut mi, ea, n), bytes(&mut mj, eb, n), "map {i}");
    }
    (ri.r0, mi)
}

pub fn neg(e: i64) -> u64 {
    (-e) as u64
}

/// Calls helper `id` with `r1 = map 0` and `r2..r4` as given (registers set by `setup_regs`
/// assembly), returning `r0`.
pub fn call_with(regs: &str, id: i32) -> String {
    format!("{regs}\n    call {id}\n    exit\n")
}

/// A `bpf_sock_ops` context for callback `op`, in the input buffer.
pub fn sock_ops_ctx(op: u32) -> Input {
    let mut ctx = vec![0u8; 224];
    ctx[..4].copy_from_slice(&op.to_le_bytes());
    Input::Buffer(ctx)
}
