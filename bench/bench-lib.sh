# bench-lib.sh: what the benchmark scripts share (sourced; they define die() first).

# Builds TARGET (a ninja target) in BUILDDIR, a release build of SRCDIR with -Dbench=true,
# logs in TMPDIR.
bench_build () {   # BUILDDIR SRCDIR TMPDIR TARGET
  local builddir=$1 srcdir=$2 tmp=$3 target=$4 setup
  if [ ! -f "$builddir/build.ninja" ]; then
    [ ! -d "$builddir/meson-private" ] || rm -rf "$builddir"
    setup=(meson setup "$builddir" "$srcdir" -Dbench=true --buildtype=release -Dgui=disabled)
  else
    setup=(meson configure "$builddir" -Dbench=true -Dbuildtype=release)
  fi
  if ! "${setup[@]}" > "$tmp/setup.log" 2>&1; then
    tail -n 20 "$tmp/setup.log" >&2
    die "meson failed"
  fi
  if ! ninja -C "$builddir" "$target" > "$tmp/build.log" 2>&1; then
    grep -E -A5 'error|FAILED' "$tmp/build.log" | head -n 40 >&2
    die "build failed"
  fi
}

# A free port P on 127.0.0.1 with UDP and TCP free on P and P+1 (baresip takes P+1 for TLS).
free_port () {
  python3 - <<'PY'
import random, socket
for _ in range(200):
    p = random.randrange(20000, 60000, 2)
    socks = []
    try:
        for port in (p, p + 1):
            for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
                s = socket.socket(socket.AF_INET, kind)
                socks.append(s)
                s.bind(("127.0.0.1", port))
        print(p)
        break
    except OSError:
        pass
    finally:
        for s in socks:
            s.close()
PY
}

# CPU nanoseconds of PID, all threads (schedstat; %.0f, not %d: mawk's %d stops at 2^31 ns),
# and utime+stime ticks (stat: the fields after the ")" of the command name, 12th and 13th).
cpu_ns () {
  cat /proc/"$1"/task/*/schedstat 2> /dev/null | awk '{ s += $1 } END { printf "%.0f", s }'
}
cpu_ticks () {
  sed 's/.*) //' /proc/"$1"/stat | awk '{ print $12 + $13 }'
}
now () { date '+%Y-%m-%d %H:%M:%S.%6N'; }

stop_pid () {   # PID [SIGNAL]: stop a process we started and reap it
  local p=$1 sig=${2:-TERM}
  kill -"$sig" "$p" 2> /dev/null || true
  for _ in $(seq 1 20); do
    kill -0 "$p" 2> /dev/null || break
    sleep 0.05
  done
  kill -KILL "$p" 2> /dev/null || true
  wait "$p" 2> /dev/null || true
}

# Kills the script's own background jobs still running, and their children, by pid (for an
# EXIT trap: never by name).
kill_our_jobs () {
  local p c
  for p in $(jobs -p); do
    for c in $(pgrep -P "$p" 2> /dev/null || true); do
      kill -KILL "$c" 2> /dev/null || true
    done
    kill -KILL "$p" 2> /dev/null || true
  done
}
