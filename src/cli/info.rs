//! `bpfvet info`: what an object holds, for people and (with `--format json`) for scripts.

use super::load::load_object_lenient;
use bpfvet_analyzer::program::Object;
use serde::Serialize;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// A BPF ELF object file.
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

fn info(obj: &Object) -> Info {
    Info {
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
    let obj = load_object_lenient(&args.file)?;
    let it = info(&obj);
    match args.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&it)?),
        Format::Human => {
            println!("{}", args.file.display());
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
    }
    Ok(ExitCode::SUCCESS)
}
