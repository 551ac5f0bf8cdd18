//! Unit tests for the BTF parser on hand-made blobs.

use super::ext::{BtfExt, CoreReloKind};
use super::*;

/// Builds a BTF blob: types as raw `u32` words, plus a string table.
#[derive(Default)]
struct Builder {
    words: Vec<u32>,
    strings: Vec<u8>,
}

impl Builder {
    fn new() -> Builder {
        Builder {
            words: Vec::new(),
            strings: vec![0],
        }
    }

    fn s(&mut self, text: &str) -> u32 {
        let off = self.strings.len() as u32;
        self.strings.extend_from_slice(text.as_bytes());
        self.strings.push(0);
        off
    }

    /// Appends a type header and its extra words.
    fn ty(
        &mut self,
        name: u32,
        kind: u32,
        kflag: bool,
        vlen: u32,
        size_or_type: u32,
        extra: &[u32],
    ) {
        self.words.push(name);
        self.words
            .push((u32::from(kflag) << 31) | (kind << 24) | vlen);
        self.words.push(size_or_type);
        self.words.extend_from_slice(extra);
    }

    fn build(&self) -> Vec<u8> {
        super::test_blob(&self.words, &self.strings)
    }
}

/// One type of every kind: ids in the comments.
fn every_kind() -> (Vec<u8>, Builder) {
    let mut b = Builder::new();
    let int = b.s("int");
    b.ty(int, 1, false, 0, 4, &[(1 << 24) | 32]); // 1: int (signed, 32 bits)
    b.ty(0, 2, false, 0, 1, &[]); // 2: int *
    b.ty(0, 3, false, 0, 0, &[1, 1, 10]); // 3: int[10]
    let (st, a, bf) = (b.s("pair"), b.s("a"), b.s("bits"));
    b.ty(st, 4, true, 2, 8, &[a, 1, 0, bf, 1, (3 << 24) | 32]); // 4: struct pair { int a; int bits:3; }
    let u = b.s("u");
    b.ty(u, 5, false, 1, 40, &[a, 3, 0]); // 5: union u { int a[10]; }
    let (e, x) = (b.s("e"), b.s("X"));
    b.ty(e, 6, true, 1, 4, &[x, (-5i32) as u32]); // 6: enum e { X = -5 } (signed)
    let fwd = b.s("later");
    b.ty(fwd, 7, true, 0, 0, &[]); // 7: union later;
    let td = b.s("pair_t");
    b.ty(td, 8, false, 0, 4, &[]); // 8: typedef struct pair pair_t
    b.ty(0, 9, false, 0, 8, &[]); // 9: volatile pair_t
    b.ty(0, 10, false, 0, 9, &[]); // 10: const volatile pair_t
    b.ty(0, 11, false, 0, 2, &[]); // 11: int *restrict
    let (f, p) = (b.s("f"), b.s("p"));
    b.ty(0, 13, false, 1, 1, &[p, 2]); // 12: int (int *p)
    b.ty(f, 12, false, 1, 12, &[]); // 13: global func f
    let v = b.s("v");
    b.ty(v, 14, false, 0, 10, &[1]); // 14: global var v of const volatile pair_t
    let ds = b.s(".data");
    b.ty(ds, 15, false, 1, 8, &[14, 0, 8]); // 15: datasec .data { v }
    let fl = b.s("double");
    b.ty(fl, 16, false, 0, 8, &[]); // 16: double
    let tag = b.s("comment:adds two numbers");
    b.ty(tag, 17, false, 0, 13, &[u32::MAX]); // 17: decl_tag on func f
    let tt = b.s("user");
    b.ty(tt, 18, false, 0, 1, &[]); // 18: int __tag(user)
    let (e64, big) = (b.s("e64"), b.s("BIG"));
    b.ty(e64, 19, false, 1, 8, &[big, 0, 0x8000_0000]); // 19: enum64 { BIG = 1 << 63 } (unsigned)
    let ptag = b.s("arg_tag");
    b.ty(ptag, 17, false, 0, 13, &[0]); // 20: decl_tag on param 0 of f
    (b.build(), b)
}

#[test]
fn parses_every_kind() {
    let (blob, _) = every_kind();
    let btf = Btf::parse(&blob).unwrap();
    assert_eq!(btf.n_types(), 20);
    let kinds: Vec<&str> = btf.types().map(|(_, t)| t.kind_name()).collect();
    assert_eq!(
        kinds,
        [
            "int",
            "ptr",
            "array",
            "struct",
            "union",
            "enum",
            "fwd",
            "typedef",
            "volatile",
            "const",
            "restrict",
            "func_proto",
            "func",
            "var",
            "datasec",
            "float",
            "decl_tag",
            "type_tag",
            "enum64",
            "decl_tag"
        ]
    );
    let Some(BtfKind::Int {
        size: 4,
        encoding,
        bits: 32,
        bit_offset: 0,
    }) = btf.type_by_id(TypeId(1)).map(|t| &t.kind)
    else {
        panic!()
    };
    assert!(encoding.signed && !encoding.char && !encoding.bool);
    let m = btf.members(TypeId(4)).unwrap();
    assert_eq!(
        (btf.member_name(&m[1]), m[1].bit_offset, m[1].bitfield_size),
        ("bits", 32, 3)
    );
    let Some(BtfKind::Enum {
        values,
        signed: true,
        ..
    }) = btf.type_by_id(TypeId(6)).map(|t| &t.kind)
    else {
        panic!()
    };
    assert_eq!(values[0].val, -5);
    let Some(BtfKind::Enum64 {
        values,
        signed: false,
        ..
    }) = btf.type_by_id(TypeId(19)).map(|t| &t.kind)
    else {
        panic!()
    };
    assert_eq!(values[0].val as u64, 1 << 63);
    assert!(matches!(
        btf.type_by_id(TypeId(7)).unwrap().kind,
        BtfKind::Fwd { is_union: true }
    ));
    assert!(matches!(
        btf.type_by_id(TypeId(13)).unwrap().kind,
        BtfKind::Func {
            linkage: Linkage::Global,
            ..
        }
    ));
    assert_eq!(btf.name_of(TypeId(13)), "f");
    assert_eq!(btf.find_by_name("pair", "struct"), Some(TypeId(4)));
    assert_eq!(btf.type_by_id(TypeId(0)), None);
    assert_eq!(btf.type_by_id(TypeId(21)), None);
}

#[test]
fn lookups_by_name_agree_before_and_after_the_index() {
    let (blob, _) = every_kind();
    let btf = Btf::parse(&blob).unwrap();
    let names: Vec<(String, &str)> = btf
        .types()
        .map(|(_, t)| (btf.name(t).to_string(), t.kind_name()))
        .chain([
            ("missing".to_string(), "struct"),
            ("pair".to_string(), "func"),
        ])
        .collect();
    let walk = |name: &str, kind: &str| {
        btf.types()
            .find(|(_, t)| t.kind_name() == kind && btf.name(t) == name)
            .map(|(id, _)| id)
    };
    // The first lookups walk, the later ones use the index: all agree with a walk.
    let rounds = super::NAME_INDEX_AFTER as usize / names.len() + 2;
    for _ in 0..rounds {
        for (name, kind) in &names {
            assert_eq!(
                btf.find_by_name(name, kind),
                walk(name, kind),
                "{kind} {name}"
            );
        }
    }
    assert!(btf.by_name.ids.get().is_some(), "the index was never built");
    assert_eq!(btf.find_by_name("pair", "struct"), Some(TypeId(4)));
    assert_eq!(btf.clone().find_by_name("f", "func"), Some(TypeId(13)));
}

#[test]
fn resolves_sizes_through_modifiers() {
    let (blob, _) = every_kind();
    let btf = Btf::parse(&blob).unwrap();
    assert_eq!(btf.resolve(TypeId(10)), Some(TypeId(4)));
    assert_eq!(btf.resolve(TypeId(18)), Some(TypeId(1)));
    assert_eq!(btf.size_of(TypeId(1)), Some(4));
    assert_eq!(btf.size_of(TypeId(2)), Some(8));
    assert_eq!(btf.size_of(TypeId(3)), Some(40));
    assert_eq!(btf.size_of(TypeId(10)), Some(8));
    assert_eq!(
        btf.size_of(TypeId(14)),
        Some(8),
        "a var has its type's size"
    );
    assert_eq!(btf.size_of(TypeId(16)), Some(8));
    assert_eq!(
        btf.size_of(TypeId(7)),
        None,
        "forward declarations are unsized"
    );
    assert_eq!(btf.size_of(TypeId(13)), None, "functions are unsized");
    assert_eq!(btf.size_of(TypeId(0)), None);
    assert_eq!(btf.size_of(TypeId(999)), None);
    assert_eq!(
        btf.member(TypeId(8), "a").map(|m| m.ty),
        Some(TypeId(1)),
        "members through a typedef"
    );
}

#[test]
fn lists_decl_tags_of_functions() {
    let (blob, _) = every_kind();
    let btf = Btf::parse(&blob).unwrap();
    assert_eq!(
        btf.decl_tags_of(TypeId(13)),
        [(-1, "comment:adds two numbers"), (0, "arg_tag")]
    );
    let comments: Vec<_> = btf
        .decl_tags()
        .filter(|(t, idx, s)| *idx == -1 && s.starts_with("comment:") && btf.name_of(*t) == "f")
        .collect();
    assert_eq!(comments.len(), 1);
}

#[test]
fn cycles_and_deep_chains_terminate() {
    let mut b = Builder::new();
    let t = b.s("loop");
    b.ty(t, 8, false, 0, 2, &[]); // 1: typedef -> 2
    b.ty(0, 10, false, 0, 1, &[]); // 2: const -> 1
    b.ty(0, 3, false, 0, 0, &[3, 3, 2]); // 3: array of itself
    let btf = Btf::parse(&b.build()).unwrap();
    assert_eq!(btf.resolve(TypeId(1)), None);
    assert_eq!(btf.size_of(TypeId(1)), None);
    assert_eq!(btf.size_of(TypeId(3)), None);
    assert_eq!(btf.members(TypeId(1)), None);
}

#[test]
fn array_size_overflow_is_none() {
    let mut b = Builder::new();
    let int = b.s("long");
    b.ty(int, 1, false, 0, 8, &[64]);
    b.ty(0, 3, false, 0, 0, &[1, 1, u32::MAX]);
    b.ty(0, 3, false, 0, 0, &[2, 1, u32::MAX]);
    b.ty(0, 3, false, 0, 0, &[3, 1, u32::MAX]);
    let btf = Btf::parse(&b.build()).unwrap();
    assert_eq!(btf.size_of(TypeId(2)), Some(8 * u64::from(u32::MAX)));
    assert_eq!(btf.size_of(TypeId(4)), None);
}

#[test]
fn header_errors() {
    let (blob, _) = every_kind();
    assert!(matches!(Btf::parse(&[]), Err(BtfError::Truncated { .. })));
    assert!(matches!(
        Btf::parse(&blob[..10]),
        Err(BtfError::BadHeader { .. } | BtfError::Truncated { .. })
    ));
    let mut be = blob.clone();
    // A big-endian blob starts with the bytes eb 9f.
    be[0] = 0xeb;
    be[1] = 0x9f;
    assert_eq!(
        Btf::parse(&be),
        Err(BtfError::BadMagic {
            magic: 0xeb9f_u16.swap_bytes()
        })
    );
    let mut v = blob.clone();
    v[2] = 2;
    assert_eq!(Btf::parse(&v), Err(BtfError::BadVersion { version: 2 }));
    let mut h = blob.clone();
    h[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(matches!(Btf::parse(&h), Err(BtfError::BadHeader { .. })));
    let mut t = blob.clone();
    t[12..16].copy_from_slice(&u32::MAX.to_le_bytes()); // type_len
    assert!(matches!(Btf::parse(&t), Err(BtfError::BadHeader { .. })));
}

#[test]
fn type_errors() {
    // A truncated type section: cut the last word off the types.
    let (_, b) = every_kind();
    let mut short = Builder {
        words: b.words.clone(),
        strings: b.strings.clone(),
    };
    short.words.pop();
    assert!(matches!(
        Btf::parse(&short.build()),
        Err(BtfError::Truncated { .. })
    ));
    // Unknown kind.
    let mut b = Builder::new();
    b.ty(0, 31, false, 0, 0, &[]);
    assert_eq!(
        Btf::parse(&b.build()),
        Err(BtfError::UnknownKind { id: 1, kind: 31 })
    );
    // A name outside the string table.
    let mut b = Builder::new();
    b.ty(1000, 2, false, 0, 0, &[]);
    assert_eq!(
        Btf::parse(&b.build()),
        Err(BtfError::BadString { offset: 1000 })
    );
    // A member name outside the string table.
    let mut b = Builder::new();
    b.ty(0, 4, false, 1, 4, &[77, 0, 0]);
    assert_eq!(
        Btf::parse(&b.build()),
        Err(BtfError::BadString { offset: 77 })
    );
    // A huge vlen is refused before anything is allocated for it.
    let mut b = Builder::new();
    b.ty(0, 4, false, 0xffff, 4, &[0, 0, 0]);
    assert!(matches!(
        Btf::parse(&b.build()),
        Err(BtfError::Truncated { .. })
    ));
}

/// Builds a `.BTF.ext` with one section's records; `core` adds a CO-RE block.
fn ext_blob(sec_name: u32, func: &[[u32; 2]], line: &[[u32; 4]], core: &[[u32; 4]]) -> Vec<u8> {
    let mut body: Vec<u32> = Vec::new();
    let func_off = 0u32;
    body.extend_from_slice(&[8, sec_name, func.len() as u32]);
    func.iter().for_each(|r| body.extend_from_slice(r));
    let func_len = body.len() as u32 * 4;
    let line_off = func_len;
    body.extend_from_slice(&[16, sec_name, line.len() as u32]);
    line.iter().for_each(|r| body.extend_from_slice(r));
    let line_len = body.len() as u32 * 4 - line_off;
    let core_off = line_off + line_len;
    body.extend_from_slice(&[16, sec_name, core.len() as u32]);
    core.iter().for_each(|r| body.extend_from_slice(r));
    let core_len = body.len() as u32 * 4 - core_off;
    let mut res = Vec::new();
    res.extend_from_slice(&0xeb9fu16.to_le_bytes());
    res.extend_from_slice(&[1, 0]);
    for w in [
        32u32, func_off, func_len, line_off, line_len, core_off, core_len,
    ] {
        res.extend_from_slice(&w.to_le_bytes());
    }
    res.extend(body.iter().flat_map(|w| w.to_le_bytes()));
    res
}

#[test]
fn parses_btf_ext() {
    let (_, mut b) = every_kind();
    let sec = b.s("xdp");
    let file = b.s("prog.c");
    let text = b.s("return 0;");
    let access = b.s("0:1");
    let btf = Btf::parse(&b.build()).unwrap();
    let blob = ext_blob(
        sec,
        &[[0, 13]],
        &[[0, file, text, (7 << 10) | 5], [16, file, text, 8 << 10]],
        &[[8, 4, access, 0], [16, 4, access, 2]],
    );
    let ext = BtfExt::parse(&blob, &btf).unwrap();
    let s = ext.section("xdp").unwrap();
    assert_eq!(s.func_info.len(), 1);
    assert_eq!(s.func_info[0].type_id, TypeId(13));
    assert_eq!((s.line_info[0].line, s.line_info[0].col), (7, 5));
    assert_eq!(btf.str_at(s.line_info[1].line_off), Some("return 0;"));
    assert_eq!(s.core_relos[1].kind, CoreReloKind::FieldExists);
    assert_eq!(btf.str_at(s.core_relos[0].access_str_off), Some("0:1"));
    assert_eq!(ext.n_core_relos(), 2);
    assert!(ext.section("tc").is_none());
}

#[test]
fn btf_ext_errors() {
    let (_, mut b) = every_kind();
    let sec = b.s("xdp");
    let btf = Btf::parse(&b.build()).unwrap();
    let good = ext_blob(sec, &[[0, 13]], &[], &[]);
    // A record count past the end of the block.
    let mut bad = good.clone();
    bad[32 + 8..32 + 12].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(matches!(
        BtfExt::parse(&bad, &btf),
        Err(BtfError::Truncated { .. })
    ));
    // A record size smaller than the record.
    let mut bad = good.clone();
    bad[32..36].copy_from_slice(&4u32.to_le_bytes());
    assert!(matches!(
        BtfExt::parse(&bad, &btf),
        Err(BtfError::BadRecordSize { .. })
    ));
    // A section name outside the string table.
    let mut bad = good.clone();
    bad[36..40].copy_from_slice(&9999u32.to_le_bytes());
    assert!(matches!(
        BtfExt::parse(&bad, &btf),
        Err(BtfError::BadString { offset: 9999 })
    ));
    // Block offsets outside the blob.
    let mut bad = good;
    bad[8..12].copy_from_slice(&0xffff_fff0u32.to_le_bytes());
    assert!(matches!(
        BtfExt::parse(&bad, &btf),
        Err(BtfError::BadHeader { .. })
    ));
}

#[test]
fn larger_records_are_read_by_their_known_prefix() {
    let (_, mut b) = every_kind();
    let sec = b.s("xdp");
    let btf = Btf::parse(&b.build()).unwrap();
    let mut blob = ext_blob(sec, &[[0, 13]], &[], &[]);
    // Rewrite the func_info block with 12-byte records (one unknown trailing word).
    let body: Vec<u32> = vec![12, sec, 1, 0, 13, 0xdead];
    let bytes: Vec<u8> = body.iter().flat_map(|w| w.to_le_bytes()).collect();
    blob.truncate(32);
    blob[12..16].copy_from_slice(&(bytes.len() as u32).to_le_bytes());
    for off in [16, 20, 24, 28] {
        blob[off..off + 4].copy_from_slice(&0u32.to_le_bytes());
    }
    blob.extend_from_slice(&bytes);
    let ext = BtfExt::parse(&blob, &btf).unwrap();
    assert_eq!(ext.section("xdp").unwrap().func_info[0].type_id, TypeId(13));
}
