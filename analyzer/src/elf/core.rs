//! CO-RE ("compile once, run everywhere") relocation: rewrites the instructions a program's
//! `.BTF.ext` CO-RE records point at so that they use the offsets, sizes and values of a
//! *target* BTF (normally the kernel's `/sys/kernel/btf/vmlinux`) instead of the ones the
//! compiler took from the object's own ("local") BTF. Mirrors libbpf's `relo_core.c`
//! (`bpf_core_calc_relo_insn` and `bpf_core_patch_insn`); differences are listed at the end.
//!
//! Mechanics, for one record `{ insn, type_id, access, kind }`:
//! 1. *Local spec.* The access string `"0:1:2"` is parsed against the local BTF: the first
//!    number indexes an array of the root type, each further number is a member index of a
//!    struct/union or an element index of an array. Named members become *accessors*
//!    (matched by name later), anonymous ones only add their offset. Example, with
//!    `struct s { int a; struct { int b; int c; }; }` and access `"0:1:1"`: accessors
//!    `[root[0], c]`, bit offset `32 + 32 = 64`.
//! 2. *Candidates.* Every target type of the same kind as the local root whose *essential
//!    name* (the name up to a `___flavour` suffix) equals the local one's:
//!    `task_struct___old` looks for `task_struct`.
//! 3. *Matching.* Each candidate is walked along the local accessors, matching members by
//!    name and descending into anonymous structs/unions on the way (as libbpf's
//!    `bpf_core_match_member`), checking that the field types are compatible; type-based
//!    kinds check whole-type compatibility, enum-based kinds look for the enumerator by
//!    essential name.
//! 4. *Value.* The local spec gives the value the compiler put in the instruction (checked,
//!    as libbpf does), each matching candidate the new one; candidates that disagree are an
//!    error. With no match, the `*_EXISTS` kinds and all type-based kinds get 0; the others
//!    *poison* the instruction: it becomes `call 0xbad2310` (both slots of a `lddw`), a helper
//!    that does not exist, so the verifier rejects the program only if that instruction is
//!    reachable (programs guard such accesses with `bpf_core_field_exists`).
//! 5. *Patch.* Loads, stores and atomics get a new `off` (and a new access size when the
//!    field's size changed and the change is value-preserving); ALU instructions with an
//!    immediate get a new `imm`; `lddw` of a plain constant gets a new 64-bit immediate.
//!
//! Supported kinds: every field kind (`byte_off`, `byte_sz`, `field_exists`, `signed`,
//! `lshift_u64`, `rshift_u64`), `local_type_id`, `target_type_id`, `type_exists`,
//! `type_size`, `enumval_exists`, `enumval_value`. `type_matches` (libbpf's stricter
//! `bpf_core_types_match`) and unknown kind numbers return [`CoreErrorKind::Unsupported`].
//!
//! Differences from libbpf: only one target BTF is searched (libbpf also searches kernel
//! module BTFs); the candidate cache (libbpf narrows a local type's candidate list to the ones
//! that matched the previous record of that type) is per call, i.e. per program, where libbpf
//! keeps it per object; records are applied in instruction order, libbpf in file order.
//!
//! Limits: matching recurses only through anonymous members and function prototypes, bounded
//! by libbpf's spec length [`MAX_SPEC_LEN`] and by [`MAX_RESOLVE_DEPTH`], so crafted BTF
//! cannot exhaust the stack; no input makes this panic.

use crate::btf::ext::CoreReloKind;
use crate::btf::{Btf, BtfKind, IntEncoding, TypeId, MAX_RESOLVE_DEPTH};
use crate::isa::{CallTarget, Insn, InsnIdx, Operand, PseudoSrc, Size};
use crate::program::{CoreRelo, Program};
use std::collections::HashMap;
use std::fmt;

/// The helper id libbpf writes into a poisoned instruction (`call 0xbad2310`); no such helper
/// exists, so the kernel (and our verifier) reject it if the instruction is reachable.
pub const POISON_HELPER_ID: i32 = 0x0bad_2310;

/// libbpf's `BPF_CORE_SPEC_MAX_LEN`: the longest access string and matched member path.
pub const MAX_SPEC_LEN: usize = 64;

/// Why a CO-RE record could not be applied. Any of these makes libbpf refuse to load the
/// object; poisoning (no candidate) is not an error.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct CoreError {
    /// The instruction the record points at.
    pub insn: InsnIdx,
    pub relo_kind: CoreReloKind,
    /// The record's access string and local type, for messages.
    pub access: String,
    pub type_name: String,
    pub kind: CoreErrorKind,
}

/// What went wrong with a CO-RE record.
#[derive(Clone, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum CoreErrorKind {
    /// A kind we do not implement (`type_matches`) or an unknown kind number.
    Unsupported,
    /// The access string is malformed or does not fit the local type.
    BadAccess { what: &'static str },
    /// The local or a target type is dangling, unsized or nested too deeply.
    BadType { what: &'static str },
    /// The local root type is anonymous (libbpf cannot search candidates for it either).
    AnonymousType,
    /// Two candidates give different results (libbpf's "ambiguity" errors).
    Ambiguous { first: TypeId, second: TypeId },
    /// The instruction is not one CO-RE can patch (or not one this kind applies to).
    BadInsn { what: &'static str },
    /// The instruction does not hold the value the local BTF says the compiler put there.
    UnexpectedValue { found: i64, expected: u64 },
    /// The new offset does not fit the instruction's `off` field.
    ValueTooBig { value: u64 },
    /// A bitfield that no single load of at most 8 bytes covers.
    BitfieldTooWide,
}

impl fmt::Display for CoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "CO-RE relocation <{}> of [{}] '{}' access {:?} at insn {}: ",
            self.relo_kind.name(),
            self.type_name,
            self.type_name,
            self.access,
            self.insn
        )?;
        match &self.kind {
            CoreErrorKind::Unsupported => write!(f, "unsupported CO-RE kind"),
            CoreErrorKind::BadAccess { what } => write!(f, "bad access string: {what}"),
            CoreErrorKind::BadType { what } => write!(f, "bad type: {what}"),
            CoreErrorKind::AnonymousType => write!(f, "anonymous local types are not supported"),
            CoreErrorKind::Ambiguous { first, second } => write!(
                f,
                "ambiguous: target types [{first}] and [{second}] give different results"
            ),
            CoreErrorKind::BadInsn { what } => write!(f, "cannot patch instruction: {what}"),
            CoreErrorKind::UnexpectedValue { found, expected } => write!(
                f,
                "instruction holds {found}, expected {expected} from the local BTF"
            ),
            CoreErrorKind::ValueTooBig { value } => {
                write!(f, "value {value} does not fit the instruction")
            }
            CoreErrorKind::BitfieldTooWide => write!(f, "bitfield cannot be read with one load"),
        }
    }
}

impl std::error::Error for CoreError {}

/// What one record did.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct CoreOutcome {
    pub insn: InsnIdx,
    pub relo_kind: CoreReloKind,
    /// The value computed from the local BTF (what the compiler emitted).
    pub local_val: u64,
    /// The value written into the instruction (0 when poisoned).
    pub target_val: u64,
    /// The target type that matched (the first, when several agree); `None` when none did.
    pub target_type: Option<TypeId>,
    /// The instruction was replaced by `call` [`POISON_HELPER_ID`].
    pub poisoned: bool,
}

/// A relocated program and what each of its CO-RE records did, in instruction order.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Relocated {
    pub program: Program,
    pub outcomes: Vec<CoreOutcome>,
}

impl Relocated {
    /// The instructions replaced by a poison call.
    pub fn poisoned(&self) -> impl Iterator<Item = InsnIdx> + '_ {
        self.outcomes.iter().filter(|o| o.poisoned).map(|o| o.insn)
    }
}

/// Applies every CO-RE record of `prog` (its [`Program::core_relos`], whose type ids are in
/// `local`, the object's `.BTF`) against `target`, as libbpf does at load time. The records
/// stay listed in the result; relocating a relocated program again fails the value check.
pub fn relocate(prog: &Program, local: &Btf, target: &Btf) -> Result<Relocated, CoreError> {
    let mut program = prog.clone();
    let mut outcomes = Vec::with_capacity(prog.core_relos().len());
    let mut cx = Cx {
        local,
        target,
        by_name: None,
        cands: HashMap::new(),
    };
    for relo in prog.core_relos() {
        let err = |kind| CoreError {
            insn: relo.insn,
            relo_kind: relo.kind,
            access: relo.access.clone(),
            type_name: relo.type_name.clone(),
            kind,
        };
        let res = cx.calc(relo).map_err(err)?;
        let poisoned = patch(program.insns_mut(), relo.insn, &res).map_err(err)?;
        outcomes.push(CoreOutcome {
            insn: relo.insn,
            relo_kind: relo.kind,
            local_val: res.orig_val,
            target_val: if poisoned { 0 } else { res.new_val },
            target_type: res.target_type,
            poisoned,
        });
    }
    Ok(Relocated { program, outcomes })
}

type Res<T> = Result<T, CoreErrorKind>;

fn bad_type(what: &'static str) -> CoreErrorKind {
    CoreErrorKind::BadType { what }
}

fn bad_access(what: &'static str) -> CoreErrorKind {
    CoreErrorKind::BadAccess { what }
}

/// `acc + idx * bytes * 8`, the bit offset of element `idx` of `bytes`-byte elements after
/// `acc`; crafted BTF can make it overflow, which is an error rather than a wrap (libbpf
/// computes it in 32 bits and would wrap).
fn add_elem_bits(acc: u64, idx: u32, bytes: u64) -> Res<u64> {
    u64::from(idx)
        .checked_mul(bytes)
        .and_then(|b| b.checked_mul(8))
        .and_then(|b| b.checked_add(acc))
        .ok_or(bad_type("offset overflows"))
}

/// The three families of kinds, as libbpf's `core_relo_is_*_based`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Family {
    Field,
    Type,
    Enumval,
}

fn family(kind: CoreReloKind) -> Option<Family> {
    use CoreReloKind::*;
    match kind {
        FieldByteOffset | FieldByteSize | FieldExists | FieldSigned | FieldLshiftU64
        | FieldRshiftU64 => Some(Family::Field),
        TypeIdLocal | TypeIdTarget | TypeExists | TypeSize | TypeMatches => Some(Family::Type),
        EnumvalExists | EnumvalValue => Some(Family::Enumval),
        Unknown(_) => None,
    }
}

/// `bpf_core_essential_name_len`: the name without a `___flavour` suffix. The separator is
/// the last `X___Y` where neither `X` nor `Y` is an underscore.
pub fn essential_name(name: &str) -> &str {
    let b = name.as_bytes();
    let n = b.len();
    if n >= 5 {
        for i in (0..=n - 5).rev() {
            if b[i] != b'_' && &b[i + 1..i + 4] == b"___" && b[i + 4] != b'_' {
                return &name[..=i];
            }
        }
    }
    name
}

/// One step of an access path (libbpf's `bpf_core_accessor`): member `idx` of the aggregate
/// `type_id` when `name` is set, else element `idx` of an array whose element is `type_id`.
/// For enum kinds, enumerator `idx` of the enum `type_id`, with its name.
#[derive(Clone, Copy, Debug)]
struct Accessor<'a> {
    type_id: TypeId,
    idx: u32,
    name: Option<&'a str>,
}

/// A resolved access path in one BTF (libbpf's `bpf_core_spec`).
#[derive(Clone, Debug)]
struct Spec<'a> {
    btf: &'a Btf,
    root: TypeId,
    acc: Vec<Accessor<'a>>,
    raw_len: usize,
    bit_offset: u64,
}

impl<'a> Spec<'a> {
    fn new(btf: &'a Btf, root: TypeId) -> Spec<'a> {
        Spec {
            btf,
            root,
            acc: Vec::new(),
            raw_len: 0,
            bit_offset: 0,
        }
    }
}

/// `skip_mods_and_typedefs`: the id reached and its type (`None` type for `void`).
fn skip(btf: &Btf, id: TypeId) -> Res<(TypeId, Option<&BtfKind>)> {
    let id = btf.resolve(id).ok_or(bad_type("dangling or cyclic type"))?;
    if id == TypeId::VOID {
        return Ok((id, None));
    }
    let ty = btf.type_by_id(id).ok_or(bad_type("dangling type"))?;
    Ok((id, Some(&ty.kind)))
}

/// `btf__resolve_size`.
fn size(btf: &Btf, id: TypeId) -> Res<u64> {
    btf.size_of(id).ok_or(bad_type("unsized type"))
}

/// The kind name of `id` (`"void"` for 0), the unit of libbpf's kind comparisons.
fn kind_name(btf: &Btf, id: TypeId) -> Res<&'static str> {
    if id == TypeId::VOID {
        return Ok("void");
    }
    Ok(btf
        .type_by_id(id)
        .ok_or(bad_type("dangling type"))?
        .kind_name())
}

/// `btf_kind_core_compat`: the same kind, or both enums of either width.
fn kinds_compat(a: &str, b: &str) -> bool {
    let is_enum = |k: &str| k == "enum" || k == "enum64";
    a == b || (is_enum(a) && is_enum(b))
}

fn is_composite(kind: Option<&BtfKind>) -> bool {
    matches!(kind, Some(BtfKind::Struct { .. } | BtfKind::Union { .. }))
}

fn members_of(kind: Option<&BtfKind>) -> &[crate::btf::Member] {
    match kind {
        Some(BtfKind::Struct { members, .. } | BtfKind::Union { members, .. }) => members,
        _ => &[],
    }
}

/// The name offsets of an enum's enumerators (`None` for other kinds).
fn enum_names(kind: Option<&BtfKind>) -> Option<Vec<u32>> {
    match kind {
        Some(BtfKind::Enum { values, .. } | BtfKind::Enum64 { values, .. }) => {
            Some(values.iter().map(|v| v.name_off).collect())
        }
        _ => None,
    }
}

/// `is_flex_arr`: an array of 0 elements that is the last member of the struct accessed by
/// `prev`.
fn is_flex_arr(btf: &Btf, prev: Option<&Accessor<'_>>, nelems: u32) -> bool {
    let Some(prev) = prev else { return false };
    if prev.name.is_none() || nelems > 0 {
        return false;
    }
    let n = btf
        .type_by_id(prev.type_id)
        .map_or(0, |t| t.members().len());
    prev.idx as usize + 1 == n
}

/// `bpf_core_parse_spec`: the local access path of a record.
fn parse_spec<'a>(btf: &'a Btf, relo: &CoreRelo, family: Family) -> Res<Spec<'a>> {
    let s = relo.access.as_str();
    if s.is_empty() || s.starts_with(':') {
        return Err(bad_access("empty"));
    }
    let mut spec = Spec::new(btf, relo.type_id);
    if family == Family::Type {
        return if s == "0" {
            Ok(spec)
        } else {
            Err(bad_access("type-based relocation with an access path"))
        };
    }
    let mut raw = Vec::new();
    for part in s.split(':') {
        let n: u32 = part.parse().map_err(|_| bad_access("not a number"))?;
        if raw.len() == MAX_SPEC_LEN {
            return Err(bad_access("too long"));
        }
        raw.push(n);
    }
    spec.raw_len = raw.len();
    let (mut id, kind) = skip(btf, relo.type_id)?;
    let first = raw[0];
    if family == Family::Enumval {
        let names = enum_names(kind).ok_or(bad_access("enumval relocation of a non-enum"))?;
        if raw.len() > 1 {
            return Err(bad_access("enumval relocation with a path"));
        }
        let name_off = *names
            .get(first as usize)
            .ok_or(bad_access("enumerator index out of range"))?;
        spec.acc.push(Accessor {
            type_id: id,
            idx: first,
            name: Some(btf.str_at(name_off).unwrap_or("")),
        });
        return Ok(spec);
    }
    spec.acc.push(Accessor {
        type_id: id,
        idx: first,
        name: None,
    });
    spec.bit_offset = add_elem_bits(0, first, size(btf, id)?)?;
    for &idx in &raw[1..] {
        let (skipped, kind) = skip(btf, id)?;
        id = skipped;
        match kind {
            Some(BtfKind::Struct { members, .. } | BtfKind::Union { members, .. }) => {
                let m = members
                    .get(idx as usize)
                    .ok_or(bad_access("member index out of range"))?;
                spec.bit_offset = spec
                    .bit_offset
                    .checked_add(u64::from(m.bit_offset))
                    .ok_or(bad_type("offset overflows"))?;
                if m.name_off != 0 {
                    let name = btf.member_name(m);
                    if name.is_empty() {
                        return Err(bad_type("member name is empty"));
                    }
                    spec.acc.push(Accessor {
                        type_id: id,
                        idx,
                        name: Some(name),
                    });
                }
                id = m.ty;
            }
            Some(&BtfKind::Array { elem, nelems, .. }) => {
                let flex = is_flex_arr(btf, spec.acc.last(), nelems);
                id = skip(btf, elem)?.0;
                if !flex && idx >= nelems {
                    return Err(bad_access("array index out of range"));
                }
                spec.acc.push(Accessor {
                    type_id: id,
                    idx,
                    name: None,
                });
                spec.bit_offset = add_elem_bits(spec.bit_offset, idx, size(btf, id)?)?;
            }
            _ => {
                return Err(bad_access(
                    "path goes through a type that is not an aggregate",
                ))
            }
        }
    }
    Ok(spec)
}

/// `bpf_core_fields_are_compat`.
fn fields_compat(lb: &Btf, mut lid: TypeId, tb: &Btf, mut tid: TypeId) -> Res<bool> {
    for _ in 0..MAX_RESOLVE_DEPTH {
        let (l, lk) = skip(lb, lid)?;
        let (t, tk) = skip(tb, tid)?;
        let (Some(lk), Some(tk)) = (lk, tk) else {
            // libbpf reads `void` as a type of kind "unknown", compatible with nothing here.
            return Ok(false);
        };
        if is_composite(Some(lk)) && is_composite(Some(tk)) {
            return Ok(true);
        }
        if !kinds_compat(kind_name(lb, l)?, kind_name(tb, t)?) {
            return Ok(false);
        }
        match (lk, tk) {
            (BtfKind::Ptr { .. }, _) | (BtfKind::Float { .. }, _) => return Ok(true),
            (
                BtfKind::Fwd { .. } | BtfKind::Enum { .. } | BtfKind::Enum64 { .. },
                BtfKind::Fwd { .. } | BtfKind::Enum { .. } | BtfKind::Enum64 { .. },
            ) => {
                let ln = essential_name(lb.name_of(l));
                let tn = essential_name(tb.name_of(t));
                return Ok(ln.is_empty() || tn.is_empty() || ln == tn);
            }
            (BtfKind::Int { bit_offset: lo, .. }, BtfKind::Int { bit_offset: to, .. }) => {
                return Ok(*lo == 0 && *to == 0)
            }
            (BtfKind::Array { elem: le, .. }, BtfKind::Array { elem: te, .. }) => {
                lid = *le;
                tid = *te;
            }
            _ => return Ok(false),
        }
    }
    Err(bad_type("array nesting too deep"))
}

/// `__bpf_core_types_are_compat`, with the recursion into function prototypes bounded by
/// `level`.
fn types_compat(lb: &Btf, mut lid: TypeId, tb: &Btf, mut tid: TypeId, level: usize) -> Res<bool> {
    if !kinds_compat(kind_name(lb, lid)?, kind_name(tb, tid)?) {
        return Ok(false);
    }
    for _ in 0..MAX_RESOLVE_DEPTH {
        let (l, lk) = skip(lb, lid)?;
        let (t, tk) = skip(tb, tid)?;
        if !kinds_compat(kind_name(lb, l)?, kind_name(tb, t)?) {
            return Ok(false);
        }
        let (Some(lk), Some(tk)) = (lk, tk) else {
            // Both `void`.
            return Ok(true);
        };
        match (lk, tk) {
            (
                BtfKind::Struct { .. }
                | BtfKind::Union { .. }
                | BtfKind::Enum { .. }
                | BtfKind::Enum64 { .. }
                | BtfKind::Fwd { .. },
                _,
            ) => return Ok(true),
            (BtfKind::Int { bit_offset: lo, .. }, BtfKind::Int { bit_offset: to, .. }) => {
                return Ok(*lo == 0 && *to == 0)
            }
            (BtfKind::Ptr { ty: lt }, BtfKind::Ptr { ty: tt }) => {
                lid = *lt;
                tid = *tt;
            }
            (BtfKind::Array { elem: le, .. }, BtfKind::Array { elem: te, .. }) => {
                lid = *le;
                tid = *te;
            }
            (
                BtfKind::FuncProto {
                    ret: lr,
                    params: lp,
                },
                BtfKind::FuncProto {
                    ret: tr,
                    params: tp,
                },
            ) => {
                if lp.len() != tp.len() {
                    return Ok(false);
                }
                for (a, b) in lp.iter().zip(tp) {
                    if level == 0 {
                        return Err(bad_type("function prototypes nested too deeply"));
                    }
                    let a = skip(lb, a.ty)?.0;
                    let b = skip(tb, b.ty)?.0;
                    if !types_compat(lb, a, tb, b, level - 1)? {
                        return Ok(false);
                    }
                }
                lid = skip(lb, *lr)?.0;
                tid = skip(tb, *tr)?.0;
            }
            _ => return Ok(false),
        }
    }
    Err(bad_type("type chain too deep"))
}

/// `bpf_core_match_member`: finds the target member named like local accessor `lacc` in the
/// aggregate `tid`, looking through anonymous members; on success pushes its accessor onto
/// `spec` and returns the member's type. Recursion depth is bounded by [`MAX_SPEC_LEN`].
fn match_member<'a>(
    lb: &Btf,
    lacc: &Accessor<'_>,
    tb: &'a Btf,
    tid: TypeId,
    spec: &mut Spec<'a>,
) -> Res<Option<TypeId>> {
    let (tid, tk) = skip(tb, tid)?;
    if !is_composite(tk) {
        return Ok(None);
    }
    let local_member = lb
        .type_by_id(lacc.type_id)
        .and_then(|t| t.members().get(lacc.idx as usize))
        .ok_or(bad_type("local member vanished"))?;
    let local_name = lacc.name.unwrap_or("");
    for (i, m) in members_of(tk).iter().enumerate() {
        if spec.raw_len == MAX_SPEC_LEN {
            return Err(bad_access("member path too long"));
        }
        // Member offsets are below 2^24 and paths at most `MAX_SPEC_LEN` long: no overflow.
        spec.bit_offset += u64::from(m.bit_offset);
        spec.raw_len += 1;
        let name = tb.member_name(m);
        if name.is_empty() {
            // An anonymous struct/union: look inside.
            if let Some(found) = match_member(lb, lacc, tb, m.ty, spec)? {
                return Ok(Some(found));
            }
        } else if name == local_name {
            if !fields_compat(lb, local_member.ty, tb, m.ty)? {
                return Ok(None);
            }
            spec.acc.push(Accessor {
                type_id: tid,
                idx: i as u32,
                name: Some(name),
            });
            return Ok(Some(m.ty));
        }
        spec.bit_offset -= u64::from(m.bit_offset);
        spec.raw_len -= 1;
    }
    Ok(None)
}

/// `bpf_core_spec_match`: the target spec of candidate `cand`, or `None` when it does not
/// match.
fn spec_match<'a>(
    local: &Spec<'_>,
    family: Family,
    tb: &'a Btf,
    cand: TypeId,
) -> Res<Option<Spec<'a>>> {
    let mut spec = Spec::new(tb, cand);
    match family {
        Family::Type => {
            let ok = types_compat(local.btf, local.root, tb, cand, MAX_RESOLVE_DEPTH)?;
            return Ok(ok.then_some(spec));
        }
        Family::Enumval => {
            let (tid, tk) = skip(tb, cand)?;
            let Some(names) = enum_names(tk) else {
                return Ok(None);
            };
            let lname = essential_name(local.acc[0].name.unwrap_or(""));
            for (i, &off) in names.iter().enumerate() {
                let tname = tb.str_at(off).unwrap_or("");
                if essential_name(tname) == lname {
                    spec.acc.push(Accessor {
                        type_id: tid,
                        idx: i as u32,
                        name: Some(tname),
                    });
                    spec.raw_len = 1;
                    return Ok(Some(spec));
                }
            }
            return Ok(None);
        }
        Family::Field => {}
    }
    let mut tid = cand;
    for (i, lacc) in local.acc.iter().enumerate() {
        let (skipped, tk) = skip(tb, tid)?;
        tid = skipped;
        if lacc.name.is_some() {
            match match_member(local.btf, lacc, tb, tid, &mut spec)? {
                Some(next) => tid = next,
                None => return Ok(None),
            }
            continue;
        }
        if i > 0 {
            let Some(&BtfKind::Array { elem, nelems, .. }) = tk else {
                return Ok(None);
            };
            let flex = is_flex_arr(tb, spec.acc.last(), nelems);
            if !flex && lacc.idx >= nelems {
                return Ok(None);
            }
            tid = skip(tb, elem)?.0;
        }
        if spec.raw_len == MAX_SPEC_LEN {
            return Err(bad_access("member path too long"));
        }
        spec.acc.push(Accessor {
            type_id: tid,
            idx: lacc.idx,
            name: None,
        });
        spec.raw_len += 1;
        spec.bit_offset = add_elem_bits(spec.bit_offset, lacc.idx, size(tb, tid)?)?;
    }
    Ok(Some(spec))
}

/// The result of one record against one spec (libbpf's `bpf_core_relo_res`, one side).
#[derive(Clone, Copy, Default, Debug)]
struct Value {
    val: u64,
    /// For `byte_off`: the size of the accessed field (innermost array element), and its
    /// type, to adjust the access size of loads and stores.
    field_sz: u64,
    field_type: TypeId,
    validate: bool,
}

/// `Ok(None)` asks for poisoning (libbpf's `-EUCLEAN`).
fn field_value(kind: CoreReloKind, spec: Option<&Spec<'_>>) -> Res<Option<Value>> {
    use CoreReloKind::*;
    let mut res = Value::default();
    if kind == FieldExists {
        res.val = u64::from(spec.is_some());
        res.validate = true;
        return Ok(Some(res));
    }
    let Some(spec) = spec else { return Ok(None) };
    let btf = spec.btf;
    let acc = spec.acc.last().ok_or(bad_access("empty"))?;
    if acc.name.is_none() {
        // An array element `a[n]`.
        res.validate = true;
        match kind {
            FieldByteOffset => {
                res.val = spec.bit_offset / 8;
                res.field_sz = size(btf, innermost_elem(btf, acc.type_id)?)?;
                res.field_type = acc.type_id;
            }
            FieldByteSize => res.val = size(btf, acc.type_id)?,
            _ => return Err(bad_access("this kind cannot apply to an array element")),
        }
        return Ok(Some(res));
    }
    let m = btf
        .type_by_id(acc.type_id)
        .and_then(|t| t.members().get(acc.idx as usize))
        .ok_or(bad_type("member vanished"))?;
    let (field_type, mt) = skip(btf, m.ty)?;
    let bit_off = spec.bit_offset;
    let mut bit_sz = u64::from(m.bitfield_size);
    let bitfield = bit_sz > 0;
    let (byte_off, byte_sz);
    if bitfield {
        let mut sz = size(btf, field_type)?;
        if sz == 0 {
            return Err(bad_type("zero-sized bitfield type"));
        }
        let mut off = bit_off / 8 / sz * sz;
        let end = bit_off
            .checked_add(bit_sz)
            .ok_or(bad_type("offset overflows"))?;
        while end - off * 8 > sz.saturating_mul(8) {
            if sz >= 8 {
                return Err(CoreErrorKind::BitfieldTooWide);
            }
            sz *= 2;
            off = bit_off / 8 / sz * sz;
        }
        byte_off = off;
        byte_sz = sz;
    } else {
        byte_sz = size(btf, field_type)?;
        byte_off = bit_off / 8;
        bit_sz = byte_sz * 8;
    }
    res.validate = !bitfield;
    match kind {
        FieldByteOffset => {
            res.val = byte_off;
            if !bitfield {
                res.field_sz = size(btf, innermost_elem(btf, field_type)?)?;
                res.field_type = field_type;
            }
        }
        FieldByteSize => res.val = byte_sz,
        FieldSigned => {
            res.val = u64::from(match mt {
                Some(BtfKind::Enum { signed, .. } | BtfKind::Enum64 { signed, .. }) => *signed,
                Some(BtfKind::Int { encoding, .. }) => encoding.signed,
                _ => false,
            });
            res.validate = true;
        }
        FieldLshiftU64 => {
            // Little-endian: bits above the field's end.
            res.val = 64u64.wrapping_sub((bit_off - byte_off * 8).wrapping_add(bit_sz));
        }
        FieldRshiftU64 => {
            res.val = 64u64.wrapping_sub(bit_sz);
            res.validate = true;
        }
        _ => return Err(CoreErrorKind::Unsupported),
    }
    Ok(Some(res))
}

/// Follows arrays (through modifiers) to their innermost element type.
fn innermost_elem(btf: &Btf, id: TypeId) -> Res<TypeId> {
    let mut id = skip(btf, id)?.0;
    for _ in 0..MAX_RESOLVE_DEPTH {
        match skip(btf, id)?.1 {
            Some(&BtfKind::Array { elem, .. }) => id = skip(btf, elem)?.0,
            _ => return Ok(id),
        }
    }
    Err(bad_type("array nesting too deep"))
}

/// `bpf_core_calc_type_relo`: type-based kinds give 0 with no match, never poison.
fn type_value(kind: CoreReloKind, spec: Option<&Spec<'_>>) -> Res<Value> {
    use CoreReloKind::*;
    let mut res = Value {
        validate: true,
        ..Value::default()
    };
    let Some(spec) = spec else { return Ok(res) };
    match kind {
        TypeIdTarget => {
            res.val = u64::from(spec.root.0);
            res.validate = false;
        }
        TypeExists | TypeMatches => res.val = 1,
        TypeSize => res.val = size(spec.btf, spec.root)?,
        _ => return Err(CoreErrorKind::Unsupported),
    }
    Ok(res)
}

/// `bpf_core_calc_enumval_relo`. `Ok(None)` asks for poisoning.
fn enumval_value(kind: CoreReloKind, spec: Option<&Spec<'_>>) -> Res<Option<Value>> {
    let mut res = Value {
        validate: true,
        ..Value::default()
    };
    match kind {
        CoreReloKind::EnumvalExists => res.val = u64::from(spec.is_some()),
        CoreReloKind::EnumvalValue => {
            let Some(spec) = spec else { return Ok(None) };
            let acc = spec.acc[0];
            let ty = spec.btf.type_by_id(acc.type_id).map(|t| &t.kind);
            res.val = match ty {
                // libbpf reads a 32-bit enumerator as `__s32` and sign-extends it.
                Some(BtfKind::Enum { values, .. }) => values
                    .get(acc.idx as usize)
                    .map(|v| i64::from(v.val as i32) as u64),
                Some(BtfKind::Enum64 { values, .. }) => {
                    values.get(acc.idx as usize).map(|v| v.val as u64)
                }
                _ => None,
            }
            .ok_or(bad_type("enumerator vanished"))?;
        }
        _ => return Err(CoreErrorKind::Unsupported),
    }
    Ok(Some(res))
}

/// What to do to the instruction (libbpf's `bpf_core_relo_res`).
#[derive(Clone, Copy, Debug)]
struct RelocRes {
    orig_val: u64,
    new_val: u64,
    orig_sz: u64,
    new_sz: u64,
    validate: bool,
    poison: bool,
    fail_memsz_adjust: bool,
    target_type: Option<TypeId>,
    bit_offset: u64,
}

/// Whether a load or store may change size from `orig` (local) to `new` (target) without
/// changing the value read: both pointers, or both unsigned integers (zero extension).
fn memsz_adjust_ok(lb: &Btf, orig: TypeId, tb: &Btf, new: TypeId) -> bool {
    let unsigned = |e: &IntEncoding| !(e.signed && !e.char && !e.bool);
    match (
        lb.type_by_id(orig).map(|t| &t.kind),
        tb.type_by_id(new).map(|t| &t.kind),
    ) {
        (Some(BtfKind::Ptr { .. }), Some(BtfKind::Ptr { .. })) => true,
        (Some(BtfKind::Int { encoding: a, .. }), Some(BtfKind::Int { encoding: b, .. })) => {
            unsigned(a) && unsigned(b)
        }
        _ => false,
    }
}

/// `bpf_core_calc_relo`: the result of `local` against one target spec (`None`: no match).
fn calc_relo(
    kind: CoreReloKind,
    family: Family,
    local: &Spec<'_>,
    targ: Option<&Spec<'_>>,
) -> Res<RelocRes> {
    let mut res = RelocRes {
        orig_val: 0,
        new_val: 0,
        orig_sz: 0,
        new_sz: 0,
        validate: true,
        poison: false,
        fail_memsz_adjust: false,
        target_type: targ.map(|t| t.root),
        bit_offset: targ.map_or(0, |t| t.bit_offset),
    };
    match family {
        Family::Field => {
            let orig = field_value(kind, Some(local))?.ok_or(bad_type("local spec"))?;
            res.orig_val = orig.val;
            res.orig_sz = orig.field_sz;
            res.validate = orig.validate;
            match field_value(kind, targ)? {
                None => res.poison = true,
                Some(new) => {
                    res.new_val = new.val;
                    res.new_sz = new.field_sz;
                    if let (true, Some(targ)) = (res.orig_sz != res.new_sz, targ) {
                        res.fail_memsz_adjust =
                            !memsz_adjust_ok(local.btf, orig.field_type, targ.btf, new.field_type);
                    }
                }
            }
        }
        Family::Type => {
            let orig = type_value(kind, Some(local))?;
            res.orig_val = orig.val;
            res.validate = orig.validate;
            res.new_val = type_value(kind, targ)?.val;
        }
        Family::Enumval => {
            let orig = enumval_value(kind, Some(local))?.ok_or(bad_type("local spec"))?;
            res.orig_val = orig.val;
            match enumval_value(kind, targ)? {
                None => res.poison = true,
                Some(new) => res.new_val = new.val,
            }
        }
    }
    Ok(res)
}

/// Per-call state: the target's types indexed by (kind, essential name), built on first use,
/// and libbpf's candidate cache.
struct Cx<'a> {
    local: &'a Btf,
    target: &'a Btf,
    by_name: Option<HashMap<(&'static str, &'a str), Vec<TypeId>>>,
    cands: HashMap<TypeId, Vec<TypeId>>,
}

/// Enum and enum64 are one candidate class (`btf_kind_core_compat`).
fn cand_class(kind: &'static str) -> &'static str {
    if kind == "enum64" {
        "enum"
    } else {
        kind
    }
}

impl<'a> Cx<'a> {
    /// `bpf_core_find_cands`: target types of a compatible kind with the same essential name.
    fn candidates(&mut self, local_id: TypeId, kind: &'static str, name: &str) -> Vec<TypeId> {
        if let Some(c) = self.cands.get(&local_id) {
            return c.clone();
        }
        let target = self.target;
        let index = self.by_name.get_or_insert_with(|| {
            let mut m: HashMap<_, Vec<TypeId>> = HashMap::new();
            for (id, t) in target.types() {
                let n = target.name(t);
                if !n.is_empty() {
                    m.entry((cand_class(t.kind_name()), essential_name(n)))
                        .or_default()
                        .push(id);
                }
            }
            m
        });
        index
            .get(&(cand_class(kind), essential_name(name)))
            .cloned()
            .unwrap_or_default()
    }

    /// `bpf_core_calc_relo_insn`.
    fn calc(&mut self, relo: &CoreRelo) -> Res<RelocRes> {
        let family = family(relo.kind).ok_or(CoreErrorKind::Unsupported)?;
        if relo.kind == CoreReloKind::TypeMatches {
            return Err(CoreErrorKind::Unsupported);
        }
        let local_ty = self
            .local
            .type_by_id(relo.type_id)
            .ok_or(bad_type("local type id out of range"))?;
        let local_kind = local_ty.kind_name();
        let local_name = self.local.name(local_ty);
        let local = parse_spec(self.local, relo, family)?;
        if relo.kind == CoreReloKind::TypeIdLocal {
            let v = u64::from(relo.type_id.0);
            return Ok(RelocRes {
                orig_val: v,
                new_val: v,
                orig_sz: 0,
                new_sz: 0,
                validate: false,
                poison: false,
                fail_memsz_adjust: false,
                target_type: None,
                bit_offset: 0,
            });
        }
        if local_name.is_empty() {
            return Err(CoreErrorKind::AnonymousType);
        }
        let cands = self.candidates(relo.type_id, local_kind, local_name);
        let mut matched = Vec::new();
        let mut best: Option<RelocRes> = None;
        for &cand in &cands {
            let Some(targ) = spec_match(&local, family, self.target, cand)? else {
                continue;
            };
            let res = calc_relo(relo.kind, family, &local, Some(&targ))?;
            match &best {
                None => best = Some(res),
                Some(b) => {
                    if res.bit_offset != b.bit_offset
                        || res.poison != b.poison
                        || res.new_val != b.new_val
                    {
                        return Err(CoreErrorKind::Ambiguous {
                            first: b.target_type.unwrap_or_default(),
                            second: cand,
                        });
                    }
                }
            }
            matched.push(cand);
        }
        if !matched.is_empty() {
            self.cands.insert(relo.type_id, matched);
        }
        match best {
            Some(res) => Ok(res),
            None => calc_relo(relo.kind, family, &local, None),
        }
    }
}

/// The poison instruction.
fn poison_insn() -> Insn {
    Insn::Call(CallTarget::Helper(POISON_HELPER_ID))
}

fn bad_insn(what: &'static str) -> CoreErrorKind {
    CoreErrorKind::BadInsn { what }
}

fn size_from_bytes(n: u64) -> Option<Size> {
    match n {
        1 => Some(Size::B),
        2 => Some(Size::H),
        4 => Some(Size::W),
        8 => Some(Size::DW),
        _ => None,
    }
}

/// `bpf_core_patch_insn`: applies `res` to the instruction at `at`; returns whether it was
/// poisoned.
fn patch(insns: &mut [Insn], at: InsnIdx, res: &RelocRes) -> Res<bool> {
    let i = at.idx();
    let insn = *insns.get(i).ok_or(bad_insn("index out of range"))?;
    let check = |found: i64| {
        if res.validate && found as u64 != res.orig_val {
            Err(CoreErrorKind::UnexpectedValue {
                found,
                expected: res.orig_val,
            })
        } else {
            Ok(())
        }
    };
    if res.poison {
        return poison(insns, i, insn);
    }
    match insn {
        Insn::Alu {
            width,
            op,
            dst,
            src: Operand::Imm(imm),
        } => {
            check(i64::from(imm))?;
            insns[i] = Insn::Alu {
                width,
                op,
                dst,
                src: Operand::Imm(res.new_val as i32),
            };
        }
        Insn::Load { size: sz, off, .. }
        | Insn::Store { size: sz, off, .. }
        | Insn::Atomic { size: sz, off, .. } => {
            check(i64::from(off))?;
            let new_off = i16::try_from(res.new_val)
                .map_err(|_| CoreErrorKind::ValueTooBig { value: res.new_val })?;
            if res.fail_memsz_adjust {
                return poison(insns, i, insn);
            }
            let mut new_size = sz;
            if res.new_sz != res.orig_sz {
                if u64::from(sz.bytes()) != res.orig_sz {
                    return Err(bad_insn("access size differs from the local field size"));
                }
                new_size = size_from_bytes(res.new_sz)
                    .ok_or(bad_insn("target field size is not 1, 2, 4 or 8"))?;
            }
            insns[i] = match insn {
                Insn::Load {
                    sign_extend,
                    dst,
                    src,
                    ..
                } => Insn::Load {
                    size: new_size,
                    sign_extend,
                    dst,
                    src,
                    off: new_off,
                },
                Insn::Store { dst, src, .. } => Insn::Store {
                    size: new_size,
                    dst,
                    off: new_off,
                    src,
                },
                Insn::Atomic { op, dst, src, .. } => Insn::Atomic {
                    size: new_size,
                    op,
                    dst,
                    src,
                    off: new_off,
                },
                _ => insn,
            };
        }
        Insn::LdImm64 {
            dst,
            src: PseudoSrc::Imm,
            imm,
            next_imm,
        } => {
            check(Insn::imm64(imm, next_imm) as i64)?;
            insns[i] = Insn::LdImm64 {
                dst,
                src: PseudoSrc::Imm,
                imm: res.new_val as u32 as i32,
                next_imm: (res.new_val >> 32) as u32 as i32,
            };
        }
        Insn::Alu { .. } => return Err(bad_insn("ALU instruction with a register source")),
        Insn::LdImm64 { .. } => return Err(bad_insn("lddw of a pseudo source")),
        _ => return Err(bad_insn("not a load, store, ALU-immediate or lddw")),
    }
    Ok(false)
}

/// Replaces the instruction (both slots of a `lddw`) by the poison call.
fn poison(insns: &mut [Insn], i: usize, insn: Insn) -> Res<bool> {
    if matches!(insn, Insn::LdImm64Tail) {
        return Err(bad_insn("second slot of a lddw"));
    }
    insns[i] = poison_insn();
    if matches!(insn, Insn::LdImm64 { .. }) {
        if let Some(tail @ Insn::LdImm64Tail) = insns.get_mut(i + 1) {
            *tail = poison_insn();
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests;
