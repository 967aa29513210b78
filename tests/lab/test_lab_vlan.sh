#!/usr/bin/env bash
# The L2 overlay on the lab (tools/brood-lab) with real FRR in every node (zebra, bfdd, bgpd; the
# agents render and apply their configuration) and this build's binaries: 5 nodes, node 1 the
# scout and route reflector.
#   BGP EVPN sessions from every worker to the reflector, BFD up on each;
#   vlan 100 with nodes 2, 3, 4 → an L2 ping matrix between their SVIs, and a tenant namespace
#     plugged into node 4's bridge reaching the others; node 5 receives none of the vlan's EVPN
#     routes and reaches nothing of it;
#   vlan 200 with nodes 4 (in both) and 5 → reachable there, and neither vlan's routes reach a
#     node outside it;
#   malformed changes (a bad VNI, an address outside the subnet, one in use) refused, nothing
#     changed; the DoH server stopped for two sync intervals → no device, session or route lost;
#     the scout's agent restarted → no client loses a route while it reads every _m shard again;
#   vxlan100 deleted by hand → back within a second; bgpd killed and started empty → its config,
#     sessions and routes back; node 3's membership removed → its devices gone and its routes
#     withdrawn everywhere; node 4 removed → its BGP session gone and its MACs withdrawn;
#   SIGTERM stops every agent within 5 s; no sanitizer report in any log.
# Needs root and FRR; exits 77 (skipped) without root. Cleans up (lab down) however it ends.
set -euo pipefail
[[ $(id -u) -eq 0 ]] || { echo "skipped: needs root"; exit 77; }
source "$(dirname "$0")/lab_test.sh" lab-vlan bv
source "$ROOT/tools/lab/frr.sh"
[[ -x /usr/lib/frr/bgpd ]] || { echo "FAIL: FRR is not installed (tools/deps peers)"; exit 1; }
export BROOD_LAB_SYNC=2s
fail() {
  echo "FAIL: $*"
  for f in "$BROOD_LAB_DIR"/n*/agent.log; do echo "== $f"; grep -v '[│┌└]' "$f" | tail -15; done
  for i in 1 2 3 4 5; do echo "== node$i FRR"; vt "$i" -c 'show bgp l2vpn evpn summary' | tail -8; done
  exit 1
}
id_of() { st "$1" 'd["id"]'; }
vtep_of() { st "$1" 'd["ip"]'; }
reaches() { ip netns exec "$P$1" ping -c1 -W1 -q "$2" >/dev/null 2>&1; }     # reaches NODE IP
never_reaches() { ! ip netns exec "$P$1" ping -c2 -i0.2 -W1 -q "$2" >/dev/null 2>&1; }
established() {  # established NODE COUNT: its EVPN sessions up, exactly COUNT of them
  vt "$1" -c 'show bgp l2vpn evpn summary json' |
    jq -e --argjson n "$2" '(.peers // {}) as $p | ($p | length) == $n and ([$p[] | select(.state == "Established")] | length) == $n'
}
bfd_up() { vt 1 -c 'show bfd peers json' | jq -e --argjson n "$1" '[.[] | select(.status == "up")] | length == $n'; }
routes_with_rt() {  # routes_with_rt NODE VNI: how many EVPN paths NODE holds with route target 65000:VNI
  vt "$1" -c 'show bgp l2vpn evpn route json' |
    jq --arg rt "RT:65000:$2" '[.. | objects | .extendedCommunity? | objects | .string | select(split(" ") | index($rt))] | length'
}
no_routes_of() { [[ $(routes_with_rt "$1" "$2") -eq 0 ]]; }
some_routes_of() { [[ $(routes_with_rt "$1" "$2") -gt 0 ]]; }
fdb_has_vtep() { ip netns exec "$P$1" bridge fdb show dev "vxlan$2" 2>/dev/null | grep -q "dst $3 "; }  # NODE VNI VTEP
no_fdb_vtep() { ! ip netns exec "$P$1" bridge fdb show 2>/dev/null | grep -q "dst $2 "; }            # NODE VTEP
has_link() { ip -n "$P$1" link show "$2" >/dev/null 2>&1; }
no_link() { ! has_link "$@"; }
matrix() {  # matrix VNI NODE...: every pair of NODEs reaches each other's SVI in vlan VNI
  local vni=$1 net; shift
  net=$([[ $vni == 100 ]] && echo 10.200.0 || echo 10.201.0)
  for i in "$@"; do for j in "$@"; do
    [[ $i == "$j" ]] || reaches "$i" "$net.$j" || return 1
  done; done
}

lab up 5 || fail "the lab did not come up"
until_ok 30 "EVPN sessions from every worker at the reflector" established 1 4
for i in 2 3 4 5; do established "$i" 1 || fail "node$i has no EVPN session to the reflector"; done
until_ok 20 "BFD up on every session" bfd_up 4
ok "4 iBGP EVPN sessions to the reflector, each with BFD up"

lab ctl vlan create 100 blue 10.200.0.0/24 >/dev/null || fail "vlan create 100"
for i in 2 3 4; do lab ctl vlan add 100 "$(id_of "$i")" "10.200.0.$i" >/dev/null || fail "vlan add node$i"; done
t0=$(ms)
until_ok 20 "an L2 ping matrix in vlan 100" matrix 100 2 3 4
ok "vlan 100 on nodes 2, 3, 4: every SVI reaches every other ($(( $(ms) - t0 )) ms after the last add)"
[[ $(ip -n "${P}2" -d link show vxlan100) == *"vxlan id 100 local $(vtep_of 2) "*"dstport 4789 nolearning"* ]] ||
  fail "vxlan100 on node2: $(ip -n "${P}2" -d link show vxlan100)"
bridge -n "${P}2" -d link show dev vxlan100 | grep -q "neigh_suppress on" || fail "neigh_suppress is off on node2's vxlan100"
[[ $(ip -n "${P}2" link show vxlan100) == *"mtu 1370"* ]] || fail "vxlan100's MTU is not 1370"
ok "vxlan100: VTEP on the overlay address, dstport 4789, nolearning, neigh_suppress on, MTU 1370"
vteps_seen() { [[ $(st 2 'len(d["vlans"][0]["remote_vteps"])') -eq 2 ]]; }
sessions_seen() { [[ $(st 1 'len([s for s in d["frr"]["sessions"] if s["bgp"] == "Established" and s["bfd"] == "up"])') -eq 4 ]]; }
until_ok 15 "node2's status listing vlan 100's two remote VTEPs" vteps_seen
until_ok 15 "the scout's status listing 4 sessions Established with BFD up" sessions_seen
BROOD_STATE_DIR=$BROOD_LAB_DIR/n2 "$BROOD_LAB_BUILD/src/brood-agent" status | grep -q '^100 .*br100 .*10.200.0.2/24' ||
  fail "brood-agent status on node2 shows no vlan 100"
ok "status: node2 lists vlan 100 with its 2 remote VTEPs, the scout its 4 sessions with BFD up"

ip netns add "${P}t4"
trap 'ip netns del "${P}t4" 2>/dev/null; lab down' EXIT
ip link add eth0 netns "${P}t4" type veth peer name tenant netns "${P}4"
ip -n "${P}t4" link set lo up
ip -n "${P}t4" link set eth0 mtu 1370 up
ip -n "${P}t4" addr add 10.200.0.44/24 dev eth0
ip -n "${P}4" link set tenant master br100 mtu 1370 up
until_ok 10 "the tenant behind node4 reaching node2" ip netns exec "${P}t4" ping -c1 -W1 -q 10.200.0.2
reaches 3 10.200.0.44 || fail "node3 does not reach the tenant behind node4"
ok "a tenant namespace on node4's bridge reaches nodes 2 and 3, and they reach it"

no_routes_of 5 100 || fail "node5 holds $(routes_with_rt 5 100) EVPN paths of vlan 100"
some_routes_of 2 100 || fail "node2 holds no EVPN route of vlan 100"
never_reaches 5 10.200.0.2 || fail "node5 reaches vlan 100"
no_link 5 vxlan100 || fail "node5 has vxlan100"
ok "node5 (no member) receives none of vlan 100's EVPN routes and reaches nothing of it"

lab ctl vlan create 200 green 10.201.0.0/24 >/dev/null || fail "vlan create 200"
for i in 4 5; do lab ctl vlan add 200 "$(id_of "$i")" "10.201.0.$i" >/dev/null || fail "vlan add 200 node$i"; done
until_ok 20 "vlan 200 between nodes 4 and 5" matrix 200 4 5
no_routes_of 5 100 || fail "node5 receives vlan 100's routes once in vlan 200"
no_routes_of 2 200 || fail "node2 receives vlan 200's routes"
never_reaches 5 10.200.0.44 || fail "node5 reaches the tenant in vlan 100"
# No frame crosses: 100 broadcasts in vlan 100 from node4's tenant flood vlan 100's VTEPs and
# never node5's vlan 200, though node4 carries both. Nodes 2 and 5 count exactly those frames
# (vlan 100's broadcast address) arriving on their VXLAN ports — the same rule, seen to match on
# node 2 — so that vlan 200's own traffic (a new vlan's IPv6 neighbour discovery) is no leak.
count_from() {  # count_from NODE DEV: a counter of frames to 10.200.0.255 arriving from DEV
  ip netns exec "$P$1" nft -f - <<NFT
table bridge brood_leak {
  chain in { type filter hook prerouting priority 0; iifname "$2" ip daddr 10.200.0.255 counter; }
}
NFT
}
counted() {  # counted NODE: what the counter saw; the table removed
  ip netns exec "$P$1" nft list table bridge brood_leak | grep -o 'packets [0-9]*' | awk '{s+=$2} END {print s+0}'
  ip netns exec "$P$1" nft delete table bridge brood_leak
}
count_from 2 vxlan100 && count_from 5 vxlan200 || fail "nft counters on nodes 2 and 5"
ip netns exec "${P}t4" ping -b -c100 -i0.01 -W1 -q 10.200.0.255 >/dev/null 2>&1 || true
sleep 0.3
flooded=$(counted 2) leaked=$(counted 5)
((flooded >= 50)) || fail "node2 saw $flooded of the tenant's broadcasts in vlan 100"
((leaked == 0)) || fail "node5's vlan 200 received $leaked of vlan 100's broadcasts"
ok "vlan 200 on nodes 4 and 5: reachable there; nodes 2 and 5 hold only their own vlans' routes; none of 100 broadcasts in vlan 100 reached node5's vlan 200"

before_100=$(lab ctl --json vlan members 100)
r=$(lab ctl vlan add 100 "$(id_of 5)" 10.9.0.5 2>&1) && fail "an address outside the subnet was taken"
[[ $r == *409* ]] || fail "outside the subnet: $r"
r=$(lab ctl vlan add 100 "$(id_of 5)" 10.200.0.2 2>&1) && fail "an address in use was taken"
[[ $r == *409* ]] || fail "in use: $r"
r=$(lab ctl vlan create 16777216 big 10.203.0.0/24 2>&1) && fail "VNI 16777216 was taken"
[[ $r == *400* ]] || fail "bad VNI: $r"
[[ $(lab ctl --json vlan members 100) == "$before_100" ]] || fail "a refused change changed vlan 100"
no_link 5 vxlan100 || fail "a refused change gave node5 vxlan100"
ok "a bad VNI, an address outside the subnet and one in use are refused (400, 409, 409); nothing changed"

paths_2=$(routes_with_rt 2 100)
lab doh stop
sleep 5  # two sync intervals and more
for i in 2 3 4; do has_link "$i" vxlan100 && has_link "$i" br100 || fail "node$i lost its vlan 100 devices without DNS"; done
established 1 4 || fail "the reflector lost a session without DNS"
[[ $(routes_with_rt 2 100) -eq $paths_2 ]] || fail "node2's vlan 100 routes changed without DNS ($paths_2 → $(routes_with_rt 2 100))"
matrix 100 2 3 4 || fail "vlan 100 without DNS"
lab doh start
ok "the DoH server stopped for two sync intervals: no device, session or route removed"

# The scout's agent restarted: until it has read every _m shard again, its reflector keeps the
# filters it has — no client loses a route, not for a moment.
paths_2=$(routes_with_rt 2 100)
lab agent stop 1
lab agent start 1
end=$(($(ms) + 6000))
while (($(ms) < end)); do
  now_2=$(routes_with_rt 2 100)
  ((now_2 >= paths_2)) || fail "node2's vlan 100 routes fell from $paths_2 to $now_2 while the scout's agent restarted"
  sleep 0.2
done
until_ok 20 "the scout's agent running again" bash -c "[[ \$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[\"phase\"])' $BROOD_LAB_DIR/n1/status.json) == running ]]"
ok "the scout's agent restarted: no client lost a route of vlan 100 while it read the brood again"

t0=$(ms)
ip -n "${P}2" link del vxlan100
until_ok 5 "vxlan100 back on node2" bash -c "ip -n ${P}2 -d link show vxlan100 | grep -q 'master br100'"
back=$(( $(ms) - t0 ))
((back < 1000)) || fail "vxlan100 came back after $back ms"
until_ok 10 "node2 reaching node4 again" reaches 2 10.200.0.4
ok "vxlan100 deleted by hand on node2: back in $back ms, and carrying frames"

bgpd=$(cat "/run/frr/${P}2/bgpd.pid")
kill "$bgpd"
until_ok 5 "bgpd of node2 gone" bash -c "! kill -0 $bgpd"
in_ns 2 /usr/lib/frr/bgpd -d -N "${P}2" -P 0 -f /dev/null --log "file:$BROOD_LAB_DIR/n2/frr/bgpd.log" 2>/dev/null
t0=$(ms)
until_ok 20 "node2's EVPN session back" established 2 1
until_ok 20 "node2's vlan 100 routes back" some_routes_of 2 100
until_ok 10 "node2 reaching node4 after bgpd's restart" reaches 2 10.200.0.4
ok "bgpd killed on node2 and started empty: config, session and routes back in $(( $(ms) - t0 )) ms"

vtep3=$(vtep_of 3)
lab ctl vlan remove 100 "$(id_of 3)" >/dev/null || fail "vlan remove node3"
until_ok 10 "node3's vlan 100 devices gone" bash -c "! ip -n ${P}3 link show vxlan100 && ! ip -n ${P}3 link show br100"
until_ok 10 "node3's VTEP withdrawn at node2" no_fdb_vtep 2 "$vtep3"
until_ok 10 "node3's VTEP withdrawn at node4" no_fdb_vtep 4 "$vtep3"
until_ok 10 "vlan 100's routes withdrawn at node3" no_routes_of 3 100
never_reaches 2 10.200.0.3 || fail "node2 still reaches node3's old SVI"
matrix 100 2 4 || fail "vlan 100 between nodes 2 and 4 after node3 left"
ok "node3 out of vlan 100: its devices gone, its routes withdrawn everywhere, 2 and 4 still one segment"

vtep4=$(vtep_of 4)
lab ctl remove "$(id_of 4)" >/dev/null || fail "broodctl remove node4"
until_ok 20 "node4's session gone at the reflector" established 1 3
until_ok 10 "node4's MACs withdrawn at node2" no_fdb_vtep 2 "$vtep4"
until_ok 10 "node4's MACs withdrawn at node5" no_fdb_vtep 5 "$vtep4"
ok "node4 removed: its BGP session gone, its MACs withdrawn at nodes 2 and 5"

t0=$(ms)
for i in 1 2 3 5; do kill -TERM "$(cat "$BROOD_LAB_DIR/n$i/agent.pid")" 2>/dev/null || true; done
for i in 1 2 3 5; do
  pid=$(cat "$BROOD_LAB_DIR/n$i/agent.pid")
  while kill -0 "$pid" 2>/dev/null; do (($(ms) - t0 < 5000)) || fail "node$i's agent still running 5 s after SIGTERM"; sleep 0.05; done
done
if grep -lE '^==[0-9]+==ERROR|runtime error:' "$BROOD_LAB_DIR"/n*/agent.log 2>/dev/null; then
  fail "a sanitizer report"
fi
has_link 2 vxlan100 || fail "node2's vlan devices went with its agent"
ok "SIGTERM: every agent stopped within 5 s, vlan devices left in place, no sanitizer report"
echo "lab.vlan: $checks checks passed"
