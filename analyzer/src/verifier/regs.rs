//! A frame's register file behind copy-on-write sharing (issue 20's "cheap state"), as
//! `stack.rs` does for its stack slots: copying a frame copies a pointer, and the first write
//! to a register of a copy copies the eleven registers once.

use super::state::RegState;
use crate::isa::Reg;
use std::cell::RefCell;
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::rc::Rc;

type RegFile = [RegState; Reg::COUNT];

/// Most spare register files kept per thread (about 1 KB each).
const MAX_SPARE: usize = 1024;

thread_local! {
    /// Register files of dropped states, kept for the next copy on write: the states of ended
    /// paths and of pruned probes free theirs as fast as new checkpoints need them, and each
    /// was a `malloc`/`free` pair of a size past glibc's per-thread cache (docs/benchmarks.md).
    static SPARE: RefCell<Vec<Rc<RegFile>>> = const { RefCell::new(Vec::new()) };
}

/// A spare register file, unshared, if the thread holds one.
fn take_spare() -> Option<Rc<RegFile>> {
    SPARE
        .try_with(|s| s.try_borrow_mut().ok().and_then(|mut s| s.pop()))
        .ok()
        .flatten()
}

/// The registers r0..r10 of one frame, shared between the states copied from one another
/// until one of them writes. A checkpoint, a queued branch or a probe copies the pointer; the
/// frames of callers, which a callee's path never writes, stay shared by every state made
/// below the call (their registers were 1 KB of each copy). Reads go through `Deref` to the
/// array (indexing, `iter`, patterns), writes through `DerefMut`, which makes the registers
/// this frame's own first.
#[derive(Clone, Default)]
pub struct Regs(Rc<RegFile>);

impl Regs {
    /// Makes the registers this frame's own, copying them into a spare register file when
    /// they are shared.
    fn own(&mut self) -> &mut RegFile {
        if Rc::get_mut(&mut self.0).is_none() {
            if let Some(mut spare) = take_spare() {
                if let Some(file) = Rc::get_mut(&mut spare) {
                    file.clone_from(&self.0);
                    self.0 = spare;
                }
            }
        }
        Rc::make_mut(&mut self.0)
    }

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
                self.own()[n] = r;
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
        self.own()
    }
}

impl Drop for Regs {
    /// The last holder of a register file leaves it to the thread's spares.
    fn drop(&mut self) {
        if Rc::strong_count(&self.0) == 1 && Rc::weak_count(&self.0) == 0 {
            let file = self.0.clone();
            // Dropped during the thread's teardown or while a spare is being taken (neither
            // happens in the engine): the file is freed as usual.
            let _ = SPARE.try_with(|s| {
                if let Ok(mut s) = s.try_borrow_mut() {
                    if s.len() < MAX_SPARE {
                        s.push(file);
                    }
                }
            });
        }
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
        self.own().iter_mut()
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
    fn a_dropped_file_is_reused_by_the_next_copy() {
        let a = Regs::from(std::array::from_fn(|n| RegState::scalar_const(n as u64)));
        let mut b = a.clone();
        let dropped = Regs::from(std::array::from_fn(|_| RegState::unknown()));
        let spare = Rc::as_ptr(&dropped.0);
        drop(dropped);
        b[1] = RegState::Uninit;
        // The copy went into the dropped file, and holds `a`'s registers but the one written.
        assert_eq!(Rc::as_ptr(&b.0), spare);
        assert_eq!(b[1], RegState::Uninit);
        assert_eq!(b[2], RegState::scalar_const(2));
        assert_eq!(a[1], RegState::scalar_const(1));
        // A shared file is not a spare: dropping one holder leaves the other intact.
        let c = a.clone();
        drop(c);
        let mut d = a.clone();
        d[3] = RegState::Uninit;
        assert_ne!(Rc::as_ptr(&d.0), Rc::as_ptr(&a.0));
        assert_eq!(a[3], RegState::scalar_const(3));
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
