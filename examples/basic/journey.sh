#!/usr/bin/env bash
# Walk the whole BindID journey against a running example (`npm start`) with curl, using the
# emulator's `identity=` shortcut instead of clicking on its sign-in page. Each step checks what it
# got; the script stops with exit code 1 at the first surprise (test/examples/journey-script.test.ts
# runs it against the example).
# Usage: examples/basic/journey.sh [base URL] [emulator identity]   (defaults: http://localhost:3000 alice)
# A second run with the same identity finds it linked and signs in directly.
set -euo pipefail
base="${1:-http://localhost:3000}"
identity="${2:-alice}"
jar="$(mktemp)"; trap 'rm -f "$jar"' EXIT
c() { curl -sS -b "$jar" -c "$jar" "$@"; }
# Where a request redirects to; for an answer that does not redirect, its status ("HTTP 503").
location() {
  local answer
  answer="$(c -o /dev/null -w '%{http_code} %{redirect_url}' "$@")"
  if [[ -n "${answer#* }" ]]; then echo "${answer#* }"; else echo "HTTP ${answer%% *}"; fi
}
fail() { echo "   FAILED: $*" >&2; exit 1; }
signed_in_as() { c "$base/account" | grep -o 'Username: <strong>[^<]*' | sed 's/.*<strong>//' || true; }
bindid_sign_in() {
  local authorize
  authorize="$(location "$base/login/bindid?returnTo=/account")"
  [[ "$authorize" == *"/authorize?"* ]] || fail "GET /login/bindid did not redirect to BindID's /authorize (got '$authorize')"
  location "$(location "$authorize&identity=$identity")"
}

echo "1. Sign in with BindID as '$identity'"
next="$(bindid_sign_in)"
if [[ "$next" != */bindid/confirm ]]; then
  [[ "$next" == "$base/account" ]] || fail "neither the confirm page nor the account page (got '$next')"
  echo "   BindID already knows '$identity' here: signed in directly at $next as $(signed_in_as)"
  exit 0
fi
echo "   new BindID user: sent to $next"

echo "2. Confirm page, wrong password"
csrf="$(c "$next" | sed -n 's/.*name="_csrf" value="\([^"]*\)".*/\1/p' | head -n1)"
[[ -n "$csrf" ]] || fail "the confirm page has no CSRF token"
status="$(c -o /dev/null -w '%{http_code}' -H "Origin: $base" --data-urlencode "_csrf=$csrf" \
  --data-urlencode username=demo --data-urlencode password=wrong "$next")"
[[ "$status" == 401 ]] || fail "a wrong password answered HTTP $status, not 401"
echo "   HTTP $status: the generic message, nothing sent to BindID"

echo "3. Right password"
landed="$(location -H "Origin: $base" --data-urlencode "_csrf=$csrf" --data-urlencode username=demo \
  --data-urlencode 'password=correct horse battery staple' "$next")"
[[ "$landed" == "$base/account" ]] || fail "the right password did not land on $base/account (got '$landed')"
user="$(signed_in_as)"
[[ "$user" == demo ]] || fail "not signed in as demo after confirming (got '$user')"
echo "   landed on $landed as $user"

echo "4. Sign out, then BindID again as '$identity'"
logout_csrf="$(c "$base/account" | sed -n 's/.*action="\/logout".*name="_csrf" value="\([^"]*\)".*/\1/p' | head -n1)"
[[ -n "$logout_csrf" ]] || fail "the account page's sign-out form has no CSRF token"
c -o /dev/null -H "Origin: $base" --data-urlencode "_csrf=$logout_csrf" "$base/logout"
[[ -z "$(signed_in_as)" ]] || fail "still signed in after logout"
back="$(bindid_sign_in)"
[[ "$back" == "$base/account" ]] || fail "the second BindID sign-in did not go straight in (got '$back')"
user="$(signed_in_as)"
[[ "$user" == demo ]] || fail "not signed in as demo by alias (got '$user')"
echo "   signed in directly at $back as $user (no password)"
