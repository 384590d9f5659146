#!/usr/bin/env bash
# run-long.sh: the long fuzz campaign: each harness until N executions or T seconds, whichever
# comes first, and one summary line per harness. Exits 1 on any finding (a crash, leak,
# timeout, out-of-memory or broken invariant), 2 on bad usage.
#
#   tests/fuzz/run-long.sh                          msg uri sdp negotiate rtp, one at a time,
#                                                   each to 50 000 000 executions or 3600 s
#   tests/fuzz/run-long.sh -j 2 msg uri             two at a time
#   tests/fuzz/run-long.sh -n 1000000 -t 600 all    every harness (also frame, stun), shorter
#   tests/fuzz/run-long.sh --summary DIR            the summary lines of the logs in DIR again
#
# Options: -n RUNS (default 50000000), -t SECONDS (default 3600), -j PARALLEL (default 1),
# -l LOGDIR (default /tmp/bell-fuzz-long-<date>). Each harness runs under `nice -n 19` through
# tests/fuzz/run-fuzz.sh (clang, ASan+UBSan; its build directory, corpus and crash directory:
# see there, BELL_FUZZ_BUILDDIR is honoured). All harnesses are built first, so that parallel
# runs never share a ninja. LOGDIR/<harness>.log keeps each run's whole output, LOGDIR/summary
# the lines printed at the end, one per harness:
#
#   msg        runs 36021417  time 3600 s  exec/s 10005  corpus 2310 (1021Kb)  cov 3321  ft 16012  findings 0
#
# runs and exec/s are libFuzzer's final stats, time its "Done ... in S second(s)", corpus the
# inputs it kept and their size, cov and ft its last coverage figures (edges and features);
# findings 0, or the inputs written to tests/fuzz/crashes/<harness>-crash-... (or leak-,
# timeout-, oom-), which run-fuzz.sh replays: tests/fuzz/run-fuzz.sh msg <file>.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
runs=50000000
seconds=3600
parallel=1
logdir=/tmp/bell-fuzz-long-$(date -u +%Y%m%d-%H%M%S)
summary_only=
default_harnesses=(msg uri sdp negotiate rtp)
all_harnesses=(msg uri frame sdp negotiate rtp stun)

usage() {
  sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

is_count() {
  case $1 in ''|*[!0-9]*) return 1 ;; *) [ "$1" -gt 0 ] ;; esac
}

while [ $# -gt 0 ]; do
  case $1 in
    -n) is_count "${2:-}" || usage; runs=$2; shift 2 ;;
    -t) is_count "${2:-}" || usage; seconds=$2; shift 2 ;;
    -j) is_count "${2:-}" || usage; parallel=$2; shift 2 ;;
    -l) [ -n "${2:-}" ] || usage; logdir=$2; shift 2 ;;
    --summary) [ -n "${2:-}" ] || usage; logdir=$2; summary_only=1; shift 2 ;;
    -h|--help) usage ;;
    -*) usage ;;
    *) break ;;
  esac
done

harnesses=("$@")
if [ ${#harnesses[@]} -eq 0 ]; then
  harnesses=("${default_harnesses[@]}")
elif [ "${harnesses[*]}" = all ]; then
  harnesses=("${all_harnesses[@]}")
fi
for h in "${harnesses[@]}"; do
  case " ${all_harnesses[*]} " in
    *" $h "*) ;;
    *) echo "run-long.sh: unknown harness '$h' (${all_harnesses[*]}, all)" >&2; exit 2 ;;
  esac
done

# summarize HARNESS LOG: prints the summary line; returns 1 when the run found something.
summarize() {
  local h=$1 log=$2 units rate secs status cov ft corp findings artifacts
  if [ ! -f "$log" ]; then
    printf '%-10s no log at %s\n' "$h" "$log"
    return 1
  fi
  units=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
  secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -n 1)
  # The last status line of libFuzzer ("#N  REDUCE cov: C ft: F corp: K/SIZE ...").
  status=$(grep -a -E '^#[0-9]+[[:space:]].* cov: [0-9]+ ft: [0-9]+' "$log" | tail -n 1)
  cov=$(printf '%s' "$status" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
  ft=$(printf '%s' "$status" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
  corp=$(printf '%s' "$status" | sed -n 's/.* corp: \([0-9]*\)\/\([0-9]*[a-zA-Z]*\).*/\1 (\2)/p')
  # A run that stopped on a finding has no final stats: take its last status line's count.
  [ -n "$units" ] || units=$(printf '%s' "$status" | sed -n 's/^#\([0-9]*\).*/\1/p')
  artifacts=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | sed "s|^$here/|tests/fuzz/|" |
              tr '\n' ' ')
  if [ -n "$artifacts" ]; then
    findings=$artifacts
  elif grep -q '^run-fuzz.sh: no crash' "$log"; then
    findings=0
  else
    findings="run stopped without its end (see $log)"
  fi
  printf '%-10s runs %s  time %s s  exec/s %s  corpus %s  cov %s  ft %s  findings %s\n' \
    "$h" "${units:-?}" "${secs:-?}" "${rate:-?}" "${corp:-?}" "${cov:-?}" "${ft:-?}" "$findings"
  [ "$findings" = 0 ]
}

summarize_all() {
  local failed=0 h
  : > "$logdir/summary"
  for h in "${harnesses[@]}"; do
    summarize "$h" "$logdir/$h.log" | tee -a "$logdir/summary" || failed=1
  done
  return $failed
}

if [ -n "$summary_only" ]; then
  [ -d "$logdir" ] || { echo "run-long.sh: no directory $logdir" >&2; exit 2; }
  if [ $# -eq 0 ]; then
    # The harnesses whose logs are there.
    harnesses=()
    for h in "${all_harnesses[@]}"; do
      [ ! -f "$logdir/$h.log" ] || harnesses+=("$h")
    done
  fi
  summarize_all
  exit $?
fi

mkdir -p "$logdir" || exit 1
echo "run-long.sh: ${harnesses[*]}: each to $runs executions or $seconds s, $parallel at a time;" \
     "logs in $logdir" >&2

# Stop our own runs, by their process group, when we are stopped.
declare -A running=()
stop_runs() {
  local pid
  for pid in "${!running[@]}"; do
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
  done
  exit 130
}
trap stop_runs INT TERM

# Built first, one after another (a Ctrl-C here reaches the build itself).
for h in "${harnesses[@]}"; do
  if ! BELL_FUZZ_BUILD_ONLY=1 nice -n 19 "$here/run-fuzz.sh" "$h"; then
    echo "run-long.sh: building $h failed" >&2
    exit 1
  fi
done

start_run() {  # start_run HARNESS: in its own process group (set -m), so stop_runs ends it all
  local h=$1
  set -m
  # -timeout is wall-clock: at nice 19 beside a busy machine a quick input can wait its turn
  # for tens of seconds (27 s seen, the input itself 0.09 s), so 10 s would report a false
  # timeout; a loop that never ends is still caught.
  nice -n 19 "$here/run-fuzz.sh" "$h" -runs="$runs" -max_total_time="$seconds" -timeout=120 \
    > "$logdir/$h.log" 2>&1 &
  set +m
  running[$!]=$h
  echo "run-long.sh: $(date -u +%H:%M:%S) started $h (pid $!)" >&2
}

for h in "${harnesses[@]}"; do
  while [ ${#running[@]} -ge "$parallel" ]; do
    wait -n || true
    for pid in "${!running[@]}"; do
      if ! kill -0 "$pid" 2>/dev/null; then
        echo "run-long.sh: $(date -u +%H:%M:%S) ${running[$pid]} done" >&2
        unset "running[$pid]"
      fi
    done
  done
  start_run "$h"
done
wait
for pid in "${!running[@]}"; do
  echo "run-long.sh: $(date -u +%H:%M:%S) ${running[$pid]} done" >&2
done

summarize_all
