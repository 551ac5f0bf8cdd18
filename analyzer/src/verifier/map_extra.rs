//! The kernel's checks of a map definition's `map_extra` when libbpf creates the map
//! (`map_create` in kernel/bpf/syscall.c and the map types' `map_alloc_check`/`map_alloc`):
//! only bloom filters and arenas take one; a bloom filter's is its number of hash functions
//! (the low 4 bits, nothing above); an arena's is the user address its pages map at, page
//! aligned, with the whole range inside one 4 GiB window. A map the kernel refuses to create
//! makes libbpf refuse the whole object, so every program of it is refused before
//! verification. Confirmed on the live 6.18: a bloom filter with `map_extra` 16 and a hash map
//! with `map_extra` 1 each fail with "map '...': failed to create: -EINVAL".

use crate::isa::InsnIdx;
use crate::rules::map_type::{ARENA, BLOOM_FILTER};
use crate::verifier::env::Input;
use crate::verifier::violation::{Code, Violation};

const PAGE_SIZE: u64 = 4096;

/// Why the kernel refuses `map_extra` for a map of `map_type` with `max_entries`, and with
/// which errno name; `None` when it accepts it.
pub fn refused(map_type: u32, max_entries: u32, map_extra: u64) -> Option<(&'static str, String)> {
    match map_type {
        BLOOM_FILTER if map_extra & !0xf != 0 => Some((
            "EINVAL",
            format!("a bloom filter's map_extra is its number of hash functions, 0 to 15, not {map_extra}"),
        )),
        ARENA if map_extra % PAGE_SIZE != 0 => Some((
            "EINVAL",
            format!("an arena's map_extra is the user address of its pages and must be page aligned, not {map_extra:#x}"),
        )),
        ARENA => {
            let range = u64::from(max_entries) * PAGE_SIZE;
            let last = map_extra.checked_add(range.saturating_sub(1))?;
            (range <= 1 << 32 && map_extra >> 32 != last >> 32).then(|| {
                (
                    "ERANGE",
                    format!("the arena's {max_entries} pages from {map_extra:#x} cross a 4 GiB boundary"),
                )
            })
        }
        BLOOM_FILTER => None,
        _ if map_extra != 0 => Some((
            "EINVAL",
            format!("only bloom filters and arenas take a map_extra, not this map type ({map_extra} given)"),
        )),
        _ => None,
    }
}

/// The refusal of the first map of the object whose `map_extra` the kernel refuses.
pub fn refused_map(input: &Input<'_>) -> Option<Violation> {
    input.maps.iter().find_map(|m| {
        let (errno, why) = refused(m.map_type.0, m.max_entries, m.map_extra)?;
        Some(
            *Violation::new(
                Code::MapRefused,
                InsnIdx(0),
                format!("map {}: {why}", m.name),
                format!("map '{}': failed to create: -{errno}", m.name),
            )
            .with_note("the kernel refuses to create the map, so the object does not load"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::refused;
    use crate::rules::map_type::{ARENA, BLOOM_FILTER};

    const HASH: u32 = 1;

    #[test]
    fn only_bloom_filters_and_arenas_take_map_extra() {
        assert_eq!(refused(BLOOM_FILTER, 16, 15), None);
        assert_eq!(refused(BLOOM_FILTER, 16, 16).map(|r| r.0), Some("EINVAL"));
        assert_eq!(refused(HASH, 16, 1).map(|r| r.0), Some("EINVAL"));
        assert_eq!(refused(HASH, 16, 0), None);
        assert_eq!(refused(ARENA, 100, 1 << 44), None);
        assert_eq!(
            refused(ARENA, 100, (1 << 44) + 8).map(|r| r.0),
            Some("EINVAL")
        );
        // 2 pages starting one page below a 4 GiB boundary cross it.
        assert_eq!(
            refused(ARENA, 2, (1 << 32) - 4096).map(|r| r.0),
            Some("ERANGE")
        );
        assert_eq!(refused(ARENA, 1, (1 << 32) - 4096), None);
    }
}
