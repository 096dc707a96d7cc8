#!/usr/bin/env bash
# Walk the whole BindID journey against a running example (`npm start`) with curl, using the
# emulator's `identity=` shortcut instead of clicking on its sign-in page. Each step checks what it
# got; the script stops with exit code 1 at the first surprise, saying which step failed, the HTTP
# status and the page's error (test/examples/journey-script.test.ts runs it against the example).
# It confirms with the example's account `journey`, which is there for this script: walking the
# example by hand with `demo` first does not get in its way.
# Usage: examples/basic/journey.sh [base URL] [emulator identity]   (defaults: http://localhost:3000 alice)
# A second run with the same identity finds it linked and signs in directly. Another identity
# cannot link `journey` once one did (each account links one BindID identity): restart the example.
set -euo pipefail
base="${1:-http://localhost:3000}"
identity="${2:-alice}"
account=journey
password='journey-script-password'
jar="$(mktemp)"; body="$(mktemp)"; trap 'rm -f "$jar" "$body"' EXIT
status='' where=''   # the last request's HTTP status and redirect (its body is in $body)
c() { curl -sS -b "$jar" -c "$jar" "$@"; }
# GET (or POST, with curl's arguments): sets $status and $where, the body goes to $body.
request() {
  local out
  out="$(c -o "$body" -w '%{http_code} %{redirect_url}' "$@")"
  status="${out%% *}"
  where="${out#* }"
}
# What the last page said went wrong: its role="alert" text, or a JSON answer's code and message.
reason() {
  local alert
  alert="$(tr '\n' ' ' < "$body" | sed -n 's/.*role="alert"[^>]*>\([^<]*\)<.*/\1/p' | head -n1 |
    sed -e 's/&#39;/'"'"'/g' -e 's/&#34;/"/g' -e 's/&#61;/=/g' -e 's/&#96;/`/g' -e 's/&#60;/</g' -e 's/&#62;/>/g' -e 's/&#38;/\&/g')"
  if [[ -n "$alert" ]]; then echo "$alert"; return; fi
  grep -o '"\(code\|error\|message\|error_description\)":"[^"]*"' "$body" | tr '\n' ' ' || true
}
fail() {
  echo "   FAILED: $*" >&2
  if [[ -n "$status" ]]; then echo "   HTTP $status: $(reason)" >&2; fi
  exit 1
}
# The value of the input named $1 in the last page (the first one, or the one after the form posting to $2).
field() { sed -n "s|.*${2:+action=\"$2\".*}name=\"$1\" value=\"\([^\"]*\)\".*|\1|p" "$body" | head -n1; }
# GET /account: $user is whom it shows as signed in ('' for nobody).
account_page() {
  request "$base/account"
  user="$(grep -o 'Username: <strong>[^<]*' "$body" | sed 's/.*<strong>//' || true)"
}
# GET /login/bindid, BindID's /authorize as $identity, then the app's callback: $where is where it sends us.
bindid_sign_in() {
  request "$base/login/bindid?returnTo=/account"
  [[ "$where" == *"/authorize?"* ]] || fail "GET /login/bindid did not redirect to BindID's /authorize (got '$where')"
  request "$where&identity=$identity"
  [[ -n "$where" ]] || fail "BindID's /authorize did not redirect back to the app"
  request "$where"
}

echo "1. Sign in with BindID as '$identity'"
bindid_sign_in
next="$where"
if [[ "$next" != */bindid/confirm ]]; then
  [[ "$next" == "$base/account" ]] || fail "neither the confirm page nor the account page (got '$next')"
  account_page
  echo "   BindID already knows '$identity' here: signed in directly at $next as $user"
  exit 0
fi
echo "   new BindID user: sent to $next"

echo "2. Confirm page, wrong password"
request "$next"
csrf="$(field _csrf)"
[[ -n "$csrf" ]] || fail "the confirm page has no CSRF token"
request -H "Origin: $base" --data-urlencode "_csrf=$csrf" --data-urlencode "username=$account" \
  --data-urlencode password=wrong "$next"
[[ "$status" == 401 ]] || fail "a wrong password did not answer 401"
echo "   HTTP $status: the generic message, nothing sent to BindID"

echo "3. Right password, for the account '$account'"
request -H "Origin: $base" --data-urlencode "_csrf=$csrf" --data-urlencode "username=$account" \
  --data-urlencode "password=$password" "$next"
landed="$where"
[[ "$landed" == "$base/account" ]] || fail "the right password did not land on $base/account (got '$landed')"
account_page
[[ "$user" == "$account" ]] || fail "not signed in as $account after confirming (got '$user')"
echo "   landed on $landed as $user"

echo "4. Sign out, then BindID again as '$identity'"
logout_csrf="$(field _csrf /logout)"
[[ -n "$logout_csrf" ]] || fail "the account page's sign-out form has no CSRF token"
request -H "Origin: $base" --data-urlencode "_csrf=$logout_csrf" "$base/logout"
account_page
[[ -z "$user" ]] || fail "still signed in after logout"
bindid_sign_in
back="$where"
[[ "$back" == "$base/account" ]] || fail "the second BindID sign-in did not go straight in (got '$back')"
account_page
[[ "$user" == "$account" ]] || fail "not signed in as $account by alias (got '$user')"
echo "   signed in directly at $back as $user (no password)"
