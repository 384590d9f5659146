#!/bin/sh
# take-screenshots.sh BELL_SCREENSHOTS WITH_XVFB OUTDIR SCHEMA_DIR LOCALEDIR BELLBIRD_CLI LOCPATH:
# the window's screenshots in English (OUTDIR/*.png) and in Chinese (OUTDIR/zh_CN/*.png), each
# run on its own private X server with fresh settings and data. Run by
# `meson compile -C BUILD screenshots`; the Chinese run fails when a string was not translated.
# Chinese text needs a CJK font (Debian: fonts-noto-cjk).
set -eu
shoot=$1 with_xvfb=$2 outdir=$3
export GSETTINGS_SCHEMA_DIR=$4 BELLBIRD_LOCALEDIR=$5 BELLBIRD_CLI=$6
export GSETTINGS_BACKEND=memory GDK_DEBUG=gl-disable GSK_RENDERER=cairo
# One look, whatever the desktop's settings: libadwaita's default light style.
export ADW_DISABLE_PORTAL=1
unset GTK_THEME

if ! fc-list :lang=zh family | grep -q .; then
  echo "take-screenshots.sh: no Chinese font (install fonts-noto-cjk)" >&2
  exit 1
fi
LANGUAGE=en LC_ALL=C.UTF-8 "$with_xvfb" "$shoot" "$outdir"
# The zh_CN.UTF-8 locale from the build tree (make-locale.sh): Chinese dates too.
LOCPATH=$7 LANGUAGE=zh_CN LC_ALL=zh_CN.UTF-8 "$with_xvfb" "$shoot" "$outdir/zh_CN"
