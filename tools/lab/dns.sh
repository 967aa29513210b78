# tools/lab/dns.sh — the zone: knotd (RFC 2136) behind dnsdist's DoH, and writes as a DNS-token
# thief would make them.

dns() {  # knotd with the zone and the update key; dnsdist's DoH in front, without a cache
  local d=$LAB/dns
  mkdir -p "$d/run" "$d/db"
  TSIG=$(head -c 32 /dev/urandom | base64)
  echo "$TSIG" >"$d/tsig"
  cat >"$d/knot.conf" <<EOF
server:
  rundir: "$d/run"
  user: root:root
  listen: $SVC@53
  udp-workers: 1
  tcp-workers: 1
  background-workers: 1
control:
  listen: "$d/run/knot.sock"
database:
  storage: "$d/db"
key:
  - id: brood-update
    algorithm: hmac-sha256
    secret: $TSIG
acl:
  - id: brood-update
    key: brood-update
    action: update
zone:
  - domain: $DOMAIN
    storage: "$d"
    file: $DOMAIN.zone
    acl: brood-update
    zonefile-sync: -1
    zonefile-load: difference-no-serial
    journal-content: all
EOF
  printf '$ORIGIN %s.\n$TTL 60\n@ SOA ns1 hostmaster 1 3600 600 86400 5\n@ NS ns1\nns1 A %s\n' "$DOMAIN" "$SVC" \
    >"$d/$DOMAIN.zone"
  leaf doh "IP:$SVC,DNS:doh.$DOMAIN"
  cat >"$d/dnsdist.conf" <<EOF
setSecurityPollSuffix("")
setLocal("$SVC:5300")
addDOHLocal("$SVC:443", "$LAB/pki/doh.crt", "$LAB/pki/doh.key", "/dns-query")
newServer({address="$SVC:53", name="knot"})
EOF
  bg "$d/knot.log" ip netns exec "${P}s" knotd -c "$d/knot.conf"
  wait_for 10 knotd in_ns s bash -c "echo >/dev/tcp/$SVC/53"
  doh start
  bg "$LAB/coturn.log" ip netns exec "${P}s" turnserver -n --stun-only --no-cli --no-tls --no-dtls -z \
    --simple-log --log-file stdout --db "$LAB/turndb" -L "$SVC" -L 10.99.0.3 -p 3478
  wait_for 10 coturn in_ns s bash -c "echo >/dev/tcp/$SVC/3478"
}

doh() {  # doh start|stop: the DoH server every agent reads through (stop it to see fail-static)
  local d=$LAB/dns
  case $1 in
    start)
      bg "$d/dnsdist.log" ip netns exec "${P}s" dnsdist --supervised --disable-syslog -C "$d/dnsdist.conf"
      echo $! >"$d/dnsdist.pid"
      wait_for 10 dnsdist in_ns s bash -c "echo >/dev/tcp/$SVC/443"
      ;;
    stop) stop_pid "$d/dnsdist.pid" ;;
    *) die "doh start|stop" ;;
  esac
}

thief() {  # thief NAME TEXT: a TXT record at NAME, written with the DNS update key alone
  in_ns s knsupdate -y "hmac-sha256:brood-update:$(cat "$LAB/dns/tsig")" <<EOF
server $SVC 53
zone $DOMAIN.
update add $1. 60 TXT "$2"
send
EOF
}
