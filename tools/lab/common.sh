# tools/lab/common.sh — what every part of the lab uses: messages, the build, processes the lab
# started (so that down can stop them), namespaces, waiting, and the nodes' status.json.
# Sourced by tools/brood-lab (which sets LAB, P, BUILD); the lab tests source it for st().

PY=$(command -v /usr/bin/python3 || command -v python3)

say() { printf '%s\n' "$*" >&2; }
die() { say "brood-lab: $*"; exit 1; }
ms() { date +%s%3N; }
need_root() { [[ $(id -u) -eq 0 ]] || die "run as root (network namespaces, wireguard-go)"; }

build() {
  tools/deps build peers
  [[ -f $BUILD/build.ninja ]] || cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DBROOD_BUILD_BENCH=OFF >/dev/null
  ninja -C "$BUILD" brood-agent brood-api broodctl >/dev/null
}

bin() { echo "$BUILD/src/$1"; }

# Processes the lab started, so that down can stop them.
track() { echo "$1" >>"$LAB/pids"; }
untrack() { sed -i "/^$1\$/d" "$LAB/pids"; }  # stopped: its number may go to another process

bg() {  # bg LOG CMD... : runs CMD in the background, its output to LOG
  local log=$1; shift
  setsid "$@" >"$log" 2>&1 </dev/null &
  track $!
}

in_ns() { local ns=$1; shift; ip netns exec "$P$ns" "$@"; }
node_ns() { echo "$P$1"; }
anchor() { cat "$LAB/n$1/anchor.pid"; }
in_node() { local i=$1; shift; nsenter -t "$(anchor "$i")" -m -n "$@"; }

wait_for() {  # wait_for SECONDS WHAT CMD...: polls CMD every 0.1 s
  local t=$1 what=$2; shift 2
  local end=$(($(ms) + t * 1000))
  until "$@" >/dev/null 2>&1; do
    (($(ms) < end)) || die "timed out after ${t}s waiting for $what"
    sleep 0.1
  done
}

stop_pid() {  # stop_pid FILE: SIGTERM to the process FILE names, waited for
  local pid; pid=$(cat "$1")
  kill -TERM "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
  untrack "$pid"
}

node_count() { cat "$LAB/nodes"; }
status_of() { cat "$LAB/n$1/status.json" 2>/dev/null; }
field() { $PY -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }
peers_of() { status_of "$1" | field 'len(d["peers"])' 2>/dev/null || echo 0; }
kv_of() { status_of "$1" | field 'd["kv"]' 2>/dev/null || echo 0; }
ip_of() { status_of "$1" | field 'd["ip"]' 2>/dev/null || true; }
