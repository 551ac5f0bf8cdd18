//! Unit tests for CO-RE relocation on hand-made local and target BTF.

use super::*;
use crate::isa::{AluOp, Reg, Width};

/// Builds a BTF blob type by type; each method returns the new type's id.
struct B {
    words: Vec<u32>,
    strings: Vec<u8>,
    n: u32,
}

impl B {
    fn new() -> B {
        B {
            words: Vec::new(),
            strings: vec![0],
            n: 0,
        }
    }

    fn s(&mut self, text: &str) -> u32 {
        if text.is_empty() {
            return 0;
        }
        let off = self.strings.len() as u32;
        self.strings.extend_from_slice(text.as_bytes());
        self.strings.push(0);
        off
    }

    fn ty(&mut self, name: &str, kind: u32, kflag: bool, vlen: u32, size_or_type: u32) -> TypeId {
        let name = self.s(name);
        self.words.push(name);
        self.words
            .push((u32::from(kflag) << 31) | (kind << 24) | vlen);
        self.words.push(size_or_type);
        self.n += 1;
        TypeId(self.n)
    }

    fn int(&mut self, name: &str, size: u32, signed: bool) -> TypeId {
        let id = self.ty(name, 1, false, 0, size);
        self.words.push((u32::from(signed) << 24) | (size * 8));
        id
    }

    fn ptr(&mut self, to: TypeId) -> TypeId {
        self.ty("", 2, false, 0, to.0)
    }

    fn typedef(&mut self, name: &str, to: TypeId) -> TypeId {
        self.ty(name, 8, false, 0, to.0)
    }

    fn array(&mut self, elem: TypeId, index: TypeId, nelems: u32) -> TypeId {
        let id = self.ty("", 3, false, 0, 0);
        self.words.extend_from_slice(&[elem.0, index.0, nelems]);
        id
    }

    /// A struct (`kind` 4) or union (5); members as `(name, type, bit offset, bitfield size)`.
    fn agg(
        &mut self,
        kind: u32,
        name: &str,
        size: u32,
        members: &[(&str, TypeId, u32, u32)],
    ) -> TypeId {
        let kflag = members.iter().any(|m| m.3 != 0);
        let id = self.ty(name, kind, kflag, members.len() as u32, size);
        for &(n, ty, off, bits) in members {
            let n = self.s(n);
            let off = if kflag { (bits << 24) | off } else { off };
            self.words.extend_from_slice(&[n, ty.0, off]);
        }
        id
    }

    fn st(&mut self, name: &str, size: u32, members: &[(&str, TypeId, u32)]) -> TypeId {
        let m: Vec<_> = members.iter().map(|&(n, t, o)| (n, t, o, 0)).collect();
        self.agg(4, name, size, &m)
    }

    fn un(&mut self, name: &str, size: u32, members: &[(&str, TypeId, u32)]) -> TypeId {
        let m: Vec<_> = members.iter().map(|&(n, t, o)| (n, t, o, 0)).collect();
        self.agg(5, name, size, &m)
    }

    fn enm(&mut self, name: &str, values: &[(&str, i32)]) -> TypeId {
        let id = self.ty(name, 6, true, values.len() as u32, 4);
        for &(n, v) in values {
            let n = self.s(n);
            self.words.extend_from_slice(&[n, v as u32]);
        }
        id
    }

    fn build(&self) -> Btf {
        let types: Vec<u8> = self.words.iter().flat_map(|w| w.to_le_bytes()).collect();
        let mut res = vec![0x9f, 0xeb, 1, 0];
        for w in [
            24u32,
            0,
            types.len() as u32,
            types.len() as u32,
            self.strings.len() as u32,
        ] {
            res.extend_from_slice(&w.to_le_bytes());
        }
        res.extend_from_slice(&types);
        res.extend_from_slice(&self.strings);
        Btf::parse(&res).expect("test BTF parses")
    }
}

fn relo(insn: u32, type_id: TypeId, access: &str, kind: CoreReloKind) -> CoreRelo {
    CoreRelo {
        insn: InsnIdx(insn),
        type_id,
        type_name: String::new(),
        access: access.to_string(),
        kind,
    }
}

fn prog(insns: Vec<Insn>, relos: Vec<CoreRelo>) -> Program {
    let mut p = Program::from_insns("t", None, insns);
    p.core_relos = relos;
    p
}

fn ldx(size: Size, off: i16) -> Insn {
    Insn::Load {
        size,
        sign_extend: false,
        dst: Reg::R0,
        src: Reg::R1,
        off,
    }
}

fn mov(imm: i32) -> Insn {
    Insn::Alu {
        width: Width::W64,
        op: AluOp::Mov,
        dst: Reg::R0,
        src: Operand::Imm(imm),
    }
}

fn add(imm: i32) -> Insn {
    Insn::Alu {
        width: Width::W64,
        op: AluOp::Add,
        dst: Reg::R1,
        src: Operand::Imm(imm),
    }
}

fn lddw(v: u64) -> [Insn; 2] {
    [
        Insn::LdImm64 {
            dst: Reg::R0,
            src: PseudoSrc::Imm,
            imm: v as u32 as i32,
            next_imm: (v >> 32) as u32 as i32,
        },
        Insn::LdImm64Tail,
    ]
}

const POISON: Insn = Insn::Call(CallTarget::Helper(POISON_HELPER_ID));

#[test]
fn essential_names() {
    assert_eq!(essential_name("task_struct___old"), "task_struct");
    assert_eq!(essential_name("a___b___c"), "a___b");
    assert_eq!(essential_name("task_struct"), "task_struct");
    assert_eq!(essential_name("x____y"), "x____y");
    assert_eq!(essential_name("___y"), "___y");
    assert_eq!(essential_name("x___"), "x___");
    assert_eq!(essential_name(""), "");
}

/// Local (as the compiler saw it): `struct inner { int x; int y; }`,
/// `struct outer___v1 { int a; struct inner in; }`; the program reads `o->in.y` at offset 8.
fn nested_local() -> (Btf, TypeId) {
    let mut b = B::new();
    let int = b.int("int", 4, true);
    let inner = b.st("inner", 8, &[("x", int, 0), ("y", int, 32)]);
    let outer = b.st("outer___v1", 12, &[("a", int, 0), ("in", inner, 32)]);
    (b.build(), outer)
}

/// Target: `struct inner { long pad; int x; int y; }` and
/// `struct outer { long z; union { struct inner in; long w; }; int a; }`, so `in.y` is at
/// 8 (anonymous union) + 12 = 20, and `a` at 32.
fn nested_target() -> Btf {
    let mut b = B::new();
    let int = b.int("int", 4, true);
    let long = b.int("long", 8, true);
    let inner = b.st(
        "inner",
        16,
        &[("pad", long, 0), ("x", int, 64), ("y", int, 96)],
    );
    let anon = b.un("", 16, &[("in", inner, 0), ("w", long, 0)]);
    b.st(
        "outer",
        40,
        &[("z", long, 0), ("", anon, 64), ("a", int, 256)],
    );
    b.build()
}

#[test]
fn byte_offset_through_nested_structs_and_flavour() {
    let (local, outer) = nested_local();
    let target = nested_target();
    let [l0, l1] = lddw(8);
    let p = prog(
        vec![ldx(Size::W, 8), add(8), l0, l1, ldx(Size::W, 0), Insn::Exit],
        vec![
            relo(0, outer, "0:1:1", CoreReloKind::FieldByteOffset),
            relo(1, outer, "0:1:1", CoreReloKind::FieldByteOffset),
            relo(2, outer, "0:1:1", CoreReloKind::FieldByteOffset),
            relo(4, outer, "0:0", CoreReloKind::FieldByteOffset),
        ],
    );
    let r = relocate(&p, &local, &target).unwrap();
    let insns = r.program.insns();
    assert_eq!(insns[0], ldx(Size::W, 20));
    assert_eq!(insns[1], add(20));
    assert_eq!(insns[2..4], lddw(20));
    assert_eq!(insns[4], ldx(Size::W, 32));
    assert_eq!(r.poisoned().count(), 0);
    assert_eq!(r.outcomes[0].local_val, 8);
    assert_eq!(r.outcomes[0].target_val, 20);
    assert_eq!(
        r.outcomes[0].target_type,
        target.find_by_name("outer", "struct")
    );
}

#[test]
fn byte_size_signed_and_array_elements() {
    // Local: `struct arr { short n; unsigned int v[4]; }`, target: `struct arr { int n;
    // long pad; unsigned int v[8]; }`; `v[2]` moves from 4 + 8 to 16 + 8.
    let mut b = B::new();
    let short = b.int("short", 2, true);
    let uint = b.int("unsigned int", 4, false);
    let a4 = b.array(uint, uint, 4);
    let arr = b.st("arr", 20, &[("n", short, 0), ("v", a4, 32)]);
    let local = b.build();
    let mut b = B::new();
    let int = b.int("int", 4, true);
    let long = b.int("long", 8, true);
    let uint = b.int("unsigned int", 4, false);
    let a8 = b.array(uint, uint, 8);
    b.st(
        "arr",
        48,
        &[("n", int, 0), ("pad", long, 64), ("v", a8, 128)],
    );
    let target = b.build();
    let p = prog(
        vec![ldx(Size::W, 12), mov(2), mov(16), mov(1), Insn::Exit],
        vec![
            relo(0, arr, "0:1:2", CoreReloKind::FieldByteOffset),
            relo(1, arr, "0:0", CoreReloKind::FieldByteSize),
            relo(2, arr, "0:1", CoreReloKind::FieldByteSize),
            relo(3, arr, "0:0", CoreReloKind::FieldSigned),
        ],
    );
    let r = relocate(&p, &local, &target).unwrap();
    let insns = r.program.insns();
    assert_eq!(insns[0], ldx(Size::W, 24));
    assert_eq!(insns[1], mov(4));
    assert_eq!(insns[2], mov(32));
    assert_eq!(insns[3], mov(1));
}

#[test]
fn field_exists_of_a_missing_field_is_zero() {
    let mut b = B::new();
    let int = b.int("int", 4, true);
    let task = b.st("task", 8, &[("pid", int, 0), ("gone", int, 32)]);
    let local = b.build();
    let mut b = B::new();
    let int = b.int("int", 4, true);
    b.st("task", 16, &[("flags", int, 0), ("pid", int, 64)]);
    let target = b.build();
    let p = prog(
        vec![mov(1), mov(1), ldx(Size::W, 4), Insn::Exit],
        vec![
            relo(0, task, "0:0", CoreReloKind::FieldExists),
            relo(1, task, "0:1", CoreReloKind::FieldExists),
            relo(2, task, "0:1", CoreReloKind::FieldByteOffset),
        ],
    );
    let r = relocate(&p, &local, &target).unwrap();
    let insns = r.program.insns();
    assert_eq!(insns[0], mov(1));
    assert_eq!(insns[1], mov(0));
    // The access to the missing field is poisoned, not an error.
    assert_eq!(insns[2], POISON);
    assert_eq!(r.poisoned().collect::<Vec<_>>(), [InsnIdx(2)]);
}

#[test]
fn type_size_exists_and_ids() {
    let mut b = B::new();
    let int = b.int("int", 4, true);
    let foo = b.st("foo", 8, &[("a", int, 0), ("b", int, 32)]);
    let gone = b.st("gone", 4, &[("a", int, 0)]);
    let td = b.typedef("foo_t", foo);
    let local = b.build();
    let mut b = B::new();
    let long = b.int("long", 8, true);
    b.st("bar", 8, &[("a", long, 0)]);
    let tfoo = b.st(
        "foo___x",
        24,
        &[("a", long, 0), ("b", long, 64), ("c", long, 128)],
    );
    b.typedef("foo_t", tfoo);
    let target = b.build();
    let [l0, l1] = lddw(8);
    let p = prog(
        vec![
            mov(8),
            l0,
            l1,
            mov(1),
            mov(1),
            mov(4),
            mov(8),
            mov(1),
            mov(3),
            Insn::Exit,
        ],
        vec![
            relo(0, foo, "0", CoreReloKind::TypeSize),
            relo(1, foo, "0", CoreReloKind::TypeSize),
            relo(3, foo, "0", CoreReloKind::TypeExists),
            relo(4, gone, "0", CoreReloKind::TypeExists),
            relo(5, gone, "0", CoreReloKind::TypeSize),
            relo(6, td, "0", CoreReloKind::TypeSize),
            relo(7, foo, "0", CoreReloKind::TypeIdTarget),
            relo(8, td, "0", CoreReloKind::TypeIdLocal),
        ],
    );
    let r = relocate(&p, &local, &target).unwrap();
    let insns = r.program.insns();
    assert_eq!(insns[0], mov(24));
    assert_eq!(insns[1..3], lddw(24));
    assert_eq!(insns[3], mov(1));
    // Type-based kinds give 0 for a missing type, never poison (libbpf).
    assert_eq!(insns[4], mov(0));
    assert_eq!(insns[5], mov(0));
    assert_eq!(insns[6], mov(24));
    assert_eq!(insns[7], mov(tfoo.0 as i32));
    assert_eq!(insns[8], mov(td.0 as i32));
    assert_eq!(r.poisoned().count(), 0);
}

#[test]
fn no_candidate_poisons_the_instruction() {
    let mut b = B::new();
    let int = b.int("int", 4, true);
    let nothere = b.st("nothere", 8, &[("a", int, 0), ("b", int, 32)]);
    let local = b.build();
    let target = nested_target();
    let [l0, l1] = lddw(4);
    let p = prog(
        vec![ldx(Size::W, 4), l0, l1, mov(1), Insn::Exit],
        vec![
            relo(0, nothere, "0:1", CoreReloKind::FieldByteOffset),
            relo(1, nothere, "0:1", CoreReloKind::FieldByteOffset),
            relo(3, nothere, "0:1", CoreReloKind::FieldExists),
        ],
    );
    let r = relocate(&p, &local, &target).unwrap();
    let insns = r.program.insns();
    assert_eq!(insns[..3], [POISON, POISON, POISON]);
    assert_eq!(insns[3], mov(0));
    assert_eq!(insns[4], Insn::Exit);
    assert_eq!(r.poisoned().collect::<Vec<_>>(), [InsnIdx(0), InsnIdx(1)]);
    assert_eq!(r.outcomes[0].target_type, None);
}

#[test]
fn enum_values() {
    let mut b = B::new();
    let e = b.enm(
        "state___new",
        &[("ST_A", 1), ("ST_B", 2), ("ST_NEG___x", -1)],
    );
    let local = b.build();
    let mut b = B::new();
    b.enm("state", &[("ST_C", 3), ("ST_B", 7), ("ST_NEG", -5)]);
    let target = b.build();
    let [l0, l1] = lddw(u64::MAX);
    let p = prog(
        vec![mov(2), mov(1), mov(1), mov(1), mov(1), l0, l1, Insn::Exit],
        vec![
            relo(0, e, "1", CoreReloKind::EnumvalValue),
            relo(1, e, "1", CoreReloKind::EnumvalExists),
            relo(2, e, "0", CoreReloKind::EnumvalExists),
            relo(3, e, "0", CoreReloKind::EnumvalValue),
            relo(4, e, "0", CoreReloKind::EnumvalExists),
            relo(5, e, "2", CoreReloKind::EnumvalValue),
        ],
    );
    // The 4th record expects the local value 1 and the 5th the "exists" value 1.
    let r = relocate(&p, &local, &target).unwrap();
    let insns = r.program.insns();
    assert_eq!(insns[0], mov(7));
    assert_eq!(insns[1], mov(1));
    assert_eq!(insns[2], mov(0));
    assert_eq!(insns[3], POISON);
    assert_eq!(insns[4], mov(0));
    // A negative 32-bit enumerator is sign-extended into the 64-bit immediate.
    assert_eq!(insns[5..7], lddw(-5i64 as u64));
}

#[test]
fn access_size_follows_unsigned_fields_and_poisons_signed_ones() {
    let mut b = B::new();
    let u32_ = b.int("unsigned int", 4, false);
    let s32 = b.int("int", 4, true);
    let rec = b.st("rec", 8, &[("u", u32_, 0), ("s", s32, 32)]);
    let local = b.build();
    let mut b = B::new();
    let u64_ = b.int("unsigned long", 8, false);
    let s64 = b.int("long", 8, true);
    b.st("rec", 16, &[("u", u64_, 0), ("s", s64, 64)]);
    let target = b.build();
    let p = prog(
        vec![ldx(Size::W, 0), ldx(Size::W, 4), Insn::Exit],
        vec![
            relo(0, rec, "0:0", CoreReloKind::FieldByteOffset),
            relo(1, rec, "0:1", CoreReloKind::FieldByteOffset),
        ],
    );
    let r = relocate(&p, &local, &target).unwrap();
    assert_eq!(r.program.insns()[0], ldx(Size::DW, 0));
    assert_eq!(r.program.insns()[1], POISON);
}

#[test]
fn bitfield_shifts() {
    // `struct bf { unsigned int lo:3; unsigned int mid:5; }`, target moves `mid` to bit 12.
    let mut b = B::new();
    let uint = b.int("unsigned int", 4, false);
    let bf = b.agg(4, "bf", 4, &[("lo", uint, 0, 3), ("mid", uint, 3, 5)]);
    let local = b.build();
    let mut b = B::new();
    let uint = b.int("unsigned int", 4, false);
    b.agg(4, "bf", 4, &[("mid", uint, 12, 5)]);
    let target = b.build();
    // Local: byte_off 0, byte_sz 4, lshift 64 - (3 + 5) = 56, rshift 64 - 5 = 59.
    let p = prog(
        vec![mov(0), mov(4), mov(56), mov(59), Insn::Exit],
        vec![
            relo(0, bf, "0:1", CoreReloKind::FieldByteOffset),
            relo(1, bf, "0:1", CoreReloKind::FieldByteSize),
            relo(2, bf, "0:1", CoreReloKind::FieldLshiftU64),
            relo(3, bf, "0:1", CoreReloKind::FieldRshiftU64),
        ],
    );
    let r = relocate(&p, &local, &target).unwrap();
    let insns = r.program.insns();
    assert_eq!(insns[..4], [mov(0), mov(4), mov(64 - 17), mov(59)]);
}

#[test]
fn errors() {
    let (local, outer) = nested_local();
    let target = nested_target();
    let run = |insns: Vec<Insn>, r: CoreRelo| relocate(&prog(insns, vec![r]), &local, &target);
    // The instruction does not hold the local offset.
    let e = run(
        vec![ldx(Size::W, 4)],
        relo(0, outer, "0:1:1", CoreReloKind::FieldByteOffset),
    );
    assert_eq!(
        e.unwrap_err().kind,
        CoreErrorKind::UnexpectedValue {
            found: 4,
            expected: 8
        }
    );
    let e = run(
        vec![Insn::Exit],
        relo(0, outer, "0:1:1", CoreReloKind::FieldByteOffset),
    );
    assert!(matches!(e.unwrap_err().kind, CoreErrorKind::BadInsn { .. }));
    let e = run(vec![mov(1)], relo(0, outer, "0", CoreReloKind::TypeMatches));
    let e = e.unwrap_err();
    assert_eq!(e.kind, CoreErrorKind::Unsupported);
    assert!(e.to_string().contains("unsupported CO-RE kind"), "{e}");
    let e = run(
        vec![mov(1)],
        relo(0, outer, "0:7", CoreReloKind::FieldByteOffset),
    );
    assert!(matches!(
        e.unwrap_err().kind,
        CoreErrorKind::BadAccess { .. }
    ));
    let e = run(
        vec![mov(1)],
        relo(0, outer, "0:x", CoreReloKind::FieldByteOffset),
    );
    assert!(matches!(
        e.unwrap_err().kind,
        CoreErrorKind::BadAccess { .. }
    ));
}

#[test]
fn candidates_that_disagree_are_ambiguous() {
    let mut b = B::new();
    let int = b.int("int", 4, true);
    let s = b.st("s", 8, &[("a", int, 0), ("b", int, 32)]);
    let local = b.build();
    let mut b = B::new();
    let int = b.int("int", 4, true);
    b.st("s___one", 8, &[("a", int, 0), ("b", int, 32)]);
    b.st(
        "s___two",
        12,
        &[("a", int, 0), ("c", int, 32), ("b", int, 64)],
    );
    b.st("s___three", 4, &[("b", int, 0)]);
    let target = b.build();
    let p = prog(
        vec![ldx(Size::W, 4)],
        vec![relo(0, s, "0:1", CoreReloKind::FieldByteOffset)],
    );
    let e = relocate(&p, &local, &target).unwrap_err();
    assert!(matches!(e.kind, CoreErrorKind::Ambiguous { .. }), "{e}");
    // Candidates that agree are fine (the first one is reported).
    let p = prog(
        vec![mov(1)],
        vec![relo(0, s, "0:0", CoreReloKind::FieldExists)],
    );
    let r = relocate(&p, &local, &target).unwrap();
    assert_eq!(r.program.insns()[0], mov(1));
}

#[test]
fn incompatible_field_types_do_not_match() {
    // Local `p` is a pointer, target `p` an int: not a match, so the access is poisoned.
    let mut b = B::new();
    let int = b.int("int", 4, true);
    let ptr = b.ptr(int);
    let s = b.st("s", 8, &[("p", ptr, 0)]);
    let local = b.build();
    let mut b = B::new();
    let int = b.int("int", 4, true);
    b.st("s", 4, &[("p", int, 0)]);
    let target = b.build();
    let p = prog(
        vec![ldx(Size::DW, 0), mov(1)],
        vec![
            relo(0, s, "0:0", CoreReloKind::FieldByteOffset),
            relo(1, s, "0:0", CoreReloKind::FieldExists),
        ],
    );
    let r = relocate(&p, &local, &target).unwrap();
    assert_eq!(r.program.insns(), [POISON, mov(0)]);
}
