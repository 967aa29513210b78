# tools/lab/pki.sh — the lab's CA and the scout's certificates (good and expired).

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

tls_files() {  # tls expired|good: the scout's certificate and key files replaced (brood-api
               # reloads them within seconds)
  case $1 in
    expired|good)
      local from=api-good; [[ $1 == expired ]] && from=api-expired
      cp "$LAB/pki/$from.key" "$LAB/pki/api.key.new" && mv "$LAB/pki/api.key.new" "$LAB/pki/api.key"
      cp "$LAB/pki/$from.crt" "$LAB/pki/api.crt.new" && mv "$LAB/pki/api.crt.new" "$LAB/pki/api.crt"
      ;;
    *) die "tls expired|good" ;;
  esac
}
