//! Global data the kernel will not map into user space: libbpf creates a `.data`/`.bss`
//! section's array with `BPF_F_MMAPABLE` when the section holds a variable a skeleton exposes
//! (global and not `__hidden`), then maps it to copy the initial contents in. The kernel
//! refuses to map an array whose value has special fields (a valid record of locks, timers,
//! graph nodes...: `bpf_map_mmap`), so the object does not load ("failed to re-mmap()
//! contents: -ENOTSUPP", then "failed to create").
//!
//! Measured on the live 6.18.44 with a `.bss` global of each shape: a struct holding one
//! `bpf_spin_lock` or one `bpf_timer`, a nested struct holding the lock, a one-element lock
//! array, and a global lock beside a struct holding another are all refused; the same globals
//! `static` or `__hidden`, in `.rodata`, an array of two locks, or two locks in one struct
//! (a record the kernel cannot build, or BTF it refuses) load. The record is built as the
//! kernel's `btf_parse_fields` builds it: each struct (and the datasec) is a scope where a lock,
//! a timer or a work queue may appear once; a nested struct is its own scope; only kptrs and
//! graph roots may repeat through an array. Kptrs and graph roots are left out here: whether
//! their record is valid depends on the pointee's BTF and on `contains:` tags, and a refusal
//! bpfvet is not sure of would be a false one.

use crate::btf::{Btf, BtfKind, TypeId};
use crate::isa::{Insn, InsnIdx, PseudoSrc};
use crate::program::{MapKind, BPF_F_MMAPABLE};
use crate::verifier::env::{Input, KernelVersion};
use crate::verifier::violation::{Code, Violation};

/// The kernel's bound on nested structs (`MAX_RESOLVE_DEPTH`).
const MAX_DEPTH: u32 = 32;

/// The most fields one record holds (`BTF_FIELDS_MAX`).
const MAX_FIELDS: usize = 11;

/// The special struct types a scope may hold once.
const UNIQUE: [&str; 5] = [
    "bpf_spin_lock",
    "bpf_res_spin_lock",
    "bpf_timer",
    "bpf_wq",
    "bpf_task_work",
];

/// The special struct types that may appear several times (not through an array).
const REPEATED: [&str; 3] = ["bpf_list_node", "bpf_rb_node", "bpf_refcount"];

/// Why no valid record can be built (the kernel keeps the error and maps the array).
struct NoRecord;

/// The release that first records special fields in global data (`btf_parse_fields` over a
/// datasec, with global locks for graph roots): the recorded 6.1.0-57 maps an exposed `.bss`
/// holding a lock or a timer (`corpus/c/refused/global_lock_exposed`), 6.12 and 6.18 refuse it.
const DATASEC_RECORD_SINCE: KernelVersion = KernelVersion::new(6, 2);

/// The first global-data map the kernel refuses to map for libbpf, as the object's load error.
pub fn refused_global_data(input: &Input<'_>, kernel: KernelVersion) -> Option<Violation> {
    if kernel < DATASEC_RECORD_SINCE {
        return None;
    }
    let btf = input.btf?;
    input.maps.iter().enumerate().find_map(|(idx, m)| {
        let MapKind::GlobalData {
            section,
            read_only: false,
            ..
        } = &m.kind
        else {
            return None;
        };
        if m.map_flags & BPF_F_MMAPABLE == 0 {
            return None;
        }
        let ds = btf.find_by_name(section, "datasec")?;
        let fields = mapped_record(btf, ds)?;
        // Point at the program's first use of the section, if any.
        let at = input.insns.iter().position(|insn| {
            matches!(
                insn,
                Insn::LdImm64 {
                    src: PseudoSrc::MapIdx | PseudoSrc::MapIdxValue,
                    imm,
                    ..
                } if usize::try_from(*imm).ok() == Some(idx)
            )
        });
        Some(
            *Violation::new(
                Code::MapRefused,
                InsnIdx(at.unwrap_or(0) as u32),
                format!(
                    "section {section} holds a global a skeleton exposes, so libbpf maps its array into user space, and it holds a {} the kernel will not let user space map",
                    fields
                ),
                format!("map '{}': failed to create: -ENOTSUPP", m.name),
            )
            .with_note(
                "libbpf's re-mmap() of the section fails with ENOTSUPP and the object does not load; make the variable static or __hidden, or move the field into a map",
            ),
        )
    })
}

/// The first field of the record of datasec `ds` when the record is valid and not empty.
fn mapped_record(btf: &Btf, ds: TypeId) -> Option<&'static str> {
    let Some(BtfKind::Datasec { vars, .. }) = btf.type_by_id(ds).map(|t| &t.kind) else {
        return None;
    };
    let types: Vec<TypeId> = vars
        .iter()
        .filter_map(|v| match btf.type_by_id(v.ty)?.kind {
            BtfKind::Var { ty, .. } => Some(ty),
            _ => None,
        })
        .collect();
    let fields = scope_fields(btf, &types, 0).ok()?;
    if fields.is_empty() || fields.len() > MAX_FIELDS {
        return None;
    }
    fields.first().copied()
}

/// The special fields of one scope (a struct's members or a datasec's variables).
fn scope_fields(btf: &Btf, types: &[TypeId], depth: u32) -> Result<Vec<&'static str>, NoRecord> {
    if depth >= MAX_DEPTH {
        return Err(NoRecord);
    }
    let mut seen: Vec<&'static str> = Vec::new();
    let mut fields = Vec::new();
    for &ty in types {
        let (elem, nelems) = flatten_array(btf, ty);
        if nelems == 0 {
            continue;
        }
        let Some(t) = btf.type_by_id(elem) else {
            continue;
        };
        let name = btf.name(t);
        if let Some(kind) = UNIQUE.iter().find(|k| **k == name) {
            if seen.contains(kind) || nelems > 1 {
                return Err(NoRecord);
            }
            seen.push(kind);
            fields.push(*kind);
        } else if let Some(kind) = REPEATED.iter().find(|k| **k == name) {
            if nelems > 1 {
                return Err(NoRecord);
            }
            fields.push(*kind);
        } else if let BtfKind::Struct { members, .. } = &t.kind {
            let members: Vec<TypeId> = members.iter().map(|m| m.ty).collect();
            let inner = scope_fields(btf, &members, depth + 1)?;
            if !inner.is_empty() && nelems > 1 {
                // Only kptrs and graph roots repeat through an array, and those are not
                // collected here.
                return Err(NoRecord);
            }
            fields.extend(inner);
        }
    }
    Ok(fields)
}

/// The element type of a (multi-dimensional) array and how many elements it holds; a type
/// that is no array is one element of itself. Typedefs and qualifiers are looked through.
fn flatten_array(btf: &Btf, ty: TypeId) -> (TypeId, u64) {
    let mut nelems = 1u64;
    let mut id = ty;
    for _ in 0..MAX_DEPTH {
        let Some(resolved) = btf.resolve(id) else {
            return (id, nelems);
        };
        match btf.type_by_id(resolved).map(|t| &t.kind) {
            Some(BtfKind::Array {
                elem, nelems: n, ..
            }) => {
                nelems = nelems.saturating_mul(u64::from(*n));
                id = *elem;
            }
            _ => return (resolved, nelems),
        }
    }
    (id, nelems)
}
