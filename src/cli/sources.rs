//! Finding the C sources a program's BTF line info names, so diagnostics can point at them.
//!
//! BTF records each file as the compiler saw it (here, paths relative to the repository root,
//! such as `corpus/c/xdp/foo.bpf.c`). A file is looked for, in order: under `--source-dir` at
//! that path and by its base name, next to the object by its base name, then at the recorded
//! path itself (relative to the working directory, or absolute). Files that cannot be read are
//! skipped: the diagnostics then point into a disassembly listing instead.

use bpfvet_analyzer::diagnostics::render::{source_files, Sources};
use bpfvet_analyzer::program::Program;
use std::path::{Path, PathBuf};

/// Largest source file read: anything bigger is not a BPF program's source.
const MAX_SOURCE_BYTES: u64 = 8 << 20;

fn candidates(recorded: &str, object: &Path, source_dir: Option<&Path>) -> Vec<PathBuf> {
    let rec = Path::new(recorded);
    let base = rec.file_name().map(PathBuf::from);
    let mut res = Vec::new();
    if let Some(dir) = source_dir {
        if rec.is_relative() {
            res.push(dir.join(rec));
        }
        res.extend(base.iter().map(|b| dir.join(b)));
    }
    if let (Some(parent), Some(b)) = (object.parent(), &base) {
        res.push(parent.join(b));
    }
    res.push(rec.to_path_buf());
    res
}

fn read(path: &Path) -> Option<String> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() || meta.len() > MAX_SOURCE_BYTES {
        return None;
    }
    std::fs::read_to_string(path).ok()
}

/// The sources of `progs` that can be found.
pub fn find<'a>(
    progs: impl IntoIterator<Item = &'a Program>,
    object: &Path,
    source_dir: Option<&Path>,
) -> Sources {
    let mut res = Sources::new();
    for prog in progs {
        for file in source_files(prog) {
            if res.get(&file).is_some() {
                continue;
            }
            if let Some(text) = candidates(&file, object, source_dir)
                .iter()
                .find_map(|p| read(p))
            {
                res.insert(file, text);
            }
        }
    }
    res
}
