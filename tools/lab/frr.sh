# tools/lab/frr.sh — FRR beside each node's agent, as the seed's brood-frr container runs it:
# zebra, bfdd and bgpd in the node's network namespace with pathspace <prefix><I> (their vty
# sockets and pid files in /run/frr/<prefix><I>), started with no configuration — the agent
# renders and applies it (BROOD_FRR_PATHSPACE). BROOD_LAB_FRR=off leaves FRR out.

frr_on() { [[ ${BROOD_LAB_FRR:-on} == on ]]; }

frr_start() {  # frr_start I
  local i=$1 ns=$P$1 d
  frr_on || return 0
  [[ -x /usr/lib/frr/bgpd ]] || die "FRR is not installed (tools/deps peers)"
  mkdir -p "/run/frr/$ns" "$LAB/n$i/frr"
  chown frr:frr "/run/frr/$ns" "$LAB/n$i/frr"
  for d in zebra bfdd bgpd; do
    local extra=()
    [[ $d == zebra ]] && extra=(-s 90000000)  # netlink receive buffer: routes and FDB at 100 nodes
    in_ns "$i" /usr/lib/frr/$d -d -N "$ns" -P 0 -f /dev/null --log "file:$LAB/n$i/frr/$d.log" "${extra[@]}" 2>/dev/null
  done
  for d in zebra bfdd bgpd; do wait_for 10 "$d of node $i" test -S "/run/frr/$ns/$d.vty"; done
}

frr_cleanup() {  # the daemons die with their namespaces (down); their run directories go here
  rm -rf /run/frr/"${P}"[0-9]*
}

vt() {  # vt I CMD...: vtysh against node I's FRR
  local i=$1; shift
  vtysh -N "$P$i" "$@" 2>/dev/null
}
