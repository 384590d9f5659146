#!/usr/bin/env bash
# with-xvfb.sh CMD ARGS...: runs CMD with a private X server (Xvfb, a display number it picks
# itself) and a private D-Bus session bus, so UI tests need no display and touch no user
# session. The X server is stopped by its pid when CMD ends; CMD's exit status is ours.
set -euo pipefail

command -v Xvfb > /dev/null || { echo "with-xvfb.sh: Xvfb not found (package xvfb)" >&2; exit 1; }
command -v dbus-run-session > /dev/null ||
  { echo "with-xvfb.sh: dbus-run-session not found (package dbus)" >&2; exit 1; }

tmp=$(mktemp -d)
xvfb_pid=
cleanup () {
  if [ -n "$xvfb_pid" ]; then
    kill "$xvfb_pid" 2> /dev/null || true
    wait "$xvfb_pid" 2> /dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# -displayfd: Xvfb picks a free display and writes its number once it accepts clients.
mkfifo "$tmp/display"
Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp -noreset 3> "$tmp/display" 2> "$tmp/xvfb.log" &
xvfb_pid=$!
display=
read -r -t 20 display < "$tmp/display" || true
if [ -z "$display" ]; then
  echo "with-xvfb.sh: Xvfb did not start:" >&2
  cat "$tmp/xvfb.log" >&2
  exit 1
fi

export DISPLAY=":$display" GDK_BACKEND=x11 NO_AT_BRIDGE=1 GTK_A11Y=none
# The test's own home: settings, data and keyring never the user's.
export XDG_RUNTIME_DIR=$tmp/run XDG_CONFIG_HOME=$tmp/config XDG_DATA_HOME=$tmp/data \
       XDG_CACHE_HOME=$tmp/cache
mkdir -m 700 -p "$XDG_RUNTIME_DIR" "$XDG_CONFIG_HOME" "$XDG_DATA_HOME" "$XDG_CACHE_HOME"
set +e
dbus-run-session -- "$@"
status=$?
set -e
exit "$status"
