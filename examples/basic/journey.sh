#!/usr/bin/env bash
# Walk the whole BindID journey against a running example (`npm start`) with curl, using the
# emulator's `identity=` shortcut instead of clicking on its sign-in page.
# Usage: examples/basic/journey.sh [base URL] [emulator identity]   (defaults: http://localhost:3000 alice)
set -euo pipefail
base="${1:-http://localhost:3000}"
identity="${2:-alice}"
jar="$(mktemp)"; trap 'rm -f "$jar"' EXIT
c() { curl -sS -b "$jar" -c "$jar" "$@"; }
location() { c -o /dev/null -w '%{redirect_url}' "$@"; }
bindid_sign_in() {
  local authorize
  authorize="$(location "$base/login/bindid?returnTo=/account")"
  location "$(location "$authorize&identity=$identity")"
}

echo "1. Sign in with BindID as '$identity'"
next="$(bindid_sign_in)"
if [[ "$next" != */bindid/confirm ]]; then
  echo "   BindID already knows '$identity' here: signed in directly at $next (try another identity, or 'new')"
  exit 0
fi
echo "   new BindID user: sent to $next"

echo "2. Confirm page, wrong password"
csrf="$(c "$next" | sed -n 's/.*name="_csrf" value="\([^"]*\)".*/\1/p' | head -n1)"
status="$(c -o /dev/null -w '%{http_code}' -H "Origin: $base" --data-urlencode "_csrf=$csrf" \
  --data-urlencode username=demo --data-urlencode password=wrong "$next")"
echo "   HTTP $status (401 expected, nothing sent to BindID)"

echo "3. Right password"
landed="$(location -H "Origin: $base" --data-urlencode "_csrf=$csrf" --data-urlencode username=demo \
  --data-urlencode 'password=correct horse battery staple' "$next")"
echo "   landed on $landed as $(c "$base/account" | grep -o 'Username: <strong>[^<]*' | sed 's/.*<strong>//')"

echo "4. Sign out, then BindID again as '$identity'"
c -o /dev/null -X POST "$base/logout"
echo "   signed in directly at $(bindid_sign_in) as $(c "$base/account" | grep -o 'Username: <strong>[^<]*' | sed 's/.*<strong>//')"
