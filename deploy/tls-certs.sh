#!/usr/bin/env bash
# A private CA and a server certificate for Berth, made with OpenSSL 3 (README, "TLS").
#
#   deploy/tls-certs.sh DIR NAME...
#
# NAME: each DNS name or IP address clients reach Berth by (registry.example.com, 10.0.0.5). Writes, in DIR:
#   ca.crt, ca.key        the CA: clients trust ca.crt; ca.key signs certificates (made once, reused after)
#   berth.crt, berth.key  the server's certificate for the NAMEs and its key: http.tls.certificate, http.tls.key
# Run it again with the same DIR to renew berth.crt under the same CA.
set -euo pipefail

if [ $# -lt 2 ]; then
  echo "usage: $0 DIR NAME...   (NAME: a DNS name or an IP address clients use)" >&2
  exit 2
fi
dir=$1
shift
san=""
for name in "$@"; do
  if [[ $name =~ ^[0-9.]+$ || $name == *:* ]]; then san+="IP:$name,"; else san+="DNS:$name,"; fi
done
san=${san%,}

umask 077 # the keys are readable by their owner only
mkdir -p "$dir"
cd "$dir"
if [ ! -f ca.key ]; then
  openssl req -x509 -new -noenc -newkey ec -pkeyopt ec_paramgen_curve:P-256 -days 3650 \
    -subj "/CN=Berth registry CA" -keyout ca.key -out ca.crt
fi
openssl req -x509 -new -noenc -newkey ec -pkeyopt ec_paramgen_curve:P-256 -days 825 \
  -subj "/CN=$1" -addext "subjectAltName=$san" \
  -addext "basicConstraints=critical,CA:FALSE" -addext "extendedKeyUsage=serverAuth" \
  -CA ca.crt -CAkey ca.key -keyout berth.key -out berth.crt
chmod 644 ca.crt berth.crt
echo "$dir: berth.crt for $san, signed by ca.crt" >&2
