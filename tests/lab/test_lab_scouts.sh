#!/usr/bin/env bash
# Several scouts (SPEC §5.10) on the lab (tools/brood-lab): 3 nodes, keepalive 2 s; a fourth node
# joins as a scout to be (the operator's token and the provider's credentials in its
# environment) and is approved with `--role scout`:
#   it gets its own certificate from pebble by ACME, announces its SRV entry and addresses, joins
#   scouts= in _meta (signed by the first scout), and serves the API;
#   the operator's calls work through either scout by name and through the domain;
#   the first scout stopped → every worker's heartbeats and /watch move to the second (the time
#   is printed), no peer is lost;
#   both scouts approving nodes and adding vlan members at the same moment lose nothing;
#   the second scout removed → the key rotates, and it leaves scouts=, the SRV and the domain's
#   addresses.
# Needs root; exits 77 (skipped) without it. Cleans up (lab down) however it ends.
set -euo pipefail
[[ $(id -u) -eq 0 ]] || { echo "skipped: needs root"; exit 77; }
source "$(dirname "$0")/lab_test.sh" lab-scouts bs
export BROOD_LAB_SYNC=2s BROOD_LAB_KEEPALIVE=2s BROOD_LAB_STALE=6s
fail() { echo "FAIL: $*"; for f in "$BROOD_LAB_DIR"/n*/agent.log; do echo "== $f"; grep -v '[│┌└]' "$f" | tail -15; done; exit 1; }
wait_until() {  # wait_until SECONDS WHAT CONDITION
  local end=$(($(ms) + $1 * 1000))
  until eval "$3"; do (($(ms) < end)) || fail "not within $1 s: $2"; sleep 0.2; done
}
zone() { in_ns s kdig @10.99.0.2 +short "$1" "$2" 2>/dev/null; }  # the zone's answer for NAME TYPE
at_scout() {  # at_scout ID CTL-ARGS...: broodctl at one scout, by its name
  local id=$1; shift
  CTL_API="https://$id.brood.lab:8443" lab ctl "$@"
}
pending_ids() { lab ctl --json pending | $PY -c 'import json,sys; print(" ".join(p["id"] for p in json.load(sys.stdin)))'; }
serial_at() {  # the serial of the certificate a new connection to ADDRESS:8443 is handed
  in_ns r bash -c "openssl s_client -connect $1:8443 -servername brood.lab </dev/null 2>/dev/null | openssl x509 -noout -serial"
}

lab up 3 || fail "the lab did not come up"
first=$(cat "$BROOD_LAB_DIR/scout.id")
ok "3 nodes meshed, scout $first"

i=$(lab join scout)
wait_until 30 "node $i registers" '[[ -n $(pending_ids) ]]'
second=$(pending_ids)
lab ctl approve "$second" --role scout >/dev/null || fail "approve --role scout"
until_ok 90 "the second scout serves the API with a certificate the agents trust" in_ns r curl -sf --max-time 2 \
  --cacert "$BROOD_LAB_DIR/pki/trust.pem" --resolve "$second.brood.lab:8443:10.99.$i.2" "https://$second.brood.lab:8443/healthz"
[[ $(serial_at 10.99.1.2) != "$(serial_at "10.99.$i.2")" ]] || fail "both scouts serve the same certificate"
grep -q "certificate for brood.lab issued" "$BROOD_LAB_DIR/n$i/agent.log" || fail "node $i issued no certificate of its own"
wait_until 20 "_meta names both scouts" '[[ $(zone _meta.brood.lab TXT | grep -o "scouts=[^ ]*" | tr "," "\n" | wc -l) -eq 2 ]]'
[[ $(zone _brood._tcp.brood.lab SRV | wc -l) -eq 2 ]] || fail "SRV: $(zone _brood._tcp.brood.lab SRV)"
zone brood.lab A | grep -qx "10.99.$i.2" || fail "the domain's addresses: $(zone brood.lab A)"
ok "node $i approved with role scout: its own ACME certificate, in scouts=, the SRV and the domain's A; serving"

count() { "$@" | $PY -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
n1=$(count at_scout "$first" --json members)
n2=$(count at_scout "$second" --json members)
nd=$(count lab ctl --json members)
[[ $n1 == 4 && $n2 == 4 && $nd == 4 ]] || fail "members through scout 1, scout 2, the domain: $n1, $n2, $nd"
ok "the operator's calls through either scout and through https://brood.lab:8443: 4 members each"

wait_until 30 "every worker heartbeats" '[[ $(st 2 "d[\"last_heartbeat_ok_ms\"]") -gt 0 && $(st 3 "d[\"last_heartbeat_ok_ms\"]") -gt 0 ]]'
t_stop=$(ms)
lab api stop  # SIGTERM: the scout drains its connections and its agent stops
t0=$(ms)
served_by_second() {
  for w in 2 3; do
    [[ $(st "$w" 'd["scout"]') == "$second.brood.lab:8443" ]] || return 1
    [[ $(st "$w" 'd["last_heartbeat_ok_ms"]') -gt $t0 ]] || return 1
    [[ $(st "$w" 'd["watch"]') == connected* ]] || return 1
  done
}
wait_until 60 "the workers move to the second scout" served_by_second
moved=$(($(ms) - t0))
for w in 2 3 "$i"; do [[ $(st "$w" 'len(d["peers"])') -eq 3 ]] || fail "node $w lost peers when scout 1 stopped"; done
lab ping || fail "traffic with the first scout stopped"
ok "scout 1 stopped (in $((t0 - t_stop)) ms): nodes 2 and 3 heartbeat and watch through scout 2 $moved ms later; no peer lost"
lab api start

# Both scouts at once: an approval through each, then a vlan member added through each.
a=$(lab join); b=$(lab join)
wait_until 30 "two registrations" '[[ $(pending_ids | wc -w) -eq 2 ]]'
read -r pa pb <<<"$(pending_ids)"
at_scout "$first" approve "$pa" >/dev/null & p1=$!
at_scout "$second" approve "$pb" >/dev/null & p2=$!
wait "$p1" || fail "approval through scout 1"
wait "$p2" || fail "approval through scout 2"
# Each scout reads the other's writes at its next full read (BROOD_API_REFRESH, 10 s).
wait_until 25 "both approvals kept" '[[ $(count lab ctl --json members) == 6 ]]'
wait_until 25 "scout 2 holds both approvals" '[[ $(count at_scout "$second" --json members) == 6 ]]'
lab ctl vlan create 100 blue 10.200.0.0/24 >/dev/null || fail "vlan create"
at_scout "$first" vlan add 100 "$(st 2 'd["id"]')" 10.200.0.2 >/dev/null & p1=$!
at_scout "$second" vlan add 100 "$(st 3 'd["id"]')" 10.200.0.3 >/dev/null & p2=$!
wait "$p1" || fail "member through scout 1"
wait "$p2" || fail "member through scout 2"
wait_until 25 "both vlan members kept" '[[ $(count lab ctl --json vlan members 100) == 2 ]]'
wait_until 25 "scout 2 holds both vlan members" '[[ $(count at_scout "$second" --json vlan members 100) == 2 ]]'
for w in 1 2 3 "$i" "$a" "$b"; do wait_until 60 "node $w meshed with the 5 others" "[[ \$(st $w 'len(d[\"peers\"])') -eq 5 ]]"; done
ok "two approvals and two vlan members through both scouts at once: all kept, 6 nodes meshed"

# The second scout removed: the key rotates, and it leaves scouts=, the SRV and the domain's A.
lab ctl remove "$second" >/dev/null || fail "remove the second scout"
wait_until 30 "_meta names one scout" '[[ $(zone _meta.brood.lab TXT | grep -o "scouts=[^ ]*" | tr "," "\n" | wc -l) -eq 1 ]]'
[[ $(zone _brood._tcp.brood.lab SRV | wc -l) -eq 1 ]] || fail "SRV after the removal: $(zone _brood._tcp.brood.lab SRV)"
! zone brood.lab A | grep -qx "10.99.$i.2" || fail "the domain still names the removed scout"
[[ -z $(zone "$second.brood.lab" A) ]] || fail "the removed scout's A is still there"
wait_until 30 "node 2 on kv 2" '[[ $(st 2 "d[\"kv\"]") -eq 2 ]]'
ok "the second scout removed: kv 2, one scout in scouts=, the SRV and the domain's A"

if grep -l -E 'AddressSanitizer|LeakSanitizer|runtime error:' "$BROOD_LAB_DIR"/n*/agent.log; then
  fail "a sanitizer report in the logs above"
fi
