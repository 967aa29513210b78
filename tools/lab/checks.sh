# tools/lab/checks.sh — what the lab shows: the mesh complete, the ping matrix, each node's status.

wait_mesh() {  # wait_mesh NODES... : until every listed node has all the others as peers
  local nodes=("$@") want=$(($# - 1)) end=$(($(ms) + 90000))
  for i in "${nodes[@]}"; do
    until [[ $(peers_of "$i") -eq $want && -n $(ip_of "$i") ]]; do
      (($(ms) < end)) || die "node $i has $(peers_of "$i") of $want peers after 90 s (see $LAB/n$i/agent.log)"
      sleep 0.2
    done
  done
}

ping_matrix() {  # ping_matrix NODES... : over wg0; prints the matrix, non-zero if any pair failed
  address_matrix ip_of "$@"
}

address_matrix() {  # address_matrix ADDRESS_OF NODES... : each node pings ADDRESS_OF of each other
  local address_of=$1 bad=0; shift
  local nodes=("$@")
  printf '%-8s' "from\\to"
  for j in "${nodes[@]}"; do printf '%-8s' "node$j"; done
  printf '\n'
  for i in "${nodes[@]}"; do
    printf '%-8s' "node$i"
    for j in "${nodes[@]}"; do
      if [[ $i == "$j" ]]; then printf '%-8s' "-"; continue; fi
      # -W 6: a first packet waits in WireGuard for the handshake, which is retried after 5 s
      # when its first initiation reached a peer that did not know this node yet.
      if in_ns "$i" ping -c1 -W6 -q "$("$address_of" "$j")" >/dev/null 2>&1; then printf '%-8s' ok
      else printf '%-8s' FAIL; bad=1; fi
    done
    printf '\n'
  done
  return $bad
}

status() {
  [[ -f $LAB/nodes ]] || die "no lab is up"
  local n; n=$(node_count)
  for i in $(seq 1 "$n"); do
    [[ -f $LAB/n$i/status.json ]] || continue
    echo "== node$i"
    BROOD_STATE_DIR=$LAB/n$i "$(bin brood-agent)" status | sed -n '1,3p'
  done
  echo
  ping_matrix $(seq 1 "$n") || true
}
