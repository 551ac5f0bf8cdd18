//! Exception callbacks (Linux 6.7): `__exception_cb(fn)` tags the main program's BTF function
//! with `exception_callback:fn`; libbpf appends `fn` to the program (the loader does the
//! same), and the kernel makes it a subprogram of its own that no call may reach. It runs
//! when the program throws (`bpf_throw`), with the cookie in r1, and what it returns is the
//! program's result.
//!
//! The kernel's rules, with its words (checked on the live 6.18 kernel with exceptions_fail.c):
//! - one tag at most: `multiple exception callback tags for main subprog`;
//! - a global function (libbpf refuses a static one: `exception callback NAME must be a global
//!   non-hidden function`) taking one number: `exception cb only supports single integer
//!   argument`;
//! - no call goes to it: `insn N cannot call exception cb directly` (a walk of the call graph
//!   after verification, dead code included);
//! - no `bpf_throw` in a callback (the exception callback, a `bpf_loop` or timer callback) or
//!   in anything it calls: `bpf_throw kfunc (insn N) cannot be called from callback subprog M`
//!   (the same walk);
//! - its exit is a program exit: r0 must be in the program type's return range.

use crate::btf::Btf;
use crate::cfg::Cfg;
use crate::isa::{CallTarget, Insn, InsnIdx, PseudoSrc};
use crate::verifier::btf_info::{GlobalSig, ParamKind};
use crate::verifier::env::{Input, KernelVersion};
use crate::verifier::violation::{Code, Violation};

/// The first release with exception callbacks.
pub const SINCE: KernelVersion = KernelVersion::new(6, 7);

/// Where the exception callback starts, if the main program names one.
pub fn entry(input: &Input<'_>, kernel: KernelVersion) -> Result<Option<InsnIdx>, Box<Violation>> {
    let (Some(btf), Some(main)) = (input.btf, input.func_info.first()) else {
        return Ok(None);
    };
    if kernel < SINCE {
        return Ok(None);
    }
    let names = tag_values(btf, main.type_id);
    let Some(name) = names.first() else {
        return Ok(None);
    };
    if names.len() > 1 {
        return Err(Violation::new(
            Code::HelperNotAllowed,
            InsnIdx(0),
            format!(
                "the program names {} exception callbacks ({}); it may have one",
                names.len(),
                names.join(", ")
            ),
            "multiple exception callback tags for main subprog",
        ));
    }
    match input.func_info.iter().find(|f| f.name == *name) {
        Some(f) if f.insn != InsnIdx(0) => Ok(Some(f.insn)),
        _ => Err(Violation::new(
            Code::UnsupportedHelper,
            InsnIdx(0),
            format!("the exception callback {name} the program names is not in the object's code"),
            format!("exception callback '{name}' could not be found in BTF"),
        )),
    }
}

fn tag_values(btf: &Btf, func: crate::btf::TypeId) -> Vec<String> {
    btf.decl_tags_of(func)
        .into_iter()
        .filter(|(idx, _)| *idx == -1)
        .filter_map(|(_, t)| t.strip_prefix("exception_callback:").map(str::to_string))
        .collect()
}

/// The callback's signature: a global function of one number, returning a number.
pub fn check_signature(
    input: &Input<'_>,
    entry: InsnIdx,
    sig: Option<&GlobalSig>,
) -> Result<(), Box<Violation>> {
    let Some(sig) = sig else {
        // libbpf refuses the object before the kernel sees it (live 6.18.44 with the system's
        // libbpf: "exception callback NAME must be a global non-hidden function").
        let name = input
            .func_info
            .iter()
            .find(|f| f.insn == entry)
            .map_or("?", |f| f.name.as_str());
        return Err(Violation::new(
            Code::HelperNotAllowed,
            entry,
            format!("the exception callback {name} is a static function; it must be a global one"),
            format!("exception callback {name} must be a global non-hidden function"),
        )
        .with_note("libbpf refuses to load the object"));
    };
    let returns = crate::verifier::btf_info::returns_scalar(input.btf, input.func_info, entry);
    if returns == Some(false) {
        return Err(Violation::new(
            Code::ReturnOutOfRange,
            entry,
            format!(
                "the exception callback {} must return a number (the program's result)",
                sig.name
            ),
            format!(
                "Global function {}() doesn't return scalar. Only those are supported.",
                sig.name
            ),
        ));
    }
    if sig.params.len() == 1 && sig.params[0] == ParamKind::Scalar {
        return Ok(());
    }
    Err(Violation::new(
        Code::HelperArgType,
        entry,
        format!(
            "the exception callback {} must take exactly one number (the cookie bpf_throw passes)",
            sig.name
        ),
        "exception cb only supports single integer argument",
    ))
}

/// The checks of the kernel's call-graph walk: no direct call to the callback, and no
/// `bpf_throw` reachable from a callback.
pub fn check_call_graph(
    input: &Input<'_>,
    cfg: &Cfg,
    cb: Option<InsnIdx>,
) -> Result<(), Box<Violation>> {
    let insns = input.insns;
    if let Some(cb) = cb {
        for (at, insn) in insns.iter().enumerate() {
            if let Insn::Call(CallTarget::Local(imm)) = insn {
                if at as i64 + 1 + i64::from(*imm) == i64::from(cb.0) {
                    return Err(Violation::new(
                        Code::HelperNotAllowed,
                        InsnIdx(at as u32),
                        "the exception callback is called directly; only bpf_throw may run it",
                        format!("insn {at} cannot call exception cb directly"),
                    ));
                }
            }
        }
    }
    let subs = cfg.subprogs();
    // Callbacks: the exception callback and every function whose address the code takes.
    let mut is_cb = vec![false; subs.len()];
    let mut callees: Vec<Vec<usize>> = vec![Vec::new(); subs.len()];
    for (at, insn) in insns.iter().enumerate() {
        let (target, address) = match insn {
            Insn::Call(CallTarget::Local(imm)) => (at as i64 + 1 + i64::from(*imm), false),
            Insn::LdImm64 {
                src: PseudoSrc::Func,
                imm,
                ..
            } => (at as i64 + 1 + i64::from(*imm), true),
            _ => continue,
        };
        let (Some(from), Some(to)) = (
            cfg.subprog_of(InsnIdx(at as u32)),
            u32::try_from(target)
                .ok()
                .and_then(|t| cfg.subprog_at(InsnIdx(t))),
        ) else {
            continue;
        };
        callees[from].push(to);
        is_cb[to] |= address;
    }
    if let Some(i) = cb.and_then(|c| cfg.subprog_at(c)) {
        is_cb[i] = true;
    }
    // Everything a callback reaches.
    let mut in_cb = is_cb.clone();
    let mut work: Vec<usize> = (0..subs.len()).filter(|&i| is_cb[i]).collect();
    while let Some(s) = work.pop() {
        for &c in &callees[s] {
            if !in_cb[c] {
                in_cb[c] = true;
                work.push(c);
            }
        }
    }
    for (at, insn) in insns.iter().enumerate() {
        if !matches!(insn, Insn::Call(CallTarget::Kfunc { .. })) {
            continue;
        }
        let pc = InsnIdx(at as u32);
        if crate::verifier::kfuncs::extern_at(input.relocs, pc) != Some("bpf_throw") {
            continue;
        }
        let Some(sub) = cfg.subprog_of(pc) else {
            continue;
        };
        if in_cb[sub] {
            return Err(Violation::new(
                Code::HelperNotAllowed,
                pc,
                "bpf_throw is reachable from a callback (the exception callback, or a function passed to a helper such as bpf_loop), which may not throw",
                format!("bpf_throw kfunc (insn {at}) cannot be called from callback subprog {sub}"),
            ));
        }
    }
    Ok(())
}
