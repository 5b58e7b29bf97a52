#!/usr/bin/env bash
# Measures the hunt's headline figures on this machine: end-to-end records/s over the EVTX
# development corpus with every loadable SigmaHQ rule, start-up time and memory with all rules
# compiled, and peak memory as the input grows tenfold. Needs ../shared/corpora.
set -euo pipefail
cd "$(dirname "$0")/.."
C=../shared/corpora
[ -d "$C/sigma/rules" ] || { echo "needs $C"; exit 1; }
cargo build --release -q
W=target/release/wardwatch
T=$(mktemp -d target/measure.XXXX)
trap 'rm -rf "$T"' EXIT

echo "== start-up: all rules of rules/ compiled, one tiny input"
printf 'Mar 11 10:00:00 host app[1]: hello\n' > "$T/one.log"
/usr/bin/time -f "wall %e s, user %U s, sys %S s, peak RSS %M KB" $W hunt --rules $C/sigma/rules "$T/one.log" --quiet -f jsonl -o /dev/null

echo "== end-to-end: rules/ over evtx-dev"
/usr/bin/time -f "wall %e s, user %U s, sys %S s, peak RSS %M KB" $W hunt --rules $C/sigma/rules $C/evtx-dev -f jsonl -o "$T/d.jsonl" --no-progress --stats --summary-json "$T/s1.json" 2>&1 | grep -vE '^(warning|error):'
python3 -c "import json;s=json.load(open('$T/s1.json'));print('records', s['events'], 'records/s', round(s['events']/s['elapsed_seconds']), 'detections', s['detections'])"

echo "== everything: all rules* folders over evtx-dev"
$W hunt --rules $C/sigma/rules --rules $C/sigma/rules-emerging-threats --rules $C/sigma/rules-threat-hunting --rules $C/sigma/rules-compliance $C/evtx-dev -f jsonl -o /dev/null --quiet --summary-json "$T/s2.json" 2>/dev/null || true
python3 -c "import json;s=json.load(open('$T/s2.json'));print('rules', s['rules_loaded'], 'records/s', round(s['events']/s['elapsed_seconds']), 'detections', s['detections'])"

echo "== memory as input grows: evtx-dev x1 and x10 (hard links)"
for i in $(seq 1 10); do mkdir -p "$T/x10/$i"; cp -al $C/evtx-dev/. "$T/x10/$i/"; done
for input in $C/evtx-dev "$T/x10"; do
  /usr/bin/time -f "  $(basename $input): wall %e s, peak RSS %M KB" $W hunt --rules $C/sigma/rules "$input" -f jsonl -o /dev/null --quiet --summary-json "$T/s.json" 2>&1 | grep -E '^  '
  python3 -c "import json;s=json.load(open('$T/s.json'));print('   records', s['events'], 'detections', s['detections'])"
done
