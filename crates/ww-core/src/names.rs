//! Field names shared between events. A reader sees the same few hundred names (`EventID`,
//! `Image`, `CommandLine`, ...) millions of times: one allocation per name and thread keeps
//! events small and the names in cache for the matchers that hash them.

use std::cell::RefCell;
use std::sync::Arc;

use rustc_hash::FxHashSet;

/// Names kept per thread; past this (hostile or very wide input) names are allocated per use.
const MAX_NAMES: usize = 4096;
/// Longer names (deep JSON paths) are rarely repeated: not kept.
const MAX_NAME_LEN: usize = 128;

thread_local! {
    static NAMES: RefCell<FxHashSet<Arc<str>>> = RefCell::new(FxHashSet::default());
}

/// The shared `Arc<str>` for a field name (equal names give the same allocation on one thread).
pub fn intern(name: &str) -> Arc<str> {
    if name.len() > MAX_NAME_LEN {
        return Arc::from(name);
    }
    NAMES.with_borrow_mut(|names| {
        if let Some(n) = names.get(name) {
            return n.clone();
        }
        let n: Arc<str> = Arc::from(name);
        if names.len() < MAX_NAMES {
            names.insert(n.clone());
        }
        n
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_names_share_one_allocation() {
        let a = intern("CommandLine");
        let b = intern(&String::from("CommandLine"));
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(&*intern("Image"), "Image");
        assert!(!Arc::ptr_eq(&intern("Image"), &intern("image")));
    }

    #[test]
    fn long_names_are_not_kept() {
        let long = "x".repeat(MAX_NAME_LEN + 1);
        assert!(!Arc::ptr_eq(&intern(&long), &intern(&long)));
        assert_eq!(&*intern(&long), long.as_str());
    }
}
