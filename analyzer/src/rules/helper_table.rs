//! Every helper the kernel defines, by id, with its signature where described.
//!
//! Facts (ids, names, argument and return types, GPL flags, program-type availability, the
//! release that added each) come from the kernel's UAPI header and helper prototypes; the
//! table and its wording are ours. The rows live in `helpers/` split by id range.

use super::helpers::{ids_141_211, ids_1_70, ids_71_140, join};
use super::HelperSig;

/// The number of `BPF_FUNC_*` ids after `unspec` (Linux 6.18: `cgrp_storage_delete` = 211).
pub const HELPER_COUNT: usize = 211;

static ALL: [HelperSig; HELPER_COUNT] = join(ids_1_70::ROWS, ids_71_140::ROWS, ids_141_211::ROWS);

/// Every helper, sorted by id, dense from 1.
pub static HELPERS: &[HelperSig] = &ALL;
