#!/usr/bin/env bash
# Run the portal on this machine: SQLite, demo data, a local test-mode Stripe. Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
HAULPORT_INSTALL_BROWSER=0 ./scripts/install.sh

host=${HAULPORT_HOST:-127.0.0.1}
port=${HAULPORT_PORT:-8000}
export HAULPORT_DEV_MODE=${HAULPORT_DEV_MODE:-true}
export HAULPORT_PUBLIC_URL=${HAULPORT_PUBLIC_URL:-http://$host:$port}
# With the local test-mode Stripe (no key set), the demo takes US bank accounts too.
if [ -z "${HAULPORT_STRIPE_SECRET_KEY:-}" ]; then
  export HAULPORT_STRIPE_BANK_METHOD=${HAULPORT_STRIPE_BANK_METHOD:-us_bank_account}
fi

echo "==> migrating the database"
.venv/bin/haulport migrate >/dev/null
echo "==> loading the demo data"
.venv/bin/haulport seed-demo

echo "==> starting the server on $host:$port"
.venv/bin/haulport serve --host "$host" --port "$port" &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null' INT TERM EXIT
# Say where it runs only once it answers (a port already taken, or a failed start, ends here instead).
for _ in $(seq 1 300); do
  if ! kill -0 "$server" 2>/dev/null; then
    wait "$server" || true
    echo "the server did not start (is port $port taken? HAULPORT_PORT chooses another)" >&2
    exit 1
  fi
  if .venv/bin/python - "$host" "$port" <<'PY' 2>/dev/null; then break; fi
import sys, urllib.request
host, port = sys.argv[1], sys.argv[2]
urllib.request.urlopen(f"http://{host}:{port}/api/public/tenants/demo", timeout=1).close()
PY
  sleep 0.2
done

cat <<MSG

  Haulport is running at $HAULPORT_PUBLIC_URL/t/demo/   (Ctrl-C stops it)

  Log in as a customer:
    1. open $HAULPORT_PUBLIC_URL/t/demo/ and ask for a link for ava@example.com
    2. read the link in the dev outbox: $HAULPORT_PUBLIC_URL/api/dev/outbox
       (or: curl -s '$HAULPORT_PUBLIC_URL/api/dev/outbox?to=ava@example.com')
    3. open the link
  Other demo logins: ops@harbor.example (commercial, primary), gate@harbor.example (site contact),
  office@demo.example / admin@demo.example (office), driver@demo.example (driver, truck T-1).
  Payments run against a local test-mode Stripe: card 4242 4242 4242 4242, any future date, any CVC;
  US bank account: routing 110000000, account 000123456789, then verify with deposits 0.32 and 0.45.

MSG
wait "$server"
