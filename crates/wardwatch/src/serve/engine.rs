//! The one compiled rule set the server matches with, swappable at run time (SIGHUP or the API)
//! without stopping intake: workers take a snapshot per batch, so a batch is matched wholly by
//! the old rules or wholly by the new.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::Context;
use arc_swap::ArcSwap;
use ww_sigma::{LoadOptions, LogsourceMap, RuleSet};

/// A compiled rule set and the stable id of each rule (rules without an `id:` get one derived
/// from their title, so per-tenant disabling and alert keys still work).
pub struct Compiled {
    pub rules: RuleSet,
    pub ids: Vec<String>,
    pub skipped: usize,
    pub generation: u64,
}

pub struct Engine {
    current: ArcSwap<Compiled>,
    paths: Vec<PathBuf>,
    builtin: bool,
    logsource_maps: Vec<PathBuf>,
    generation: AtomicU64,
}

impl Engine {
    pub fn load(paths: Vec<PathBuf>, builtin: bool, logsource_maps: Vec<PathBuf>) -> anyhow::Result<Engine> {
        let compiled = compile(&paths, builtin, &logsource_maps, 1)?;
        Ok(Engine {
            current: ArcSwap::from_pointee(compiled),
            paths,
            builtin,
            logsource_maps,
            generation: AtomicU64::new(1),
        })
    }

    pub fn snapshot(&self) -> Arc<Compiled> {
        self.current.load_full()
    }

    /// Recompiles from the configured paths and swaps atomically. On error the old rules stay.
    pub fn reload(&self) -> anyhow::Result<Arc<Compiled>> {
        let generation = self.generation.fetch_add(1, Ordering::Relaxed) + 1;
        let compiled = Arc::new(compile(&self.paths, self.builtin, &self.logsource_maps, generation)?);
        self.current.store(compiled.clone());
        Ok(compiled)
    }
}

fn compile(paths: &[PathBuf], builtin: bool, maps: &[PathBuf], generation: u64) -> anyhow::Result<Compiled> {
    let mut opts = LoadOptions::default();
    for path in maps {
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
        let extra = LogsourceMap::from_yaml_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        opts.logsources.merge(extra);
    }
    for p in paths {
        anyhow::ensure!(p.exists(), "rule path {} does not exist", p.display());
    }
    let embedded: &[(&str, &str)] = if builtin { ww_detect::builtin::builtin_rules() } else { &[] };
    let report = ww_sigma::load_rules_with_embedded(paths, embedded, &opts);
    for s in &report.skipped {
        tracing::debug!(rule = %s, "rule skipped");
    }
    let ids = report.ruleset.metas().iter().map(|m| ww_detect::rule_id(m).into_owned()).collect();
    Ok(Compiled { rules: report.ruleset, ids, skipped: report.skipped.len(), generation })
}
