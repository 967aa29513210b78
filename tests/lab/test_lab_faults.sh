#!/usr/bin/env bash
# Faults that touch only the control plane must leave every tunnel up (SPEC §3, §5.5), on the
# lab (tools/brood-lab) with this build's binaries: 4 nodes, keepalive 2 s, stale after 6 s.
#   the scout's CA out of reach and the scout restarted on an expired certificate, for 3 × stale:
#     every heartbeat fails, no node loses a peer, pings flow, the scout's renewals fail and
#     say so; the CA reachable again: the scout renews by ACME without a restart, and liveness
#     resumes;
#   the scout's clock 5 minutes ahead (BROOD_CLOCK_OFFSET), for 3 × stale: every signed request
#     refused for skew — each agent says so — no node loses a peer; the clock right again: resumes;
#   2,000 idle TLS connections and 200 half-open HTTP/2 streams held against the API by one
#     client: every node's heartbeats still succeed;
#   a forged _meta beside the real one (a DNS-token thief's), an agent restarted, a node
#     removed: the restarted agent still takes the removed node away.
# Needs root; exits 77 (skipped) without it. Cleans up (lab down) however it ends.
set -euo pipefail
[[ $(id -u) -eq 0 ]] || { echo "skipped: needs root"; exit 77; }
source "$(dirname "$0")/lab_test.sh" lab-faults bf
export BROOD_LAB_SYNC=2s BROOD_LAB_KEEPALIVE=2s BROOD_LAB_STALE=6s
STALE=6
fail() {
  echo "FAIL: $*"
  for f in "$BROOD_LAB_DIR"/n*/agent.log; do echo "== $f"; grep -v '[│┌└]' "$f" | tail -15; done
  exit 1
}
scout_status() {  # scout_status EXPR: a field of the scout's GET /status (whatever its certificate)
  ip netns exec "${P}r" curl -sk --max-time 3 -H "authorization: Bearer $(cat "$BROOD_LAB_DIR/operator.token")" \
    https://10.99.1.2:8443/status | field "$1"
}
all_meshed() {  # every node still has its 3 peers, none excluded
  for i in 1 2 3 4; do
    [[ $(st "$i" 'len(d["peers"])') -eq 3 ]] || return 1
    [[ $(st "$i" 'len(d["excluded"])') -eq 0 ]] || return 1
  done
}
hold_for() {  # hold_for SECONDS WHAT: the mesh stays whole, checked every second
  local end=$(($(ms) + $1 * 1000))
  while (($(ms) < end)); do
    all_meshed || fail "a node lost a peer while $2: $(for i in 1 2 3 4; do st "$i" 'len(d["peers"]), d["excluded"]'; done)"
    sleep 1
  done
}
heard_all() { [[ $(scout_status 'd["heard_recently"]') -ge 3 && $(scout_status 'd["liveness"]') == ok ]]; }
wait_until() {  # wait_until SECONDS WHAT CONDITION: CONDITION (a shell expression) holds in time
  local end=$(($(ms) + $1 * 1000))
  until eval "$3"; do (($(ms) < end)) || fail "not within $1 s: $2"; sleep 0.5; done
}

lab up 4 || fail "the lab did not come up"
lab ping || fail "full-mesh ping"
wait_until 20 "the scout hears every node" heard_all
ok "4 nodes meshed; the scout hears all of them (keepalive 2 s, stale 6 s)"

# The scout's certificate expires while its CA is out of reach: every new connection fails TLS
# verification — heartbeats and /watch (the scout restarted, so that the connections made before
# go) — while the scout can still write DNS. The scout heard from nobody: that is its fault, not
# the nodes'. Its renewals fail, are retried, and /status says why.
lab ca block
lab tls expired
wait_until 20 "the scout hears nobody" '[[ $(scout_status "d[\"liveness\"]") != ok ]]'
hold_for $((3 * STALE)) "the scout's certificate had expired"
lab ping || fail "traffic while the scout's certificate had expired"
[[ $(scout_status 'd["liveness"]') == withheld* ]] || fail "the scout's liveness says $(scout_status 'd["liveness"]')"
failing=$(scout_status 'd["certificate"]["failing"]')
((failing >= 2)) || fail "the scout's renewals: $failing failures in a row, expected retries"
[[ -n $(scout_status 'd["certificate"]["last_error"]') ]] || fail "the scout's status does not say why renewal fails"
ok "expired certificate, CA out of reach, for $((3 * STALE)) s: no peer lost, full-mesh ping, liveness withheld, $failing renewals failed and said"
expired_serial=$(scout_status 'd["certificate"]["serial"]')
lab ca unblock  # no restart: the scout's next retry renews by ACME
wait_until 60 "a renewed certificate" '[[ $(scout_status "d[\"certificate\"][\"serial\"]") != "$expired_serial" ]]'
wait_until 30 "liveness resumes after the renewal" heard_all
ok "the CA back: renewed by ACME with no restart ($(scout_status 'd["certificate"]["issued"]') issued), the scout hears every node again"

# The scout's clock 5 minutes ahead: every signed request is refused for skew, and its _l records
# are dated in every reader's future (refused).
lab api stop
lab api start BROOD_CLOCK_OFFSET=300s
wait_until 20 "node 2 sees the skew" '[[ $(st 2 "d[\"clock_skew_ms\"]") -lt -250000 ]]'
hold_for $((3 * STALE)) "the scout's clock was 5 minutes ahead"
lab ping || fail "traffic while the scout's clock was ahead"
grep -q "clock skew" "$BROOD_LAB_DIR/n2/agent.log" || fail "node 2 did not say why its requests were refused"
ok "scout clock +5 min for $((3 * STALE)) s: no peer lost, full-mesh ping, the agents name the skew"
lab api stop
lab api start
wait_until 30 "liveness resumes with the clock right" heard_all
wait_until 20 "node 2's skew clears" '[[ $(st 2 "d[\"clock_skew_ms\"]") -eq 0 ]]'
ok "the clock right again: heartbeats accepted, liveness resumes"

# A client holds 2,000 idle TLS connections (from 10.99.0.2) and 200 half-open HTTP/2 streams
# (from 10.99.0.3) against the API, reopening whatever the server closes.
t0=$(ms)
ip netns exec "${P}s" "$PY" "$ROOT/tests/lab/flood.py" 10.99.1.2 8443 2000 200 20 10.99.0.2 10.99.0.3 \
  >"$BROOD_LAB_DIR/flood.log" 2>&1 &
flood=$!
sleep 6
for i in 2 3 4; do
  wait_until 15 "node $i heartbeats during the flood" "[[ \$(st $i 'd[\"last_heartbeat_ok_ms\"]') -gt $((t0 + 4000)) ]]"
done
hold_for 8 "the API was flooded"
wait "$flood" || fail "the flood script failed: $(cat "$BROOD_LAB_DIR/flood.log")"
lab ping || fail "traffic after the flood"
ok "flood ($(cat "$BROOD_LAB_DIR/flood.log")): every node's heartbeats succeeded, no peer lost"

# A DNS-token thief puts a forged _meta beside the real one; node 3's agent restarts; node 4 is
# removed. The restarted agent judges completeness per set: it still takes node 4 away.
lab thief "_meta.brood.lab" "v=1 junk=1 sig=AAAA"
lab agent stop 3
lab agent start 3
sleep 3
gone=$(st 4 'd["id"]')
lab ctl remove "$gone" >/dev/null || fail "broodctl remove"
wait_until 20 "the restarted node 3 drops node 4" '[[ $(st 3 "len(d[\"peers\"])") -eq 2 ]]'
if ip netns exec "${P}3" ping -c1 -W1 -q "$(st 4 'd["ip"]')" >/dev/null 2>&1; then fail "node3 still reaches node4"; fi
ok "a forged _meta beside the real one, node 3 restarted: node 4 removed there too"

if grep -l -E 'AddressSanitizer|LeakSanitizer|runtime error:' "$BROOD_LAB_DIR"/n*/agent.log; then
  fail "a sanitizer report in the logs above"
fi
echo "passed: $checks checks"
