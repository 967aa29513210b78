# tools/lab/underlay.sh — the routed underlay: a router namespace, the services' namespace
# behind it, and one /24 per node.

underlay() {  # a router namespace, and the services on 10.99.0.0/24 behind it
  ip netns add "${P}r"
  in_ns r ip link set lo up
  in_ns r sysctl -qw net.ipv4.ip_forward=1
  ip netns add "${P}s"
  in_ns s ip link set lo up
  ip link add eth0 netns "${P}s" type veth peer name s0 netns "${P}r"
  in_ns r ip addr add 10.99.0.1/24 dev s0
  in_ns r ip link set s0 up
  in_ns s ip addr add "$SVC/24" dev eth0
  in_ns s ip addr add 10.99.0.3/24 dev eth0
  in_ns s ip link set eth0 up
  in_ns s ip route add default via 10.99.0.1
}

add_node() {  # add_node I: node I's namespaces on 10.99.I.0/24 (one /24 per node keeps each
              # node's neighbour table to its gateway: the kernel's ARP table is shared)
  local i=$1
  ip netns add "$P$i"
  in_ns "$i" ip link set lo up
  ip link add eth0 netns "$P$i" type veth peer name "n$i" netns "${P}r"
  in_ns r ip addr add "10.99.$i.1/24" dev "n$i"
  in_ns r ip link set "n$i" up
  in_ns "$i" ip addr add "10.99.$i.2/24" dev eth0
  in_ns "$i" ip link set eth0 up
  in_ns "$i" ip route add default via "10.99.$i.1"
  # The node's own mount namespace, so that its wireguard-go has its own /run/wireguard.
  mkdir -p "$LAB/n$i/run"
  chmod 700 "$LAB/n$i"
  setsid ip netns exec "$P$i" unshare -m --propagation private \
    sh -c "mount --bind '$LAB/n$i/run' /run/wireguard && exec sleep infinity" </dev/null >/dev/null 2>&1 &
  echo $! >"$LAB/n$i/anchor.pid"
  track $!
  wait_for 5 "node $i's mount namespace" in_node "$i" mountpoint -q /run/wireguard
}

renumber() {  # renumber I: node I's underlay address moves between 10.99.I.2 and 10.99.I.3
  local i=$1 from to
  if in_ns "$i" ip -4 addr show dev eth0 | grep -q "10.99.$i.2/"; then from=2 to=3; else from=3 to=2; fi
  # The old address first: deleting a primary address takes its secondaries with it.
  in_ns "$i" ip addr del "10.99.$i.$from/24" dev eth0
  in_ns "$i" ip addr add "10.99.$i.$to/24" dev eth0
  in_ns "$i" ip route replace default via "10.99.$i.1"
  echo "10.99.$i.$to"
}
