#!/usr/bin/env bash
# One command for the benchmark: build cwola (Release, into build-bench/ unless CWOLA_BIN is
# set), then run bench/bench.py (cwola K=1 and best K on 1 and 2 ranks, and the PyTorch-Python
# reference) and the scaling model on its figures. Extra arguments go to bench.py, e.g.
#   bash bench/run_bench.sh --quick
#   CWOLA_BIN=build/cwola bash bench/run_bench.sh --k-values 4,8,16
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
if [[ -z "${CWOLA_BIN:-}" ]]; then
  cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DCWOLA_BUILD_TESTS=OFF >/dev/null
  ninja -C build-bench -j"${JOBS:-1}" cwola
  export CWOLA_BIN="$root/build-bench/cwola"
fi
if ! /usr/bin/python3 -c "import torch" 2>/dev/null; then
  echo "bench: the PyTorch-Python reference needs Debian's python3-torch:" >&2
  echo "       apt-get install -y --no-install-recommends python3-torch" >&2
  exit 2
fi
mkdir -p out
/usr/bin/python3 bench/bench.py --cwola "$CWOLA_BIN" --json out/bench.json "$@"
/usr/bin/python3 bench/scaling_model.py out/bench.json
