//! What a run left behind, comparable across engines and machines (`Outcome`), and the first
//! difference between two.

use super::addresses;
use crate::machine::{Machine, RunResult};
use crate::maps::MapId;
use crate::{Fault, FaultKind};

/// What one engine's run left behind, comparable across machines (no host addresses).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// `r0`, or the fault with addresses erased.
    pub result: Result<u64, String>,
    pub packet: Option<Vec<u8>>,
    /// The context's bytes after the run (object addresses masked), and the flow keys.
    pub ctx: Option<Vec<u8>>,
    pub objects: Vec<Vec<u8>>,
    /// Per map: every `(key, value)`.
    pub maps: Vec<Vec<(Vec<u8>, Vec<u8>)>>,
    /// Per map: ring-buffer records and perf events (index, bytes).
    pub events: Vec<(u32, Vec<u8>)>,
    pub trace: Vec<String>,
    pub redirects: Vec<(Option<u32>, u64, u64)>,
}

fn strip_fault(f: &Fault) -> String {
    let mut f = f.clone();
    if let FaultKind::OutOfBounds { addr, near, .. } = &mut f.kind {
        *addr = 0;
        *near = None;
    }
    if let FaultKind::ReadOnly { addr, .. } = &mut f.kind {
        *addr = 0;
    }
    if let FaultKind::BadCallTarget { target } = &mut f.kind {
        *target = 0;
    }
    f.to_string()
}

/// Reads everything observable out of a machine after a run.
pub fn outcome(m: &mut Machine, res: &Result<RunResult, Fault>) -> Outcome {
    let mut maps = Vec::new();
    let mut events = Vec::new();
    for i in 0..m.maps_len() {
        let id = MapId(i);
        let Some(map) = m.map(id) else { continue };
        let vs = map.def.value_size as usize;
        let mut entries = Vec::new();
        for (k, addr) in map.entries() {
            let mut value = m.mem.peek_bytes(addr, vs).unwrap_or_default();
            addresses::mask_addresses(&m.mem, &mut value);
            entries.push((k, value));
        }
        maps.push(entries);
        for r in map.ringbuf_records() {
            events.push((i, r.clone()));
        }
        for (idx, e) in map.perf_events() {
            events.push((i << 16 | (*idx & 0xffff), e.clone()));
        }
    }
    Outcome {
        result: match res {
            Ok(r) => Ok(r.r0),
            Err(f) => Err(strip_fault(f)),
        },
        packet: res.as_ref().ok().and_then(|r| r.packet.clone()),
        ctx: m.mem.context_bytes(),
        objects: m.mem.written_objects(),
        maps,
        events,
        trace: m.env.trace.clone(),
        redirects: m
            .env
            .redirects
            .iter()
            .map(|r| (r.map.map(|x| x.0), r.target, r.flags))
            .collect(),
    }
}

/// The first difference between two outcomes, in words.
pub fn compare(a: &Outcome, b: &Outcome) -> Option<String> {
    if a.result != b.result {
        return Some(format!(
            "result: interp {:?}, jit {:?}",
            a.result.as_ref().map(|v| format!("{v:#x}")),
            b.result.as_ref().map(|v| format!("{v:#x}"))
        ));
    }
    if a.packet != b.packet {
        return Some("the packets after the run differ".to_string());
    }
    if a.ctx != b.ctx {
        return Some("the contexts after the run differ".to_string());
    }
    if a.objects != b.objects {
        return Some("the flow keys after the run differ".to_string());
    }
    for (i, (x, y)) in a.maps.iter().zip(&b.maps).enumerate() {
        if x != y {
            return Some(format!("map {i}: contents differ after the run"));
        }
    }
    if a.events != b.events {
        return Some("ring-buffer or perf events differ".to_string());
    }
    if a.trace != b.trace {
        return Some("trace_printk output differs".to_string());
    }
    if a.redirects != b.redirects {
        return Some("redirects differ".to_string());
    }
    None
}
