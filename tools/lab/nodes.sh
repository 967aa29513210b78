# tools/lab/nodes.sh — the brood on the underlay: the scout (bootstrap, brood-api, its agent),
# the workers' agents, broodctl, approval, and nodes that join later.

agent_env() {  # agent_env I: the environment of node I's agent
  echo BROOD_DOMAIN=$DOMAIN BROOD_STATE_DIR=$LAB/n$1 BROOD_DOH=https://$SVC/dns-query \
    BROOD_CA_FILE=$LAB/pki/ca.crt BROOD_STUN=$SVC:3478 BROOD_SYNC_INTERVAL=${BROOD_LAB_SYNC:-10s} \
    BROOD_WATCH=${BROOD_LAB_WATCH:-on} BROOD_HOSTNAME=node$1 \
    BROOD_FRR=$(frr_on && echo auto || echo off) BROOD_FRR_PATHSPACE=$P$1
}

start_agent() {  # start_agent I [extra env...]: FRR first, then the agent that drives it
  local i=$1; shift
  [[ -S /run/frr/$P$i/bgpd.vty ]] || frr_start "$i"
  # shellcheck disable=SC2046
  bg "$LAB/n$i/agent.log" nsenter -t "$(anchor "$i")" -m -n env $(agent_env "$i") "$@" "$(bin brood-agent)" run
  echo $! >"$LAB/n$i/agent.pid"
}

scout() {  # node 1: bootstrap, then brood-api and its own agent
  local id
  id=$(BROOD_STATE_DIR=$LAB/n1 "$(bin brood-agent)" id | cut -d' ' -f1)
  echo "$id" >"$LAB/scout.id"
  leaf api "DNS:$id.$DOMAIN,IP:10.99.1.2"
  leaf api-expired "DNS:$id.$DOMAIN,IP:10.99.1.2" expired
  cp "$LAB/pki/api.crt" "$LAB/pki/api-good.crt"
  cp "$LAB/pki/api.key" "$LAB/pki/api-good.key"
  head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$TOKEN_FILE"
  chmod 600 "$TOKEN_FILE"
  local env=(BROOD_DOMAIN=$DOMAIN BROOD_STATE_DIR=$LAB/n1 BROOD_PROVIDER=rfc2136
    BROOD_RFC2136_SERVER=$SVC:53 "BROOD_TSIG_KEY=brood-update:$(cat "$LAB/dns/tsig")")
  in_node 1 env "${env[@]}" BROOD_ASN=65000 BROOD_SUBNET=$SUBNET BROOD_API_ADDRESS=10.99.1.2 \
    BROOD_KEEPALIVE=${BROOD_LAB_KEEPALIVE:-30s} BROOD_STALE_AFTER=${BROOD_LAB_STALE:-90s} \
    "$(bin brood-api)" bootstrap >"$LAB/n1/bootstrap.log" 2>&1 || { cat "$LAB/n1/bootstrap.log" >&2; die "bootstrap failed"; }
  api start
  start_agent 1 BROOD_KEY_FILE=$LAB/n1/brood.key
}

api() {  # api start|stop [VAR=VALUE...]: the scout's brood-api (stop it to see that losing every
         # scout changes nothing)
  local what=$1; shift
  case $what in
    start)
      local env=(BROOD_DOMAIN=$DOMAIN BROOD_STATE_DIR=$LAB/n1 BROOD_PROVIDER=rfc2136
        BROOD_RFC2136_SERVER=$SVC:53 "BROOD_TSIG_KEY=brood-update:$(cat "$LAB/dns/tsig")")
      bg "$LAB/n1/api.log" nsenter -t "$(anchor 1)" -m -n env "${env[@]}" "BROOD_API_TOKEN=$(cat "$TOKEN_FILE")" \
        BROOD_TLS_CERT=$LAB/pki/api.crt BROOD_TLS_KEY=$LAB/pki/api.key BROOD_API_LISTEN=10.99.1.2 BROOD_API_RATE=0 \
        "$@" "$(bin brood-api)"
      echo $! >"$LAB/n1/api.pid"
      wait_for 10 brood-api in_ns r bash -c "echo >/dev/tcp/10.99.1.2/8443"
      ;;
    stop) stop_pid "$LAB/n1/api.pid" ;;
    *) die "api start|stop" ;;
  esac
}

agent() {  # agent start|stop I: node I's agent alone (its WireGuard stays up)
  local i=${2:?agent start|stop I}
  case $1 in
    start)  # the scout's agent reads the brood key from its file
      if [[ $i == 1 ]]; then start_agent 1 BROOD_KEY_FILE="$LAB/n1/brood.key"; else start_agent "$i"; fi ;;
    stop) stop_pid "$LAB/n$i/agent.pid" ;;
    *) die "agent start|stop I" ;;
  esac
}

ctl() {  # broodctl against the scout, from the router namespace
  in_ns r env BROOD_API=https://10.99.1.2:8443 BROOD_API_TOKEN_FILE="$TOKEN_FILE" BROOD_CA_FILE="$LAB/pki/ca.crt" \
    "$(bin broodctl)" "$@"
}

approve_all() {  # approve every pending node until N-1 workers are members
  local n=$1 want=$(($1 - 1)) done=0 end=$(($(ms) + 60000))
  while ((done < want)); do
    (($(ms) < end)) || die "timed out approving workers ($done of $want)"
    local ids
    ids=$(ctl --json pending | $PY -c 'import json,sys; print(" ".join(p["id"] for p in json.load(sys.stdin)))')
    for id in $ids; do ctl approve "$id" >/dev/null && done=$((done + 1)); done
    sleep 0.2
  done
}

join() {  # one more node, registered but not approved; prints its number
  [[ -f $LAB/nodes ]] || die "no lab is up"
  local i=$(($(node_count) + 1))
  ((i <= 250)) || die "the lab has room for 250 nodes"
  add_node "$i"
  echo "$i" >"$LAB/nodes"
  start_agent "$i"
  echo "$i"
}
