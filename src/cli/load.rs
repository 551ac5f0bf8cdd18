//! Reading an object file and loading it, with errors that name the file.

use anyhow::Context;
use bpfvet_analyzer::elf;
use bpfvet_analyzer::program::{Object, Program};
use std::path::Path;

/// Largest object we read: a bigger file is almost certainly not a BPF object.
const MAX_OBJECT_BYTES: u64 = 512 << 20;

pub fn load_object(path: &Path) -> anyhow::Result<Object> {
    load_object_with(path, elf::load)
}

/// Loads the one object `path` names: the file itself; or, in an executable with BPF objects
/// embedded (libbpf skeletons), the object at `FILE!0xOFFSET` (as `check` and `info` name
/// them), or the only one when the file embeds just one.
fn load_object_with(
    path: &Path,
    load: fn(&[u8]) -> Result<Object, elf::LoadError>,
) -> anyhow::Result<Object> {
    let (file, offset) = split_embedded_name(path);
    let bytes = read_bounded(&file)?;
    let parts = object_bytes(&file, &bytes);
    let embedded = parts.first().is_some_and(|p| p.item.len() != bytes.len());
    let chosen = match (embedded, offset) {
        (false, None) => &bytes[..],
        (false, Some(_)) => anyhow::bail!(
            "{}: no BPF object is embedded at an offset in it (it is one itself, or no ELF file): name the file alone",
            file.display()
        ),
        (true, wanted) => {
            let names = || parts.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join(", ");
            match wanted {
                None if parts.len() == 1 => parts[0].item,
                None => anyhow::bail!(
                    "{}: {} BPF objects are embedded in this file; name one as FILE!0xOFFSET ({})",
                    file.display(),
                    parts.len(),
                    names()
                ),
                Some(_) => match parts.iter().find(|p| p.name == path.display().to_string()) {
                    Some(p) => p.item,
                    None => anyhow::bail!(
                        "{}: no BPF object is embedded at that offset (embedded: {})",
                        path.display(),
                        names()
                    ),
                },
            }
        }
    };
    load(chosen).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// `FILE!0xOFFSET` split into the file and the offset, when `path` does not exist as given
/// and ends that way; else `path` itself.
fn split_embedded_name(path: &Path) -> (std::path::PathBuf, Option<u64>) {
    if !path.exists() {
        if let Some((file, off)) = path.to_str().and_then(|s| s.rsplit_once('!')) {
            if let Some(n) = off
                .strip_prefix("0x")
                .and_then(|h| u64::from_str_radix(h, 16).ok())
            {
                return (file.into(), Some(n));
            }
        }
    }
    (path.to_path_buf(), None)
}

/// The bytes of `path`, refusing files larger than [`MAX_OBJECT_BYTES`].
pub fn read_bounded(path: &Path) -> anyhow::Result<Vec<u8>> {
    let meta =
        std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
    if meta.len() > MAX_OBJECT_BYTES {
        anyhow::bail!(
            "{}: file is {} bytes, larger than any BPF object bpfvet accepts",
            path.display(),
            meta.len()
        );
    }
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

/// One BPF object of a file: the file itself, or one embedded in it.
pub struct Named<T> {
    /// How output names it: the path, or `PATH!0xOFFSET` for an embedded object.
    pub name: String,
    pub item: T,
}

/// The BPF objects of the file `bytes` (read from `path`), unloaded: the file itself when it is
/// one (or no ELF at all, for the loader to say why), else every BPF object embedded in it (a
/// libbpf skeleton compiles its object into the executable). An ELF file for another machine
/// with none embedded is the loader's error, which names its machine.
pub fn object_bytes<'a>(path: &Path, bytes: &'a [u8]) -> Vec<Named<&'a [u8]>> {
    let display = path.display().to_string();
    let whole = || {
        vec![Named {
            name: display.clone(),
            item: bytes,
        }]
    };
    if !bytes.starts_with(b"\x7fELF") || elf::embedded::is_bpf_object(bytes) {
        return whole();
    }
    let found = elf::embedded::find_embedded(bytes);
    if found.is_empty() {
        return whole();
    }
    found
        .iter()
        .map(|e| Named {
            name: format!("{display}!{:#x}", e.offset),
            item: e.bytes(bytes),
        })
        .collect()
}

/// Every BPF object of `path` ([`object_bytes`]), loaded leniently: slots that do not decode
/// are kept as [`Program::undecoded`] instead of refusing the object (`info`, `disasm` and
/// `check`). An embedded object that does not load is an error naming it.
pub fn load_objects_lenient(path: &Path) -> anyhow::Result<Vec<Named<Object>>> {
    let bytes = read_bounded(path)?;
    let parts = object_bytes(path, &bytes);
    let embedded = parts.len() > 1 || parts.first().is_some_and(|p| p.item.len() != bytes.len());
    parts
        .into_iter()
        .map(|p| {
            let obj = elf::load_lenient(p.item).map_err(|e| {
                if embedded {
                    anyhow::anyhow!("{} (a BPF object embedded in the file): {e}", p.name)
                } else if matches!(e.kind(), elf::LoadErrorKind::NotBpf { .. }) {
                    // An executable or library: say that it was searched, too.
                    anyhow::anyhow!(
                        "{}: {e}, and no complete BPF object is embedded in it",
                        p.name
                    )
                } else {
                    anyhow::anyhow!("{}: {e}", p.name)
                }
            })?;
            Ok(Named {
                name: p.name,
                item: obj,
            })
        })
        .collect()
}

/// Whether `name` (from [`object_bytes`]) names an object embedded in a larger file.
pub fn is_embedded(name: &str, path: &Path) -> bool {
    name != path.display().to_string()
}

/// The programs of `obj` selected by `--program` (all when `None`), or an error naming the
/// programs there are.
pub fn select<'a>(
    obj: &'a Object,
    path: &Path,
    name: Option<&str>,
) -> anyhow::Result<Vec<&'a Program>> {
    match name {
        None => Ok(obj.programs().iter().collect()),
        Some(n) => match obj.program(n) {
            Some(p) => Ok(vec![p]),
            None => {
                let names: Vec<&str> = obj.programs().iter().map(Program::name).collect();
                let text: Vec<&str> = obj
                    .text_functions()
                    .iter()
                    .map(Program::name)
                    .filter(|t| !names.contains(t))
                    .collect();
                let text = if text.is_empty() {
                    String::new()
                } else {
                    format!("; .text functions: {}", text.join(", "))
                };
                anyhow::bail!(
                    "{}: no program named {n:?} (programs: {}{text})",
                    path.display(),
                    names.join(", ")
                )
            }
        },
    }
}

/// Whether checking `prog` needs kernel types beyond its context: it calls kernel functions
/// (their prototypes are read from the kernel's BTF), or the object's global functions take
/// kernel objects (`__arg_trusted` / `__arg_untrusted`, matched against kernel structs), or
/// it casts sockets to kernel structs.
pub fn needs_kernel_types(obj: &Object, prog: &Program) -> bool {
    let kfuncs = prog.relocs().iter().any(|r| {
        matches!(
            r.target,
            bpfvet_analyzer::program::RelocTarget::Extern { .. }
        )
    });
    // The socket casts (`bpf_skc_to_tcp_sock`, ...) return kernel structs by name.
    let casts = prog.insns().iter().any(|i| {
        matches!(i, bpfvet_analyzer::isa::Insn::Call(bpfvet_analyzer::isa::CallTarget::Helper(id))
            if bpfvet_analyzer::rules::HelperTable::standard()
                .get(*id)
                .is_some_and(|h| h.name.starts_with("skc_to_")))
    });
    // A netfilter program's context holds kernel pointers typed by BTF.
    let netfilter = prog.section().starts_with("netfilter");
    kfuncs
        || casts
        || netfilter
        || obj.btf().is_some_and(|b| {
            b.decl_tags()
                .any(|(_, _, tag)| matches!(tag, "arg:trusted" | "arg:untrusted"))
                || has_kptr_tags(b)
        })
}

/// Whether the object declares kptr fields (`__kptr`, `__kptr_untrusted`, `__percpu_kptr`):
/// what a load of one gives depends on whether the kernel has a struct of the field's type
/// name, even in a program that calls no kernel function.
fn has_kptr_tags(btf: &bpfvet_analyzer::btf::Btf) -> bool {
    btf.types().any(|(_, t)| {
        matches!(t.kind, bpfvet_analyzer::btf::BtfKind::TypeTag { .. })
            && matches!(
                btf.name(t),
                "kptr" | "kptr_ref" | "kptr_untrusted" | "percpu_kptr"
            )
    })
}

/// Where the running kernel publishes its BTF.
const VMLINUX_BTF: &str = "/sys/kernel/btf/vmlinux";

/// The kernel BTF that types BTF-typed contexts: `--btf FILE` when given, else the running
/// kernel's when it publishes one, parsed once per process. `None` when there is none; programs
/// that need it then get an `unsupported-ctx` finding that says so.
/// The kernel BTF `prog` needs, read once (from `path`, or the running kernel's), or `None`
/// when it needs none: a context typed by the kernel's BTF, CO-RE relocations, or kfuncs and
/// kernel types it names.
pub fn kernel_btf_for(
    obj: &Object,
    prog: &Program,
    rules: &bpfvet_analyzer::rules::ProgTypeRules,
    path: Option<&Path>,
) -> anyhow::Result<Option<&'static bpfvet_analyzer::btf::Btf>> {
    let needs = rules.ctx_needs_kernel_btf()
        || !prog.core_relos().is_empty()
        || needs_kernel_types(obj, prog);
    if needs {
        kernel_btf(path)
    } else {
        Ok(None)
    }
}

pub fn kernel_btf(
    path: Option<&Path>,
) -> anyhow::Result<Option<&'static bpfvet_analyzer::btf::Btf>> {
    use std::sync::OnceLock;
    static DEFAULT: OnceLock<Option<bpfvet_analyzer::btf::Btf>> = OnceLock::new();
    static GIVEN: OnceLock<bpfvet_analyzer::btf::Btf> = OnceLock::new();
    if let Some(p) = path {
        let bytes = std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?;
        let btf = bpfvet_analyzer::btf::Btf::parse(&bytes)
            .map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?;
        return Ok(Some(GIVEN.get_or_init(|| btf)));
    }
    Ok(DEFAULT
        .get_or_init(|| {
            std::fs::read(VMLINUX_BTF)
                .ok()
                .and_then(|b| bpfvet_analyzer::btf::Btf::parse(&b).ok())
        })
        .as_ref())
}

/// `prog` with its CO-RE relocations resolved against `kernel`, and a note for the reader when
/// they could not be (the compiled offsets are then used, as the analysis says).
pub fn core_relocate(
    obj: &Object,
    prog: &Program,
    kernel: Option<&bpfvet_analyzer::btf::Btf>,
) -> (Option<Program>, Option<String>) {
    use bpfvet_analyzer::verifier::env::core_relocated;
    match core_relocated(obj, prog, kernel) {
        Some(Ok(p)) => (Some(p), None),
        Some(Err(why)) => (None, Some(format!("CO-RE relocations not resolved ({why}): the compiled offsets are used"))),
        None if !prog.core_relos().is_empty() => (
            None,
            Some("CO-RE relocations not resolved (no kernel BTF; pass --btf): the compiled offsets are used".to_string()),
        ),
        None => (None, None),
    }
}
