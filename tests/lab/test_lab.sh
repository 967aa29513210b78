#!/usr/bin/env bash
# The lab as an integration test, on the lab (tools/brood-lab) with this build's binaries: 4 nodes
# in network namespaces with real wireguard-go, knotd behind dnsdist's DoH, coturn, pebble;
# the scout made by `brood-agent bootstrap` (its certificate by ACME), broodctl at https://brood.lab:8443.
#   register → approve → full-mesh ping;
#   the DoH server stopped for more than two sync intervals → no peer removed, traffic flows;
#   the scout stopped (every scout gone) → the same; `brood-agent bootstrap` again → no change;
#   a peer removed by hand, and wg0 deleted by hand → put back (the times are printed);
#   a node removed → the survivors rotate to the new key without losing a ping between them,
#   the removed node is cut off, learns it from signed records, stops heartbeating and registers
#   again; approved again, it is back; SIGTERM stops every agent within 5 s, and no sanitizer report is in any log.
# Needs root; exits 77 (skipped) without it. Cleans up (lab down) however it ends.
set -euo pipefail
[[ $(id -u) -eq 0 ]] || { echo "skipped: needs root"; exit 77; }
source "$(dirname "$0")/lab_test.sh" lab-test bt
export BROOD_LAB_SYNC=2s
fail() { echo "FAIL: $*"; for f in "$BROOD_LAB_DIR"/n*/agent.log; do echo "== $f"; grep -v '[│┌└]' "$f" | tail -15; done; exit 1; }

lab up 4 || fail "the lab did not come up"
for i in 1 2 3 4; do [[ $(st "$i" 'len(d["peers"])') -eq 3 ]] || fail "node$i has $(st "$i" 'len(d["peers"])') peers"; done
ok "4 nodes registered, approved and meshed"
lab ping || fail "full-mesh ping"
ok "full-mesh ping over wg0"

# Losing DNS: more than two sync intervals without a DoH server change nothing.
before=$(st 2 'd["sync_failures"]')
lab doh stop
sleep 5
for i in 1 2 3 4; do
  [[ $(st "$i" 'len(d["peers"])') -eq 3 ]] || fail "node$i lost peers while DNS was down"
done
[[ $(st 2 'd["sync_failures"]') -gt $before ]] || fail "node2 did not notice that DNS was gone"
lab ping || fail "traffic while DNS was down"
lab doh start
ok "DoH down for 5 s (2.5 sync intervals): syncs failed, no peer removed, full-mesh ping"

# Losing every scout: with the scout stopped, heartbeats and the watch fail, and nothing changes.
lab api stop
sleep 5
for i in 1 2 3 4; do
  [[ $(st "$i" 'len(d["peers"])') -eq 3 ]] || fail "node$i lost peers while the scout was down"
done
lab ping || fail "traffic while the scout was down"
[[ $(st 3 'd["watch"]') != connected* ]] || fail "node3's watch still says connected with the API gone"
ok "the scout down for 5 s: no peer removed, full-mesh ping"
# Back with `brood-agent bootstrap` again: on a bootstrapped scout it changes nothing.
crt=$(sha256sum <"$BROOD_LAB_DIR/n1/tls.crt")
lab api bootstrap
grep -q "brood.key kept, certificate kept, 0 records written" "$BROOD_LAB_DIR/n1/agent.log" ||
  fail "bootstrap again: $(grep bootstrapped "$BROOD_LAB_DIR/n1/agent.log")"
[[ $(sha256sum <"$BROOD_LAB_DIR/n1/tls.crt") == "$crt" ]] || fail "bootstrap again replaced the certificate"
ok "brood-agent bootstrap again: brood.key and certificate kept, no record written"

# A peer removed by hand (wg set ... remove): put back by the reconciler.
peer=$(BROOD_STATE_DIR=$BROOD_LAB_DIR/n3 "$BROOD_LAB_BUILD/src/brood-agent" id | cut -d' ' -f3)
t0=$(ms)
nsenter -t "$(cat "$BROOD_LAB_DIR/n2/anchor.pid")" -m -n wg set wg0 peer "$peer" remove
end=$((t0 + 10000))
until nsenter -t "$(cat "$BROOD_LAB_DIR/n2/anchor.pid")" -m -n wg show wg0 peers | grep -qF "$peer"; do
  (($(ms) < end)) || fail "the peer removed by hand on node2 did not come back within 10 s"
  sleep 0.02
done
ok "a peer removed by hand on node2: back after $(($(ms) - t0)) ms"

# wg0 deleted by hand.
restores=$(st 2 'd["interface_restores"]')
t0=$(ms)
ip -n "${P}2" link del wg0
end=$((t0 + 10000))
until [[ $(st 2 'd["interface_restores"]') -gt $restores ]] && ip netns exec "${P}2" ping -c1 -W1 -q \
      "$(st 1 'd["ip"]')" >/dev/null 2>&1; do
  (($(ms) < end)) || fail "wg0 on node2 was not restored within 10 s"
  sleep 0.05
done
ok "wg0 deleted by hand on node2: back and carrying traffic after $(($(ms) - t0)) ms"
lab ping || fail "full-mesh ping after wg0 came back"

# Removal and rotation, while node1 pings node2 every 20 ms: not one lost.
gone=$(st 4 'd["id"]')
ip netns exec "${P}1" ping -i 0.02 -c 150 -q "$(st 2 'd["ip"]')" >"$BROOD_LAB_DIR/ping.log" 2>&1 &
pinger=$!
sleep 0.5
t0=$(ms)
lab ctl remove "$gone" >/dev/null || fail "broodctl remove"
end=$((t0 + 20000))
for i in 1 2 3; do
  until [[ $(st "$i" 'd["kv"]') -eq 2 && $(st "$i" 'len(d["peers"])') -eq 2 ]]; do
    (($(ms) < end)) || fail "node$i did not rotate (kv $(st "$i" 'd["kv"]'), $(st "$i" 'len(d["peers"])') peers)"
    sleep 0.05
  done
done
ok "node4 removed: nodes 1-3 on kv 2 without it after $(($(ms) - t0)) ms"
wait "$pinger" || true
grep -q ' 0% packet loss' "$BROOD_LAB_DIR/ping.log" || fail "traffic dropped during the rotation: $(grep loss "$BROOD_LAB_DIR/ping.log")"
ok "node1 -> node2 during the rotation: $(grep -o '[0-9]* packets transmitted, [0-9]* received' "$BROOD_LAB_DIR/ping.log")"
for i in 1 2 3; do
  for j in 1 2 3; do
    [[ $i == "$j" ]] && continue
    ip netns exec "$P$i" ping -c1 -W6 -q "$(st "$j" 'd["ip"]')" >/dev/null || fail "node$i -> node$j after the rotation"
  done
  if ip netns exec "$P$i" ping -c1 -W1 -q "$(st 4 'd["ip"]')" >/dev/null 2>&1; then fail "node$i still reaches node4"; fi
done
ok "the survivors ping each other; none reaches node4"
# The removed node learns it from signed records, says so, stops heartbeating and registers
# again with the same identity; approved again, it is a member again.
gone_id=$(st 4 'd["id"]')
wait_until_st() {  # wait_until_st SECONDS WHAT NODE EXPR
  local end=$(($(ms) + $1 * 1000))
  until [[ $(st "$3" "$4" 2>/dev/null) == True ]]; do (($(ms) < end)) || fail "not within $1 s: $2"; sleep 0.2; done
}
wait_until_st 30 "node4 says it was removed" 4 'd["phase"] == "removed" and d["removed_since_ms"] > 0'
grep -q "this node was removed from the brood" "$BROOD_LAB_DIR/n4/agent.log" || fail "node4's log does not say it was removed"
beat=$(st 4 'd["last_heartbeat_ok_ms"]')
sleep 5  # two and a half keepalives: a member would have heartbeated twice
[[ $(st 4 'd["last_heartbeat_ok_ms"]') == "$beat" ]] || fail "node4 still heartbeats after its removal"
until_ok 20 "node4 registered again" bash -c "'$ROOT/tools/brood-lab' ctl --json pending | grep -q '\"$gone_id\"'"
ok "node4 says it was removed (signed evidence), stopped heartbeating, and registered again as $gone_id"
lab ctl approve "$gone_id" >/dev/null || fail "approving node4 again"
wait_until_st 60 "node4 a member again" 4 'd["phase"] == "running" and d["removed_since_ms"] == 0 and d["kv"] == 2 and len(d["peers"]) == 3'
for i in 1 2 3; do ip netns exec "$P$i" ping -c1 -W6 -q "$(st 4 'd["ip"]')" >/dev/null || fail "node$i -> node4 after its return"; done
ok "node4 approved again with the same identity: kv 2, meshed with the 3 others"
# SIGTERM: every agent (and the API) drains and exits within 5 s, and the sanitizers (in the
# ASan build) found nothing in any of them.
pids=()
for f in "$BROOD_LAB_DIR"/n*/agent.pid; do pids+=("$(cat "$f")"); done
kill -TERM "${pids[@]}"
end=$(($(ms) + 5000))
for p in "${pids[@]}"; do
  while kill -0 "$p" 2>/dev/null; do (($(ms) < end)) || fail "agent $p still running 5 s after SIGTERM"; sleep 0.05; done
done
if grep -l -E 'AddressSanitizer|LeakSanitizer|runtime error:' "$BROOD_LAB_DIR"/n*/agent.log; then
  fail "a sanitizer report in the logs above"
fi
for i in 1 2 3 4; do [[ $(st "$i" 'd["phase"]') == stopped ]] || fail "node$i's last status is not \"stopped\""; done
ok "every agent stopped within 5 s of SIGTERM and said so in its status, no sanitizer report"
echo "passed: $checks checks"
