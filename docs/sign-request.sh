#!/usr/bin/env bash
# Signs one Lifeboat API call (scheme LB1-HMAC-SHA256, see docs/signing.md) with openssl.
# Usage: KEY_ID=ops-alice SECRET_HEX=<hex secret> [LIFEBOAT_URL=https://coordinator] \
#          sign-request.sh METHOD PATH [BODY_FILE]
# Without LIFEBOAT_URL it prints the four headers, one "Name: value" per line.
# With LIFEBOAT_URL it sends the request with curl and prints the response.
set -euo pipefail
: "${KEY_ID:?set KEY_ID to the key id}" "${SECRET_HEX:?set SECRET_HEX to the key secret (hex)}"
method=$(printf '%s' "$1" | tr '[:lower:]' '[:upper:]')
path_and_query=$2
path=${path_and_query%%\?*}             # the query string is not signed
body_file=${3:-/dev/null}               # no body (GET): the hash of zero bytes

timestamp=$(date +%s)
nonce=$(openssl rand -hex 16)
body_sha256=$(openssl dgst -sha256 -hex < "$body_file" | awk '{print $NF}')
signature=$(printf '%s\n%s\n%s\n%s\n%s' "$method" "$path" "$timestamp" "$nonce" "$body_sha256" |
  openssl dgst -sha256 -mac HMAC -macopt "hexkey:$SECRET_HEX" -hex | awk '{print $NF}')

headers=(
  "X-Lifeboat-Key: $KEY_ID"
  "X-Lifeboat-Timestamp: $timestamp"
  "X-Lifeboat-Nonce: $nonce"
  "X-Lifeboat-Signature: $signature"
)
if [ -z "${LIFEBOAT_URL:-}" ]; then
  printf '%s\n' "${headers[@]}"
  exit 0
fi
args=(--silent --show-error --fail-with-body --request "$method")
for h in "${headers[@]}"; do args+=(--header "$h"); done
if [ -n "${3:-}" ]; then
  # --data-binary sends the file byte for byte, exactly what was hashed.
  args+=(--header 'Content-Type: application/json' --data-binary "@$body_file")
fi
curl "${args[@]}" "${LIFEBOAT_URL%/}$path_and_query"
