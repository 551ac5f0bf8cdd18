//! Loads, stores, atomics, `lddw` and legacy packet loads: access checks by pointer kind (the
//! kernel's `check_mem_access` and its per-kind helpers).

use super::ctx_ptr::modified_ctx;
use super::rdonly_cast::UNTRUSTED_MEM_SINCE;
use super::{read, writable, Flow, Res, Vm};
use crate::isa::{InsnIdx, Operand, PseudoSrc, Reg, Size};
use crate::prog_type::AttachType;
use crate::rules::{CtxLoad, CtxModel};
use crate::verifier::domain::Scalar;
use crate::verifier::env::KernelVersion;
use crate::verifier::env::{map_frozen_value, map_read_only, map_write_only};
use crate::verifier::state::{AbstractState, Delta, Pointer, PtrKind, RegState, Trust};
use crate::verifier::violation::{Code, Violation};

/// Read or write.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Access {
    Read,
    Write,
}

impl Vm<'_> {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn load(
        &self,
        st: &mut AbstractState,
        pc: InsnIdx,
        size: Size,
        sign_extend: bool,
        dst: Reg,
        src: Reg,
        off: i16,
    ) -> Res<()> {
        let base = read(st, pc, src)?;
        writable(pc, dst)?;
        self.load_store_alignment(pc, &base, off, size.bytes())?;
        self.arena_load(pc, &base, sign_extend)?;
        let mut v = self.access(st, pc, src, &base, off, size.bytes(), Access::Read, None)?;
        if sign_extend {
            match &v {
                RegState::Scalar { v: s, .. } => {
                    v = RegState::scalar(s.sign_extend(crate::isa::Width::W64, size.bits()));
                }
                // The context's packet pointers (data, data_meta, data_end) are 32-bit fields
                // that the kernel rewrites into 64-bit loads; sign-extending one would corrupt
                // the address, so the program types' access checks refuse a sign-extending load
                // of any field that yields a pointer.
                RegState::Ptr(_) if matches!(base.as_ptr().map(|p| p.kind), Some(PtrKind::Ctx)) => {
                    return Err(Violation::new(
                        Code::CtxBadAccess,
                        pc,
                        format!(
                            "sign-extending {}-byte load of a pointer field at context offset {off}",
                            size.bytes()
                        ),
                        format!("invalid bpf_context access off={off} size={}", size.bytes()),
                    ));
                }
                _ => {}
            }
        }
        st.set(dst, v);
        Ok(())
    }

    pub(super) fn store(
        &self,
        st: &mut AbstractState,
        pc: InsnIdx,
        size: Size,
        dst: Reg,
        off: i16,
        src: Operand,
    ) -> Res<()> {
        let base = read(st, pc, dst)?;
        // Before 6.4 the kernel refused every BPF_ST (store of an immediate) through the
        // context pointer; from 6.4 it rewrites them like register stores.
        if matches!(src, Operand::Imm(_))
            && self.opts.kernel < KernelVersion::new(6, 4)
            && matches!(base.as_ptr().map(|p| p.kind), Some(PtrKind::Ctx))
        {
            return Err(Violation::new(
                Code::CtxBadAccess,
                pc,
                format!(
                    "Linux {} does not accept stores of an immediate into the context; store a register instead (accepted from 6.4)",
                    self.opts.kernel
                ),
                format!("BPF_ST stores into R{} ctx is not allowed", dst.num()),
            ));
        }
        let mut val = match src {
            Operand::Reg(r) => read(st, pc, r)?,
            Operand::Imm(_) if !tracks_stack_imm_stores(self.opts.kernel) && on_stack(&base) => {
                RegState::scalar(Scalar::top())
            }
            Operand::Imm(imm) => RegState::scalar(Scalar::constant(imm as i64 as u64)),
        };
        if let Operand::Reg(r) = src {
            self.link_before_spill(st, r, &base, off, size.bytes(), &mut val);
        }
        if let (RegState::Ptr(_), false) = (&val, self.opts.privileged) {
            // A map pointer's own refusal comes first ("'struct bpf_array' access is allowed
            // only to CAP_PERFMON and CAP_SYS_ADMIN", the kernel's `check_ptr_to_map_access`).
            if !matches!(
                base.as_ptr().map(|p| p.kind),
                Some(PtrKind::Stack { .. } | PtrKind::MapPtr { .. })
            ) {
                let r = match src {
                    Operand::Reg(r) => r.num(),
                    Operand::Imm(_) => 0,
                };
                return Err(Violation::new(
                    Code::PointerLeak,
                    pc,
                    "unprivileged programs may not store pointers outside the stack",
                    format!(
                        "R{r} leaks addr into {}",
                        match base.as_ptr().map(|p| p.kind) {
                            Some(PtrKind::MapValue { .. }) => "map",
                            Some(PtrKind::Ctx) => "ctx",
                            _ => "mem",
                        }
                    ),
                ));
            }
        }
        self.load_store_alignment(pc, &base, off, size.bytes())?;
        self.access(
            st,
            pc,
            dst,
            &base,
            off,
            size.bytes(),
            Access::Write,
            Some(&val),
        )?;
        Ok(())
    }

    /// A privileged spill of a scalar to the start of a stack slot gives the register an id
    /// first, when it has none and the spill keeps all its set bits, so that what a later
    /// compare learns of the register also holds for the spilled copy and vice versa (the
    /// kernel's `assign_scalar_id_before_mov` in `check_stack_write_fixed_off`).
    fn link_before_spill(
        &self,
        st: &mut AbstractState,
        r: Reg,
        base: &RegState,
        off: i16,
        size: u32,
        val: &mut RegState,
    ) {
        let RegState::Scalar { v, id, delta } = val else {
            return;
        };
        let Some(p) = base.as_ptr() else { return };
        let aligned = matches!(p.kind, PtrKind::Stack { .. })
            && p.has_const_off()
            && (i64::from(p.off) + i64::from(off)).rem_euclid(8) == 0;
        if !self.links_before_spill() || !aligned || v.width_bits() > size * 8 {
            return;
        }
        // A copy moved by a constant leaves its old link first: the spill and the register
        // start a link of their own (the kernel clears `BPF_ADD_CONST` before a copy).
        if *delta != Delta::Same {
            *id = 0;
            *delta = Delta::Same;
            st.set(r, val.clone());
        }
        let RegState::Scalar { v, id, .. } = val else {
            return;
        };
        if *id != 0 || v.as_const().is_some() {
            return;
        }
        *id = st.fresh_id();
        st.set(r, val.clone());
    }

    pub(super) fn ld_imm64(
        &self,
        st: &mut AbstractState,
        pc: InsnIdx,
        dst: Reg,
        src: PseudoSrc,
        imm: i32,
        next_imm: i32,
    ) -> Res<()> {
        writable(pc, dst)?;
        let maps = self.input.maps;
        let map_of = |idx: i32| -> Res<u32> {
            usize::try_from(idx)
                .ok()
                .filter(|&i| i < maps.len())
                .map(|i| i as u32)
                .ok_or_else(|| {
                    Violation::new(
                        Code::InvalidLdImm64,
                        pc,
                        format!("map index {idx} does not name a map of this object"),
                        format!("fd {idx} is not pointing to valid bpf_map"),
                    )
                })
        };
        let v = match src {
            PseudoSrc::Imm => RegState::scalar_const(crate::isa::Insn::imm64(imm, next_imm)),
            PseudoSrc::MapIdx => RegState::ptr(PtrKind::MapPtr { map: map_of(imm)? }),
            PseudoSrc::MapIdxValue => {
                let map = map_of(imm)?;
                if maps[map as usize].map_type.0 == crate::rules::map_type::ARENA {
                    st.set(dst, self.arena_global(pc, map, next_imm)?);
                    return Ok(());
                }
                let size = maps[map as usize].value_size;
                if next_imm < 0 || next_imm as u32 >= size {
                    return Err(Violation::new(
                        Code::InvalidLdImm64,
                        pc,
                        format!(
                            "offset {next_imm} is outside the {size}-byte value of map {}",
                            maps[map as usize].name
                        ),
                        format!(
                            "invalid access to map value pointer, value_size={size} off={next_imm}"
                        ),
                    ));
                }
                let mut p = Pointer::new(PtrKind::MapValue { map });
                p.off = next_imm;
                RegState::Ptr(p)
            }
            PseudoSrc::Func => {
                // A callback's BTF prototype is how the kernel checks it, so a program loaded
                // without BTF function info (GCC 12 writes none) may not take a function's
                // address at all.
                if !self.input.btf_func_info {
                    return Err(Violation::new(
                        Code::InvalidLdImm64,
                        pc,
                        "this program has no BTF function info (.BTF.ext), which the kernel needs to check a callback; build with BTF (clang -g)",
                        "missing btf func_info",
                    ));
                }
                let target = pc
                    .jump(i64::from(imm))
                    .ok_or_else(|| super::internal(pc, "callback target"))?;
                let subprog = self
                    .cfg
                    .subprog_at(target)
                    .ok_or_else(|| super::internal(pc, "callback is not a subprogram"))?;
                RegState::ptr(PtrKind::Func {
                    subprog: subprog as u32,
                })
            }
            PseudoSrc::MapFd | PseudoSrc::MapValue => {
                return Err(Violation::new(
                    Code::InvalidLdImm64,
                    pc,
                    format!("lddw refers to map fd {imm}, which only exists in a loaded program"),
                    format!("fd {imm} is not pointing to valid bpf_map"),
                ))
            }
            PseudoSrc::BtfId => {
                return Err(Violation::new(
                    Code::UnsupportedInsn,
                    pc,
                    "lddw of a kernel variable (ksym by BTF id) is not supported by bpfvet yet",
                    "",
                ))
            }
        };
        st.set(dst, v);
        Ok(())
    }

    /// `ld_abs`/`ld_ind`: a load from the packet that ends the program with r0 = 0 when it
    /// falls outside the packet. In a subprogram that hidden exit returns 0 to the caller, a
    /// path the kernel explores first, before the one on which the load succeeds.
    pub(super) fn ld_abs(
        &self,
        st: &mut AbstractState,
        pc: InsnIdx,
        size: Size,
        src: Option<Reg>,
        _imm: i32,
    ) -> Res<Flow> {
        if !self.input.prog_type.ld_abs {
            return Err(Violation::new(
                Code::InvalidMemAccess,
                pc,
                format!(
                    "legacy packet loads (ld_abs/ld_ind) are not allowed in {} programs",
                    self.input.prog_type.name
                ),
                "BPF_LD_[ABS|IND] instructions not allowed for this program type",
            ));
        }
        read(st, pc, Reg::R6)?;
        // The hidden exit may not happen with a lock held or references unreleased.
        if st.holds_lock() {
            return Err(Violation::new(
                Code::SpinLockMisuse,
                pc,
                "legacy packet loads may exit the program, which would leave the spin lock held",
                "BPF_LD_[ABS|IND] cannot be used inside bpf_spin_lock-ed region",
            ));
        }
        if !st.refs.is_empty() {
            return Err(Violation::new(
                Code::ReferenceLeak,
                pc,
                "legacy packet loads may exit the program, which would leak the references held",
                "BPF_LD_[ABS|IND] cannot be mixed with socket references",
            ));
        }
        if !matches!(st.reg(Reg::R6).as_ptr().map(|p| p.kind), Some(PtrKind::Ctx)) {
            return Err(Violation::new(
                Code::InvalidMemAccess,
                pc,
                "legacy packet loads need the context pointer in r6",
                "at the time of BPF_LD_ABS|IND R6 != pointer to skb",
            ));
        }
        if let Some(r) = src {
            read(st, pc, r)?;
        }
        for r in [Reg::R1, Reg::R2, Reg::R3, Reg::R4, Reg::R5] {
            st.set(r, RegState::Uninit);
        }
        let next = InsnIdx(pc.0 + 1);
        let mut loaded = st.clone();
        loaded.set(
            Reg::R0,
            RegState::scalar(Scalar::unknown_bytes(size.bytes())),
        );
        if st.frames.len() == 1 {
            *st = loaded;
            return Ok(Flow::Next(next));
        }
        st.set(Reg::R0, RegState::scalar_const(0));
        match self.exit(st, pc)? {
            Flow::Next(back) => Ok(Flow::Fork {
                cont: back,
                other: (next, loaded),
            }),
            _ => Err(super::internal(pc, "a subprogram exit did not return")),
        }
    }

    /// Checks an access of `size` bytes at `base + off` and performs it: a read returns the
    /// loaded value, a write stores `val`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn access(
        &self,
        st: &mut AbstractState,
        pc: InsnIdx,
        reg: Reg,
        base: &RegState,
        off: i16,
        size: u32,
        access: Access,
        val: Option<&RegState>,
    ) -> Res<RegState> {
        let n = reg.num();
        let p = match base {
            RegState::Ptr(p) => p,
            _ => {
                return Err(Violation::new(
                    Code::InvalidMemAccess,
                    pc,
                    format!("{reg} is a scalar, not a pointer, so it cannot be dereferenced"),
                    format!("R{n} invalid mem access 'scalar'"),
                ))
            }
        };
        let name = base.type_name_shown();
        if p.maybe_null {
            return Err(Violation::new(
                Code::NullDeref,
                pc,
                format!("{reg} may be NULL here ({name}): check it before the access"),
                format!("R{n} invalid mem access '{name}'"),
            ));
        }
        if access == Access::Write {
            if let Some(RegState::Ptr(_)) = val {
                // A map pointer's own refusal comes first ("'struct bpf_array' access is
                // allowed only to CAP_PERFMON and CAP_SYS_ADMIN").
                if !matches!(p.kind, PtrKind::Stack { .. } | PtrKind::MapPtr { .. })
                    && !self.opts.privileged
                {
                    return Err(Violation::new(
                        Code::PointerLeak,
                        pc,
                        "pointer stored to memory",
                        format!("R{n} leaks addr into mem"),
                    ));
                }
            }
        }
        let off64 = i64::from(p.off) + i64::from(off);
        // Helpers check spans longer than a register; those yield no value.
        let loaded = |size: u32| {
            if size <= 8 {
                Scalar::unknown_bytes(size)
            } else {
                Scalar::top()
            }
        };
        match p.kind {
            PtrKind::Stack { frame } => {
                self.stack_alignment(pc, p, off, size)?;
                let frame = frame as usize;
                if !p.has_const_off() {
                    return self.stack_var_access(st, pc, reg, p, off, size, access, frame);
                }
                self.stack_bounds(pc, reg, off64, size, access == Access::Write)?;
                if access == Access::Read {
                    self.stack_read_allocated(st, pc, reg, frame, off64, size)?;
                }
                st.frames[frame].grow_stack(-off64);
                match access {
                    Access::Write => {
                        self.stack_write(st, pc, frame, off64, size, val)?;
                        Ok(RegState::Uninit)
                    }
                    Access::Read => self.stack_read(st, pc, frame, off64, size),
                }
            }
            PtrKind::Ctx => self.ctx_access(st, pc, reg, p, off, size, access),
            PtrKind::MapValue { map } => {
                let m = self.map(map);
                if access == Access::Write && map_read_only(m) {
                    return Err(Violation::new(
                        Code::WriteToReadOnly,
                        pc,
                        format!("map {} is read-only to the program", m.name),
                        format!(
                            "write into map forbidden, value_size={} off={off64} size={size}",
                            m.value_size
                        ),
                    ));
                }
                if access == Access::Read && map_write_only(m) {
                    return Err(Violation::new(
                        Code::InvalidMemAccess,
                        pc,
                        format!("map {} is write-only to the program", m.name),
                        format!(
                            "read from map forbidden, value_size={} off={off64} size={size}",
                            m.value_size
                        ),
                    ));
                }
                self.region_access(pc, reg, p, off64, size, m.value_size, "map value")?;
                let kptr = self.map_value_fields(st, pc, p, map, off64, size, val)?;
                if let (Some(loaded), Access::Read) = (kptr, access) {
                    return Ok(loaded);
                }
                if access == Access::Read {
                    if let (Some(init), true, true) =
                        (map_frozen_value(m), p.has_const_off(), size <= 8)
                    {
                        return Ok(RegState::scalar(const_read(init, off64, size)));
                    }
                    if let Some(v) = self.kconfig_read(m, p, off64, size) {
                        return Ok(RegState::scalar(v));
                    }
                }
                Ok(RegState::scalar(loaded(size)))
            }
            PtrKind::MapKey { map } => {
                let m = self.map(map);
                if access == Access::Write {
                    return Err(Violation::new(
                        Code::WriteToReadOnly,
                        pc,
                        "map keys are read-only",
                        format!("R{n} cannot write into map_key"),
                    ));
                }
                self.region_access(pc, reg, p, off64, size, m.key_size, "map key")?;
                Ok(RegState::scalar(loaded(size)))
            }
            PtrKind::Mem {
                size: mem_size,
                rdonly,
                ..
            } => {
                if access == Access::Write && rdonly {
                    return Err(Violation::new(
                        Code::WriteToReadOnly,
                        pc,
                        "the memory is read-only",
                        format!("R{n} cannot write into {name}"),
                    ));
                }
                self.region_access(pc, reg, p, off64, size, mem_size, "memory")?;
                Ok(RegState::scalar(loaded(size)))
            }
            // Every load is a probe load: no bounds, any offset (the kernel's
            // `check_mem_access` skips the region check for untrusted memory).
            PtrKind::UntrustedMem => {
                if access == Access::Write {
                    return Err(Violation::new(
                        Code::WriteToReadOnly,
                        pc,
                        format!("{reg} points to read-only untrusted memory (a pointer member read from a kernel object, or a cast to void), which programs may only read"),
                        format!("R{n} cannot write into {name}"),
                    ));
                }
                Ok(RegState::scalar(loaded(size)))
            }
            PtrKind::Packet | PtrKind::PacketMeta => {
                if access == Access::Write && !self.input.prog_type.pkt_write {
                    return Err(Violation::new(
                        Code::WriteToReadOnly,
                        pc,
                        format!(
                            "{} programs may not write packet data directly",
                            self.input.prog_type.name
                        ),
                        "cannot write into packet",
                    ));
                }
                self.packet_access(pc, reg, p, off64, size)?;
                Ok(RegState::scalar(loaded(size)))
            }
            PtrKind::FlowKeys => {
                self.region_access(pc, reg, p, off64, size, 56, "flow keys")?;
                Ok(RegState::scalar(loaded(size)))
            }
            PtrKind::Socket | PtrKind::SockCommon | PtrKind::TcpSock | PtrKind::XdpSock => {
                // Writes are refused before any offset check (`type_is_sk_pointer`).
                if access == Access::Write {
                    return Err(Violation::new(
                        Code::InvalidMemAccess,
                        pc,
                        format!("{size}-byte write at offset {off64} of a {name}: sockets are read-only"),
                        format!("R{n} cannot write into {name}"),
                    ));
                }
                if !p.has_const_off() || !crate::rules::sock_ptr_read_ok(p.kind, off64, size) {
                    return Err(Violation::new(
                        Code::InvalidMemAccess,
                        pc,
                        format!("{size}-byte read at offset {off64} of a {name} is not allowed"),
                        format!("R{n} invalid {name} access off={off64} size={size}"),
                    ));
                }
                Ok(RegState::scalar(loaded(size)))
            }
            PtrKind::BtfId { type_id, trust } => {
                if access == Access::Read {
                    let in_rcu_cs = st.rcu_lock || st.holds_lock() || !self.input.sleepable;
                    let walked = self
                        .input
                        .kernel_btf
                        .and_then(|k| {
                            crate::verifier::safe_fields::kept_trust(
                                k,
                                crate::btf::TypeId(type_id),
                                off64,
                                trust,
                                in_rcu_cs,
                            )
                        })
                        .unwrap_or_else(|| trust.after_walk(in_rcu_cs));
                    return self.btf_load(pc, reg, p, walked, off64, size);
                }
                if access == Access::Write {
                    // TCP congestion-control struct_ops programs may write a few tcp_sock
                    // fields, XDP and tc programs (`sched_cls`, `sched_act`) the mark of a
                    // conntrack entry; every other write through a kernel object is refused.
                    let tcp_ca = self.input.prog_type.kernel_id == 27
                        && self
                            .input
                            .attach_target
                            .is_some_and(|t| t.starts_with("tcp_congestion_ops:"));
                    // An untrusted cast (`bpf_rdonly_cast`) is kept read-only here: the safe
                    // side, as that case is not measured.
                    let conntrack = matches!(self.input.prog_type.kernel_id, 3 | 4 | 6)
                        && trust != Trust::Marked;
                    let verdict = match self.input.kernel_btf {
                        Some(k) if tcp_ca && p.has_const_off() => {
                            crate::verifier::struct_ops_access::tcp_ca_write(
                                k, type_id, off64, size,
                            )
                        }
                        Some(k) if conntrack && p.has_const_off() => {
                            crate::verifier::nf_conn_access::conntrack_write(
                                k, type_id, off64, size,
                            )
                        }
                        _ => Err("only read is supported".to_string()),
                    };
                    if let Err(kernel) = verdict {
                        return Err(Violation::new(
                            Code::WriteToReadOnly,
                            pc,
                            "this write through a BTF-typed kernel pointer is not allowed",
                            kernel,
                        ));
                    }
                }
                Ok(RegState::scalar(loaded(size)))
            }
            PtrKind::MapPtr { map } => {
                // Programs may read the map's kernel structure through BTF, at offsets from
                // its start, never write it.
                let tname = map_struct_name(self.map(map).map_type.0);
                if !self.opts.privileged {
                    return Err(Violation::new(
                        Code::PointerLeak,
                        pc,
                        format!("{reg} points to a map's kernel structure, which unprivileged programs may not read"),
                        format!("'struct {tname}' access is allowed only to CAP_PERFMON and CAP_SYS_ADMIN"),
                    ));
                }
                if off64 < 0 {
                    return Err(Violation::new(
                        Code::InvalidMemAccess,
                        pc,
                        format!("{reg} points to a map's kernel structure; offset {off64} is before its start"),
                        format!("R{n} is {tname} invalid negative access: off={off64}"),
                    ));
                }
                if access == Access::Write {
                    return Err(Violation::new(
                        Code::WriteToReadOnly,
                        pc,
                        format!("{reg} points to a map's kernel structure, which programs may only read"),
                        format!("only read from {tname} is supported"),
                    ));
                }
                // Every map structure starts with `struct bpf_map`, whose first members are
                // the pointers `ops`, `inner_map_meta` and `security`. Kernels up to 6.12 (6.1
                // and 6.12 measured, 6.18 accepts) refuse a read of part of a pointer member;
                // the release between is not measured, so profiles up to 6.15 refuse it.
                const PTR_MEMBERS: [&str; 3] = ["ops", "inner_map_meta", "security"];
                if self.opts.kernel < KernelVersion::new(6, 16)
                    && (0..24).contains(&off64)
                    && (off64 % 8 != 0 || size != 8)
                {
                    let moff = off64 - off64 % 8;
                    let member = PTR_MEMBERS[(moff / 8) as usize];
                    return Err(Violation::new(
                        Code::InvalidMemAccess,
                        pc,
                        format!("{reg} reads {size} bytes at offset {off64} of a map's kernel structure, part of the pointer `{member}`"),
                        format!("cannot access ptr member {member} with moff {moff} in struct bpf_map with off {off64} size {size}"),
                    ));
                }
                Ok(RegState::scalar(loaded(size)))
            }
            // Any offset: the kernel turns the access into a probe of the arena's window.
            PtrKind::Arena => Ok(RegState::scalar(loaded(size))),
            PtrKind::Alloc { .. } => self.alloc_access(pc, reg, p, access, val, off64, size),
            PtrKind::PacketEnd | PtrKind::Func { .. } | PtrKind::ConstDynptr { .. } => {
                Err(Violation::new(
                    Code::InvalidMemAccess,
                    pc,
                    format!("{reg} is a {name} pointer, which cannot be dereferenced"),
                    format!("R{n} invalid mem access '{name}'"),
                ))
            }
        }
    }

    /// A context of u64 arguments typed by the attach target's BTF prototype.
    fn btf_ctx_access(
        &self,
        st: &mut AbstractState,
        pc: InsnIdx,
        off: i16,
        size: u32,
        access: Access,
    ) -> Res<RegState> {
        let ctx = match &self.btf_ctx {
            Some(Ok(ctx)) => ctx,
            Some(Err(why)) => {
                return Err(Violation::new(
                    Code::UnsupportedCtx,
                    pc,
                    format!(
                        "the {} program's context cannot be typed: {why}",
                        self.input.prog_type.name
                    ),
                    "",
                ))
            }
            None => return Err(super::internal(pc, "BTF context without a model")),
        };
        if access == Access::Write {
            return Err(Violation::new(
                Code::CtxReadOnly,
                pc,
                "the arguments of a BTF-typed program are read-only",
                format!("func '{}' arg{} is read-only", ctx.target, off / 8),
            ));
        }
        if off < 0 || off % 8 != 0 {
            return Err(Violation::new(
                Code::CtxBadAccess,
                pc,
                format!("context offset {off} is not the start of a u64 argument"),
                format!("func '{}' offset {off} is not multiple of 8", ctx.target),
            ));
        }
        let n = (off / 8) as usize;
        let Some(arg) = ctx.args.get(n) else {
            return Err(Violation::new(
                Code::CtxBadAccess,
                pc,
                format!(
                    "{} has {} arguments; offset {off} reads argument {n}",
                    ctx.target,
                    ctx.args.len()
                ),
                format!("func '{}' doesn't have {}-th argument", ctx.target, n + 1),
            ));
        };
        Ok(match *arg {
            crate::verifier::btf_ctx::BtfArg::Ptr { type_id, nullable } if size == 8 => {
                // The kernel trusts the arguments of tp_btf and iterator programs, of
                // struct_ops programs and of LSM programs on most hooks (`prog_args_trusted`).
                let trusted = matches!(
                    self.input.attach,
                    Some(AttachType::TraceRawTp | AttachType::TraceIter)
                ) || self.input.prog_type.kernel_id == 27
                    || self.lsm_args_trusted();
                let mut p = Pointer::new(PtrKind::BtfId {
                    type_id: type_id.0,
                    trust: if trusted {
                        Trust::Trusted
                    } else {
                        Trust::Untrusted
                    },
                });
                if nullable {
                    p.maybe_null = true;
                    p.id = st.fresh_id();
                }
                RegState::Ptr(p)
            }
            _ => RegState::scalar(Scalar::unknown_bytes(size)),
        })
    }

    /// A load through a kernel object typed by BTF.
    fn btf_load(
        &self,
        pc: InsnIdx,
        reg: Reg,
        p: &Pointer,
        walked: Trust,
        off: i64,
        size: u32,
    ) -> Res<RegState> {
        let PtrKind::BtfId { type_id, .. } = p.kind else {
            return Err(super::internal(
                pc,
                "a BTF load through another kind of pointer",
            ));
        };
        let Some(kernel) = self.input.kernel_btf.filter(|_| type_id != 0) else {
            return Ok(RegState::scalar(if size <= 8 {
                Scalar::unknown_bytes(size)
            } else {
                Scalar::top()
            }));
        };
        if !p.has_const_off() {
            return Err(Violation::new(
                Code::UnboundedVarOff,
                pc,
                format!("{reg} points into a kernel object at a variable offset"),
                format!(
                    "R{} is ptr_{} invalid variable offset: off={}, var_off={}",
                    reg.num(),
                    kernel.name_of(crate::btf::TypeId(type_id)),
                    p.off,
                    p.var_off.kernel_off_str()
                ),
            ));
        }
        use crate::verifier::btf_ctx::Walked;
        let unions_untrust = self.opts.kernel >= UNIONS_UNTRUST_SINCE;
        match crate::verifier::btf_ctx::struct_load(
            kernel,
            crate::btf::TypeId(type_id),
            off,
            size,
            unions_untrust,
        ) {
            Err(why) => Err(Violation::new(
                Code::InvalidMemAccess,
                pc,
                format!("{reg}: {why}"),
                why,
            )),
            Ok(Walked::Ptr { target, via_union }) => {
                let base_trusted = matches!(
                    p.kind,
                    PtrKind::BtfId {
                        trust: Trust::Trusted | Trust::Rcu,
                        ..
                    }
                );
                // Read through a union, the pointer is marked untrusted whatever its base
                // (the live 6.18 typed tp_btf/tcp_probe's `skb->next` `untrusted_ptr_`).
                let trust = if via_union {
                    Trust::Marked
                } else if base_trusted
                    && Trust::field_stays_trusted(kernel, crate::btf::TypeId(type_id), off)
                {
                    Trust::Trusted
                } else {
                    walked
                };
                Ok(RegState::ptr(PtrKind::BtfId {
                    type_id: target.0,
                    trust,
                }))
            }
            Ok(Walked::NonStructPtr) if self.opts.kernel >= UNTRUSTED_MEM_SINCE => {
                Ok(RegState::ptr(PtrKind::UntrustedMem))
            }
            Ok(Walked::NonStructPtr | Walked::Scalar) => {
                Ok(RegState::scalar(Scalar::unknown_bytes(size.min(8))))
            }
        }
    }

    /// Bounds of an access to a fixed-size region through a pointer with a variable offset
    /// (`check_mem_region_access`).
    #[allow(clippy::too_many_arguments)]
    fn region_access(
        &self,
        pc: InsnIdx,
        reg: Reg,
        p: &Pointer,
        off: i64,
        size: u32,
        region: u32,
        what: &str,
    ) -> Res<()> {
        let n = reg.num();
        let smin = p.var_off.smin();
        let umax = p.var_off.umax();
        let kernel_oob = |o: i64| match what {
            "map value" => {
                format!("invalid access to map value, value_size={region} off={o} size={size}")
            }
            "map key" => {
                format!("invalid access to map key, key_size={region} off={o} size={size}")
            }
            "memory" => format!("invalid access to memory, mem_size={region} off={o} size={size}"),
            _ => format!("invalid access to {what}, size={region} off={o} size={size}"),
        };
        // The regions `check_mem_region_access` guards say which bound failed on a second
        // line, the kernel's last: "R0 min value is outside of the allowed memory range".
        let region_checked = matches!(what, "map value" | "map key" | "memory");
        let kernel_oob = |o: i64, bound: &str| {
            let first = kernel_oob(o);
            if region_checked {
                format!("{first}\nR{n} {bound} value is outside of the allowed memory range")
            } else {
                first
            }
        };
        if smin < 0
            && (smin == i64::MIN || off + smin < 0 || i64::from((off + smin) as i32) != off + smin)
        {
            return Err(Violation::new(
                Code::UnboundedVarOff,
                pc,
                format!("the offset into the {what} through {reg} may be negative"),
                format!("R{n} min value is negative, either use unsigned index or do a if (index >=0) check."),
            )
            .with_note(format!("the variable offset is {}", p.var_off))
            .with_note("use an unsigned index, or check `if (idx < 0) return ...;` first"));
        }
        // Past the check above, a negative minimum still leaves `off + smin` inside the
        // region's start: the kernel checks the access from there.
        let lo = off + smin;
        if lo < 0 || lo + i64::from(size) > i64::from(region) {
            return Err(oob(pc, reg, what, region, lo, size, kernel_oob(lo, "min")));
        }
        if umax >= super::alu::MAX_VAR_OFF as u64 {
            return Err(Violation::new(
                Code::UnboundedVarOff,
                pc,
                format!("the offset into the {what} through {reg} has no upper bound"),
                format!("R{n} unbounded memory access, make sure to bounds check any such access"),
            )
            .with_note(format!("the variable offset is {}", p.var_off)));
        }
        let hi = off + umax as i64;
        if hi + i64::from(size) > i64::from(region) {
            return Err(
                oob(pc, reg, what, region, hi, size, kernel_oob(hi, "max")).with_note(format!(
                    "the variable offset is {}, so {reg} + {} may reach byte {} of {region}",
                    p.var_off,
                    off,
                    hi + i64::from(size)
                )),
            );
        }
        Ok(())
    }

    /// Packet accesses must be inside the range proven by a comparison with `data_end`.
    fn packet_access(&self, pc: InsnIdx, reg: Reg, p: &Pointer, off: i64, size: u32) -> Res<()> {
        let n = reg.num();
        if p.var_off.smin() < 0 {
            return Err(Violation::new(
                Code::UnboundedVarOff,
                pc,
                format!("the packet offset in {reg} may be negative"),
                format!("R{n} min value is negative, either use unsigned index or do a if (index >=0) check."),
            ));
        }
        if off >= 0 && off + i64::from(size) <= i64::from(p.range) {
            return Ok(());
        }
        Err(Violation::new(
            Code::PacketOutOfBounds,
            pc,
            format!("{size}-byte packet access at offset {off} through {reg} is not proven to be before data_end"),
            format!(
                "invalid access to packet, off={off} size={size}, R{n}(id={},off={off},r={})\nR{n} offset is outside of the packet",
                p.id, p.range
            ),
        )
        .with_note(format!("bytes [0, {}) after this pointer are proven in bounds; the access needs [{off}, {})", p.range, off + i64::from(size)))
        .with_note("compare the pointer plus the access size against data_end first, e.g. `if (data + off + size > data_end) return ...;`"))
    }

    #[allow(
        clippy::too_many_arguments,
        reason = "the access's coordinates, as every access check takes them"
    )]
    fn ctx_access(
        &self,
        st: &mut AbstractState,
        pc: InsnIdx,
        reg: Reg,
        p: &Pointer,
        off: i16,
        size: u32,
        access: Access,
    ) -> Res<RegState> {
        // The kernel's order (`__check_ptr_off_reg`): a moved pointer is refused before a
        // variable offset is looked at.
        if p.off != 0 {
            return Err(modified_ctx(pc, reg, p.off, format!("{reg} is the context pointer moved by {}; the kernel only allows accesses through the original pointer", p.off))
            .with_note("use the constant offset in the load itself, e.g. `*(u32 *)(ctx + 16)`"));
        }
        if !p.has_const_off() {
            return Err(Violation::new(
                Code::CtxModifiedDeref,
                pc,
                format!("{reg} points into the context at a variable offset"),
                format!(
                    "variable ctx access var_off={} disallowed",
                    p.var_off.kernel_off_str()
                ),
            ));
        }
        let bad = || {
            Violation::new(
                if access == Access::Write {
                    Code::CtxReadOnly
                } else {
                    Code::CtxBadAccess
                },
                pc,
                format!(
                    "{size}-byte {} at context offset {off} is not allowed for {} programs",
                    if access == Access::Write {
                        "write"
                    } else {
                        "read"
                    },
                    self.input.prog_type.name
                ),
                format!("invalid bpf_context access off={off} size={size}"),
            )
        };
        if off < 0 {
            return Err(bad());
        }
        if self.input.prog_type.ctx == CtxModel::BtfArgs {
            return self.btf_ctx_access(st, pc, off, size, access);
        }
        let write = access == Access::Write;
        match self.input.prog_type.ctx_access(
            i64::from(off),
            size,
            write,
            self.input.attach,
            self.opts.privileged,
        ) {
            None => Err(bad()),
            Some(_) if write => Ok(RegState::Uninit),
            Some(CtxLoad::Scalar) => Ok(RegState::scalar(Scalar::unknown_bytes(size))),
            Some(CtxLoad::KernelStruct { name }) => match self.kernel_struct_id(name) {
                0 => Ok(RegState::scalar(Scalar::unknown_bytes(size))),
                type_id => Ok(RegState::Ptr(Pointer::new(PtrKind::BtfId {
                    type_id,
                    trust: Trust::Trusted,
                }))),
            },
            Some(CtxLoad::Ptr { kind, nullable }) => {
                let mut ptr = Pointer::new(kind);
                if nullable {
                    ptr.maybe_null = true;
                    ptr.id = st.fresh_id();
                }
                Ok(RegState::Ptr(ptr))
            }
        }
    }

    /// A stack access through a pointer with a variable offset (privileged programs only).
    #[allow(clippy::too_many_arguments)]
    fn stack_var_access(
        &self,
        st: &mut AbstractState,
        pc: InsnIdx,
        reg: Reg,
        p: &Pointer,
        off: i16,
        size: u32,
        access: Access,
        frame: usize,
    ) -> Res<RegState> {
        let lo = i64::from(p.off) + i64::from(off) + p.var_off.smin();
        let hi = i64::from(p.off) + i64::from(off) + p.var_off.smax();
        if !self.opts.privileged || p.var_off.smin() == i64::MIN || p.var_off.smax() == i64::MAX {
            return Err(Violation::new(
                Code::VariableStackAccess,
                pc,
                format!(
                    "stack access through {reg} at a variable offset {}",
                    p.var_off
                ),
                format!(
                    "R{} variable offset stack access prohibited for !root, var_off={}",
                    reg.num(),
                    p.var_off.kernel_off_str()
                ),
            ));
        }
        self.stack_bounds(pc, reg, lo, size, access == Access::Write)?;
        self.stack_bounds(pc, reg, hi, size, access == Access::Write)?;
        st.frames[frame].grow_stack(-lo);
        match access {
            Access::Write => {
                self.destroy_dynptrs(st, pc, frame, lo, (hi - lo) as u32 + size)?;
                self.stack_mark_written(st, frame, lo, (hi - lo) as u32 + size);
                Ok(RegState::Uninit)
            }
            Access::Read => Ok(RegState::scalar(Scalar::unknown_bytes(size))),
        }
    }
}

fn oob(
    pc: InsnIdx,
    reg: Reg,
    what: &str,
    region: u32,
    off: i64,
    size: u32,
    kernel: String,
) -> Box<Violation> {
    let code = if what == "map value" {
        Code::MapValueOutOfBounds
    } else {
        Code::InvalidMemAccess
    };
    Violation::new(
        code,
        pc,
        format!(
            "{size}-byte access at offset {off} through {reg} is outside the {region}-byte {what}"
        ),
        kernel,
    )
}

/// The kernel structure behind a map pointer of this type, as the kernel's messages name it.
/// The release from which a pointer read through a union of more than one member is marked
/// untrusted (`btf_struct_walk`, from "bpf: Refactor RCU enforcement in the verifier").
const UNIONS_UNTRUST_SINCE: KernelVersion = KernelVersion::new(6, 4);

fn map_struct_name(map_type: u32) -> &'static str {
    use crate::rules::map_type as t;
    match map_type {
        t::HASH | t::PERCPU_HASH | t::LRU_HASH | t::LRU_PERCPU_HASH | t::HASH_OF_MAPS => "bpf_htab",
        // The array family, and what the previous message always said.
        _ => "bpf_array",
    }
}

impl Vm<'_> {
    /// What a read of `.kconfig` at `off` yields when the loader's value is known offline:
    /// `LINUX_KERNEL_VERSION`, which libbpf fills with `KERNEL_VERSION(major, minor, patch)` of
    /// the running kernel (patch capped at 255). For the profile's release any patch level is
    /// possible, so programs that pick code by kernel version (`if (LINUX_KERNEL_VERSION <
    /// KERNEL_VERSION(5, 11, 0))`) have the branch the kernel will take decided, as the kernel
    /// does with the frozen map's real value.
    fn kconfig_read(
        &self,
        m: &crate::program::MapDef,
        p: &crate::verifier::state::Pointer,
        off: i64,
        size: u32,
    ) -> Option<Scalar> {
        let crate::program::MapKind::GlobalData { section, .. } = &m.kind else {
            return None;
        };
        if section != ".kconfig" || !p.has_const_off() || size != 4 {
            return None;
        }
        let (layout, _) = crate::elf::kconfig_layout(self.input.btf?)?;
        let at = layout
            .iter()
            .find(|(name, _)| name == "LINUX_KERNEL_VERSION")
            .map(|(_, at)| i64::from(*at))?;
        if at != off {
            return None;
        }
        let k = self.opts.kernel;
        let base = (u64::from(k.major) << 16) | (u64::from(k.minor) << 8);
        // Kernels before 6.8 judge a compare of two registers only when one is a constant
        // (jmp.rs), and the kernel holds the exact version there: a range would make bpfvet
        // follow a version branch that kernel never explores (the 6.1 kernel loads libbpf-tools'
        // biosnoop, whose `ctx[1]` branch is for kernels before 5.11). The release's first
        // patch level stands for all of them; version checks compare releases, not patches.
        if k < crate::verifier::env::KernelVersion::new(6, 8) {
            return Some(Scalar::constant(base));
        }
        Some(Scalar::from_urange(base, base + 255))
    }
}

/// The little-endian value of `size` bytes at `off` of read-only initial data.
fn const_read(init: &[u8], off: i64, size: u32) -> Scalar {
    let mut v = 0u64;
    for i in 0..size as usize {
        let b = usize::try_from(off)
            .ok()
            .and_then(|o| init.get(o + i))
            .copied()
            .unwrap_or(0);
        v |= u64::from(b) << (8 * i);
    }
    Scalar::constant(v)
}

/// Whether `base` points into a stack frame.
fn on_stack(base: &RegState) -> bool {
    matches!(base.as_ptr().map(|p| p.kind), Some(PtrKind::Stack { .. }))
}

/// Whether a store of an immediate (`BPF_ST`) to the stack records its value: a non-zero one
/// as a spilled constant, zero as zero bytes ("track immediate values written to stack by
/// BPF_ST instruction", mainline 6.3; Debian's 6.1.192 has it, as the 6.1.y series took it).
/// Before, the bytes were plain data whatever the value.
fn tracks_stack_imm_stores(kernel: KernelVersion) -> bool {
    kernel >= KernelVersion::new(6, 1)
}
