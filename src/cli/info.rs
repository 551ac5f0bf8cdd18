//! `bpfvet info`: what an object holds, for people and (with `--format json`) for scripts.

use super::load::{is_embedded, load_objects_lenient};
use bpfvet_analyzer::program::Object;
use serde::Serialize;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// A BPF ELF object file, or an executable with BPF objects embedded (libbpf skeletons).
    file: PathBuf,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Human,
    Json,
}

#[derive(Serialize)]
struct Info {
    /// `PATH!0xOFFSET` of an object embedded in the file (absent for the file itself).
    #[serde(skip_serializing_if = "Option::is_none")]
    object: Option<String>,
    programs: Vec<ProgInfo>,
    maps: Vec<MapInfo>,
    license: String,
    btf: bool,
    btf_ext: bool,
    core_relocations: usize,
}

#[derive(Serialize)]
struct ProgInfo {
    name: String,
    section: String,
    #[serde(rename = "type")]
    prog_type: Option<&'static str>,
    attach_type: Option<&'static str>,
    /// 8-byte slots of the program's own section code, before subprograms are linked in.
    insns: usize,
    /// Slots after linking.
    linked_insns: usize,
    subprograms: Vec<String>,
    /// Slots of the linked program that do not decode (absent when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    undecodable: Vec<u32>,
}

#[derive(Serialize)]
struct MapInfo {
    name: String,
    #[serde(rename = "type")]
    map_type: String,
    key_size: u32,
    value_size: u32,
    max_entries: u32,
    flags: u32,
}

fn info(obj: &Object, object: Option<String>) -> Info {
    Info {
        object,
        programs: obj
            .programs()
            .iter()
            .map(|p| ProgInfo {
                name: p.name().to_string(),
                section: p.section().to_string(),
                prog_type: p.prog_type().map(|t| t.name()),
                attach_type: p.attach_type().map(|t| t.name()),
                insns: p.n_insns_own(),
                linked_insns: p.insns().len(),
                subprograms: p
                    .subprogs()
                    .iter()
                    .skip(1)
                    .map(|s| s.name.clone())
                    .collect(),
                undecodable: p.undecoded().iter().map(|u| u.insn.0).collect(),
            })
            .collect(),
        maps: obj
            .maps()
            .iter()
            .map(|m| MapInfo {
                name: m.name.clone(),
                map_type: m
                    .map_type
                    .name()
                    .map_or_else(|| format!("unknown({})", m.map_type.0), str::to_string),
                key_size: m.key_size,
                value_size: m.value_size,
                max_entries: m.max_entries,
                flags: m.map_flags,
            })
            .collect(),
        license: obj.license().to_string(),
        btf: obj.has_btf(),
        btf_ext: obj.has_btf_ext(),
        core_relocations: obj.n_core_relos(),
    }
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    // Lenient: a program with slots that do not decode is still listed, with them counted.
    let objs = load_objects_lenient(&args.file)?;
    let embedded = objs.iter().any(|o| is_embedded(&o.name, &args.file));
    let infos: Vec<(Info, &Object)> = objs
        .iter()
        .map(|o| (info(&o.item, embedded.then(|| o.name.clone())), &o.item))
        .collect();
    match args.format {
        // An executable's embedded objects are a list, each naming itself; a plain object is
        // the object alone, as it always was.
        Format::Json if embedded => {
            let all: Vec<&Info> = infos.iter().map(|(i, _)| i).collect();
            println!("{}", serde_json::to_string_pretty(&all)?);
        }
        Format::Json => {
            for (it, _) in &infos {
                println!("{}", serde_json::to_string_pretty(it)?);
            }
        }
        Format::Human => {
            if embedded {
                println!(
                    "{}: {} BPF objects embedded (libbpf skeletons)",
                    args.file.display(),
                    infos.len()
                );
            }
            for ((it, obj), named) in infos.iter().zip(&objs) {
                human(&named.name, it, obj);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn human(name: &str, it: &Info, obj: &Object) {
    println!("{name}");
    for note in obj.load_notes() {
        println!("  note: {note}");
    }
    println!(
        "  license: {}",
        if it.license.is_empty() {
            "(none)"
        } else {
            &it.license
        }
    );
    println!(
        "  btf: {}, btf.ext: {}, CO-RE relocations: {}",
        it.btf, it.btf_ext, it.core_relocations
    );
    println!("  programs:");
    for p in &it.programs {
        let sub = if p.subprograms.is_empty() {
            String::new()
        } else {
            format!(", calls {}", p.subprograms.join(", "))
        };
        let sub = if p.undecodable.is_empty() {
            sub
        } else {
            let at: Vec<String> = p.undecodable.iter().map(u32::to_string).collect();
            format!("{sub}; does not decode at insn {}", at.join(", "))
        };
        println!(
            "    {} (section {}, type {}): {} insns ({} linked){sub}",
            p.name,
            p.section,
            p.prog_type.unwrap_or(if p.section == ".text" {
                "none (checked as socket_filter unless --type)"
            } else {
                "unknown"
            }),
            p.insns,
            p.linked_insns
        );
    }
    println!("  maps:");
    for m in &it.maps {
        println!(
            "    {} ({}): key {} B, value {} B, {} entries{}",
            m.name,
            m.map_type,
            m.key_size,
            m.value_size,
            m.max_entries,
            if m.flags != 0 {
                format!(", flags {:#x}", m.flags)
            } else {
                String::new()
            }
        );
    }
}
