# tools/lab/pki.sh — the lab's CA (for DoH and pebble's front) and an expired certificate for the scout.

pki() {
  local d=$LAB/pki
  mkdir -p "$d"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=brood lab CA" \
    -keyout "$d/ca.key" -out "$d/ca.crt" 2>/dev/null
}

leaf() {  # leaf NAME SAN [expired]: a certificate from the lab CA (expired: valid yesterday only)
  local d=$LAB/pki
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$1" \
    -keyout "$d/$1.key" -out "$d/$1.csr" 2>/dev/null
  if [[ ${3:-} != expired ]]; then
    openssl x509 -req -in "$d/$1.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial -days 2 \
      -extfile <(printf 'subjectAltName=%s\n' "$2") -out "$d/$1.crt" 2>/dev/null
    return
  fi
  # openssl x509 cannot date a certificate in the past; openssl ca can.
  : >"$d/index.txt"
  [[ -f $d/serial ]] || echo 1000 >"$d/serial"
  openssl ca -batch -notext -config <(printf '[ca]\ndefault_ca=lab\n[lab]\ndatabase=%s\nnew_certs_dir=%s\nserial=%s\ndefault_md=sha256\npolicy=any\n[any]\ncommonName=supplied\n' \
      "$d/index.txt" "$d" "$d/serial") -cert "$d/ca.crt" -keyfile "$d/ca.key" \
    -startdate "$(date -u -d '-2 days' +%Y%m%d%H%M%SZ)" -enddate "$(date -u -d '-1 day' +%Y%m%d%H%M%SZ)" \
    -extfile <(printf 'subjectAltName=%s\n' "$2") -in "$d/$1.csr" -out "$d/$1.crt" 2>/dev/null
}

tls_expired() {  # the scout restarted on an expired certificate for its names, from the lab CA (a
                # fault only the lab makes: the scout's own come from the CA by ACME). With the CA
                # blocked (`ca block`) it is served, while the scout retries; otherwise the scout
                # replaces it at once.
  local id; id=$(cat "$LAB/scout.id")
  leaf api-expired "DNS:$DOMAIN,DNS:$id.$DOMAIN" expired
  api stop
  cp "$LAB/pki/api-expired.key" "$LAB/n1/tls.key"
  cp "$LAB/pki/api-expired.crt" "$LAB/n1/tls.crt"
  api start
}
