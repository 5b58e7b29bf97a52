//! Loading: files → YAML documents → rules, with filters and a report that names every rule
//! that could not be used and why.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::detection::{Ctx, DetError, DetErrorKind, parse_detection};
use crate::logsource::LogsourceMap;
use crate::meta::{Level, RuleMeta, Status, attack_id};
use crate::ruleset::{Compiled, RuleSet};
use crate::yaml::{Yaml, parse_documents};

/// Rule files larger than this are rejected (real rules are a few KB).
const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// Which rules to keep. Empty lists mean "all".
#[derive(Debug, Clone, Default)]
pub struct RuleFilter {
    pub min_level: Option<Level>,
    pub statuses: Vec<Status>,
    /// Any of: Sigma tags (`attack.t1059`) or ATT&CK ids (`T1059`); sub-techniques match by prefix.
    pub tags: Vec<String>,
    /// Any of: rule id, file stem, or title substring (case-insensitive).
    pub rules: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    pub filter: RuleFilter,
    pub logsources: LogsourceMap,
    /// Values for `%name%` placeholders used with `|expand`.
    pub placeholders: HashMap<String, Vec<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipKind {
    Invalid,
    Unsupported,
    Correlation,
    MissingPlaceholder,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SkippedRule {
    pub file: PathBuf,
    pub rule_id: Option<String>,
    pub title: Option<String>,
    pub kind: SkipKind,
    pub reason: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
}

impl std::fmt::Display for SkippedRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
            if let Some(c) = self.column {
                write!(f, ":{c}")?;
            }
        }
        write!(f, ": {:?} rule {}", self.kind, self.rule_id.as_deref().unwrap_or("-"))?;
        if let Some(t) = &self.title {
            write!(f, " ({t})")?;
        }
        write!(f, ": {}", self.reason)
    }
}

#[derive(Debug)]
pub struct LoadReport {
    pub ruleset: RuleSet,
    /// Rule files read.
    pub files: usize,
    pub skipped: Vec<SkippedRule>,
    /// Rules left out by the filter (not errors).
    pub filtered_out: usize,
}

fn text_list(v: Option<&Yaml>) -> Vec<String> {
    match v {
        Some(Yaml::Seq(items)) => items.iter().filter_map(Yaml::scalar_text).collect(),
        Some(other) => other.scalar_text().into_iter().collect(),
        None => Vec::new(),
    }
}

fn text(v: Option<&Yaml>) -> Option<String> {
    v.and_then(Yaml::scalar_text)
}

/// Line of the first `key:` at or after the `detection:` line, for error locations.
fn line_of_key(src: &str, key: &str) -> Option<usize> {
    let mut in_det = false;
    for (i, line) in src.lines().enumerate() {
        let t = line.trim_start();
        if t.starts_with("detection:") {
            in_det = true;
            continue;
        }
        let t = t.trim_start_matches("- ");
        let t = t.trim_start_matches(['\'', '"']);
        if in_det && t.starts_with(key) && t[key.len()..].trim_start_matches(['\'', '"']).starts_with(':') {
            return Some(i + 1);
        }
    }
    None
}

fn deep_merge(base: &Yaml, over: &Yaml) -> Yaml {
    match (base, over) {
        (Yaml::Map(b), Yaml::Map(o)) => {
            let mut out = b.clone();
            for (k, v) in o {
                match out.iter_mut().find(|(bk, _)| bk == k) {
                    Some((_, bv)) => *bv = deep_merge(bv, v),
                    None => out.push((k.clone(), v.clone())),
                }
            }
            Yaml::Map(out)
        }
        (_, o) => o.clone(),
    }
}

/// A rule before filtering: metadata and detection, or why it cannot be used.
pub(crate) type DocResult = Result<Compiled, SkippedRule>;

/// Parses one file's text into rules.
pub(crate) fn parse_file(path: &Path, src: &str, opts: &LoadOptions) -> Vec<DocResult> {
    let skip = |kind, reason: String, line, column, doc: Option<&Yaml>| SkippedRule {
        file: path.to_path_buf(),
        rule_id: doc.and_then(|d| text(d.get("id"))),
        title: doc.and_then(|d| text(d.get("title"))),
        kind,
        reason,
        line,
        column,
    };
    let docs = match parse_documents(src) {
        Ok(d) => d,
        Err(e) => {
            return vec![Err(skip(SkipKind::Invalid, format!("YAML error: {}", e.message), e.line, e.column, None))];
        }
    };
    if docs.is_empty() {
        return vec![Err(skip(SkipKind::Invalid, "file holds no YAML document".into(), None, None, None))];
    }
    // Legacy collections: `action: global` is merged into the documents after it, `reset`
    // forgets it, `repeat` reuses the previous document with changes.
    let mut expanded: Vec<Yaml> = Vec::new();
    let mut global: Option<Yaml> = None;
    let mut out = Vec::new();
    for d in &docs {
        match d.get("action").and_then(Yaml::as_str) {
            Some("global") => global = Some(d.clone()),
            Some("reset") => global = None,
            Some("repeat") => match expanded.last() {
                Some(prev) => expanded.push(deep_merge(prev, d)),
                None => out.push(Err(skip(
                    SkipKind::Invalid,
                    "'action: repeat' without a previous rule".into(),
                    None,
                    None,
                    Some(d),
                ))),
            },
            Some(other) => {
                out.push(Err(skip(SkipKind::Invalid, format!("unknown 'action: {other}'"), None, None, Some(d))))
            }
            None => expanded.push(match &global {
                Some(g) => deep_merge(g, d),
                None => d.clone(),
            }),
        }
    }
    for d in expanded.iter_mut() {
        if let Yaml::Map(m) = d {
            m.retain(|(k, _)| k != "action");
        }
    }
    // Correlations and the rules they use (unless those ask to be generated on their own).
    let mut correlated: Vec<String> = Vec::new();
    for d in &expanded {
        if let Some(c) = d.get("correlation") {
            correlated.extend(text_list(c.get("rules")));
        }
    }
    for d in &expanded {
        if d.get("correlation").is_some() {
            out.push(Err(skip(
                SkipKind::Correlation,
                "correlation rules are not supported by hunt yet".into(),
                None,
                None,
                Some(d),
            )));
            continue;
        }
        let id = text(d.get("id"));
        let name = text(d.get("name"));
        let used = id.as_ref().is_some_and(|i| correlated.contains(i))
            || name.as_ref().is_some_and(|n| correlated.contains(n));
        if used && !matches!(d.get("generate"), Some(Yaml::Bool(true))) {
            out.push(Err(skip(
                SkipKind::Correlation,
                "rule is only used by a correlation (no 'generate: true'); correlation rules are not supported by hunt yet".into(),
                None,
                None,
                Some(d),
            )));
            continue;
        }
        out.push(
            parse_rule(path, src, d, opts).map_err(|(kind, reason, line)| skip(kind, reason, line, None, Some(d))),
        );
    }
    out
}

fn parse_rule(
    path: &Path,
    src: &str,
    d: &Yaml,
    opts: &LoadOptions,
) -> Result<Compiled, (SkipKind, String, Option<usize>)> {
    let bad = |r: String| (SkipKind::Invalid, r, None);
    if !matches!(d, Yaml::Map(_)) {
        return Err(bad(format!("a rule document must be a map, found a {}", d.kind_name())));
    }
    let title = text(d.get("title")).ok_or_else(|| bad("rule has no title".into()))?;
    let level = match text(d.get("level")) {
        None => Level::Medium,
        Some(l) => l.parse::<Level>().map_err(bad)?,
    };
    let status = match text(d.get("status")) {
        None => None,
        Some(s) => Some(s.parse::<Status>().map_err(bad)?),
    };
    let tags = text_list(d.get("tags"));
    let ls = d.get("logsource");
    let lsf = |k: &str| ls.and_then(|l| text(l.get(k)));
    let meta = RuleMeta {
        id: text(d.get("id")),
        attack_ids: tags.iter().filter_map(|t| attack_id(&t.to_ascii_lowercase())).collect(),
        tags,
        title,
        level,
        status,
        description: text(d.get("description")),
        author: text(d.get("author")),
        date: text(d.get("date")),
        modified: text(d.get("modified")),
        references: text_list(d.get("references")),
        falsepositives: text_list(d.get("falsepositives")),
        product: lsf("product"),
        category: lsf("category"),
        service: lsf("service"),
        path: path.to_path_buf(),
    };
    let Some(det) = d.get("detection") else {
        return Err(bad("rule has no detection section".into()));
    };
    let ctx = Ctx { placeholders: &opts.placeholders };
    let det = parse_detection(det, &ctx).map_err(|errs| {
        let first: &DetError = &errs[0];
        let kind = if errs.iter().any(|e| e.kind == DetErrorKind::MissingPlaceholder) {
            SkipKind::MissingPlaceholder
        } else if errs.iter().any(|e| e.kind == DetErrorKind::Invalid) {
            SkipKind::Invalid
        } else {
            SkipKind::Unsupported
        };
        let reason = errs.iter().map(|e| e.reason.as_str()).collect::<Vec<_>>().join("; ");
        (kind, reason, first.key.as_deref().and_then(|k| line_of_key(src, k)))
    })?;
    let logsource = opts.logsources.resolve(meta.product.as_deref(), meta.category.as_deref(), meta.service.as_deref());
    Ok(Compiled { meta, det, logsource })
}

impl RuleFilter {
    pub fn is_empty(&self) -> bool {
        self.min_level.is_none() && self.statuses.is_empty() && self.tags.is_empty() && self.rules.is_empty()
    }

    pub fn keeps(&self, m: &RuleMeta) -> bool {
        if self.min_level.is_some_and(|l| m.level < l) {
            return false;
        }
        if !self.statuses.is_empty() && !m.status.is_some_and(|s| self.statuses.contains(&s)) {
            return false;
        }
        if !self.tags.is_empty() && !self.tags.iter().any(|t| tag_matches(t, m)) {
            return false;
        }
        if !self.rules.is_empty() {
            let stem = m.path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
            let title = m.title.to_lowercase();
            return self.rules.iter().any(|r| {
                m.id.as_deref().is_some_and(|id| id.eq_ignore_ascii_case(r))
                    || stem.eq_ignore_ascii_case(r)
                    || title.contains(&r.to_lowercase())
            });
        }
        true
    }
}

fn tag_matches(want: &str, m: &RuleMeta) -> bool {
    let w = want.trim().to_ascii_lowercase();
    let prefix = |have: &str, want: &str| have == want || have.strip_prefix(want).is_some_and(|r| r.starts_with('.'));
    if w.starts_with('t') && w.len() >= 5 && w[1..5].bytes().all(|b| b.is_ascii_digit()) {
        return m.attack_ids.iter().any(|a| prefix(&a.to_ascii_lowercase(), &w));
    }
    m.tags.iter().any(|t| prefix(&t.to_ascii_lowercase(), &w))
}

fn collect_files(paths: &[PathBuf], skipped: &mut Vec<SkippedRule>) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut found: Vec<PathBuf> = Vec::new();
            for entry in walkdir::WalkDir::new(p).follow_links(true) {
                match entry {
                    Ok(e) if e.file_type().is_file() => {
                        let ext = e.path().extension().and_then(|x| x.to_str()).unwrap_or("");
                        if ext.eq_ignore_ascii_case("yml") || ext.eq_ignore_ascii_case("yaml") {
                            found.push(e.into_path());
                        }
                    }
                    Ok(_) => {}
                    Err(e) => skipped.push(SkippedRule {
                        file: e.path().map(Path::to_path_buf).unwrap_or_else(|| p.clone()),
                        rule_id: None,
                        title: None,
                        kind: SkipKind::Invalid,
                        reason: format!("cannot read directory entry: {e}"),
                        line: None,
                        column: None,
                    }),
                }
            }
            found.sort();
            files.extend(found);
        } else {
            files.push(p.clone());
        }
    }
    files
}

fn read_file(path: &Path) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read file: {e}"))?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(format!("file is larger than {MAX_FILE_BYTES} bytes"));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read file: {e}"))?;
    String::from_utf8(bytes).map_err(|e| format!("file is not UTF-8 (byte {})", e.utf8_error().valid_up_to()))
}

/// Loads rule files and directories (recursively, `*.yml`/`*.yaml`), in parallel.
pub fn load_rules(paths: &[PathBuf], opts: &LoadOptions) -> LoadReport {
    load_rules_with_embedded(paths, &[], opts)
}

/// Loads rule files and directories plus rules embedded in the binary (`(name, yaml)` pairs, the
/// name standing in for the file in reports), into one rule set.
pub fn load_rules_with_embedded(paths: &[PathBuf], embedded: &[(&str, &str)], opts: &LoadOptions) -> LoadReport {
    let mut skipped = Vec::new();
    let files = collect_files(paths, &mut skipped);
    let mut per_file: Vec<Vec<DocResult>> =
        embedded.iter().map(|(name, yaml)| parse_file(Path::new(name), yaml, opts)).collect();
    per_file.extend(
        files
            .par_iter()
            .map(|f| match read_file(f) {
                Ok(src) => parse_file(f, &src, opts),
                Err(reason) => vec![Err(SkippedRule {
                    file: f.clone(),
                    rule_id: None,
                    title: None,
                    kind: SkipKind::Invalid,
                    reason,
                    line: None,
                    column: None,
                })],
            })
            .collect::<Vec<_>>(),
    );
    let (ruleset, more, filtered_out) = assemble(per_file.into_iter().flatten(), opts);
    skipped.extend(more);
    LoadReport { ruleset, files: files.len() + embedded.len(), skipped, filtered_out }
}

fn assemble(results: impl Iterator<Item = DocResult>, opts: &LoadOptions) -> (RuleSet, Vec<SkippedRule>, usize) {
    let mut rules = Vec::new();
    let mut skipped = Vec::new();
    let mut filtered_out = 0;
    for r in results {
        match r {
            Ok(c) if opts.filter.keeps(&c.meta) => rules.push(c),
            Ok(_) => filtered_out += 1,
            Err(s) => skipped.push(s),
        }
    }
    (RuleSet::new(rules, &opts.logsources), skipped, filtered_out)
}

impl RuleSet {
    /// Compiles one or more rules (multi-document) from a string; for tests and embedding.
    /// Any rule that cannot be used makes the whole call fail with every reason.
    pub fn compile_from_str(yaml: &str, opts: &LoadOptions) -> Result<RuleSet, Vec<SkippedRule>> {
        let results = parse_file(Path::new("<string>"), yaml, opts);
        let (rs, skipped, _) = assemble(results.into_iter(), opts);
        if skipped.is_empty() { Ok(rs) } else { Err(skipped) }
    }
}
