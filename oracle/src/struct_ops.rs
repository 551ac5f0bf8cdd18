//! Which programs each struct_ops map of an object holds. libbpf loads every program a
//! struct_ops map it creates refers to, whatever that program's autoload says (it keeps a map's
//! callbacks together), so judging one program alone means not creating the struct_ops maps
//! that do not hold it. The maps are the variables of the `.struct_ops` / `.struct_ops.link`
//! sections (libbpf names each map after its variable), and a relocation inside a variable names
//! a program that fills one of its members.

use std::collections::{BTreeMap, BTreeSet};

use object::{Object as _, ObjectSection as _, ObjectSymbol as _, RelocationTarget};

/// `map name -> names of the programs it refers to`, for every struct_ops variable.
pub(crate) fn struct_ops_programs(elf: &[u8]) -> BTreeMap<String, BTreeSet<String>> {
    let mut res: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let Ok(file) = object::File::parse(elf) else {
        return res;
    };
    for sec in file.sections() {
        if !sec.name().is_ok_and(|n| n.starts_with(".struct_ops")) {
            continue;
        }
        let vars: Vec<_> = file
            .symbols()
            .filter(|s| s.section_index() == Some(sec.index()) && s.size() > 0)
            .map(|s| {
                (
                    s.address(),
                    s.size(),
                    s.name().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        for (_, _, name) in &vars {
            res.entry(name.clone()).or_default();
        }
        for (off, rel) in sec.relocations() {
            let RelocationTarget::Symbol(idx) = rel.target() else {
                continue;
            };
            let Ok(prog) = file.symbol_by_index(idx) else {
                continue;
            };
            if let Some((_, _, var)) = vars
                .iter()
                .find(|(start, size, _)| *start <= off && off < start + size)
            {
                res.entry(var.clone())
                    .or_default()
                    .insert(prog.name().unwrap_or_default().to_owned());
            }
        }
    }
    res
}
