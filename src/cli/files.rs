//! The objects a command works on: files named on the command line, and every BPF object
//! (an ELF file whose machine is BPF) found by walking the directories named there.

use anyhow::Context as _;
use std::io::Read as _;
use std::path::{Path, PathBuf};

/// `e_machine` of BPF objects (EM_BPF in elf.h).
const EM_BPF: u16 = 247;

/// What the arguments expand to.
#[derive(Debug, Default)]
pub struct Objects {
    /// Named files as given, then each directory's BPF objects in path order.
    pub files: Vec<PathBuf>,
    /// Files met in directories that are not BPF objects (sources, other ELF files, ...).
    pub skipped: usize,
}

/// Expands `args`: a file is taken as it is (the loader says what is wrong with a file that is
/// not a BPF object), a directory is walked for BPF objects. Entries whose name starts with a
/// dot (`.git`, editor files) are not walked. A directory without any BPF object is an error:
/// a CI job that checks nothing should not pass.
pub fn expand(args: &[PathBuf]) -> anyhow::Result<Objects> {
    let mut out = Objects::default();
    for arg in args {
        let meta =
            std::fs::metadata(arg).with_context(|| format!("cannot read {}", arg.display()))?;
        if !meta.is_dir() {
            out.files.push(arg.clone());
            continue;
        }
        let before = out.files.len();
        walk(arg, &mut out)?;
        if out.files.len() == before {
            anyhow::bail!(
                "{}: no BPF object (ELF file for machine BPF) in this directory",
                arg.display()
            );
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Objects) -> anyhow::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read directory {}", dir.display()))?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .with_context(|| format!("cannot read directory {}", dir.display()))?;
    entries.sort();
    for path in entries {
        let hidden = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if hidden {
            continue;
        }
        // `metadata` follows symbolic links to files; a link to a directory is not followed,
        // so a link cycle cannot make the walk endless.
        let link = std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink());
        match std::fs::metadata(&path) {
            Ok(m) if m.is_dir() && !link => walk(&path, out)?,
            Ok(m) if m.is_file() => {
                if is_bpf_object(&path) {
                    out.files.push(path);
                } else {
                    out.skipped += 1;
                }
            }
            // Dangling links, sockets, linked directories: nothing to check.
            _ => {}
        }
    }
    Ok(())
}

/// Whether `path` starts with an ELF header whose `e_machine` is BPF, in either byte order.
pub fn is_bpf_object(path: &Path) -> bool {
    let mut head = [0u8; 20];
    let ok = std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut head));
    if ok.is_err() || head[..4] != *b"\x7fELF" {
        return false;
    }
    let machine = [head[18], head[19]];
    match head[5] {
        1 => u16::from_le_bytes(machine) == EM_BPF,
        2 => u16::from_be_bytes(machine) == EM_BPF,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("bpfvet-files-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).expect("tmp dir");
        d
    }

    fn elf(machine_le: u16) -> Vec<u8> {
        let mut h = vec![0u8; 64];
        h[..4].copy_from_slice(b"\x7fELF");
        h[4] = 2;
        h[5] = 1;
        h[18..20].copy_from_slice(&machine_le.to_le_bytes());
        h
    }

    #[test]
    fn the_walk_keeps_bpf_objects_only_in_path_order() {
        let d = tmp("walk");
        std::fs::create_dir_all(d.join("b/deeper")).expect("dirs");
        std::fs::create_dir_all(d.join(".git")).expect("dirs");
        std::fs::write(d.join("b/deeper/z.o"), elf(EM_BPF)).expect("write");
        std::fs::write(d.join("a.o"), elf(EM_BPF)).expect("write");
        std::fs::write(d.join("host.o"), elf(62)).expect("write");
        std::fs::write(d.join("prog.c"), "int x;").expect("write");
        std::fs::write(d.join(".git/hidden.o"), elf(EM_BPF)).expect("write");
        let got = expand(std::slice::from_ref(&d)).expect("expand");
        assert_eq!(got.files, [d.join("a.o"), d.join("b/deeper/z.o")]);
        assert_eq!(got.skipped, 2);
    }

    #[test]
    fn a_directory_without_objects_and_a_missing_path_are_errors() {
        let d = tmp("empty");
        std::fs::write(d.join("prog.c"), "int x;").expect("write");
        let e = expand(std::slice::from_ref(&d)).expect_err("no objects");
        assert!(e.to_string().contains("no BPF object"), "{e}");
        assert!(expand(&[d.join("missing.o")]).is_err());
    }

    #[test]
    fn big_endian_objects_count() {
        let d = tmp("be");
        let mut h = elf(0);
        h[5] = 2;
        h[18..20].copy_from_slice(&EM_BPF.to_be_bytes());
        std::fs::write(d.join("be.o"), h).expect("write");
        assert!(is_bpf_object(&d.join("be.o")));
        assert!(!is_bpf_object(&d));
    }
}
