//! Abstract domains for eBPF verification: tristate numbers, intervals and their reduced product.
//!
//! This crate knows nothing of BPF instructions, does no I/O and contains no `unsafe`.
//!
//! * [`Tnum`] — bit-level knowledge (kernel `struct tnum`).
//! * [`URange`], [`SRange`] — unsigned and signed intervals.
//! * [`Scalar`] — their reduced product at 64 bits with the 32-bit sub-register views, with every
//!   ALU transfer function ([`Scalar::alu`]) and branch refinement ([`Scalar::refine`]).
//!
//! Every domain is generic over a sealed [`Word`] so the same code is proven sound by exhaustion at
//! 4 bits in the tests (and sampled at 8 and 64 bits). Bottom is `None` wherever an operation can discover infeasibility.
#![forbid(unsafe_code)]
// Transfer functions are named after the BPF operations (`add`, `shl`, ...) and take domain
// values, not numbers: implementing `std::ops` would suggest arithmetic on concrete values.
#![allow(
    clippy::should_implement_trait,
    reason = "kernel vocabulary for abstract transfer functions"
)]

pub mod scalar;
pub mod srange;
pub mod tnum;
pub mod urange;
pub mod word;

pub use scalar::{AluOp, Cond, Scalar, ScalarOf, Width};
pub use srange::SRange;
pub use tnum::Tnum;
pub use urange::URange;
pub use word::{Small, WideWord, Word, U2, U4};
