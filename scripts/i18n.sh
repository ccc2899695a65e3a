#!/usr/bin/env bash
# Refresh the message catalogues: extract every marked string (gettext/_ , _l, lazy_gettext, N_)
# into messages.pot, merge it into the Chinese and English catalogues (creating them when
# missing, keeping existing translations, dropping obsolete entries), then compile the .mo files.
#
# Afterwards translate every new entry (and any entry flagged `#, fuzzy`) in
#   lectureorder/translations/zh_Hans_CN/LC_MESSAGES/messages.po
# tests/test_i18n.py fails, listing them, while any msgid lacks a Chinese translation.
# The English catalogue may stay empty (English falls back to the msgid); fill a msgstr
# there only to reword a msgid that does not read well.
#
# Why zh_Hans_CN and not zh_CN: the app selects "zh_CN", but Babel parses it to the CLDR
# locale zh_Hans_CN and Flask-Babel looks for a catalogue under that name; a zh_CN directory
# is silently ignored and the pages stay in English.
set -euo pipefail
cd "$(dirname "$0")/.."

PYBABEL=.venv/bin/pybabel
DIR=lectureorder/translations
POT=$DIR/messages.pot
LOCALES=(zh_Hans_CN en)

if [ -d "$DIR/zh_CN" ]; then
  echo "error: $DIR/zh_CN exists, but Flask-Babel only loads $DIR/zh_Hans_CN (see this script)." >&2
  echo "       Merge its translations into $DIR/zh_Hans_CN and remove it." >&2
  exit 1
fi

# Babel skips folders starting with "_" by default; templates/_macros must be read too.
"$PYBABEL" extract -F babel.cfg -k _l -k N_ -k lazy_gettext --ignore-dirs '.*' \
  --no-location --sort-output \
  --project=LectureOrder --copyright-holder=LectureOrder \
  -o "$POT" .

for locale in "${LOCALES[@]}"; do
  if [ -f "$DIR/$locale/LC_MESSAGES/messages.po" ]; then
    # English falls back to the msgid: a fuzzy guess there would only do harm.
    fuzzy=()
    [ "$locale" = en ] && fuzzy=(--no-fuzzy-matching)
    "$PYBABEL" update -i "$POT" -d "$DIR" -l "$locale" --ignore-obsolete "${fuzzy[@]}"
  else
    "$PYBABEL" init -i "$POT" -d "$DIR" -l "$locale"
  fi
done

# A fuzzy guess from `update` may carry the wrong placeholders; compile reports it (and still
# writes the .mo files without fuzzy entries). Translate or fix those entries, then run again.
if ! "$PYBABEL" compile -d "$DIR"; then
  echo "i18n.sh: pybabel compile reported errors (see above): fix those entries and run again." >&2
  exit 1
fi
