//! Dynamic pointers (`struct bpf_dynptr`), shared by both engines: the helpers that make and
//! use them (`bpf_dynptr_from_mem`, `_read`, `_write`, `_data`, `bpf_ringbuf_*_dynptr`) and the
//! kfuncs (`bpf_dynptr_from_skb`/`_xdp`, `_slice`, `_slice_rdwr`, `_adjust`, `_is_null`,
//! `_is_rdonly`, `_size`, `_clone`).
//!
//! The state is the kernel's `struct bpf_dynptr_kern`, 16 bytes in the program's stack slot
//! (kernel/bpf/helpers.c, include/linux/bpf.h): the data pointer (8 bytes), then a `u32` whose
//! low 24 bits are the size, bits 28..30 the type and bit 31 the read-only flag, then the `u32`
//! offset into the data. A NULL dynptr is 16 zero bytes: every operation on one fails. The
//! verifier keeps programs from touching the slot's bytes, so only the operations here read
//! and write them; the layout is the kernel's so that both engines and a reader of a stack
//! dump see what the kernel would.
//!
//! Local and ring-buffer dynptrs address their memory directly (`data + offset`). An skb or
//! xdp dynptr keeps, as the kernel does, the packet's owner (the `sk_buff` or `xdp_buff`) in
//! `data`; its bytes are the run's packet from its current `data` on, looked up at every use,
//! so a dynptr made before `bpf_xdp_adjust_head` reads the moved packet as in the kernel. The
//! runtime's packets are linear (no fragments), so every in-bounds slice of a packet dynptr
//! points into the packet itself.

use crate::machine::Machine;
use crate::maps::errno;
use crate::mem::Access;
use crate::FaultKind;

/// `sizeof(struct bpf_dynptr)`.
pub const DYNPTR_SIZE: u64 = 16;
/// The size bits of the size word, which also bound a dynptr's size (`DYNPTR_MAX_SIZE`).
const SIZE_MASK: u32 = 0x00ff_ffff;
const TYPE_SHIFT: u32 = 28;
const TYPE_MASK: u32 = 0x7;
const RDONLY_BIT: u32 = 1 << 31;
/// `bpf_dynptr_write` flags an skb dynptr accepts (`BPF_F_RECOMPUTE_CSUM`,
/// `BPF_F_INVALIDATE_HASH`).
const SKB_WRITE_FLAGS: u64 = 0x3;
/// `ERANGE`.
const ERANGE: i64 = 34;
/// `ENOMEM`.
const ENOMEM: i64 = 12;

/// What a dynptr points to (`enum bpf_dynptr_type`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    Local = 1,
    Ringbuf = 2,
    Skb = 3,
    Xdp = 4,
}

impl Kind {
    fn of(bits: u32) -> Option<Kind> {
        match bits {
            1 => Some(Kind::Local),
            2 => Some(Kind::Ringbuf),
            3 => Some(Kind::Skb),
            4 => Some(Kind::Xdp),
            _ => None,
        }
    }
}

/// Whether `bpf_dynptr_from_skb` makes a read-only dynptr for programs of `prog_type`: the
/// verifier swaps in its read-only variant for every type that may not write packet data
/// directly (`may_access_direct_pkt_data` for a write), netfilter and socket filters among
/// them.
pub fn skb_dynptr_rdonly(prog_type: &str) -> bool {
    !matches!(
        prog_type,
        "sched_cls" | "sched_act" | "xdp" | "lwt_xmit" | "sk_skb" | "sk_msg"
    )
}

/// One dynptr's 16 bytes, decoded.
#[derive(Clone, Copy, Debug)]
struct Dynptr {
    data: u64,
    word: u32,
    offset: u32,
}

impl Dynptr {
    fn size(self) -> u32 {
        self.word & SIZE_MASK
    }

    fn kind(self) -> Option<Kind> {
        Kind::of((self.word >> TYPE_SHIFT) & TYPE_MASK)
    }

    fn rdonly(self) -> bool {
        self.word & RDONLY_BIT != 0
    }

    /// `[offset, offset + len)` lies inside the dynptr (`bpf_dynptr_check_off_len`).
    fn fits(self, offset: u64, len: u64) -> bool {
        let size = u64::from(self.size());
        len <= size && offset <= size - len
    }
}

fn load(m: &mut Machine, at: u64) -> Result<Dynptr, FaultKind> {
    Ok(Dynptr {
        data: m.mem.load(at, 8)?,
        word: m.mem.load(at + 8, 4)? as u32,
        offset: m.mem.load(at + 12, 4)? as u32,
    })
}

fn store(m: &mut Machine, at: u64, d: Dynptr) -> Result<(), FaultKind> {
    m.mem.store(at, 8, d.data)?;
    m.mem.store(at + 8, 4, u64::from(d.word))?;
    m.mem.store(at + 12, 4, u64::from(d.offset))
}

fn init(
    m: &mut Machine,
    at: u64,
    data: u64,
    kind: Kind,
    size: u32,
    rdonly: bool,
) -> Result<(), FaultKind> {
    let word = size | (kind as u32) << TYPE_SHIFT | if rdonly { RDONLY_BIT } else { 0 };
    store(
        m,
        at,
        Dynptr {
            data,
            word,
            offset: 0,
        },
    )
}

fn set_null(m: &mut Machine, at: u64) -> Result<(), FaultKind> {
    m.mem.write_bytes(at, &[0; DYNPTR_SIZE as usize])
}

fn neg(e: i64) -> u64 {
    (-e) as u64
}

/// The run's packet as `(data, len)`: what an skb or xdp dynptr covers.
fn packet(m: &Machine) -> Option<(u64, u64)> {
    m.mem
        .packet_bounds()
        .map(|(_, data, end)| (data, end - data))
}

/// Where bytes `[off, off + len)` of `d`'s memory are, with the error an out-of-range packet
/// access returns (the packet may have shrunk since the dynptr was made). `off` counts from
/// the dynptr's offset.
fn locate(m: &Machine, d: Dynptr, off: u64, len: u64) -> Result<u64, i64> {
    let at = u64::from(d.offset) + off;
    match d.kind() {
        Some(Kind::Local | Kind::Ringbuf) => Ok(d.data + at),
        Some(kind @ (Kind::Skb | Kind::Xdp)) => match packet(m) {
            Some((data, n)) if at + len <= n => Ok(data + at),
            // `skb_header_pointer` fails with -EFAULT, `bpf_xdp_pointer` with -EINVAL.
            _ if kind == Kind::Skb => Err(errno::EFAULT),
            _ => Err(errno::EINVAL),
        },
        None => Err(errno::EFAULT),
    }
}

/// `bpf_dynptr_from_mem(data, size, flags, ptr)`.
pub fn from_mem(m: &mut Machine, a: [u64; 5]) -> Result<u64, FaultKind> {
    let (data, size, flags, at) = (a[0], a[1] as u32, a[2], a[3]);
    let err = if size > SIZE_MASK {
        errno::E2BIG
    } else if flags != 0 {
        errno::EINVAL
    } else {
        init(m, at, data, Kind::Local, size, false)?;
        return Ok(0);
    };
    set_null(m, at)?;
    Ok(neg(err))
}

/// `bpf_dynptr_from_skb(skb, flags, ptr)` and `bpf_dynptr_from_xdp(xdp, flags, ptr)`: a
/// dynptr over the run's packet, read-only for an skb of a program that may not write packets
/// ([`Env::skb_dynptr_rdonly`](crate::Env)).
pub fn from_packet(m: &mut Machine, kind: Kind, a: [u64; 5]) -> Result<u64, FaultKind> {
    let (owner, flags, at) = (a[0], a[1], a[2]);
    if flags != 0 {
        set_null(m, at)?;
        return Ok(neg(errno::EINVAL));
    }
    let len = packet(m).map_or(0, |(_, n)| n) as u32 & SIZE_MASK;
    let rdonly = kind == Kind::Skb && m.env.skb_dynptr_rdonly;
    init(m, at, owner, kind, len, rdonly)?;
    Ok(0)
}

/// `bpf_ringbuf_reserve_dynptr(map, size, flags, ptr)`: `reserve` reserves a record of the
/// size (0 when the ring is full).
pub fn ringbuf_reserve(
    m: &mut Machine,
    a: [u64; 5],
    reserve: impl FnOnce(&mut Machine, u32) -> Result<u64, FaultKind>,
) -> Result<u64, FaultKind> {
    let (size, flags, at) = (a[1] as u32, a[2], a[3]);
    let err = if flags != 0 {
        errno::EINVAL
    } else if size > SIZE_MASK {
        errno::E2BIG
    } else {
        match reserve(m, size)? {
            0 => ENOMEM,
            record => {
                init(m, at, record, Kind::Ringbuf, size, false)?;
                return Ok(0);
            }
        }
    };
    set_null(m, at)?;
    Ok(neg(err))
}

/// `bpf_ringbuf_submit_dynptr` / `_discard_dynptr(ptr, flags)`: `commit` submits or discards
/// the record; the dynptr becomes NULL. A NULL dynptr (a failed reserve) is a no-op.
pub fn ringbuf_commit(
    m: &mut Machine,
    a: [u64; 5],
    commit: impl FnOnce(&mut Machine, u64) -> Result<u64, FaultKind>,
) -> Result<u64, FaultKind> {
    let d = load(m, a[0])?;
    if d.data == 0 {
        return Ok(0);
    }
    commit(m, d.data)?;
    set_null(m, a[0])?;
    Ok(0)
}

/// `bpf_dynptr_read(dst, len, src, offset, flags)`.
pub fn read(m: &mut Machine, a: [u64; 5]) -> Result<u64, FaultKind> {
    let (dst, len, offset, flags) = (a[0], u64::from(a[1] as u32), u64::from(a[3] as u32), a[4]);
    let d = load(m, a[2])?;
    if d.data == 0 || flags != 0 {
        return Ok(neg(errno::EINVAL));
    }
    if !d.fits(offset, len) {
        return Ok(neg(errno::E2BIG));
    }
    match locate(m, d, offset, len) {
        Ok(from) => {
            let bytes = m.mem.read_bytes(from, len as usize)?;
            m.mem.write_bytes(dst, &bytes)?;
            Ok(0)
        }
        Err(e) => {
            if d.kind() == Some(Kind::Skb) {
                // `bpf_skb_load_bytes` clears the destination when it fails.
                m.mem.write_bytes(dst, &vec![0; len as usize])?;
            }
            Ok(neg(e))
        }
    }
}

/// `bpf_dynptr_write(dst, offset, src, len, flags)`.
pub fn write(m: &mut Machine, a: [u64; 5]) -> Result<u64, FaultKind> {
    let (offset, src, len, flags) = (u64::from(a[1] as u32), a[2], u64::from(a[3] as u32), a[4]);
    let d = load(m, a[0])?;
    if d.data == 0 || d.rdonly() {
        return Ok(neg(errno::EINVAL));
    }
    if !d.fits(offset, len) {
        return Ok(neg(errno::E2BIG));
    }
    let flags_ok = match d.kind() {
        Some(Kind::Skb) => flags & !SKB_WRITE_FLAGS == 0,
        _ => flags == 0,
    };
    if !flags_ok {
        return Ok(neg(errno::EINVAL));
    }
    match locate(m, d, offset, len) {
        Ok(to) => {
            let bytes = m.mem.read_bytes(src, len as usize)?;
            m.mem.write_bytes(to, &bytes)?;
            Ok(0)
        }
        Err(e) => Ok(neg(e)),
    }
}

/// `bpf_dynptr_data(ptr, offset, len)`: a pointer into a local or ring-buffer dynptr's
/// memory, NULL for a read-only or packet one.
pub fn data(m: &mut Machine, a: [u64; 5]) -> Result<u64, FaultKind> {
    let (offset, len) = (u64::from(a[1] as u32), u64::from(a[2] as u32));
    let d = load(m, a[0])?;
    if d.data == 0 || !d.fits(offset, len) || d.rdonly() {
        return Ok(0);
    }
    Ok(match d.kind() {
        Some(Kind::Local | Kind::Ringbuf) => d.data + u64::from(d.offset) + offset,
        _ => 0,
    })
}

/// `bpf_dynptr_slice(ptr, offset, buffer, buffer__szk)` and, with `rdwr`,
/// `bpf_dynptr_slice_rdwr`: a pointer to `len` bytes at `offset`, or NULL. The runtime's
/// packets are linear, so the pointer is into the packet and the buffer is never used.
pub fn slice(m: &mut Machine, a: [u64; 5], rdwr: bool) -> Result<u64, FaultKind> {
    let (offset, len) = (u64::from(a[1] as u32), u64::from(a[3] as u32));
    let d = load(m, a[0])?;
    if d.data == 0 || (rdwr && d.rdonly()) || !d.fits(offset, len) {
        return Ok(0);
    }
    Ok(locate(m, d, offset, len).unwrap_or(0))
}

/// `bpf_dynptr_adjust(ptr, start, end)`: narrows the dynptr to `[start, end)` of its bytes.
pub fn adjust(m: &mut Machine, a: [u64; 5]) -> Result<u64, FaultKind> {
    let (start, end) = (a[1] as u32, a[2] as u32);
    let mut d = load(m, a[0])?;
    if d.data == 0 {
        return Ok(neg(errno::EINVAL));
    }
    let size = d.size();
    if start > size || end > size {
        return Ok(neg(ERANGE));
    }
    if start > end {
        return Ok(neg(errno::EINVAL));
    }
    d.offset = d.offset.wrapping_add(start);
    d.word = (d.word & !SIZE_MASK) | (end - start);
    store(m, a[0], d)?;
    Ok(0)
}

/// `bpf_dynptr_is_null(ptr)`.
pub fn is_null(m: &mut Machine, a: [u64; 5]) -> Result<u64, FaultKind> {
    Ok(u64::from(load(m, a[0])?.data == 0))
}

/// `bpf_dynptr_is_rdonly(ptr)`: false for a NULL dynptr.
pub fn is_rdonly(m: &mut Machine, a: [u64; 5]) -> Result<u64, FaultKind> {
    let d = load(m, a[0])?;
    Ok(u64::from(d.data != 0 && d.rdonly()))
}

/// `bpf_dynptr_size(ptr)`: the size, or `-EINVAL` as a `u32` for a NULL dynptr.
pub fn size(m: &mut Machine, a: [u64; 5]) -> Result<u64, FaultKind> {
    let d = load(m, a[0])?;
    Ok(if d.data == 0 {
        u64::from(neg(errno::EINVAL) as u32)
    } else {
        u64::from(d.size())
    })
}

/// `bpf_dynptr_clone(ptr, clone)`: copies the dynptr, or makes the clone NULL and fails when
/// the original is NULL.
pub fn clone(m: &mut Machine, a: [u64; 5]) -> Result<u64, FaultKind> {
    let d = load(m, a[0])?;
    m.mem.check(a[1], DYNPTR_SIZE, Access::Write)?;
    if d.data == 0 {
        set_null(m, a[1])?;
        return Ok(neg(errno::EINVAL));
    }
    store(m, a[1], d)?;
    Ok(0)
}
