//! Helper arguments that point to memory (the kernel's `ARG_PTR_TO_MEM` family and map keys
//! and values): which pointer types may stand there and the access each one allows.

use super::mem::Access;
use super::{Res, Vm};
use crate::isa::{InsnIdx, Reg};
use crate::rules::HelperSig;
use crate::verifier::env::KernelVersion;
use crate::verifier::state::{AbstractState, PtrKind, RegState, Trust};
use crate::verifier::violation::{Code, Violation};

impl Vm<'_> {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn helper_mem(
        &self,
        st: &mut AbstractState,
        pc: InsnIdx,
        h: &HelperSig,
        r: Reg,
        v: &RegState,
        size: u32,
        uninit: bool,
        _nullable: bool,
    ) -> Res<()> {
        let n = r.num();
        let Some(p) = v.as_ptr() else {
            return Err(Violation::new(
                Code::HelperArgType,
                pc,
                format!(
                    "bpf_{} needs a pointer to {size} bytes in {r}, but {r} is a {}",
                    h.name,
                    v.type_name()
                ),
                format!(
                    "R{n} type={} expected={}",
                    v.type_name(),
                    mem_arg_types(self.opts.kernel)
                ),
            ));
        };
        match p.kind {
            PtrKind::Stack { frame } => {
                if !p.has_const_off() {
                    return self.helper_stack_var_range(st, pc, h, r, p, frame, size, uninit);
                }
                let off = i64::from(p.off);
                self.stack_bounds(pc, r, off, size, uninit).map_err(|v| {
                    let mut v = v;
                    v.message = format!(
                        "bpf_{} accesses {size} bytes at fp{off:+}, outside the stack frame",
                        h.name
                    );
                    v
                })?;
                let _ = n;
                if !uninit {
                    self.stack_read_allocated(st, pc, r, frame as usize, off, size)?;
                }
                st.frames[frame as usize].grow_stack(-off);
                if uninit {
                    self.no_dynptr_written(st, pc, frame as usize, off, size)?;
                    self.stack_mark_written(st, frame as usize, off, size);
                } else {
                    self.stack_initialized(st, pc, r, frame as usize, off, size)?;
                    // Older kernels treat every helper access to the stack as one that may
                    // write it: spilled registers there (a pointer passed as a map key
                    // included) become unknown numbers. The 6.1 and 6.12 kernels reject
                    // libbpf-tools' biosnoop for reading back the request pointer it used as
                    // a key; 6.18 keeps it (only writes clobber). The release between is not
                    // measured: profiles up to 6.15 clobber, the stricter answer.
                    if self.opts.kernel < crate::verifier::env::KernelVersion::new(6, 16) {
                        self.stack_mark_written(st, frame as usize, off, size);
                    }
                }
                Ok(())
            }
            // Pointers to no memory the helper could read or write (not in the kernel's
            // `mem_types`; arena memory is reached only through probe loads and stores).
            // Sockets stay out: a sockmap's update takes one as its value.
            PtrKind::Ctx
            | PtrKind::Arena
            | PtrKind::PacketEnd
            | PtrKind::MapPtr { .. }
            | PtrKind::FlowKeys
            // Untrusted memory is reached only through probe loads: no memory argument takes
            // it (the live 6.18 refused bpf_strncmp on a task's `void *stack` with "R1
            // type=rdonly_untrusted_mem expected=fp, pkt, ...").
            | PtrKind::UntrustedMem
            | PtrKind::Func { .. } => Err(Violation::new(
                Code::HelperArgType,
                pc,
                format!(
                    "bpf_{} cannot take a {} pointer as a memory argument",
                    h.name,
                    v.type_name()
                ),
                format!(
                    "R{n} type={} expected={}",
                    v.type_name(),
                    mem_arg_types(self.opts.kernel)
                ),
            )),
            // Of the kernel objects only trusted ones are memory to a helper (`mem_types`), and
            // only for arguments it reads (`check_reg_type`; both measured on 6.18).
            PtrKind::BtfId { trust, .. } if trust != Trust::Trusted && p.ref_obj_id == 0 => {
                Err(Violation::new(
                    Code::HelperArgType,
                    pc,
                    format!(
                        "bpf_{} takes memory in {r}, and a kernel object is memory to it only when trusted; {r} is {}",
                        h.name,
                        v.type_name()
                    ),
                    format!(
                        "R{n} type={} expected={}",
                        v.type_name(),
                        mem_arg_types(self.opts.kernel)
                    ),
                ))
            }
            PtrKind::BtfId { .. } if uninit => Err(Violation::new(
                Code::WriteToReadOnly,
                pc,
                format!(
                    "bpf_{} writes into the memory in {r}, a kernel object, which programs may only read",
                    h.name
                ),
                format!(
                    "bpf_{}() may write into memory pointed by R{n} type={}",
                    h.name,
                    v.type_name()
                ),
            )),
            _ => {
                let access = if uninit { Access::Write } else { Access::Read };
                // Check the last byte the helper touches; region checks cover the span.
                let mut probe = p.clone();
                let _ = &mut probe;
                let sz = size.max(1);
                self.access(st, pc, r, v, 0, sz, access, Some(&RegState::unknown()))
                    .map(|_| ())
            }
        }
    }
}

/// A memory argument's type, checked whatever the size that follows (a zero size does not
/// excuse a number where a pointer is needed): only NULL, and only where the argument may be
/// NULL.
pub(super) fn mem_arg_type(
    pc: InsnIdx,
    h: &HelperSig,
    r: Reg,
    v: &RegState,
    nullable: bool,
    kernel: KernelVersion,
) -> Res<()> {
    let Some(s) = v.as_scalar() else {
        return Ok(());
    };
    if nullable && s.as_const() == Some(0) {
        return Ok(());
    }
    Err(Violation::new(
        Code::HelperArgType,
        pc,
        format!(
            "bpf_{} needs a pointer to memory in {r}, but {r} is {}",
            h.name,
            if nullable {
                "a number other than NULL"
            } else {
                "a number"
            }
        ),
        format!(
            "R{} type=scalar expected={}",
            r.num(),
            mem_arg_types(kernel)
        ),
    ))
}

/// The register types a helper's memory argument takes, as the kernel lists them when it
/// refuses one (`mem_types`): 6.1 names ring buffer memory `alloc_mem` and takes no trusted
/// kernel pointer; 6.12 and 6.18 print the longer list (the release between is not measured:
/// the rename came with 6.2).
fn mem_arg_types(kernel: KernelVersion) -> &'static str {
    if kernel >= KernelVersion::new(6, 2) {
        "fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_"
    } else {
        "fp, pkt, pkt_meta, map_key, map_value, mem, alloc_mem, buf"
    }
}
