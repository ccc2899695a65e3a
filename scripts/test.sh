#!/usr/bin/env bash
# Run the test suite (installs into .venv first). Extra arguments go to pytest.
# On SQLite by default; LECTUREORDER_TEST_DATABASE=postgresql+psycopg://... runs it on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test]'
.venv/bin/pybabel -q compile -d lectureorder/translations
exec .venv/bin/pytest "$@"
