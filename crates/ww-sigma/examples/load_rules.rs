//! Loads and compiles rule folders and prints counts and time; used to measure start-up
//! (`/usr/bin/time -v cargo run --release --example load_rules -- <dirs>`).

use std::path::PathBuf;
use std::time::Instant;

fn main() {
    let paths: Vec<PathBuf> = std::env::args().skip(1).map(PathBuf::from).collect();
    let t = Instant::now();
    let rep = ww_sigma::load_rules(&paths, &ww_sigma::LoadOptions::default());
    println!(
        "files {} loaded {} skipped {} filtered {} in {:?}",
        rep.files,
        rep.ruleset.len(),
        rep.skipped.len(),
        rep.filtered_out,
        t.elapsed()
    );
}
