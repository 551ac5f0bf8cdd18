//! The abstract interpreter: path-sensitive exploration of every execution, with pruning, as
//! the kernel's verifier does it, over the `lattice` domains.
//!
//! Layout (STYLE.md G): `engine` explores and prunes, `transfer` gives each instruction's
//! semantics and safety conditions, `state` and `domain` are the abstract values (`stack`: a
//! frame's slots, shared copy-on-write between states), `subsume`, `liveness` and `precision`
//! serve pruning, `violation` names what is found.

mod alloc_layout;
pub mod btf_ctx;
mod btf_info;
pub mod domain;
mod engine;
pub mod env;
mod exception_cb;
mod fastcall;
pub mod kfuncs;
pub(crate) mod liveness;
pub mod loop_proof;
mod loops;
mod map_extra;
mod mmapable_data;
mod nf_conn_access;
mod pkt_effects;
mod precision;
pub mod profiles;
pub mod ptr_kind;
pub mod regs;
mod rewrite_stack;
mod safe_fields;
mod sched_ext;
pub mod stack;
pub mod state;
mod struct_ops_access;
mod subsume;
mod transfer;
mod verified;
pub mod verify;
pub mod violation;

#[cfg(test)]
mod kernel_cases;
#[cfg(test)]
mod tests;

pub use engine::{NoObserver, Observer, Stats};
pub use verified::{live_regs, verify_program, verify_program_observed, CtxBound, VerifiedProgram};
pub use verify::{verify, verify_observed, Verdict, VerifyResult};
