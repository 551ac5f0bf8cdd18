//! Interpreter and JIT speed, beside rbpf's interpreter and JIT on the same programs.
//!
//! Each benchmark's throughput is in *executed BPF instructions* (counted by our
//! interpreter), so criterion's `elem/s` reads as instructions per second and
//! `1e9 / (elem/s)` is ns per instruction. Every program runs on all five engines: our
//! interpreter, unchecked JIT (of the analyzer's `VerifiedProgram`) and checked JIT, and rbpf's
//! interpreter and JIT. Run with
//! `cargo bench -p bpfvet-runtime --bench engines`; figures go in docs/benchmarks.md.
#![allow(unsafe_code)]

use bpfvet_analyzer::isa::{encode, Insn, PseudoSrc};
use bpfvet_analyzer::program::{MapDef as ObjMapDef, MapType as ObjMapType};
use bpfvet_analyzer::rules::ProgTypeRules;
use bpfvet_analyzer::verifier::env::{Input as VerifyInput, Options};
use bpfvet_analyzer::verifier::{verify_program, VerifiedProgram};
use bpfvet_runtime::conformance::asm::assemble;
use bpfvet_runtime::interp::{self, Prepared};
use bpfvet_runtime::jit;
use bpfvet_runtime::maps::{MapDef, MapId, MapType};
use bpfvet_runtime::{Input, Machine, Program};
use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, Throughput};
use std::sync::atomic::AtomicU64;
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

/// Ethernet/IPv4/UDP header checks, then a byte sum over the payload, as an XDP program: `r1`
/// is the context, whose `data` and `data_end` bound the packet. The sum loop also counts to
/// the largest payload of a 1500-byte frame (1458 bytes), as a kernel-verifiable loop must: one
/// bounds check per byte with nothing else to stop it leaves more branches pending than the
/// verifier allows (8192). `{LOAD}`, `{DATA}` and
/// `{DATA_END}` are the loads of the two pointers: `ldxw` at 0 and 4 from `struct xdp_md` for
/// our engines, `ldxdw` at 0 and 8 from the metadata buffer rbpf gets (`EbpfVmMbuff`);
/// the instruction count is the same.
const PACKET: &str = "
    {LOAD} %r3, [%r1+{DATA}]
    {LOAD} %r4, [%r1+{DATA_END}]
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
    mov %r9, 0
    mov %r6, %r3
    add %r6, 42
sum:
    jge %r9, 1458, done
    add %r9, 1
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

/// 256 array-map lookups, each incrementing the value it finds. `lddw 0x0ead0000` stands for
/// the map: our engines get a map reference in its place; rbpf, which has no maps, gets the
/// constant and a registered helper 1 that looks the key up in [`RBPF_MAP`].
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

/// The 16 values of rbpf's stand-in for the array map (rbpf is told they are allowed memory).
static RBPF_MAP: [AtomicU64; 16] = [const { AtomicU64::new(0) }; 16];

/// rbpf's `bpf_map_lookup_elem`: `key` points to a u32 on rbpf's stack; the address of its
/// value in [`RBPF_MAP`], or 0 past the end, as an array map's lookup does.
fn rbpf_map_lookup(_map: u64, key: u64, _: u64, _: u64, _: u64) -> u64 {
    // SAFETY: the program passes `r10 - 4`, a 4-byte slot of rbpf's stack it just wrote.
    let key = unsafe { std::ptr::read_unaligned(key as *const u32) } as usize;
    RBPF_MAP.get(key).map_or(0, |v| v.as_ptr() as u64)
}

/// How rbpf runs a program: on a plain buffer (`EbpfVmRaw`, with or without the map helper), or
/// with `data`/`data_end` at these offsets of a metadata buffer (`EbpfVmMbuff`).
#[derive(Clone, Copy)]
enum RbpfShape {
    Raw,
    Mbuff { data: usize, data_end: usize },
    RawWithMap,
}

/// One benchmarked program: our version (type, map, input) and rbpf's.
struct Case {
    name: &'static str,
    ours: Vec<Insn>,
    rbpf: Vec<u8>,
    rbpf_shape: RbpfShape,
    prog_type: &'static str,
    with_map: bool,
    input: Input,
    /// The packet or buffer rbpf gets as `mem`.
    mem: Vec<u8>,
}

/// Our version of `src`: the `lddw 0x0ead0000` placeholder becomes a reference to map 0.
fn ours(src: &str) -> Vec<Insn> {
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

fn rbpf_bytes(src: &str) -> Vec<u8> {
    encode(&assemble(src).expect("assembles"))
}

/// A 1500-byte Ethernet/IPv4/UDP frame (port 8080) with payload bytes 0, 1, 2, ...
fn packet() -> Vec<u8> {
    let mut d = vec![0u8; 1500];
    d[12] = 0x08; // IPv4
    d[23] = 17; // UDP
    d[36] = 0x1f;
    d[37] = 0x90;
    for (i, b) in d[42..].iter_mut().enumerate() {
        *b = i as u8;
    }
    d
}

fn cases() -> Vec<Case> {
    let packet_src = |load: &str, data: usize, data_end: usize| {
        PACKET
            .replace("{LOAD}", load)
            .replace("{DATA}", &data.to_string())
            .replace("{DATA_END}", &data_end.to_string())
    };
    vec![
        Case {
            name: "alu_loop",
            ours: ours(ALU_LOOP),
            rbpf: rbpf_bytes(ALU_LOOP),
            rbpf_shape: RbpfShape::Raw,
            prog_type: "socket_filter",
            with_map: false,
            input: Input::skb(&[]),
            mem: Vec::new(),
        },
        Case {
            name: "packet_parse",
            ours: ours(&packet_src("ldxw", 0, 4)),
            rbpf: rbpf_bytes(&packet_src("ldxdw", 0, 8)),
            rbpf_shape: RbpfShape::Mbuff {
                data: 0,
                data_end: 8,
            },
            prog_type: "xdp",
            with_map: false,
            input: Input::xdp(&packet()),
            mem: packet(),
        },
        Case {
            name: "map_lookup",
            ours: ours(MAP_LOOP),
            rbpf: rbpf_bytes(MAP_LOOP),
            rbpf_shape: RbpfShape::RawWithMap,
            prog_type: "socket_filter",
            with_map: true,
            input: Input::skb(&[]),
            mem: Vec::new(),
        },
    ]
}

/// The analyzer's verdict on the case (with its one 16-entry array map when it has one): the
/// unchecked JIT runs only what the analyzer accepted.
fn verified(case: &Case) -> VerifiedProgram {
    let maps: Vec<ObjMapDef> = if case.with_map {
        vec![ObjMapDef::plain("counters", ObjMapType::ARRAY, 4, 8, 16)]
    } else {
        Vec::new()
    };
    let rules = ProgTypeRules::by_name(case.prog_type).expect("rules");
    let input = VerifyInput::bare(&case.ours, &maps, rules, true);
    verify_program(&input, &Options::default())
        .unwrap_or_else(|e| panic!("{}: the analyzer rejects it: {e:?}", case.name))
}

/// Our three engines on the case; returns what the program returns and how many instructions
/// a run executes.
fn bench_ours(c: &mut Criterion, case: &Case) -> (u64, u64) {
    let maps = if case.with_map {
        vec![MapId(0)]
    } else {
        vec![]
    };
    let prog = Program::with_maps(case.ours.clone(), maps);
    let mut m = Machine::new();
    if case.with_map {
        m.create_map(MapDef::new(MapType::Array, 4, 8, 16)).unwrap();
    }
    let input = &case.input;
    let prepared = Prepared::new(&prog);
    let first = interp::run_prepared(&mut m, &prepared, input).expect("runs");
    let (n_insns, expected) = (first.n_insns, first.r0);
    let jitted = jit::compile(&verified(case), &m, prog.maps()).unwrap();
    assert_eq!(jitted.run(&mut m, input).unwrap().r0, expected);
    let checked = jit::compile_checked(&prog).unwrap();
    assert_eq!(checked.run(&mut m, input).unwrap().r0, expected);
    // The benchmarks read only `r0`, as `bpfvet run --repeat` does for all but its last run.
    m.capture_output = false;

    let mut g = c.benchmark_group(case.name);
    configure(&mut g, n_insns);
    g.bench_function("bpfvet-interp", |b| {
        b.iter(|| interp::run_prepared(&mut m, &prepared, input).unwrap().r0)
    });
    g.bench_function("bpfvet-jit", |b| {
        b.iter(|| jitted.run(&mut m, input).unwrap().r0)
    });
    g.bench_function("bpfvet-jit-checked", |b| {
        b.iter(|| checked.run(&mut m, input).unwrap().r0)
    });
    g.finish();
    (expected, n_insns)
}

fn configure(g: &mut BenchmarkGroup<'_, WallTime>, n_insns: u64) {
    g.throughput(Throughput::Elements(n_insns));
    g.sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
}

/// rbpf's interpreter and JIT on the case, checked to return `expected` first. The throughput
/// is our interpreter's instruction count: both run the same instructions.
fn bench_rbpf(c: &mut Criterion, case: &Case, expected: u64, n_insns: u64) {
    let mut g = c.benchmark_group(case.name);
    configure(&mut g, n_insns);
    let mut mem = case.mem.clone();
    match case.rbpf_shape {
        RbpfShape::Raw | RbpfShape::RawWithMap => {
            let mut vm = rbpf::EbpfVmRaw::new(Some(&case.rbpf)).expect("rbpf loads");
            if matches!(case.rbpf_shape, RbpfShape::RawWithMap) {
                vm.register_helper(1, rbpf_map_lookup).unwrap();
                let start = RBPF_MAP.as_ptr() as u64;
                let len = std::mem::size_of_val(&RBPF_MAP) as u64;
                vm.register_allowed_memory(&(start..start + len).collect::<Vec<_>>());
            }
            assert_eq!(
                vm.execute_program(&mut mem).unwrap(),
                expected,
                "rbpf agrees"
            );
            g.bench_function("rbpf-interp", |b| {
                b.iter(|| vm.execute_program(&mut mem).unwrap())
            });
            vm.jit_compile().expect("rbpf jit");
            // SAFETY: rbpf's checked interpreter just ran the program on the same buffer (and
            // helper) without a fault; it reads and writes only that buffer, its stack and
            // the allowed map values.
            assert_eq!(
                unsafe { vm.execute_program_jit(&mut mem) }.unwrap(),
                expected
            );
            g.bench_function("rbpf-jit", |b| {
                // SAFETY: as above.
                b.iter(|| unsafe { vm.execute_program_jit(&mut mem) }.unwrap());
            });
        }
        RbpfShape::Mbuff { data, data_end } => {
            // The metadata buffer holds the packet's `data` and `data_end` pointers, filled here
            // (`EbpfVmMbuff`): rbpf 0.3's JIT fills a `EbpfVmFixedMbuff` wrongly (its prologue
            // loads the packet's first 8 bytes where it means the packet's address).
            let vm = rbpf::EbpfVmMbuff::new(Some(&case.rbpf)).expect("rbpf loads");
            let mut mbuff = vec![0u8; data.max(data_end) + 8];
            let start = mem.as_ptr() as u64;
            mbuff[data..data + 8].copy_from_slice(&start.to_le_bytes());
            mbuff[data_end..data_end + 8]
                .copy_from_slice(&(start + mem.len() as u64).to_le_bytes());
            assert_eq!(
                vm.execute_program(&mem, &mbuff).unwrap(),
                expected,
                "rbpf agrees"
            );
            g.bench_function("rbpf-interp", |b| {
                b.iter(|| vm.execute_program(&mem, &mbuff).unwrap())
            });
            let mut vm = vm;
            vm.jit_compile().expect("rbpf jit");
            // SAFETY: as for the raw shape: the checked interpreter ran it on this packet and
            // metadata buffer, whose pointers stay valid (neither moves).
            assert_eq!(
                unsafe { vm.execute_program_jit(&mut mem, &mut mbuff) }.unwrap(),
                expected
            );
            g.bench_function("rbpf-jit", |b| {
                // SAFETY: as above.
                b.iter(|| unsafe { vm.execute_program_jit(&mut mem, &mut mbuff) }.unwrap());
            });
        }
    }
    g.finish();
}

fn engines(c: &mut Criterion) {
    for case in cases() {
        let (expected, n_insns) = bench_ours(c, &case);
        bench_rbpf(c, &case, expected, n_insns);
    }
}

criterion_group!(benches, engines);
criterion_main!(benches);
