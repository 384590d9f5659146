#!/bin/sh
# potfiles.sh SRCROOT: prints, sorted, every file under src/ and data/ with strings marked for
# translation (_(), N_(), C_(), NC_(), g_dngettext/g_dpgettext2 in C; translatable="yes" in
# .ui; the desktop, metainfo and GSettings files). po/POTFILES.in must be exactly this list
# (tests/desktop/check-po.sh compares them).
set -eu
cd "$1"
{
  grep -rlE --include='*.c' '(^|[^[:alnum:]_])(N_|C_|NC_|_) ?\(|g_d(n|p|c)gettext2? ?\(' src
  grep -rl --include='*.ui' 'translatable="yes"' src
  ls data/*.desktop.in data/*.metainfo.xml.in data/*.gschema.xml
} | LC_ALL=C sort -u
