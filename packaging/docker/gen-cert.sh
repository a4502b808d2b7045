#!/bin/sh
# Makes a self-signed TLS certificate for orgd's TCP listener in /tls, once:
# an existing cert.pem and key.pem are kept, so put your own there to use
# them. ORGD_TLS_NAMES lists the names clients dial (subjectAltName).
# Clients trust the certificate with SSL_CERT_FILE=cert.pem.
set -eu
if [ -s /tls/cert.pem ] && [ -s /tls/key.pem ]; then
	echo "orgd TLS: keeping /tls/cert.pem"
	exit 0
fi
apk add --no-cache openssl >/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 825 \
	-subj "/CN=orgd" -addext "subjectAltName=${ORGD_TLS_NAMES:-DNS:localhost,IP:127.0.0.1}" \
	-addext "extendedKeyUsage=serverAuth" \
	-keyout /tls/key.pem -out /tls/cert.pem
# orgd runs as 65532 (distroless "nonroot").
chown 65532:65532 /tls/key.pem /tls/cert.pem
chmod 0600 /tls/key.pem
chmod 0644 /tls/cert.pem
echo "orgd TLS: made a self-signed certificate for ${ORGD_TLS_NAMES:-DNS:localhost,IP:127.0.0.1}"
