//! A netfilter program's input: `struct bpf_nf_ctx { const struct nf_hook_state *state;
//! struct sk_buff *skb; }`, both pointers to kernel objects, as `BPF_PROG_TEST_RUN` builds them
//! (net/bpf/test_run.c, `bpf_prog_test_run_nf`).
//!
//! The test run's hook state is `pf = NFPROTO_IPV4`, `hook = NF_INET_LOCAL_OUT` unless the
//! caller passes one; at `LOCAL_OUT` the skb's data is the whole input (no Ethernet header is
//! parsed), `skb->len` its length and `skb->protocol` the Ethernet type of the family
//! (`ETH_P_IP` for IPv4). Both objects are read-only kernel objects of their BTF size
//! ([`crate::mem::ObjectKind::Kernel`]) with those fields filled in and the rest zero; the
//! run's packet is the skb's data, which `bpf_dynptr_from_skb` on the `skb` covers
//! ([`crate::dynptr`]). Offsets come from the kernel's BTF, which the caller gives.

use crate::machine::Input;
use crate::mem::{CtxObject, ObjectKind};
use bpfvet_analyzer::btf::{Btf, TypeId};

/// `NFPROTO_IPV4`.
pub const NFPROTO_IPV4: u8 = 2;
/// `NFPROTO_IPV6`.
pub const NFPROTO_IPV6: u8 = 10;
/// `NF_INET_LOCAL_OUT`, the test run's default hook.
pub const NF_INET_LOCAL_OUT: u8 = 3;
const ETH_P_IP: u16 = 0x0800;
const ETH_P_IPV6: u16 = 0x86dd;
/// Kernel objects are capped at this size (an `sk_buff` is a few hundred bytes).
const MAX_OBJECT: u64 = 1 << 16;

/// Where the fields a netfilter run fills in are, from the kernel's BTF.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NfLayout {
    /// Context offsets of `bpf_nf_ctx.state` and `.skb`.
    state_slot: u32,
    skb_slot: u32,
    state_size: usize,
    /// `nf_hook_state.hook` and `.pf` (one byte each).
    hook_off: usize,
    pf_off: usize,
    skb_size: usize,
    /// `sk_buff.len` (u32) and `.protocol` (big-endian u16).
    len_off: usize,
    protocol_off: usize,
}

/// The byte offset of member `name` of struct `id`, looking into anonymous members (the
/// `sk_buff` keeps `protocol` in an unnamed struct group).
fn field(btf: &Btf, id: TypeId, name: &str) -> Option<usize> {
    let id = btf.resolve(id)?;
    for m in btf.members(id)? {
        let here = (m.bit_offset / 8) as usize;
        let n = btf.member_name(m);
        if n == name {
            return Some(here);
        }
        if n.is_empty() {
            if let Some(inner) = field(btf, m.ty, name) {
                return Some(here + inner);
            }
        }
    }
    None
}

impl NfLayout {
    /// The layout `btf` gives, or `None` when it lacks one of the types or fields.
    pub fn from_btf(btf: &Btf) -> Option<NfLayout> {
        let ctx = btf.find_by_name("bpf_nf_ctx", "struct")?;
        let state = btf.find_by_name("nf_hook_state", "struct")?;
        let skb = btf.find_by_name("sk_buff", "struct")?;
        let size = |id| {
            btf.size_of(id)
                .filter(|&n| n <= MAX_OBJECT)
                .map(|n| n as usize)
        };
        Some(NfLayout {
            state_slot: u32::try_from(field(btf, ctx, "state")?).ok()?,
            skb_slot: u32::try_from(field(btf, ctx, "skb")?).ok()?,
            state_size: size(state)?,
            hook_off: field(btf, state, "hook")?,
            pf_off: field(btf, state, "pf")?,
            skb_size: size(skb)?,
            len_off: field(btf, skb, "len")?,
            protocol_off: field(btf, skb, "protocol")?,
        })
    }

    /// The context offsets of `state` and `skb`, which hold the objects' addresses.
    pub fn slots(&self) -> [u32; 2] {
        [self.state_slot, self.skb_slot]
    }

    /// The input of a run at hook `hook` of family `pf` over `data`, the skb's data.
    pub fn input(&self, pf: u8, hook: u8, data: &[u8]) -> Input {
        let mut state = vec![0u8; self.state_size];
        put(&mut state, self.hook_off, &[hook]);
        put(&mut state, self.pf_off, &[pf]);
        let mut skb = vec![0u8; self.skb_size];
        put(&mut skb, self.len_off, &(data.len() as u32).to_le_bytes());
        let proto = if pf == NFPROTO_IPV6 {
            ETH_P_IPV6
        } else {
            ETH_P_IP
        };
        put(&mut skb, self.protocol_off, &proto.to_be_bytes());
        let ctx_len = (self.state_slot.max(self.skb_slot) + 8) as usize;
        Input::Context {
            ctx: vec![0; ctx_len],
            packet: Some(data.to_vec()),
            fields: Vec::new(),
            objects: vec![
                CtxObject {
                    kind: ObjectKind::Kernel,
                    bytes: state,
                    slot: Some(self.state_slot),
                },
                CtxObject {
                    kind: ObjectKind::Kernel,
                    bytes: skb,
                    slot: Some(self.skb_slot),
                },
            ],
        }
    }

    /// The input `BPF_PROG_TEST_RUN` gives a netfilter program for `data` and no hook state
    /// of the caller's: IPv4 at `LOCAL_OUT`.
    pub fn test_run_input(&self, data: &[u8]) -> Input {
        self.input(NFPROTO_IPV4, NF_INET_LOCAL_OUT, data)
    }
}

fn put(buf: &mut [u8], at: usize, bytes: &[u8]) {
    if let Some(dst) = buf.get_mut(at..at + bytes.len()) {
        dst.copy_from_slice(bytes);
    }
}
