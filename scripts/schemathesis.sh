#!/usr/bin/env bash
# Runs schemathesis (PyPI) against the demo's generated /openapi.json with
# every check: each request the document allows must be answered as the
# document says. Starts a throwaway demo (its own data folder and ports),
# connects it to the simulator's XPM so the Sync routes do real work, and
# stops it afterwards. Extra arguments go to `schemathesis run`.
#
#   scripts/schemathesis.sh                      # all operations, 100 examples each
#   scripts/schemathesis.sh --max-examples 20 -i /api/clients
set -euo pipefail
cd "$(dirname "$0")/.."

command -v schemathesis >/dev/null || pip install --quiet schemathesis
cargo build --quiet -p pmhub-xpm

data=$(mktemp -d)
log="$data/demo.log"
app_port=${APP_PORT:-18080}
sim_port=${SIM_PORT:-14010}
target/debug/pmhub-xpm demo --data-dir "$data" \
  --listen "127.0.0.1:$app_port" --sim-listen "127.0.0.1:$sim_port" >"$log" 2>&1 &
demo=$!
trap 'kill $demo 2>/dev/null; wait $demo 2>/dev/null; rm -rf "$data"' EXIT

for _ in $(seq 1 100); do
  grep -q "API token:" "$log" 2>/dev/null && break
  kill -0 $demo 2>/dev/null || { cat "$log"; exit 1; }
  sleep 0.2
done
token=$(grep -o 'pmx_[A-Za-z0-9_-]*' "$log" | head -1)
[ -n "$token" ] || { echo "the demo printed no API token" >&2; cat "$log"; exit 1; }

app="http://127.0.0.1:$app_port"
# The rules no schema can state (one date before another...): see the file.
export SCHEMATHESIS_HOOKS=schemathesis_hooks
export PYTHONPATH="$PWD/scripts${PYTHONPATH:+:$PYTHONPATH}"
schemathesis run "$app/openapi.json" --url "$app" \
  --checks all \
  --header "Authorization: Bearer $token" \
  --max-examples "${MAX_EXAMPLES:-100}" \
  "$@"
