#!/usr/bin/env bash
# One command for the benchmark: build cwola (Release, into build-bench/ unless CWOLA_BIN is
# set), then run the benchmark of a study and the scaling model on its figures:
#   --study dense (default): bench/bench.py, the Gaussian study (jobs/quickstart.ini), figures
#                            in out/bench.json;
#   --study cnn:             bench/cnn_bench.py, the hidden-valley CNN study
#                            (jobs/hidden_valley_significance.ini), figures in out/cnn_bench.json;
# each: cwola K=1 and best K on 1 and 2 ranks, and the PyTorch-Python reference. Other
# arguments go to the script, e.g.
#   bash bench/run_bench.sh --quick
#   CWOLA_BIN=build/cwola bash bench/run_bench.sh --k-values 4,8,16
#   bash bench/run_bench.sh --study cnn --quick
#   CWOLA_BIN=build/cwola bash bench/run_bench.sh --study cnn --device cuda --k-values 4,16
#   CWOLA_BIN=build-cuda/cwola bash bench/run_bench.sh --device cuda --python ~/venv/bin/python
# --python PATH: the Python with torch (a CUDA one for --device cuda) for the reference.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
study=dense
python=/usr/bin/python3
args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --study) study="${2:-}"; shift 2 || { echo "bench: --study needs dense or cnn" >&2; exit 2; } ;;
    --study=*) study="${1#--study=}"; shift ;;
    --python) python="${2:-}"; args+=("$1" "$python"); shift 2 ||
                { echo "bench: --python needs a path" >&2; exit 2; } ;;
    *) args+=("$1"); shift ;;
  esac
done
case "$study" in
  dense) script=bench/bench.py; figures=out/bench.json ;;
  cnn) script=bench/cnn_bench.py; figures=out/cnn_bench.json ;;
  *) echo "bench: --study '$study' is not known (no benchmark for it); use dense or cnn" >&2
     exit 2 ;;
esac
if [[ -z "${CWOLA_BIN:-}" ]]; then
  cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DCWOLA_BUILD_TESTS=OFF >/dev/null
  ninja -C build-bench -j"${JOBS:-1}" cwola
  export CWOLA_BIN="$root/build-bench/cwola"
fi
if ! "$python" -c "import torch" 2>/dev/null; then
  echo "bench: the PyTorch-Python reference needs torch in '$python': on Debian" >&2
  echo "       apt-get install -y --no-install-recommends python3-torch, elsewhere --python PATH" >&2
  exit 2
fi
# The harness reads cwola's stores with h5py: Debian's python3 if it has it, else the reference's.
harness=/usr/bin/python3
"$harness" -c "import h5py, numpy" 2>/dev/null || harness="$python"
mkdir -p out
"$harness" "$script" --cwola "$CWOLA_BIN" --json "$figures" ${args[@]+"${args[@]}"}
"$harness" bench/scaling_model.py "$figures"
