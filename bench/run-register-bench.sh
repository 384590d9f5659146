#!/usr/bin/env bash
# run-register-bench.sh: REGISTER transactions per second and core CPU per 1000 REGISTERs,
# Bellbird beside baresip, against sipp as the registrar, on loopback only (127.0.0.1, UDP).
#
#   bench/run-register-bench.sh [WINDOW_SECONDS]      (default 10; a multiple of EXPIRES/2)
#
#   environment: BELL_BENCH_BUILDDIR (default _build-bench), REG_N (20000), REG_K (50),
#                REG_ACCOUNTS (200), REG_EXPIRES (4), REG_KEEP (set: keep the traces),
#                REG_ONLY (e.g. "bellbird-none max-digest": only those runs, raw figures)
#
# Builds bench/bench-register in a release build of its own (-Dbench=true, as
# run-parse-bench.sh does; bench/bench-register.c says what it does), then runs, one after the
# other so that no two share the machine's CPUs:
#
# 1. Like for like: Bellbird and baresip (the Debian package) doing the same work. M accounts
#    (REG_ACCOUNTS) each register to a sipp registrar and refresh by themselves. Both ask for
#    Expires REG_EXPIRES, the registrar grants exactly that, and both refresh half-way
#    (Bellbird does so for expiries up to 120 s; baresip is told ;rwait=50), so both send
#    M / (EXPIRES/2) REGISTERs a second, each a whole transaction: build and send, parse the
#    200, match it, update the binding, arm the next refresh.
#      Bellbird: its real registration state machine, M BellSipRegistration on one
#        BellSipTransactions and one UDP transport, in one thread (bench-register --mode
#        accounts).
#      baresip: headless, M accounts, module account.so only (no audio), sip_listen and
#        net_interface 127.0.0.1.
#    Each client is started, waited for until every account has registered once, left 2 s to
#    settle (the start-up burst and its retransmissions are not measured), then measured for
#    WINDOW seconds, from outside and the same way for both:
#      - CPU: the sum over the client's threads of /proc/PID/task/*/schedstat (ns on a CPU);
#        utime+stime from /proc/PID/stat (10 ms ticks) is shown beside it as a cross-check;
#      - REGISTERs: counted by sipp, not by the clients. sipp writes every message with its
#        time (-trace_msg); the script counts, inside the window, REGISTER transactions
#        (distinct Via branches), retransmissions, and the 200, 401 and 403 it sent.
#    Every account refreshes at about the same moment, so the traffic comes in bursts: the
#    window starts in a quiet moment of sipp's trace and lasts a whole number of refresh
#    periods, so that each account counts the same number of times and all the CPU those
#    REGISTERs cost falls inside. It is also cut into refresh periods, each shown, to see the
#    spread.
#    Done without authentication (scenarios/registrar.xml: 200 at once) and with Digest
#    (scenarios/registrar-digest.xml: MD5, qop=auth; a REGISTER whose Authorization checks out
#    is answered 200 at once, anything else is challenged first). Bellbird answers a refresh's
#    challenge before it is asked (the last nonce, next nonce count, RFC 3261 §22.3); baresip
#    1.0 sends every refresh without credentials and answers a 401 each time: 2 transactions
#    per refresh. Both are shown: CPU per 1000 transactions and per 1000 registrations (200s).
#    "tps" there is the offered load actually carried (the same for both, twice as many
#    transactions for baresip with Digest); the comparison is the CPU.
# 2. Bellbird alone, raw throughput ("max"): bench-register --mode max runs REG_N REGISTER
#    transactions through bell_sip_transactions_send, REG_K in flight at any time, each a fresh
#    binding (To/From/Call-ID/CSeq/Contact/Expires), against a sipp registrar that ends by
#    itself (-m) after the last one. With Digest, REG_N/2 bindings are each challenged (401,
#    answered with bell_sip_auth_answer, then 200). Wall time and getrusage(RUSAGE_SELF), best
#    of 3 rounds (tps). sipp's CPU over the same time is shown: near 100 % would mean sipp,
#    not Bellbird, set the pace. baresip cannot be driven like this from one command.
#
# sipp binds its control and media sockets to 127.0.0.1 too (-ci, -mi). Prints tables, then as
# its last line (the like-for-like run without authentication):
#
#   register: bellbird N tps, X ms CPU/1000; baresip M tps, Y ms CPU/1000; CPU ratio R
#
# with R = X / Y (below 1: Bellbird spends less CPU per REGISTER transaction). The line before
# gives the same with Digest (and per registration), the one before that the max figures.
# Bounded: about 65 s after the build; every process it starts is stopped by its pid.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
srcdir=$(cd "$here/.." && pwd)
builddir=${BELL_BENCH_BUILDDIR:-$srcdir/_build-bench}
window=${1:-10}
n=${REG_N:-20000}
k=${REG_K:-50}
accounts=${REG_ACCOUNTS:-200}
expires=${REG_EXPIRES:-4}
password=bench-pw-$$
settle=2
ready_max=15
max_rounds=3

die () { echo "run-register-bench.sh: $*" >&2; exit 1; }
# shellcheck source=bench-lib.sh
. "$here/bench-lib.sh"
for tool in sipp baresip ss awk python3; do
  command -v "$tool" > /dev/null || die "$tool not found (packages sip-tester, baresip-core)"
done
modules=/usr/lib/baresip/modules
[ -f "$modules/account.so" ] || die "no $modules/account.so (package baresip-core)"
case $window in ''|*[!0-9]*) die "WINDOW_SECONDS must be a whole number" ;; esac
case $here in *[[:space:]]*) die "run it from a path without spaces" ;; esac
[ $((window % (expires / 2 > 0 ? expires / 2 : 1))) -eq 0 ] ||
  echo "run-register-bench.sh: warning: the window is not a multiple of the refresh period" >&2

tmp=$(mktemp -d)
cleanup () {
  kill_our_jobs   # sipp, sipp under time, a client
  if [ -n "${REG_KEEP:-}" ]; then
    echo "run-register-bench.sh: files kept in $tmp" >&2
  else
    rm -rf "$tmp"
  fi
}
trap cleanup EXIT

# Build -----------------------------------------------------------------------------------
bench_build "$builddir" "$srcdir" "$tmp" bench/bench-register
bench=$builddir/bench/bench-register

# Helpers ---------------------------------------------------------------------------------
wait_udp_listen () {   # PORT
  local i
  for i in $(seq 1 60); do
    [ -z "$(ss -Hnlu "sport = :$1" 2> /dev/null)" ] || return 0
    sleep 0.05
  done
  die "sipp does not listen on UDP $1"
}

# Waits (up to 3 s) for a moment when sipp has written nothing for 150 ms: the clients send in
# bursts (every account refreshes at about the same time), and a window that starts and ends
# in a quiet gap, a whole number of refresh periods apart, counts every account the same
# number of times and holds all the CPU those REGISTERs cost.
wait_quiet () {   # FILE
  local size last i quiet=0
  last=$(stat -c %s "$1")
  for i in $(seq 1 300); do
    sleep 0.01
    size=$(stat -c %s "$1")
    if [ "$size" = "$last" ]; then
      quiet=$((quiet + 1))
      [ "$quiet" -lt 15 ] || return 0
    else
      quiet=0 last=$size
    fi
  done
  echo "run-register-bench.sh: warning: no quiet moment in the traffic; window edges may cut a burst" >&2
}

# sipp on 127.0.0.1 only: SIP on PORT, its control socket and media ports too (by default
# the control socket listens on every address, port 8888).
sipp_args () {   # SCENARIO PORT
  local cport mport
  cport=$(free_port); mport=$(free_port)
  echo -sf "$here/scenarios/$1" -i 127.0.0.1 -p "$2" -ci 127.0.0.1 -cp "$cport" -mi 127.0.0.1 \
    -mp "$mport" -nostdin -deadcall_wait 0 -buff_size 4194304 -key password "$password"
}

start_sipp () {   # NAME SCENARIO PORT EXTRA...: sets sipp_pid
  local name=$1 scenario=$2 port=$3 args
  shift 3
  args=$(sipp_args "$scenario" "$port")
  # shellcheck disable=SC2086  # paths without spaces: $here is checked below
  (cd "$tmp" && exec sipp $args "$@" > "$tmp/$name.sipp.out" 2>&1) &
  sipp_pid=$!
  wait_udp_listen "$port"
}

# Counts, in sipp's message trace, what came and went between consecutive timestamps (T0|T1|..
# as `now` prints them): one line per interval with REGISTER transactions (distinct Via
# branches), REGISTER retransmissions, and the 200, 401 and 403 sent.
count_windows () {   # FILE T0|T1|...
  awk -v bounds="$2" '
    BEGIN { nb = split(bounds, t, "|") }
    /^----------+ [0-9]/ {
      ts = $2 " " $3; w = 0
      for (i = 1; i < nb; i++) if (ts >= t[i] && ts < t[i + 1]) { w = i; break }
      dir = ""; next
    }
    /^UDP message received/ { dir = "in"; next }
    /^UDP message sent/ { dir = "out"; next }
    dir == "in" && /^REGISTER / { reg = 1; next }
    dir == "in" && reg && /^Via:/ { reg = 0; if (seen[$0]++) { if (w) rt[w]++ } else if (w) tx[w]++; next }
    !w { next }
    dir == "out" && /^SIP\/2.0 200/ { ok[w]++ }
    dir == "out" && /^SIP\/2.0 401/ { c401[w]++ }
    dir == "out" && /^SIP\/2.0 403/ { c403[w]++ }
    END { for (i = 1; i < nb; i++) printf "%d %d %d %d %d\n", tx[i], rt[i], ok[i], c401[i], c403[i] }' "$1"
}

declare -A res   # res[client-auth.field], res[max-auth.field]
load0=$(cut -d' ' -f1 /proc/loadavg)

# 1. Like for like: M accounts refreshing ----------------------------------------------------
window_run () {   # CLIENT AUTH(none|digest)
  local client=$1 auth=$2 name=$1-$2 port scenario cpid ready=0 i
  local c0 c1 k0 k1 t0 t1
  port=$(free_port)
  scenario=registrar.xml
  [ "$auth" = none ] || scenario=registrar-digest.xml
  start_sipp "$name" "$scenario" "$port" -key grant "$expires" \
    -timeout $((ready_max + settle + window + 10)) -trace_msg -message_file "$tmp/$name.msg"

  local bound=$((ready_max + settle + window + 5))
  if [ "$client" = bellbird ]; then
    local args=(--mode accounts -r "127.0.0.1:$port" -m "$accounts" -e "$expires" -t "$bound")
    [ "$auth" = none ] || args+=(-p "$password" -u bench)
    "$bench" "${args[@]}" > "$tmp/$name.out" 2> "$tmp/$name.err" &
    cpid=$!
  else
    local cfg=$tmp/$name.baresip bport
    bport=$(free_port)
    mkdir -p "$cfg"
    cat > "$cfg/config" <<EOF
poll_method		epoll
sip_listen		127.0.0.1:$bport
net_interface		127.0.0.1
module_path		$modules
module_app		account.so
EOF
    : > "$cfg/contacts"
    for i in $(seq 0 $((accounts - 1))); do
      if [ "$auth" = none ]; then
        echo "<sip:bs$i@127.0.0.1:$port>;regint=$expires;rwait=50"
      else
        echo "<sip:bs$i@127.0.0.1:$port>;regint=$expires;rwait=50;auth_user=bench;auth_pass=$password"
      fi
    done > "$cfg/accounts"
    baresip -f "$cfg" -t "$bound" > "$tmp/$name.out" 2> "$tmp/$name.err" &
    cpid=$!
  fi

  for i in $(seq 1 $((ready_max * 20))); do
    if [ "$client" = bellbird ]; then
      grep -q '^ready:' "$tmp/$name.out" && { ready=1; break; }
    else
      [ "$(grep -c '} 200 OK' "$tmp/$name.out" || true)" -ge "$accounts" ] && { ready=1; break; }
    fi
    kill -0 "$cpid" 2> /dev/null || break
    sleep 0.05
  done
  if [ "$ready" != 1 ]; then
    tail -n 5 "$tmp/$name.out" "$tmp/$name.err" >&2
    die "$name: the $accounts accounts did not all register within $ready_max s"
  fi
  sleep "$settle"

  local rcv0 rcv1
  rcv0=$(awk '/^Udp:/ { x = $6 } END { print x }' /proc/net/snmp)
  wait_quiet "$tmp/$name.msg"
  # The window, cut into refresh periods: each period every account refreshes once.
  local period=$((expires / 2 > 0 ? expires / 2 : 1)) nsub base j target
  nsub=$((window / period))
  [ "$nsub" -ge 1 ] || nsub=1
  local cs=() ks=() ts=()
  base=$(date +%s.%N)
  for j in $(seq 0 "$nsub"); do
    if [ "$j" -gt 0 ]; then
      target=$(awk -v b="$base" -v j="$j" -v p="$period" -v n="$(date +%s.%N)" \
                 'BEGIN { d = b + j * p - n; printf "%.3f", (d > 0 ? d : 0) }')
      sleep "$target"
    fi
    cs+=("$(cpu_ns "$cpid")"); ks+=("$(cpu_ticks "$cpid")"); ts+=("$(now)")
  done
  rcv1=$(awk '/^Udp:/ { x = $6 } END { print x }' /proc/net/snmp)
  kill -0 "$cpid" 2> /dev/null || die "$name: the client died during the window"

  stop_pid "$cpid" TERM
  stop_pid "$sipp_pid" INT
  # One line per period: txns retrans 200s 401s 403s.
  count_windows "$tmp/$name.msg" "$(IFS='|'; echo "${ts[*]}")" > "$tmp/$name.periods"
  local txn=0 retrans=0 ok=0 c401=0 c403=0 a b c d e best="" per
  j=0
  while read -r a b c d e; do
    txn=$((txn + a)) retrans=$((retrans + b)) ok=$((ok + c)) c401=$((c401 + d)) c403=$((c403 + e))
    if [ "$a" -gt 0 ]; then
      per=$(awk -v x="${cs[$j]}" -v y="${cs[$((j + 1))]}" -v t="$a" 'BEGIN { printf "%.1f", (y - x) / 1e6 * 1000 / t }')
      res[$name.periods]="${res[$name.periods]:-}$per "
      if [ -z "$best" ] || awk -v p="$per" -v q="$best" 'BEGIN { exit !(p < q) }'; then best=$per; fi
    fi
    j=$((j + 1))
  done < "$tmp/$name.periods"
  [ "$txn" -gt 0 ] || die "$name: sipp saw no REGISTER in the window"
  c0=${cs[0]} c1=${cs[$nsub]} k0=${ks[0]} k1=${ks[$nsub]} t0=${ts[0]} t1=${ts[$nsub]}
  res[$name.best]=$best
  res[$name.txn]=$txn
  res[$name.t0]=$t0
  res[$name.t1]=$t1
  res[$name.retrans]=$retrans
  res[$name.ok]=$ok
  res[$name.401]=$c401
  res[$name.403]=$c403
  res[$name.cpu_ms]=$(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.1f", (b - a) / 1e6 }')
  res[$name.tick_ms]=$(( (k1 - k0) * 1000 / $(getconf CLK_TCK) ))
  res[$name.tps]=$(awk -v t="$txn" -v w="$((nsub * period))" 'BEGIN { printf "%.0f", t / w }')
  res[$name.per1000]=$(awk -v a="$c0" -v b="$c1" -v t="$txn" 'BEGIN { printf "%.1f", (b - a) / 1e6 * 1000 / t }')
  res[$name.per1000reg]=$(awk -v a="$c0" -v b="$c1" -v t="$ok" 'BEGIN { printf "%.1f", t ? (b - a) / 1e6 * 1000 / t : 0 }')
  res[$name.rcvbuf]=$((rcv1 - rcv0))
  local expected=$((accounts * nsub))
  res[$name.expected]=$expected
  if [ "$c403" -gt 0 ] || [ "$ok" -lt $((expected * 9 / 10)) ]; then
    echo "run-register-bench.sh: warning: $name: $ok registrations in the window, $expected" \
         "expected, $c403 refused" >&2
  fi
}

# 2. Bellbird alone, as fast as it goes ----------------------------------------------------
max_once () {   # AUTH ROUND: one max run; sets res[max-AUTH.ROUND.*]
  local auth=$1 name=max-$1.$2 port scenario regs=$n args line f sipp_cpu="" i child
  port=$(free_port)
  scenario=registrar.xml
  if [ "$auth" != none ]; then
    scenario=registrar-digest.xml
    regs=$((n / 2))   # 2 transactions each: the same number of transactions as without auth
  fi
  args=$(sipp_args "$scenario" "$port")
  # sipp ends by itself after one call per registration (-m); -timeout bounds it anyway.
  local timer=()
  [ ! -x /usr/bin/time ] || timer=(/usr/bin/time -f '%U %S' -o "$tmp/$name.time")
  # shellcheck disable=SC2086
  (cd "$tmp" && exec "${timer[@]}" sipp $args -key grant 600 -m "$regs" -timeout 60 \
     > "$tmp/$name.sipp.out" 2>&1) &
  sipp_pid=$!
  wait_udp_listen "$port"
  args=(--mode max -r "127.0.0.1:$port" -n "$regs" -k "$k" -e 600)
  [ "$auth" = none ] || args+=(-p "$password" -u bench)
  if ! "$bench" "${args[@]}" > "$tmp/$name.out" 2> "$tmp/$name.err"; then
    cat "$tmp/$name.out" "$tmp/$name.err" >&2
    die "$name: bench-register failed"
  fi
  for i in $(seq 1 100); do
    kill -0 "$sipp_pid" 2> /dev/null || break
    sleep 0.05
  done
  if kill -0 "$sipp_pid" 2> /dev/null; then
    echo "run-register-bench.sh: warning: $name: sipp did not end by itself" >&2
    for child in $(pgrep -P "$sipp_pid" || true); do kill -INT "$child" 2> /dev/null || true; done
    stop_pid "$sipp_pid" INT
  fi
  wait "$sipp_pid" 2> /dev/null || true
  line=$(grep '^result ' "$tmp/$name.out") || die "$name: no result line"
  for f in transactions registrations wall_s cpu_s tps regps cpu_ms_per_1000_txn cpu_ms_per_1000_reg; do
    res[$name.$f]=$(sed -n "s/.* $f=\([0-9.]*\).*/\1/p" <<< "$line")
  done
  if [ -s "$tmp/$name.time" ]; then
    sipp_cpu=$(awk -v w="${res[$name.wall_s]}" 'END { printf "%.0f", ($1 + $2) / w * 100 }' "$tmp/$name.time")
  fi
  res[$name.sipp_cpu]=${sipp_cpu:-?}
}

max_run () {   # AUTH: best of $max_rounds by tps (the machine may be busy with other work)
  local auth=$1 r best=1 f
  for r in $(seq 1 "$max_rounds"); do
    max_once "$auth" "$r"
    if awk -v a="${res[max-$auth.$r.tps]}" -v b="${res[max-$auth.$best.tps]}" 'BEGIN { exit !(a > b) }'; then
      best=$r
    fi
  done
  for f in transactions registrations wall_s cpu_s tps regps cpu_ms_per_1000_txn cpu_ms_per_1000_reg sipp_cpu; do
    res[max-$auth.$f]=${res[max-$auth.$best.$f]}
  done
  res[max-$auth.all_tps]=$(for r in $(seq 1 "$max_rounds"); do printf '%s ' "${res[max-$auth.$r.tps]}"; done)
}

wanted () { [ -z "${REG_ONLY:-}" ] || [[ " $REG_ONLY " == *" $1 "* ]]; }
for auth in none digest; do
  for client in bellbird baresip; do
    if wanted "$client-$auth"; then window_run "$client" "$auth"; fi
  done
done
for auth in none digest; do
  if wanted "max-$auth"; then max_run "$auth"; fi
done
if [ -n "${REG_ONLY:-}" ]; then
  for key in $(printf '%s\n' "${!res[@]}" | sort); do echo "$key ${res[$key]}"; done
  exit 0
fi

# Report --------------------------------------------------------------------------------
echo "REGISTER benchmark on loopback (UDP 127.0.0.1), sipp $(sipp -v 2>&1 | sed -n 's/.*SIPp v\([0-9.]*\).*/\1/p') as registrar,"
echo "baresip $(dpkg-query -W -f '${Version}' baresip-core 2>/dev/null || echo '?'), $(nproc) CPUs, $(uname -m), load average at start $load0; one client at a time."
echo
echo "Like for like: $accounts accounts, Expires $expires s, refresh half-way ($((accounts * 2 / expires)) registrations/s offered),"
echo "measured over ${window} s once all had registered (from a quiet moment); REGISTERs counted in sipp's trace."
printf '%-9s %-7s %6s %7s %6s %6s %5s %8s %8s %12s %12s\n' client auth txns retrans 200s 401s tps 'CPU ms' '(ticks)' 'ms/1000 txn' 'ms/1000 reg'
for auth in none digest; do
  for client in bellbird baresip; do
    nm=$client-$auth
    printf '%-9s %-7s %6d %7d %6d %6d %5d %8s %8s %12s %12s\n' "$client" "$auth" "${res[$nm.txn]}" \
      "${res[$nm.retrans]}" "${res[$nm.ok]}" "${res[$nm.401]}" "${res[$nm.tps]}" \
      "${res[$nm.cpu_ms]}" "${res[$nm.tick_ms]}" "${res[$nm.per1000]}" "${res[$nm.per1000reg]}"
  done
done
echo "ms/1000 txn in each refresh period of the window:"
for auth in none digest; do
  for client in bellbird baresip; do
    printf '  %-16s %s\n' "$client-$auth" "${res[$client-$auth.periods]}"
  done
done
echo
echo "Bellbird alone, max throughput (bench-register --mode max): $n REGISTER transactions, $k in"
echo "flight, fresh bindings (with Digest: $((n / 2)) bindings, each 401 + 200); best of $max_rounds."
printf '%-7s %6s %6s %7s %7s %8s %12s %12s %9s  %s\n' auth txns regs 'wall s' 'CPU s' tps 'ms/1000 txn' 'ms/1000 reg' 'sipp CPU' 'tps of each round'
for auth in none digest; do
  nm=max-$auth
  printf '%-7s %6s %6s %7.3f %7.3f %8.0f %12s %12s %8s%%  %s\n' "$auth" "${res[$nm.transactions]}" \
    "${res[$nm.registrations]}" "${res[$nm.wall_s]}" "${res[$nm.cpu_s]}" "${res[$nm.tps]}" \
    "${res[$nm.cpu_ms_per_1000_txn]}" "${res[$nm.cpu_ms_per_1000_reg]}" "${res[$nm.sipp_cpu]}" \
    "${res[$nm.all_tps]}"
done
echo
drops=$(for a in none digest; do for c in bellbird baresip; do printf '%s-%s %s, ' $c $a "${res[$c-$a.rcvbuf]}"; done; done)
echo "txns: REGISTER transactions (distinct Via branches). retrans: REGISTER retransmissions, each a"
echo "response the client did not read in time (UDP RcvbufErrors on the machine in each window:"
echo "${drops%, })."
echo "CPU: all threads' /proc/PID/task/*/schedstat over the window (utime+stime in 10 ms ticks in"
echo "brackets); max: getrusage(RUSAGE_SELF) of bench-register. ms/1000 reg: per successful"
echo "registration (200). With Digest baresip 1.0 sends each refresh without credentials and answers"
echo "the 401 (2 transactions per refresh); Bellbird reuses the last challenge (RFC 3261 §22.3)."
echo "sipp CPU: sipp's user+sys over bench-register's wall time; near 100 % would mean sipp set the pace."
echo
awk -v t="${res[max-none.tps]}" -v c="${res[max-none.cpu_ms_per_1000_txn]}" \
    -v dt="${res[max-digest.tps]}" -v dc="${res[max-digest.cpu_ms_per_1000_txn]}" \
    -v dr="${res[max-digest.cpu_ms_per_1000_reg]}" -v k="$k" \
    'BEGIN { printf "register max (bellbird alone, %d in flight): %d tps, %.1f ms CPU/1000; with Digest %d tps, %.1f ms CPU/1000 transactions (%.1f per registration)\n",
             k, t, c, dt, dc, dr }'
awk -v bt="${res[bellbird-digest.tps]}" -v bc="${res[bellbird-digest.per1000]}" \
    -v rt="${res[baresip-digest.tps]}" -v rc="${res[baresip-digest.per1000]}" \
    -v bg="${res[bellbird-digest.per1000reg]}" -v rg="${res[baresip-digest.per1000reg]}" \
    'BEGIN { printf "register (digest): bellbird %d tps, %.1f ms CPU/1000; baresip %d tps, %.1f ms CPU/1000; CPU ratio %.2f (per 1000 registrations: %.1f vs %.1f ms, ratio %.2f)\n",
             bt, bc, rt, rc, bc / rc, bg, rg, bg / rg }'
awk -v bt="${res[bellbird-none.tps]}" -v bc="${res[bellbird-none.per1000]}" \
    -v rt="${res[baresip-none.tps]}" -v rc="${res[baresip-none.per1000]}" \
    'BEGIN { printf "register: bellbird %d tps, %.1f ms CPU/1000; baresip %d tps, %.1f ms CPU/1000; CPU ratio %.2f\n",
             bt, bc, rt, rc, bc / rc }'
