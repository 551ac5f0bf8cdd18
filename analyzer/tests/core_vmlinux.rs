//! Relocates every corpus object with CO-RE records against this machine's kernel BTF
//! (`/sys/kernel/btf/vmlinux`), as libbpf would at load time, and checks that every record
//! resolves (no error, and no poisoned instruction except accesses guarded by a
//! `bpf_core_field_exists` of the same field that resolved to 0) and that a `task_struct->pid` access lands on
//! the kernel's offset of `pid`.
//!
//! Without the file this test fails loudly unless `BPFVET_NO_VMLINUX=1` says that is expected
//! (kernels built without `CONFIG_DEBUG_INFO_BTF`, some containers).

use bpfvet_analyzer::btf::ext::CoreReloKind;
use bpfvet_analyzer::btf::{Btf, TypeId};
use bpfvet_analyzer::elf::{essential_name, load, relocate_core};
use bpfvet_analyzer::isa::{Insn, Operand};
use std::path::{Path, PathBuf};

const VMLINUX: &str = "/sys/kernel/btf/vmlinux";

fn vmlinux() -> Option<Btf> {
    match std::fs::read(VMLINUX) {
        Ok(bytes) => Some(Btf::parse(&bytes).expect("vmlinux BTF parses")),
        Err(err) => {
            eprintln!("!!!! {VMLINUX} is not readable ({err}): CO-RE relocation NOT tested !!!!");
            assert_eq!(
                std::env::var("BPFVET_NO_VMLINUX").as_deref(),
                Ok("1"),
                "{VMLINUX} is missing; set BPFVET_NO_VMLINUX=1 to skip this test knowingly"
            );
            None
        }
    }
}

/// `corpus/c/core/*.bpf.o` and every object under `corpus/c/realworld/`.
fn objects() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus/c");
    let mut res = Vec::new();
    let mut stack = vec![root.join("core"), root.join("realworld")];
    while let Some(dir) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in rd.flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "o") {
                res.push(p);
            }
        }
    }
    res.sort();
    res
}

#[test]
fn corpus_core_relocations_resolve_against_vmlinux() {
    let Some(vmlinux) = vmlinux() else { return };
    let task_struct = vmlinux
        .find_by_name("task_struct", "struct")
        .expect("struct task_struct");
    let pid_off = vmlinux
        .member(task_struct, "pid")
        .expect("task_struct::pid")
        .bit_offset
        / 8;
    let (mut n_objects, mut n_records, mut n_pid_checks) = (0, 0, 0);
    let (mut n_guarded, mut n_size_checks) = (0, 0);
    let mut failures = Vec::new();
    for path in objects() {
        let what = path.display().to_string();
        let bytes = std::fs::read(&path).unwrap();
        let obj = load(&bytes).unwrap_or_else(|e| panic!("{what}: {e}"));
        if obj.n_core_relos() == 0 {
            continue;
        }
        n_objects += 1;
        let local = obj.btf().expect("CO-RE records come with .BTF");
        for prog in obj.programs() {
            let r = match relocate_core(prog, local, &vmlinux) {
                Ok(r) => r,
                Err(e) => {
                    failures.push(format!("{what} {}: {e}", prog.name()));
                    continue;
                }
            };
            assert_eq!(r.outcomes.len(), prog.core_relos().len());
            assert_eq!(r.program.insns().len(), prog.insns().len());
            for (o, relo) in r.outcomes.iter().zip(prog.core_relos()) {
                n_records += 1;
                // A poisoned access is what libbpf does for a field the kernel lacks; it is
                // fine only when the program guards it with `bpf_core_field_exists` of the same
                // field, which must then have resolved to 0.
                let guarded = r.outcomes.iter().zip(prog.core_relos()).any(|(g, gr)| {
                    gr.kind == CoreReloKind::FieldExists
                        && gr.type_id == relo.type_id
                        && gr.access == relo.access
                        && g.target_val == 0
                });
                if o.poisoned && guarded {
                    n_guarded += 1;
                } else if o.poisoned {
                    failures.push(format!(
                        "{what} {}: insn {} <{}> {} {:?} poisoned",
                        prog.name(),
                        o.insn,
                        relo.kind.name(),
                        relo.type_name,
                        relo.access
                    ));
                }
                // Spot check: `task_struct->pid` (local access "0:<index of pid>").
                let is_pid = relo.kind == CoreReloKind::FieldByteOffset
                    && essential_name(&relo.type_name) == "task_struct"
                    && local_member_name(local, relo.type_id, &relo.access) == Some("pid");
                if relo.kind == CoreReloKind::TypeSize
                    && essential_name(&relo.type_name) == "task_struct"
                {
                    n_size_checks += 1;
                    assert_eq!(Some(o.target_val), vmlinux.size_of(task_struct), "{what}");
                }
                if is_pid && !o.poisoned {
                    n_pid_checks += 1;
                    assert_eq!(o.target_val, u64::from(pid_off), "{what}: task_struct->pid");
                    let patched = match r.program.insns()[o.insn.idx()] {
                        Insn::Alu {
                            src: Operand::Imm(imm),
                            ..
                        } => i64::from(imm),
                        Insn::Load { off, .. } | Insn::Store { off, .. } => i64::from(off),
                        Insn::LdImm64 { imm, .. } => i64::from(imm),
                        other => panic!("{what}: unexpected relocated insn {other:?}"),
                    };
                    assert_eq!(patched, i64::from(pid_off), "{what}: patched pid offset");
                }
            }
        }
    }
    eprintln!(
        "CO-RE against {VMLINUX}: {n_objects} objects, {n_records} records, {} failures, \
         {n_guarded} guarded poisons, {n_pid_checks} task_struct->pid checks (pid at byte \
         {pid_off}), {n_size_checks} sizeof(task_struct) checks",
        failures.len()
    );
    assert!(n_objects > 0, "no corpus object has CO-RE records");
    assert!(
        n_pid_checks > 0,
        "no task_struct->pid access found in the corpus"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The name of the member a two-step access string `"0:i"` names in the local type.
fn local_member_name<'a>(btf: &'a Btf, ty: TypeId, access: &str) -> Option<&'a str> {
    let idx: usize = access.strip_prefix("0:")?.parse().ok()?;
    let m = btf.members(ty)?.get(idx)?;
    Some(btf.member_name(m))
}
