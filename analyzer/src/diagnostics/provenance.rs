//! Where an offending value came from, found in the instruction stream alone.
//!
//! Until the verifier tracks the origin of every register, a finding's provenance is derived
//! here in two steps:
//!
//! 1. [`walk`] rebuilds one concrete instruction sequence from the entry to the faulting
//!    instruction that agrees with the branch decisions the verifier recorded on its path
//!    (`Violation::path`). It is a breadth-first search over (instruction, decisions consumed,
//!    call stack), so the walk is the shortest such sequence; a conditional jump whose decision
//!    was not recorded (the verifier knew the outcome) may go either way.
//! 2. [`trace`] walks that sequence backward from the fault, following the offending register
//!    through copies (`r1 = r0`), spills and fills (`*(u64 *)(r10 - 8) = r1`, then
//!    `r1 = *(u64 *)(r10 - 8)`), arithmetic, arguments and return values of bpf-to-bpf calls,
//!    until the instruction that produced it: a helper call, a load from memory, a constant, or the program entry.
//!
//! Example: for `r0 = call bpf_map_lookup_elem; r1 = *(u64 *)(r0 + 0)` the walk is `0..=7` and
//! the trace of `r0` ends at the call, which is labelled "may return NULL".
//!
//! Known imprecision: the walk may pass a branch the verifier proved one-sided in the other
//! direction (both directions are allowed where no decision was recorded), and writes through
//! pointers other than `r10` are not followed, so a value stored through a pointer to the stack
//! is reported as born at its fill.

use crate::isa::{AtomicOp, CallTarget, Insn, InsnIdx, Operand, Reg};
use crate::rules::HelperTable;
use std::collections::{HashMap, VecDeque};

/// One instruction of a walk, with the bpf-to-bpf call depth it runs at (0: the main program).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct WalkStep {
    pub insn: InsnIdx,
    pub depth: u8,
}

/// Most search nodes [`walk`] explores before giving up (a bound on time and memory).
const MAX_NODES: usize = 400_000;
/// Deepest bpf-to-bpf call nesting the walk follows (the kernel allows 8 frames).
const MAX_DEPTH: usize = 8;

type Node = (u32, u32, Vec<u32>);

/// The shortest instruction sequence from the entry to `target` that takes the recorded branch
/// decisions in order, ending with `target` itself; `None` when there is none within the search
/// budget. Falls back to ignoring the decisions when no sequence agrees with all of them.
pub fn walk(insns: &[Insn], target: InsnIdx, path: &[(InsnIdx, bool)]) -> Option<Vec<WalkStep>> {
    search(insns, target, path).or_else(|| search(insns, target, &[]))
}

fn search(insns: &[Insn], target: InsnIdx, path: &[(InsnIdx, bool)]) -> Option<Vec<WalkStep>> {
    let start: Node = (0, 0, Vec::new());
    let mut nodes: Vec<(Node, usize)> = vec![(start.clone(), usize::MAX)];
    let mut seen: HashMap<Node, ()> = HashMap::new();
    seen.insert(start, ());
    let mut queue = VecDeque::from([0usize]);
    while let Some(at) = queue.pop_front() {
        let (pc, k, stack) = nodes[at].0.clone();
        if pc == target.0 && k as usize == path.len() {
            return Some(unwind(&nodes, at));
        }
        for next in successors(insns, pc, k, &stack, path) {
            if nodes.len() >= MAX_NODES {
                return None;
            }
            if seen.insert(next.clone(), ()).is_none() {
                nodes.push((next, at));
                queue.push_back(nodes.len() - 1);
            }
        }
    }
    None
}

fn unwind(nodes: &[(Node, usize)], mut at: usize) -> Vec<WalkStep> {
    let mut res = Vec::new();
    while at != usize::MAX {
        let ((pc, _, stack), parent) = &nodes[at];
        res.push(WalkStep {
            insn: InsnIdx(*pc),
            depth: u8::try_from(stack.len()).unwrap_or(u8::MAX),
        });
        at = *parent;
    }
    res.reverse();
    res
}

fn successors(
    insns: &[Insn],
    pc: u32,
    k: u32,
    stack: &[u32],
    path: &[(InsnIdx, bool)],
) -> Vec<Node> {
    let Some(insn) = insns.get(pc as usize) else {
        return Vec::new();
    };
    let here = InsnIdx(pc);
    let next = pc + insn.slots() as u32;
    let plain = |to: u32| (to, k, stack.to_vec());
    match *insn {
        Insn::Exit => match stack.split_last() {
            Some((&ret, rest)) => vec![(ret, k, rest.to_vec())],
            None => Vec::new(),
        },
        Insn::Ja { .. } => here
            .jump(insn.jump_offset().unwrap_or(0))
            .map(|t| vec![plain(t.0)])
            .unwrap_or_default(),
        Insn::Jmp { .. } | Insn::MayGoto { .. } => {
            let taken = here.jump(insn.jump_offset().unwrap_or(0)).map(|t| t.0);
            let mut res = Vec::new();
            if let Some(&(at, dir)) = path.get(k as usize) {
                if at == here {
                    let to = if dir { taken } else { Some(next) };
                    if let Some(to) = to {
                        res.push((to, k + 1, stack.to_vec()));
                    }
                }
            }
            res.push(plain(next));
            if let Some(t) = taken {
                res.push(plain(t));
            }
            res
        }
        Insn::Call(CallTarget::Local(imm)) if stack.len() < MAX_DEPTH => {
            match here.jump(i64::from(imm)) {
                Some(t) => {
                    let mut s = stack.to_vec();
                    s.push(next);
                    vec![(t.0, k, s)]
                }
                None => Vec::new(),
            }
        }
        // In a subprogram, a tail call that succeeds returns from it (the verifier forks there:
        // decision `false` is that return, `true` the failed call going on).
        Insn::Call(CallTarget::Helper(TAIL_CALL)) if !stack.is_empty() => {
            let (&ret, rest) = stack.split_last().expect("not empty");
            let back = (ret, k, rest.to_vec());
            match path.get(k as usize) {
                Some(&(at, dir)) if at == here => {
                    if dir {
                        vec![(next, k + 1, stack.to_vec())]
                    } else {
                        vec![(ret, k + 1, rest.to_vec())]
                    }
                }
                _ => vec![plain(next), back],
            }
        }
        Insn::LdImm64Tail => Vec::new(),
        _ => vec![plain(next)],
    }
}

/// `bpf_tail_call`'s helper id.
pub(crate) const TAIL_CALL: i32 = 12;

/// What an instruction did to the tracked value.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Role {
    /// The value was produced here: a helper's return, a load from memory, a constant, the entry.
    Born,
    /// Copied from another register.
    Copied,
    /// Stored to a stack slot.
    Spilled,
    /// Loaded back from a stack slot.
    Filled,
    /// Changed by arithmetic.
    Computed,
    /// Passed as an argument to a bpf-to-bpf call.
    Argument,
    /// Returned by a bpf-to-bpf call.
    Returned,
    /// Overwritten with nothing by a call (`r1`-`r5` after any call).
    Clobbered,
    /// A conditional jump on the path that tests the tracked value.
    Branch,
}

/// One instruction the offending value passed through, with what happened there in words.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Origin {
    pub insn: InsnIdx,
    pub role: Role,
    pub note: String,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Loc {
    Reg(Reg),
    Slot(i16),
}

/// The offending value's history along `walk` (whose last step is the faulting instruction),
/// nearest first: the register `reg` is followed backward until it is born.
pub fn trace(insns: &[Insn], helpers: &HelperTable, walk: &[WalkStep], reg: Reg) -> Vec<Origin> {
    trace_from(insns, helpers, walk, walk.len().saturating_sub(1), reg)
}

/// [`trace`] from position `end` of `walk` (exclusive).
pub fn trace_from(
    insns: &[Insn],
    helpers: &HelperTable,
    walk: &[WalkStep],
    end: usize,
    reg: Reg,
) -> Vec<Origin> {
    let mut res = Vec::new();
    let Some(last) = walk.get(end) else {
        return res;
    };
    let mut depth = last.depth;
    let mut loc = Loc::Reg(reg);
    let mut branch_seen = false;
    for i in (0..end).rev() {
        let step = walk[i];
        let Some(insn) = insns.get(step.insn.idx()) else {
            break;
        };
        let origin = |role, note: String| Origin {
            insn: step.insn,
            role,
            note,
        };
        if step.depth > depth {
            // Inside a callee of the tracked frame: only its return value reaches us.
            if loc == Loc::Reg(Reg::R0) && matches!(insn, Insn::Exit) && step.depth == depth + 1 {
                res.push(origin(
                    Role::Returned,
                    "r0 is returned by the called function here".into(),
                ));
                depth += 1;
            }
            continue;
        }
        if step.depth < depth {
            // Back out past the callee's entry: `insn` is the call.
            match loc {
                Loc::Reg(r) if (1..=5).contains(&r.num()) => {
                    res.push(origin(
                        Role::Argument,
                        format!("{r} is passed to the called function here"),
                    ));
                    depth = step.depth;
                    continue;
                }
                _ => break,
            }
        }
        if let (Loc::Reg(r), Insn::Jmp { dst, src, .. }) = (loc, insn) {
            if !branch_seen && (*dst == r || *src == Operand::Reg(r)) {
                branch_seen = true;
                let taken = walk
                    .get(i + 1)
                    .is_some_and(|n| n.insn != InsnIdx(step.insn.0 + 1));
                let dir = if taken { "jumps" } else { "falls through" };
                res.push(origin(
                    Role::Branch,
                    format!("the failing path {dir} at this test of {r}"),
                ));
                continue;
            }
        }
        let Some((role, note, next)) = effect(insn, helpers, loc) else {
            continue;
        };
        res.push(origin(role, note));
        match next {
            Some(n) => loc = n,
            None => return res,
        }
    }
    if depth == 0 && loc == Loc::Reg(Reg::R1) {
        res.push(Origin {
            insn: InsnIdx(0),
            role: Role::Born,
            note: "r1 holds the context pointer on entry".into(),
        });
    }
    res
}

/// What `insn` did to `loc`, and what to follow before it (`None`: the value was born here).
fn effect(insn: &Insn, helpers: &HelperTable, loc: Loc) -> Option<(Role, String, Option<Loc>)> {
    match (loc, *insn) {
        (
            Loc::Reg(r),
            Insn::Alu {
                op: crate::isa::AluOp::Mov,
                dst,
                src,
                ..
            },
        ) if dst == r => Some(match src {
            Operand::Reg(s) if s == Reg::FP => (
                Role::Born,
                format!("{r} is set to the frame pointer here"),
                None,
            ),
            Operand::Reg(s) => (
                Role::Copied,
                format!("{r} is a copy of {s}"),
                Some(Loc::Reg(s)),
            ),
            Operand::Imm(v) => (Role::Born, format!("{r} is set to {v} here"), None),
        }),
        (Loc::Reg(r), Insn::Alu { dst, .. } | Insn::Neg { dst, .. } | Insn::Endian { dst, .. })
            if dst == r =>
        {
            Some((Role::Computed, format!("{r} is computed here"), Some(loc)))
        }
        (Loc::Reg(r), Insn::MovSx { dst, src, .. }) if dst == r => Some((
            Role::Copied,
            format!("{r} is a sign-extended copy of {src}"),
            Some(Loc::Reg(src)),
        )),
        (Loc::Reg(r), Insn::Load { dst, src, off, .. }) if dst == r => Some(if src == Reg::FP {
            (
                Role::Filled,
                format!("{r} is loaded back from the stack at fp{off:+}"),
                Some(Loc::Slot(off)),
            )
        } else {
            (Role::Born, format!("{r} is loaded from memory here"), None)
        }),
        (Loc::Reg(r), Insn::LdImm64 { dst, .. }) if dst == r => {
            Some((Role::Born, format!("{r} is set here"), None))
        }
        (Loc::Reg(r), Insn::Call(target)) if r.num() <= 5 => Some(call_effect(r, target, helpers)),
        (Loc::Reg(r), Insn::Callx { .. }) if r.num() <= 5 => {
            Some((Role::Clobbered, format!("{r} is set by this call"), None))
        }
        (Loc::Reg(r), Insn::LdAbs { .. } | Insn::LdInd { .. }) if r == Reg::R0 => {
            Some((Role::Born, "r0 is loaded from the packet here".into(), None))
        }
        (Loc::Reg(r), Insn::Atomic { op, src, dst, .. }) => {
            let written = match op {
                AtomicOp::CmpXchg => Some(Reg::R0),
                AtomicOp::LoadAcquire => Some(dst),
                o if o.fetches() => Some(src),
                _ => None,
            };
            (written == Some(r)).then(|| {
                (
                    Role::Born,
                    format!("{r} receives the old memory value here"),
                    None,
                )
            })
        }
        (Loc::Slot(s), Insn::Store { dst, off, src, .. }) if dst == Reg::FP && off == s => {
            Some(match src {
                Operand::Reg(v) => (
                    Role::Spilled,
                    format!("{v} is stored to the stack at fp{off:+}"),
                    Some(Loc::Reg(v)),
                ),
                Operand::Imm(v) => (
                    Role::Born,
                    format!("the stack at fp{off:+} is set to {v} here"),
                    None,
                ),
            })
        }
        _ => None,
    }
}

fn call_effect(r: Reg, target: CallTarget, helpers: &HelperTable) -> (Role, String, Option<Loc>) {
    let name = match target {
        CallTarget::Helper(id) => helpers
            .get(id)
            .map_or_else(|| format!("helper #{id}"), |h| format!("bpf_{}()", h.name)),
        CallTarget::Local(_) => "the called function".to_string(),
        CallTarget::Kfunc { btf_id, .. } => format!("kfunc #{btf_id}"),
    };
    if r == Reg::R0 {
        (
            Role::Born,
            format!("r0 is the value returned by {name}"),
            None,
        )
    } else {
        (
            Role::Clobbered,
            format!("{r} is clobbered by the call to {name}: calls leave r1-r5 unreadable"),
            None,
        )
    }
}

/// The register a finding is about: the first `R<n>` the kernel's message names, else the
/// faulting instruction's pointer or destination operand.
pub fn offending_reg(insn: Option<&Insn>, kernel_message: &str) -> Option<Reg> {
    let bytes = kernel_message.as_bytes();
    for (i, w) in bytes.windows(2).enumerate() {
        let boundary = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
        if boundary && w[0] == b'R' && w[1].is_ascii_digit() {
            let digits: String = kernel_message[i + 1..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            if let Some(r) = digits.parse().ok().and_then(Reg::new) {
                return Some(r);
            }
        }
    }
    match *insn? {
        Insn::Load { src, .. } => Some(src),
        Insn::Store { dst, .. } | Insn::Atomic { dst, .. } => Some(dst),
        Insn::Alu {
            src: Operand::Reg(s),
            ..
        } => Some(s),
        Insn::Alu { dst, .. } | Insn::Neg { dst, .. } => Some(dst),
        Insn::Exit => Some(Reg::R0),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::isa::text::parse_program;

    fn insns(text: &str) -> Vec<Insn> {
        parse_program(text).expect("assembles")
    }

    #[test]
    fn null_deref_is_traced_to_the_lookup_through_a_spill() {
        let p = insns(
            "r2 = r10\nr2 += -0x8\nr1 = 0x0\ncall 0x1\n*(u64 *)(r10 - 0x10) = r0\nr3 = *(u64 *)(r10 - 0x10)\nr4 = r3\nr0 = *(u64 *)(r4 + 0x0)\nexit",
        );
        let w = walk(&p, InsnIdx(7), &[]).expect("a walk");
        assert_eq!(w.len(), 8);
        let t = trace(&p, HelperTable::standard(), &w, Reg::R4);
        let roles: Vec<_> = t.iter().map(|o| (o.insn.0, o.role)).collect();
        assert_eq!(
            roles,
            vec![
                (6, Role::Copied),
                (5, Role::Filled),
                (4, Role::Spilled),
                (3, Role::Born)
            ],
            "{t:#?}"
        );
        assert!(t[3].note.contains("bpf_map_lookup_elem"), "{}", t[3].note);
    }

    #[test]
    fn walk_follows_recorded_decisions() {
        let p = insns("r0 = 0x0\nif r1 == 0x0 goto +0x1\nr0 = 0x1\nr2 = r0\nexit");
        let taken = walk(&p, InsnIdx(3), &[(InsnIdx(1), true)]).expect("walk");
        assert_eq!(
            taken.iter().map(|s| s.insn.0).collect::<Vec<_>>(),
            vec![0, 1, 3]
        );
        let fell = walk(&p, InsnIdx(3), &[(InsnIdx(1), false)]).expect("walk");
        assert_eq!(
            fell.iter().map(|s| s.insn.0).collect::<Vec<_>>(),
            vec![0, 1, 2, 3]
        );
    }

    #[test]
    fn offending_reg_prefers_the_kernel_message() {
        assert_eq!(
            offending_reg(None, "R6 invalid mem access 'scalar'"),
            Some(Reg::R6)
        );
        assert_eq!(
            offending_reg(None, "invalid access to packet, off=0 size=1, R5(id=1)"),
            Some(Reg::R5)
        );
        assert_eq!(
            offending_reg(Some(&Insn::Exit), "BPF_EXIT instruction"),
            Some(Reg::R0)
        );
    }
}
