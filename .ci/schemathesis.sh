#!/usr/bin/env bash
# Schemathesis (`--checks all`) against a demo server, signed in as the
# applicant, a window clerk and the catalogue admin in turn. Every check
# runs; operations whose schema-valid requests are rightly refused for a
# business reason say so in .ci/schemathesis.toml, one reason per line.
# Usage: .ci/schemathesis.sh path/to/tongban [max examples per operation]
set -euo pipefail
BIN="$1"
EXAMPLES="${2:-25}"
here="$(cd "$(dirname "$0")" && pwd)"
dir="$(mktemp -d)"
port=$(( 20000 + RANDOM % 20000 ))
base="http://127.0.0.1:${port}"
"$BIN" serve --listen "127.0.0.1:${port}" --data-dir "$dir/data" >"$dir/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
for _ in $(seq 1 120); do
  curl -fsS "$base/healthz" >/dev/null 2>&1 && break
  sleep 0.5
done
curl -fsS "$base/healthz" >/dev/null
# Sign everyone in first: the runs try wrong passwords, and the login
# limit would then refuse the next sign-in from this address.
login() {
  local user="$1" jar="$dir/jar-$1-$2"
  local body
  body=$(curl -fsS -c "$jar" -H 'content-type: application/json' \
    -d "{\"username\":\"${user}\",\"password\":\"tongban-demo\"}" "$base/api/v1/session")
  printf '%s %s\n' "$(awk '$6 == "tb_session" { print $7 }' "$jar")" \
    "$(printf '%s' "$body" | python3 -c 'import json,sys; print(json.load(sys.stdin)["csrf_token"])')"
}
users=(applicant clerk catalog)
declare -A session csrf spare spare_csrf
for user in "${users[@]}"; do
  read -r session[$user] csrf[$user] < <(login "$user" main)
  # A second session of the same user, for the run's own sign-outs.
  read -r spare[$user] spare_csrf[$user] < <(login "$user" spare)
  # Without a session every call would answer 401 and the run test nothing.
  for v in "${session[$user]:-}" "${csrf[$user]:-}" "${spare[$user]:-}" "${spare_csrf[$user]:-}"; do
    [[ -n "$v" ]] || { echo "signing in as ${user} failed" >&2; exit 1; }
  done
done
ST="${ST:-st}"
run() {
  (cd "$here" && "$ST" --config-file schemathesis.toml run "$base/api/openapi.json" \
      --checks all --max-examples "$EXAMPLES" --workers 1 --seed 1 --no-color \
      --suppress-health-check=too_slow "$@")
}
# The roles run side by side (each its own sessions, one worker each:
# Python's parser is not safe for hypothesis' threads), their reports
# printed in order when all are done. Generation is slower on a loaded
# machine, so its speed health check is off; every check still runs.
as_user() {
  local user="$1" s=0
  echo "== schemathesis as ${user}"
  TB_SESSION="${session[$user]}" TB_CSRF="${csrf[$user]}" \
    run --exclude-name 'DELETE /api/v1/session' || s=1
  # Signing out ends the session it is given: tried with the second one.
  echo "== schemathesis as ${user}: signing out"
  TB_SESSION="${spare[$user]}" TB_CSRF="${spare_csrf[$user]}" \
    run --include-name 'DELETE /api/v1/session' || s=1
  return $s
}
declare -A job
for user in "${users[@]}"; do
  as_user "$user" >"$dir/st-$user.log" 2>&1 &
  job[$user]=$!
done
status=0
for user in "${users[@]}"; do
  wait "${job[$user]}" || status=1
  cat "$dir/st-$user.log"
done
# The audit trail is intact after everything the runs did (SIGTERM drains
# the server first).
kill -TERM "$pid" 2>/dev/null || true
for _ in $(seq 1 120); do
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.5
done
if kill -0 "$pid" 2>/dev/null; then
  echo "the server did not stop within 60 s of SIGTERM" >&2
  kill -9 "$pid" 2>/dev/null || true
  status=1
fi
wait "$pid" 2>/dev/null || true
echo "== tongban audit verify after the runs"
"$BIN" audit verify --data-dir "$dir/data" || status=1
exit $status
