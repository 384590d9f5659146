#!/usr/bin/env bash
# run-call-bench.sh: incoming calls per second held with no failed call, and the answering
# phone's CPU per 1000 calls, bellbird-cli beside baresip, both answering sipp as the caller,
# on loopback only (127.0.0.1, UDP), signalling only.
#
#   bench/run-call-bench.sh [STEP_SECONDS]      (default 10)
#
#   environment: BELL_BENCH_BUILDDIR (default _build-bench),
#                CALL_RATES (the ladder, calls/s: "100 200 300 400 500 600 800 1000 1200 1600
#                2400 3200"),
#                CALL_TRIES (2: tries at a rate before it counts as not held),
#                CALL_SCENARIO (call-uac.xml, a file in bench/scenarios, or "builtin": sipp's
#                own -sn uac), CALL_MAX_CALLS (1000: calls at once, both peers), CALL_BELLBIRD_ARGS (more options for
#                bellbird-cli listen, split on blanks), CALL_PEERS ("bellbird baresip"),
#                CALL_KEEP (set: keep the traces), CALL_CLI (a bellbird-cli to use instead of
#                building one, e.g. one built from a clean checkout while the tree is being edited)
#
# Builds bellbird-cli in a release build of its own (-Dbench=true, --buildtype=release, as
# run-register-bench.sh does; the same build directory), then, one peer after the other so
# that no two share the machine's CPUs:
#
#   the peer answers: either
#     bellbird: `bellbird-cli --events --bind 127.0.0.1:P listen --auto-answer --no-media`: every
#       INVITE answered at once (180, 200 with an SDP answer of its own, inactive: signalling
#       only, no media socket), the call ends on the caller's BYE; every call event printed as a JSON
#       line (to a file), as a front end would read them;
#     baresip (the Debian package, 1.0): headless, one local account
#       `<sip:bench@127.0.0.1>;regint=0;answermode=auto`, modules g711.so (it refuses an offer
#       it has no codec for; sipp offers PCMU) and account.so only: no audio source, player or
#       driver, so it sends no RTP, but it does open its RTP/RTCP sockets for each call;
#       sip_listen and net_interface 127.0.0.1.
#     Both take CALL_MAX_CALLS calls at once (bellbird-cli --max-concurrent, baresip
#     call_max_calls), 1000 by default: both stacks' default of 4 lets the cap, not the peer,
#     set the max (sipp, running a few ms late, sends the calls it owes together, and the
#     fifth INVITE in a row gets 486 however fast the peer is). `listen --auto-answer` is an
#     answering machine: answering a call does not hold the others (--call-waiting would).
#   sipp calls it: scenarios/call-uac.xml, sipp's built-in uac (INVITE; 100/180 optional; 200;
#     ACK; BYE; 200) less its pause (why: see the file), at a fixed rate R (-r R) for
#     STEP_SECONDS (-m R*STEP_SECONDS calls), Request-URI sip:bench@127.0.0.1:P. sipp binds
#     everything to 127.0.0.1 (-i, -ci, -mi). Each step has a fresh peer process (started,
#     waited for until it listens, left 0.5 s), so no step inherits another's transactions.
#   ladder: R goes up CALL_RATES; a rate is held when sipp ends with every call successful
#     (exit 0, SuccessfulCall = calls, FailedCall = 0: no 486, no timeout), with no
#     retransmission by sipp (a response later than 500 ms: the peer fell behind) and at the
#     rate asked (sipp's wall time <= calls/R * 1.05 + 0.5 s). A rate not held is tried again
#     (up to CALL_TRIES in all: the machine may be busy with other work for a moment); the
#     peer's max is the last rate held before the first one that is not, and it is not
#     stepped further.
#   measured, from outside and the same way for both, over sipp's run (from just before sipp
#     starts to just after it exits):
#     - CPU of the peer: the sum over its threads of /proc/PID/task/*/schedstat (ns on a CPU);
#       utime+stime from /proc/PID/stat (10 ms ticks, also counts threads that ended) beside
#       it as a cross-check. Shown as ms per 1000 calls, and as the share of one core it used
#       during the step ("peer%": near 100 % would mean the peer's CPU set its max);
#     - sipp's user+sys over its wall time (/usr/bin/time: "sipp%": near 100 % would mean
#       sipp, not the peer, set the pace);
#     - calls, failed calls, 486s and INVITEs from the peer (sipp's unexpected-message log: a
#       peer that puts its other calls on hold when it answers a new one sends sipp re-INVITEs,
#       and a call sipp is still in then fails), retransmissions, the slowest INVITE-to-200 time
#       (sipp's rtd, as a bucket: sipp counts in 1 ms ticks), the calls the peer itself reported
#       answered, and the machine's UDP RcvbufErrors (datagrams dropped for a full socket
#       buffer).
#     Both stacks keep a finished call's transactions about 32 s (RFC 3261 timers H/J) after
#     the BYE; freeing them falls outside the window, for both alike.
#   CPU ratio: at the highest rate both held, the two peers' ms CPU per 1000 calls (that step,
#     the try that held).
#
# Prints a table of every step, then as its last line:
#
#   calls: bellbird N calls/s max, X ms CPU/1000 calls; baresip M calls/s max, Y ms CPU/1000
#   calls; rate ratio R, CPU ratio C
#
# with R = N / M (above 1: Bellbird holds a higher rate) and C = X / Y at the common rate
# named on the line before (below 1: Bellbird spends less CPU per call). A max of 0 means not
# even the first rate was held (the CPU figures are then from nothing and shown as 0).
# Bounded: with the default ladder about 2-3 minutes after the build (each peer stops stepping
# at its first rate not held); every process it starts is stopped by its pid.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
srcdir=$(cd "$here/.." && pwd)
builddir=${BELL_BENCH_BUILDDIR:-$srcdir/_build-bench}
step=${1:-10}
rates=${CALL_RATES:-100 200 300 400 500 600 800 1000 1200 1600 2400 3200}
tries=${CALL_TRIES:-2}
scenario=${CALL_SCENARIO:-call-uac.xml}
max_calls=${CALL_MAX_CALLS:-1000}
peers=${CALL_PEERS:-bellbird baresip}
settle=0.5

die () { echo "run-call-bench.sh: $*" >&2; exit 1; }
# shellcheck source=bench-lib.sh
. "$here/bench-lib.sh"
for tool in sipp baresip ss awk python3 /usr/bin/time; do
  command -v "$tool" > /dev/null || die "$tool not found (packages sip-tester, baresip-core, time)"
done
modules=/usr/lib/baresip/modules
for m in account g711; do
  [ -f "$modules/$m.so" ] || die "no $modules/$m.so (package baresip-core)"
done
case $step in ''|*[!0-9]*|0) die "STEP_SECONDS must be a whole number above 0" ;; esac
case $here in *[[:space:]]*) die "run it from a path without spaces" ;; esac
for r in $rates; do
  case $r in ''|*[!0-9]*|0) die "CALL_RATES: \"$r\" is not a rate" ;; esac
done
if [ "$scenario" = builtin ]; then
  scenario_args=(-sn uac)
else
  [ -f "$here/scenarios/$scenario" ] || die "no bench/scenarios/$scenario"
  scenario_args=(-sf "$here/scenarios/$scenario")
fi

tmp=$(mktemp -d)
cleanup () {
  kill_our_jobs   # a peer, sipp under time
  if [ -n "${CALL_KEEP:-}" ]; then
    echo "run-call-bench.sh: files kept in $tmp" >&2
  else
    rm -rf "$tmp"
  fi
}
trap cleanup EXIT

# Build -----------------------------------------------------------------------------------
if [ -n "${CALL_CLI:-}" ]; then
  [ -x "$CALL_CLI" ] || die "CALL_CLI: $CALL_CLI is not an executable"
  cli=$CALL_CLI
else
  bench_build "$builddir" "$srcdir" "$tmp" src/cli/bellbird-cli
  cli=$builddir/src/cli/bellbird-cli
fi

# Helpers ---------------------------------------------------------------------------------
udp_listens () { [ -n "$(ss -Hnlu "sport = :$1" 2> /dev/null)" ]; }

rcvbuf_errors () { awk '/^Udp:/ { x = $6 } END { print x }' /proc/net/snmp; }

# Starts the peer on a fresh port, waits until it listens; sets peer_pid, peer_port.
start_peer () {   # PEER NAME BOUND_SECONDS
  local peer=$1 name=$2 bound=$3 ready=0
  peer_port=$(free_port)
  if [ "$peer" = bellbird ]; then
    # shellcheck disable=SC2086  # CALL_BELLBIRD_ARGS: options split on blanks
    "$cli" --events --bind "127.0.0.1:$peer_port" listen --auto-answer --duration "$bound" \
      --max-concurrent "$max_calls" --no-media ${CALL_BELLBIRD_ARGS:-} > "$tmp/$name.out" 2> "$tmp/$name.err" &
    peer_pid=$!
  else
    local cfg=$tmp/$name.baresip
    mkdir -p "$cfg"
    cat > "$cfg/config" <<EOF
poll_method		epoll
sip_listen		127.0.0.1:$peer_port
net_interface		127.0.0.1
sip_trans_def		udp
call_max_calls		$max_calls
module_path		$modules
module			g711.so
module_app		account.so
EOF
    echo "<sip:bench@127.0.0.1>;regint=0;answermode=auto" > "$cfg/accounts"
    : > "$cfg/contacts"
    baresip -f "$cfg" -t "$bound" > "$tmp/$name.out" 2> "$tmp/$name.err" &
    peer_pid=$!
  fi
  for _ in $(seq 1 100); do
    if udp_listens "$peer_port"; then
      if [ "$peer" = bellbird ]; then
        grep -q '"event":"listening","transport":"UDP"' "$tmp/$name.out" && { ready=1; break; }
      else
        grep -q 'baresip is ready' "$tmp/$name.out" && { ready=1; break; }
      fi
    fi
    kill -0 "$peer_pid" 2> /dev/null || break
    sleep 0.05
  done
  if [ "$ready" != 1 ]; then
    tail -n 5 "$tmp/$name.out" "$tmp/$name.err" >&2
    die "$name: $peer does not listen on 127.0.0.1:$peer_port"
  fi
  sleep "$settle"
}

# res[NAME.field] for each step NAME = PEER-RATE-TRY; held[PEER] = the max rate held.
declare -A res held tried

run_step () {   # PEER RATE TRY: sets res[...]; returns 0 when the rate was held
  local peer=$1 rate=$2 try=$3 name=$1-$2-$3 calls sport cport mport bound rc=0
  local c0 c1 k0 k1 d0 d1 line answered busy reinv user sys wall
  calls=$((rate * step))
  bound=$((step * 3 + 20))
  start_peer "$peer" "$name" $((bound + 10))
  sport=$(free_port); cport=$(free_port); mport=$(free_port)
  c0=$(cpu_ns "$peer_pid"); k0=$(cpu_ticks "$peer_pid"); d0=$(rcvbuf_errors)
  (cd "$tmp" && exec /usr/bin/time -f '%U %S %e' -o "$tmp/$name.time" \
     sipp "${scenario_args[@]}" -s bench "127.0.0.1:$peer_port" -r "$rate" -m "$calls" \
       -i 127.0.0.1 -p "$sport" -ci 127.0.0.1 -cp "$cport" -mi 127.0.0.1 -mp "$mport" \
       -nostdin -buff_size 4194304 -timeout "$bound" -timeout_error \
       -trace_stat -stf "$tmp/$name.csv" -fd 1 -trace_err -error_file "$tmp/$name.errors" \
       > "$tmp/$name.sipp.out" 2>&1) || rc=$?
  c1=$(cpu_ns "$peer_pid"); k1=$(cpu_ticks "$peer_pid"); d1=$(rcvbuf_errors)
  kill -0 "$peer_pid" 2> /dev/null || die "$name: $peer died during the step (see $tmp/$name.err)"
  stop_pid "$peer_pid" TERM

  [ -s "$tmp/$name.csv" ] || { cat "$tmp/$name.sipp.out" >&2; die "$name: sipp wrote no statistics"; }
  # The last line of sipp's statistics: cumulative counters (C).
  line=$(tail -n 1 "$tmp/$name.csv")
  res[$name.ok]=$(awk -F';' '{ print $16 }' <<< "$line")
  res[$name.failed]=$(awk -F';' '{ print $18 }' <<< "$line")
  res[$name.retrans]=$(awk -F';' '{ print $58 }' <<< "$line")
  # The slowest INVITE-to-200 (sipp's rtd, counted in 1 ms ticks): the last bucket of
  # ResponseTimeRepartition1 (the scenario's <ResponseTimeRepartition>) with a call in it.
  res[$name.rtd]=$(awk -F';' '
    NR == 1 { for (i = 1; i <= NF; i++) if ($i ~ /^ResponseTimeRepartition1_/) b[i] = substr($i, 26); next }
    { last = $0 }
    END { n = split(last, v, ";"); r = "-"; for (i = 1; i <= n; i++) if ((i in b) && v[i] > 0) r = b[i]; print r }' \
    "$tmp/$name.csv")
  # Unexpected messages sipp logged: 486s, and INVITEs from the peer (a re-INVITE in a call
  # sipp is still in, which fails it, or has just ended).
  busy=0 reinv=0
  if [ -f "$tmp/$name.errors" ]; then
    busy=$(grep -c "received 'SIP/2.0 486 " "$tmp/$name.errors" || true)
    reinv=$(grep -c "received 'INVITE " "$tmp/$name.errors" || true)
  fi
  if [ "$peer" = bellbird ]; then
    answered=$(grep -c '"state":"connected"' "$tmp/$name.out" || true)
  else
    answered=$(grep -c 'Call established' "$tmp/$name.out" || true)
  fi
  read -r user sys wall < <(tail -n 1 "$tmp/$name.time")
  res[$name.rate]=$rate
  res[$name.try]=$try
  res[$name.calls]=$calls
  res[$name.busy]=$busy
  res[$name.reinv]=$reinv
  res[$name.answered]=$answered
  res[$name.rc]=$rc
  res[$name.wall]=$wall
  res[$name.cpu_ms]=$(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.0f", (b - a) / 1e6 }')
  res[$name.tick_ms]=$(( (k1 - k0) * 1000 / $(getconf CLK_TCK) ))
  res[$name.per1000]=$(awk -v a="$c0" -v b="$c1" -v n="$calls" 'BEGIN { printf "%.0f", (b - a) / 1e6 * 1000 / n }')
  res[$name.peer_pct]=$(awk -v a="$c0" -v b="$c1" -v w="$wall" 'BEGIN { printf "%.0f", (w > 0 ? (b - a) / 1e7 / w : 0) }')
  res[$name.sipp_pct]=$(awk -v u="$user" -v s="$sys" -v w="$wall" 'BEGIN { printf "%.0f", (w > 0 ? (u + s) / w * 100 : 0) }')
  res[$name.rcvbuf]=$((d1 - d0))
  local why=""
  [ "$rc" = 0 ] || why="sipp exit $rc"
  [ "${res[$name.ok]}" = "$calls" ] || why="${why:+$why, }${res[$name.ok]} of $calls ok"
  [ "${res[$name.failed]}" = 0 ] || why="${why:+$why, }${res[$name.failed]} failed"
  [ "${res[$name.retrans]}" = 0 ] || why="${why:+$why, }${res[$name.retrans]} retransmitted"
  awk -v w="$wall" -v n="$calls" -v r="$rate" 'BEGIN { exit !(w <= n / r * 1.05 + 0.5) }' ||
    why="${why:+$why, }rate not kept (${wall} s)"
  res[$name.why]=$why
  [ -z "$why" ]
}

# Step each peer up the ladder --------------------------------------------------------------
load0=$(cut -d' ' -f1 /proc/loadavg)
steps=()
for peer in $peers; do
  case $peer in bellbird|baresip) ;; *) die "CALL_PEERS: unknown peer $peer" ;; esac
  held[$peer]=0
  for rate in $rates; do
    ok=0
    for try in $(seq 1 "$tries"); do
      steps+=("$peer-$rate-$try")
      if run_step "$peer" "$rate" "$try"; then ok=1; break; fi
    done
    tried[$peer]=$rate
    [ "$ok" = 1 ] || break
    held[$peer]=$rate
    held[$peer.step]=$peer-$rate-$try
  done
done

# Report --------------------------------------------------------------------------------
sipp_v=$( (sipp -v 2>&1 || true) | sed -n 's/.*SIPp v\([0-9.]*\).*/\1/p')
scn_name=$scenario
[ "$scenario" != builtin ] || scn_name="its built-in uac, -sn uac"
echo "Call-rate benchmark on loopback (UDP 127.0.0.1), sipp $sipp_v as the caller ($scn_name),"
echo "baresip $(dpkg-query -W -f '${Version}' baresip-core 2>/dev/null || echo '?'), $(nproc) CPUs, $(uname -m), load average at start $load0; one peer at a time."
echo "Each step: R calls/s for $step s, a fresh peer; a rate is held with every call answered and ended,"
echo "no failed call, no retransmission and sipp on time. Up to $tries tries a rate."
echo
printf '%-9s %5s %3s %6s %6s %6s %5s %5s %7s %7s %6s %6s %7s %8s %7s %5s %5s %6s  %s\n' \
  peer rate try calls ok failed 486s reINV retrans 'rtd ms' answrd 'wall s' 'CPU ms' '(ticks)' \
  'ms/1000' peer% sipp% rcvbuf result
for nm in "${steps[@]}"; do
  peer=${nm%%-*}
  printf '%-9s %5s %3s %6s %6s %6s %5s %5s %7s %7s %6s %6s %7s %8s %7s %5s %5s %6s  %s\n' \
    "$peer" "${res[$nm.rate]}" "${res[$nm.try]}" "${res[$nm.calls]}" "${res[$nm.ok]}" \
    "${res[$nm.failed]}" "${res[$nm.busy]}" "${res[$nm.reinv]}" "${res[$nm.retrans]}" "${res[$nm.rtd]}" \
    "${res[$nm.answered]}" "${res[$nm.wall]}" "${res[$nm.cpu_ms]}" "${res[$nm.tick_ms]}" \
    "${res[$nm.per1000]}" "${res[$nm.peer_pct]}" "${res[$nm.sipp_pct]}" "${res[$nm.rcvbuf]}" \
    "$([ -z "${res[$nm.why]}" ] && echo held || echo "not held: ${res[$nm.why]}")"
done
echo
echo "486s: Busy Here received (both peers take $max_calls calls at once)."
echo "reINV: INVITEs the peer sent sipp (a re-INVITE, e.g. putting a call on hold: it fails the call"
echo "if sipp is still in it). rtd ms: every INVITE-to-200 time seen by sipp was in this bucket or a"
echo "faster one. answrd: calls the peer reported answered. CPU: the peer's threads' schedstat over"
echo "sipp's run (utime+stime in 10 ms ticks in brackets); peer%/sipp%: share of one core each used"
echo "in the step. rcvbuf: UDP RcvbufErrors on the whole machine during the step."

if [ "$peers" != "bellbird baresip" ]; then
  for peer in $peers; do
    echo "calls: $peer ${held[$peer]} calls/s max (stepped up to ${tried[$peer]})"
  done
  exit 0
fi

b=${held[bellbird]} r=${held[baresip]}
common=0
for rate in $rates; do
  [ "$rate" -le "$b" ] && [ "$rate" -le "$r" ] && common=$rate
done
bc=0 rc_=0
if [ "$common" -gt 0 ]; then
  for try in $(seq 1 "$tries"); do
    [ -z "${res[bellbird-$common-$try.why]-x}" ] && bc=${res[bellbird-$common-$try.per1000]}
    [ -z "${res[baresip-$common-$try.why]-x}" ] && rc_=${res[baresip-$common-$try.per1000]}
  done
fi
echo
stopped () {   # PEER: why its ladder ended
  if [ "${tried[$1]}" = "${held[$1]}" ]; then echo "the ladder's end"; else echo "${tried[$1]} not held"; fi
}
echo "Max rate held: bellbird $b calls/s ($(stopped bellbird)), baresip $r calls/s ($(stopped baresip))."
echo "CPU per 1000 calls compared at $common calls/s, the highest rate both held."
awk -v b="$b" -v r="$r" -v bc="$bc" -v rc="$rc_" \
  'BEGIN { printf "calls: bellbird %d calls/s max, %d ms CPU/1000 calls; baresip %d calls/s max, %d ms CPU/1000 calls; rate ratio %.2f, CPU ratio %.2f\n",
           b, bc, r, rc, (r > 0 ? b / r : 0), (rc > 0 ? bc / rc : 0) }'
