#!/bin/sh
# Makes a private CA, a server certificate for the Ollama host and a client certificate for the relay.
#
#   deploy/ollama-host/make-certs.sh OUT_DIR SERVER_NAME [EXTRA_NAME ...]
#
# SERVER_NAME and every EXTRA_NAME go into the server certificate's subjectAltName; names that look like
# IPv4/IPv6 addresses become IP entries, everything else DNS entries. Files written to OUT_DIR:
#   ca.crt, ca.key           the private CA (keep ca.key offline once the certificates are made)
#   server.crt, server.key   for Caddy on the Ollama host (tls server.crt server.key)
#   client.crt, client.key   for the relay (OLLAMA_CLIENT_CERT_FILE / OLLAMA_CLIENT_KEY_FILE)
# An existing CA in OUT_DIR is reused, so running it again issues fresh leaf certificates from the same CA.
# Env: CERT_DAYS (leaf lifetime, default 397), CA_DAYS (default 3650), CLIENT_NAME (default aide-relay).
set -eu

if [ "$#" -lt 2 ]; then
  echo "usage: $0 OUT_DIR SERVER_NAME [EXTRA_NAME ...]" >&2
  exit 64
fi
out=$1
shift
server_name=$1
cert_days=${CERT_DAYS:-397}
ca_days=${CA_DAYS:-3650}
client_name=${CLIENT_NAME:-aide-relay}

command -v openssl >/dev/null 2>&1 || { echo "$0: openssl is required (apt-get install -y openssl)" >&2; exit 69; }
mkdir -p "$out"
umask 077
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

san=""
for name in "$@"; do
  if printf '%s' "$name" | grep -Eq '^([0-9]{1,3}\.){3}[0-9]{1,3}$|:'; then kind=IP; else kind=DNS; fi
  san="${san:+$san,}$kind:$name"
done

if [ ! -f "$out/ca.key" ] || [ ! -f "$out/ca.crt" ]; then
  openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 -days "$ca_days" \
    -subj "/CN=AIDE Ollama private CA" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "$out/ca.key" -out "$out/ca.crt" 2>/dev/null
fi

issue() { # issue NAME SUBJECT_CN EXTENSIONS
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$2" \
    -keyout "$out/$1.key" -out "$tmp/$1.csr" 2>/dev/null
  printf '%s\n' "$3" >"$tmp/$1.ext"
  openssl x509 -req -in "$tmp/$1.csr" -CA "$out/ca.crt" -CAkey "$out/ca.key" -CAcreateserial -CAserial "$tmp/ca.srl" \
    -sha256 -days "$cert_days" -extfile "$tmp/$1.ext" -out "$out/$1.crt" 2>/dev/null
}

issue server "$server_name" "basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=$san"
issue client "$client_name" "basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth"

chmod 600 "$out"/*.key
chmod 644 "$out"/*.crt
echo "wrote $out/{ca,server,client}.{crt,key} (server names: $san)"
