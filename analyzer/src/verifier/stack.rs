//! A frame's stack slots behind copy-on-write sharing (issue 20's "cheap state"): copying a
//! state copies pointers, and a write copies only what it changes.

use super::state::{RegState, StackByte, StackSlot};
use std::fmt;
use std::rc::Rc;

/// A frame's stack slots, shared between the states copied from one another until one of them
/// writes (copy on write, at two levels): a branch, a checkpoint or a queued path copies one
/// pointer, not the up to 64 slots; a write makes the list of slots this state's own (a
/// pointer per slot) and then only the slot written. The checkpoints along a path thus hold
/// one copy of each slot between them, and a state costs what it changed, not what it holds.
/// Reads go through [`Stack::get`], indexing and iteration as with a `Vec<StackSlot>`;
/// writes through indexing, [`Stack::get_mut`], [`Stack::slot_mut`]-style growth
/// ([`Stack::resize`]) and [`Stack::update_each`], which copies only the slots it changes.
/// The list is one allocation (a slice behind the count, not a `Vec` behind it): making it
/// this state's own, once per checkpoint on a path that writes its stack, costs one `malloc`.
/// Its length changes only when the stack grows, rarely, and that makes a new list.
#[derive(Clone)]
pub struct Stack(Rc<[Rc<StackSlot>]>);

impl Default for Stack {
    fn default() -> Stack {
        Stack(Rc::new([]))
    }
}

/// The iterator over a stack's slots.
pub type StackIter<'a> =
    std::iter::Map<std::slice::Iter<'a, Rc<StackSlot>>, fn(&'a Rc<StackSlot>) -> &'a StackSlot>;
/// The iterator over a stack's slots, mutably (each slot is made this state's own).
pub type StackIterMut<'a> = std::iter::Map<
    std::slice::IterMut<'a, Rc<StackSlot>>,
    fn(&'a mut Rc<StackSlot>) -> &'a mut StackSlot,
>;

impl Stack {
    /// The list of slots, made this state's own first (copying the pointers when shared).
    fn slots_mut(&mut self) -> &mut [Rc<StackSlot>] {
        if Rc::get_mut(&mut self.0).is_none() {
            self.0 = self.0.iter().cloned().collect();
        }
        Rc::get_mut(&mut self.0).expect("a list just copied has one holder")
    }

    /// Whether `self` and `other` are the same shared slots (then they are equal without
    /// comparing them).
    pub fn shares_with(&self, other: &Stack) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn get(&self, i: usize) -> Option<&StackSlot> {
        self.0.get(i).map(|s| &**s)
    }

    pub fn get_mut(&mut self, i: usize) -> Option<&mut StackSlot> {
        self.slots_mut().get_mut(i).map(Rc::make_mut)
    }

    pub fn first(&self) -> Option<&StackSlot> {
        self.get(0)
    }

    pub fn last(&self) -> Option<&StackSlot> {
        self.0.last().map(|s| &**s)
    }

    pub fn iter(&self) -> StackIter<'_> {
        self.0.iter().map(|s| &**s)
    }

    /// Every slot, mutably: each is copied if shared, so prefer [`Stack::update_each`] or
    /// indexing when only some change.
    pub fn iter_mut(&mut self) -> StackIterMut<'_> {
        self.slots_mut().iter_mut().map(Rc::make_mut)
    }

    /// Grows (with copies of `slot`) or shrinks the stack to `n` slots.
    pub fn resize(&mut self, n: usize, slot: StackSlot) {
        if n != self.len() {
            let fill = Rc::new(slot);
            let kept = self.0.iter().take(n).cloned();
            let added = std::iter::repeat(fill).take(n.saturating_sub(self.len()));
            self.0 = kept.chain(added).collect();
        }
    }

    pub fn truncate(&mut self, n: usize) {
        if n < self.len() {
            self.0 = self.0[..n].iter().cloned().collect();
        }
    }

    pub fn push(&mut self, slot: StackSlot) {
        let added = std::iter::once(Rc::new(slot));
        self.0 = self.0.iter().cloned().chain(added).collect();
    }

    /// The slots as a plain vector.
    pub fn to_vec(&self) -> Vec<StackSlot> {
        self.iter().cloned().collect()
    }

    /// Applies `f` to every slot, making this state's own only the slots it changes: the
    /// id-wide updates (a branch refining linked scalars, a dynptr or an RCU section ending)
    /// touch few slots, and copying the rest would undo the sharing.
    pub fn update_each(&mut self, mut f: impl FnMut(&mut StackSlot)) {
        for i in 0..self.len() {
            let mut slot = (*self.0[i]).clone();
            f(&mut slot);
            if slot != *self.0[i] {
                self.slots_mut()[i] = Rc::new(slot);
            }
        }
    }
}

impl Stack {
    /// Applies `f` (which also sees the slot's bytes) to every spilled register, copying only
    /// the slots whose register it changes.
    pub fn update_spilled(&mut self, mut f: impl FnMut(&[StackByte; 8], &mut RegState)) {
        for i in 0..self.len() {
            let slot = &self.0[i];
            let Some(old) = &slot.spilled else { continue };
            let mut r = old.clone();
            f(&slot.bytes, &mut r);
            if r != *old {
                self[i].spilled = Some(r);
            }
        }
    }
}

/// Copies of shared slots changed by a pure function (a spilled scalar's singular id removed,
/// `without_singular_ids`), kept by the slot they were made from, so that every checkpoint
/// along a path that carries the slot unchanged shares one copy instead of making its own.
/// The original is kept alive beside its copy, so its address is never reused for another
/// slot while it is a key. Bounded: emptied when full.
/// Whole lists are kept the same way, by the list and the slots changed: between two prune
/// points a path mostly leaves its stack alone, and each prune point copied the list again.
#[derive(Default)]
pub struct DerivedSlots {
    map: std::collections::HashMap<
        usize,
        (Rc<StackSlot>, Rc<StackSlot>),
        std::hash::BuildHasherDefault<super::engine::MixHasher>,
    >,
    lists: std::collections::HashMap<
        (usize, u64),
        (SlotList, SlotList),
        std::hash::BuildHasherDefault<super::engine::MixHasher>,
    >,
}

type SlotList = Rc<[Rc<StackSlot>]>;

impl DerivedSlots {
    const MAX: usize = 1 << 14;
    /// Lists are up to 64 pointers each: at most 2 MB held.
    const MAX_LISTS: usize = 1 << 12;
}

impl fmt::Debug for DerivedSlots {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DerivedSlots({} slots)", self.map.len())
    }
}

impl Stack {
    /// Makes slot `i` `derive` of itself, sharing the copy an earlier call made of the same
    /// slot through `cache`. `derive` must depend on the slot's contents only.
    pub fn derive_slot(
        &mut self,
        i: usize,
        cache: &mut DerivedSlots,
        derive: impl FnOnce(&mut StackSlot),
    ) {
        let from = &self.0[i];
        let key = Rc::as_ptr(from) as usize;
        let copy = match cache.map.get(&key) {
            Some((_, copy)) => copy.clone(),
            None => {
                let mut slot = (**from).clone();
                derive(&mut slot);
                let copy = Rc::new(slot);
                if cache.map.len() >= DerivedSlots::MAX {
                    cache.map.clear();
                }
                cache.map.insert(key, (from.clone(), copy.clone()));
                copy
            }
        };
        self.slots_mut()[i] = copy;
    }
}

impl Stack {
    /// Makes every slot `i` whose bit is set in `mask` `derive` of itself, as
    /// [`Stack::derive_slot`] does, sharing the list an earlier call made of the same list
    /// and mask through `cache`. `derive` must depend on the slot's contents only.
    pub fn derive_slots(
        &mut self,
        mask: u64,
        cache: &mut DerivedSlots,
        derive: impl Fn(&mut StackSlot),
    ) {
        let key = (Rc::as_ptr(&self.0).cast::<()>() as usize, mask);
        if let Some((_, list)) = cache.lists.get(&key) {
            self.0 = list.clone();
            return;
        }
        // Kept alive beside its copy, so that its address names no other list while a key.
        let from = self.0.clone();
        for i in (0..self.len()).filter(|i| mask & (1u64 << i) != 0) {
            self.derive_slot(i, cache, &derive);
        }
        if cache.lists.len() >= DerivedSlots::MAX_LISTS {
            cache.lists.clear();
        }
        cache.lists.insert(key, (from, self.0.clone()));
    }
}

impl std::ops::Index<usize> for Stack {
    type Output = StackSlot;

    fn index(&self, i: usize) -> &StackSlot {
        &self.0[i]
    }
}

impl std::ops::IndexMut<usize> for Stack {
    fn index_mut(&mut self, i: usize) -> &mut StackSlot {
        Rc::make_mut(&mut self.slots_mut()[i])
    }
}

impl PartialEq for Stack {
    fn eq(&self, other: &Stack) -> bool {
        self.shares_with(other)
            || (self.len() == other.len()
                && self
                    .0
                    .iter()
                    .zip(other.0.iter())
                    .all(|(a, b)| Rc::ptr_eq(a, b) || a == b))
    }
}

impl std::hash::Hash for Stack {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.len().hash(h);
        for slot in self.iter() {
            slot.hash(h);
        }
    }
}

impl fmt::Debug for Stack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl From<Vec<StackSlot>> for Stack {
    fn from(slots: Vec<StackSlot>) -> Stack {
        Stack(slots.into_iter().map(Rc::new).collect())
    }
}

impl<'a> IntoIterator for &'a Stack {
    type Item = &'a StackSlot;
    type IntoIter = StackIter<'a>;

    fn into_iter(self) -> StackIter<'a> {
        self.iter()
    }
}

impl<'a> IntoIterator for &'a mut Stack {
    type Item = &'a mut StackSlot;
    type IntoIter = StackIterMut<'a>;

    fn into_iter(self) -> StackIterMut<'a> {
        self.iter_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spill(v: u64) -> StackSlot {
        StackSlot {
            bytes: [StackByte::Spill; 8],
            spilled: Some(RegState::scalar_const(v)),
            ..StackSlot::default()
        }
    }

    fn stack_of(n: u64) -> Stack {
        Stack::from((0..n).map(spill).collect::<Vec<_>>())
    }

    #[test]
    fn a_copy_shares_until_written() {
        let a = stack_of(4);
        let mut b = a.clone();
        assert!(a.shares_with(&b));
        b[2].bytes = [StackByte::Misc; 8];
        assert!(!a.shares_with(&b));
        // The original is untouched; the copy changed one slot and shares the other three.
        assert_eq!(a[2], spill(2));
        assert_eq!(b[2].bytes, [StackByte::Misc; 8]);
        for i in [0, 1, 3] {
            assert!(Rc::ptr_eq(&a.0[i], &b.0[i]), "slot {i} was copied");
        }
        assert!(!Rc::ptr_eq(&a.0[2], &b.0[2]));
        assert_ne!(a, b);
    }

    #[test]
    fn update_spilled_copies_only_what_it_changes() {
        let a = stack_of(3);
        let mut b = a.clone();
        // Changes nothing: everything stays shared.
        b.update_spilled(|_, _| {});
        assert!(a.shares_with(&b));
        b.update_spilled(|_, r| {
            if r.as_scalar().and_then(|s| s.as_const()) == Some(1) {
                *r = RegState::unknown();
            }
        });
        assert_eq!(b[1].spilled, Some(RegState::unknown()));
        assert_eq!(a[1], spill(1));
        assert!(Rc::ptr_eq(&a.0[0], &b.0[0]) && Rc::ptr_eq(&a.0[2], &b.0[2]));
    }

    #[test]
    fn derived_slots_are_shared() {
        let a = stack_of(3);
        let mut cache = DerivedSlots::default();
        let unknown = |s: &mut StackSlot| s.spilled = Some(RegState::unknown());
        let mut b = a.clone();
        b.derive_slot(1, &mut cache, unknown);
        let mut c = a.clone();
        c.derive_slot(1, &mut cache, |_| panic!("derived again"));
        assert_eq!(b[1].spilled, Some(RegState::unknown()));
        assert!(Rc::ptr_eq(&b.0[1], &c.0[1]));
        assert!(Rc::ptr_eq(&a.0[0], &c.0[0]));
        assert_eq!(a[1], spill(1));
        // Another slot with equal contents is another key.
        let mut d = stack_of(3);
        d.derive_slot(1, &mut cache, unknown);
        assert!(!Rc::ptr_eq(&b.0[1], &d.0[1]));
        assert_eq!(b, d);
    }

    #[test]
    fn derived_lists_are_shared() {
        let a = stack_of(4);
        let mut cache = DerivedSlots::default();
        let unknown = |s: &mut StackSlot| s.spilled = Some(RegState::unknown());
        let mut b = a.clone();
        b.derive_slots(0b1010, &mut cache, unknown);
        let mut c = a.clone();
        c.derive_slots(0b1010, &mut cache, |_| panic!("derived again"));
        assert!(b.shares_with(&c));
        assert_eq!(b[1].spilled, Some(RegState::unknown()));
        assert_eq!(b[3].spilled, Some(RegState::unknown()));
        assert_eq!(b[2], spill(2));
        assert_eq!(a[1], spill(1));
        // Another mask is another list.
        let mut d = a.clone();
        d.derive_slots(0b0010, &mut cache, unknown);
        assert!(!d.shares_with(&b));
        assert_eq!(d[3], spill(3));
        assert!(Rc::ptr_eq(&d.0[1], &b.0[1]));
        // The source list stays alive beside its copy: a write to it copies it first.
        let mut e = a.clone();
        drop(a);
        e[0].bytes = [StackByte::Misc; 8];
        let mut f = stack_of(4);
        f.derive_slots(0b1010, &mut cache, unknown);
        assert!(!f.shares_with(&b));
    }

    #[test]
    fn equality_and_hash_are_by_content() {
        use std::hash::{BuildHasher, RandomState};
        let a = stack_of(3);
        let b = stack_of(3);
        assert!(!a.shares_with(&b));
        assert_eq!(a, b);
        let h = RandomState::new();
        assert_eq!(h.hash_one(&a), h.hash_one(&b));
        assert_eq!(h.hash_one(&a), h.hash_one(a.to_vec()));
        let mut c = b.clone();
        c.resize(4, StackSlot::default());
        assert_ne!(a, c);
        c.truncate(3);
        assert_eq!(a, c);
        assert_eq!(format!("{a:?}"), format!("{:?}", a.to_vec()));
    }
}
