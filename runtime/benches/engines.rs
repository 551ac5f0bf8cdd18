//! Interpreter and JIT speed, beside rbpf's interpreter and JIT on the same programs.
//!
//! Each benchmark's throughput is in *executed BPF instructions* (counted by our
//! interpreter), so criterion's `elem/s` reads as instructions per second and
//! `1e9 / (elem/s)` is ns per instruction. Run with
//! `cargo bench -p bpfvet-runtime --bench engines`; figures go in docs/benchmarks.md.
#![allow(unsafe_code)]

use bpfvet_analyzer::isa::{encode, Insn, PseudoSrc};
use bpfvet_analyzer::program::{MapDef as ObjMapDef, MapType as ObjMapType};
use bpfvet_analyzer::rules::{HelperTable, ProgTypeRules};
use bpfvet_analyzer::verifier::env::{Input as VerifyInput, Options};
use bpfvet_analyzer::verifier::{verify_program, VerifiedProgram};
use bpfvet_runtime::conformance::asm::assemble;
use bpfvet_runtime::interp::{self, Prepared};
use bpfvet_runtime::jit;
use bpfvet_runtime::maps::{MapDef, MapId, MapType};
use bpfvet_runtime::{Input, Machine, Program};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::time::Duration;

/// 6 instructions per iteration, 10,000 iterations.
const ALU_LOOP: &str = "
    mov %r0, 0
    mov %r1, 0
    mov %r2, 1
loop:
    add %r0, %r1
    mul %r2, 3
    xor %r0, %r2
    rsh %r2, 1
    add %r1, 1
    jlt %r1, 10000, loop
    exit
";

/// Ethernet/IPv4/UDP header checks, then a byte sum over the payload. The buffer starts with
/// the packet length (u32) and 4 bytes of padding, because rbpf passes only `r1`.
const PACKET: &str = "
    ldxw %r2, [%r1]
    mov %r3, %r1
    add %r3, 8
    mov %r4, %r3
    add %r4, %r2
    mov %r5, %r3
    add %r5, 14
    jgt %r5, %r4, drop
    ldxh %r6, [%r3+12]
    be16 %r6
    jne %r6, 0x0800, drop
    mov %r5, %r3
    add %r5, 34
    jgt %r5, %r4, drop
    ldxb %r6, [%r3+23]
    jne %r6, 17, drop
    mov %r5, %r3
    add %r5, 42
    jgt %r5, %r4, drop
    ldxh %r7, [%r3+36]
    be16 %r7
    mov %r0, 0
    mov %r6, %r3
    add %r6, 42
sum:
    mov %r5, %r6
    add %r5, 1
    jgt %r5, %r4, done
    ldxb %r8, [%r6]
    add %r0, %r8
    add %r6, 1
    ja sum
done:
    add %r0, %r7
    exit
drop:
    mov %r0, 1
    exit
";

/// 256 array-map lookups, each incrementing the value it finds (ours only: rbpf has no maps).
const MAP_LOOP: &str = "
    mov %r6, 0
loop:
    mov %r1, %r6
    and %r1, 15
    stxw [%r10-4], %r1
    lddw %r1, 0x0ead0000
    mov %r2, %r10
    add %r2, -4
    call 1
    jeq %r0, 0, next
    ldxdw %r1, [%r0]
    add %r1, 1
    stxdw [%r0], %r1
next:
    add %r6, 1
    jlt %r6, 256, loop
    mov %r0, %r6
    exit
";

fn program(src: &str) -> Vec<Insn> {
    let mut insns = assemble(src).expect("assembles");
    for insn in &mut insns {
        if let Insn::LdImm64 {
            dst,
            imm: 0x0ead_0000,
            next_imm: 0,
            ..
        } = *insn
        {
            *insn = Insn::LdImm64 {
                dst,
                src: PseudoSrc::MapIdx,
                imm: 0,
                next_imm: 0,
            };
        }
    }
    insns
}

fn packet() -> Vec<u8> {
    let mut p = vec![0u8; 8 + 1500];
    p[..4].copy_from_slice(&1500u32.to_le_bytes());
    let d = &mut p[8..];
    d[12] = 0x08; // IPv4
    d[23] = 17; // UDP
    d[36] = 0x1f;
    d[37] = 0x90;
    for (i, b) in d[42..].iter_mut().enumerate() {
        *b = i as u8;
    }
    p
}

/// The analyzer's verdict on `insns` as a socket filter (with the one 16-entry array map when
/// `with_map`): the unchecked JIT runs only what the analyzer accepted. Programs that read `r1`
/// as a plain buffer (the rbpf convention) are rejected, and get no unchecked-JIT figure.
fn verified(insns: &[Insn], with_map: bool) -> Option<VerifiedProgram> {
    let maps: Vec<ObjMapDef> = if with_map {
        vec![ObjMapDef::plain("counters", ObjMapType::ARRAY, 4, 8, 16)]
    } else {
        Vec::new()
    };
    let input = VerifyInput {
        insns,
        maps: &maps,
        prog_type: ProgTypeRules::by_name("socket_filter").expect("rules"),
        helpers: HelperTable::standard(),
        gpl: true,
        sleepable: false,
        attach: None,
        btf: None,
        func_info: &[],
        kernel_btf: None,
        attach_target: None,
        relocs: &[],
    };
    verify_program(&input, &Options::default()).ok()
}

fn bench_program(
    c: &mut Criterion,
    name: &str,
    src: &str,
    buf: Vec<u8>,
    with_map: bool,
    with_rbpf: bool,
) {
    let insns = program(src);
    let maps = if with_map { vec![MapId(0)] } else { vec![] };
    let prog = Program::with_maps(insns.clone(), maps);
    let mut m = Machine::new();
    if with_map {
        m.create_map(MapDef::new(MapType::Array, 4, 8, 16)).unwrap();
    }
    let input = Input::Buffer(buf.clone());
    let prepared = Prepared::new(&prog);
    let n_insns = interp::run_prepared(&mut m, &prepared, &input)
        .expect("runs")
        .n_insns;
    let expected = interp::run_prepared(&mut m, &prepared, &input).unwrap().r0;
    // The unchecked JIT runs on a socket-filter context (the verified programs ignore `r1`).
    let skb_input = Input::skb(&buf);
    let jitted = verified(&insns, with_map).map(|v| {
        let j = jit::compile(&v, &m, prog.maps()).unwrap();
        assert_eq!(j.run(&mut m, &skb_input).unwrap().r0, expected);
        j
    });
    let checked = jit::compile_checked(&prog).unwrap();
    // The benchmarks read only `r0`, as `bpfvet run --repeat` does for all but its last run.
    m.capture_output = false;

    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Elements(n_insns));
    g.sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    g.bench_function("bpfvet-interp", |b| {
        b.iter(|| interp::run_prepared(&mut m, &prepared, &input).unwrap().r0)
    });
    if let Some(jitted) = &jitted {
        g.bench_function("bpfvet-jit", |b| {
            b.iter(|| jitted.run(&mut m, &skb_input).unwrap().r0)
        });
    }
    g.bench_function("bpfvet-jit-checked", |b| {
        b.iter(|| checked.run(&mut m, &input).unwrap().r0)
    });
    if with_rbpf {
        let bytes = encode(&insns);
        let mut vm = rbpf::EbpfVmRaw::new(Some(&bytes)).expect("rbpf loads");
        let mut mem = buf.clone();
        assert_eq!(
            vm.execute_program(&mut mem).unwrap(),
            expected,
            "rbpf agrees"
        );
        g.bench_function("rbpf-interp", |b| {
            b.iter(|| vm.execute_program(&mut mem).unwrap())
        });
        vm.jit_compile().expect("rbpf jit");
        // SAFETY: the program was just run successfully by rbpf's checked interpreter on the
        // same buffer, and it only reads within that buffer.
        assert_eq!(
            unsafe { vm.execute_program_jit(&mut mem) }.unwrap(),
            expected
        );
        g.bench_function("rbpf-jit", |b| {
            // SAFETY: as above.
            b.iter(|| unsafe { vm.execute_program_jit(&mut mem) }.unwrap());
        });
    }
    g.finish();
}

fn engines(c: &mut Criterion) {
    bench_program(c, "alu_loop", ALU_LOOP, vec![], false, true);
    bench_program(c, "packet_parse", PACKET, packet(), false, true);
    bench_program(c, "map_lookup", MAP_LOOP, vec![], true, false);
}

criterion_group!(benches, engines);
criterion_main!(benches);
