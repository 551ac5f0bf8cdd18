//! Instruction text: the syntax `llvm-objdump -d` prints for BPF, a printer and an assembler.
//!
//! The syntax is LLVM's BPF assembly as llvm-objdump 19 prints it with `--mattr=+alu32`
//! (the text after the hex bytes), for example `r1 = *(u32 *)(r2 + 0x4)` or
//! `if r1 s> 0x5 goto +0x2 <LBB0_3>`. Numbers are hexadecimal with a sign, jump offsets count
//! slots relative to the next slot, and a jump may end in ` <NAME>`, the symbol at its target.
//!
//! LLVM's text loses information for a few forms, so there are three [`Syntax`]es:
//!
//! | form | `Bpfvet` (ours, lossless) | `Llvm19` | `Llvm14` |
//! |---|---|---|---|
//! | BPF-to-BPF call (`src` 1) | `call pc-0x1` | `call -0x1` | `call -1` |
//! | kfunc call (`src` 2) | `call kfunc 0x10, 0x1` (module only if not 0) | `call 0x10` | `call 16` |
//! | `lddw` with a pseudo source | `ld_pseudo r1, 0x2, 0x1, 0x2` (4th only if not 0) | `ld_pseudo⇥r1, 0x2, 0x1` | decimal |
//! | `ld_ind` with `imm` ≠ 0 | `r0 = *(u16 *)skb[r2 + 0xc]` | `…skb[r2]` | `…skb[r2]` |
//! | load-acquire | `r0 = load_acquire((u64 *)(r1 + 0x0))` (LLVM 20's syntax) | `lock *(u64 *)(r0 + 0x0) += r1` (32/64-bit; roles swapped), else `<unknown>` | same, decimal |
//! | store-release | `store_release((u64 *)(r1 + 0x0), r2)` (LLVM 20's syntax) | `<unknown>` | `<unknown>` |
//!
//! Everything else prints the same in `Bpfvet` and `Llvm19`. `Llvm14` prints decimal numbers
//! and, for what LLVM 14 does not know, exactly what it prints instead (see [`Syntax::Llvm14`]).
//! Only `Bpfvet` text parses back to the same instruction in every case; the assembler also
//! reads `Llvm19` text and decimal numbers.
//!
//! Why `--mattr=+alu32`: without it llvm-objdump prints 32-bit loads, stores and atomics with
//! `r` registers, prints a 32-bit `atomic_fetch_add` as a plain `lock … +=`, and cannot print
//! `xchg32_32`/`cmpxchg32_32` at all. The bytes mean the same either way; alu32 naming is the
//! one that says what the instruction does.

mod grammar;
mod lex;
mod parse;
mod print;
mod samples;

pub use parse::{parse_insn, parse_program, ParseError, ParseErrorKind};
pub use print::{print_insn, LabelFn, Printer};
pub use samples::samples;

/// Which spelling to print.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub enum Syntax {
    /// llvm-objdump 19's syntax, made lossless where LLVM's is not (see the module doc).
    #[default]
    Bpfvet,
    /// Exactly what `llvm-objdump-19 -d --mattr=+alu32` prints.
    Llvm19,
    /// Exactly what `llvm-objdump-14 -d --mattr=+alu32` prints: decimal numbers, and
    /// `<unknown>` or a lossy older spelling for instructions LLVM 14 does not know (the v4
    /// ISA's sign-extending moves and loads, signed division, `bswap`, `gotol`, `may_goto`,
    /// `addr_space_cast`) and for `mod`, `jset` and stores of an immediate.
    Llvm14,
}

#[cfg(test)]
mod tests;
