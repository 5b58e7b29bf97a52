//! Where the shared development corpora are, for tests and benchmarks that read them.
//!
//! One rule everywhere: `$WARDWATCH_CORPORA/<name>` when that variable is set, otherwise
//! `shared/corpora/<name>` beside the repository (CI's layout) or beside a git worktree one level
//! deeper. Callers skip with a printed reason when this returns `None`, so the test suite passes
//! on a machine without the corpora.

use std::path::PathBuf;

pub fn dir(name: &str) -> Option<PathBuf> {
    if let Some(root) = std::env::var_os("WARDWATCH_CORPORA") {
        let p = PathBuf::from(root).join(name);
        return p.exists().then_some(p);
    }
    let here = env!("CARGO_MANIFEST_DIR");
    ["/../../../shared/corpora", "/../../../../shared/corpora"]
        .iter()
        .map(|rel| PathBuf::from(format!("{here}{rel}")).join(name))
        .find(|p| p.exists())
}

/// The files under `root` (recursively) whose extension is `ext`, in path order; for the tests,
/// benches and examples that read a corpus folder. Unreadable folders are passed over.
pub fn files_with_extension(root: &std::path::Path, ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == ext) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}
