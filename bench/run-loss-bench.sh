#!/usr/bin/env bash
# run-loss-bench.sh: speech through lossy calls, Bellbird to Bellbird and Bellbird with baresip
# in the same run, on loopback only (127.0.0.1, UDP), and the figures issue 9 asks for.
#
#   bench/run-loss-bench.sh
#
#   environment: BELL_BENCH_BUILDDIR (default _build-bench), LOSS_CLI (a bellbird-cli to use
#                instead of building one), LOSS_CODECS (opus,PCMU: codecs to try, in order; a
#                codec bellbird-cli does not negotiate is left out and said so; G722 can be
#                added), LOSS_JOBS (2: calls at once; 1 on a busy machine), LOSS_SECONDS (8:
#                the speech; each call lasts a second more), LOSS_ROWS (all: e.g. "0,30,30b",
#                b = bursts), LOSS_MARKDOWN (a file for the Markdown table), LOSS_KEEP (set:
#                keep the files)
#   needs: python3, espeak-ng, sox; baresip (baresip-core, with its opus, g722, g711, plc,
#          aufile and sndfile modules) for the baresip column (without it that column is
#          left out).
#
# Builds bellbird-cli in the benchmarks' release build (as the other run-*-bench.sh do), then
# runs bench/loss_bench.py, which holds the method and the definitions of every figure:
#
#   rows     random loss 0, 10, 30, 50, 60 %; Gilbert-Elliott bursts (3 packets on average)
#            at 10 and 30 %; the loss comes from bellbird-cli's own test options
#            (--test-loss, --test-loss-receive, --test-loss-burst: this kernel has no netem),
#            drawn from a fixed seed, so every run loses the same packets
#   columns  per codec and FEC/RED on/off (off: --fec off, when bellbird-cli has it): for
#            Bellbird -> Bellbird, baresip -> Bellbird and Bellbird -> baresip, the frames
#            that reached the decoder, the speech-envelope correlation, the alignment lag
#            and the E-model MOS; beside them the goals of issue 9 (30 %: >= 95 % and >= 0.85;
#            50 %: >= 80 % and >= 0.7) as met / not met, never asserted.
#
# Prints a plain table, then the same as Markdown (for the README). A few minutes: every call
# lasts LOSS_SECONDS + 1 s, LOSS_JOBS at a time; every process it starts is stopped by its pid.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
srcdir=$(cd "$here/.." && pwd)
builddir=${BELL_BENCH_BUILDDIR:-$srcdir/_build-bench}

die () { echo "run-loss-bench.sh: $*" >&2; exit 1; }
# shellcheck source=bench-lib.sh
. "$here/bench-lib.sh"

for tool in python3 espeak-ng sox; do
  command -v "$tool" > /dev/null || die "$tool not found (packages python3, espeak-ng, sox)"
done
command -v baresip > /dev/null ||
  echo "run-loss-bench.sh: baresip not found (package baresip-core): no baresip column" >&2
jobs=${LOSS_JOBS:-2}
case $jobs in ''|*[!0-9]*|0) die "LOSS_JOBS must be a whole number above 0" ;; esac

tmp=$(mktemp -d)
cleanup () {
  kill_our_jobs
  rm -rf "$tmp"
}
trap cleanup EXIT

cli=${LOSS_CLI:-}
if [ -z "$cli" ]; then
  echo "run-loss-bench.sh: building bellbird-cli in $builddir" >&2
  bench_build "$builddir" "$srcdir" "$tmp" src/cli/bellbird-cli
  cli=$builddir/src/cli/bellbird-cli
fi
[ -x "$cli" ] || die "no bellbird-cli at $cli"

args=(run --cli "$cli" --jobs "$jobs" --codecs "${LOSS_CODECS:-opus,PCMU}"
      --seconds "${LOSS_SECONDS:-8}")
[ -z "${LOSS_ROWS:-}" ] || args+=(--rows "$LOSS_ROWS")
[ -z "${LOSS_MARKDOWN:-}" ] || args+=(--markdown "$LOSS_MARKDOWN")
[ -z "${LOSS_KEEP:-}" ] || args+=(--keep)
python3 "$here/loss_bench.py" "${args[@]}"
