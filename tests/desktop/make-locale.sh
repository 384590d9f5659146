#!/bin/sh
# make-locale.sh OUTDIR: compiles the zh_CN.UTF-8 locale into OUTDIR (for LOCPATH=its parent),
# so the Chinese tests and screenshots have Chinese dates too, without touching the system's
# locales. Where the locale sources are missing (no `locales` package) OUTDIR stays empty and
# the tests fall back to C.UTF-8 (LANGUAGE=zh_CN still translates every message).
set -u
out=$1
rm -rf "$out"
mkdir -p "$out"
if ! localedef -i zh_CN -f UTF-8 "$out" 2> "$out.log" || [ ! -s "$out/LC_CTYPE" ]; then
  echo "make-locale.sh: no zh_CN.UTF-8 locale (package locales):" >&2
  cat "$out.log" >&2
  rm -rf "$out"
  mkdir -p "$out"
fi
rm -f "$out.log"
exit 0
