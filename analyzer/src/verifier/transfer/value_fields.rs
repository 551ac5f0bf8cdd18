//! The special fields (`bpf_spin_lock`, `bpf_timer`, ...) of a map's values, inner maps of
//! map-in-maps included: `Vm::special` is computed once per map of the object, and an inner
//! map (a map index carrying `INNER_MAP`) has the value type of its template, not of the
//! outer map. Reading the outer map's fields for an inner value lost its lock, so two values
//! of one inner map shared one lock identity (test_spin_lock_fail.o
//! `lock_id_mismatch_innermapval_innermapval1/2`) and its lock could be touched directly.

use super::{Vm, INNER_MAP};
use crate::verifier::btf_info::{self, SpecialField};
use std::borrow::Cow;

impl Vm<'_> {
    /// The special fields of the values of the map `map` names.
    pub(super) fn value_fields(&self, map: u32) -> Cow<'_, [SpecialField]> {
        if map & INNER_MAP == 0 {
            return Cow::Borrowed(
                self.special
                    .get(map as usize)
                    .map_or(&[][..], Vec::as_slice),
            );
        }
        Cow::Owned(btf_info::special_fields(
            self.input.btf,
            self.map(map).value_type,
        ))
    }
}
