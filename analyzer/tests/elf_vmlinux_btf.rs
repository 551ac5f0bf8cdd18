//! Parses this machine's kernel BTF (`/sys/kernel/btf/vmlinux`) when it is readable, and checks
//! our kernel-number tables against the enums it carries. Skips (passes) where the file is
//! absent, as on kernels built without `CONFIG_DEBUG_INFO_BTF`.

use bpfvet_analyzer::btf::{Btf, BtfKind};
use bpfvet_analyzer::prog_type::{AttachType, ProgType};
use bpfvet_analyzer::program::MapType;

fn vmlinux() -> Option<Btf> {
    let bytes = std::fs::read("/sys/kernel/btf/vmlinux").ok()?;
    Some(Btf::parse(&bytes).expect("vmlinux BTF parses"))
}

/// `(lowercase name without prefix, value)` of every enumerator of `enum <name>`.
fn enum_values(btf: &Btf, name: &str, prefix: &str) -> Vec<(String, i64)> {
    let id = btf.find_by_name(name, "enum").expect(name);
    let Some(BtfKind::Enum { values, .. }) = btf.type_by_id(id).map(|t| &t.kind) else {
        panic!("{name}")
    };
    values
        .iter()
        .filter_map(|v| {
            let n = btf.str_at(v.name_off)?;
            Some((n.strip_prefix(prefix)?.to_lowercase(), v.val))
        })
        .collect()
}

#[test]
fn vmlinux_btf_parses_and_resolves() {
    let Some(btf) = vmlinux() else { return };
    assert!(btf.n_types() > 10_000, "{} types", btf.n_types());
    let skb = btf
        .find_by_name("sk_buff", "struct")
        .expect("struct sk_buff");
    assert!(btf.size_of(skb).is_some_and(|s| s > 100));
    let len = btf.member(skb, "len").expect("sk_buff::len");
    assert_eq!(btf.size_of(len.ty), Some(4));
    let md = btf.find_by_name("xdp_md", "struct").expect("struct xdp_md");
    let names: Vec<&str> = btf
        .members(md)
        .unwrap()
        .iter()
        .map(|m| btf.member_name(m))
        .collect();
    assert_eq!(&names[..3], ["data", "data_end", "data_meta"]);
    assert_eq!(btf.member(md, "data_end").unwrap().bit_offset, 32);
    // Every type's size resolves or is legitimately unsized, and walking never loops.
    let mut n_sized = 0;
    for (id, _) in btf.types() {
        if btf.size_of(id).is_some() {
            n_sized += 1;
        }
        let _ = btf.resolve(id);
    }
    // Functions and prototypes (about half of vmlinux) have no size.
    assert!(n_sized > 10_000, "{n_sized} sized types");
}

#[test]
fn vmlinux_function_decl_tags_can_be_listed() {
    let Some(btf) = vmlinux() else { return };
    let on_funcs: Vec<(String, &str)> = btf
        .decl_tags()
        .filter(|(t, idx, _)| {
            *idx == -1
                && btf
                    .type_by_id(*t)
                    .is_some_and(|ty| ty.kind_name() == "func")
        })
        .map(|(t, _, s)| (btf.name_of(t).to_string(), s))
        .collect();
    // Kernels with kfunc tagging (pahole >= 1.26) tag kfuncs `bpf_kfunc`; the list may hold
    // `comment:...` tags as well where the kernel carries them. Either way it is not empty
    // when decl tags exist at all.
    if btf.decl_tags().next().is_some() {
        assert!(!on_funcs.is_empty());
        for (func, tag) in &on_funcs {
            assert!(!func.is_empty() && !tag.is_empty());
        }
    }
    let comments: Vec<_> = on_funcs
        .iter()
        .filter(|(_, s)| s.starts_with("comment:"))
        .collect();
    eprintln!(
        "{} function decl tags, {} of them comment:",
        on_funcs.len(),
        comments.len()
    );
}

#[test]
fn our_kernel_numbers_match_the_running_kernel() {
    let Some(btf) = vmlinux() else { return };
    for (name, val) in enum_values(&btf, "bpf_prog_type", "BPF_PROG_TYPE_") {
        if let Some(t) = ProgType::from_name(&name) {
            assert_eq!(i64::from(t.raw()), val, "prog type {name}");
        } else {
            assert!(
                name == "unspec" || val > 32,
                "prog type {name} = {val} is missing from our table"
            );
        }
    }
    for (name, val) in enum_values(&btf, "bpf_attach_type", "BPF_") {
        if let Some(t) = AttachType::from_name(&name) {
            assert_eq!(i64::from(t.raw()), val, "attach type {name}");
        }
    }
    for (name, val) in enum_values(&btf, "bpf_map_type", "BPF_MAP_TYPE_") {
        if let Some(t) = MapType::from_name(&name) {
            assert_eq!(i64::from(t.0), val, "map type {name}");
        }
    }
}
