//! Per-tenant rule switches: a rule is enabled unless the tenant disabled it.

use rustc_hash::{FxHashMap, FxHashSet};
use ww_core::alert::TenantId;

/// The (tenant, rule id) pairs that are switched off.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DisabledRules {
    by_tenant: FxHashMap<TenantId, FxHashSet<String>>,
}

impl DisabledRules {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn disable(&mut self, tenant: TenantId, rule_id: &str) {
        self.by_tenant.entry(tenant).or_default().insert(rule_id.to_owned());
    }

    pub fn enable(&mut self, tenant: TenantId, rule_id: &str) {
        if let Some(set) = self.by_tenant.get_mut(&tenant) {
            set.remove(rule_id);
            if set.is_empty() {
                self.by_tenant.remove(&tenant);
            }
        }
    }

    /// No allocation: called for every match.
    pub fn is_enabled(&self, tenant: TenantId, rule_id: &str) -> bool {
        self.by_tenant.get(&tenant).is_none_or(|s| !s.contains(rule_id))
    }

    /// Number of disabled (tenant, rule) pairs.
    pub fn len(&self) -> usize {
        self.by_tenant.values().map(FxHashSet::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.by_tenant.is_empty()
    }
}

impl<S: AsRef<str>> FromIterator<(TenantId, S)> for DisabledRules {
    fn from_iter<I: IntoIterator<Item = (TenantId, S)>>(iter: I) -> Self {
        let mut d = DisabledRules::new();
        for (t, r) in iter {
            d.disable(t, r.as_ref());
        }
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_tenant() {
        let mut d: DisabledRules = [(TenantId(1), "r1"), (TenantId(2), "r2")].into_iter().collect();
        assert!(!d.is_enabled(TenantId(1), "r1"));
        assert!(d.is_enabled(TenantId(2), "r1"));
        assert!(d.is_enabled(TenantId(1), "r2"));
        assert!(d.is_enabled(TenantId(3), "r1"));
        assert_eq!(d.len(), 2);
        d.enable(TenantId(1), "r1");
        assert!(d.is_enabled(TenantId(1), "r1"));
        assert_eq!(d.len(), 1);
    }
}
