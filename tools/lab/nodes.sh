# tools/lab/nodes.sh — the brood on the underlay: the scout (brood-agent bootstrap, then the
# agent with the API on its reactor), the workers' agents, broodctl, approval, and nodes that
# join later.

agent_env() {  # agent_env I: the environment of node I's agent
  echo BROOD_DOMAIN=$DOMAIN BROOD_STATE_DIR=$LAB/n$1 BROOD_DOH=https://$SVC/dns-query \
    BROOD_CA_FILE=$LAB/pki/trust.pem BROOD_STUN=$SVC:3478 BROOD_SYNC_INTERVAL=${BROOD_LAB_SYNC:-10s} \
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

scout_env() {  # scout_env I: node I as a scout: its provider, the operator's token, where it is
               # reached, its CA
  echo BROOD_PROVIDER=rfc2136 BROOD_RFC2136_SERVER=$SVC:53 "BROOD_TSIG_KEY=brood-update:$(cat "$LAB/dns/tsig")" \
    "BROOD_API_TOKEN=$(cat "$TOKEN_FILE")" BROOD_API_ADDRESS=10.99.$1.2 BROOD_API_LISTEN=10.99.$1.2 BROOD_API_RATE=0 \
    $(acme_env)
}

start_scout() {  # start_scout I bootstrap|run [VAR=VALUE...]: node I's agent as a scout, the API on
                 # its own reactor; returns once the API answers (over TLS, whatever its
                 # certificate) — at once for a node that becomes a scout only when approved
  local i=$1 mode=$2; shift 2
  [[ -S /run/frr/$P$i/bgpd.vty ]] || frr_start "$i"
  local first=()
  [[ $mode == bootstrap ]] && first=(BROOD_ASN=65000 BROOD_SUBNET=$SUBNET
    BROOD_KEEPALIVE=${BROOD_LAB_KEEPALIVE:-30s} BROOD_STALE_AFTER=${BROOD_LAB_STALE:-90s})
  # shellcheck disable=SC2046
  bg "$LAB/n$i/agent.log" nsenter -t "$(anchor "$i")" -m -n env $(agent_env "$i") $(scout_env "$i") "${first[@]}" "$@" \
    "$(bin brood-agent)" "$mode"
  echo $! >"$LAB/n$i/agent.pid"
  [[ $mode == bootstrap || -f $LAB/n$i/brood.key ]] || return 0
  wait_for 60 "node $i's API (see $LAB/n$i/agent.log)" in_ns r curl -skf --max-time 2 \
    --resolve "$DOMAIN:8443:10.99.$i.2" "https://$DOMAIN:8443/healthz"
}

scout() {  # node 1: `brood-agent bootstrap` from nothing — brood.key, a certificate from the lab's
           # CA by ACME DNS-01, the first records — and then it runs as the scout
  head -c 32 /dev/urandom | base64 | tr -d '/+=' >"$TOKEN_FILE"
  chmod 600 "$TOKEN_FILE"
  start_scout 1 bootstrap
  touch "$LAB/n1/scout"
  BROOD_STATE_DIR=$LAB/n1 "$(bin brood-agent)" id | cut -d' ' -f1 >"$LAB/scout.id"
}

api() {  # api start|stop|bootstrap [VAR=VALUE...]: the scout (node 1's agent with the API on its reactor;
         # stop it to see that losing every scout changes nothing)
  local what=$1; shift
  case $what in
    start) start_scout 1 run "$@" ;;
    bootstrap) start_scout 1 bootstrap "$@" ;;  # again, on a bootstrapped scout: changes nothing
    stop) stop_pid "$LAB/n1/agent.pid" ;;
    *) die "api start|stop|bootstrap" ;;
  esac
}

agent() {  # agent start|stop I: node I's agent alone (its WireGuard stays up); a scout's with its API
  local i=${2:?agent start|stop I}
  case $1 in
    start) if [[ -f $LAB/n$i/scout ]]; then start_scout "$i" run; else start_agent "$i"; fi ;;
    stop) stop_pid "$LAB/n$i/agent.pid" ;;
    *) die "agent start|stop I" ;;
  esac
}

ctl() {  # broodctl as the seed's operator runs it — at https://<domain>:8443, the name the DNS
        # gives every scout (CTL_API: another URL, e.g. one scout's) — from the router namespace,
        # whose resolver is the lab's knotd
  in_ns r unshare -m sh -c 'mount --bind "$0" /etc/resolv.conf && exec "$@"' "$LAB/resolv.conf" \
    env BROOD_API="${CTL_API:-https://$DOMAIN:8443}" BROOD_API_TOKEN_FILE="$TOKEN_FILE" BROOD_CA_FILE="$LAB/pki/trust.pem" \
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

join() {  # join [scout]: one more node, registered but not approved; prints its number. A scout
          # to be has the operator's token and the provider's credentials, and serves the API
          # once approved with `ctl approve ID --role scout`
  [[ -f $LAB/nodes ]] || die "no lab is up"
  local i=$(($(node_count) + 1))
  ((i <= 250)) || die "the lab has room for 250 nodes"
  add_node "$i"
  echo "$i" >"$LAB/nodes"
  if [[ ${1:-} == scout ]]; then
    touch "$LAB/n$i/scout"
    start_scout "$i" run
  else
    start_agent "$i"
  fi
  echo "$i"
}
