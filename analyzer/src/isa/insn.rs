//! The typed instruction: what each 8-byte slot means, with no reserved bits left to interpret.

use std::fmt;

/// A BPF register, `r0`..`r10`. `r10` is the read-only frame pointer.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Reg(u8);

impl Reg {
    pub const R0: Reg = Reg(0);
    pub const R1: Reg = Reg(1);
    pub const R2: Reg = Reg(2);
    pub const R3: Reg = Reg(3);
    pub const R4: Reg = Reg(4);
    pub const R5: Reg = Reg(5);
    pub const R6: Reg = Reg(6);
    pub const R7: Reg = Reg(7);
    pub const R8: Reg = Reg(8);
    pub const R9: Reg = Reg(9);
    pub const R10: Reg = Reg(10);
    /// The frame pointer.
    pub const FP: Reg = Reg::R10;
    /// Number of registers.
    pub const COUNT: usize = 11;

    /// The register numbered `n`, if there is one.
    pub fn new(n: u8) -> Option<Reg> {
        (n <= 10).then_some(Reg(n))
    }

    /// Its number, 0..=10.
    pub fn num(self) -> u8 {
        self.0
    }

    /// Its number as an index into a register file.
    pub fn idx(self) -> usize {
        usize::from(self.0)
    }

    /// All registers in order.
    pub fn all() -> impl Iterator<Item = Reg> {
        (0..=10).map(Reg)
    }
}

impl fmt::Display for Reg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "r{}", self.0)
    }
}

impl fmt::Debug for Reg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "r{}", self.0)
    }
}

/// The index of an 8-byte instruction slot within a program.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Default)]
pub struct InsnIdx(pub u32);

impl InsnIdx {
    pub fn idx(self) -> usize {
        self.0 as usize
    }

    /// The slot reached by a jump of `off` slots from this instruction (relative to the next
    /// one), or `None` when it falls below zero or past `u32`.
    pub fn jump(self, off: i64) -> Option<InsnIdx> {
        let target = i64::from(self.0) + 1 + off;
        u32::try_from(target).ok().map(InsnIdx)
    }
}

impl fmt::Display for InsnIdx {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Operation width of ALU instructions: `W32` is the ALU class (results zero-extended),
/// `W64` the ALU64 class.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Width {
    W32,
    W64,
}

/// Comparison width of conditional jumps: JMP compares 64 bits, JMP32 the low 32.
pub type JmpWidth = Width;

/// A register or immediate source operand.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Operand {
    Reg(Reg),
    Imm(i32),
}

/// Binary ALU operations. `Mov` ignores the destination's old value.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum AluOp {
    Add,
    Sub,
    Mul,
    Div,
    SDiv,
    Or,
    And,
    Lsh,
    Rsh,
    Mod,
    SMod,
    Xor,
    Mov,
    Arsh,
}

impl AluOp {
    /// The compound assignment both llvm-objdump and the kernel log print: `+=`, `s>>=`, ...
    pub fn symbol(self) -> &'static str {
        match self {
            AluOp::Add => "+=",
            AluOp::Sub => "-=",
            AluOp::Mul => "*=",
            AluOp::Div => "/=",
            AluOp::SDiv => "s/=",
            AluOp::Or => "|=",
            AluOp::And => "&=",
            AluOp::Lsh => "<<=",
            AluOp::Rsh => ">>=",
            AluOp::Mod => "%=",
            AluOp::SMod => "s%=",
            AluOp::Xor => "^=",
            AluOp::Mov => "=",
            AluOp::Arsh => "s>>=",
        }
    }
}

/// Byte-order operations. `ToLe`/`ToBe` are the ALU-class `le`/`be` (a no-op truncation or a
/// swap on a little-endian machine); `Swap` is the ALU64-class unconditional `bswap`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum EndianOp {
    ToLe,
    ToBe,
    Swap,
}

/// Jump conditions.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Cond {
    Eq,
    Gt,
    Ge,
    Set,
    Ne,
    SGt,
    SGe,
    Lt,
    Le,
    SLt,
    SLe,
}

impl Cond {
    /// The operator both llvm-objdump and the kernel log print: `==`, `s>=`, `&`, ...
    pub fn symbol(self) -> &'static str {
        match self {
            Cond::Eq => "==",
            Cond::Gt => ">",
            Cond::Ge => ">=",
            Cond::Set => "&",
            Cond::Ne => "!=",
            Cond::SGt => "s>",
            Cond::SGe => "s>=",
            Cond::Lt => "<",
            Cond::Le => "<=",
            Cond::SLt => "s<",
            Cond::SLe => "s<=",
        }
    }

    /// The condition that holds exactly when this one does not.
    pub fn negate(self) -> Cond {
        match self {
            Cond::Eq => Cond::Ne,
            Cond::Ne => Cond::Eq,
            Cond::Gt => Cond::Le,
            Cond::Le => Cond::Gt,
            Cond::Ge => Cond::Lt,
            Cond::Lt => Cond::Ge,
            Cond::SGt => Cond::SLe,
            Cond::SLe => Cond::SGt,
            Cond::SGe => Cond::SLt,
            Cond::SLt => Cond::SGe,
            // `jset` has no negated opcode; callers handle the not-taken edge themselves.
            Cond::Set => Cond::Set,
        }
    }

    /// The condition with its operands swapped (`a < b` is `b > a`).
    pub fn swap(self) -> Cond {
        match self {
            Cond::Gt => Cond::Lt,
            Cond::Lt => Cond::Gt,
            Cond::Ge => Cond::Le,
            Cond::Le => Cond::Ge,
            Cond::SGt => Cond::SLt,
            Cond::SLt => Cond::SGt,
            Cond::SGe => Cond::SLe,
            Cond::SLe => Cond::SGe,
            c @ (Cond::Eq | Cond::Ne | Cond::Set) => c,
        }
    }
}

/// Memory access sizes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub enum Size {
    B,
    H,
    W,
    DW,
}

impl Size {
    /// The C type name of an access of this size, as llvm-objdump and the kernel log print it.
    pub fn type_name(self, signed: bool) -> &'static str {
        match (self, signed) {
            (Size::B, false) => "u8",
            (Size::H, false) => "u16",
            (Size::W, false) => "u32",
            (Size::DW, false) => "u64",
            (Size::B, true) => "s8",
            (Size::H, true) => "s16",
            (Size::W, true) => "s32",
            (Size::DW, true) => "s64",
        }
    }

    pub fn bytes(self) -> u32 {
        match self {
            Size::B => 1,
            Size::H => 2,
            Size::W => 4,
            Size::DW => 8,
        }
    }

    pub fn bits(self) -> u32 {
        self.bytes() * 8
    }
}

/// Atomic read-modify-write operations (STX class, ATOMIC mode).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum AtomicOp {
    /// `add`/`or`/`and`/`xor`; with `fetch` the old value lands in `src`.
    Add {
        fetch: bool,
    },
    Or {
        fetch: bool,
    },
    And {
        fetch: bool,
    },
    Xor {
        fetch: bool,
    },
    /// Exchange: the old value lands in `src`.
    Xchg,
    /// Compare `r0` with memory; if equal store `src`; the old value lands in `r0`.
    CmpXchg,
    /// `dst = load_acquire(src + off)`. Note the roles: `dst` is the register loaded.
    LoadAcquire,
    /// `store_release(dst + off, src)`.
    StoreRelease,
}

impl AtomicOp {
    pub fn fetches(self) -> bool {
        match self {
            AtomicOp::Add { fetch }
            | AtomicOp::Or { fetch }
            | AtomicOp::And { fetch }
            | AtomicOp::Xor { fetch } => fetch,
            AtomicOp::Xchg | AtomicOp::CmpXchg => true,
            AtomicOp::LoadAcquire | AtomicOp::StoreRelease => false,
        }
    }
}

/// What the source field of a `lddw` says its 64-bit immediate is.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum PseudoSrc {
    /// A plain 64-bit constant.
    Imm,
    /// `imm` is a map file descriptor; the register becomes a map pointer.
    MapFd,
    /// `imm` is a map fd and the second half an offset into its value.
    MapValue,
    /// `imm` is a BTF id of a kernel variable.
    BtfId,
    /// `imm` is a relative instruction offset of a subprogram (a callback address).
    Func,
    /// `imm` is an index into the program's map array.
    MapIdx,
    /// `imm` is a map index and the second half an offset into its value.
    MapIdxValue,
}

/// Where a `call` goes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum CallTarget {
    /// A kernel helper, by id.
    Helper(i32),
    /// A BPF-to-BPF call: `imm` is the callee's offset relative to the next instruction.
    Local(i32),
    /// A kernel function, by BTF id, and the index of the BTF object (module) in `off`.
    Kfunc { btf_id: i32, module: i16 },
}

/// One decoded instruction slot.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Insn {
    /// `dst = dst op src`, or `dst = src` for `Mov`.
    Alu {
        width: Width,
        op: AluOp,
        dst: Reg,
        src: Operand,
    },
    /// `dst = (sN) src`: move with sign extension from `from_bits` (8, 16 or 32).
    MovSx {
        width: Width,
        dst: Reg,
        src: Reg,
        from_bits: u8,
    },
    /// `dst = -dst`.
    Neg {
        width: Width,
        dst: Reg,
    },
    /// Byte-order conversion of the low `bits` (16, 32 or 64) of `dst`.
    Endian {
        op: EndianOp,
        dst: Reg,
        bits: u8,
    },
    /// `dst = addr_space_cast(src, dst_as, src_as)` (arena pointers, Linux 6.9).
    AddrSpaceCast {
        dst: Reg,
        src: Reg,
        dst_as: u16,
        src_as: u16,
    },
    /// `goto +off`. `long` is the JMP32-class `gotol`, whose offset lives in `imm`.
    Ja {
        off: i32,
        long: bool,
    },
    /// `if dst cond src goto +off`.
    Jmp {
        width: JmpWidth,
        cond: Cond,
        dst: Reg,
        src: Operand,
        off: i16,
    },
    /// `may_goto +off` (Linux 6.9): the kernel may take the jump to bound a loop.
    MayGoto {
        off: i16,
    },
    Call(CallTarget),
    /// `callx dst`: call through a register holding a subprogram address.
    Callx {
        reg: Reg,
    },
    Exit,
    /// `dst = *(size *)(src + off)`, sign-extended to 64 bits when `sign_extend`.
    Load {
        size: Size,
        sign_extend: bool,
        dst: Reg,
        src: Reg,
        off: i16,
    },
    /// `*(size *)(dst + off) = src`.
    Store {
        size: Size,
        dst: Reg,
        off: i16,
        src: Operand,
    },
    /// Atomic operation on `*(size *)(dst + off)` (see [`AtomicOp`] for register roles).
    Atomic {
        size: Size,
        op: AtomicOp,
        dst: Reg,
        src: Reg,
        off: i16,
    },
    /// `dst = imm64`, where `src` says what the immediate names. `imm` is the first slot's
    /// immediate and `next_imm` the second's, kept apart because pseudo sources give them
    /// different meanings.
    LdImm64 {
        dst: Reg,
        src: PseudoSrc,
        imm: i32,
        next_imm: i32,
    },
    /// The second slot of a `lddw`; never executed, never a jump target.
    LdImm64Tail,
    /// Legacy packet load: `r0 = ntoh(*(size *)(skb->data + imm))`.
    LdAbs {
        size: Size,
        imm: i32,
    },
    /// Legacy packet load: `r0 = ntoh(*(size *)(skb->data + src + imm))`.
    LdInd {
        size: Size,
        src: Reg,
        imm: i32,
    },
}

impl Insn {
    /// The 64-bit value of a plain `lddw`, combining both halves.
    pub fn imm64(imm: i32, next_imm: i32) -> u64 {
        u64::from(imm as u32) | (u64::from(next_imm as u32) << 32)
    }

    /// Number of 8-byte slots this instruction occupies.
    pub fn slots(&self) -> usize {
        match self {
            Insn::LdImm64 { .. } => 2,
            _ => 1,
        }
    }

    /// The jump offset in slots, relative to the next slot, for instructions that jump.
    /// Calls are not jumps.
    pub fn jump_offset(&self) -> Option<i64> {
        match *self {
            Insn::Ja { off, .. } => Some(i64::from(off)),
            Insn::Jmp { off, .. } | Insn::MayGoto { off } => Some(i64::from(off)),
            _ => None,
        }
    }

    /// Whether control can continue to the next slot.
    pub fn falls_through(&self) -> bool {
        !matches!(self, Insn::Ja { .. } | Insn::Exit | Insn::LdImm64Tail)
    }
}
