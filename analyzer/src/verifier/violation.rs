//! Findings: what the verifier proves unsafe, each with a stable code and the kernel's words.

use crate::isa::InsnIdx;
use std::fmt;

macro_rules! codes {
    ($( $(#[doc = $doc:literal])* $variant:ident = $name:literal, )*) => {
        /// A stable finding code. The kebab-case name is the CLI's, JSON's and SARIF's id.
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
        pub enum Code {
            $( $(#[doc = $doc])* $variant, )*
        }

        impl Code {
            /// Every code, in declaration order.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The stable kebab-case id.
            pub fn name(self) -> &'static str {
                match self {
                    $(Code::$variant => $name,)*
                }
            }

            /// One line saying what the code checks.
            pub fn summary(self) -> &'static str {
                match self {
                    $(Code::$variant => concat!($($doc),*).trim_ascii(),)*
                }
            }
        }
    };
}

codes! {
    /// The program has no instructions.
    EmptyProgram = "empty-program",
    /// A jump lands outside the program or its subprogram.
    JumpOutOfRange = "jump-out-of-range",
    /// A jump lands on the second half of a 64-bit immediate load.
    JumpIntoLdImm64 = "jump-into-ldimm64",
    /// A pseudo call or callback reference points outside the program.
    CallOutOfRange = "call-out-of-range",
    /// A subprogram's last instruction is neither exit nor an unconditional jump.
    FallsOffEnd = "falls-off-end",
    /// No path reaches an instruction.
    UnreachableInsn = "unreachable-insn",
    /// A loop, under a profile that forbids back-edges.
    BackEdge = "back-edge",
    /// A loop whose state repeats exactly: it never terminates.
    InfiniteLoop = "infinite-loop",
    /// The verifier's instruction budget ran out.
    ProgramTooComplex = "program-too-complex",
    /// Too many pending branches at once.
    JumpSequenceTooComplex = "jump-sequence-too-complex",
    /// The program has more instructions than the profile allows.
    ProgramTooLarge = "program-too-large",
    /// A register is read before it is written.
    UninitRegRead = "uninit-reg-read",
    /// The frame pointer r10 is written.
    FramePointerWrite = "frame-pointer-write",
    /// A stack byte is read before it is written.
    UninitStackRead = "uninit-stack-read",
    /// An access outside the 512-byte stack frame.
    StackOutOfBounds = "stack-out-of-bounds",
    /// A stack access with a variable offset the profile does not allow.
    VariableStackAccess = "variable-stack-access",
    /// An access that is not aligned to its size where the kernel requires alignment.
    MisalignedAccess = "misaligned-access",
    /// A spilled pointer is partly overwritten or partly read.
    InvalidSpill = "invalid-spill",
    /// An access past the end (or before the start) of a map value.
    MapValueOutOfBounds = "map-value-out-of-bounds",
    /// A dereference of a pointer that may be NULL.
    NullDeref = "null-deref",
    /// A packet access not proven within `data_end`.
    PacketOutOfBounds = "packet-out-of-bounds",
    /// A context access at an offset or size the program type does not allow.
    CtxBadAccess = "ctx-bad-access",
    /// A write to a context field that is read-only.
    CtxReadOnly = "ctx-read-only",
    /// A dereference of a context pointer that was moved.
    CtxModifiedDeref = "ctx-modified-deref",
    /// A memory access through a register that is not a pointer, or a pointer that cannot be
    /// dereferenced.
    InvalidMemAccess = "invalid-mem-access",
    /// A write through a read-only pointer.
    WriteToReadOnly = "write-to-read-only",
    /// Arithmetic on a pointer kind that forbids it.
    PointerArithProhibited = "pointer-arith-prohibited",
    /// Arithmetic on a pointer that may be NULL.
    NullablePointerArith = "nullable-pointer-arith",
    /// Pointer plus pointer, or pointer minus a pointer of another kind.
    PointerPointerArith = "pointer-pointer-arith",
    /// Bitwise or other non-additive operations on a pointer.
    PointerBitwise = "pointer-bitwise",
    /// 32-bit arithmetic on a pointer.
    Pointer32BitArith = "pointer-32bit-arith",
    /// An access or pointer offset whose variable part is unbounded or may be negative.
    UnboundedVarOff = "unbounded-var-off",
    /// Division or modulo by an immediate zero.
    DivByZero = "div-by-zero",
    /// A shift by an immediate at least as wide as the operand.
    InvalidShift = "invalid-shift",
    /// A helper the program type may not call, or that this kernel does not have.
    HelperNotAllowed = "helper-not-allowed",
    /// A GPL-only helper called from a program whose license is not GPL-compatible.
    GplOnlyHelper = "gpl-only-helper",
    /// A helper argument of the wrong type.
    HelperArgType = "helper-arg-type",
    /// A memory size passed to a helper that is negative, zero where not allowed, or too large.
    HelperInvalidSize = "helper-invalid-size",
    /// A map passed to a helper that does not accept its map type.
    HelperMapType = "helper-map-type",
    /// The program's return value is outside the range its type allows.
    ReturnOutOfRange = "return-out-of-range",
    /// An acquired reference is not released on some path.
    ReferenceLeak = "reference-leak",
    /// A release of something that is not an acquired reference.
    InvalidRelease = "invalid-release",
    /// Too many nested bpf-to-bpf calls.
    CallStackTooDeep = "call-stack-too-deep",
    /// The stacks of a call chain add up to more than 512 bytes.
    CombinedStackTooLarge = "combined-stack-too-large",
    /// A tail call used where the kernel forbids it.
    TailCallMisuse = "tail-call-misuse",
    /// A helper call while a spin lock is held, or a lock not released.
    SpinLockMisuse = "spin-lock-misuse",
    /// A pointer value escapes into a map, the return value or memory (unprivileged).
    PointerLeak = "pointer-leak",
    /// A helper bpfvet does not yet know the signature of.
    UnsupportedHelper = "unsupported-helper",
    /// A BTF-typed context bpfvet cannot type: no kernel BTF, or no attach target in it.
    UnsupportedCtx = "unsupported-ctx",
    /// An attach target the kernel refuses for this program type (an LSM hook BPF may not use, a
    /// struct_ops type or member it does not offer).
    AttachRefused = "attach-refused",
    /// A map the kernel refuses to create, or to map into user space for the loader.
    MapRefused = "map-refused",
    /// An instruction that does not decode: unknown opcode, bad register, reserved bits set.
    InvalidInsn = "invalid-insn",
    /// A helper that may sleep, called from a program that may not.
    SleepableHelper = "sleepable-helper",
    /// An instruction form bpfvet does not support.
    UnsupportedInsn = "unsupported-insn",
    /// A `lddw` pseudo source referring to no map, or to something of the wrong kind.
    InvalidLdImm64 = "invalid-ldimm64",
    /// bpfvet reached a state it believed impossible.
    InternalError = "internal-error",
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An instruction that contributed to a finding, with what it did.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Related {
    pub insn: InsnIdx,
    pub note: String,
}

/// One finding.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Violation {
    pub code: Code,
    /// The faulting instruction.
    pub insn: InsnIdx,
    /// What is wrong, in plain words (lowercase, no trailing period).
    pub message: String,
    /// The kernel verifier's log line for the same error.
    pub kernel_message: String,
    /// The abstract values involved, in words and numbers.
    pub notes: Vec<String>,
    /// Where the offending value came from.
    pub related: Vec<Related>,
    /// The branches taken on the explored path that reached the violation, in order:
    /// (the jump instruction, whether its jump was taken).
    pub path: Vec<(InsnIdx, bool)>,
}

impl Violation {
    pub fn new(
        code: Code,
        insn: InsnIdx,
        message: impl Into<String>,
        kernel_message: impl Into<String>,
    ) -> Box<Self> {
        // Boxed: findings travel in the cold `Err` path of every transfer function, which should
        // stay one pointer wide.
        Box::new(Violation {
            code,
            insn,
            message: message.into(),
            kernel_message: kernel_message.into(),
            notes: Vec::new(),
            related: Vec::new(),
            path: Vec::new(),
        })
    }

    pub fn with_note(mut self: Box<Self>, note: impl Into<String>) -> Box<Self> {
        self.notes.push(note.into());
        self
    }

    /// Points at another instruction that explains the finding.
    pub fn with_related(mut self: Box<Self>, insn: InsnIdx, note: impl Into<String>) -> Box<Self> {
        self.related.push(Related {
            insn,
            note: note.into(),
        });
        self
    }
}
