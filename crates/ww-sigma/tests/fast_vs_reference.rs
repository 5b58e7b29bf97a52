//! Property: the fast path (dispatch + prefilter + compiled matchers) and the reference
//! evaluator agree on generated rules and events over a small alphabet, so matches happen.

use std::sync::Arc;

use proptest::prelude::*;
use ww_core::{Event, Locator, SourceKind, Value};
use ww_sigma::{LoadOptions, RuleSet};

const FIELDS: [&str; 3] = ["A", "B", "EventID"];
/// `ſ` (long s) and `K` (Kelvin sign) fold oddly: case-insensitive regexes match them as s/k.
const WORDS: [&str; 8] = ["abc", "ABD", "xabcx", "b?d", "a*c", "é-x", "s\u{17f}\u{212a}", "7"];
const MODS: [&str; 12] = [
    "",
    "|contains",
    "|startswith",
    "|endswith",
    "|contains|all",
    "|cased",
    "|contains|windash",
    "|re",
    "|re|i",
    "|exists",
    "|lt",
    "|cidr",
];

fn value_for(m: &str, w: &str, i: usize) -> String {
    match m {
        // Anchored, free-standing, inside an alternation, behind a wildcard: all give literals.
        "|re" | "|re|i" => match i % 4 {
            0 => format!("'^{}'", regex_escape(w)),
            1 => format!("'{}'", regex_escape(w)),
            2 => format!("'(?:{}|zz)q?'", regex_escape(w)),
            _ => format!("'.*{}\\d*'", regex_escape(w)),
        },
        "|exists" => {
            if i.is_multiple_of(2) {
                "true".into()
            } else {
                "false".into()
            }
        }
        "|lt" => format!("{}", i * 3),
        "|cidr" => format!("'10.0.{}.0/{}'", i % 3, if i.is_multiple_of(2) { 24 } else { 23 }),
        _ => format!("'{w}'"),
    }
}

fn regex_escape(w: &str) -> String {
    w.chars().map(|c| if c.is_alphanumeric() { c.to_string() } else { format!("\\{c}") }).collect()
}

fn sel_strategy() -> impl Strategy<Value = String> {
    prop::collection::vec((0..FIELDS.len(), 0..MODS.len(), prop::collection::vec(0..WORDS.len(), 1..6)), 1..3).prop_map(
        |items| {
            let mut s = String::new();
            let mut used = Vec::new();
            for (f, m, ws) in items {
                let key = format!("{}{}", FIELDS[f], MODS[m]);
                if used.contains(&key) {
                    continue;
                }
                used.push(key.clone());
                s.push_str(&format!("    {key}:\n"));
                for (i, w) in ws.iter().enumerate() {
                    s.push_str(&format!("      - {}\n", value_for(MODS[m], WORDS[*w], *w + i)));
                }
            }
            s
        },
    )
}

fn cond_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("s0".to_string()),
        Just("s0 and not s1".to_string()),
        Just("s0 or s1".to_string()),
        Just("1 of s*".to_string()),
        Just("all of them".to_string()),
        Just("not s1".to_string()),
        Just("(s0 or kw) and not s1".to_string()),
    ]
}

fn rule_strategy() -> impl Strategy<Value = String> {
    (sel_strategy(), sel_strategy(), 0..WORDS.len(), cond_strategy()).prop_map(|(s0, s1, kw, c)| {
        format!("title: g\ndetection:\n  s0:\n{s0}  s1:\n{s1}  kw:\n    - '{}'\n  condition: {c}\n", WORDS[kw])
    })
}

fn event_strategy() -> impl Strategy<Value = Event> {
    let val = prop_oneof![
        (0..WORDS.len(), 0..WORDS.len()).prop_map(|(a, b)| Value::str(format!("{}{}", WORDS[a], WORDS[b]))),
        (0..WORDS.len()).prop_map(|a| Value::str(WORDS[a].to_uppercase())),
        (0..WORDS.len()).prop_map(|a| Value::str(format!("x /{}", WORDS[a]))),
        (0i64..20).prop_map(Value::Int),
        (0u8..4).prop_map(|n| Value::str(format!("10.0.{n}.5"))),
        Just(Value::Null),
        Just(Value::str("")),
        Just(Value::Bool(true)),
    ];
    // Lists and a field equal to `A` but for case: the prefilter sees every value, the
    // matchers only the one `Fields::get` picks.
    let val = prop_oneof![
        4 => val.clone(),
        1 => prop::collection::vec(val.clone(), 0..3).prop_map(Value::List),
    ];
    (prop::collection::vec(prop::option::of(val.clone()), 3), prop::option::of(val), prop::option::of(0..WORDS.len()))
        .prop_map(|(vals, twin, raw)| {
            let mut e = Event::new(SourceKind::Json, Arc::from("p"), Locator::None);
            for (f, v) in FIELDS.iter().zip(vals) {
                if let Some(v) = v {
                    e.fields.push(*f, v);
                }
            }
            if let Some(v) = twin {
                e.fields.push("a", v);
            }
            e.raw = raw.map(|r| format!("raw {}", WORDS[r]).into());
            e
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, ..ProptestConfig::default() })]
    #[test]
    fn fast_path_equals_reference(rules in prop::collection::vec(rule_strategy(), 1..6), twice in any::<bool>(), events in prop::collection::vec(event_strategy(), 1..8)) {
        // Identical rules are evaluated once and reported for each copy.
        let rules = if twice { [rules.clone(), rules].concat() } else { rules };
        let yaml = rules.join("---\n");
        let rs = match RuleSet::compile_from_str(&yaml, &LoadOptions::default()) {
            Ok(r) => r,
            Err(e) => return Err(TestCaseError::fail(format!("generated rules did not load: {e:?}\n{yaml}"))),
        };
        let mut sc = rs.scratch();
        for e in &events {
            let mut out = Vec::new();
            rs.matches(e, &mut sc, &mut out);
            let slow = rs.matches_reference(e);
            prop_assert_eq!(out, slow, "rules:\n{}\nevent: {:?}", yaml, e);
        }
    }
}
