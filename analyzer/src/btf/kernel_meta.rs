//! The kernel's own checks of an object's BTF (`btf_check_meta` in `kernel/bpf/btf.c`) where
//! compilers are known to fail them. When the kernel refuses an object's BTF, libbpf loads the
//! object without it ("BTF is optional, ignoring"): the maps are created without key/value
//! types and the programs without function info, which changes what the verifier accepts
//! (a `bpf_spin_lock` in a map value is no longer found; every subprogram is static).
//!
//! Known case: GCC 12 marks `char` types both signed and char (`BTF_INT_SIGNED |
//! BTF_INT_CHAR`), an encoding the kernel refuses with ENOTSUPP.

use super::{Btf, BtfKind};

/// Why the kernel refuses an object's BTF as a whole, and from which release.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub why: String,
    /// The first release that refuses it (major, minor); `None` for every release.
    pub since: Option<(u16, u16)>,
}

/// The release whose BTF loader parses the special fields of every struct
/// (`btf_parse_struct_metas`, with `bpf_obj_new`), refusing two locks in one: the recorded
/// 6.1.0-57 column accepts `corpus/c/maps/two_locks_btf`, 6.12 and 6.18 load it without BTF.
const STRUCT_METAS_SINCE: (u16, u16) = (6, 2);

/// Why the kernel refuses `btf` as a whole, if it does (the first failing type), and from
/// which release.
pub fn kernel_refusal(btf: &Btf) -> Option<Refusal> {
    let every = |why: String| Some(Refusal { why, since: None });
    for (id, t) in btf.types() {
        let name = btf.name(t);
        let what = |kind: &str| {
            if name.is_empty() {
                format!("[{}] {kind}", id.0)
            } else {
                format!("[{}] {kind} '{name}'", id.0)
            }
        };
        match &t.kind {
            BtfKind::Int {
                size,
                encoding,
                bit_offset,
                bits,
            } => {
                let flags = [encoding.signed, encoding.char, encoding.bool]
                    .iter()
                    .filter(|f| **f)
                    .count();
                if flags > 1 {
                    return every(format!(
                        "{} has an unsupported encoding (more than one of signed, char and bool)",
                        what("INT")
                    ));
                }
                if ![1, 2, 4, 8, 16].contains(size) {
                    return every(format!("{} has an invalid size {size}", what("INT")));
                }
                if u32::from(*bit_offset) + u32::from(*bits) > size * 8 {
                    return every(format!(
                        "{} has {bits} bits at bit {bit_offset}, more than its {size} bytes hold",
                        what("INT")
                    ));
                }
            }
            BtfKind::Struct { members, .. } if two_locks(btf, members) => {
                return Some(Refusal {
                    why: format!(
                        "{} holds two locks (bpf_spin_lock or bpf_res_spin_lock members); the kernel allows one per struct",
                        what("STRUCT")
                    ),
                    since: Some(STRUCT_METAS_SINCE),
                });
            }
            BtfKind::Func { .. } if !valid_identifier(name) => {
                return every(format!(
                    "{} has no valid C identifier as its name",
                    what("FUNC")
                ));
            }
            _ => {}
        }
    }
    None
}

/// Whether a struct has two lock members. The kernel parses the special fields of every struct
/// of the object with a member of a special type (a lock, a graph root or node, a refcount:
/// `btf_parse_struct_metas`) when it loads the BTF, and a second lock fails that (live
/// 6.18.44: an object with `struct { struct bpf_spin_lock a; int x; struct bpf_res_spin_lock
/// b; }`, or with two `bpf_spin_lock` members, is loaded without BTF). Only direct members
/// are counted here (the kernel also looks into nested structs and arrays).
fn two_locks(btf: &Btf, members: &[super::Member]) -> bool {
    members
        .iter()
        .filter(|m| {
            btf.type_by_id(m.ty).is_some_and(|t| {
                matches!(t.kind, BtfKind::Struct { .. })
                    && matches!(btf.name(t), "bpf_spin_lock" | "bpf_res_spin_lock")
            })
        })
        .count()
        > 1
}

/// A C identifier, as the kernel wants function names: a letter or `_`, then letters, digits
/// and `_`.
fn valid_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A blob of `types` (each: name, info word, size-or-type, extra words) and `strings`
    /// (the table after the leading NUL; names are offsets into it).
    fn btf(types: &[(u32, u32, u32, &[u32])], strings: &str) -> Btf {
        let mut words = Vec::new();
        for (name, info, size, extra) in types {
            words.extend([*name, *info, *size]);
            words.extend_from_slice(extra);
        }
        let mut table = vec![0u8];
        table.extend_from_slice(strings.as_bytes());
        Btf::parse(&crate::btf::test_blob(&words, &table)).expect("a valid blob")
    }

    const INT: u32 = 1 << 24;
    const FUNC_PROTO: u32 = 13 << 24;
    const FUNC: u32 = 12 << 24;

    #[test]
    fn a_char_both_signed_and_char_is_refused() {
        // 1: "signed char" (name at 1), size 1, encoding SIGNED|CHAR, 8 bits.
        let b = btf(&[(1, INT, 1, &[(3 << 24) | 8])], "signed char\0");
        let why = kernel_refusal(&b).expect("refused").why;
        assert!(why.contains("unsupported encoding"), "{why}");
    }

    const STRUCT: u32 = 4 << 24;

    /// `struct pair { struct <a> x; struct <b> y; }` with `bpf_spin_lock` and
    /// `bpf_res_spin_lock` (each `{ int val; }`) declared.
    fn pair_of(a: u32, b: u32) -> Btf {
        // Strings: 1 "int", 5 "bpf_spin_lock", 19 "bpf_res_spin_lock", 37 "val", 41 "pair",
        // 46 "x", 48 "y".
        btf(
            &[
                (1, INT, 4, &[(1 << 24) | 32]),
                (5, STRUCT | 1, 4, &[37, 1, 0]),
                (19, STRUCT | 1, 4, &[37, 1, 0]),
                (41, STRUCT | 2, 8, &[46, a, 0, 48, b, 32]),
            ],
            "int\0bpf_spin_lock\0bpf_res_spin_lock\0val\0pair\0x\0y\0",
        )
    }

    #[test]
    fn a_struct_with_two_locks_is_refused() {
        for (a, b) in [(2, 3), (2, 2), (3, 3)] {
            let refusal = kernel_refusal(&pair_of(a, b)).expect("refused");
            assert!(refusal.why.contains("two locks"), "{}", refusal.why);
            assert_eq!(refusal.since, Some((6, 2)));
        }
        // One lock and a number pass.
        assert_eq!(kernel_refusal(&pair_of(2, 1)), None);
    }

    #[test]
    fn plain_ints_and_named_functions_pass() {
        // 1: int; 2: int (void); 3: func main_prog.
        let b = btf(
            &[
                (1, INT, 4, &[(1 << 24) | 32]),
                (0, FUNC_PROTO, 1, &[]),
                (5, FUNC | 1, 2, &[]),
            ],
            "int\0main_prog\0",
        );
        assert_eq!(kernel_refusal(&b), None);
    }

    #[test]
    fn an_anonymous_function_is_refused() {
        let b = btf(
            &[
                (1, INT, 4, &[32]),
                (0, FUNC_PROTO, 1, &[]),
                (0, FUNC | 1, 2, &[]),
            ],
            "int\0",
        );
        assert!(kernel_refusal(&b).is_some());
    }

    #[test]
    fn identifiers() {
        assert!(valid_identifier("_a1"));
        assert!(!valid_identifier("1a"));
        assert!(!valid_identifier("a.b"));
        assert!(!valid_identifier(""));
    }
}
