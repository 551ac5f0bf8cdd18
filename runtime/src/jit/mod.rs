//! x86-64 JIT (in progress).
use crate::{Fault, Input, Machine, Program, RunResult, VerifiedProgram};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JitMode { Unchecked, Checked }

#[derive(Debug, thiserror::Error)]
pub enum JitError { #[error("not implemented")] NotImplemented }

#[derive(Debug)]
pub struct JitProgram;
impl JitProgram {
    pub fn run(&self, _m: &mut Machine, _i: &Input) -> Result<RunResult, Fault> { unimplemented!() }
}
pub fn compile(_p: &VerifiedProgram, _mode: JitMode) -> Result<JitProgram, JitError> { Err(JitError::NotImplemented) }
pub fn compile_checked(_p: &Program) -> Result<JitProgram, JitError> { Err(JitError::NotImplemented) }
