//! Interpreter and x86-64 JIT for eBPF programs, with the memory model, maps and helpers they
//! share.
//!
//! Entry points: [`interp::run`] (any decoded [`Program`], every access checked) and
//! [`jit::compile`] (the analyzer's `VerifiedProgram`, native speed) or [`jit::compile_checked`]
//! (any program, every access checked, so an unsound verdict shows up as a reported [`Fault`]
//! instead of a crash). [`load`] turns an object's map definitions into machine maps, and
//! [`diff`] runs differential checks: interpreter against checked JIT, and every concrete state
//! against the analyzer's abstract state at the same instruction. Both run on a [`Machine`], which owns the memory regions
//! ([`mem::Memory`]), the maps and the helper environment, and both return a [`RunResult`].
//!
//! Architecture invariant: `unsafe` appears only in `jit::mem` (executable memory and calls
//! into generated code), one `// SAFETY:` line per block.
#![deny(unsafe_code)]

pub mod conformance;
pub mod cpumask;
pub mod diff;
pub mod dynptr;
mod fault;
pub mod helpers;
pub mod interp;
pub mod jit;
pub mod kfuncs;
pub mod load;
mod machine;
pub mod maps;
pub mod mem;
pub mod netfilter;
mod program;
pub mod sections;

pub use fault::{Fault, FaultKind};
pub use machine::{
    CustomHelper, Env, Input, Machine, Redirect, RunResult, SkbHeaders, DEFAULT_NR_CPUS,
    FRAME_SIZE, MAX_FRAMES, MAX_TAIL_CALLS, MAY_GOTO_BUDGET, SKB_FIELDS, XDP_FIELDS,
};
pub use program::Program;
