//! Addresses in a run's output, made comparable across machines.
//!
//! A privileged program may store an address in a map (`*(u64 *)(r0 + 0) = r10`). The
//! interpreter and the checked JIT run on two machines whose blocks sit at different host
//! addresses, so such a value differs between them even when both stored the same place.
//! Each stored address is rewritten as its region's kind and the offset into it: two
//! machines then compare equal exactly when the programs stored the same place.

use crate::mem::{Memory, RegionKind};

/// High bits no host address has (user-space addresses stay below 2^47), marking a word as
/// rewritten.
const TAG: u64 = 0xadd0_0000_0000_0000;

/// Rewrites each aligned 8-byte word of `value` that holds an address inside one of `mem`'s
/// regions, or one past its end (`r10` is the stack's end), as `TAG | kind << 40 | offset`.
pub fn mask_addresses(mem: &Memory, value: &mut [u8]) {
    for word in value.chunks_exact_mut(8) {
        let w = u64::from_le_bytes(word.try_into().expect("8-byte chunk"));
        let region = mem
            .region_at(w)
            .or_else(|| w.checked_sub(1).and_then(|x| mem.region_at(x)));
        if let Some(r) = region {
            let masked = TAG | kind_code(r.kind) << 40 | (w - r.start);
            word.copy_from_slice(&masked.to_le_bytes());
        }
    }
}

/// A distinct number per region kind (and per map, for map-owned regions), below 2^12.
fn kind_code(kind: RegionKind) -> u64 {
    let map_bits = |id: crate::maps::MapId| u64::from(id.0 & 0xff) << 4;
    match kind {
        RegionKind::Context => 1,
        RegionKind::Packet => 2,
        RegionKind::Stack => 3,
        RegionKind::Input => 4,
        RegionKind::Probe => 5,
        RegionKind::KernelObject => 6,
        RegionKind::FlowKeys => 7,
        RegionKind::MapValue { map } => 8 | map_bits(map),
        RegionKind::RingbufRecord { map } => 9 | map_bits(map),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A machine's memory with one 64-byte stack region, and the region's start.
    fn memory_with_stack() -> (Memory, u64) {
        let mut mem = Memory::default();
        let block = mem.alloc(64, false);
        let start = mem.add_region(block, 0, 64, RegionKind::Stack, true);
        (mem, start)
    }

    fn masked(mem: &Memory, w: u64) -> u64 {
        let mut bytes = w.to_le_bytes();
        mask_addresses(mem, &mut bytes);
        u64::from_le_bytes(bytes)
    }

    #[test]
    fn the_same_place_in_two_memories_masks_equal() {
        let (a, sa) = memory_with_stack();
        let (b, sb) = memory_with_stack();
        assert_ne!(sa, sb);
        for off in [0, 8, 63, 64] {
            assert_eq!(masked(&a, sa + off), masked(&b, sb + off), "offset {off}");
        }
    }

    #[test]
    fn different_places_stay_different() {
        let (a, sa) = memory_with_stack();
        let (b, sb) = memory_with_stack();
        assert_ne!(masked(&a, sa + 8), masked(&b, sb + 16));
        assert_ne!(masked(&a, sa + 8), masked(&a, sa + 16));
    }

    #[test]
    fn numbers_that_are_not_addresses_are_kept() {
        let (a, sa) = memory_with_stack();
        for w in [0, 1, 0x1234_5678, sa - 1, sa + 65, u64::MAX] {
            assert_eq!(masked(&a, w), w, "{w:#x}");
        }
    }
}
