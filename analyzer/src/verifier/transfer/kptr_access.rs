//! Loads and stores that touch a special field of a map value (a global-data section's value
//! included): the kernel's `check_map_access` field rule and its `check_map_kptr_access`.
//!
//! Locks, timers, graph roots and nodes may not be touched at all. A kptr field (`__kptr`,
//! `__kptr_untrusted`, `__percpu_kptr`) may be reached only by an instruction of the plain
//! memory mode, 8 bytes at its exact offset, never by a helper. A load gives the kernel object
//! it holds, NULL-able: RCU-protected inside an RCU read section when the kernel lists its type
//! as freed after a grace period (`rcu_protected_object`; every type of the program's own BTF,
//! which then is an allocated object), untrusted otherwise. Only `bpf_kptr_xchg` may change a
//! referenced kptr; an untrusted one takes NULL or a pointer to its struct.

use super::{Res, Vm};
use crate::isa::{Insn, InsnIdx, Operand, Reg};
use crate::verifier::alloc_layout::{Kptr, KptrTag};
use crate::verifier::env::KernelVersion;
use crate::verifier::state::{AbstractState, Pointer, PtrKind, RegState, Trust};
use crate::verifier::violation::{Code, Violation};
use std::rc::Rc;

/// The kernel structs whose objects are freed only after an RCU grace period, so that a kptr
/// to one read inside an RCU read section stays valid until its end (`rcu_protected_types`,
/// as in 6.12 and 6.18).
const RCU_PROTECTED: [&str; 5] = [
    "prog_test_ref_kfunc",
    "cgroup",
    "bpf_cpumask",
    "task_struct",
    "bpf_crypto_ctx",
];

/// How the instruction at hand reaches memory (the kernel's instruction class and mode, or a
/// helper's indirect access).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Reach {
    /// `BPF_LDX | BPF_MEM`.
    Ldx,
    /// `BPF_STX | BPF_MEM` from this register.
    Stx(Reg),
    /// `BPF_ST | BPF_MEM` of this immediate.
    St(i32),
    /// An instruction of another mode: atomics, sign-extending loads.
    OtherMode,
    /// A helper or kfunc reading or writing memory it was given.
    Helper,
}

impl Vm<'_> {
    /// The kptr fields of the values of map `map` (cached per map).
    fn map_kptrs(&self, map: u32) -> Rc<[Kptr]> {
        if let Some(k) = self.map_kptrs.borrow().get(&map) {
            return k.clone();
        }
        let k: Rc<[Kptr]> = self.map_layout(map).kptrs.into();
        self.map_kptrs.borrow_mut().insert(map, k.clone());
        k
    }

    fn reach(&self, pc: InsnIdx) -> Reach {
        match self.input.insns.get(pc.idx()) {
            Some(Insn::Load {
                sign_extend: false, ..
            }) => Reach::Ldx,
            Some(Insn::Store {
                src: Operand::Reg(r),
                ..
            }) => Reach::Stx(*r),
            Some(Insn::Store {
                src: Operand::Imm(i),
                ..
            }) => Reach::St(*i),
            Some(Insn::Load { .. } | Insn::Atomic { .. }) => Reach::OtherMode,
            _ => Reach::Helper,
        }
    }

    /// The special fields an access of `size` bytes at `off` of a value of `map` (through
    /// `p`) touches: refused as the kernel refuses them, or, for a direct load of a kptr, the
    /// pointer it loads.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn map_value_fields(
        &self,
        st: &mut AbstractState,
        pc: InsnIdx,
        p: &Pointer,
        map: u32,
        off: i64,
        size: u32,
        val: Option<&RegState>,
    ) -> Res<Option<RegState>> {
        let lo = off + p.var_off.smin().max(0);
        let hi = off + p.var_off.umax().min(1 << 32) as i64 + i64::from(size);
        let fields = self.value_fields(map);
        let kptrs = self.map_kptrs(map);
        // The kernel looks at the fields in offset order; the first one touched answers.
        let lock = fields
            .iter()
            .find(|f| lo < i64::from(f.off + f.size) && hi > i64::from(f.off));
        let kptr = kptrs
            .iter()
            .find(|k| lo < i64::from(k.off) + 8 && hi > i64::from(k.off));
        match (lock, kptr) {
            (Some(f), k) if k.map_or(true, |k| f.off < k.off) => Err(Violation::new(
                Code::SpinLockMisuse,
                pc,
                format!(
                    "the access touches the {} at offset {} of the map value; only its helpers may",
                    f.kind, f.off
                ),
                format!("{} cannot be accessed directly by load/store", f.kind),
            )),
            (_, Some(k)) => self.kptr_field_access(st, pc, p, k, off, size, val),
            _ => Ok(None),
        }
    }

    /// An access touching kptr field `k` (`off`: the access's constant offset).
    #[allow(clippy::too_many_arguments)]
    fn kptr_field_access(
        &self,
        st: &mut AbstractState,
        pc: InsnIdx,
        p: &Pointer,
        k: &Kptr,
        off: i64,
        size: u32,
        val: Option<&RegState>,
    ) -> Res<Option<RegState>> {
        let refuse = |message: String, kernel: String| {
            Err(Violation::new(Code::InvalidMemAccess, pc, message, kernel))
        };
        let reach = self.reach(pc);
        if reach == Reach::Helper {
            return refuse(
                format!("a helper's memory argument covers the kptr field at offset {} of the map value; kptrs are read and written only by loads, stores and bpf_kptr_xchg", k.off),
                "kptr cannot be accessed indirectly by helper".into(),
            );
        }
        let Some(var) = p.var_off.as_const() else {
            return refuse(
                format!("the access may touch the kptr field at offset {} of the map value at a variable offset", k.off),
                "kptr access cannot have variable offset".into(),
            );
        };
        let at = off.wrapping_add(var as i64);
        if at != i64::from(k.off) {
            return refuse(
                format!(
                    "the access at offset {at} overlaps the kptr field at offset {}, which is read only whole",
                    k.off
                ),
                format!("kptr access misaligned expected={} off={at}", k.off),
            );
        }
        if size != 8 {
            return refuse(
                format!("a kptr field is 8 bytes and read or written whole, but this access is {size} bytes"),
                "kptr access size must be BPF_DW".into(),
            );
        }
        if reach == Reach::OtherMode {
            return refuse(
                "a kptr field is reached only by plain loads and stores (no atomics, no sign extension)".into(),
                "kptr in map can only be accessed using BPF_MEM instruction mode".into(),
            );
        }
        if reach != Reach::Ldx && k.tag_on(self.opts.kernel) != KptrTag::Untrusted {
            return Err(Violation::new(
                Code::InvalidMemAccess,
                pc,
                format!("the kptr field at offset {} holds a reference: only bpf_kptr_xchg may change it", k.off),
                "store to referenced kptr disallowed",
            )
            .with_note("swap a pointer in (or NULL out) with bpf_kptr_xchg(&v->field, ptr), and release what comes back"));
        }
        match reach {
            Reach::Ldx => Ok(Some(self.loaded_kptr(st, k))),
            Reach::St(imm) if imm != 0 => refuse(
                format!(
                    "only NULL (0) may be stored into the kptr field at offset {}",
                    k.off
                ),
                format!("BPF_ST imm must be 0 when storing to kptr at off={}", k.off),
            ),
            Reach::Stx(r) => {
                let v = val.cloned().unwrap_or_else(RegState::unknown);
                self.untrusted_kptr_store(pc, k, r, &v).map(|()| None)
            }
            _ => Ok(None),
        }
    }

    /// What a load of kptr field `k` gives (the kernel's `btf_ld_kptr_type`).
    fn loaded_kptr(&self, st: &mut AbstractState, k: &Kptr) -> RegState {
        // Without the kernel's BTF a kernel struct cannot be told from one of the program's.
        if self.input.kernel_btf.is_none() {
            return RegState::unknown();
        }
        let kernel_id = self.kernel_struct_id(&k.name);
        let local = kernel_id == 0 || k.tag == KptrTag::Percpu;
        // Before 6.12 (6.1 measured) every load is untrusted; the releases between are not
        // measured, and untrusted is the answer that allows least.
        let recent = self.opts.kernel >= KernelVersion::new(6, 12);
        let in_rcu_cs = self.in_rcu_cs(st);
        let rcu_safe = k.tag == KptrTag::Percpu
            || (k.tag_on(self.opts.kernel) == KptrTag::Ref
                && (local || RCU_PROTECTED.contains(&k.name.as_str())));
        let rcu = recent && rcu_safe && in_rcu_cs;
        let kind = match (local, rcu) {
            (true, true) => PtrKind::Alloc {
                type_id: k.local_id,
                percpu: k.tag == KptrTag::Percpu,
                non_owning: true,
                rcu: true,
            },
            // An untrusted pointer to a struct of the program's own BTF, which bpfvet does not
            // type: a number, which can only be refused more.
            (true, false) => return RegState::unknown(),
            (false, rcu) => PtrKind::BtfId {
                type_id: kernel_id,
                trust: if rcu { Trust::Rcu } else { Trust::Marked },
            },
        };
        let mut p = Pointer::new(kind);
        p.maybe_null = true;
        p.id = st.fresh_id();
        RegState::Ptr(p)
    }

    /// Whether the program is inside an RCU read section here (the kernel's `in_rcu_cs`):
    /// always when it is not sleepable, else between `bpf_rcu_read_lock()` and its unlock or
    /// while a lock is held.
    pub(super) fn in_rcu_cs(&self, st: &AbstractState) -> bool {
        st.rcu_lock || st.holds_lock() || !self.input.sleepable
    }

    /// A register stored into `__kptr_untrusted` field `k` (the kernel's
    /// `map_kptr_match_type`): NULL, or a kernel object of the field's struct at its start.
    fn untrusted_kptr_store(&self, pc: InsnIdx, k: &Kptr, r: Reg, v: &RegState) -> Res<()> {
        if v.as_scalar().and_then(|s| s.as_const()) == Some(0) {
            return Ok(());
        }
        let want = self.kernel_struct_id(&k.name);
        let got = match v.as_ptr().map(|p| p.kind) {
            Some(PtrKind::BtfId { type_id, .. }) => format!(
                "{}{}",
                v.type_name(),
                self.input
                    .kernel_btf
                    .map_or("", |b| b.name_of(crate::btf::TypeId(type_id)))
            ),
            _ => v.type_name(),
        };
        let ok = v.as_ptr().is_some_and(|p| match p.kind {
            PtrKind::BtfId { type_id, .. } => {
                p.off == 0
                    && p.has_const_off()
                    && want != 0
                    && self.input.kernel_btf.is_some_and(|b| {
                        crate::verifier::kfuncs::struct_matches(b, type_id, want, false)
                    })
            }
            _ => false,
        });
        if ok {
            return Ok(());
        }
        Err(Violation::new(
            Code::InvalidMemAccess,
            pc,
            format!(
                "the kptr field at offset {} holds a struct {} pointer (or NULL), but {r} is {}",
                k.off,
                k.name,
                v.type_name()
            ),
            format!(
                "invalid kptr access, R{} type={got} expected=ptr_{1} or untrusted_ptr_{1}",
                r.num(),
                k.name
            ),
        ))
    }
}
