#!/usr/bin/env bash
# Run LectureOrder on the embedded SQLite default with demo data: http://127.0.0.1:5000
# Creates the virtualenv, installs, compiles translations, upgrades the database, loads the demo
# data when the database is empty, starts the one scheduler process and the web server.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e .
.venv/bin/pybabel -q compile -d lectureorder/translations
mkdir -p instance
if [ ! -f instance/config.py ]; then
  key=$(.venv/bin/python -c 'import secrets; print(secrets.token_hex(32))')
  printf 'SECRET_KEY = "%s"\n' "$key" > instance/config.py
fi
.venv/bin/flask --app lectureorder db upgrade
.venv/bin/flask --app lectureorder seed-demo --if-empty
.venv/bin/flask --app lectureorder scheduler &
scheduler=$!
trap 'kill $scheduler 2>/dev/null || true' EXIT INT TERM
echo "LectureOrder: http://127.0.0.1:${PORT:-5000}  (coordinator / demo1234, member01 / demo1234)"
.venv/bin/waitress-serve --host 127.0.0.1 --port "${PORT:-5000}" --threads 8 --call lectureorder:create_app
