#!/usr/bin/env bash
# run-parse-bench.sh: SIP parse throughput of Bellbird against oSIP2, libre and sofia-sip.
#
#   bench/run-parse-bench.sh [SECONDS]     (default 1 s per binary per round)
#
# Builds a release build in its own directory (_build-bench, or $BELL_BENCH_BUILDDIR) with
# -Dbench=true, then, in one run, times every bench binary 3 times round-robin on the same
# messages (bench/messages/*.sip) and keeps each one's best. Before timing, each binary checks
# that it reads every message's start line, CSeq, Call-ID and body length; this script also
# checks that all peers read the same. Prints a table, then as its last line:
#
#   parse: bellbird N msg/s; fastest peer NAME M msg/s; ratio R      (R = N / M)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
srcdir=$(cd "$here/.." && pwd)
builddir=${BELL_BENCH_BUILDDIR:-$srcdir/_build-bench}
seconds=${1:-1}
rounds=3

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ ! -f "$builddir/build.ninja" ]; then
  # A setup that failed half-way leaves a directory meson will not reuse.
  [ ! -d "$builddir/meson-private" ] || rm -rf "$builddir"
  setup=(meson setup "$builddir" "$srcdir" -Dbench=true --buildtype=release -Dgui=disabled)
else
  setup=(meson configure "$builddir" -Dbench=true -Dbuildtype=release)
fi
if ! "${setup[@]}" > "$tmp/setup.log" 2>&1; then
  tail -n 20 "$tmp/setup.log" >&2
  echo "run-parse-bench.sh: meson failed" >&2
  exit 1
fi
targets=$(ninja -C "$builddir" -t targets all | sed -n 's/^\(bench\/bench-[a-z]*\): .*/\1/p' | sort -u)
[ -n "$targets" ] || { echo "run-parse-bench.sh: no bench target in $builddir" >&2; exit 1; }
if ! ninja -C "$builddir" $targets > "$tmp/build.log" 2>&1; then
  grep -E -A5 'error|FAILED' "$tmp/build.log" | head -n 40 >&2
  echo "run-parse-bench.sh: build failed" >&2
  exit 1
fi

peers=()
for p in bellbird osip re sofia; do
  if [ -x "$builddir/bench/bench-$p" ]; then
    peers+=("$p")
  else
    echo "run-parse-bench.sh: bench-$p not built (library missing), skipped" >&2
  fi
done
case " ${peers[*]} " in *" bellbird "*) ;; *) echo "run-parse-bench.sh: bench-bellbird missing" >&2; exit 1 ;; esac
[ ${#peers[@]} -ge 2 ] || { echo "run-parse-bench.sh: no peer to compare with" >&2; exit 1; }

declare -A best note
for round in $(seq 1 $rounds); do
  for p in "${peers[@]}"; do
    out=$tmp/$p.$round
    if ! "$builddir/bench/bench-$p" -t "$seconds" > "$out" 2> "$tmp/$p.err"; then
      cat "$out" "$tmp/$p.err" >&2
      echo "run-parse-bench.sh: bench-$p failed" >&2
      exit 1
    fi
    rate=$(awk -v p="$p" '$1 == p && $2 ~ /^[0-9]+$/ { print $2 }' "$out")
    [ -n "$rate" ] || { echo "run-parse-bench.sh: no result line from bench-$p" >&2; exit 1; }
    if [ -z "${best[$p]:-}" ] || [ "$rate" -gt "${best[$p]}" ]; then
      best[$p]=$rate
    fi
    note[$p]=$(sed -n "s/^# $p: //p" "$out")
  done
done

# Every peer must have read every message the same way.
ref=${peers[0]}
grep '^# check ' "$tmp/$ref.1" > "$tmp/check.$ref"
for p in "${peers[@]:1}"; do
  grep '^# check ' "$tmp/$p.1" > "$tmp/check.$p"
  if ! diff -u "$tmp/check.$ref" "$tmp/check.$p" > "$tmp/check.diff"; then
    cat "$tmp/check.diff" >&2
    echo "run-parse-bench.sh: $ref and $p do not read the messages the same way" >&2
    exit 1
  fi
done

n_msgs=$(wc -l < "$tmp/check.$ref")
bytes=$(cat "$srcdir"/bench/messages/*.sip | wc -c)
echo "SIP parse benchmark: $n_msgs messages ($bytes bytes) from bench/messages, parse + free,"
echo "best of $rounds rounds of ${seconds}s each, $(nproc) CPUs, $(uname -m)."
echo
printf '%-10s %12s %10s %16s\n' parser 'msgs/s' 'us/msg' 'bellbird/parser'
bb=${best[bellbird]}
fastest= fastest_rate=0
for p in "${peers[@]}"; do
  r=${best[$p]}
  awk -v p="$p" -v r="$r" -v bb="$bb" \
    'BEGIN { printf "%-10s %12d %10.3f %16.2f\n", p, r, 1e6 / r, bb / r }'
  if [ "$p" != bellbird ] && [ "$r" -gt "$fastest_rate" ]; then
    fastest=$p fastest_rate=$r
  fi
done
echo
for p in "${peers[@]}"; do
  echo "$p: ${note[$p]}" | fold -s -w 100 | sed '2,$s/^/    /'
done
echo
awk -v bb="$bb" -v f="$fastest" -v fr="$fastest_rate" \
  'BEGIN { printf "parse: bellbird %d msg/s; fastest peer %s %d msg/s; ratio %.2f\n", bb, f, fr, bb / fr }'
