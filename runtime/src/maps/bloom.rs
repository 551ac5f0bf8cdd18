//! The bloom filter map (`BPF_MAP_TYPE_BLOOM_FILTER`): `map_push_elem` adds a value,
//! `map_peek_elem` answers "maybe present" (0) or "absent" (`-ENOENT`); there are no keys, so
//! lookup and delete are refused as in the kernel (`kernel/bpf/bloom_filter.c`).
//!
//! Sizing follows the kernel: `map_extra`'s low 4 bits are the number of hash functions (0
//! means 5), and the bit array holds `max_entries * k * 7 / 5` bits (`7/5 ≈ 1/ln 2`) rounded up
//! to a power of two, at least 64. The set bits are kept sparse, so a large filter costs only
//! what is pushed into it.
//!
//! The hash is ours (FNV-1a mixed per hash index), not the kernel's `jhash` with its random
//! seed, so *which* values give false positives differs from a given kernel run; what holds
//! in both is that a pushed value is always reported present (no false negatives).

use super::{errno, MapDef, MapError};
use std::collections::BTreeSet;

/// `map_extra` bits that may be set (the hash-function count).
const HASH_MASK: u64 = 0xf;

#[derive(Debug)]
pub struct Bloom {
    nr_hashes: u32,
    /// Bit-array size minus one (a power of two minus one).
    mask: u64,
    bits: BTreeSet<u64>,
}

impl Bloom {
    /// A filter for `def`; the hash count comes from `map_extra` ([`MapDef::extra`]).
    pub fn new(def: &MapDef) -> Result<Bloom, MapError> {
        if def.key_size != 0 || def.value_size == 0 {
            return Err(MapError::BadDef(
                "bloom filters have no key and a non-empty value",
            ));
        }
        if def.extra & !HASH_MASK != 0 {
            return Err(MapError::BadDef(
                "bloom filter map_extra above the hash-function count",
            ));
        }
        let nr_hashes = match (def.extra & HASH_MASK) as u32 {
            0 => 5,
            n => n,
        };
        let want = u64::from(def.max_entries) * u64::from(nr_hashes) / 5 * 7;
        let nr_bits = if want > 1 << 31 {
            1 << 32
        } else {
            want.max(64).next_power_of_two()
        };
        Ok(Bloom {
            nr_hashes,
            mask: nr_bits - 1,
            bits: BTreeSet::new(),
        })
    }

    fn bit(&self, value: &[u8], i: u32) -> u64 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ u64::from(i).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        for &b in value {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        // A final avalanche so that nearby values spread over the array.
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h & self.mask
    }

    /// `map_push_elem`: only `BPF_ANY` is accepted.
    pub fn push(&mut self, value: &[u8], flags: u64) -> i64 {
        if flags != 0 {
            return -errno::EINVAL;
        }
        for i in 0..self.nr_hashes {
            let b = self.bit(value, i);
            self.bits.insert(b);
        }
        0
    }

    /// `map_peek_elem`: 0 if every bit of `value` is set, else `-ENOENT`.
    pub fn peek(&self, value: &[u8]) -> i64 {
        if (0..self.nr_hashes).all(|i| self.bits.contains(&self.bit(value, i))) {
            0
        } else {
            -errno::ENOENT
        }
    }

    /// The number of bits in the array.
    pub fn nr_bits(&self) -> u64 {
        self.mask + 1
    }

    /// The number of hash functions.
    pub fn nr_hashes(&self) -> u32 {
        self.nr_hashes
    }
}

impl super::Map {
    /// `map_peek_elem` on a bloom filter; `None` for other maps.
    pub fn bloom_peek(&self, value: &[u8]) -> Option<i64> {
        match &self.storage {
            super::Storage::Bloom(b) => Some(b.peek(value)),
            _ => None,
        }
    }

    /// The filter of a bloom-filter map.
    pub fn bloom(&self) -> Option<&Bloom> {
        match &self.storage {
            super::Storage::Bloom(b) => Some(b),
            _ => None,
        }
    }
}
