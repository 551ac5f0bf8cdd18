//! Tail-call targets of `bpfvet run`: `--map PROG_ARRAY KEY=PROGRAM` puts program PROGRAM of
//! the same object in a program-array slot, and the run follows the entry's tail calls into it
//! (`bpfvet_runtime::interp::run_chain` has the semantics).
//!
//! The kernel stores a program fd in the slot; here the value is the target's index in the
//! run's list of targets, which is what the runtime's chain runs look up. A target must have
//! the entry's program type (the kernel refuses others in the array) and, for `--engine jit`,
//! be accepted by the verifier too.

use std::path::Path;

use anyhow::Context as _;
use bpfvet_analyzer::program::{MapDef, MapType};
use bpfvet_analyzer::verifier::env::Options;
use bpfvet_analyzer::verifier::{verify_program, VerifiedProgram};
use bpfvet_runtime::maps::MapId;
use bpfvet_runtime::{jit, Machine, Program};

use super::run::{load_one, Loaded};

/// Where targets come from: the entry's file, loaded with the entry's options.
pub(super) struct Source<'a> {
    pub file: &'a Path,
    pub prog_type: Option<&'a str>,
    pub btf: Option<&'a Path>,
}

impl Source<'_> {
    fn load(&self, name: &str) -> anyhow::Result<Loaded> {
        load_one(self.file, Some(name), self.prog_type, self.btf)
            .with_context(|| format!("tail-call target {name}"))
    }
}

/// The programs named in program-array slots, in order of first mention.
#[derive(Default)]
pub(super) struct TailTargets {
    names: Vec<String>,
}

/// A target, loaded and bound to the entry's maps.
pub(super) struct Target {
    pub name: String,
    pub prog: Program,
    /// The analyzer's verdict, when it was asked for (the JIT needs it).
    pub verified: Option<VerifiedProgram>,
}

/// Whether `--map` values of `def` name programs.
pub(super) fn is_prog_array(def: &MapDef) -> bool {
    def.map_type == MapType::PROG_ARRAY
}

impl TailTargets {
    /// The value to store for `--map NAME KEY=program`: the program's index among the targets.
    pub fn slot_value(
        &mut self,
        map: &str,
        program: &str,
        value_size: u32,
    ) -> anyhow::Result<Vec<u8>> {
        if value_size != 4 {
            anyhow::bail!(
                "--map {map}: a program array's values are 4 bytes, this one's are {value_size}"
            );
        }
        let idx = match self.names.iter().position(|n| n == program) {
            Some(i) => i,
            None => {
                self.names.push(program.to_string());
                self.names.len() - 1
            }
        };
        Ok((idx as u32).to_le_bytes().to_vec())
    }

    /// Loads every target from `file` as `entry` was loaded, binds it to `maps` (the entry's
    /// machine maps: an object's programs share its maps) and, when `verify`, verifies it
    /// (a rejected target is an error: the JIT runs only accepted programs).
    pub fn load(
        &self,
        src: &Source<'_>,
        entry: &Loaded,
        maps: &[MapId],
        opts: &Options,
        verify: bool,
    ) -> anyhow::Result<Vec<Target>> {
        self.names
            .iter()
            .map(|name| {
                let t = src.load(name)?;
                if t.rules.name != entry.rules.name {
                    anyhow::bail!(
                        "tail-call target {name} is a {} program, the entry {} is {}: the kernel keeps one program type per program array",
                        t.rules.name,
                        entry.name,
                        entry.rules.name
                    );
                }
                let verified = if verify {
                    match verify_program(&t.verify_input(), opts) {
                        Ok(v) => Some(v),
                        Err(res) => anyhow::bail!(
                            "tail-call target {name}: the verifier rejects it ({} finding{}; `bpfvet check` explains)",
                            res.violations.len(),
                            if res.violations.len() == 1 { "" } else { "s" }
                        ),
                    }
                } else {
                    None
                };
                let prog = bind(&t, maps, verified.as_ref());
                Ok(Target {
                    name: name.clone(),
                    prog,
                    verified,
                })
            })
            .collect()
    }
}

/// The targets compiled by the JIT: checked, or (when they were verified) unchecked for `m`.
pub(super) fn compile(targets: &[Target], m: &Machine) -> anyhow::Result<Vec<jit::JitProgram>> {
    targets
        .iter()
        .map(|t| {
            let code = match &t.verified {
                Some(v) => jit::compile(v, m, t.prog.maps()),
                None => jit::compile_checked(&t.prog),
            };
            code.with_context(|| format!("tail-call target {}", t.name))
        })
        .collect()
}

/// What `bpfvet diff` fills `entry`'s program arrays with: the other programs of its object
/// that have its type (none when it makes no tail call, or is not from an object).
pub(super) fn same_type_programs(src: &Source<'_>, entry: &Loaded) -> anyhow::Result<Vec<Loaded>> {
    let Some(obj) = &entry.obj else {
        return Ok(Vec::new());
    };
    if !bpfvet_runtime::load::makes_tail_calls(&entry.insns) {
        return Ok(Vec::new());
    }
    let mut res = Vec::new();
    for p in obj.programs() {
        if p.name() == entry.name {
            continue;
        }
        let t = src.load(p.name())?;
        if t.rules.name == entry.rules.name {
            res.push(t);
        }
    }
    Ok(res)
}

/// The kernel's view of generated program-array slots `(map index, key, value)`: value `i`
/// names `targets[i]` (for `BPF_PROG_TEST_RUN` with the slots filled).
pub(super) fn kernel_slots(
    slots: &[(u32, Vec<u8>, Vec<u8>)],
    maps: &[MapDef],
    targets: &[Loaded],
) -> Vec<bpfvet_oracle::ProgSlot> {
    slots
        .iter()
        .filter_map(|(i, k, v)| {
            Some(bpfvet_oracle::ProgSlot {
                map: maps.get(*i as usize)?.name.clone(),
                key: slot_word(k)?,
                program: targets.get(slot_word(v)? as usize)?.name.clone(),
            })
        })
        .collect()
}

/// A program array's key or value: a u32 in memory order.
pub(super) fn slot_word(b: &[u8]) -> Option<u32> {
    b.get(..4)
        .map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]))
}

/// Target `t` as a runtime program bound to `maps` (the entry's machine maps: an object's
/// programs share its maps), with the probe loads its verdict found, if it was verified.
fn bind(t: &Loaded, maps: &[MapId], verified: Option<&VerifiedProgram>) -> Program {
    Program::with_maps(t.insns.clone(), maps.to_vec())
        .with_probe_loads(verified.map_or_else(Vec::new, |v| v.probe_loads().to_vec()))
        .with_kfuncs(bpfvet_runtime::kfuncs::names(t.verify_input().relocs))
}

/// `targets` pre-decoded for the interpreter, bound to `maps` (the entry's machine maps).
pub(super) fn prepared(
    targets: &[Loaded],
    maps: &[MapId],
) -> Vec<bpfvet_runtime::interp::Prepared> {
    targets
        .iter()
        .map(|t| bpfvet_runtime::interp::Prepared::new(&bind(t, maps, None)))
        .collect()
}
