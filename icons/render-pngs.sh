#!/bin/sh
# render-pngs.sh RSVG_CONVERT SVG ICONDIR APP_ID SIZE...: at `meson install`, renders the
# scalable app icon as ICONDIR/NxN/apps/APP_ID.png for each size, under DESTDIR when set.
set -eu
rsvg=$1 svg=$2 icondir=$3 app_id=$4
shift 4
for size in "$@"; do
  dir="${DESTDIR:-}$icondir/${size}x${size}/apps"
  mkdir -p "$dir"
  "$rsvg" --width "$size" --height "$size" --output "$dir/$app_id.png" "$svg"
done
