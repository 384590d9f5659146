#!/bin/bash
# check-install.sh BUILDDIR APP_ID WITH_XVFB: `meson install --destdir` into a temporary root
# holds every file a user needs (binaries, desktop file, metainfo, schema, D-Bus service,
# hicolor icons, the zh_CN catalogue), and the installed bellbird starts by D-Bus activation
# from its own service file, opens its window, and quits when asked.
set -euo pipefail
build=$1 app_id=$2 with_xvfb=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail () { echo "check-install: $*" >&2; exit 1; }

meson install -C "$build" --destdir "$tmp/root" --no-rebuild --quiet > "$tmp/install.log" 2>&1 ||
  { cat "$tmp/install.log" >&2; fail "meson install failed"; }

# The prefix is wherever bin/bellbird landed under the root.
bin=$(find "$tmp/root" -path '*/bin/bellbird' -type f | head -n 1)
[ -n "$bin" ] || fail "no bin/bellbird"
prefix=${bin%/bin/bellbird}
share=$prefix/share
expect=(
  "bin/bellbird" "bin/bellbird-cli"
  "share/applications/$app_id.desktop"
  "share/metainfo/$app_id.metainfo.xml"
  "share/glib-2.0/schemas/$app_id.gschema.xml"
  "share/dbus-1/services/$app_id.service"
  "share/icons/hicolor/scalable/apps/$app_id.svg"
  "share/icons/hicolor/symbolic/apps/$app_id-symbolic.svg"
  "share/locale/zh_CN/LC_MESSAGES/bellbird.mo"
)
# PNG sizes are rendered at install time when rsvg-convert is there (icons/meson.build).
if command -v rsvg-convert > /dev/null; then
  for size in 16 24 32 48 64 128 256 512; do
    expect+=("share/icons/hicolor/${size}x${size}/apps/$app_id.png")
  done
fi
for file in "${expect[@]}"; do
  [ -s "$prefix/$file" ] || fail "missing $file"
  echo "ok: $file"
done
[ -x "$prefix/bin/bellbird" ] && [ -x "$prefix/bin/bellbird-cli" ] || fail "binaries not executable"

# Translated at build time, and pointing at what is installed.
grep -q '^Name\[zh_CN\]=' "$share/applications/$app_id.desktop" ||
  fail "desktop file not translated"
grep -q 'xml:lang="zh_CN"' "$share/metainfo/$app_id.metainfo.xml" || fail "metainfo not translated"
real_prefix=${prefix#"$tmp/root"}
grep -qx "Exec=$real_prefix/bin/bellbird --gapplication-service" \
  "$share/dbus-1/services/$app_id.service" || fail "service Exec is not $real_prefix/bin/bellbird"
grep -qx "Name=$app_id" "$share/dbus-1/services/$app_id.service" || fail "service Name"
if command -v desktop-file-validate > /dev/null; then
  desktop-file-validate "$share/applications/$app_id.desktop"
fi
if command -v rsvg-convert > /dev/null && command -v file > /dev/null; then
  file "$share/icons/hicolor/48x48/apps/$app_id.png" | grep -q '48 x 48' || fail "48x48 PNG size"
fi

# Run from the installed prefix: the session bus starts it from (a copy of) its service file,
# with the Exec moved under the temporary root.
mkdir -p "$tmp/services/dbus-1/services" "$tmp/schemas"
sed "s|^Exec=$real_prefix/|Exec=$prefix/|" "$share/dbus-1/services/$app_id.service" \
  > "$tmp/services/dbus-1/services/$app_id.service"
cp "$share/glib-2.0/schemas/"*.xml "$tmp/schemas/"
glib-compile-schemas --strict "$tmp/schemas"

# The activated app inherits the bus's environment: settings in memory, the core on loopback,
# no sound devices.
export XDG_DATA_DIRS="$tmp/services:$share:${XDG_DATA_DIRS:-/usr/local/share:/usr/share}"
export GSETTINGS_SCHEMA_DIR=$tmp/schemas GSETTINGS_BACKEND=memory
export BELLBIRD_LOCALEDIR=$share/locale LANGUAGE=zh_CN LC_ALL=C.UTF-8
export BELLBIRD_SIP_PORT=0 BELLBIRD_BIND=127.0.0.1 BELLBIRD_AUDIO_IN=tone \
       BELLBIRD_AUDIO_OUT=none BELLBIRD_RINGTONE_OUTPUT=none
export GDK_DEBUG=gl-disable GSK_RENDERER=cairo
export APP_ID=$app_id
"$with_xvfb" bash -c '
  set -euo pipefail
  path=/${APP_ID//./\/}
  bus () { gdbus call --session --timeout 20 "$@"; }
  # Activate starts the service (DBusActivatable) and asks for the window.
  bus --dest "$APP_ID" --object-path "$path" --method org.freedesktop.Application.Activate "{}"
  pid=$(bus --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus \
        --method org.freedesktop.DBus.GetConnectionUnixProcessID "$APP_ID" |
        sed -E "s/.*uint32 ([0-9]+).*/\1/")
  echo "bellbird started by the bus: pid $pid"
  stop () { kill "$pid" 2> /dev/null || true; }
  trap stop EXIT
  # GtkApplication exports each window'"'"'s actions at PATH/window/N once it exists.
  for i in $(seq 100); do
    gdbus introspect --session --dest "$APP_ID" --object-path "$path/window/1" 2> /dev/null |
      grep -q org.gtk.Actions && break
    [ "$i" = 100 ] && { echo "no window after Activate" >&2; exit 1; }
    sleep 0.1
  done
  echo "window open"
  bus --dest "$APP_ID" --object-path "$path" \
      --method org.freedesktop.Application.ActivateAction quit "[]" "{}"
  for i in $(seq 100); do
    kill -0 "$pid" 2> /dev/null || { echo "quit"; trap - EXIT; exit 0; }
    sleep 0.1
  done
  echo "bellbird did not quit" >&2
  exit 1
'
