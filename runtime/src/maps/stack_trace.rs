//! Stack traces: the `BPF_MAP_TYPE_STACK_TRACE` side of `bpf_get_stackid`, and the flag
//! rules it shares with `bpf_get_stack` (`kernel/bpf/stackmap.c`).
//!
//! Offline there is no call chain to walk, so the helpers see a synthetic one the machine's
//! environment configures (`Env::kernel_stack`, `Env::user_stack`, innermost frame first).
//! A stack id is the trace's hash masked to the bucket count (`max_entries` rounded up to a
//! power of two), as in the kernel, but with our hash (FNV-1a) instead of `jhash2`, so ids are
//! deterministic but not the kernel's numbers.

use super::{errno, Map, MapId};
use crate::mem::Memory;

/// Low byte of the flags: frames to skip.
pub const BPF_F_SKIP_FIELD_MASK: u64 = 0xff;
/// Walk the user stack instead of the kernel's.
pub const BPF_F_USER_STACK: u64 = 1 << 8;
/// `get_stackid`: compare traces by hash only.
pub const BPF_F_FAST_STACK_CMP: u64 = 1 << 9;
/// `get_stackid`: overwrite a bucket holding another trace instead of failing with `EEXIST`.
pub const BPF_F_REUSE_STACKID: u64 = 1 << 10;
/// `get_stack`: build-id records instead of addresses (not modelled: no build ids offline).
pub const BPF_F_USER_BUILD_ID: u64 = 1 << 11;

/// The trace's hash (FNV-1a over the addresses' bytes).
pub fn trace_hash(ips: &[u64]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for ip in ips {
        for b in ip.to_le_bytes() {
            h ^= u32::from(b);
            h = h.wrapping_mul(0x0100_0193);
        }
    }
    h
}

impl Map {
    /// `get_stackid` on this stack-trace map, given the whole stack `ips` (innermost frame
    /// first): the bucket id, or a negative errno (`EINVAL` for unknown flags, `EFAULT` when
    /// the stack has no frame past the skipped ones, `EEXIST` when the bucket holds another
    /// trace and `BPF_F_REUSE_STACKID` is not set).
    pub fn stack_id(&mut self, id: MapId, mem: &mut Memory, ips: &[u64], flags: u64) -> i64 {
        let known =
            BPF_F_SKIP_FIELD_MASK | BPF_F_USER_STACK | BPF_F_FAST_STACK_CMP | BPF_F_REUSE_STACKID;
        if flags & !known != 0 {
            return -errno::EINVAL;
        }
        let skip = (flags & BPF_F_SKIP_FIELD_MASK) as usize;
        if ips.len() <= skip {
            return -errno::EFAULT;
        }
        // The kernel walks at most `value_size / 8` frames past the skipped ones.
        let depth = (self.def.value_size / 8) as usize;
        let trace = &ips[skip..ips.len().min(skip + depth)];
        let buckets = self.def.max_entries.next_power_of_two();
        let bucket = trace_hash(trace) & (buckets - 1);
        let key = bucket.to_le_bytes();
        let mut value = vec![0u8; self.def.value_size as usize];
        for (i, ip) in trace.iter().enumerate() {
            value[i * 8..i * 8 + 8].copy_from_slice(&ip.to_le_bytes());
        }
        if let Some(addr) = self.slot(&key) {
            let old = mem.peek_bytes(addr, value.len()).unwrap_or_default();
            let same = old == value
                || (flags & BPF_F_FAST_STACK_CMP != 0
                    && trace_hash(&addresses(&old)) == trace_hash(trace));
            if same {
                return i64::from(bucket);
            }
            if flags & BPF_F_REUSE_STACKID == 0 {
                return -errno::EEXIST;
            }
        }
        match self.slot_insert(id, mem, &key, &value) {
            Some(_) => i64::from(bucket),
            None => -errno::EINVAL,
        }
    }
}

/// The addresses of a stored trace (trailing zero slots are unused depth).
fn addresses(value: &[u8]) -> Vec<u64> {
    let mut res: Vec<u64> = value
        .chunks_exact(8)
        .map(|c| u64::from_le_bytes(c.try_into().unwrap_or_default()))
        .collect();
    while res.last() == Some(&0) {
        res.pop();
    }
    res
}
