#!/usr/bin/env bash
# Signs one probe post (scheme LB1-ECDSA-P256-SHA256, see docs/signing.md) with openssl.
# Usage: KEY_ID=probe-aws PRIVATE_KEY=<file: PEM, or the base64 PKCS#8 keygen prints> \
#          [LIFEBOAT_URL=https://coordinator] sign-probe.sh BODY_FILE
# Without LIFEBOAT_URL it prints the four headers, one "Name: value" per line.
# With LIFEBOAT_URL it POSTs the batch to /v1/observations with curl and prints the response.
set -euo pipefail
: "${KEY_ID:?set KEY_ID to the probe key id}" "${PRIVATE_KEY:?set PRIVATE_KEY to the private key file}"
body_file=$1
path=/v1/observations
work=$(mktemp -d) && trap 'rm -rf "$work"' EXIT

# The key file may be PEM, or bare base64 PKCS#8 DER as `lifeboat keygen` and the local run store it.
if ! openssl pkey -in "$PRIVATE_KEY" -out "$work/key.pem" 2>/dev/null; then
  tr -d ' \n\r' < "$PRIVATE_KEY" | base64 -d | openssl pkey -inform DER -out "$work/key.pem"
fi

timestamp=$(date +%s)
nonce=$(openssl rand -hex 16)
body_sha256=$(openssl dgst -sha256 -hex < "$body_file" | awk '{print $NF}')
printf '%s\n%s\n%s\n%s\n%s' POST "$path" "$timestamp" "$nonce" "$body_sha256" |
  openssl dgst -sha256 -sign "$work/key.pem" -out "$work/sig.der"
# openssl writes a DER SEQUENCE of two INTEGERs; LB1-ECDSA wants r||s (IEEE P1363): each integer
# as exactly 32 bytes, left-padded with zeros, 128 hex characters in all.
signature=$(openssl asn1parse -inform DER -in "$work/sig.der" |
  awk -F: '/INTEGER/ { v = $NF; while (length(v) < 64) v = "0" v; printf "%s", tolower(v) }')

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
args=(--silent --show-error --fail-with-body --request POST --header 'Content-Type: application/json' --data-binary "@$body_file")
for h in "${headers[@]}"; do args+=(--header "$h"); done
curl "${args[@]}" "${LIFEBOAT_URL%/}$path"
