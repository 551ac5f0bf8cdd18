//! BPF objects embedded in other files: a libbpf skeleton (`bpftool gen skeleton`) compiles the
//! whole BPF ELF object into its executable as a byte array in `.rodata`, so the program a
//! user ships can be checked without its build tree. [`find_embedded`] scans a file's bytes for
//! ELF headers of 64-bit relocatable `EM_BPF` objects and returns where each one lies.
//!
//! An embedded object's extent is not recorded anywhere, so it is computed from its own
//! headers: the furthest byte of the section header table and of every section's contents.
//! Everything is bounds-checked against the host file; a header whose tables run past the end
//! of the file is skipped (a false match on bytes that happen to look like a header), never an
//! error.

const ELF_MAGIC: &[u8; 4] = b"\x7fELF";
const ELFCLASS64: u8 = 2;
const ELFDATA2LSB: u8 = 1;
const ELFDATA2MSB: u8 = 2;
const ET_REL: u16 = 1;
const EM_BPF: u16 = 247;
const SHT_NOBITS: u32 = 8;
/// Bytes of an ELF64 file header and of one ELF64 section header.
const EHDR_SIZE: usize = 64;
const SHDR_SIZE: usize = 64;

/// One BPF object found inside another file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Embedded {
    /// Offset of its ELF header in the host file.
    pub offset: usize,
    /// Its length in bytes (to the end of its furthest table or section).
    pub len: usize,
    /// Built for big-endian BPF (`-target bpfeb`); the loader refuses it with that reason.
    pub big_endian: bool,
}

impl Embedded {
    /// Its bytes within `host` (the file it was found in).
    #[must_use]
    pub fn bytes<'a>(&self, host: &'a [u8]) -> &'a [u8] {
        &host[self.offset..self.offset + self.len]
    }
}

/// Whether `bytes` start with the header of a 64-bit BPF relocatable object (either
/// endianness), i.e. a file [`super::load`] reads itself rather than a host to scan.
#[must_use]
pub fn is_bpf_object(bytes: &[u8]) -> bool {
    header_at(bytes, 0).is_some()
}

/// Every BPF object embedded in `host`, in file order, not overlapping. A host that is itself a
/// BPF object yields itself only (its `.text` may well contain no other ELF header, but an
/// object's own bytes are never scanned for nested ones).
#[must_use]
pub fn find_embedded(host: &[u8]) -> Vec<Embedded> {
    let mut found = Vec::new();
    let mut at = 0;
    while let Some(rel) = find_magic(&host[at..]) {
        let offset = at + rel;
        match header_at(host, offset) {
            Some(e) => {
                found.push(e);
                at = offset + e.len;
            }
            None => at = offset + 1,
        }
    }
    found
}

fn find_magic(hay: &[u8]) -> Option<usize> {
    hay.windows(ELF_MAGIC.len()).position(|w| w == ELF_MAGIC)
}

/// The object whose ELF header starts at `offset` of `host`, when the header is a 64-bit
/// `ET_REL` `EM_BPF` one and all its sections lie inside `host`.
fn header_at(host: &[u8], offset: usize) -> Option<Embedded> {
    let h = host.get(offset..offset.checked_add(EHDR_SIZE)?)?;
    if &h[..4] != ELF_MAGIC || h[4] != ELFCLASS64 {
        return None;
    }
    let big_endian = match h[5] {
        ELFDATA2LSB => false,
        ELFDATA2MSB => true,
        _ => return None,
    };
    let r = Reader { big_endian };
    if r.u16(&h[16..18]) != ET_REL || r.u16(&h[18..20]) != EM_BPF {
        return None;
    }
    let shoff = usize::try_from(r.u64(&h[40..48])).ok()?;
    let shentsize = usize::from(r.u16(&h[58..60]));
    let shnum = usize::from(r.u16(&h[60..62]));
    if shentsize != SHDR_SIZE || shnum == 0 {
        return None;
    }
    let table_end = shoff.checked_add(shnum.checked_mul(SHDR_SIZE)?)?;
    let avail = host.len() - offset;
    if table_end > avail {
        return None;
    }
    let mut len = table_end.max(EHDR_SIZE);
    for i in 0..shnum {
        let s = &host[offset + shoff + i * SHDR_SIZE..][..SHDR_SIZE];
        if r.u32(&s[4..8]) == SHT_NOBITS {
            continue;
        }
        let sh_offset = usize::try_from(r.u64(&s[24..32])).ok()?;
        let sh_size = usize::try_from(r.u64(&s[32..40])).ok()?;
        let end = sh_offset.checked_add(sh_size)?;
        if end > avail {
            return None;
        }
        len = len.max(end);
    }
    Some(Embedded {
        offset,
        len,
        big_endian,
    })
}

/// Reads header fields in the object's own byte order.
struct Reader {
    big_endian: bool,
}

impl Reader {
    fn u16(&self, b: &[u8]) -> u16 {
        let a = [b[0], b[1]];
        if self.big_endian {
            u16::from_be_bytes(a)
        } else {
            u16::from_le_bytes(a)
        }
    }

    fn u32(&self, b: &[u8]) -> u32 {
        let a = [b[0], b[1], b[2], b[3]];
        if self.big_endian {
            u32::from_be_bytes(a)
        } else {
            u32::from_le_bytes(a)
        }
    }

    fn u64(&self, b: &[u8]) -> u64 {
        let mut a = [0; 8];
        a.copy_from_slice(&b[..8]);
        if self.big_endian {
            u64::from_be_bytes(a)
        } else {
            u64::from_le_bytes(a)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal ELF64 relocatable header for `machine`, with `shnum` section headers at the
    /// end and one `PROGBITS` section of `body` bytes right after the file header.
    fn object(machine: u16, body: usize) -> Vec<u8> {
        let shoff = EHDR_SIZE + body;
        let mut v = vec![0u8; shoff + 2 * SHDR_SIZE];
        v[..4].copy_from_slice(ELF_MAGIC);
        v[4] = ELFCLASS64;
        v[5] = ELFDATA2LSB;
        v[16..18].copy_from_slice(&ET_REL.to_le_bytes());
        v[18..20].copy_from_slice(&machine.to_le_bytes());
        v[40..48].copy_from_slice(&(shoff as u64).to_le_bytes());
        v[58..60].copy_from_slice(&(SHDR_SIZE as u16).to_le_bytes());
        v[60..62].copy_from_slice(&2u16.to_le_bytes());
        let s1 = shoff + SHDR_SIZE;
        v[s1 + 4..s1 + 8].copy_from_slice(&1u32.to_le_bytes());
        v[s1 + 24..s1 + 32].copy_from_slice(&(EHDR_SIZE as u64).to_le_bytes());
        v[s1 + 32..s1 + 40].copy_from_slice(&(body as u64).to_le_bytes());
        v
    }

    #[test]
    fn finds_objects_at_any_offset_with_their_extent() {
        let a = object(EM_BPF, 24);
        let b = object(EM_BPF, 8);
        let mut host = b"host prefix \x7fELF not a header".to_vec();
        let at_a = host.len();
        host.extend_from_slice(&a);
        host.extend_from_slice(b"gap");
        let at_b = host.len();
        host.extend_from_slice(&b);
        host.extend_from_slice(b"trailer");
        let found = find_embedded(&host);
        assert_eq!(
            found,
            vec![
                Embedded {
                    offset: at_a,
                    len: a.len(),
                    big_endian: false
                },
                Embedded {
                    offset: at_b,
                    len: b.len(),
                    big_endian: false
                },
            ]
        );
        assert_eq!(found[0].bytes(&host), &a[..]);
    }

    #[test]
    fn other_machines_and_cut_objects_are_not_matches() {
        let x86 = object(62, 16);
        assert!(find_embedded(&x86).is_empty());
        assert!(!is_bpf_object(&x86));
        let bpf = object(EM_BPF, 16);
        assert!(is_bpf_object(&bpf));
        // The section table runs past the end: not an object (and no panic) at every cut.
        for cut in 0..bpf.len() {
            assert!(find_embedded(&bpf[..cut]).is_empty(), "cut at {cut}");
        }
    }

    #[test]
    fn big_endian_objects_are_found_and_marked() {
        let mut be = object(EM_BPF, 0);
        be[5] = ELFDATA2MSB;
        for (at, len) in [(16, 2), (18, 2), (40, 8), (58, 2), (60, 2)] {
            be[at..at + len].reverse();
        }
        let s1 = EHDR_SIZE + SHDR_SIZE;
        for (at, len) in [(4, 4), (24, 8), (32, 8)] {
            be[s1 + at..s1 + at + len].reverse();
        }
        let found = find_embedded(&be);
        assert_eq!(found.len(), 1);
        assert!(found[0].big_endian);
        assert_eq!(found[0].len, be.len());
    }
}
