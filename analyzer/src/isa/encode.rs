//! [`Insn`]s to bytes: the inverse of [`super::decode`] on every instruction it accepts.

use super::insn::*;
use super::opcode::*;

fn slot(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> [u8; 8] {
    let mut b = [0u8; 8];
    b[0] = code;
    b[1] = (src << 4) | (dst & 0x0f);
    b[2..4].copy_from_slice(&off.to_le_bytes());
    b[4..8].copy_from_slice(&imm.to_le_bytes());
    b
}

fn size_bits(size: Size) -> u8 {
    match size {
        Size::W => SIZE_W,
        Size::H => SIZE_H,
        Size::B => SIZE_B,
        Size::DW => SIZE_DW,
    }
}

fn alu_class(width: Width) -> u8 {
    match width {
        Width::W32 => CLASS_ALU,
        Width::W64 => CLASS_ALU64,
    }
}

fn jmp_class(width: Width) -> u8 {
    match width {
        Width::W32 => CLASS_JMP32,
        Width::W64 => CLASS_JMP,
    }
}

fn operand(src: Operand) -> (u8, u8, i32) {
    match src {
        Operand::Reg(r) => (SRC_X, r.num(), 0),
        Operand::Imm(i) => (SRC_K, 0, i),
    }
}

/// Encodes a program: the inverse of [`super::decode`]. A `LdImm64` writes both of its slots,
/// so its `LdImm64Tail` writes nothing.
pub fn encode(insns: &[Insn]) -> Vec<u8> {
    let mut res = Vec::with_capacity(insns.len() * 8);
    for insn in insns {
        res.extend_from_slice(&encode_one(insn));
    }
    res
}

/// Encodes one instruction: 16 bytes for `lddw`, none for its tail, 8 for everything else.
pub fn encode_one(insn: &Insn) -> Vec<u8> {
    let one = match *insn {
        Insn::Alu {
            width,
            op,
            dst,
            src,
        } => {
            let (code_op, off) = match op {
                AluOp::Add => (ALU_ADD, 0),
                AluOp::Sub => (ALU_SUB, 0),
                AluOp::Mul => (ALU_MUL, 0),
                AluOp::Div => (ALU_DIV, 0),
                AluOp::SDiv => (ALU_DIV, 1),
                AluOp::Or => (ALU_OR, 0),
                AluOp::And => (ALU_AND, 0),
                AluOp::Lsh => (ALU_LSH, 0),
                AluOp::Rsh => (ALU_RSH, 0),
                AluOp::Mod => (ALU_MOD, 0),
                AluOp::SMod => (ALU_MOD, 1),
                AluOp::Xor => (ALU_XOR, 0),
                AluOp::Mov => (ALU_MOV, 0),
                AluOp::Arsh => (ALU_ARSH, 0),
            };
            let (x, s, imm) = operand(src);
            slot(alu_class(width) | code_op | x, dst.num(), s, off, imm)
        }
        Insn::MovSx {
            width,
            dst,
            src,
            from_bits,
        } => slot(
            alu_class(width) | ALU_MOV | SRC_X,
            dst.num(),
            src.num(),
            from_bits.into(),
            0,
        ),
        Insn::Neg { width, dst } => slot(alu_class(width) | ALU_NEG, dst.num(), 0, 0, 0),
        Insn::Endian { op, dst, bits } => {
            let code = match op {
                EndianOp::ToLe => CLASS_ALU | ALU_END | SRC_K,
                EndianOp::ToBe => CLASS_ALU | ALU_END | SRC_X,
                EndianOp::Swap => CLASS_ALU64 | ALU_END | SRC_K,
            };
            slot(code, dst.num(), 0, 0, bits.into())
        }
        Insn::AddrSpaceCast {
            dst,
            src,
            dst_as,
            src_as,
        } => {
            let imm = ((u32::from(dst_as) << 16) | u32::from(src_as)) as i32;
            slot(CLASS_ALU64 | ALU_MOV | SRC_X, dst.num(), src.num(), 1, imm)
        }
        Insn::Ja { off, long: false } => slot(CLASS_JMP | JMP_JA, 0, 0, off as i16, 0),
        Insn::Ja { off, long: true } => slot(CLASS_JMP32 | JMP_JA, 0, 0, 0, off),
        Insn::Jmp {
            width,
            cond,
            dst,
            src,
            off,
        } => {
            let op = match cond {
                Cond::Eq => JMP_JEQ,
                Cond::Gt => JMP_JGT,
                Cond::Ge => JMP_JGE,
                Cond::Set => JMP_JSET,
                Cond::Ne => JMP_JNE,
                Cond::SGt => JMP_JSGT,
                Cond::SGe => JMP_JSGE,
                Cond::Lt => JMP_JLT,
                Cond::Le => JMP_JLE,
                Cond::SLt => JMP_JSLT,
                Cond::SLe => JMP_JSLE,
            };
            let (x, s, imm) = operand(src);
            slot(jmp_class(width) | op | x, dst.num(), s, off, imm)
        }
        Insn::MayGoto { off } => slot(CLASS_JMP | JMP_JCOND, 0, 0, off, 0),
        Insn::Call(CallTarget::Helper(id)) => slot(CLASS_JMP | JMP_CALL, 0, 0, 0, id),
        Insn::Call(CallTarget::Local(rel)) => slot(CLASS_JMP | JMP_CALL, 0, PSEUDO_CALL, 0, rel),
        Insn::Call(CallTarget::Kfunc { btf_id, module }) => {
            slot(CLASS_JMP | JMP_CALL, 0, PSEUDO_KFUNC_CALL, module, btf_id)
        }
        Insn::Callx { reg } => slot(CLASS_JMP | JMP_CALL | SRC_X, reg.num(), 0, 0, 0),
        Insn::Exit => slot(CLASS_JMP | JMP_EXIT, 0, 0, 0, 0),
        Insn::Load {
            size,
            sign_extend,
            dst,
            src,
            off,
        } => {
            let mode = if sign_extend { MODE_MEMSX } else { MODE_MEM };
            slot(
                CLASS_LDX | mode | size_bits(size),
                dst.num(),
                src.num(),
                off,
                0,
            )
        }
        Insn::Store {
            size,
            dst,
            off,
            src: Operand::Imm(imm),
        } => slot(
            CLASS_ST | MODE_MEM | size_bits(size),
            dst.num(),
            0,
            off,
            imm,
        ),
        Insn::Store {
            size,
            dst,
            off,
            src: Operand::Reg(src),
        } => slot(
            CLASS_STX | MODE_MEM | size_bits(size),
            dst.num(),
            src.num(),
            off,
            0,
        ),
        Insn::Atomic {
            size,
            op,
            dst,
            src,
            off,
        } => {
            let imm = match op {
                AtomicOp::Add { fetch } => ATOMIC_ADD | fetch_bit(fetch),
                AtomicOp::Or { fetch } => ATOMIC_OR | fetch_bit(fetch),
                AtomicOp::And { fetch } => ATOMIC_AND | fetch_bit(fetch),
                AtomicOp::Xor { fetch } => ATOMIC_XOR | fetch_bit(fetch),
                AtomicOp::Xchg => ATOMIC_XCHG,
                AtomicOp::CmpXchg => ATOMIC_CMPXCHG,
                AtomicOp::LoadAcquire => ATOMIC_LOAD_ACQ,
                AtomicOp::StoreRelease => ATOMIC_STORE_REL,
            };
            slot(
                CLASS_STX | MODE_ATOMIC | size_bits(size),
                dst.num(),
                src.num(),
                off,
                imm,
            )
        }
        Insn::LdImm64 {
            dst,
            src,
            imm,
            next_imm,
        } => {
            let s = match src {
                PseudoSrc::Imm => 0,
                PseudoSrc::MapFd => PSEUDO_MAP_FD,
                PseudoSrc::MapValue => PSEUDO_MAP_VALUE,
                PseudoSrc::BtfId => PSEUDO_BTF_ID,
                PseudoSrc::Func => PSEUDO_FUNC,
                PseudoSrc::MapIdx => PSEUDO_MAP_IDX,
                PseudoSrc::MapIdxValue => PSEUDO_MAP_IDX_VALUE,
            };
            let mut two = slot(LDDW, dst.num(), s, 0, imm).to_vec();
            two.extend_from_slice(&slot(0, 0, 0, 0, next_imm));
            return two;
        }
        Insn::LdImm64Tail => return Vec::new(),
        Insn::LdAbs { size, imm } => slot(CLASS_LD | MODE_ABS | size_bits(size), 0, 0, 0, imm),
        Insn::LdInd { size, src, imm } => {
            slot(CLASS_LD | MODE_IND | size_bits(size), 0, src.num(), 0, imm)
        }
    };
    one.to_vec()
}

fn fetch_bit(fetch: bool) -> i32 {
    if fetch {
        ATOMIC_FETCH
    } else {
        0
    }
}
