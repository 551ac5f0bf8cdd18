//! Where the special fields of a program-BTF type lie: the `bpf_spin_lock`, the graph roots
//! (`bpf_list_head`, `bpf_rb_root`) with the type and node field their `contains:TYPE:FIELD`
//! decl tag names, graph nodes, the `bpf_refcount`, and kptrs (`__kptr`, `__kptr_untrusted`,
//! `__percpu_kptr` type tags).
//!
//! The kernel builds the same record (`btf_parse_fields`) for a map value, for a global-data
//! section (its datasec) and for a type the program allocates with `bpf_obj_new`; the
//! allocated-object kfuncs and `bpf_kptr_xchg` check their arguments against it.

use crate::btf::{Btf, BtfKind, TypeId};

/// How deep nested structs are searched for fields (the kernel's limit is similar).
const MAX_NESTING: usize = 8;

/// The most special fields the kernel records for one type (`BTF_FIELDS_MAX`): a type with
/// more has no valid record at all.
const MAX_FIELDS: usize = 11;

/// The two graph families.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub enum GraphKind {
    List,
    Rbtree,
}

impl GraphKind {
    /// The root's struct name (`bpf_list_head`, `bpf_rb_root`).
    pub fn root_name(self) -> &'static str {
        match self {
            GraphKind::List => "bpf_list_head",
            GraphKind::Rbtree => "bpf_rb_root",
        }
    }

    /// The node's struct name (`bpf_list_node`, `bpf_rb_node`).
    pub fn node_name(self) -> &'static str {
        match self {
            GraphKind::List => "bpf_list_node",
            GraphKind::Rbtree => "bpf_rb_node",
        }
    }
}

/// A graph root and what it holds.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct GraphRoot {
    pub off: u32,
    pub kind: GraphKind,
    /// The program-BTF struct its elements are (0 when the tag names no such struct).
    pub value_type: u32,
    /// The offset of the node field in that struct.
    pub node_off: u32,
}

/// How a kptr field is tagged.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum KptrTag {
    /// `__kptr`: holds a reference; changed only by `bpf_kptr_xchg`.
    Ref,
    /// `__kptr_untrusted`.
    Untrusted,
    /// `__percpu_kptr`.
    Percpu,
}

/// A kptr field.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Kptr {
    pub off: u32,
    pub tag: KptrTag,
    /// Tagged plain `kptr`: referenced from Linux 6.3; before, that tag named an unreferenced
    /// kptr and `kptr_ref` a referenced one (6.1 refuses `bpf_kptr_xchg` on a `__kptr` with
    /// "off=0 kptr isn't referenced kptr", measured).
    pub plain: bool,
    /// The pointee's struct name and its id in the program's BTF.
    pub name: String,
    pub local_id: u32,
}

/// The special fields of one type.
#[derive(Clone, Default, PartialEq, Eq, Debug)]
pub struct Layout {
    pub size: u32,
    pub spin_lock: Option<u32>,
    /// A `bpf_res_spin_lock` (Linux 6.15).
    pub res_spin_lock: Option<u32>,
    pub refcount: Option<u32>,
    pub roots: Vec<GraphRoot>,
    pub nodes: Vec<(u32, GraphKind)>,
    pub kptrs: Vec<Kptr>,
}

impl Kptr {
    /// The tag as `kernel` reads it (see `plain`).
    pub fn tag_on(&self, kernel: crate::verifier::env::KernelVersion) -> KptrTag {
        if self.plain && kernel < crate::verifier::env::KernelVersion::new(6, 3) {
            KptrTag::Untrusted
        } else {
            self.tag
        }
    }
}

impl Layout {
    /// Whether a graph root's `contains:` tag names no struct with a matching node (the
    /// kernel then has no valid record for the value at all).
    pub fn has_invalid_root(&self) -> bool {
        self.roots.iter().any(|r| r.value_type == 0)
    }

    pub fn root_at(&self, off: u32) -> Option<&GraphRoot> {
        self.roots.iter().find(|r| r.off == off)
    }

    pub fn node_at(&self, off: u32) -> Option<GraphKind> {
        self.nodes.iter().find(|n| n.0 == off).map(|n| n.1)
    }

    pub fn kptr_at(&self, off: u32) -> Option<&Kptr> {
        self.kptrs.iter().find(|k| k.off == off)
    }

    /// Whether the type holds a lock, plain or resilient: a map value pointer to it needs an
    /// id, which names the lock.
    pub fn has_lock(&self) -> bool {
        self.spin_lock.is_some() || self.res_spin_lock.is_some()
    }

    /// Whether any field makes the type more than plain data (what `bpf_percpu_obj_new`
    /// refuses).
    pub fn has_special(&self) -> bool {
        self.spin_lock.is_some()
            || self.refcount.is_some()
            || !self.roots.is_empty()
            || !self.nodes.is_empty()
            || !self.kptrs.is_empty()
    }

    /// The special field covering byte range `[off, off + size)`, by the kernel's name.
    pub fn field_overlapping(&self, btf: &Btf, off: i64, size: u32) -> Option<&'static str> {
        let hit =
            |at: u32, len: u32| off < i64::from(at + len) && off + i64::from(size) > i64::from(at);
        let _ = btf;
        if self.spin_lock.is_some_and(|l| hit(l, 4)) {
            return Some("bpf_spin_lock");
        }
        if self.refcount.is_some_and(|r| hit(r, 4)) {
            return Some("bpf_refcount");
        }
        for r in &self.roots {
            if hit(r.off, 16) {
                return Some(r.kind.root_name());
            }
        }
        for &(at, kind) in &self.nodes {
            let len = match kind {
                GraphKind::List => 24,
                GraphKind::Rbtree => 32,
            };
            if hit(at, len) {
                return Some(kind.node_name());
            }
        }
        // Kptr fields of an allocated object are reached only by bpf_kptr_xchg.
        for k in &self.kptrs {
            if hit(k.off, 8) {
                return Some(match k.tag {
                    KptrTag::Percpu => "percpu_kptr",
                    KptrTag::Ref | KptrTag::Untrusted => "kptr",
                });
            }
        }
        None
    }
}

/// The layout of program-BTF struct `id`.
pub fn struct_layout(btf: &Btf, id: TypeId) -> Layout {
    let mut out = Layout {
        size: btf.size_of(id).unwrap_or(0) as u32,
        ..Layout::default()
    };
    walk(btf, id, 0, 0, &mut out);
    capped(out)
}

/// The layout the kernel keeps: none of the fields when there are too many.
fn capped(out: Layout) -> Layout {
    let n = usize::from(out.spin_lock.is_some())
        + usize::from(out.res_spin_lock.is_some())
        + usize::from(out.refcount.is_some())
        + out.roots.len()
        + out.nodes.len()
        + out.kptrs.len();
    if n > MAX_FIELDS {
        return Layout {
            size: out.size,
            ..Layout::default()
        };
    }
    out
}

/// The layout of a global-data section's value (its datasec `name`), if the BTF has it.
pub fn datasec_layout(btf: &Btf, name: &str) -> Option<Layout> {
    let ds = btf.find_by_name(name, "datasec")?;
    let Some(BtfKind::Datasec { size, vars }) = btf.type_by_id(ds).map(|t| &t.kind) else {
        return None;
    };
    let mut out = Layout {
        size: *size,
        ..Layout::default()
    };
    for v in vars {
        let Some(BtfKind::Var { ty, .. }) = btf.type_by_id(v.ty).map(|t| &t.kind) else {
            continue;
        };
        let tag = contains_tag(btf, v.ty, -1);
        field(btf, *ty, v.offset, tag, 0, &mut out);
    }
    Some(capped(out))
}

fn walk(btf: &Btf, id: TypeId, base: u32, depth: usize, out: &mut Layout) {
    let Some(sid) = btf.resolve(id) else { return };
    let Some(BtfKind::Struct { members, .. }) = btf.type_by_id(sid).map(|t| &t.kind) else {
        return;
    };
    for (i, m) in members.iter().enumerate() {
        let tag = contains_tag(btf, sid, i as i32);
        field(btf, m.ty, base + m.bit_offset / 8, tag, depth, out);
    }
}

/// One member (or datasec variable, or array element) of type `ty` at `off`.
fn field(
    btf: &Btf,
    ty: TypeId,
    off: u32,
    contains: Option<(String, String)>,
    depth: usize,
    out: &mut Layout,
) {
    if let Some(k) = kptr_of(btf, ty, off) {
        out.kptrs.push(k);
        return;
    }
    let Some(rid) = btf.resolve(ty) else { return };
    let Some(t) = btf.type_by_id(rid) else { return };
    match &t.kind {
        BtfKind::Array { elem, nelems, .. } => {
            let esize = btf.size_of(*elem).unwrap_or(0) as u32;
            if esize == 0 {
                return;
            }
            for i in 0..(*nelems).min(64) {
                field(btf, *elem, off + i * esize, contains.clone(), depth, out);
            }
        }
        BtfKind::Struct { .. } => match btf.name(t) {
            "bpf_spin_lock" => out.spin_lock = out.spin_lock.or(Some(off)),
            "bpf_res_spin_lock" => out.res_spin_lock = out.res_spin_lock.or(Some(off)),
            "bpf_refcount" => out.refcount = out.refcount.or(Some(off)),
            "bpf_list_node" => out.nodes.push((off, GraphKind::List)),
            "bpf_rb_node" => out.nodes.push((off, GraphKind::Rbtree)),
            name @ ("bpf_list_head" | "bpf_rb_root") => {
                let kind = if name == "bpf_list_head" {
                    GraphKind::List
                } else {
                    GraphKind::Rbtree
                };
                // The tag must name a struct with a node of this root's kind; otherwise the
                // kernel refuses the whole record (value_type 0 here).
                let (value_type, node_off) = contains
                    .and_then(|(tname, fname)| {
                        let vt = btf.find_by_name(&tname, "struct")?;
                        let m = btf.member(vt, &fname)?;
                        let node = btf.resolve(m.ty)?;
                        (btf.name_of(node) == kind.node_name()).then_some((vt.0, m.bit_offset / 8))
                    })
                    .unwrap_or((0, 0));
                out.roots.push(GraphRoot {
                    off,
                    kind,
                    value_type,
                    node_off,
                });
            }
            _ if depth < MAX_NESTING => walk(btf, rid, off, depth + 1, out),
            _ => {}
        },
        _ => {}
    }
}

/// The `contains:TYPE:FIELD` decl tag on `target` (member `idx`, or -1 for the type or var).
fn contains_tag(btf: &Btf, target: TypeId, idx: i32) -> Option<(String, String)> {
    btf.decl_tags()
        .filter(|(t, i, _)| *t == target && *i == idx)
        .find_map(|(_, _, s)| {
            let rest = s.strip_prefix("contains:")?;
            let (ty, f) = rest.split_once(':')?;
            Some((ty.to_string(), f.to_string()))
        })
}

/// A pointer member whose pointee carries a kptr type tag.
fn kptr_of(btf: &Btf, ty: TypeId, off: u32) -> Option<Kptr> {
    let mut id = ty;
    // Qualifiers and typedefs before the pointer.
    for _ in 0..8 {
        match btf.type_by_id(id).map(|t| &t.kind)? {
            BtfKind::Typedef { ty } | BtfKind::Volatile { ty } | BtfKind::Const { ty } => id = *ty,
            _ => break,
        }
    }
    let BtfKind::Ptr { ty: mut p } = btf.type_by_id(id)?.kind else {
        return None;
    };
    let mut tag = None;
    let mut plain = false;
    for _ in 0..8 {
        let t = btf.type_by_id(p)?;
        match &t.kind {
            BtfKind::TypeTag { ty } => {
                plain = plain || btf.name(t) == "kptr";
                tag = match btf.name(t) {
                    "kptr" | "kptr_ref" => Some(KptrTag::Ref),
                    "kptr_untrusted" => Some(KptrTag::Untrusted),
                    "percpu_kptr" => Some(KptrTag::Percpu),
                    _ => tag,
                };
                p = *ty;
            }
            BtfKind::Const { ty } | BtfKind::Volatile { ty } | BtfKind::Typedef { ty } => p = *ty,
            _ => break,
        }
    }
    let tag = tag?;
    let name = btf.name_of(p).to_string();
    Some(Kptr {
        off,
        tag,
        plain,
        name,
        local_id: p.0,
    })
}
