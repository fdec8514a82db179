#!/usr/bin/env bash
# Install what is missing and run every check: ruff, pyright, tsc, vitest, then the test suite on
# SQLite and on PostgreSQL.
# PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379) are required when CI=true; elsewhere
# the tests that need them are skipped when they are unreachable.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install.sh

export PYTHONDONTWRITEBYTECODE=1
mkdir -p test-artifacts

# The static checks first: they take seconds and fail fast.
echo "==> ruff (lint and format)"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "==> pyright (server/ and sync/, basic mode)"
PYRIGHT_PYTHON_IGNORE_WARNINGS=1 .venv/bin/pyright  # (skips its "newer version" lookup on PyPI)
echo "==> tsc (the app, then the service worker)"
(cd client_pwa && npx --no-install tsc --noEmit -p tsconfig.json && npx --no-install tsc --noEmit -p tsconfig.sw.json)
echo "==> vitest (the app's unit tests)"
(cd client_pwa && npx --no-install vitest run --reporter=dot)

echo "==> tests on SQLite"
.venv/bin/python -m pytest tests --durations=15 "$@"

pg_up() { .venv/bin/python - <<'PY'
import asyncio, sys, asyncpg
async def main():
    try:
        conn = await asyncio.wait_for(asyncpg.connect("postgresql://postgres@127.0.0.1:5432/postgres"), 5)
        await conn.close()
    except Exception as exc:
        print(f"PostgreSQL unreachable: {exc}", file=sys.stderr); sys.exit(1)
asyncio.run(main())
PY
}
if pg_up; then
  echo "==> tests on PostgreSQL"
  HAULPORT_TEST_DATABASE=postgres .venv/bin/python -m pytest tests -m "not browser" --durations=15 "$@"
elif [ "${CI:-}" = "true" ]; then
  echo "PostgreSQL is required in CI (127.0.0.1:5432)" >&2
  exit 1
else
  echo "==> PostgreSQL not reachable: skipping the PostgreSQL run (required in CI)"
fi
