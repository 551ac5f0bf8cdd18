//! The map-value argument of `bpf_spin_lock`/`bpf_spin_unlock` and of the `bpf_timer_*`
//! helpers must point at the one `struct bpf_spin_lock` (or `struct bpf_timer`) of the value,
//! which the kernel finds in the map's BTF: a map created without BTF (a legacy definition, or
//! an object whose BTF the kernel refused, after which libbpf creates the maps without it) has
//! no such field, so the call is refused even though the program's C code is right.

use super::{Res, Vm};

use crate::isa::InsnIdx;
use crate::program::MapKind;
use crate::verifier::env::KernelVersion;
use crate::verifier::ptr_kind::PtrKind;
use crate::verifier::state::Pointer;
use crate::verifier::violation::{Code, Violation};

impl Vm<'_> {
    /// Checks that the map-value pointer `p` in argument register `n` points at the value's
    /// `kind` field (`bpf_spin_lock` or `bpf_timer`), in the kernel's order of checks.
    pub(super) fn check_special_field_arg(
        &self,
        pc: InsnIdx,
        n: u8,
        p: &Pointer,
        kind: &'static str,
    ) -> Res<()> {
        let PtrKind::MapValue { map } = p.kind else {
            return Ok(());
        };
        // The argument is wrong, not the locking discipline.
        let code = Code::HelperArgType;
        let def = self.map(map);
        let Some(var) = p.var_off.as_const() else {
            return Err(Violation::new(
                code,
                pc,
                format!("r{n} points into map '{}' at a variable offset; the {kind} must be named at a constant one", def.name),
                format!("R{n} doesn't have constant offset. {kind} has to be at the constant offset"),
            ));
        };
        let btf = self.input.btf;
        let value_type = crate::verifier::btf_info::value_type_of(btf, def);
        if btf.is_none() || value_type.is_none() {
            let why = if !self.opts.privileged {
                "an unprivileged loader may not load BTF (that needs CAP_BPF), so it creates its maps without it"
            } else if self.input.btf_refused.is_some() {
                "the kernel refuses this object's BTF, so the loader creates its maps without it"
            } else {
                "its definition carries no BTF types"
            };
            return Err(Violation::new(
                code,
                pc,
                format!("map '{}' has no BTF ({why}), and the kernel finds the {kind} of a value only through BTF", def.name),
                format!("map '{}' has to have BTF in order to use {kind}", def.name),
            ));
        }
        if self.map_layout(map).has_invalid_root() {
            return Err(Violation::new(
                code,
                pc,
                format!("a graph root in map '{}' names no element struct with a matching node (its contains: tag), so the kernel keeps no record of the value's special fields", def.name),
                format!("map '{}' has no valid {kind}", def.name),
            ));
        }
        // Before 6.2 the kernel kept no special fields for global data (a datasec value):
        // the recorded 6.1.0-57 refuses a lock in `.bss.A` with "doesn't have".
        let old_kernel = self.opts.kernel < KernelVersion::new(6, 2);
        let fields = if old_kernel && matches!(def.kind, MapKind::GlobalData { .. }) {
            Vec::new()
        } else {
            crate::verifier::btf_info::special_fields(btf, value_type)
        };
        let mut of_kind = fields.iter().filter(|f| f.kind == kind);
        let (Some(field), None) = (of_kind.next(), of_kind.next()) else {
            let kernel = match (old_kernel, fields.iter().any(|f| f.kind == kind)) {
                (false, _) => format!("map '{}' has no valid {kind}", def.name),
                (true, true) => format!("map '{}' has more than one 'struct {kind}'", def.name),
                (true, false) => format!("map '{}' doesn't have 'struct {kind}'", def.name),
            };
            return Err(Violation::new(
                code,
                pc,
                format!(
                    "r{n} must point at the struct {kind} of a map value, but the value type of map '{}' holds no single one",
                    def.name
                ),
                kernel,
            ));
        };
        let at = i64::from(p.off).wrapping_add(var as i64);
        if at != i64::from(field.off) {
            return Err(Violation::new(
                code,
                pc,
                format!(
                    "r{n} must point at the struct {kind} of the map '{}' value, at offset {}, but points at offset {at}",
                    def.name, field.off
                ),
                format!("off {at} doesn't point to 'struct {kind}' that is at {}", field.off),
            ));
        }
        Ok(())
    }
}
