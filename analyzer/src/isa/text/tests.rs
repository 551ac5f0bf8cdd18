//! Round trips (print → parse → encode is the identity on every generated form), golden
//! spellings checked against llvm-objdump 19 and 14 by hand, and assembler errors.

use super::*;
use crate::isa::{decode, encode, AluOp, AtomicOp, CallTarget, Cond, EndianOp, Insn, InsnIdx};
use crate::isa::{Operand, PseudoSrc, Reg, Size, Width};

#[test]
fn samples_decode_to_themselves() {
    let insns = samples();
    assert!(insns.len() > 3000, "only {} samples", insns.len());
    assert_eq!(decode(&encode(&insns)).unwrap(), insns);
}

/// The property the assembler exists for, over every sample, one line at a time.
#[test]
fn print_parse_encode_is_identity() {
    let mut n = 0;
    for insn in samples() {
        if insn == Insn::LdImm64Tail {
            continue;
        }
        let text = print_insn(&insn);
        let back = parse_insn(&text).unwrap_or_else(|e| panic!("`{text}` ({insn:?}): {e}"));
        assert_eq!(
            encode(&[back]),
            encode(&[insn]),
            "`{text}`: {back:?} vs {insn:?}"
        );
        n += 1;
    }
    assert!(n > 3000, "{n}");
}

#[test]
fn print_parse_is_identity_on_a_whole_program() {
    let insns = samples();
    let text = Printer::new(Syntax::Bpfvet).program(&insns);
    assert_eq!(parse_program(&text).unwrap(), insns);
}

/// Where LLVM's text is lossy: the forms whose `Llvm19`/`Llvm14` text cannot parse back.
fn llvm_lossy(insn: &Insn) -> bool {
    match *insn {
        Insn::Call(CallTarget::Local(_) | CallTarget::Kfunc { .. }) => true,
        Insn::LdImm64 { src, next_imm, .. } => src != PseudoSrc::Imm && next_imm != 0,
        Insn::LdInd { imm, .. } => imm != 0,
        Insn::Atomic { op, .. } => matches!(op, AtomicOp::LoadAcquire | AtomicOp::StoreRelease),
        _ => false,
    }
}

/// LLVM 14 additionally drops the signedness of `s/=`, the width of `(s8)` moves and the
/// operands of `addr_space_cast`, and reads `callx`'s register from `imm`.
fn llvm14_lossy(insn: &Insn) -> bool {
    match *insn {
        Insn::Alu {
            op: AluOp::SDiv, ..
        }
        | Insn::MovSx { .. }
        | Insn::AddrSpaceCast { .. } => true,
        Insn::Callx { reg } => reg != Reg::R0,
        _ => llvm_lossy(insn),
    }
}

/// The assembler reads llvm-objdump's text back, wherever that text says everything.
#[test]
fn llvm_text_parses_back_where_lossless() {
    let mut n = [0, 0];
    for insn in samples() {
        if insn == Insn::LdImm64Tail {
            continue;
        }
        for (k, syntax) in [Syntax::Llvm19, Syntax::Llvm14].into_iter().enumerate() {
            let lossy = if syntax == Syntax::Llvm14 {
                llvm14_lossy(&insn)
            } else {
                llvm_lossy(&insn)
            };
            let text = Printer::new(syntax).insn(&insn, InsnIdx(0));
            if lossy || text == "<unknown>" {
                continue;
            }
            let back = parse_insn(&text).unwrap_or_else(|e| panic!("{syntax:?} `{text}`: {e}"));
            assert_eq!(encode(&[back]), encode(&[insn]), "{syntax:?} `{text}`");
            n[k] += 1;
        }
    }
    assert!(n[0] > 3000 && n[1] > 2000, "{n:?}");
}

fn alu(width: Width, op: AluOp, dst: Reg, src: Operand) -> Insn {
    Insn::Alu {
        width,
        op,
        dst,
        src,
    }
}

/// Spellings copied from `llvm-objdump-19 -d --mattr=+alu32` and `llvm-objdump-14` output
/// for objects assembled by `llvm-mc-19 -triple bpfel -mcpu=v4`.
#[test]
fn golden_spellings() {
    let (r0, r1, r2, r10) = (Reg::R0, Reg::R1, Reg::R2, Reg::R10);
    let cases: Vec<(Insn, &str, &str)> = vec![
        (
            alu(Width::W64, AluOp::Add, r1, Operand::Reg(r2)),
            "r1 += r2",
            "r1 += r2",
        ),
        (
            alu(Width::W64, AluOp::Add, r1, Operand::Imm(-5)),
            "r1 += -0x5",
            "r1 += -5",
        ),
        (
            alu(Width::W32, AluOp::Mov, r1, Operand::Imm(7)),
            "w1 = 0x7",
            "w1 = 7",
        ),
        (
            alu(Width::W64, AluOp::SDiv, r1, Operand::Reg(r2)),
            "r1 s/= r2",
            "r1 /= r2",
        ),
        (
            alu(Width::W32, AluOp::SMod, r1, Operand::Imm(3)),
            "w1 s%= 0x3",
            "<unknown>",
        ),
        (
            alu(Width::W64, AluOp::Arsh, r1, Operand::Reg(r2)),
            "r1 s>>= r2",
            "r1 s>>= r2",
        ),
        (
            Insn::Neg {
                width: Width::W32,
                dst: r1,
            },
            "w1 = -w1",
            "w1 = -w1",
        ),
        (
            Insn::MovSx {
                width: Width::W32,
                dst: r1,
                src: r2,
                from_bits: 16,
            },
            "w1 = (s16)w2",
            "w1 = w2",
        ),
        (
            Insn::Endian {
                op: EndianOp::ToBe,
                dst: r1,
                bits: 16,
            },
            "r1 = be16 r1",
            "r1 = be16 r1",
        ),
        (
            Insn::Endian {
                op: EndianOp::Swap,
                dst: r1,
                bits: 32,
            },
            "r1 = bswap32 r1",
            "<unknown>",
        ),
        (
            Insn::AddrSpaceCast {
                dst: r1,
                src: r2,
                dst_as: 1,
                src_as: 0,
            },
            "r1 = addr_space_cast(r2, 0x1, 0x0)",
            "r1 = r2",
        ),
        (
            Insn::Ja {
                off: 3,
                long: false,
            },
            "goto +0x3",
            "goto +3",
        ),
        (Insn::Ja { off: 3, long: true }, "gotol +0x3", "<unknown>"),
        (
            Insn::Jmp {
                width: Width::W64,
                cond: Cond::SGt,
                dst: r1,
                src: Operand::Imm(5),
                off: 2,
            },
            "if r1 s> 0x5 goto +0x2",
            "if r1 s> 5 goto +2",
        ),
        (
            Insn::Jmp {
                width: Width::W32,
                cond: Cond::SLt,
                dst: r1,
                src: Operand::Reg(r2),
                off: -4,
            },
            "if w1 s< w2 goto -0x4",
            "if w1 s< w2 goto -4",
        ),
        (
            Insn::Jmp {
                width: Width::W64,
                cond: Cond::Set,
                dst: r1,
                src: Operand::Imm(4),
                off: 0,
            },
            "if r1 & 0x4 goto +0x0",
            "<unknown>",
        ),
        (Insn::MayGoto { off: 3 }, "may_goto +0x3", "<unknown>"),
        (Insn::Call(CallTarget::Helper(1)), "call 0x1", "call 1"),
        (Insn::Call(CallTarget::Local(-1)), "call -0x1", "call -1"),
        (Insn::Callx { reg: r1 }, "callx r1", "callx r0"),
        (Insn::Exit, "exit", "exit"),
        (
            Insn::Load {
                size: Size::B,
                sign_extend: true,
                dst: r0,
                src: r1,
                off: 0,
            },
            "r0 = *(s8 *)(r1 + 0x0)",
            "<unknown>",
        ),
        (
            Insn::Load {
                size: Size::H,
                sign_extend: false,
                dst: r0,
                src: r1,
                off: -8,
            },
            "w0 = *(u16 *)(r1 - 0x8)",
            "w0 = *(u16 *)(r1 - 8)",
        ),
        (
            Insn::Store {
                size: Size::DW,
                dst: r10,
                off: -16,
                src: Operand::Reg(r2),
            },
            "*(u64 *)(r10 - 0x10) = r2",
            "*(u64 *)(r10 - 16) = r2",
        ),
        (
            Insn::Store {
                size: Size::W,
                dst: r1,
                off: 0,
                src: Operand::Imm(-5),
            },
            "*(u32 *)(r1 + 0x0) = -0x5",
            "<unknown>",
        ),
        (
            Insn::Atomic {
                size: Size::DW,
                op: AtomicOp::Add { fetch: false },
                dst: r1,
                src: r2,
                off: 0,
            },
            "lock *(u64 *)(r1 + 0x0) += r2",
            "lock *(u64 *)(r1 + 0) += r2",
        ),
        (
            Insn::Atomic {
                size: Size::DW,
                op: AtomicOp::Add { fetch: true },
                dst: r1,
                src: r2,
                off: 0,
            },
            "r2 = atomic_fetch_add((u64 *)(r1 + 0x0), r2)",
            "r2 = atomic_fetch_add((u64 *)(r1 + 0), r2)",
        ),
        (
            Insn::Atomic {
                size: Size::W,
                op: AtomicOp::Xchg,
                dst: r1,
                src: r2,
                off: 0,
            },
            "w2 = xchg32_32(r1 + 0x0, w2)",
            "w2 = xchg32_32(r1 + 0, w2)",
        ),
        (
            Insn::Atomic {
                size: Size::DW,
                op: AtomicOp::CmpXchg,
                dst: r1,
                src: r2,
                off: 0,
            },
            "r0 = cmpxchg_64(r1 + 0x0, r0, r2)",
            "r0 = cmpxchg_64(r1 + 0, r0, r2)",
        ),
        (
            Insn::LdImm64 {
                dst: r1,
                src: PseudoSrc::Imm,
                imm: 0x5566_7788,
                next_imm: 0x1122_3344,
            },
            "r1 = 0x1122334455667788 ll",
            "r1 = 1234605616436508552 ll",
        ),
        (
            Insn::LdImm64 {
                dst: r1,
                src: PseudoSrc::Imm,
                imm: -1,
                next_imm: -1,
            },
            "r1 = -0x1 ll",
            "r1 = -1 ll",
        ),
        (
            Insn::LdImm64 {
                dst: r1,
                src: PseudoSrc::MapFd,
                imm: -1,
                next_imm: 0,
            },
            "ld_pseudo\tr1, 0x1, 0xffffffff",
            "ld_pseudo\tr1, 1, 4294967295",
        ),
        (
            Insn::LdAbs {
                size: Size::H,
                imm: 12,
            },
            "r0 = *(u16 *)skb[0xc]",
            "r0 = *(u16 *)skb[12]",
        ),
        (
            Insn::LdInd {
                size: Size::H,
                src: r2,
                imm: 0,
            },
            "r0 = *(u16 *)skb[r2]",
            "r0 = *(u16 *)skb[r2]",
        ),
    ];
    for (insn, want19, want14) in cases {
        assert_eq!(
            Printer::new(Syntax::Llvm19).insn(&insn, InsnIdx(0)),
            want19,
            "{insn:?}"
        );
        assert_eq!(
            Printer::new(Syntax::Llvm14).insn(&insn, InsnIdx(0)),
            want14,
            "{insn:?}"
        );
    }
}

/// Where our syntax differs from LLVM's, it is lossless.
#[test]
fn bpfvet_spellings_of_lossy_forms() {
    let (r0, r1, r2) = (Reg::R0, Reg::R1, Reg::R2);
    let cases = [
        (Insn::Call(CallTarget::Local(-1)), "call pc-0x1"),
        (
            Insn::Call(CallTarget::Kfunc {
                btf_id: 16,
                module: 0,
            }),
            "call kfunc 0x10",
        ),
        (
            Insn::Call(CallTarget::Kfunc {
                btf_id: 16,
                module: 2,
            }),
            "call kfunc 0x10, 0x2",
        ),
        (
            Insn::LdImm64 {
                dst: r1,
                src: PseudoSrc::MapValue,
                imm: 1,
                next_imm: 8,
            },
            "ld_pseudo r1, 0x2, 0x1, 0x8",
        ),
        (
            Insn::LdInd {
                size: Size::W,
                src: r2,
                imm: -4,
            },
            "r0 = *(u32 *)skb[r2 - 0x4]",
        ),
        (
            Insn::Atomic {
                size: Size::B,
                op: AtomicOp::LoadAcquire,
                dst: r0,
                src: r1,
                off: -1,
            },
            "w0 = load_acquire((u8 *)(r1 - 0x1))",
        ),
        (
            Insn::Atomic {
                size: Size::DW,
                op: AtomicOp::StoreRelease,
                dst: r1,
                src: r2,
                off: 8,
            },
            "store_release((u64 *)(r1 + 0x8), r2)",
        ),
    ];
    for (insn, want) in cases {
        assert_eq!(print_insn(&insn), want);
        assert_eq!(parse_insn(want).unwrap(), insn, "{want}");
    }
}

#[test]
fn jump_labels_follow_the_target() {
    let labels = |t: i64| (t == 3).then(|| "LBB0_3".to_string());
    let p = Printer::new(Syntax::Llvm19).with_labels(&labels);
    assert_eq!(
        p.insn(
            &Insn::Ja {
                off: 1,
                long: false
            },
            InsnIdx(1)
        ),
        "goto +0x1 <LBB0_3>"
    );
    assert_eq!(
        p.insn(
            &Insn::Ja {
                off: 1,
                long: false
            },
            InsnIdx(0)
        ),
        "goto +0x1"
    );
    assert_eq!(
        p.insn(&Insn::Call(CallTarget::Local(1)), InsnIdx(1)),
        "call 0x1"
    );
}

#[test]
fn program_with_labels_and_comments() {
    let text = "\
; a comment line
start:
    r1 = 0x1122334455667788 ll   # lddw takes two slots
    if r1 s> 0x5 goto LBB0_3     // forward
    call sub
LBB0_3: goto start
    if w1 == w2 goto +0x0 <LBB0_3+0x8>
sub: exit
";
    let insns = parse_program(text).unwrap();
    assert_eq!(insns.len(), 7);
    assert_eq!(insns[1], Insn::LdImm64Tail);
    let Insn::Jmp { off, .. } = insns[2] else {
        panic!("{:?}", insns[2])
    };
    assert_eq!(off, 1);
    assert_eq!(insns[3], Insn::Call(CallTarget::Local(2)));
    assert_eq!(
        insns[4],
        Insn::Ja {
            off: -5,
            long: false
        }
    );
}

#[test]
fn errors_carry_line_and_column() {
    let e = parse_program("exit\n  r1 += r11\n").unwrap_err();
    assert_eq!((e.line, e.col), (2, 9));
    assert_eq!(
        e.to_string(),
        "line 2, column 9: expected a register or a number, found `r11`"
    );

    let e = parse_program("goto nowhere").unwrap_err();
    assert_eq!(
        (e.line, e.col, e.kind),
        (1, 6, ParseErrorKind::UnknownLabel("nowhere".into()))
    );

    let e = parse_program("a: exit\na: exit").unwrap_err();
    assert_eq!(
        (e.line, e.kind),
        (2, ParseErrorKind::DuplicateLabel("a".into()))
    );

    let e = parse_program("\t.text\nexit").unwrap_err();
    assert_eq!(
        (e.line, e.col, e.kind),
        (1, 2, ParseErrorKind::Directive(".text".into()))
    );

    let e = parse_insn("r1 = 0x80000000").unwrap_err();
    assert_eq!(
        e.kind,
        ParseErrorKind::OutOfRange {
            field: "imm",
            value: 0x8000_0000
        }
    );

    let e = parse_insn("w1 += r2").unwrap_err();
    assert!(matches!(e.kind, ParseErrorKind::Mismatch(_)), "{e}");

    let e = parse_insn("goto +0x3 extra").unwrap_err();
    assert_eq!(
        e.to_string(),
        "line 1, column 11: expected end of instruction, found `extra`"
    );

    let e = parse_insn("r1 = *(u64 *)(r2 + 0x8000)").unwrap_err();
    assert_eq!(
        e.kind,
        ParseErrorKind::OutOfRange {
            field: "off",
            value: 0x8000
        }
    );

    let e = parse_insn("goto L").unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::LabelOutsideProgram("L".into()));
}

#[test]
fn jump_offsets_out_of_range_are_errors() {
    let mut text = String::from("goto end\n");
    text.push_str(&"exit\n".repeat(40_000));
    text.push_str("end: exit\n");
    let e = parse_program(&text).unwrap_err();
    assert_eq!(
        (e.line, e.kind),
        (
            1,
            ParseErrorKind::OutOfRange {
                field: "off",
                value: 40_000
            }
        )
    );
    assert!(parse_program(&text.replacen("goto", "gotol", 1)).is_ok());
}

/// Every prefix of every printed sample is either an instruction or an error, never a panic.
#[test]
fn truncated_lines_never_panic() {
    for insn in samples().iter().step_by(7) {
        let text = print_insn(insn);
        for (i, _) in text.char_indices() {
            let _ = parse_insn(&text[..i]);
            let _ = parse_program(&text[i..]);
        }
    }
}
