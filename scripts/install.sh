#!/usr/bin/env bash
# Install what is missing: the Python environment, the PWA's packages and build, and Chromium for
# browser tests. Safe to run again; it only does what is not done yet.
set -euo pipefail
cd "$(dirname "$0")/.."

want_browser=${HAULPORT_INSTALL_BROWSER:-1}
pip_quiet=(--quiet --disable-pip-version-check)

# The portal app's packages download while the Python ones install (neither needs the other).
npm_log=
if [ -f client_pwa/package.json ]; then
  if ! command -v npm >/dev/null; then
    echo "npm is needed to build the portal app (install Node.js 20+)" >&2
    exit 1
  fi
  if [ ! -d client_pwa/node_modules ] || [ client_pwa/package-lock.json -nt client_pwa/node_modules ]; then
    echo "==> installing the portal app's packages (npm ci, in the background)"
    npm_log=$(mktemp)
    (cd client_pwa && npm ci --no-audit --no-fund --prefer-offline --loglevel=error) >"$npm_log" 2>&1 &
    npm_pid=$!
  fi
fi

if [ ! -x .venv/bin/python ]; then
  echo "==> creating the Python environment (.venv)"
  python3 -m venv .venv
fi
stamp=.venv/.haulport-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ requirements.lock -nt "$stamp" ]; then
  # The exact versions of requirements.lock (refresh it: see CONTRIBUTING.md), then Haulport itself.
  # (pip's notes about this machine's optional local package indexes are noise: filter them out)
  # uv installs the same pinned versions as pip, about ten times faster (8 s against 83 s for the
  # lock on a fresh environment here); pip does it if uv cannot be had.
  if [ ! -x .venv/bin/uv ]; then
    .venv/bin/pip install "${pip_quiet[@]}" uv 2> >(grep -v "is ignored: it is neither" >&2) || true
  fi
  echo "==> installing the Python packages of requirements.lock"
  if [ -x .venv/bin/uv ]; then
    .venv/bin/uv pip install --quiet --python .venv/bin/python -r requirements.lock
  else
    .venv/bin/pip install "${pip_quiet[@]}" --no-compile -r requirements.lock 2> >(grep -v "is ignored: it is neither" >&2)
  fi
  echo "==> installing Haulport itself (editable)"
  # (setuptools explains how editable installs work on every one: shown only if the install fails)
  if [ -x .venv/bin/uv ]; then
    install_self=(.venv/bin/uv pip install --quiet --python .venv/bin/python --no-deps -e .)
  else
    install_self=(.venv/bin/pip install "${pip_quiet[@]}" --no-deps -e .)
  fi
  if ! out=$("${install_self[@]}" 2>&1); then
    echo "$out" >&2
    exit 1
  fi
  touch "$stamp"
fi

if [ -f client_pwa/package.json ]; then
  .venv/bin/python scripts/gen_ts_types.py >/dev/null  # (quick: the app's types from the Python definitions)
  if [ -n "$npm_log" ]; then
    echo "==> waiting for the portal app's packages"
    if ! wait "$npm_pid"; then
      cat "$npm_log" >&2
      echo "npm ci failed" >&2
      exit 1
    fi
    rm -f "$npm_log"
  fi
  newest_src=$(find client_pwa/src client_pwa/index.html client_pwa/vite.config.ts client_pwa/public -newer client_pwa/dist/index.html 2>/dev/null | head -n 1 || true)
  if [ ! -f client_pwa/dist/index.html ] || [ -n "$newest_src" ]; then
    echo "==> building the portal app (type checks, then Vite)"
    (cd client_pwa && npm run build --silent -- --logLevel warn)
  fi
fi

if [ "$want_browser" = "1" ] && [ ! -x /usr/bin/chromium ]; then
  echo "==> installing Chromium (Debian package) for the browser tests"
  if [ "$(id -u)" = "0" ]; then
    apt-get install -y chromium >/dev/null 2>&1 || (apt-get update >/dev/null && apt-get install -y chromium >/dev/null)
  else
    sudo apt-get install -y chromium >/dev/null 2>&1 || (sudo apt-get update >/dev/null && sudo apt-get install -y chromium >/dev/null)
  fi
fi
