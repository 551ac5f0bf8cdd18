//! A run's context objects: memory the context points to besides the packet, installed for
//! one run and replaced by the next.
//!
//! Two kinds. A *kernel object* stands for what a BTF-typed context's pointer argument points
//! to (`struct task_struct *` of `tp_btf/sched_wakeup`, the `task` of `iter/task`): a
//! read-only region of the pointee's BTF size, whose address is written into the argument's
//! u64 slot of the context. Programs read it with probe loads ([`Memory::probe_load`]), so
//! pointer fields read out of it (random bytes, in generated inputs) are harmless: loads
//! through them read 0, as in the kernel. The *flow keys* are a flow dissector's
//! `struct bpf_flow_keys`, writable, reached through the rewritten `__sk_buff.flow_keys` load
//! ([`super::CtxField::FlowKeys`]); what the program writes there is part of its output.
//!
//! The regions stay installed after the run (so results can be read out) until the next run
//! installs its own objects.

use super::{BlockId, Memory, RegionKind};

/// What kind of object, and so what region.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ObjectKind {
    /// A read-only kernel object ([`RegionKind::KernelObject`]).
    Kernel,
    /// A kernel object the program may write, in the fields the verifier allowed (a
    /// struct_ops program's `tcp_sock`): the region is writable, the verifier keeps the
    /// writes to the allowed fields.
    WritableKernel,
    /// The flow dissector's keys ([`RegionKind::FlowKeys`]), writable.
    FlowKeys,
}

impl ObjectKind {
    /// The kind of the objects a BTF-typed context of program type `prog_type` points to:
    /// struct_ops programs may write some fields of theirs (the verifier says which); every
    /// other program only reads them.
    pub fn kernel_for(prog_type: &str) -> ObjectKind {
        if prog_type == "struct_ops" {
            ObjectKind::WritableKernel
        } else {
            ObjectKind::Kernel
        }
    }
}

/// One object of a run's input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CtxObject {
    pub kind: ObjectKind,
    pub bytes: Vec<u8>,
    /// The context offset of the u64 slot that holds the object's address, if any.
    pub slot: Option<u32>,
}

/// The objects installed for the current run.
#[derive(Debug, Default)]
pub(super) struct Objects {
    /// `(block, region start, kind)` per object, in input order.
    installed: Vec<(BlockId, u64, ObjectKind)>,
    /// The context offsets that hold object addresses.
    slots: Vec<u32>,
}

impl Objects {
    /// The context offsets that hold object addresses (host addresses, which differ between
    /// machines).
    pub(super) fn slots(&self) -> &[u32] {
        &self.slots
    }
}

impl Memory {
    /// Replaces the previous run's objects with `objects`; returns their addresses, in order.
    /// Objects of size 0 still get a distinct address (a one-byte block) but no region.
    pub fn set_objects(&mut self, objects: &[CtxObject]) -> Vec<u64> {
        self.clear_objects();
        let mut addrs = Vec::with_capacity(objects.len());
        for o in objects {
            let block = self.alloc(o.bytes.len().max(1), false);
            self.fill(block, 0, &o.bytes);
            let start = if o.bytes.is_empty() {
                self.block_addr(block)
            } else {
                let (kind, writable) = match o.kind {
                    ObjectKind::Kernel => (RegionKind::KernelObject, false),
                    ObjectKind::WritableKernel => (RegionKind::KernelObject, true),
                    ObjectKind::FlowKeys => (RegionKind::FlowKeys, true),
                };
                self.add_region(block, 0, o.bytes.len(), kind, writable)
            };
            self.objects.installed.push((block, start, o.kind));
            self.objects.slots.extend(o.slot);
            addrs.push(start);
        }
        addrs
    }

    /// Frees the previous run's objects and their regions.
    pub fn clear_objects(&mut self) {
        for (block, _, _) in std::mem::take(&mut self.objects.installed) {
            self.free_now(block);
        }
        self.objects.slots.clear();
    }

    /// The address of the run's flow keys, if it has them.
    pub fn flow_keys_addr(&self) -> Option<u64> {
        self.objects
            .installed
            .iter()
            .find(|(_, _, k)| *k == ObjectKind::FlowKeys)
            .map(|(_, start, _)| *start)
    }

    /// The bytes of the run's writable objects (the flow keys), in input order: part of a
    /// run's output.
    pub fn written_objects(&self) -> Vec<Vec<u8>> {
        self.objects
            .installed
            .iter()
            .filter(|(_, _, k)| *k == ObjectKind::FlowKeys)
            .map(|(b, _, _)| self.block_bytes(*b, 0, self.block(*b).len))
            .collect()
    }
}
