//! BTF-typed program contexts (tp_btf, fentry/fexit/fmod_ret, lsm, iterators): the context is an
//! array of u64 arguments typed by the attach target's prototype in the kernel's BTF, and
//! pointer arguments are kernel objects whose fields are read through BTF (the kernel's
//! `btf_ctx_access` and `btf_struct_access`).

use crate::btf::{Btf, BtfKind, TypeId};
use crate::prog_type::AttachType;

/// One u64 slot of the context.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BtfArg {
    /// A number (integers, enums, and pointers to non-structs, which the kernel types as
    /// scalars).
    Scalar,
    /// A pointer to a kernel struct, by its id in the kernel's BTF.
    Ptr { type_id: TypeId, nullable: bool },
}

/// The typed context of one program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BtfCtx {
    /// What the program attaches to, for messages.
    pub target: String,
    /// The context's u64 slots, in order.
    pub args: Vec<BtfArg>,
    /// The program implements a struct_ops member returning `void`: its exit does not read r0
    /// (the kernel's `check_return_code`).
    pub void_return: bool,
}

/// The typed context for a program attached as `attach` to `target`, from the kernel's BTF.
pub fn btf_ctx(kernel: &Btf, attach: Option<AttachType>, target: &str) -> Result<BtfCtx, String> {
    let proto_params = |func: &str, skip: usize, with_ret: bool| -> Result<Vec<BtfArg>, String> {
        let id = kernel
            .find_by_name(func, "func")
            .ok_or_else(|| format!("the kernel's BTF has no function {func}"))?;
        let proto = kernel
            .type_by_id(id)
            .and_then(|t| t.referenced())
            .ok_or("a function without a prototype")?;
        proto_args(kernel, proto, skip, with_ret)
    };
    if let Some((ops, member)) = target.split_once(':') {
        return struct_ops_ctx(kernel, ops, member, target);
    }
    let args = match attach {
        Some(AttachType::TraceRawTp) => {
            let name = format!("btf_trace_{target}");
            let id = kernel
                .find_by_name(&name, "typedef")
                .ok_or_else(|| format!("the kernel's BTF has no tracepoint {target}"))?;
            let ptr = kernel.resolve(id).ok_or("a dangling typedef")?;
            let proto = kernel
                .type_by_id(ptr)
                .and_then(|t| t.referenced())
                .ok_or("a tracepoint typedef that is not a pointer")?;
            // The first parameter is the tracepoint's private data, not an argument.
            proto_args(kernel, proto, 1, false)?
        }
        Some(AttachType::TraceFentry) => proto_params(target, 0, false)?,
        Some(AttachType::TraceFexit | AttachType::ModifyReturn) => proto_params(target, 0, true)?,
        Some(AttachType::LsmMac | AttachType::LsmCgroup) => {
            proto_params(&format!("bpf_lsm_{target}"), 0, true)?
        }
        Some(AttachType::TraceIter) => {
            // The context points to `struct bpf_iter__<target>`: its first member is the
            // iterator's metadata, the others the objects visited, NULL at the end.
            let name = format!("bpf_iter__{target}");
            let id = kernel
                .find_by_name(&name, "struct")
                .ok_or_else(|| format!("the kernel's BTF has no iterator {target}"))?;
            kernel
                .members(id)
                .unwrap_or(&[])
                .iter()
                .enumerate()
                .map(
                    |(i, m)| match pointee_struct(kernel, unwrap_md_ptr(kernel, m.ty)) {
                        Some(type_id) => BtfArg::Ptr {
                            type_id,
                            nullable: i > 0,
                        },
                        None => BtfArg::Scalar,
                    },
                )
                .collect()
        }
        other => {
            return Err(format!(
                "BTF contexts of attach type {other:?} are not modelled"
            ))
        }
    };
    Ok(BtfCtx {
        target: target.to_string(),
        args,
        void_return: false,
    })
}

/// The context of a struct_ops program implementing `ops.member`: the member's (a function
/// pointer's) arguments. In `tcp_congestion_ops` a `struct sock *` is a `struct tcp_sock *`
/// (the kernel's `bpf_tcp_ca_is_valid_access` promotes it).
fn struct_ops_ctx(kernel: &Btf, ops: &str, member: &str, target: &str) -> Result<BtfCtx, String> {
    let id = kernel
        .find_by_name(ops, "struct")
        .ok_or_else(|| format!("the kernel's BTF has no struct_ops type {ops}"))?;
    let m = kernel
        .member(id, member)
        .ok_or_else(|| format!("struct {ops} has no member {member}"))?;
    let proto = kernel
        .resolve_type(m.ty)
        .and_then(|t| t.referenced())
        .ok_or_else(|| format!("{ops}.{member} is not a function pointer"))?;
    let mut args = proto_args(kernel, proto, 0, false)?;
    mark_stub_nullable(kernel, ops, member, &mut args);
    if ops == "tcp_congestion_ops" {
        let sock = kernel.find_by_name("sock", "struct");
        let tcp_sock = kernel.find_by_name("tcp_sock", "struct");
        if let (Some(sock), Some(tcp_sock)) = (sock, tcp_sock) {
            for a in &mut args {
                if let BtfArg::Ptr { type_id, .. } = a {
                    if *type_id == sock {
                        *type_id = tcp_sock;
                    }
                }
            }
        }
    }
    let void_return = matches!(
        kernel.resolve_type(proto).map(|t| &t.kind),
        Some(BtfKind::FuncProto { ret, .. }) if *ret == TypeId::VOID
    );
    Ok(BtfCtx {
        target: target.to_string(),
        args,
        void_return,
    })
}

/// Marks the pointer arguments the kernel passes as possibly NULL. Each struct_ops type has a
/// stub function per member, `<ops>__<member>` (its CFI stubs), and the kernel reads the stub's
/// parameter names: one ending in `__nullable` is `PTR_MAYBE_NULL` in the program
/// (`bpf_struct_ops_desc_init`), such as sched_ext's `dispatch(cpu, prev__nullable)`, whose
/// previous task is NULL when the CPU ran none.
fn mark_stub_nullable(kernel: &Btf, ops: &str, member: &str, args: &mut [BtfArg]) {
    let Some(stub) = kernel.find_by_name(&format!("{ops}__{member}"), "func") else {
        return;
    };
    let Some(BtfKind::FuncProto { params, .. }) = kernel
        .type_by_id(stub)
        .and_then(|t| t.referenced())
        .and_then(|p| kernel.resolve_type(p))
        .map(|t| &t.kind)
    else {
        return;
    };
    for (arg, p) in args.iter_mut().zip(params) {
        if let BtfArg::Ptr { nullable, .. } = arg {
            if kernel
                .str_at(p.name_off)
                .is_some_and(|n| n.ends_with("__nullable"))
            {
                *nullable = true;
            }
        }
    }
}

/// Whether the kernel function `func` returns nothing, by its BTF prototype (`None` when the
/// BTF does not describe it).
pub fn returns_void(kernel: &Btf, func: &str) -> Option<bool> {
    let id = kernel.find_by_name(func, "func")?;
    let proto = kernel.type_by_id(id)?.referenced()?;
    match kernel.resolve_type(proto).map(|t| &t.kind) {
        Some(BtfKind::FuncProto { ret, .. }) => Some(ret.0 == 0),
        _ => None,
    }
}

fn proto_args(
    kernel: &Btf,
    proto: TypeId,
    skip: usize,
    with_ret: bool,
) -> Result<Vec<BtfArg>, String> {
    let Some(BtfKind::FuncProto { params, ret }) = kernel.resolve_type(proto).map(|t| &t.kind)
    else {
        return Err("the target has no function prototype".into());
    };
    let mut res: Vec<BtfArg> = params
        .iter()
        .skip(skip)
        .map(|p| arg(kernel, p.ty))
        .collect();
    if with_ret {
        res.push(arg(kernel, *ret));
    }
    Ok(res)
}

fn arg(kernel: &Btf, ty: TypeId) -> BtfArg {
    match pointee_struct(kernel, ty) {
        Some(type_id) => BtfArg::Ptr {
            type_id,
            nullable: false,
        },
        None => BtfArg::Scalar,
    }
}

/// The pointer inside a `__bpf_md_ptr` wrapper (an anonymous union holding the pointer and
/// padding to 64 bits), or `ty` itself.
fn unwrap_md_ptr(kernel: &Btf, ty: TypeId) -> TypeId {
    let Some(id) = kernel.resolve(ty) else {
        return ty;
    };
    match kernel.type_by_id(id).map(|t| &t.kind) {
        Some(BtfKind::Union { members, .. }) => members
            .iter()
            .find(|m| {
                matches!(
                    kernel.resolve_type(m.ty).map(|t| &t.kind),
                    Some(BtfKind::Ptr { .. })
                )
            })
            .map_or(ty, |m| m.ty),
        _ => ty,
    }
}

/// The struct or union a pointer type points to, through typedefs and modifiers.
pub fn pointee_struct(kernel: &Btf, ty: TypeId) -> Option<TypeId> {
    let t = kernel.resolve_type(ty)?;
    let BtfKind::Ptr { ty: target } = t.kind else {
        return None;
    };
    let id = kernel.resolve(target)?;
    matches!(
        kernel.type_by_id(id)?.kind,
        BtfKind::Struct { .. } | BtfKind::Union { .. }
    )
    .then_some(id)
}

/// What a load from a struct typed by BTF yields (the kernel's `btf_struct_walk`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Walked {
    /// A number.
    Scalar,
    /// A whole pointer member to another struct or union. `via_union`: the walk went through a
    /// union of more than one member, so the kernel marks the result untrusted.
    Ptr { target: TypeId, via_union: bool },
    /// A whole pointer member to something that is no struct or union (`void *`, `char *`, a
    /// function pointer, a pointer to a declared but undefined struct): read-only untrusted
    /// memory from Linux 6.17 on (`WALK_PTR_UNTRUSTED`), a number before.
    NonStructPtr,
}

/// What a load of `size` bytes at `off` of the struct `type_id` of `btf` yields, or `Err` with
/// the kernel's complaint when the access leaves the struct.
///
/// A read of a number that runs past the end of its member (into the next one) is refused,
/// however far the pointer is trusted (`btf_struct_walk`'s "access beyond the end of
/// member"), unless the walk went through a union; an array member counts as a whole. A read
/// of part of a pointer member, or of the padding between members, is refused
/// (`btf_struct_walk`'s "cannot access ptr member" and "doesn't have field at offset").
///
/// `unions_untrust`: the release marks what is read through a union untrusted (Linux 6.4,
/// "bpf: Refactor RCU enforcement in the verifier", which also stopped checking member ends
/// there). Unions of one member (`__bpf_md_ptr`) never count.
pub fn struct_load(
    kernel: &Btf,
    type_id: TypeId,
    off: i64,
    size: u32,
    unions_untrust: bool,
) -> Result<Walked, String> {
    let name = kernel.name_of(type_id).to_string();
    let total = kernel.size_of(type_id).unwrap_or(0) as i64;
    if off < 0 || off + i64::from(size) > total {
        return Err(format!(
            "access beyond struct {name} at off {off} size {size}"
        ));
    }
    // Walk down through nested aggregates to the innermost member that holds the access.
    let (mut id, mut base) = (type_id, 0i64);
    let mut via_union = false;
    for _ in 0..8 {
        if unions_untrust && is_multi_member_union(kernel, id) {
            via_union = true;
        }
        let Some(member) = kernel.members(id).unwrap_or(&[]).iter().find(|m| {
            let start = base + i64::from(m.bit_offset / 8);
            let len = kernel.size_of(m.ty).unwrap_or(0) as i64;
            start <= off && off < start + len
        }) else {
            // The padding between members (or after the last one) is no field: the live
            // 6.18 refuses a read there, through trusted and untrusted pointers alike.
            let is_struct = matches!(
                kernel.type_by_id(id).map(|t| &t.kind),
                Some(BtfKind::Struct { .. })
            );
            if is_struct {
                return Err(format!(
                    "struct {} doesn't have field at offset {}",
                    kernel.name_of(id),
                    off - base
                ));
            }
            return Ok(Walked::Scalar);
        };
        let start = base + i64::from(member.bit_offset / 8);
        let Some(mid) = kernel.resolve(member.ty) else {
            return Ok(Walked::Scalar);
        };
        match kernel.type_by_id(mid).map(|t| &t.kind) {
            Some(BtfKind::Struct { .. } | BtfKind::Union { .. }) => {
                id = mid;
                base = start;
            }
            Some(BtfKind::Ptr { .. }) if start == off && size == 8 => {
                return Ok(match pointee_struct(kernel, member.ty) {
                    Some(target) => Walked::Ptr { target, via_union },
                    None => Walked::NonStructPtr,
                })
            }
            // Part of a pointer is no number the program may read (measured on 6.18 for
            // `void *` and struct pointers, trusted or untrusted).
            Some(BtfKind::Ptr { .. }) => {
                return Err(format!(
                    "cannot access ptr member {} with moff {} in struct {} with off {} size {size}",
                    kernel.str_at(member.name_off).unwrap_or(""),
                    start - base,
                    kernel.name_of(id),
                    off - base
                ))
            }
            Some(kind) => {
                // Untrusted pointers too: the live 6.18 refused "access beyond the end of
                // member wakee_flip_decay_ts" through an `untrusted_ptr_task_struct`. Only a
                // walk through a union is let past the member's end.
                if !via_union {
                    member_end(kernel, id, member, base, off, size, kind)?;
                }
                return Ok(Walked::Scalar);
            }
            None => return Ok(Walked::Scalar),
        }
    }
    Ok(Walked::Scalar)
}

/// Whether `id` is a union of more than one member: walking it untrusts what is read.
fn is_multi_member_union(kernel: &Btf, id: TypeId) -> bool {
    kernel.resolve(id).is_some_and(|id| {
        matches!(
            kernel.type_by_id(id).map(|t| &t.kind),
            Some(BtfKind::Union { members, .. }) if members.len() != 1
        )
    })
}

/// A number read from a struct member must end inside that member (the kernel's
/// `btf_struct_walk`, which says where the member ends relative to the struct that holds it):
/// task_kfunc_failure.o's `bpf_strncmp(task->comm, 17, ...)` reads past the 16 bytes of
/// `comm`. Bitfields, members of unions and arrays of structs are left alone: the kernel
/// walks those differently, and refusing them here could refuse what it accepts.
fn member_end(
    kernel: &Btf,
    holder: TypeId,
    member: &crate::btf::Member,
    base: i64,
    off: i64,
    size: u32,
    kind: &BtfKind,
) -> Result<(), String> {
    if member.bitfield_size != 0
        || matches!(
            kernel.type_by_id(holder).map(|t| &t.kind),
            Some(BtfKind::Union { .. })
        )
    {
        return Ok(());
    }
    if let BtfKind::Array { elem, .. } = kind {
        let elem_is_struct = kernel.resolve(*elem).is_some_and(|e| {
            matches!(
                kernel.type_by_id(e).map(|t| &t.kind),
                Some(BtfKind::Struct { .. } | BtfKind::Union { .. })
            )
        });
        if elem_is_struct {
            return Ok(());
        }
    }
    let start = base + i64::from(member.bit_offset / 8);
    let end = start + kernel.size_of(member.ty).unwrap_or(0) as i64;
    if off + i64::from(size) <= end {
        return Ok(());
    }
    Err(format!(
        "access beyond the end of member {} (mend:{}) in struct {} with off {} size {size}",
        kernel.str_at(member.name_off).unwrap_or(""),
        end - base,
        kernel.name_of(holder),
        off - base
    ))
}
