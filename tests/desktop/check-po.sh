#!/bin/sh
# check-po.sh CHECK SRCROOT TMP: the translations kept in step with the sources.
#   potfiles        po/POTFILES.in lists exactly the files with marked strings (potfiles.sh)
#   pot-current     every msgid in those files is in po/bellbird.pot
#   complete-zh_CN  po/zh_CN.po translates every msgid of the sources (none fuzzy or missing)
# After a user-visible string is added or changed, refresh and translate:
#   meson compile -C _build bellbird-pot        (po/bellbird.pot from the sources)
#   meson compile -C _build bellbird-update-po  (merged into po/*.po: translate what is new)
set -eu
check=$1 src=$2 tmp=$3
here=$(dirname "$0")
rm -rf "$tmp"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT

# The msgids the sources have now, extracted as meson's i18n 'glib' preset does.
fresh_pot () {
  (cd "$src" && xgettext --from-code=UTF-8 --add-comments \
    --keyword=_ --keyword=N_ --keyword=C_:1c,2 --keyword=NC_:1c,2 --keyword=g_dcgettext:2 \
    --keyword=g_dngettext:2,3 --keyword=g_dpgettext2:2c,3 \
    --files-from=po/POTFILES.in --output="$tmp/fresh.pot" 2> "$tmp/xgettext.log") ||
    { cat "$tmp/xgettext.log" >&2; exit 1; }
}

case $check in
  potfiles)
    grep -v '^#' "$src/po/POTFILES.in" | grep -v '^$' > "$tmp/listed"
    "$here/potfiles.sh" "$src" > "$tmp/marked"
    if ! diff -u "$tmp/listed" "$tmp/marked"; then
      echo "po/POTFILES.in differs from the files with marked strings (- listed, + marked):" \
           "regenerate it with tests/desktop/potfiles.sh" >&2
      exit 1
    fi ;;
  pot-current)
    fresh_pot
    # msgcmp DEF REF: every msgid of REF (the sources) must be in DEF (the committed .pot).
    if ! msgcmp --use-untranslated -N "$src/po/bellbird.pot" "$tmp/fresh.pot"; then
      echo "po/bellbird.pot lacks strings the sources have: run" \
           "'meson compile -C _build bellbird-pot' and 'bellbird-update-po'" >&2
      exit 1
    fi ;;
  complete-*)
    fresh_pot
    lang=${check#complete-}
    # Without --use-untranslated/--use-fuzzy, an untranslated or fuzzy entry counts as missing.
    if ! msgcmp -N "$src/po/$lang.po" "$tmp/fresh.pot"; then
      echo "po/$lang.po does not translate every string of the sources" >&2
      exit 1
    fi ;;
  *)
    echo "check-po.sh: unknown check $check" >&2
    exit 2 ;;
esac
