#!/usr/bin/env bash
# The lab (tools/brood-lab) on kernel WireGuard: 3 nodes whose agents find the kernel's genl
# family by themselves (wg::detect) and create wg0 through rtnl in their own namespaces.
#   every agent reports backend "kernel", wg0 is a kernel wireguard link, no wireguard-go runs;
#   full-mesh ping; a peer removed by hand comes back; wg0 deleted by hand is recreated (a
#   kernel link again) and carries traffic; full-mesh ping; SIGTERM stops every agent within
#   5 s, and no sanitizer report is in any log.
# Meant for tools/kernel-vm's guest (ctest lab.kernel_vm; KVM_MEM=1G). Needs root; exits 77
# (skipped) without it or without WireGuard in the kernel, unless BROOD_KERNEL_WG=required.
# Cleans up (lab down) however it ends.
set -euo pipefail
skip() {
  if [[ ${BROOD_KERNEL_WG:-} == required ]]; then echo "FAIL: $* (BROOD_KERNEL_WG=required)"; exit 1; fi
  echo "skipped: $*"
  exit 77
}
[[ $(id -u) -eq 0 ]] || skip "needs root"
unshare -n ip link add wg0 type wireguard 2>/dev/null || skip "this kernel has no WireGuard"

source "$(dirname "$0")/lab_test.sh" klab bk
export BROOD_LAB_SYNC=2s
export BROOD_LAB_FRR=off  # the kernel's WireGuard is what this shows; FRR under TCG only slows it (lab.vlan has it)
N=3
fail() {  # the logs stay in the guest: a sanitizer report is printed whole
  echo "FAIL: $*"
  for f in "$BROOD_LAB_DIR"/n*/agent.log; do
    [[ -f $f ]] || continue
    echo "== $f"
    if grep -qE '^==[0-9]+==ERROR|runtime error:' "$f"; then sed -n '/^==[0-9]*==ERROR\|runtime error:/,$p' "$f" | sed -n '1,80p'
    else grep -v '[│┌└]' "$f" | tail -15; fi
  done
  exit 1
}
kernel_wg0() { ip -n "$P$1" -d link show wg0 2>/dev/null | grep -qw wireguard; }

t0=$(ms)
lab up $N || fail "the lab did not come up"
ok "$N nodes registered, approved and meshed after $((($(ms) - t0) / 1000)) s"
for i in $(seq 1 $N); do
  [[ $(st "$i" 'd["backend"]') == kernel ]] || fail "node$i reports backend $(st "$i" 'd["backend"]')"
  kernel_wg0 "$i" || fail "node$i's wg0 is not a kernel wireguard link: $(ip -n "$P$i" -d link show wg0)"
done
! pgrep -x wireguard-go >/dev/null || fail "a wireguard-go runs: $(pgrep -a -x wireguard-go)"
ok "every agent on backend kernel, wg0 a kernel wireguard link, no wireguard-go"
lab ping || fail "full-mesh ping"
ok "full-mesh ping over kernel WireGuard"

# A peer removed by hand: put back by the reconciler.
peer=$(BROOD_STATE_DIR=$BROOD_LAB_DIR/n3 "$BROOD_LAB_BUILD/src/brood-agent" id | cut -d' ' -f3)
t0=$(ms)
in_node 2 wg set wg0 peer "$peer" remove
until_ok 10 "the peer removed by hand on node2 did not come back within 10 s" \
  bash -c "nsenter -t $(cat "$BROOD_LAB_DIR/n2/anchor.pid") -m -n wg show wg0 peers | grep -qF '$peer'"
ok "a peer removed by hand on node2: back after $(($(ms) - t0)) ms"

# wg0 deleted by hand: the agent makes a kernel wg0 again, which carries traffic.
restores=$(st 2 'd["interface_restores"]')
t0=$(ms)
ip -n "${P}2" link del wg0
back() { [[ $(st 2 'd["interface_restores"]') -gt $restores ]] && ip netns exec "${P}2" ping -c1 -W1 -q "$(st 1 'd["ip"]')"; }
until_ok 15 "wg0 on node2 was not restored within 15 s" back
kernel_wg0 2 || fail "node2's new wg0 is not a kernel wireguard link"
ok "wg0 deleted by hand on node2: a kernel wg0 again, carrying traffic after $(($(ms) - t0)) ms"
lab ping || fail "full-mesh ping after wg0 came back"
ok "full-mesh ping after wg0 came back"

# SIGTERM: every agent drains and exits within 5 s; no sanitizer report in any log.
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
ok "every agent stopped within 5 s of SIGTERM, no sanitizer report"
echo "passed: $checks checks"
