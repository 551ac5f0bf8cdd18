//! The eBPF instruction set: a typed `Insn`, and its binary decoding and encoding.
//!
//! The binary form is RFC 9669's 8-byte slot (opcode, dst/src nibbles, 16-bit offset, 32-bit
//! immediate) plus what Linux accepts beyond it (`may_goto`, `addr_space_cast`, load-acquire and
//! store-release). Decoding is strict: a reserved field that is not zero is an error, as RFC 9669
//! asks, so that a program we accept is one whose every bit we understood.
//!
//! Invariant of a decoded program: it is a `Vec<Insn>` with one element per 8-byte slot. A
//! `lddw` is fused into its first slot and its second slot holds [`Insn::LdImm64Tail`], so jump
//! offsets (counted in slots) index the vector directly, as they do in the kernel.

mod decode;
mod encode;
mod insn;
pub mod opcode;
pub mod text;

pub use decode::{decode, decode_one, DecodeError, DecodeErrorKind};
pub use encode::{encode, encode_one};
pub use insn::{
    AluOp, AtomicOp, CallTarget, Cond, EndianOp, Insn, InsnIdx, JmpWidth, Operand, PseudoSrc, Reg,
    Size, Width,
};

#[cfg(test)]
mod tests;
