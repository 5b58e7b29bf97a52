//! Turning the paths on the command line into the list of files to read.

use std::path::{Path, PathBuf};

use walkdir::WalkDir;

/// One file to read.
#[derive(Debug, Clone)]
pub struct InputFile {
    pub path: PathBuf,
    pub size: u64,
}

/// A path that could not be listed or read.
#[derive(Debug, Clone)]
pub struct DiscoverError {
    pub path: PathBuf,
    pub reason: String,
}

/// Expands files and directories (recursively; symbolic links to files are followed, links to
/// directories are not, so a link cycle cannot loop). Files come back in path order so that runs
/// are repeatable. Hidden files are skipped inside directories but read when named directly.
pub fn discover(paths: &[PathBuf]) -> (Vec<InputFile>, Vec<DiscoverError>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for root in paths {
        match std::fs::metadata(root) {
            Ok(meta) if meta.is_file() => files.push(InputFile { path: root.clone(), size: meta.len() }),
            Ok(meta) if meta.is_dir() => walk_dir(root, &mut files, &mut errors),
            Ok(_) => {
                errors.push(DiscoverError { path: root.clone(), reason: "not a regular file or directory".into() })
            }
            Err(e) => errors.push(DiscoverError { path: root.clone(), reason: e.to_string() }),
        }
    }
    (files, errors)
}

fn walk_dir(root: &Path, files: &mut Vec<InputFile>, errors: &mut Vec<DiscoverError>) {
    let walker = WalkDir::new(root).follow_links(false).sort_by_file_name().into_iter();
    for entry in walker.filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.')) {
        match entry {
            Ok(e) => {
                let ft = e.file_type();
                if ft.is_file() || (ft.is_symlink() && e.path().is_file()) {
                    match e.metadata() {
                        Ok(m) => {
                            let size = if ft.is_symlink() {
                                std::fs::metadata(e.path()).map(|m| m.len()).unwrap_or(0)
                            } else {
                                m.len()
                            };
                            files.push(InputFile { path: e.path().to_path_buf(), size });
                        }
                        Err(err) => {
                            errors.push(DiscoverError { path: e.path().to_path_buf(), reason: err.to_string() })
                        }
                    }
                }
            }
            Err(err) => errors.push(DiscoverError {
                path: err.path().map(Path::to_path_buf).unwrap_or_else(|| root.to_path_buf()),
                reason: err.to_string(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_directories_in_order_and_skips_hidden() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("b.log"), "x").unwrap();
        std::fs::write(dir.path().join("sub/a.log"), "yy").unwrap();
        std::fs::write(dir.path().join(".hidden"), "z").unwrap();
        let (files, errors) = discover(&[dir.path().to_path_buf(), dir.path().join("missing")]);
        let names: Vec<_> =
            files.iter().map(|f| f.path.strip_prefix(dir.path()).unwrap().to_string_lossy().into_owned()).collect();
        assert_eq!(names, ["b.log", "sub/a.log"]);
        assert_eq!(files[1].size, 2);
        assert_eq!(errors.len(), 1);
        assert!(errors[0].path.ends_with("missing"));
    }
}
