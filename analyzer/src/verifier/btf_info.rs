//! What the object's BTF tells the verifier: the signatures of global functions (verified on
//! their own, against their declared argument types) and the special fields inside map values
//! (`struct bpf_spin_lock`, `struct bpf_timer`) that programs may not touch directly.

use crate::btf::{Btf, BtfKind, Linkage, TypeId};
use crate::program::FuncInfo;

/// How a global function's argument is typed, from its BTF prototype (the kernel's
/// `btf_prepare_func_args`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParamKind {
    /// An integer or enum: any scalar.
    Scalar,
    /// A pointer to the program's context struct.
    Ctx,
    /// A pointer to `size` bytes, or NULL (unless tagged `arg:nonnull`): the callee must check
    /// it.
    Mem { size: u32, nonnull: bool },
    /// A pointer to a kernel object (`arg:trusted` / `arg:untrusted`), by the kernel struct's
    /// name (a `___flavor` suffix dropped): trusted ones must be passed trusted or referenced
    /// pointers, NULL only where `nullable`.
    Object {
        kernel_struct: String,
        trusted: bool,
        nullable: bool,
    },
    /// `struct bpf_dynptr *` (Linux 6.8+): the caller passes an initialised dynptr, the
    /// callee sees a read-only `CONST_PTR_TO_DYNPTR` (of the local kind, as the kernel assumes).
    Dynptr,
    /// A pointer tagged `arg:arena` (Linux 6.9+): the caller passes an arena pointer or a
    /// number, the callee starts from an unknown number (it casts it before use).
    Arena,
    /// A type the kernel rejects or bpfvet does not model; the text says which.
    Unsupported(String),
}

/// A global (non-static) function's signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GlobalSig {
    pub name: String,
    pub params: Vec<ParamKind>,
}

/// Context struct names, whose pointers in a global function's arguments mean "the context".
const CTX_STRUCTS: &[&str] = &[
    "__sk_buff",
    "xdp_md",
    "bpf_sock",
    "bpf_sock_addr",
    "bpf_sock_ops",
    "sk_msg_md",
    "bpf_sk_lookup",
    "bpf_sysctl",
    "bpf_sockopt",
    "bpf_cgroup_dev_ctx",
    "pt_regs",
    "bpf_perf_event_data",
    "bpf_raw_tracepoint_args",
    "sk_reuseport_md",
    "bpf_nf_ctx",
];

/// Most nested struct levels searched for special fields.
const MAX_NESTING: usize = 4;

/// The signature of the function starting at a subprogram entry, if BTF says it is global.
/// `arg_tags`: whether the kernel reads the `arg:*` parameter tags (from 6.8; older kernels
/// ignore them, so a tagged pointer is still a nullable pointer to memory). `loader_ctx`: on
/// those older kernels, whether libbpf rewrites an `arg:ctx` parameter into a pointer to the
/// program type's context struct, which the kernel then types as the context (libbpf does so
/// for the types with a context struct of their own; the 6.1 kernel so accepts the selftests'
/// `arg_tag_ctx_kprobe`, `_perf` and `_raw_tp`, and refuses `_tp` and `_fentry`).
pub fn global_sig(
    btf: Option<&Btf>,
    func_info: &[FuncInfo],
    entry: crate::isa::InsnIdx,
    arg_tags: bool,
    loader_ctx: bool,
) -> Option<GlobalSig> {
    let btf = btf?;
    let fi = func_info.iter().find(|f| f.insn == entry)?;
    let BtfKind::Func {
        proto,
        linkage: Linkage::Global,
    } = &btf.type_by_id(fi.type_id)?.kind
    else {
        return None;
    };
    let BtfKind::FuncProto { params, .. } = &btf.resolve_type(*proto)?.kind else {
        return None;
    };
    // Parameter tags (`__arg_ctx`, `__arg_nonnull`, `__arg_trusted`...) are `arg:*` decl tags
    // on the function, by parameter index (the kernel's `btf_prepare_func_args`).
    let tags = if arg_tags {
        btf.decl_tags_of(fi.type_id)
    } else if loader_ctx {
        let mut tags = btf.decl_tags_of(fi.type_id);
        tags.retain(|(_, t)| *t == "arg:ctx");
        tags
    } else {
        Vec::new()
    };
    let params = params
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let mine: Vec<&str> = tags
                .iter()
                .filter(|(idx, _)| usize::try_from(*idx).ok() == Some(i))
                .filter_map(|(_, t)| t.strip_prefix("arg:"))
                .collect();
            if arg_tags && mine.is_empty() && points_to_dynptr(btf, p.ty) {
                return ParamKind::Dynptr;
            }
            param_kind(btf, p.ty, &mine)
        })
        .collect();
    Some(GlobalSig {
        name: fi.name.clone(),
        params,
    })
}

/// Whether the function starting at `entry` returns an integer (of at most 8 bytes) or an
/// enum, by its BTF prototype (the kernel's test before allowing the hidden exits of ld_abs
/// and tail calls, which return a number); `None` when BTF does not describe the function.
pub fn returns_scalar(
    btf: Option<&Btf>,
    func_info: &[FuncInfo],
    entry: crate::isa::InsnIdx,
) -> Option<bool> {
    let btf = btf?;
    let fi = func_info.iter().find(|f| f.insn == entry)?;
    let BtfKind::Func { proto, .. } = &btf.type_by_id(fi.type_id)?.kind else {
        return None;
    };
    let BtfKind::FuncProto { ret, .. } = &btf.resolve_type(*proto)?.kind else {
        return None;
    };
    Some(match btf.resolve_type(*ret).map(|t| &t.kind) {
        Some(BtfKind::Int { size, .. }) => *size <= 8,
        Some(BtfKind::Enum { .. } | BtfKind::Enum64 { .. }) => true,
        _ => false,
    })
}

fn points_to_dynptr(btf: &Btf, ty: TypeId) -> bool {
    match btf.resolve_type(ty).map(|t| &t.kind) {
        Some(BtfKind::Ptr { ty }) => btf
            .resolve(*ty)
            .is_some_and(|t| btf.name_of(t) == "bpf_dynptr"),
        _ => false,
    }
}

fn param_kind(btf: &Btf, ty: TypeId, tags: &[&str]) -> ParamKind {
    let Some(t) = btf.resolve_type(ty) else {
        return ParamKind::Unsupported("unknown type".into());
    };
    let nonnull = tags.contains(&"nonnull");
    if let Some(other) = tags.iter().find(|t| {
        !matches!(
            **t,
            "ctx" | "nonnull" | "nullable" | "trusted" | "untrusted" | "arena"
        )
    }) {
        return ParamKind::Unsupported(format!("tagged arg:{other}"));
    }
    if tags.contains(&"arena") {
        return if tags.len() > 1 {
            ParamKind::Unsupported(
                "tagged arg:arena with other tags, which the kernel refuses".into(),
            )
        } else if matches!(t.kind, BtfKind::Ptr { .. }) {
            ParamKind::Arena
        } else {
            ParamKind::Unsupported("tagged arg:arena but not a pointer".into())
        };
    }
    if let BtfKind::Ptr { ty } = &t.kind {
        if tags.contains(&"ctx") {
            return ParamKind::Ctx;
        }
        let trusted = tags.contains(&"trusted");
        if trusted || tags.contains(&"untrusted") {
            let target = btf.resolve(*ty).unwrap_or(*ty);
            let is_struct = matches!(
                btf.type_by_id(target).map(|t| &t.kind),
                Some(BtfKind::Struct { .. } | BtfKind::Fwd { is_union: false })
            );
            let name = btf.name_of(target);
            if !is_struct || name.is_empty() {
                return ParamKind::Unsupported(
                    "an arg:trusted/arg:untrusted pointer to something other than a named struct"
                        .into(),
                );
            }
            // `struct task_struct___local` is the kernel's `struct task_struct`.
            let kernel_struct = name.split("___").next().unwrap_or(name).to_string();
            // A trusted argument is non-NULL unless tagged `arg:nullable`; an untrusted one
            // may be NULL unless tagged `arg:nonnull` (`btf_prepare_func_args`).
            let nullable = if trusted {
                tags.contains(&"nullable")
            } else {
                !nonnull
            };
            return ParamKind::Object {
                kernel_struct,
                trusted,
                nullable,
            };
        }
    }
    match &t.kind {
        BtfKind::Int { .. } | BtfKind::Enum { .. } | BtfKind::Enum64 { .. } => ParamKind::Scalar,
        BtfKind::Ptr { ty } => {
            let target = btf.resolve(*ty).unwrap_or(*ty);
            let name = btf.name_of(target);
            if CTX_STRUCTS.contains(&name) {
                return ParamKind::Ctx;
            }
            match btf.size_of(target) {
                Some(size) if size > 0 && size <= u64::from(u32::MAX) => ParamKind::Mem {
                    size: size as u32,
                    nonnull,
                },
                _ => ParamKind::Unsupported(format!(
                    "a pointer to {} whose size BTF does not give",
                    if name.is_empty() { "void" } else { name }
                )),
            }
        }
        other => ParamKind::Unsupported(format!("an argument of BTF kind {other:?}")),
    }
}

/// A field of a map value that only helpers may touch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpecialField {
    pub off: u32,
    pub size: u32,
    /// `bpf_spin_lock`, `bpf_res_spin_lock`, `bpf_timer`, `bpf_wq`, a graph root or node, or
    /// `bpf_refcount`.
    pub kind: &'static str,
}

/// The BTF type of a map's value: its declared value type, or for a global-data map
/// (`.data`, `.bss`, `.bss.A`...) the section's datasec.
pub fn value_type_of(btf: Option<&Btf>, map: &crate::verifier::env::MapDef) -> Option<TypeId> {
    if map.value_type.is_some() {
        return map.value_type;
    }
    match &map.kind {
        crate::program::MapKind::GlobalData { section, .. } => {
            btf.and_then(|b| b.find_by_name(section, "datasec"))
        }
        _ => None,
    }
}

/// The special fields of a map value type, found by walking its (nested) struct members.
pub fn special_fields(btf: Option<&Btf>, value_type: Option<TypeId>) -> Vec<SpecialField> {
    let (Some(btf), Some(ty)) = (btf, value_type) else {
        return Vec::new();
    };
    let mut res = Vec::new();
    let mut work = vec![(ty, 0u32, 0usize)];
    while let Some((ty, base, depth)) = work.pop() {
        let Some(id) = btf.resolve(ty) else { continue };
        let Some(t) = btf.type_by_id(id) else {
            continue;
        };
        let name = btf.name(t);
        for kind in [
            "bpf_spin_lock",
            "bpf_res_spin_lock",
            "bpf_timer",
            "bpf_wq",
            "bpf_list_head",
            "bpf_list_node",
            "bpf_rb_root",
            "bpf_rb_node",
            "bpf_refcount",
        ] {
            if name == kind {
                let size = btf.size_of(id).unwrap_or(4) as u32;
                res.push(SpecialField {
                    off: base,
                    size,
                    kind,
                });
            }
        }
        if depth >= MAX_NESTING {
            continue;
        }
        if let BtfKind::Struct { members, .. } = &t.kind {
            for m in members {
                work.push((m.ty, base + m.bit_offset / 8, depth + 1));
            }
        }
        // A global-data section's value is its datasec: each variable at its offset.
        if let BtfKind::Datasec { vars, .. } = &t.kind {
            for v in vars {
                if let Some(BtfKind::Var { ty, .. }) = btf.type_by_id(v.ty).map(|t| &t.kind) {
                    work.push((*ty, base + v.offset, depth + 1));
                }
            }
        }
        // Arrays of special fields (a global `struct bpf_list_head heads[2]`).
        if let BtfKind::Array { elem, nelems, .. } = &t.kind {
            let esize = btf.size_of(*elem).unwrap_or(0) as u32;
            if esize > 0 && *nelems <= 64 {
                for i in 0..*nelems {
                    work.push((*elem, base + i * esize, depth + 1));
                }
            }
        }
    }
    res.sort_by_key(|f| f.off);
    res
}
