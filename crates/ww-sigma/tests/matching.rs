//! Hand-written rules and events: every modifier and condition form, each positive and negative,
//! checked on the fast path and on the reference evaluator.

use std::collections::HashMap;
use std::sync::Arc;

use ww_core::{Event, Locator, SourceKind, Value};
use ww_sigma::{LoadOptions, RuleSet, SkipKind};

fn ev(kind: SourceKind, fields: &[(&str, Value)]) -> Event {
    let mut e = Event::new(kind, Arc::from("t"), Locator::None);
    for (k, v) in fields {
        e.fields.push(*k, v.clone());
    }
    e
}

fn s(x: &str) -> Value {
    Value::str(x)
}

/// A rule over generic JSON events (no logsource), with the given detection body.
fn rule(det: &str) -> RuleSet {
    rule_opts(det, &LoadOptions::default())
}

fn rule_opts(det: &str, opts: &LoadOptions) -> RuleSet {
    let y = format!("title: t\nlogsource: {{product: testproduct}}\ndetection:\n{det}\n");
    match RuleSet::compile_from_str(&y, opts) {
        Ok(r) => r,
        Err(e) => panic!("rule did not load: {e:?}\n{y}"),
    }
}

fn reject(det: &str) -> (SkipKind, String) {
    let y = format!("title: t\nlogsource: {{product: testproduct}}\ndetection:\n{det}\n");
    match RuleSet::compile_from_str(&y, &LoadOptions::default()) {
        Ok(_) => panic!("rule loaded but should not:\n{y}"),
        Err(e) => (e[0].kind, e[0].reason.clone()),
    }
}

fn hit(rs: &RuleSet, e: &Event) -> bool {
    let mut out = Vec::new();
    let mut sc = rs.scratch();
    rs.matches(e, &mut sc, &mut out);
    let fast = !out.is_empty();
    let slow = !rs.matches_reference(e).is_empty();
    assert_eq!(fast, slow, "fast path and reference disagree on {e:?}");
    fast
}

fn j(fields: &[(&str, Value)]) -> Event {
    ev(SourceKind::Json, fields)
}

#[test]
fn plain_equality_is_case_insensitive_and_whole_value() {
    let r = rule("  sel:\n    Image: 'C:\\Windows\\cmd.exe'\n  condition: sel");
    assert!(hit(&r, &j(&[("Image", s("c:\\windows\\CMD.EXE"))])));
    assert!(!hit(&r, &j(&[("Image", s("C:\\Windows\\cmd.exe2"))])));
    assert!(!hit(&r, &j(&[("Other", s("C:\\Windows\\cmd.exe"))])));
}

#[test]
fn contains_startswith_endswith() {
    let r = rule("  sel:\n    A|contains: mid\n    B|startswith: pre\n    C|endswith: '.exe'\n  condition: sel");
    assert!(hit(&r, &j(&[("A", s("xxMIDxx")), ("B", s("prefix")), ("C", s("a.EXE"))])));
    assert!(!hit(&r, &j(&[("A", s("xxmxdxx")), ("B", s("prefix")), ("C", s("a.exe"))])));
    assert!(!hit(&r, &j(&[("A", s("mid")), ("B", s("xpre")), ("C", s("a.exe"))])));
    assert!(!hit(&r, &j(&[("A", s("mid")), ("B", s("pre")), ("C", s("a.exe "))])));
}

#[test]
fn lists_are_or_and_all_is_and() {
    let r = rule("  sel:\n    A|contains:\n      - one\n      - two\n  condition: sel");
    assert!(hit(&r, &j(&[("A", s("..two.."))])));
    assert!(!hit(&r, &j(&[("A", s("three"))])));
    let r = rule("  sel:\n    A|contains|all:\n      - one\n      - two\n  condition: sel");
    assert!(hit(&r, &j(&[("A", s("two one"))])));
    assert!(!hit(&r, &j(&[("A", s("one only"))])));
}

#[test]
fn list_of_maps_is_or_map_is_and() {
    let r = rule("  sel:\n    - A: x\n      B: y\n    - C: z\n  condition: sel");
    assert!(hit(&r, &j(&[("A", s("x")), ("B", s("y"))])));
    assert!(hit(&r, &j(&[("C", s("z"))])));
    assert!(!hit(&r, &j(&[("A", s("x")), ("B", s("n"))])));
}

#[test]
fn wildcards_and_escapes() {
    let r = rule("  sel:\n    A: 'a*b?c'\n  condition: sel");
    assert!(hit(&r, &j(&[("A", s("aXXXbYc"))])));
    assert!(hit(&r, &j(&[("A", s("abYc"))])));
    assert!(!hit(&r, &j(&[("A", s("abc"))])));
    assert!(!hit(&r, &j(&[("A", s("aXbYYc"))])));
    let r = rule("  sel:\n    A: 'a\\*b\\?c\\\\'\n  condition: sel");
    assert!(hit(&r, &j(&[("A", s("a*b?c\\"))])));
    assert!(!hit(&r, &j(&[("A", s("aXb?c\\"))])));
    let r = rule("  sel:\n    A: 'é?x*'\n  condition: sel");
    assert!(hit(&r, &j(&[("A", s("ÉÄxyz"))])));
    assert!(!hit(&r, &j(&[("A", s("Éxyz"))])));
}

#[test]
fn null_and_empty() {
    let r = rule("  sel:\n    A: null\n  condition: sel");
    assert!(hit(&r, &j(&[("B", s("x"))])));
    assert!(hit(&r, &j(&[("A", Value::Null)])));
    assert!(!hit(&r, &j(&[("A", s(""))])));
    let r = rule("  sel:\n    A: ''\n  condition: sel");
    assert!(hit(&r, &j(&[("A", s(""))])));
    assert!(!hit(&r, &j(&[("A", s("x"))])));
    assert!(!hit(&r, &j(&[])));
}

#[test]
fn numbers_match_numbers_and_text() {
    let r = rule("  sel:\n    EventID: 4624\n  condition: sel");
    assert!(hit(&r, &j(&[("EventID", Value::Int(4624))])));
    assert!(hit(&r, &j(&[("EventID", s("4624"))])));
    assert!(!hit(&r, &j(&[("EventID", Value::Int(4625))])));
    let r = rule("  sel:\n    A|lt: 10\n    B|gte: 5\n  condition: sel");
    assert!(hit(&r, &j(&[("A", Value::Int(9)), ("B", s("5"))])));
    assert!(!hit(&r, &j(&[("A", Value::Int(10)), ("B", Value::Int(5))])));
    assert!(!hit(&r, &j(&[("A", Value::Int(1)), ("B", Value::Int(4))])));
    let r = rule("  sel:\n    A|lte: 10\n    B|gt: 5\n  condition: sel");
    assert!(hit(&r, &j(&[("A", Value::Int(10)), ("B", Value::Float(5.5))])));
    assert!(!hit(&r, &j(&[("A", s("abc")), ("B", Value::Int(6))])));
}

#[test]
fn keywords_match_any_field_and_raw() {
    let r = rule("  keywords:\n    - 'evil'\n    - 'bad*thing'\n  condition: keywords");
    assert!(hit(&r, &j(&[("X", s("so EVIL"))])));
    assert!(hit(&r, &j(&[("X", s("a bad little thing"))])));
    let mut e = j(&[("X", s("fine"))]);
    assert!(!hit(&r, &e));
    e.raw = Some("raw line with evil".into());
    assert!(hit(&r, &e));
}

#[test]
fn regex_and_sub_modifiers() {
    let r = rule("  sel:\n    A|re: '^ab+c$'\n  condition: sel");
    assert!(hit(&r, &j(&[("A", s("abbbc"))])));
    assert!(!hit(&r, &j(&[("A", s("ABBC"))])));
    let r = rule("  sel:\n    A|re|i: '^ab+c$'\n  condition: sel");
    assert!(hit(&r, &j(&[("A", s("ABBC"))])));
    let r = rule("  sel:\n    A|re|m: '^x$'\n  condition: sel");
    assert!(hit(&r, &j(&[("A", s("a\nx\nb"))])));
    let r = rule("  sel:\n    A|re: '^x$'\n  condition: sel");
    assert!(!hit(&r, &j(&[("A", s("a\nx\nb"))])));
    let r = rule("  sel:\n    A|re|s: 'a.b'\n  condition: sel");
    assert!(hit(&r, &j(&[("A", s("a\nb"))])));
    let r = rule("  sel:\n    A|re: 'a.b'\n  condition: sel");
    assert!(!hit(&r, &j(&[("A", s("a\nb"))])));
    // Literals inside regexes feed the prefilter; matches must still be found.
    let r = rule("  sel:\n    A|re: 'x(?:foo|bar)baz\\d'\n  condition: sel");
    assert!(hit(&r, &j(&[("A", s("..xbarbaz1"))])));
    assert!(!hit(&r, &j(&[("A", s("..xbarbaz"))])));
    let r = rule("  sel:\n    A|re|i: 'power\\s*shell'\n  condition: sel");
    assert!(hit(&r, &j(&[("A", s("POWER \u{17f}HELL"))])));
    assert!(hit(&r, &j(&[("A", s("x PowerShell"))])));
    assert!(!hit(&r, &j(&[("A", s("power-shell"))])));
}

#[test]
fn cidr() {
    let r = rule("  sel:\n    Ip|cidr:\n      - '10.0.0.0/8'\n      - 'fe80::/10'\n  condition: sel");
    assert!(hit(&r, &j(&[("Ip", s("10.1.2.3"))])));
    assert!(hit(&r, &j(&[("Ip", s("fe80::1"))])));
    assert!(!hit(&r, &j(&[("Ip", s("11.1.2.3"))])));
    assert!(!hit(&r, &j(&[("Ip", s("not an ip"))])));
}

#[test]
fn exists() {
    let r = rule("  sel:\n    A|exists: true\n  condition: sel");
    assert!(hit(&r, &j(&[("A", s(""))])));
    assert!(!hit(&r, &j(&[("B", s(""))])));
    let r = rule("  sel:\n    A|exists: false\n  condition: sel");
    assert!(!hit(&r, &j(&[("A", s(""))])));
    assert!(hit(&r, &j(&[("B", s(""))])));
}

#[test]
fn cased() {
    let r = rule("  sel:\n    A|cased: Abc\n  condition: sel");
    assert!(hit(&r, &j(&[("A", s("Abc"))])));
    assert!(!hit(&r, &j(&[("A", s("abc"))])));
    let r = rule("  sel:\n    A|contains|cased: Abc\n  condition: sel");
    assert!(hit(&r, &j(&[("A", s("xAbcx"))])));
    assert!(!hit(&r, &j(&[("A", s("xABCx"))])));
}

#[test]
fn fieldref() {
    let r = rule("  sel:\n    A|fieldref: B\n  condition: sel");
    assert!(hit(&r, &j(&[("A", s("Same")), ("B", s("same"))])));
    assert!(!hit(&r, &j(&[("A", s("x")), ("B", s("y"))])));
    assert!(!hit(&r, &j(&[("A", s("x"))])));
    let r = rule("  sel:\n    A|fieldref|endswith: B\n  condition: sel");
    assert!(hit(&r, &j(&[("A", s("c:\\x\\tool.exe")), ("B", s("TOOL.exe"))])));
    assert!(!hit(&r, &j(&[("A", s("tool.exe.bak")), ("B", s("tool.exe"))])));
}

#[test]
fn base64_and_base64offset_and_wide() {
    // "whoami" base64 = d2hvYW1p
    let r = rule("  sel:\n    A|base64: whoami\n  condition: sel");
    assert!(hit(&r, &j(&[("A", s("d2hvYW1p"))])));
    assert!(!hit(&r, &j(&[("A", s("D2HVYW1P"))])));
    let r = rule("  sel:\n    A|base64offset|contains: '/bin/bash'\n  condition: sel");
    for payload in ["/bin/bash -i", "x/bin/bash", "xy/bin/bash"] {
        let enc = base64_std(payload.as_bytes());
        assert!(hit(&r, &j(&[("A", s(&format!("echo {enc} | base64 -d")))])), "{payload}");
    }
    assert!(!hit(&r, &j(&[("A", s(&base64_std(b"/bin/sh -i")))])));
    let r = rule("  sel:\n    A|wide|base64offset|contains: 'IEX'\n  condition: sel");
    let wide: Vec<u8> = "xx IEX (New-Object)".encode_utf16().flat_map(u16::to_le_bytes).collect();
    assert!(hit(&r, &j(&[("A", s(&base64_std(&wide)))])));
    assert!(!hit(&r, &j(&[("A", s(&base64_std(b"xx IEX (New-Object)")))])));
    let r = rule("  sel:\n    A|utf16be|base64: 'ab'\n  condition: sel");
    assert!(hit(&r, &j(&[("A", s(&base64_std(&[0, b'a', 0, b'b'])))])));
    let r = rule("  sel:\n    A|utf16|base64: 'ab'\n  condition: sel");
    assert!(hit(&r, &j(&[("A", s(&base64_std(&[0xFF, 0xFE, b'a', 0, b'b', 0])))])));
}

fn base64_std(b: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in b.chunks(3) {
        let n = (c[0] as u32) << 16 | (*c.get(1).unwrap_or(&0) as u32) << 8 | *c.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            if i <= c.len() {
                out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn windash() {
    let r = rule("  sel:\n    CommandLine|contains|windash: ' -enc '\n  condition: sel");
    for cl in ["ps -enc x", "ps /enc x", "ps \u{2013}enc x", "ps \u{2014}ENC x", "ps \u{2015}enc x"] {
        assert!(hit(&r, &j(&[("CommandLine", s(cl))])), "{cl}");
    }
    assert!(!hit(&r, &j(&[("CommandLine", s("ps enc x"))])));
    let r = rule("  sel:\n    CommandLine|endswith|windash: '-s'\n  condition: sel");
    assert!(hit(&r, &j(&[("CommandLine", s("x /s"))])));
    assert!(!hit(&r, &j(&[("CommandLine", s("x /s y"))])));
}

#[test]
fn expand_placeholders() {
    let mut opts = LoadOptions::default();
    opts.placeholders.insert("admins".into(), vec!["alice".into(), "bob*".into()]);
    let r = rule_opts("  sel:\n    User|expand: '%admins%'\n  condition: sel", &opts);
    assert!(hit(&r, &j(&[("User", s("ALICE"))])));
    assert!(hit(&r, &j(&[("User", s("bobby"))])));
    assert!(!hit(&r, &j(&[("User", s("carol"))])));
    let y = "title: t\ndetection:\n  sel:\n    User|expand: '%nobody%'\n  condition: sel\n";
    let e = RuleSet::compile_from_str(y, &LoadOptions::default()).unwrap_err();
    assert_eq!(e[0].kind, SkipKind::MissingPlaceholder);
    assert!(e[0].reason.contains("%nobody%"));
    let _ = HashMap::<String, Vec<String>>::new();
}

#[test]
fn condition_forms() {
    let det = "  sel_a:\n    A: a\n  sel_b:\n    B: b\n  filter:\n    C: c\n  _aux:\n    D: d\n";
    let e = |a: bool, b: bool, c: bool, d: bool| {
        let mut f = Vec::new();
        if a {
            f.push(("A", s("a")))
        }
        if b {
            f.push(("B", s("b")))
        }
        if c {
            f.push(("C", s("c")))
        }
        if d {
            f.push(("D", s("d")))
        }
        j(&f)
    };
    let r = rule(&format!("{det}  condition: sel_a and not filter"));
    assert!(hit(&r, &e(true, false, false, false)));
    assert!(!hit(&r, &e(true, false, true, false)));
    let r = rule(&format!("{det}  condition: sel_a or sel_b and filter"));
    assert!(hit(&r, &e(true, false, false, false)));
    assert!(!hit(&r, &e(false, true, false, false)));
    assert!(hit(&r, &e(false, true, true, false)));
    let r = rule(&format!("{det}  condition: (sel_a or sel_b) and filter"));
    assert!(!hit(&r, &e(true, false, false, false)));
    assert!(hit(&r, &e(true, false, true, false)));
    let r = rule(&format!("{det}  condition: 1 of sel_*"));
    assert!(hit(&r, &e(false, true, false, false)));
    assert!(!hit(&r, &e(false, false, true, false)));
    let r = rule(&format!("{det}  condition: all of sel_*"));
    assert!(hit(&r, &e(true, true, false, false)));
    assert!(!hit(&r, &e(true, false, false, false)));
    let r = rule(&format!("{det}  condition: 1 of them"));
    assert!(hit(&r, &e(false, false, true, false)));
    assert!(!hit(&r, &e(false, false, false, true)), "them excludes _ identifiers");
    let r = rule(&format!("{det}  condition: all of them"));
    assert!(hit(&r, &e(true, true, true, false)));
    assert!(!hit(&r, &e(true, true, false, true)));
    let r = rule(&format!("{det}  condition: any of sel_* and not 1 of filter*"));
    assert!(hit(&r, &e(true, false, false, false)));
    assert!(!hit(&r, &e(true, false, true, false)));
    let r = rule(&format!("{det}  condition:\n    - sel_a and sel_b\n    - filter"));
    assert!(hit(&r, &e(false, false, true, false)));
    assert!(!hit(&r, &e(true, false, false, false)));
}

#[test]
fn rejections_name_the_problem() {
    let (k, m) = reject("  sel:\n    A|bogus: x\n  condition: sel");
    assert_eq!(k, SkipKind::Invalid);
    assert!(m.contains("unknown modifier 'bogus'"), "{m}");
    let (k, m) = reject("  sel:\n    A|re: '(unclosed'\n  condition: sel");
    assert_eq!(k, SkipKind::Invalid);
    assert!(m.contains("bad regex"), "{m}");
    let (k, m) = reject("  sel:\n    A|re: '(?<=x)y'\n  condition: sel");
    assert_eq!(k, SkipKind::Unsupported);
    assert!(m.contains("look-around"), "{m}");
    let (_, m) = reject("  sel:\n    A|cidr: '10.0.0.0/99'\n  condition: sel");
    assert!(m.contains("bad CIDR"), "{m}");
    let (_, m) = reject("  sel:\n    A: x\n  condition: sel and missing");
    assert!(m.contains("undefined identifier 'missing'"), "{m}");
    let (_, m) = reject("  condition: sel");
    assert!(m.contains("no search identifier"), "{m}");
    let (k, m) = reject("  sel:\n    A: x\n  condition: sel | count() by B > 3");
    assert_eq!(k, SkipKind::Unsupported);
    assert!(m.contains("aggregation"), "{m}");
    let (k, _) = reject("  sel:\n    A|wide: x\n  condition: sel");
    assert_eq!(k, SkipKind::Unsupported);
    let (_, m) = reject("  sel:\n    A|contains|startswith: x\n  condition: sel");
    assert!(m.contains("conflicting"), "{m}");
    let (_, m) = reject("  sel:\n    A|exists: maybe\n  condition: sel");
    assert!(m.contains("exists"), "{m}");
    let (_, m) = reject("  sel:\n    A|gt: abc\n  condition: sel");
    assert!(m.contains("not a number"), "{m}");
    let (_, m) = reject("  sel: {}\n  condition: sel");
    assert!(m.contains("empty map"), "{m}");
}

#[test]
fn correlation_and_collections() {
    let y = "title: base\nid: r1\nname: base_rule\nlogsource: {product: windows, service: security}\ndetection:\n  sel:\n    EventID: 4625\n  condition: sel\n---\ntitle: many failures\ncorrelation:\n  type: event_count\n  rules: [base_rule]\n  group-by: [TargetUserName]\n  timespan: 5m\n  condition: {gte: 10}\n";
    let e = RuleSet::compile_from_str(y, &LoadOptions::default()).unwrap_err();
    assert_eq!(e.len(), 2);
    assert!(e.iter().all(|s| s.kind == SkipKind::Correlation));
    assert!(e.iter().any(|s| s.reason == "correlation rules are not supported by hunt yet"));
    let y = "action: global\ntitle: g\nlogsource: {product: testproduct}\ndetection:\n  condition: sel\n---\ndetection:\n  sel:\n    A: one\n---\ndetection:\n  sel:\n    A: two\n";
    let rs = RuleSet::compile_from_str(y, &LoadOptions::default()).unwrap();
    assert_eq!(rs.len(), 2);
    assert!(hit(&rs, &j(&[("A", s("two"))])));
    assert!(!hit(&rs, &j(&[("A", s("three"))])));
}

#[test]
fn logsource_dispatch() {
    let y = "title: pc\nlogsource: {product: windows, category: process_creation}\ndetection:\n  sel:\n    Image|endswith: '\\whoami.exe'\n  condition: sel\n";
    let rs = RuleSet::compile_from_str(y, &LoadOptions::default()).unwrap();
    let sysmon = ev(
        SourceKind::Evtx,
        &[
            ("Channel", s("Microsoft-Windows-Sysmon/Operational")),
            ("EventID", Value::Int(1)),
            ("Image", s("C:\\Windows\\System32\\whoami.exe")),
        ],
    );
    assert!(hit(&rs, &sysmon));
    let sec = ev(
        SourceKind::Evtx,
        &[("Channel", s("Security")), ("EventID", Value::Int(4688)), ("Image", s("C:\\x\\whoami.exe"))],
    );
    assert!(hit(&rs, &sec));
    let wrong_id = ev(
        SourceKind::Evtx,
        &[("Channel", s("Security")), ("EventID", Value::Int(4624)), ("Image", s("C:\\x\\whoami.exe"))],
    );
    assert!(!hit(&rs, &wrong_id));
    let syslog = ev(
        SourceKind::Syslog,
        &[("Channel", s("Security")), ("EventID", Value::Int(4688)), ("Image", s("C:\\x\\whoami.exe"))],
    );
    assert!(!hit(&rs, &syslog));
    // Unmapped products apply to JSON only.
    let y = "title: aws\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  sel:\n    eventName: ConsoleLogin\n  condition: sel\n";
    let rs = RuleSet::compile_from_str(y, &LoadOptions::default()).unwrap();
    assert!(hit(&rs, &j(&[("eventName", s("ConsoleLogin"))])));
    assert!(!hit(&rs, &ev(SourceKind::Evtx, &[("eventName", s("ConsoleLogin"))])));
    assert!(!hit(&rs, &ev(SourceKind::Syslog, &[("eventName", s("ConsoleLogin"))])));
    // Webserver rules go to access and W3C logs.
    let y = "title: web\nlogsource: {category: webserver}\ndetection:\n  sel:\n    cs-uri-query|contains: '/etc/passwd'\n  condition: sel\n";
    let rs = RuleSet::compile_from_str(y, &LoadOptions::default()).unwrap();
    assert!(hit(&rs, &ev(SourceKind::AccessLog, &[("cs-uri-query", s("/a?f=../../etc/passwd"))])));
    assert!(hit(&rs, &ev(SourceKind::W3c, &[("cs-uri-query", s("/a?f=../../etc/passwd"))])));
    assert!(!hit(&rs, &ev(SourceKind::Syslog, &[("cs-uri-query", s("/a?f=../../etc/passwd"))])));
}

#[test]
fn explain_names_fields() {
    let rs = rule("  sel:\n    A|contains: evil\n    B: 1\n  condition: sel");
    let e = j(&[("A", s("so evil")), ("B", Value::Int(1)), ("C", s("x"))]);
    assert!(hit(&rs, &e));
    let x = rs.explain(ww_sigma::RuleIdx(0), &e);
    assert_eq!(x, vec![("A".to_string(), "so evil".to_string()), ("B".to_string(), "1".to_string())]);
}

#[test]
fn filters_select_rules() {
    use ww_sigma::{Level, RuleFilter, Status};
    let y = "title: Alpha Rule\nid: id-a\nlevel: high\nstatus: stable\ntags: [attack.execution, attack.t1059.001]\ndetection:\n  sel:\n    A: a\n  condition: sel\n---\ntitle: Beta\nid: id-b\nlevel: low\nstatus: test\ntags: [attack.t1003]\ndetection:\n  sel:\n    A: a\n  condition: sel\n";
    let count = |f: RuleFilter| {
        RuleSet::compile_from_str(y, &LoadOptions { filter: f, ..LoadOptions::default() })
            .map(|r| r.len())
            .unwrap_or(99)
    };
    assert_eq!(count(RuleFilter::default()), 2);
    assert_eq!(count(RuleFilter { min_level: Some(Level::Medium), ..Default::default() }), 1);
    assert_eq!(count(RuleFilter { statuses: vec![Status::Test], ..Default::default() }), 1);
    assert_eq!(count(RuleFilter { tags: vec!["T1059".into()], ..Default::default() }), 1);
    assert_eq!(count(RuleFilter { tags: vec!["attack.t1059".into()], ..Default::default() }), 1);
    assert_eq!(count(RuleFilter { tags: vec!["T105".into()], ..Default::default() }), 0);
    assert_eq!(count(RuleFilter { rules: vec!["id-b".into()], ..Default::default() }), 1);
    assert_eq!(count(RuleFilter { rules: vec!["alpha".into()], ..Default::default() }), 1);
    let rs = RuleSet::compile_from_str(y, &LoadOptions::default()).unwrap();
    assert_eq!(rs.meta(ww_sigma::RuleIdx(0)).attack_ids, vec!["T1059.001".to_string()]);
}

#[test]
fn remembered_scans_of_long_values_stay_exact() {
    // Over 64 unanchored literals in one field: scans of long values are remembered per thread.
    let lits: String = (0..70).map(|i| format!("      - 'needle{i:02}x'\n")).collect();
    let r = rule(&format!("  sel:\n    A|contains:\n{lits}  condition: sel"));
    let pad = "padding padding padding padding ";
    // Non-matching values first: a stale "no literal here" answer would hide the later matches.
    let values = [pad.to_string(), format!("{pad}needle7x"), format!("{pad}NEEDLE07X"), format!("{pad}needle69x{pad}")];
    let expect = [false, false, true, true];
    let mut sc = r.scratch();
    for _ in 0..3 {
        for (v, want) in values.iter().zip(expect) {
            let e = j(&[("A", s(v))]);
            let mut out = Vec::new();
            r.matches(&e, &mut sc, &mut out);
            assert_eq!(!out.is_empty(), want, "{v}");
            assert_eq!(out, r.matches_reference(&e));
        }
    }
}

#[test]
fn literal_hits_in_a_case_twin_field_do_not_decide() {
    // `Image` holds none of the names, `image` holds one: the matcher reads `Image`.
    let r = rule(
        "  sel:\n    Image|endswith:\n      - '\\a.exe'\n      - '\\b.exe'\n      - '\\c.exe'\n      - '\\d.exe'\n      - '\\e.exe'\n    CommandLine|contains: 'evil'\n  condition: sel",
    );
    let both = |img: &str, cmd: &str| j(&[("Image", s(img)), ("image", s("x\\b.exe")), ("CommandLine", s(cmd))]);
    assert!(!hit(&r, &both("x\\z.exe", "run evil")));
    assert!(hit(&r, &both("x\\D.EXE", "run EVIL now")));
    assert!(!hit(&r, &both("x\\d.exe", "run good")));
    assert!(!hit(&r, &j(&[("Image", s("x\\zz.exe")), ("CommandLine", s("evil"))])));
    assert!(hit(&r, &j(&[("Image", s("y\\c.exe")), ("CommandLine", s("evil"))])));
    // Values in a list: any item may hold the literal.
    let list = Value::List(vec![s("q"), s("C:\\A.exe")]);
    assert!(hit(&r, &j(&[("Image", list), ("CommandLine", s("so evil"))])));
}

#[test]
fn overlapping_literals_of_a_small_set_are_all_found() {
    // One rule per literal: they start at the same place, inside each other and overlapping,
    // so a search that resumed after a match would miss some.
    let lits = ["abcde", "abc", "bcdef", "cde", "xab"];
    let yaml: Vec<String> = lits
        .iter()
        .map(|l| format!("title: {l}\nlogsource: {{product: p}}\ndetection:\n  kw:\n    - '{l}'\n  sel:\n    F|contains: '{l}'\n  condition: kw and sel\n"))
        .collect();
    let rs = match RuleSet::compile_from_str(&yaml.join("---\n"), &LoadOptions::default()) {
        Ok(r) => r,
        Err(e) => panic!("rules did not load: {e:?}"),
    };
    let mut sc = rs.scratch();
    for (text, want) in [("zXABCDEFz", 5usize), ("abcd", 1), ("bcdef", 2), ("xab", 1), ("zz", 0)] {
        let e = j(&[("F", s(text))]);
        let mut out = Vec::new();
        rs.matches(&e, &mut sc, &mut out);
        assert_eq!(out.len(), want, "{text}: {out:?}");
        assert_eq!(out, rs.matches_reference(&e), "{text}");
    }
}

/// Regression: a key field (`EventID`, `Channel`) holding a list or a float was summarised as
/// "equals no literal", so bucket pruning dropped rules that match one of the list's elements
/// (found by the fast-vs-reference proptest).
#[test]
fn key_field_holding_a_list_or_float_is_not_pruned() {
    let r = rule("  sel:\n    EventID: 'xabcx'\n  condition: sel");
    assert!(hit(&r, &j(&[("EventID", Value::List(vec![s("XABCX")]))])));
    assert!(!hit(&r, &j(&[("EventID", Value::List(vec![s("other")]))])));
    let r = rule("  sel:\n    EventID: 4624\n  condition: sel");
    assert!(hit(&r, &j(&[("EventID", Value::Float(4624.0))])));
    assert!(hit(&r, &j(&[("EventID", Value::List(vec![Value::Int(1), Value::Int(4624)]))])));
    assert!(!hit(&r, &j(&[("EventID", Value::Float(4625.0))])));
}

#[test]
fn rare_two_byte_literals_are_prefiltered_not_always_evaluated() {
    // A Cyrillic lookalike letter (two bytes, upper case in the rule) and the `cmd` escape `^^`.
    let r = rule("  sel:\n    CommandLine|contains:\n      - 'А'\n      - '^^'\n  condition: sel");
    let mut sc = r.scratch();
    let plain = j(&[("CommandLine", s("cmd.exe /c dir C:\\Users"))]);
    assert!(!hit(&r, &plain));
    assert_eq!(r.debug_counts(&plain, &mut sc), (0, 0), "no rule evaluated for an ordinary command line");
    assert!(hit(&r, &j(&[("CommandLine", s("p\u{430}ypal.exe"))])));
    assert!(hit(&r, &j(&[("CommandLine", s("c^^md /c whoami"))])));
    // A two-letter ASCII literal is too common to index: the rule is evaluated every time.
    let r = rule("  sel:\n    CommandLine|contains: 'ab'\n  condition: sel");
    assert_eq!(r.debug_counts(&plain, &mut r.scratch()), (1, 1));
}
