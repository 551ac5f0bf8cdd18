//! Kfunc calls resolved: which kfunc a call goes to, and its prototype in the kernel's BTF.
//!
//! A kfunc call's instruction carries the callee's BTF id in the *kernel's* BTF, which libbpf
//! fills in at load time; offline the loader leaves it 0 and names the extern symbol in a
//! relocation instead (`RelocTarget::Extern`). So calls are identified by that name, through
//! [`extern_at`], and looked up in the rules table [`crate::rules::kfuncs::KFUNCS`] (flags,
//! program types, release). The arguments and return type come from the function's prototype in
//! the kernel's BTF ([`resolve`]), read by the kernel's conventions: parameter names ending in
//! `__sz`/`__szk` give the size of the memory argument before them, `__k` asks for a constant,
//! `__ign` is not checked, `__nullable`/`__opt` may be NULL, `__uninit` may be uninitialised,
//! `__map` is a map.

use crate::btf::{Btf, BtfKind, TypeId};
use crate::isa::InsnIdx;
use crate::program::{InsnReloc, RelocTarget};
pub use crate::rules::kfuncs::{kf, kfunc as by_name, IterDef, KfuncDef, Role};

/// The extern symbol the call at `pc` goes to, from the loader's relocations.
pub fn extern_at(relocs: &[InsnReloc], pc: InsnIdx) -> Option<&str> {
    relocs.iter().find_map(|r| match &r.target {
        RelocTarget::Extern { name } if r.insn == pc => Some(name.as_str()),
        _ => None,
    })
}

/// What one parameter of a kfunc is, from its BTF type and name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Param {
    /// A number; `constant` for a `__k` parameter.
    Scalar { constant: bool },
    /// The size of the memory argument before it (`__sz`, or `__szk` when it must be a
    /// constant): checked with that argument.
    Size { constant: bool },
    /// `__ign`: not checked.
    Ignored,
    /// A pointer to a struct: a kernel object (`PTR_TO_BTF_ID`), the program's context, or
    /// memory of the struct's size, depending on what is passed.
    Struct {
        type_id: u32,
        name: String,
        size: u32,
        nullable: bool,
        uninit: bool,
    },
    /// A pointer to a number or to `void` (memory; its size comes from the next parameter
    /// when that is a `__sz` one, else from the pointee type).
    Mem {
        size: Option<u32>,
        nullable: bool,
        uninit: bool,
    },
    /// `struct bpf_map *..__map`.
    Map,
    /// `struct bpf_dynptr *`: a dynptr on the stack (`__uninit`: one the kfunc creates).
    Dynptr { uninit: bool },
    /// A kind of argument bpfvet does not check yet (dynptrs, lists, callbacks...), named.
    Unsupported(String),
}

/// What a kfunc returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ret {
    Void,
    Scalar,
    /// A pointer to a kernel struct, by its id in the kernel's BTF.
    Struct {
        type_id: u32,
    },
    /// A pointer to memory of this many bytes.
    Mem {
        size: u32,
    },
    Unsupported(String),
}

/// A kfunc's prototype, read from the kernel's BTF.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proto {
    /// Parameter names (for messages) and kinds, in order.
    pub params: Vec<(String, Param)>,
    pub ret: Ret,
    /// The id of the prototype in the kernel's BTF (0 when made up without it).
    pub kernel_proto: u32,
}

/// The uapi context struct of each program type (`BPF_PROG_TYPE_*` number), as the kernel's
/// `bpf_types.h` pairs them: a kfunc parameter pointing to it is a `ctx` argument in programs of
/// that type only (`btf_is_prog_ctx_type` compares against the program's own context). Types
/// whose context is `void *`, a `u64` array or a typedef (tracing, struct_ops, lsm, syscall,
/// tracepoints, kprobes) have none here: no kfunc parameter is their context.
const PROG_CTX_STRUCTS: &[(u32, &str)] = &[
    (1, "__sk_buff"), // socket_filter
    (3, "__sk_buff"), // sched_cls
    (4, "__sk_buff"), // sched_act
    (6, "xdp_md"),    // xdp
    (7, "bpf_perf_event_data"),
    (8, "__sk_buff"),  // cgroup_skb
    (9, "bpf_sock"),   // cgroup_sock
    (10, "__sk_buff"), // lwt_in
    (11, "__sk_buff"), // lwt_out
    (12, "__sk_buff"), // lwt_xmit
    (13, "bpf_sock_ops"),
    (14, "__sk_buff"), // sk_skb
    (15, "bpf_cgroup_dev_ctx"),
    (16, "sk_msg_md"),
    (18, "bpf_sock_addr"),
    (19, "__sk_buff"), // lwt_seg6local
    (21, "sk_reuseport_md"),
    (22, "__sk_buff"), // flow_dissector
    (23, "bpf_sysctl"),
    (25, "bpf_sockopt"),
    (30, "bpf_sk_lookup"),
    (32, "bpf_nf_ctx"), // netfilter
];

/// Whether a kfunc parameter pointing to struct `name` is the context of a program of type
/// `prog_type`. Elsewhere the same struct is an ordinary kernel object: a netfilter program
/// passes `bpf_dynptr_from_skb` its `ctx->skb`, a trusted `struct sk_buff` (see
/// [`is_projection_of`]).
/// The kernel struct behind the context counts too (`struct sk_buff *` in a tc program), as
/// `btf_is_prog_ctx_type` compares names through the projection.
pub fn is_prog_ctx_struct(name: &str, prog_type: u32) -> bool {
    PROG_CTX_STRUCTS
        .iter()
        .any(|&(t, ctx)| t == prog_type && (ctx == name || is_projection_of(ctx, name)))
}

/// Whether uapi struct `projection` is the program-facing view of kernel struct `kernel`
/// (`__sk_buff` of `sk_buff`, `xdp_md` of `xdp_buff`): a kfunc taking the projection must cast
/// it to the kernel struct before use, so the kernel lets callers pass a pointer to the kernel
/// struct itself (`process_kf_arg_ptr_to_btf_id`'s projection rule, which came with the kfuncs
/// that take `struct __sk_buff *`).
pub fn is_projection_of(projection: &str, kernel: &str) -> bool {
    matches!(
        (projection, kernel),
        ("__sk_buff", "sk_buff") | ("xdp_md", "xdp_buff")
    )
}

/// The prototype of kfunc `name` in `kernel`, or why the kernel (or bpfvet) cannot call it:
/// `Err(None)` when the kernel's BTF has no such function (libbpf then refuses the load).
pub fn resolve(kernel: &Btf, name: &str) -> Result<Proto, Option<String>> {
    let func = kernel.find_by_name(name, "func").ok_or(None)?;
    let proto_id = kernel
        .type_by_id(func)
        .and_then(|t| t.referenced())
        .ok_or_else(|| Some(format!("{name} has no prototype in the kernel's BTF")))?;
    let Some(BtfKind::FuncProto { ret, params }) = kernel.type_by_id(proto_id).map(|t| &t.kind)
    else {
        return Err(Some(format!("{name} has no prototype in the kernel's BTF")));
    };
    let names: Vec<String> = params
        .iter()
        .map(|p| kernel.str_at(p.name_off).unwrap_or("").to_string())
        .collect();
    let mut out = Vec::with_capacity(params.len());
    for (i, p) in params.iter().enumerate() {
        let pname = &names[i];
        let next_is_size = names
            .get(i + 1)
            .is_some_and(|n| n.ends_with("__sz") || n.ends_with("__szk"));
        out.push((pname.clone(), param(kernel, p.ty, pname, next_is_size)));
    }
    Ok(Proto {
        params: out,
        ret: ret_kind(kernel, *ret),
        kernel_proto: proto_id.0,
    })
}

fn param(kernel: &Btf, ty: TypeId, pname: &str, next_is_size: bool) -> Param {
    if pname.ends_with("__ign") {
        return Param::Ignored;
    }
    let Some(resolved) = kernel.resolve(ty) else {
        return Param::Unsupported(format!("parameter {pname} has a dangling type"));
    };
    let Some(t) = kernel.type_by_id(resolved) else {
        return Param::Unsupported(format!("parameter {pname} is void"));
    };
    match &t.kind {
        BtfKind::Int { .. } | BtfKind::Enum { .. } | BtfKind::Enum64 { .. } => {
            if pname.ends_with("__sz") {
                Param::Size { constant: false }
            } else if pname.ends_with("__szk") {
                Param::Size { constant: true }
            } else {
                Param::Scalar {
                    constant: pname.ends_with("__k"),
                }
            }
        }
        BtfKind::Ptr { ty: pointee } => {
            let nullable = pname.ends_with("__nullable") || pname.ends_with("__opt");
            let uninit = pname.ends_with("__uninit");
            if pname.ends_with("__map") {
                return Param::Map;
            }
            let target = kernel.resolve(*pointee);
            let tt = target.and_then(|id| kernel.type_by_id(id));
            match tt.map(|t| &t.kind) {
                None => Param::Mem {
                    size: None,
                    nullable,
                    uninit,
                },
                // A union is a struct to the kernel here (`btf_type_is_struct`): memory when
                // its members are numbers (`bpf_ct_set_nat_info`'s `union nf_inet_addr`).
                Some(BtfKind::Struct { size, .. }) | Some(BtfKind::Union { size, .. }) => {
                    let sname = kernel.name_of(target.unwrap_or(TypeId::VOID)).to_string();
                    if sname == "bpf_dynptr" {
                        return Param::Dynptr { uninit };
                    }
                    if sname.starts_with("bpf_list_")
                        || sname.starts_with("bpf_rb_")
                        || sname == "bpf_refcount"
                        || sname == "bpf_wq"
                    {
                        return Param::Unsupported(format!("a pointer to struct {sname}"));
                    }
                    Param::Struct {
                        type_id: target.map_or(0, |t| t.0),
                        name: sname,
                        size: *size,
                        nullable,
                        uninit,
                    }
                }
                Some(BtfKind::Int { size, .. }) | Some(BtfKind::Enum { size, .. }) => Param::Mem {
                    size: (!next_is_size).then_some(*size),
                    nullable,
                    uninit,
                },
                Some(BtfKind::FuncProto { .. }) => {
                    Param::Unsupported("a callback function".to_string())
                }
                Some(other) => Param::Unsupported(format!(
                    "a pointer to a {}",
                    match other {
                        BtfKind::Ptr { .. } => "pointer",
                        BtfKind::Array { .. } => "array",
                        _ => "type bpfvet does not model as an argument",
                    }
                )),
            }
        }
        _ => Param::Unsupported(format!("parameter {pname} of kind {}", t.kind_name())),
    }
}

fn ret_kind(kernel: &Btf, ty: TypeId) -> Ret {
    if ty == TypeId::VOID {
        return Ret::Void;
    }
    let Some(t) = kernel.resolve_type(ty) else {
        return Ret::Void;
    };
    match &t.kind {
        BtfKind::Int { .. } | BtfKind::Enum { .. } | BtfKind::Enum64 { .. } => Ret::Scalar,
        BtfKind::Ptr { ty: pointee } => {
            let target = kernel.resolve(*pointee).unwrap_or(TypeId::VOID);
            match kernel.type_by_id(target).map(|t| &t.kind) {
                Some(BtfKind::Struct { .. }) => Ret::Struct { type_id: target.0 },
                Some(BtfKind::Int { size, .. }) => Ret::Mem { size: *size },
                _ => Ret::Unsupported("a pointer to void or to a non-struct type".to_string()),
            }
        }
        other => Ret::Unsupported(format!("a value of kind {other:?}")),
    }
}

/// Whether kernel types `have` and `want` are two flavours of one struct (`nf_conn___init` and
/// `nf_conn`: the same name before a `___` suffix). The kernel's `btf_type_ids_nocast_alias`
/// makes such a pair match only strictly, so a new conntrack entry, which starts with the
/// `struct nf_conn` it will become, is not taken for one until it is inserted.
pub fn nocast_alias(kernel: &Btf, have: u32, want: u32) -> bool {
    let name = |id: u32| crate::elf::essential_name(kernel.name_of(TypeId(id)));
    have != want && !name(have).is_empty() && name(have) == name(want)
}

/// Whether an object of BTF type `have` may be passed where `want` is expected: the same type,
/// or (when `strict` is false) a struct whose first member, at offset 0, is one (the kernel's
/// `btf_struct_ids_match`, e.g. `struct bpf_cpumask` for `struct cpumask`).
pub fn struct_matches(kernel: &Btf, have: u32, want: u32, strict: bool) -> bool {
    let mut cur = TypeId(have);
    for _ in 0..16 {
        if cur.0 == want {
            return true;
        }
        if strict {
            return false;
        }
        let Some(first) = kernel.members(cur).and_then(|m| m.first().copied()) else {
            return false;
        };
        if first.bit_offset != 0 {
            return false;
        }
        match kernel.resolve(first.ty) {
            Some(id)
                if matches!(
                    kernel.type_by_id(id).map(|t| &t.kind),
                    Some(BtfKind::Struct { .. })
                ) =>
            {
                cur = id
            }
            _ => return false,
        }
    }
    false
}

/// Whether the object of BTF type `have`, pointed at `off` bytes in, is (or starts with) a
/// `want`: a struct embedded at that offset, possibly nested (the kernel's
/// `btf_struct_ids_match` walking to `off`, e.g. `&file->f_path` for a `struct path`).
pub fn embedded_matches(kernel: &Btf, have: u32, off: u32, want: u32) -> bool {
    embedded_at(kernel, TypeId(have), off, want, 0)
}

fn embedded_at(kernel: &Btf, cur: TypeId, off: u32, want: u32, depth: u32) -> bool {
    if off == 0 && struct_matches(kernel, cur.0, want, false) {
        return true;
    }
    if depth > 16 {
        return false;
    }
    let Some(members) = kernel.members(cur) else {
        return false;
    };
    // The member structs and unions whose bytes hold `off` (several in a union).
    members.iter().any(|m| {
        if m.bitfield_size != 0 || m.bit_offset % 8 != 0 {
            return false;
        }
        let start = m.bit_offset / 8;
        let Some(id) = kernel.resolve(m.ty) else {
            return false;
        };
        let size = match kernel.type_by_id(id).map(|t| &t.kind) {
            Some(BtfKind::Struct { size, .. } | BtfKind::Union { size, .. }) => *size,
            _ => return false,
        };
        start <= off && off < start + size && embedded_at(kernel, id, off - start, want, depth + 1)
    })
}

/// Whether struct `id` holds only numbers (nested structs and arrays of them included): the
/// kernel passes a pointer to such a struct as plain memory, and refuses memory for any other
/// (`__btf_type_is_scalar_struct`).
pub fn is_scalar_struct(kernel: &Btf, id: TypeId) -> bool {
    scalar_struct(kernel, id, 0)
}

fn scalar_struct(kernel: &Btf, id: TypeId, depth: u32) -> bool {
    if depth > 3 {
        return false;
    }
    let Some(members) = kernel.members(id) else {
        return false;
    };
    members.iter().all(|m| {
        let ty = kernel.resolve(m.ty).unwrap_or(TypeId::VOID);
        match kernel.type_by_id(ty).map(|t| &t.kind) {
            Some(BtfKind::Int { .. } | BtfKind::Enum { .. } | BtfKind::Enum64 { .. }) => true,
            Some(BtfKind::Struct { .. } | BtfKind::Union { .. }) => {
                scalar_struct(kernel, ty, depth + 1)
            }
            // Arrays of numbers only.
            Some(BtfKind::Array { elem, .. }) => matches!(
                kernel
                    .resolve(*elem)
                    .and_then(|e| kernel.type_by_id(e))
                    .map(|t| &t.kind),
                Some(BtfKind::Int { .. } | BtfKind::Enum { .. } | BtfKind::Enum64 { .. })
            ),
            _ => false,
        }
    })
}

/// The object's prototype of the extern kfunc `name`, if its BTF declares one: libbpf compares
/// it with the kernel's before loading.
pub fn local_proto(obj: &Btf, name: &str) -> Option<TypeId> {
    let func = obj.find_by_name(name, "func")?;
    obj.type_by_id(func).and_then(|t| t.referenced())
}

/// Whether the object's type `local` is compatible with the kernel's `kern` by libbpf's rules
/// for extern kfuncs (`bpf_core_types_are_compat`): the same kinds through pointers, arrays and
/// prototypes (parameter counts equal), any two integers without a bit offset, any two enums,
/// and structs, unions and forward declarations by kind alone (not their members).
pub fn types_compatible(obj: &Btf, local: TypeId, kernel: &Btf, kern: TypeId) -> bool {
    compatible(obj, local, kernel, kern, 32)
}

fn compatible(obj: &Btf, local: TypeId, kernel: &Btf, kern: TypeId, depth: u32) -> bool {
    if depth == 0 {
        return false;
    }
    let (Some(l), Some(k)) = (obj.resolve(local), kernel.resolve(kern)) else {
        return false;
    };
    if l == TypeId::VOID || k == TypeId::VOID {
        return l == k;
    }
    let (Some(lt), Some(kt)) = (obj.type_by_id(l), kernel.type_by_id(k)) else {
        return false;
    };
    match (&lt.kind, &kt.kind) {
        (BtfKind::Struct { .. }, BtfKind::Struct { .. })
        | (BtfKind::Union { .. }, BtfKind::Union { .. })
        | (BtfKind::Fwd { .. }, BtfKind::Fwd { .. })
        | (
            BtfKind::Enum { .. } | BtfKind::Enum64 { .. },
            BtfKind::Enum { .. } | BtfKind::Enum64 { .. },
        ) => true,
        (BtfKind::Int { bit_offset: a, .. }, BtfKind::Int { bit_offset: b, .. }) => {
            *a == 0 && *b == 0
        }
        (BtfKind::Ptr { ty: a }, BtfKind::Ptr { ty: b }) => {
            compatible(obj, *a, kernel, *b, depth - 1)
        }
        (BtfKind::Array { elem: a, .. }, BtfKind::Array { elem: b, .. }) => {
            compatible(obj, *a, kernel, *b, depth - 1)
        }
        (
            BtfKind::FuncProto {
                ret: lr,
                params: lp,
            },
            BtfKind::FuncProto {
                ret: kr,
                params: kp,
            },
        ) => {
            lp.len() == kp.len()
                && lp
                    .iter()
                    .zip(kp)
                    .all(|(a, b)| compatible(obj, a.ty, kernel, b.ty, depth - 1))
                && compatible(obj, *lr, kernel, *kr, depth - 1)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iterator_kfuncs_are_found_by_name_and_unknown_ones_are_not() {
        assert!(matches!(
            by_name("bpf_iter_num_next").map(|k| k.role),
            Some(Role::Iter(IterDef { name: "num", .. }))
        ));
        assert!(by_name("bpf_iter_num_next").unwrap().has(kf::ITER_NEXT));
        assert!(by_name("bpf_iter_bits_new").is_some());
        assert!(by_name("bpf_no_such_kfunc").is_none());
        assert!(by_name("").is_none());
    }

    #[test]
    fn extern_at_reads_the_relocation_of_that_instruction_only() {
        let relocs = vec![
            InsnReloc {
                insn: InsnIdx(3),
                target: RelocTarget::Extern {
                    name: "bpf_iter_num_new".into(),
                },
            },
            InsnReloc {
                insn: InsnIdx(5),
                target: RelocTarget::Subprog {
                    name: "f".into(),
                    target: InsnIdx(9),
                },
            },
        ];
        assert_eq!(extern_at(&relocs, InsnIdx(3)), Some("bpf_iter_num_new"));
        assert_eq!(extern_at(&relocs, InsnIdx(5)), None);
        assert_eq!(extern_at(&relocs, InsnIdx(4)), None);
    }

    #[test]
    fn a_ctx_struct_is_the_context_only_of_its_own_program_type() {
        assert!(is_prog_ctx_struct("xdp_md", 6));
        assert!(is_prog_ctx_struct("__sk_buff", 3));
        assert!(is_prog_ctx_struct("bpf_nf_ctx", 32));
        // A netfilter program's context is bpf_nf_ctx: `struct __sk_buff *` there is an object.
        assert!(!is_prog_ctx_struct("__sk_buff", 32));
        // tp_btf (tracing) has no context struct.
        assert!(!is_prog_ctx_struct("__sk_buff", 26));
        assert!(!is_prog_ctx_struct("task_struct", 3));
        assert!(is_prog_ctx_struct("sk_buff", 3));
    }

    #[test]
    fn projections_are_the_uapi_views_of_kernel_structs() {
        assert!(is_projection_of("__sk_buff", "sk_buff"));
        assert!(is_projection_of("xdp_md", "xdp_buff"));
        assert!(!is_projection_of("sk_buff", "__sk_buff"));
        assert!(!is_projection_of("__sk_buff", "xdp_buff"));
    }
}
