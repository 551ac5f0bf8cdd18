//! Which struct_ops member each program implements: a `.struct_ops` (or `.struct_ops.link`)
//! section holds variables of a kernel ops struct (`struct tcp_congestion_ops`, `struct
//! sched_ext_ops`...), and a relocation at a function-pointer member's offset names the
//! program that fills it (libbpf's `bpf_object__collect_st_ops_relos`). The program's
//! context is then that member's arguments, typed by the kernel's BTF.

use super::read::Elf;
use crate::btf::{Btf, BtfKind, TypeId};

/// `(program function name, "ops_struct:member")` for every struct_ops slot a relocation fills.
pub(crate) fn struct_ops_members(elf: &Elf<'_>, btf: Option<&Btf>) -> Vec<(String, String)> {
    let Some(btf) = btf else {
        return Vec::new();
    };
    let mut res = Vec::new();
    for sec in elf
        .sections
        .iter()
        .filter(|s| s.name.starts_with(".struct_ops"))
    {
        // The variables' places come from the symbol table: the section's BTF DATASEC may
        // still hold offset 0 for every variable (libbpf fixes it up at load time).
        let vars: Vec<_> = elf
            .symbols_in(sec.index)
            .filter(|s| s.size > 0)
            .cloned()
            .collect();
        for rel in &sec.rels {
            let Some(sym) = elf.symbols.get(rel.sym as usize) else {
                continue;
            };
            let Some(var) = vars
                .iter()
                .find(|v| v.value <= rel.offset && rel.offset < v.value + v.size)
            else {
                continue;
            };
            let Some(var_ty) = btf.find_by_name(&var.name, "var") else {
                continue;
            };
            let Some(member) = member_at(btf, var_ty, rel.offset - var.value) else {
                continue;
            };
            res.push((sym.name.clone(), member));
        }
    }
    res
}

/// `"struct:member"` for the member of the variable `var` (a `VAR` of a struct type) that
/// starts `off` bytes in; a `___flavor` suffix of the struct's name is dropped.
fn member_at(btf: &Btf, var: TypeId, off: u64) -> Option<String> {
    let ty = btf.resolve(btf.type_by_id(var)?.referenced()?)?;
    let t = btf.type_by_id(ty)?;
    let BtfKind::Struct { members, .. } = &t.kind else {
        return None;
    };
    let m = members
        .iter()
        .find(|m| u64::from(m.bit_offset) == off * 8)?;
    let name = btf.name(t);
    let name = name.split("___").next().unwrap_or(name);
    Some(format!("{name}:{}", btf.member_name(m)))
}
