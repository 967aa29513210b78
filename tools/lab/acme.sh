# tools/lab/acme.sh — the lab's certificate authority for the scouts: pebble (Let's Encrypt's test
# CA) in the services' namespace, validating DNS-01 against knotd; the trust file every client
# of the API uses (the lab CA, for DoH and pebble's front, and pebble's root of this run); the
# CA blocked and unblocked for the scout (a firewall between a scout and its CA).

ACME_PORT=14000
ACME_MGMT=15000

acme() {  # pebble, then $LAB/pki/trust.pem
  local d=$LAB/acme
  mkdir -p "$d"
  leaf pebble "IP:$SVC"
  local validity=""  # BROOD_LAB_CERT_VALIDITY seconds: short-lived certificates, renewed often
  [[ -n ${BROOD_LAB_CERT_VALIDITY:-} ]] && validity=", \"certificateValidityPeriod\": $BROOD_LAB_CERT_VALIDITY"
  cat >"$d/pebble.json" <<EOF
{"pebble": {"listenAddress": "$SVC:$ACME_PORT", "managementListenAddress": "$SVC:$ACME_MGMT",
  "certificate": "$LAB/pki/pebble.crt", "privateKey": "$LAB/pki/pebble.key",
  "httpPort": 5002, "tlsPort": 5001, "ocspResponderURL": "", "externalAccountBindingRequired": false
  $validity}}
EOF
  # PEBBLE_VA_NOSLEEP: no random pause of up to 15 s before each validation.
  bg "$d/pebble.log" ip netns exec "${P}s" env PEBBLE_VA_NOSLEEP=1 pebble -config "$d/pebble.json" -dnsserver "$SVC:53"
  wait_for 10 pebble in_ns s curl -sf --cacert "$LAB/pki/ca.crt" "https://$SVC:$ACME_PORT/dir"
  in_ns s curl -sf --cacert "$LAB/pki/ca.crt" "https://$SVC:$ACME_MGMT/roots/0" >"$LAB/pki/pebble-root.pem" ||
    die "pebble's root"
  cat "$LAB/pki/ca.crt" "$LAB/pki/pebble-root.pem" >"$LAB/pki/trust.pem"
  # The lab's names, for the operator's programs in the router's namespace (c-ares reads
  # /etc/resolv.conf; knotd answers for the lab's zone).
  echo "nameserver $SVC" >"$LAB/resolv.conf"
}

acme_env() {  # the variables that point a scout at the lab's CA
  echo "BROOD_ACME_DIRECTORY=https://$SVC:$ACME_PORT/dir BROOD_ACME_RETRY=${BROOD_LAB_ACME_RETRY:-2s}"
}

ca() {  # ca block|unblock: the scout's packets to the CA dropped, or let through again
  case $1 in
    block)
      in_ns s nft -f - <<EOF
table inet brood_lab_ca {
  chain input {
    type filter hook input priority 0; policy accept;
    ip saddr 10.99.1.2 tcp dport $ACME_PORT drop
  }
}
EOF
      ;;
    unblock) in_ns s nft delete table inet brood_lab_ca 2>/dev/null || true ;;
    *) die "ca block|unblock" ;;
  esac
}
