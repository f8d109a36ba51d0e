#!/usr/bin/env bash
# The GPU checks in one command, for a GPU machine lent for ~10 minutes: build (the recipe,
# scripts/setup_cuda.sh), the CUDA-labelled tests (shown to have run, not skipped), then the
# dense (Gaussian) and CNN (hidden-valley) benchmarks at K = 1 and each of --k-values on one GPU
# against the PyTorch-Python reference on the same GPU; every figure goes to one JSON.
#   bash bench/gpu_check.sh --python PY [--prefix DIR --debs DIR] [--torch PATH]
#   bash bench/gpu_check.sh --device cpu --quick      # dry run on a CPU machine (tests this script)
# Options:
#   --device cuda|cpu   cpu: a dry run (CPU LibTorch accepted, CUDA test cases expected to skip)
#   --quick             tiny sizes (K = 2, one repeat, few epochs): for the dry run
#   --python PATH       Python with torch (CUDA) for the reference (default: python3 on PATH)
#   --torch PATH        LibTorch to build against (default: --python's torch)
#   --prefix DIR, --debs DIR   MPI/HDF5/Boost prefix, as in scripts/setup_cuda.sh
#   --build-dir DIR     default build-cuda; --skip-build uses what is there
#   --k-values LIST     default 8,64,256 (K = 1 always runs); --quick: 2
#   --json FILE         default out/gpu_check.json
#   --jobs N            compile jobs (default nproc)
# Device-time budget at the default sizes (estimated from the H100 figures, not yet measured):
# build ~5 min on 16 cores (none if --skip-build), tests ~0.5 min, dense ~3 min, CNN ~3 min.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
started=$SECONDS
device=cuda
quick=0
python="python3"
torch_args=()
prefix_args=()
build="$ROOT/build-cuda"
skip_build=0
k_values=""
json="$ROOT/out/gpu_check.json"
jobs="$(nproc)"
need() { [ "$#" -ge 2 ] && [ -n "$2" ] || { echo "gpu_check: error: $1 needs a value" >&2; exit 2; }; }
while [ "$#" -gt 0 ]; do
  case "$1" in
    --device) need "$@"; device="$2"; shift 2 ;;
    --quick) quick=1; shift ;;
    --python) need "$@"; python="$2"; shift 2 ;;
    --torch) need "$@"; torch_args=(--torch "$2"); shift 2 ;;
    --prefix|--debs) need "$@"; prefix_args+=("$1" "$2"); shift 2 ;;
    --build-dir) need "$@"; build="$2"; shift 2 ;;
    --skip-build) skip_build=1; shift ;;
    --k-values) need "$@"; k_values="$2"; shift 2 ;;
    --json) need "$@"; json="$2"; shift 2 ;;
    --jobs) need "$@"; jobs="$2"; shift 2 ;;
    *) echo "gpu_check: error: unknown argument '$1' (see the head of $0)" >&2; exit 2 ;;
  esac
done
case "$device" in cuda|cpu) ;; *) echo "gpu_check: error: --device cuda or cpu" >&2; exit 2 ;; esac
[ -n "$k_values" ] || { if [ "$quick" -eq 1 ]; then k_values=2; else k_values=8,64,256; fi; }
python="$(command -v "$python" || true)"
[ -n "$python" ] || { echo "gpu_check: error: no such --python" >&2; exit 2; }
build="$(mkdir -p "$build" && cd "$build" && pwd)"
mkdir -p "$(dirname "$json")"
work="$(mktemp -d "${TMPDIR:-/tmp}/cwola_gpu_check.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# --- 1. build (the committed recipe) ---
build_seconds=None
if [ "$skip_build" -eq 0 ]; then
  cpu_flag=()
  [ "$device" = cpu ] && cpu_flag=(--allow-cpu-torch)
  t0=$SECONDS
  bash scripts/setup_cuda.sh --python "$python" ${torch_args[@]+"${torch_args[@]}"} \
    ${prefix_args[@]+"${prefix_args[@]}"} ${cpu_flag[@]+"${cpu_flag[@]}"} --build-dir "$build" \
    --jobs "$jobs" --targets "cwola test_training" build
  build_seconds=$((SECONDS - t0))
fi
# The prefix's environment (mpiexec, libraries) for the runs below.
for arg in ${prefix_args[@]+"${prefix_args[@]}"}; do
  # shellcheck source=/dev/null
  [ -f "$arg/cwola-deps.env" ] && source "$arg/cwola-deps.env"
done
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

# --- 2. the CUDA-labelled tests, with Boost.Test's per-case report ---
t0=$SECONDS
tests_rc=0
ctest --test-dir "$build" -L cuda -V > "$work/cuda_tests.log" 2>&1 || tests_rc=$?
cat "$work/cuda_tests.log"
tests_seconds=$((SECONDS - t0))
# Boost.Test's detailed report: one line per selected case.
ran="$(grep -c -E 'Test case "[^"]*" has (passed|failed)' "$work/cuda_tests.log" || true)"
skipped="$(grep -c -E 'Test case "[^"]*" was skipped' "$work/cuda_tests.log" || true)"
echo "gpu_check: CUDA test cases: $ran ran, $skipped skipped (ctest exit $tests_rc)"
if [ "$device" = cuda ] && { [ "$skipped" -ne 0 ] || [ "$ran" -eq 0 ] || [ "$tests_rc" -ne 0 ]; }; then
  echo "gpu_check: error: on a GPU every CUDA test case must run and pass" >&2
  exit 1
fi
if [ "$device" = cpu ] && [ "$tests_rc" -ne 0 ]; then
  echo "gpu_check: error: the CUDA-labelled tests failed on the CPU" >&2
  exit 1
fi

# --- 3. the benchmarks: one GPU, so one rank; the reference once (threads barely matter) ---
harness=/usr/bin/python3
"$harness" -c "import h5py, numpy" 2>/dev/null || harness="$python"
"$harness" -c "import h5py, numpy" 2>/dev/null || {
  echo "gpu_check: error: neither /usr/bin/python3 nor $python has h5py and numpy (the" \
       "harness reads cwola's stores); pip install h5py into $python" >&2; exit 2; }
common=(--cwola "$build/cwola" --device "$device" --python "$python" --max-ranks 1
        --single-reference --tasks-at-least-k --k-values "$k_values")
if [ "$quick" -eq 1 ]; then
  dense=(--quick --repeats 1 --reference-repeats 1)
  cnn=(--quick --repeats 1 --reference-repeats 1 --max-epochs 2 --patience 2)
else
  # Dense: jobs/quickstart.ini (60 trainings, more at K > 60), the reference on 24 trainings.
  dense=(--reference-repeats 4)
  # CNN: the quick event files, full training length, the reference on 4 trainings.
  cnn=(--quick --repeats 8 --reference-repeats 4 --max-epochs 25 --patience 10)
fi
t0=$SECONDS
"$harness" bench/bench.py "${common[@]}" "${dense[@]}" --json "$work/dense.json"
dense_seconds=$((SECONDS - t0))
t0=$SECONDS
"$harness" bench/cnn_bench.py "${common[@]}" "${cnn[@]}" --json "$work/cnn.json"
cnn_seconds=$((SECONDS - t0))

# --- 4. one JSON with everything ---
gpus="$(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || true)"
"$harness" - "$work" "$json" <<PY
import json, sys
work, out = sys.argv[1], sys.argv[2]
def load(name):
    with open(f"{work}/{name}") as f:
        return json.load(f)
def summary(report):
    runs = report["runs"]
    ref = next((r for r in runs if r["tool"] == "pytorch"), None)
    rows = []
    for r in runs:
        if r["tool"] != "cwola":
            continue
        row = {"k": r["k"], "ranks": r["ranks"], "trainings": r["tasks"], "wall_s": r["wall"],
               "trainings_per_hour": r["trainings_per_hour"],
               "events_per_second": r["events_per_second"]}
        if ref:
            row["x_reference_trainings_per_hour"] = r["trainings_per_hour"] / ref["trainings_per_hour"]
            row["x_reference_events_per_second"] = r["events_per_second"] / ref["events_per_second"]
        rows.append(row)
    return {"cwola": rows, "reference": None if ref is None else {
        "trainings": ref["tasks"], "wall_s": ref["wall"],
        "trainings_per_hour": ref["trainings_per_hour"],
        "events_per_second": ref["events_per_second"], "torch_version": ref["torch_version"]}}
dense, cnn = load("dense.json"), load("cnn.json")
log = open(f"{work}/cuda_tests.log").read()
result = {
    "device": "$device", "quick": bool($quick), "gpus": """$gpus""".strip().splitlines(),
    "python": "$python", "build_seconds": $build_seconds,
    "cuda_tests": {"ran": $ran, "skipped": $skipped, "ctest_exit": $tests_rc,
                   "seconds": $tests_seconds, "log_tail": log[-4000:]},
    "dense": {"seconds": $dense_seconds, "summary": summary(dense), "figures": dense},
    "cnn": {"seconds": $cnn_seconds, "summary": summary(cnn), "figures": cnn},
}
with open(out, "w") as f:
    json.dump(result, f, indent=1)
for study in ("dense", "cnn"):
    for row in result[study]["summary"]["cwola"]:
        ratio = row.get("x_reference_trainings_per_hour")
        print(f"gpu_check: {study:5s} K={row['k']:<4d} {row['trainings_per_hour']:10.0f} trainings/h"
              + (f"  {ratio:6.2f}x the PyTorch reference" if ratio else ""))
PY
echo "gpu_check: figures in $json; $((SECONDS - started)) s in all"
