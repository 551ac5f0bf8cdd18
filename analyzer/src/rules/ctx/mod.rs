//! Context layouts per program type, as field tables.
//!
//! A row is built with `f(name, off, size)` (a u32-style field: narrow reads, no writes) and
//! the modifiers `.rd(sizes)`, `.wr(sizes)`, `.ptr(kind)`, `.ptr_or_null(kind)`, `.kernel_ptr(name)`,
//! `.only(attach types)`, `.wr_only(attach types)` and `.cap_bpf()`; the size sets come from [`super::sizes`].
//! Offsets and sizes are those of the UAPI structs on x86-64; which fields each program type may
//! read or write mirrors the kernel's `*_is_valid_access` functions.

pub(super) mod misc;
pub(super) mod skb;
pub(super) mod sock;

use super::sizes::{NARROW, NONE};
use super::CtxField;
use crate::prog_type::AttachType;
use crate::verifier::ptr_kind::PtrKind;

/// Whether a read size set allows loads narrower than the field's natural element.
const fn is_narrow(size: u32, read_sizes: u8) -> bool {
    read_sizes & (1 | 2) != 0 || (size == 8 && read_sizes & 4 != 0)
}

/// A field readable with 1, 2 or 4 byte loads, not writable.
const fn f(name: &'static str, off: u32, size: u32) -> CtxField {
    CtxField {
        name,
        off,
        size,
        narrow_read: true,
        write: false,
        yields: None,
        yields_null: false,
        kernel_struct: None,
        read_sizes: NARROW,
        write_sizes: NONE,
        attach: None,
        write_attach: None,
        cap_bpf: false,
        cap_bpf_write: false,
    }
}

impl CtxField {
    /// Sets the allowed load sizes.
    const fn rd(mut self, sizes: u8) -> CtxField {
        self.read_sizes = sizes;
        self.narrow_read = is_narrow(self.size, sizes);
        self
    }

    /// Sets the allowed store sizes.
    const fn wr(mut self, sizes: u8) -> CtxField {
        self.write_sizes = sizes;
        self.write = sizes != NONE;
        self
    }

    /// A full-size load yields a pointer of this kind.
    const fn ptr(mut self, kind: PtrKind) -> CtxField {
        self.yields = Some(kind);
        self
    }

    /// A full-size load yields a pointer of this kind, or NULL.
    const fn ptr_or_null(mut self, kind: PtrKind) -> CtxField {
        self.yields = Some(kind);
        self.yields_null = true;
        self
    }

    /// A load yields a trusted pointer to this kernel struct (by its BTF name).
    const fn kernel_ptr(mut self, name: &'static str) -> CtxField {
        self.kernel_struct = Some(name);
        self
    }

    /// The field exists only for these expected attach types.
    const fn only(mut self, attach: &'static [AttachType]) -> CtxField {
        self.attach = Some(attach);
        self
    }

    /// Stores are allowed only for these expected attach types.
    const fn wr_only(mut self, attach: &'static [AttachType]) -> CtxField {
        self.write_attach = Some(attach);
        self
    }

    /// Accessing the field needs CAP_BPF.
    const fn cap_bpf(mut self) -> CtxField {
        self.cap_bpf = true;
        self
    }

    /// Writing the field needs CAP_BPF.
    const fn cap_bpf_write(mut self) -> CtxField {
        self.cap_bpf_write = true;
        self
    }
}
