//! A frame's register file behind copy-on-write sharing (issue 20's "cheap state"), as
//! `stack.rs` does for its stack slots: copying a frame copies a pointer, and the first write
//! to a register of a copy copies the eleven registers once.

use super::state::RegState;
use crate::isa::Reg;
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::rc::Rc;

/// The registers r0..r10 of one frame, shared between the states copied from one another
/// until one of them writes. A checkpoint, a queued branch or a probe copies the pointer; the
/// frames of callers, which a callee's path never writes, stay shared by every state made
/// below the call (their registers were 1 KB of each copy). Reads go through `Deref` to the
/// array (indexing, `iter`, patterns), writes through `DerefMut`, which makes the registers
/// this frame's own first.
#[derive(Clone, Default)]
pub struct Regs(Rc<[RegState; Reg::COUNT]>);

impl Regs {
    /// Whether `self` and `other` are the same shared registers (then they are equal without
    /// comparing them).
    pub fn shares_with(&self, other: &Regs) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }

    /// Applies `f` to every register, copying shared registers only when `f` changes one:
    /// the id-wide updates (a NULL check, a packet range, a released reference) visit every
    /// frame, and most frames are callers that nothing changes.
    pub fn update_each(&mut self, mut f: impl FnMut(&mut RegState)) {
        if let Some(own) = Rc::get_mut(&mut self.0) {
            own.iter_mut().for_each(f);
            return;
        }
        for n in 0..Reg::COUNT {
            let mut r = self.0[n].clone();
            f(&mut r);
            if r != self.0[n] {
                Rc::make_mut(&mut self.0)[n] = r;
            }
        }
    }
}

impl Deref for Regs {
    type Target = [RegState; Reg::COUNT];

    fn deref(&self) -> &[RegState; Reg::COUNT] {
        &self.0
    }
}

impl DerefMut for Regs {
    fn deref_mut(&mut self) -> &mut [RegState; Reg::COUNT] {
        Rc::make_mut(&mut self.0)
    }
}

impl From<[RegState; Reg::COUNT]> for Regs {
    fn from(regs: [RegState; Reg::COUNT]) -> Regs {
        Regs(Rc::new(regs))
    }
}

impl PartialEq for Regs {
    fn eq(&self, other: &Regs) -> bool {
        self.shares_with(other) || *self.0 == *other.0
    }
}

impl PartialEq<[RegState; Reg::COUNT]> for Regs {
    fn eq(&self, other: &[RegState; Reg::COUNT]) -> bool {
        *self.0 == *other
    }
}

impl std::hash::Hash for Regs {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.0.hash(h);
    }
}

impl fmt::Debug for Regs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<'a> IntoIterator for &'a Regs {
    type Item = &'a RegState;
    type IntoIter = std::slice::Iter<'a, RegState>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl<'a> IntoIterator for &'a mut Regs {
    type Item = &'a mut RegState;
    type IntoIter = std::slice::IterMut<'a, RegState>;

    fn into_iter(self) -> Self::IntoIter {
        Rc::make_mut(&mut self.0).iter_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copy_shares_until_written() {
        let mut a = Regs::default();
        a[1] = RegState::scalar_const(7);
        let mut b = a.clone();
        assert!(a.shares_with(&b));
        // Reading does not copy.
        assert_eq!(b[1], RegState::scalar_const(7));
        assert!(b.iter().any(RegState::is_init));
        assert!(a.shares_with(&b));
        b[2] = RegState::unknown();
        assert!(!a.shares_with(&b));
        assert_eq!(a[2], RegState::Uninit);
        assert_eq!(b[2], RegState::unknown());
        assert_ne!(a, b);
        // A copy that becomes equal again compares equal by content.
        b[2] = RegState::Uninit;
        assert_eq!(a, b);
        assert!(!a.shares_with(&b));
    }

    #[test]
    fn iterating_mutably_writes_only_the_copy() {
        let a = Regs::from(std::array::from_fn(|n| RegState::scalar_const(n as u64)));
        let mut b = a.clone();
        for r in &mut b {
            *r = RegState::unknown();
        }
        assert!(b.iter().all(|r| *r == RegState::unknown()));
        assert_eq!(a[3], RegState::scalar_const(3));
        let h = std::hash::RandomState::new();
        use std::hash::BuildHasher;
        let c = Regs::from(std::array::from_fn(|n| RegState::scalar_const(n as u64)));
        assert_eq!(h.hash_one(&a), h.hash_one(&c));
        assert_eq!(format!("{a:?}"), format!("{:?}", *c));
    }

    #[test]
    fn update_each_copies_only_on_change() {
        let a = Regs::from(std::array::from_fn(|n| RegState::scalar_const(n as u64)));
        let mut b = a.clone();
        b.update_each(|_| {});
        assert!(a.shares_with(&b));
        b.update_each(|r| {
            if *r == RegState::scalar_const(4) {
                *r = RegState::unknown();
            }
        });
        assert!(!a.shares_with(&b));
        assert_eq!(b[4], RegState::unknown());
        assert_eq!(a[4], RegState::scalar_const(4));
        assert_eq!(b[5], RegState::scalar_const(5));
        // Once its own, the update applies in place.
        b.update_each(|r| *r = RegState::Uninit);
        assert!(b.iter().all(|r| *r == RegState::Uninit));
    }
}
