#!/usr/bin/env bash
# Benchmark of `wardwatch serve` against issue 4 §9:
#   phase 1: syslog over TCP at full speed through parsing, Sigma (built-in pack + every loadable
#            SigmaHQ rule) and SQLite: sustained stored events/s and peak resident memory;
#   phase 2: the same replay paced at 20,000 events/s: p99 event-to-alert latency from the
#            `ww_detection_latency_seconds` histogram (difference between the phase's start and end).
# The load generator is `wardwatch demo --server ... --syslog-only` in its own process.
#
# Usage: scripts/bench-serve.sh [EVENTS] [CONNECTIONS]
# Environment: BENCH_EVENTS (3000000), BENCH_CONNECTIONS (2), BENCH_RATE2 (20000),
#   BENCH_PHASE2_SECS (30), BENCH_SYNC (full|normal, default full), BENCH_KEEP=1 keeps the data dir,
#   WARDWATCH_CORPORA (corpus root holding sigma/rules), BENCH_NO_SIGMA=1 (built-in pack only),
#   BENCH_PIPELINE (TOML lines for the server's [pipeline] table, e.g. 'max_commit_events = 50000').
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
BIN="$ROOT/target/release/wardwatch"
# The server binary may differ from the load generator's (to compare builds).
SERVER_BIN=${BENCH_SERVER_BIN:-$BIN}
EVENTS=${1:-${BENCH_EVENTS:-3000000}}
CONNS=${2:-${BENCH_CONNECTIONS:-2}}
RATE2=${BENCH_RATE2:-20000}
PHASE2_SECS=${BENCH_PHASE2_SECS:-30}
SYNC=${BENCH_SYNC:-full}

if [[ ! -x "$BIN" ]]; then
    echo "building $BIN" >&2
    cargo build --release -p wardwatch >&2
fi

SIGMA=""
for d in "${WARDWATCH_CORPORA:-/nonexistent}/sigma/rules" "$ROOT/../shared/corpora/sigma/rules" \
    /work/shared/corpora/sigma/rules; do
    if [[ -d "$d" && -z "${BENCH_NO_SIGMA:-}" ]]; then
        SIGMA=$(cd "$d" && pwd)
        break
    fi
done

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

WORK=$(mktemp -d -t ww-bench.XXXXXX)
SERVER_PID=""
GEN_PID=""
SAMPLER_PID=""
cleanup() {
    for p in "$GEN_PID" "$SAMPLER_PID" "$SERVER_PID"; do
        [[ -n "$p" ]] && kill "$p" 2>/dev/null || true
    done
    [[ -n "$SERVER_PID" ]] && wait "$SERVER_PID" 2>/dev/null || true
    if [[ -z "${BENCH_KEEP:-}" ]]; then rm -rf "$WORK"; else echo "kept $WORK" >&2; fi
}
trap cleanup EXIT INT TERM

HTTP_PORT=$(free_port)
SYSLOG_PORT=$(free_port)
RULES_LINE=""
[[ -n "$SIGMA" ]] && RULES_LINE="paths = [\"$SIGMA\"]"
cat >"$WORK/wardwatch.toml" <<EOF
version = 1
data_dir = "$WORK/data"

[http]
listen = "127.0.0.1:$HTTP_PORT"
metrics_public_on_loopback = true

[store]
synchronous = "$SYNC"

[pipeline]
${BENCH_PIPELINE:-}

[rules]
$RULES_LINE

[[tenants]]
slug = "bench"
name = "Benchmark Council"

[[sources]]
name = "bench-syslog"
tenant = "bench"
type = "syslog_tcp"
listen = "127.0.0.1:$SYSLOG_PORT"
EOF

BASE="http://127.0.0.1:$HTTP_PORT"
echo "starting server (rules: built-in${SIGMA:+ + $SIGMA}); work dir $WORK" >&2
RUST_LOG=${RUST_LOG:-info} "$SERVER_BIN" serve --config "$WORK/wardwatch.toml" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 600); do
    curl -fsS "$BASE/metrics" >/dev/null 2>&1 && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log" >&2; echo "server died" >&2; exit 1; }
    sleep 0.2
done
curl -fsS "$BASE/metrics" >/dev/null || { echo "server did not come up" >&2; exit 1; }
TOKEN=$("$BIN" admin --config "$WORK/wardwatch.toml" token create --tenant bench --purpose ingest 2>/dev/null | tail -1)

# The value of one metric family summed over its label sets (0 when absent).
metric_sum() { # $1 = metrics text file, $2 = family name
    awk -v n="$2" '$1 == n || index($1, n "{") == 1 { s += $NF } END { printf "%.0f\n", s + 0 }' "$1"
}

# Samples the server once per second: unix time, stored events, RSS KiB.
sampler() {
    while kill -0 "$SERVER_PID" 2>/dev/null; do
        local t rss m
        t=$(date +%s.%N)
        m=$(curl -fsS --max-time 2 "$BASE/metrics" 2>/dev/null || true)
        rss=$(ps -o rss= -p "$SERVER_PID" 2>/dev/null | tr -d ' ' || echo 0)
        printf '%s\n' "$m" >"$WORK/m.tmp"
        echo "$t $(metric_sum "$WORK/m.tmp" ww_events_stored_total) ${rss:-0}"
        sleep 1
    done
}

wait_stored() { # $1 = target stored count
    for _ in $(seq 1 1200); do
        kill -0 "$SERVER_PID" 2>/dev/null || { echo "the server died" >&2; return 1; }
        curl -fsS "$BASE/metrics" >"$WORK/m.tmp" 2>/dev/null || true
        [[ $(metric_sum "$WORK/m.tmp" ww_events_stored_total) -ge $1 ]] && return 0
        sleep 0.5
    done
    echo "timed out waiting for $1 stored events" >&2
    return 1
}

# ---- phase 1: full speed -------------------------------------------------------------------
sampler >"$WORK/samples1.txt" &
SAMPLER_PID=$!
echo "phase 1: $EVENTS events at full speed over $CONNS syslog TCP connections" >&2
GEN_START=$(date +%s.%N)
"$BIN" demo --server "$BASE" --syslog "127.0.0.1:$SYSLOG_PORT" --token "$TOKEN" --syslog-only --rate 0 \
    --events "$EVENTS" --connections "$CONNS" --stats >"$WORK/gen1.json" 2>"$WORK/gen1.log" &
GEN_PID=$!
wait "$GEN_PID"
GEN_PID=""
GEN_END=$(date +%s.%N)
wait_stored "$EVENTS"
STORED_END=$(date +%s.%N)
sleep 1.5
kill "$SAMPLER_PID" 2>/dev/null || true
wait "$SAMPLER_PID" 2>/dev/null || true
SAMPLER_PID=""

# Steady part: from 3 s after the first stored event until the generator stopped sending.
read -r RATE1 PEAK_RSS_KB WHOLE1 <<<"$(awk -v gend="$GEN_END" -v send="$STORED_END" -v gstart="$GEN_START" '
    { t[NR] = $1; s[NR] = $2; if ($3 > peak) peak = $3 }
    END {
        first = 0
        for (i = 1; i <= NR; i++) if (s[i] > 0) { first = t[i]; break }
        a = 0; b = 0
        for (i = 1; i <= NR; i++) {
            if (!a && first && t[i] >= first + 3) a = i
            if (t[i] <= gend) b = i
        }
        rate = (a && b > a) ? (s[b] - s[a]) / (t[b] - t[a]) : 0
        whole = s[NR] / (send - gstart)
        printf "%.0f %d %.0f\n", rate, peak, whole
    }' "$WORK/samples1.txt")"
GEN1=$(tail -1 "$WORK/gen1.json")

# ---- phase 2: paced, detection latency -----------------------------------------------------
EVENTS2=$((RATE2 * PHASE2_SECS))
curl -fsS "$BASE/metrics" >"$WORK/before2.txt"
BEFORE2=$(metric_sum "$WORK/before2.txt" ww_events_stored_total)
echo "phase 2: $EVENTS2 events at $RATE2/s" >&2
sampler >"$WORK/samples2.txt" &
SAMPLER_PID=$!
"$BIN" demo --server "$BASE" --syslog "127.0.0.1:$SYSLOG_PORT" --token "$TOKEN" --syslog-only --rate "$RATE2" \
    --events "$EVENTS2" --connections "$CONNS" --seed 11 --stats >"$WORK/gen2.json" 2>"$WORK/gen2.log"
wait_stored $((BEFORE2 + EVENTS2))
curl -fsS "$BASE/metrics" >"$WORK/after2.txt"
kill "$SAMPLER_PID" 2>/dev/null || true
wait "$SAMPLER_PID" 2>/dev/null || true
SAMPLER_PID=""

# p99 from the bucket counts accrued during phase 2 (cumulative Prometheus buckets).
P99=$(python3 - "$WORK/before2.txt" "$WORK/after2.txt" <<'PY'
import re, sys
def buckets(path):
    out = {}
    for line in open(path):
        m = re.match(r'ww_detection_latency_seconds_bucket\{.*le="([^"]+)".*\}\s+(\S+)', line)
        if m:
            out[float(m.group(1))] = float(m.group(2))
    return out
b, a = buckets(sys.argv[1]), buckets(sys.argv[2])
les = sorted(a)
diff = [(le, a[le] - b.get(le, 0.0)) for le in les]
total = diff[-1][1] if diff else 0
if total <= 0:
    print("null 0")
else:
    want = 0.99 * total
    for le, c in diff:
        if c >= want:
            print(("inf" if le == float("inf") else le), int(total))
            break
PY
)
read -r P99_BOUND P99_OBS <<<"$P99"
PEAK_RSS2_KB=$(awk '{ if ($3 > p) p = $3 } END { print p + 0 }' "$WORK/samples2.txt")
TOTAL_STORED=$(metric_sum "$WORK/after2.txt" ww_events_stored_total)
RULES=$(grep -o '"rules":[0-9]*' "$WORK/server.log" | head -1 | cut -d: -f2 || true)
DB_BYTES=$(du -sb "$WORK/data" | cut -f1)

printf '\n%-44s %s\n' "metric" "value"
printf '%-44s %s\n' "events (phase 1), connections" "$EVENTS, $CONNS"
printf '%-44s %s\n' "sigma rules dir" "${SIGMA:-none (built-in pack only)}"
printf '%-44s %s\n' "generator (phase 1)" "$GEN1"
printf '%-44s %s\n' "sustained stored events/s (steady part)" "$RATE1   (target >= 150000)"
printf '%-44s %s\n' "whole-run stored events/s (incl. drain)" "$WHOLE1"
printf '%-44s %s MiB   (target < 1024)\n' "peak server RSS" "$((PEAK_RSS_KB / 1024))"
printf '%-44s %s s (%s alerting batches)   (target < 1 s)\n' "p99 detection latency at $RATE2/s (bucket)" "$P99_BOUND" "$P99_OBS"
printf '%-44s %s MiB\n' "peak server RSS (phase 2)" "$((PEAK_RSS2_KB / 1024))"
printf '%-44s %s events, %s MB on disk\n' "stored in total" "$TOTAL_STORED" "$((DB_BYTES / 1000000))"
echo "{\"bench\":\"serve\",\"events\":$EVENTS,\"connections\":$CONNS,\"sigma\":$([[ -n "$SIGMA" ]] && echo true || echo false),\"synchronous\":\"$SYNC\",\"sustained_events_per_s\":$RATE1,\"whole_run_events_per_s\":$WHOLE1,\"peak_rss_mib\":$((PEAK_RSS_KB / 1024)),\"rate2\":$RATE2,\"p99_detection_latency_s\":$([[ $P99_BOUND == inf ]] && echo '"inf"' || echo "$P99_BOUND"),\"latency_observations\":$P99_OBS,\"rules_loaded\":${RULES:-null}}"
