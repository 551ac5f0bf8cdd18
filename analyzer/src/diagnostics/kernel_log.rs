//! The kernel verifier log's syntax (log level 2, Linux 6.18), so that `bpfvet explain
//! --format kernel` can be diffed line by line against a real log: the kernel disassembler's
//! instruction text, register and stack states as `print_verifier_state` words them, and the
//! column the `; state` part starts at.
//!
//! Everything here is written from the kernel's observable output (its logs on the corpus; see
//! `tests/kernel_explain.rs`, which measures how many lines agree); no kernel code is copied.

use crate::btf::{Btf, TypeId};
use crate::isa::{AtomicOp, CallTarget, EndianOp, Insn, InsnIdx, Operand, PseudoSrc, Size, Width};
use crate::program::MapDef;
use crate::rules::HELPERS;
use crate::verifier::domain::Scalar;
use crate::verifier::state::{Delta, Frame, PtrKind, RegState, StackByte, StackSlot};
use std::fmt::Write as _;

/// What register states name besides numbers: the object's maps (`map=NAME,ks=..,vs=..`) and
/// the kernel's BTF, whose type names follow `ptr_` (`trusted_ptr_task_struct(...)`).
#[derive(Clone, Copy, Debug, Default)]
pub struct Names<'a> {
    pub maps: &'a [MapDef],
    pub kernel_btf: Option<&'a Btf>,
}

impl Names<'_> {
    /// The name the kernel prints after `ptr_` for a kernel object of this type: the type's
    /// own name, past typedefs and qualifiers (the kernel keeps the resolved struct's id).
    fn btf_type_name(&self, type_id: u32) -> &str {
        let Some(btf) = self.kernel_btf.filter(|_| type_id != 0) else {
            return "";
        };
        btf.resolve(TypeId(type_id))
            .map_or("", |id| btf.name_of(id))
    }
}

/// `r3` or `w3`: 32-bit operations name the sub-register.
fn reg(r: crate::isa::Reg, width: Width) -> String {
    match width {
        Width::W64 => format!("r{}", r.num()),
        Width::W32 => format!("w{}", r.num()),
    }
}

/// `(r1 +4)`: the kernel prints the offset with its sign, no space after it.
fn addr(base: crate::isa::Reg, off: i16) -> String {
    format!("(r{} {off:+})", base.num())
}

/// The instruction as the kernel's disassembler prints it, without the `N: (op)` prefix.
pub fn insn_text(insn: &Insn, maps: &[MapDef]) -> String {
    match *insn {
        Insn::Alu {
            width,
            op,
            dst,
            src: Operand::Reg(s),
        } => format!("{} {} {}", reg(dst, width), op.symbol(), reg(s, width)),
        Insn::Alu {
            width,
            op,
            dst,
            src: Operand::Imm(imm),
        } => format!("{} {} {imm}", reg(dst, width), op.symbol()),
        Insn::MovSx {
            width,
            dst,
            src,
            from_bits,
        } => format!("{} = (s{from_bits}){}", reg(dst, width), reg(src, width)),
        Insn::Neg { width, dst } => format!("{} = -{}", reg(dst, width), reg(dst, width)),
        Insn::Endian { op, dst, bits } => {
            let name = match op {
                EndianOp::ToLe => "le",
                EndianOp::ToBe => "be",
                EndianOp::Swap => "bswap",
            };
            format!("r{} = {name}{bits} r{}", dst.num(), dst.num())
        }
        Insn::AddrSpaceCast {
            dst,
            src,
            dst_as,
            src_as,
        } => format!(
            "r{} = addr_space_cast(r{}, {dst_as}, {src_as})",
            dst.num(),
            src.num()
        ),
        Insn::Ja { off, long: false } => format!("goto pc{off:+}"),
        Insn::Ja { off, long: true } => format!("gotol pc{off:+}"),
        Insn::MayGoto { off } => format!("may_goto pc{off:+}"),
        Insn::Jmp {
            width,
            cond,
            dst,
            src,
            off,
        } => {
            let rhs = match src {
                Operand::Reg(s) => reg(s, width),
                Operand::Imm(imm) => format!("{:#x}", imm),
            };
            format!(
                "if {} {} {rhs} goto pc{off:+}",
                reg(dst, width),
                cond.symbol()
            )
        }
        Insn::Call(CallTarget::Helper(id)) => {
            let name = u32::try_from(id)
                .ok()
                .and_then(|id| HELPERS.iter().find(|h| h.id == id))
                .map_or("unknown", |h| h.name);
            format!("call bpf_{name}#{id}")
        }
        Insn::Call(CallTarget::Local(off)) => format!("call pc{off:+}"),
        Insn::Call(CallTarget::Kfunc { btf_id, .. }) => format!("call kernel-function#{btf_id}"),
        Insn::Callx { reg: r } => format!("callx r{}", r.num()),
        Insn::Exit => "exit".to_string(),
        Insn::Load {
            size,
            sign_extend,
            dst,
            src,
            off,
        } => format!(
            "r{} = *({} *){}",
            dst.num(),
            size.type_name(sign_extend),
            addr(src, off)
        ),
        Insn::Store {
            size,
            dst,
            off,
            src,
        } => {
            let value = match src {
                Operand::Reg(s) => format!("r{}", s.num()),
                Operand::Imm(imm) => imm.to_string(),
            };
            format!("*({} *){} = {value}", size.type_name(false), addr(dst, off))
        }
        Insn::Atomic {
            size,
            op,
            dst,
            src,
            off,
        } => atomic_text(size, op, dst, src, off),
        Insn::LdImm64 {
            dst,
            src,
            imm,
            next_imm,
        } => {
            let value = match src {
                PseudoSrc::Imm => format!("{:#x}", Insn::imm64(imm, next_imm)),
                PseudoSrc::MapIdx | PseudoSrc::MapFd => map_ref(maps, imm, None),
                PseudoSrc::MapIdxValue | PseudoSrc::MapValue => map_ref(maps, imm, Some(next_imm)),
                PseudoSrc::Func => format!("func pc{imm:+}"),
                PseudoSrc::BtfId => format!("btf_id#{imm}"),
            };
            format!("r{} = {value}", dst.num())
        }
        Insn::LdImm64Tail => "(second slot of lddw)".to_string(),
        Insn::LdAbs { size, imm } => format!("r0 = *({} *)skb[{imm}]", size.type_name(false)),
        Insn::LdInd { size, src, imm } => format!(
            "r0 = *({} *)skb[r{} + {imm}]",
            size.type_name(false),
            src.num()
        ),
    }
}

/// A map address. The kernel prints the map's kernel address there, which changes with every
/// load; `map[NAME]` stands in for it (diffs normalize both to one token).
fn map_ref(maps: &[MapDef], idx: i32, value_off: Option<i32>) -> String {
    let name = usize::try_from(idx)
        .ok()
        .and_then(|i| maps.get(i))
        .map_or("?", |m| m.name.as_str());
    match value_off {
        None => format!("map[{name}]"),
        Some(off) => format!("map[{name}]+{off}"),
    }
}

fn atomic_text(
    size: Size,
    op: AtomicOp,
    dst: crate::isa::Reg,
    src: crate::isa::Reg,
    off: i16,
) -> String {
    let ty = size.type_name(false);
    let bits = if size == Size::DW { "64" } else { "" };
    let at = addr(dst, off);
    let (name, fetch) = match op {
        AtomicOp::Add { fetch } => ("add", fetch),
        AtomicOp::Or { fetch } => ("or", fetch),
        AtomicOp::And { fetch } => ("and", fetch),
        AtomicOp::Xor { fetch } => ("xor", fetch),
        AtomicOp::Xchg => {
            return format!(
                "r{} = atomic{bits}_xchg(({ty} *){at}, r{})",
                src.num(),
                src.num()
            )
        }
        AtomicOp::CmpXchg => {
            return format!(
                "r0 = atomic{bits}_cmpxchg(({ty} *){at}, r0, r{})",
                src.num()
            )
        }
        AtomicOp::LoadAcquire => return format!("r{} = load_acquire(({ty} *){at})", dst.num()),
        AtomicOp::StoreRelease => return format!("store_release(({ty} *){at}, r{})", src.num()),
    };
    if fetch {
        format!(
            "r{} = atomic{bits}_fetch_{name}(({ty} *){at}, r{})",
            src.num(),
            src.num()
        )
    } else {
        let sym = match name {
            "add" => "+=",
            "or" => "|=",
            "and" => "&=",
            _ => "^=",
        };
        format!("lock *({ty} *){at} {sym} r{}", src.num())
    }
}

/// `N: (op) text`: one instruction line of the log.
pub fn insn_line(pc: InsnIdx, insn: &Insn, maps: &[MapDef]) -> String {
    let op = crate::isa::encode_one(insn)[0];
    format!("{pc}: ({op:02x}) {}", insn_text(insn, maps))
}

/// Spaces after an instruction line of `len` characters so that the `;` lands where the
/// kernel puts it: the next multiple of 8 at or after column 40 (later for long lines, always
/// at least 4 columns after the text).
pub fn state_padding(len: usize) -> usize {
    let pos = len + 1; // the kernel counts the newline it overwrites
    let target = (pos + 4).max(40).div_ceil(8) * 8;
    target - pos - 1
}

/// Numbers within 16 bits print in decimal, others in hex, as the kernel prints bounds and
/// constants (`UNUM_MAX_DECIMAL` is `U16_MAX`, the signed limits are `S16_MIN..=S16_MAX`:
/// `R2=28232`, `R1=0x8000`, measured on the live kernel's logs).
fn unum(v: u64) -> String {
    if v <= u64::from(u16::MAX) {
        v.to_string()
    } else {
        format!("{v:#x}")
    }
}

fn snum(v: i64) -> String {
    if (i64::from(i16::MIN)..=i64::from(i16::MAX)).contains(&v) {
        v.to_string()
    } else {
        format!("{:#x}", v as u64)
    }
}

/// A 32-bit signed bound as the kernel lists it among the ranges: sign-extended when it prints
/// in decimal, its 32-bit pattern when it prints in hex (`smin32=0x80000000`, so that a hex
/// `smin32` never reads as a 64-bit number).
fn s32_item(v: i32) -> u64 {
    let wide = i64::from(v);
    if (i64::from(i16::MIN)..=i64::from(i16::MAX)).contains(&wide) {
        wide as u64
    } else {
        u64::from(v as u32)
    }
}

/// The bounds of a non-constant scalar: each that is not the type's full range, names with
/// equal values merged (`smin=smin32=0`), never merging a negative with a positive reading.
fn ranges(s: &Scalar, out: &mut Vec<String>) {
    let items: [(&str, u64, bool, bool); 8] = [
        ("smin", s.smin() as u64, s.smin() == i64::MIN, true),
        ("smax", s.smax() as u64, s.smax() == i64::MAX, true),
        ("umin", s.umin(), s.umin() == 0, false),
        ("umax", s.umax(), s.umax() == u64::MAX, false),
        (
            "smin32",
            s32_item(s.s32_min()),
            s.s32_min() == i32::MIN,
            true,
        ),
        (
            "smax32",
            s32_item(s.s32_max()),
            s.s32_max() == i32::MAX,
            true,
        ),
        ("umin32", u64::from(s.u32_min()), s.u32_min() == 0, false),
        (
            "umax32",
            u64::from(s.u32_max()),
            s.u32_max() == u32::MAX,
            false,
        ),
    ];
    let mut omit: [bool; 8] = items.map(|i| i.2);
    for a in 0..items.len() {
        if omit[a] {
            continue;
        }
        let (name, val, _, signed) = items[a];
        let neg = signed && (val as i64) < 0;
        let mut text = format!("{name}=");
        // Only names of the same kind (min with min, max with max) are merged.
        for b in (a + 2..items.len()).step_by(2) {
            let (bname, bval, _, bsigned) = items[b];
            if omit[b] || bval != val || (bsigned && (bval as i64) < 0) != neg {
                continue;
            }
            omit[b] = true;
            let _ = write!(text, "{bname}=");
        }
        text.push_str(&if signed { snum(val as i64) } else { unum(val) });
        out.push(text);
    }
}

fn scalar_text(v: &Scalar, id: u32, delta: Delta) -> String {
    if let Some(c) = v.as_const() {
        return snum(c as i64);
    }
    let mut parts = Vec::new();
    // A copy moved by a constant prints the constant after its id (`id=1+10`).
    match (id, delta) {
        (0, _) => {}
        (_, Delta::Same) => parts.push(format!("id={id}")),
        (_, d) => parts.push(format!("id={id}{:+}", d.off())),
    }
    ranges(v, &mut parts);
    let (value, mask) = v.tnum();
    if mask != u64::MAX {
        parts.push(format!("var_off=({value:#x}; {mask:#x})"));
    }
    format!("scalar({})", parts.join(","))
}

/// A register's state as the log prints it (`R2=` not included).
pub fn reg_text(r: &RegState, names: Names<'_>) -> String {
    let p = match r {
        RegState::Uninit => return "?".to_string(),
        RegState::Scalar { v, id, delta } => return scalar_text(v, *id, *delta),
        RegState::Ptr(p) => p,
    };
    if matches!(p.kind, PtrKind::Stack { .. }) {
        if let Some(c) = p.var_off.as_const() {
            return format!("fp{}", i64::from(p.off) + c as i64);
        }
    }
    let mut parts = Vec::new();
    if p.id != 0 {
        parts.push(format!("id={}", p.id));
    }
    if p.ref_obj_id != 0 {
        parts.push(format!("ref_obj_id={}", p.ref_obj_id));
    }
    // The kernel's order: ids, the map, then the offset and the packet range.
    let map = match p.kind {
        PtrKind::MapPtr { map } | PtrKind::MapValue { map } | PtrKind::MapKey { map } => {
            names.maps.get(map as usize)
        }
        _ => None,
    };
    if let Some(m) = map {
        parts.push(format!(
            "map={},ks={},vs={}",
            m.name, m.key_size, m.value_size
        ));
    }
    if p.off != 0 {
        parts.push(format!("off={}", snum(i64::from(p.off))));
    }
    if p.kind.is_packet() {
        parts.push(format!("r={}", unum(i64::from(p.range) as u64)));
    }
    if let PtrKind::Mem { size, .. } = p.kind {
        parts.push(format!("sz={}", unum(u64::from(size))));
    }
    // The kernel's untrusted memory has `mem_size` 0 (`rdonly_untrusted_mem(sz=0)`).
    if p.kind == PtrKind::UntrustedMem {
        parts.push("sz=0".to_string());
    }
    if !p.has_const_off() {
        ranges(&p.var_off, &mut parts);
        let (value, mask) = p.var_off.tnum();
        if mask != u64::MAX {
            parts.push(format!("var_off=({value:#x}; {mask:#x})"));
        }
    }
    let type_name = match p.kind {
        PtrKind::BtfId { type_id, .. } => {
            format!("{}{}", r.type_name(), names.btf_type_name(type_id))
        }
        _ => r.type_name(),
    };
    format!("{type_name}({})", parts.join(","))
}

/// A stack slot: the spilled register's state, or its byte letters.
pub fn slot_text(slot: &StackSlot, names: Names<'_>) -> String {
    match &slot.spilled {
        // A spill whose lowest byte is spilled prints as the register, after the letters of
        // the bytes above a narrow spill (`fp-8=????1` for a 4-byte spill of 1).
        Some(s) if slot.bytes[0] == StackByte::Spill => {
            let spilled = slot
                .bytes
                .iter()
                .take_while(|b| **b == StackByte::Spill)
                .count();
            let above: String = slot_letters(slot).chars().take(8 - spilled).collect();
            format!("{above}{}", reg_text(s, names))
        }
        _ => slot_letters(slot),
    }
}

/// One letter per byte, high byte first, as the kernel prints a slot: `?` never written, `m`
/// data, `0` zero, `r` part of a spill.
pub fn slot_letters(slot: &StackSlot) -> String {
    slot.bytes
        .iter()
        .rev()
        .map(|b| match b {
            StackByte::Invalid => '?',
            StackByte::Misc => 'm',
            StackByte::Zero => '0',
            StackByte::Spill => 'r',
        })
        .collect()
}

/// The registers in `regs` (a bit set) that hold a value, then the stack slots in `slots`
/// that were ever written: ` R1=ctx() fp-8=mmmmmmmm`, each with a leading space.
pub fn frame_text(
    f: &Frame,
    frame_no: usize,
    regs: u16,
    slots: Option<&[usize]>,
    names: Names<'_>,
) -> String {
    let mut out = String::new();
    if frame_no > 0 {
        let _ = write!(out, " frame{frame_no}:");
    }
    for r in crate::isa::Reg::all() {
        if regs & (1 << r.num()) == 0 || !f.reg(r).is_init() {
            continue;
        }
        let _ = write!(out, " R{}={}", r.num(), reg_text(f.reg(r), names));
    }
    for (i, slot) in f.stack.iter().enumerate() {
        if slots.is_some_and(|s| !s.contains(&i)) {
            continue;
        }
        if slot.bytes.iter().all(|b| *b == StackByte::Invalid) {
            continue;
        }
        let _ = write!(out, " fp-{}={}", 8 * (i + 1), slot_text(slot, names));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verifier::state::Pointer;

    /// Constants within 16 bits print in decimal, others in hex (the live kernel printed
    /// `R2=28232`, `R1=0x8000`, `R3=-32768`).
    #[test]
    fn sixteen_bit_numbers_print_in_decimal() {
        let c = |v: i64| {
            reg_text(
                &RegState::scalar(Scalar::constant(v as u64)),
                Names::default(),
            )
        };
        assert_eq!(
            [c(28232), c(32767), c(32768), c(-32768), c(-32769)],
            ["28232", "32767", "0x8000", "-32768", "0xffffffffffff7fff"]
        );
    }

    /// A hex 32-bit signed bound is its 32-bit pattern, so it is not merged with the
    /// sign-extended 64-bit bound.
    #[test]
    fn a_hex_s32_bound_prints_as_32_bits() {
        let v = Scalar::from_srange(i64::from(i32::MIN) + 1, 0);
        assert_eq!(
            reg_text(&RegState::scalar(v), Names::default()),
            "scalar(smin=0xffffffff80000001,smax=smax32=0,smin32=0x80000001)"
        );
    }

    /// The map comes before the offset (`map_value(map=corpus_c.bss,ks=4,vs=16,off=8)`).
    #[test]
    fn the_map_precedes_the_offset() {
        let maps = [MapDef::plain(
            "vals",
            crate::program::MapType::ARRAY,
            4,
            16,
            1,
        )];
        let mut p = Pointer::new(PtrKind::MapValue { map: 0 });
        p.off = 8;
        let names = Names {
            maps: &maps,
            kernel_btf: None,
        };
        assert_eq!(
            reg_text(&RegState::Ptr(p), names),
            "map_value(map=vals,ks=4,vs=16,off=8)"
        );
    }
}
