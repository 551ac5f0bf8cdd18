//! Generates instruction sequences, keeps those the analyzer accepts (as XDP programs with one
//! array map), and runs them through `bpfvet_runtime::diff`: the interpreter against the
//! checked JIT, and every interpreter state against the analyzer's abstract state. The
//! property: no engine mismatch, no state escape, no interpreter fault on an accepted program.
//! Every generated program, accepted or not, also runs on the interpreter untraced (pure
//! instructions through `interp/pure`'s loop) and traced (all through the main loop), which
//! must agree to the instruction count.
//!
//! The generator turns every 4 input bytes into one instruction from a menu that the analyzer
//! accepts often (ALU on initialised registers, forward conditional jumps, aligned stack
//! spills and fills, packet loads behind a bounds check, a map lookup with a NULL check), so
//! most inputs reach the differential part. Run from the repository root:
//!   cargo +nightly fuzz run jit_diff -- -max_total_time=600
#![no_main]

use bpfvet_analyzer::isa::{
    AluOp, CallTarget, Cond, EndianOp, Insn, Operand, PseudoSrc, Reg, Size, Width,
};
use bpfvet_analyzer::program::{MapDef, MapType};
use bpfvet_analyzer::rules::ProgTypeRules;
use bpfvet_analyzer::verifier::env::{Input, Options};
use bpfvet_runtime::diff::{diff_program, DiffConfig};
use bpfvet_runtime::interp::{self, Prepared, Tracer};
use bpfvet_runtime::{load, Machine};
use libfuzzer_sys::fuzz_target;

/// A tracer that does something, so that the interpreter takes its traced path.
struct Steps(u64);

impl Tracer for Steps {
    fn step(&mut self, _: &Machine, _: bpfvet_analyzer::isa::InsnIdx, _: &[u64; 11], _: usize) {
        self.0 += 1;
    }
}

/// The untraced and the traced interpreter agree on `insns`: the same outcome, host addresses
/// aside (`diff::outcome`), and the same instruction count.
fn untraced_agrees(insns: &[Insn], maps: &[MapDef], packet: &[u8]) {
    let run = |traced: bool| {
        let mut m = Machine::new();
        m.env.insn_limit = 1 << 16;
        let prog = load::load_program(&mut m, maps, insns).ok()?;
        let p = Prepared::new(&prog);
        let input = bpfvet_runtime::Input::xdp(packet);
        let res = if traced {
            interp::run_traced(&mut m, &p, &input, &mut Steps(0))
        } else {
            interp::run_prepared(&mut m, &p, &input)
        };
        let n = res.as_ref().ok().map(|r| r.n_insns);
        Some((bpfvet_runtime::diff::outcome(&mut m, &res), n))
    };
    let (plain, traced) = (run(false), run(true));
    assert_eq!(plain, traced, "untraced vs traced interpreter\n{insns:?}");
}

const ALU: [AluOp; 13] = [
    AluOp::Add,
    AluOp::Sub,
    AluOp::Mul,
    AluOp::Div,
    AluOp::SDiv,
    AluOp::Mod,
    AluOp::SMod,
    AluOp::Or,
    AluOp::And,
    AluOp::Lsh,
    AluOp::Rsh,
    AluOp::Arsh,
    AluOp::Xor,
];
const CONDS: [Cond; 11] = [
    Cond::Eq,
    Cond::Ne,
    Cond::Gt,
    Cond::Ge,
    Cond::Lt,
    Cond::Le,
    Cond::Set,
    Cond::SGt,
    Cond::SGe,
    Cond::SLt,
    Cond::SLe,
];

fn reg(n: u8) -> Reg {
    Reg::new(n).expect("register number in range")
}

/// A scalar register the body may use: r0, r3..r5, r7..r9 (r6 keeps the context; r1 and r2
/// are scratch for packet bounds and helper arguments).
fn sreg(b: u8) -> Reg {
    reg([0, 3, 4, 5, 7, 8, 9][usize::from(b) % 7])
}

fn mov_imm(r: u8, imm: i32) -> Insn {
    Insn::Alu {
        width: Width::W64,
        op: AluOp::Mov,
        dst: reg(r),
        src: Operand::Imm(imm),
    }
}

fn generate(data: &[u8]) -> Vec<Insn> {
    let mut insns = vec![Insn::Alu {
        width: Width::W64,
        op: AluOp::Mov,
        dst: reg(6),
        src: Operand::Reg(reg(1)),
    }];
    for r in [0u8, 3, 4, 5, 7, 8, 9] {
        insns.push(mov_imm(r, i32::from(r)));
    }
    let n = (data.len() / 4).min(64);
    for (i, c) in data.chunks_exact(4).take(n).enumerate() {
        let left = (n - i) as i16;
        let (d, s) = (sreg(c[1]), sreg(c[1] >> 4));
        let imm = i32::from(c[3] as i8) * i32::from(c[2] % 7 + 1);
        let width = if c[2] & 0x80 != 0 {
            Width::W32
        } else {
            Width::W64
        };
        let src = if c[2] & 0x40 != 0 {
            Operand::Reg(s)
        } else {
            Operand::Imm(imm)
        };
        match c[0] % 8 {
            0..=2 => insns.push(Insn::Alu {
                width,
                op: ALU[usize::from(c[0] / 8) % 13],
                dst: d,
                src,
            }),
            3 => insns.push(Insn::Jmp {
                width,
                cond: CONDS[usize::from(c[0] / 8) % 11],
                dst: d,
                src,
                off: i16::from(c[3] % 4).min(left - 1).max(0),
            }),
            4 => {
                let off = -8 * i16::from(c[3] % 8 + 1);
                insns.push(Insn::Store {
                    size: Size::DW,
                    dst: Reg::FP,
                    off,
                    src: Operand::Reg(d),
                });
                insns.push(Insn::Load {
                    size: Size::DW,
                    sign_extend: false,
                    dst: s,
                    src: Reg::FP,
                    off,
                });
            }
            5 => insns.push(Insn::Endian {
                op: if c[3] & 1 == 0 {
                    EndianOp::ToBe
                } else {
                    EndianOp::ToLe
                },
                dst: d,
                bits: [16, 32, 64][usize::from(c[3] >> 1) % 3],
            }),
            6 => {
                // A packet load behind its own bounds check: r2 = data, r1 = data_end.
                let off = i16::from(c[3] % 32);
                let size = [Size::B, Size::H, Size::W, Size::DW][usize::from(c[2]) % 4];
                insns.push(Insn::Load {
                    size: Size::W,
                    sign_extend: false,
                    dst: reg(2),
                    src: reg(6),
                    off: 0,
                });
                insns.push(Insn::Load {
                    size: Size::W,
                    sign_extend: false,
                    dst: reg(1),
                    src: reg(6),
                    off: 4,
                });
                insns.push(Insn::Alu {
                    width: Width::W64,
                    op: AluOp::Mov,
                    dst: d,
                    src: Operand::Reg(reg(2)),
                });
                insns.push(Insn::Alu {
                    width: Width::W64,
                    op: AluOp::Add,
                    dst: d,
                    src: Operand::Imm(i32::from(off) + size.bytes() as i32),
                });
                insns.push(Insn::Jmp {
                    width: Width::W64,
                    cond: Cond::Gt,
                    dst: d,
                    src: Operand::Reg(reg(1)),
                    off: 2,
                });
                insns.push(Insn::Load {
                    size,
                    sign_extend: false,
                    dst: d,
                    src: reg(2),
                    off,
                });
                insns.push(Insn::Ja {
                    off: 1,
                    long: false,
                });
                insns.push(mov_imm(d.num(), imm));
            }
            _ => {
                // key = d & 3 on the stack, lookup, read the value if found.
                insns.push(Insn::Alu {
                    width: Width::W64,
                    op: AluOp::And,
                    dst: d,
                    src: Operand::Imm(3),
                });
                insns.push(Insn::Store {
                    size: Size::W,
                    dst: Reg::FP,
                    off: -4,
                    src: Operand::Reg(d),
                });
                insns.push(Insn::LdImm64 {
                    dst: reg(1),
                    src: PseudoSrc::MapIdx,
                    imm: 0,
                    next_imm: 0,
                });
                insns.push(Insn::LdImm64Tail);
                insns.push(Insn::Alu {
                    width: Width::W64,
                    op: AluOp::Mov,
                    dst: reg(2),
                    src: Operand::Reg(Reg::FP),
                });
                insns.push(Insn::Alu {
                    width: Width::W64,
                    op: AluOp::Add,
                    dst: reg(2),
                    src: Operand::Imm(-4),
                });
                insns.push(Insn::Call(CallTarget::Helper(1)));
                insns.push(mov_imm(3, imm));
                insns.push(mov_imm(4, 4));
                insns.push(mov_imm(5, 5));
                insns.push(Insn::Jmp {
                    width: Width::W64,
                    cond: Cond::Eq,
                    dst: reg(0),
                    src: Operand::Imm(0),
                    off: 2,
                });
                insns.push(Insn::Load {
                    size: Size::DW,
                    sign_extend: false,
                    dst: reg(3),
                    src: reg(0),
                    off: 0,
                });
                insns.push(Insn::Alu {
                    width: Width::W64,
                    op: AluOp::Add,
                    dst: reg(3),
                    src: Operand::Imm(imm),
                });
                insns.push(mov_imm(0, 0));
            }
        }
    }
    insns.push(Insn::Exit);
    insns
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 4 {
        return;
    }
    let insns = generate(data);
    let maps = [MapDef::plain("m", MapType::ARRAY, 4, 8, 4)];
    untraced_agrees(&insns, &maps, &data[..data.len().min(64)]);
    let rules = ProgTypeRules::by_name("xdp").expect("xdp rules");
    let input = Input::bare(&insns, &maps, rules, true);
    let seed = data
        .iter()
        .fold(0u64, |h, b| h.rotate_left(5) ^ u64::from(*b));
    let cfg = DiffConfig {
        runs: 4,
        seed,
        max_findings: 1,
        insn_limit: 1 << 16,
    };
    // Rejected programs (most of the random ones) and unsupported features are not findings.
    if let Ok(rep) = diff_program(&input, &Options::default(), &cfg) {
        if let Some(f) = rep.findings.first() {
            panic!(
                "{}: {} (run seed {:#x})\n{insns:?}",
                f.kind, f.detail, f.run_seed
            );
        }
    }
});
