# tests/lab/lab_test.sh — what every lab test starts with, sourced as
#   source "$(dirname "$0")/lab_test.sh" NAME PREFIX
# after its own root check: this build's binaries (BROOD_LAB_BUILD), a lab directory and
# namespace prefix of its own (so that tests and a lab someone runs by hand never meet), the
# lab's helpers (tools/lab/common.sh), `lab` (tools/brood-lab, torn down however the test
# ends), `st NODE EXPR` (a field of the node's status.json, EXPR a Python expression over d),
# `ok` (numbered checks) and `until_ok SECONDS WHAT CMD...` (the test's own `fail WHAT` if CMD
# does not succeed in time).
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
: "${BROOD_LAB_BUILD:?the build directory whose binaries the lab runs}"
export BROOD_LAB_BUILD
export BROOD_LAB_DIR=/tmp/brood-$1-$$
export BROOD_LAB_PREFIX=$2$(($$ % 1000))
P=$BROOD_LAB_PREFIX
LAB=$BROOD_LAB_DIR
source "$ROOT/tools/lab/common.sh"
lab() { "$ROOT/tools/brood-lab" "$@"; }
trap 'lab down' EXIT
st() { status_of "$1" | field "$2"; }
checks=0
ok() { checks=$((checks + 1)); echo "ok $checks - $*"; }
until_ok() {  # polls CMD every 0.05 s
  local end=$(($(ms) + $1 * 1000)) what=$2
  shift 2
  until "$@" >/dev/null 2>&1; do
    (($(ms) < end)) || fail "$what"
    sleep 0.05
  done
}
