//! Abstract domains for eBPF verification: tristate numbers, intervals and their reduced product.
//!
//! This crate knows nothing of BPF instructions, does no I/O and contains no `unsafe`.
#![forbid(unsafe_code)]
