#!/usr/bin/env bash
# Builds cwola for GPUs: against a CUDA LibTorch (a PyTorch installation's, or a libtorch
# folder), with MPI, parallel HDF5, Boost and FastJet from the system, from loaded modules, or
# from a prefix of unpacked Debian 12 packages (scripts/deps_download.sh + deps_unpack.sh).
# Then does what was asked:
#   bash scripts/setup_cuda.sh [options] [build|test|cuda-test|quickstart]
#     --torch PATH     TorchConfig.cmake's folder, a CMake prefix holding Torch/, or a libtorch
#                      folder (default: PYTHON -c 'import torch; print(torch.utils.cmake_prefix_path)')
#     --python PATH    the Python whose torch to use (default: python3 on PATH)
#     --prefix DIR     MPI, HDF5, Boost, FastJet from DIR (sources DIR/cwola-deps.env if there)
#     --debs DIR       unpack the .debs in DIR into --prefix first (if it is not there yet)
#     --build-dir DIR  default: build-cuda
#     --jobs N         parallel compile jobs (default: nproc; LibTorch units take ~1 GB each)
#     --targets "A B"  build only these targets (default: all), e.g. "cwola test_training"
#     --allow-cpu-torch  accept a LibTorch without CUDA (to test this recipe on a CPU machine)
#     -- ARGS          passed to cmake at configure time
# Actions: build (default); test: the whole suite; cuda-test: `ctest -L cuda` (the CUDA test
# cases, which must run, not skip); quickstart: jobs/quickstart.ini on 1 rank with device = cuda
# (device = cpu with --allow-cpu-torch and no CUDA).
# It prints the time it took. On a cluster, load the modules first (slurm/env/README.md).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
started=$SECONDS
torch_path=""
python="python3"
prefix=""
debs=""
build="$ROOT/build-cuda"
jobs="$(nproc)"
allow_cpu=0
targets=""
action=build
cmake_args=()

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}" >&2; exit 2; }
need() { [ "$#" -ge 2 ] && [ -n "$2" ] || { echo "setup_cuda: error: $1 needs a value" >&2; exit 2; }; }
while [ "$#" -gt 0 ]; do
  case "$1" in
    --torch) need "$@"; torch_path="$2"; shift 2 ;;
    --python) need "$@"; python="$2"; shift 2 ;;
    --prefix) need "$@"; prefix="$2"; shift 2 ;;
    --debs) need "$@"; debs="$2"; shift 2 ;;
    --build-dir) need "$@"; build="$2"; shift 2 ;;
    --jobs) need "$@"; jobs="$2"; shift 2 ;;
    --targets) need "$@"; targets="$2"; shift 2 ;;
    --allow-cpu-torch) allow_cpu=1; shift ;;
    --) shift; cmake_args=("$@"); break ;;
    build|test|cuda-test|quickstart) action="$1"; shift ;;
    -h|--help) usage ;;
    *) echo "setup_cuda: error: unknown argument '$1'" >&2; usage ;;
  esac
done

# --- MPI, HDF5, Boost: a prefix of unpacked .debs, or whatever the system/modules provide ---
if [ -n "$debs" ]; then
  [ -n "$prefix" ] || { echo "setup_cuda: error: --debs needs --prefix (where to unpack)" >&2; exit 2; }
  if [ ! -f "$prefix/cwola-deps.env" ]; then
    bash "$ROOT/scripts/deps_unpack.sh" "$debs" "$prefix"
  fi
fi
if [ -n "$prefix" ]; then
  prefix="$(cd "$prefix" && pwd)"
  # shellcheck source=/dev/null
  if [ -f "$prefix/cwola-deps.env" ]; then source "$prefix/cwola-deps.env"; fi
  cmake_args=(-DCWOLA_DEPS_PREFIX="$prefix" "${cmake_args[@]}")
elif ! command -v mpiexec >/dev/null 2>&1; then
  echo "setup_cuda: error: no mpiexec on PATH and no --prefix. Load the cluster's MPI and HDF5" \
       "modules (slurm/env/README.md), or make a prefix: bash scripts/deps_download.sh DEBS" \
       "(on a Debian 12 machine), then --prefix DIR --debs DEBS here" >&2
  exit 2
fi

# --- LibTorch ---
if [ -z "$torch_path" ]; then
  if ! torch_path="$("$python" -c 'import torch; print(torch.utils.cmake_prefix_path)' 2>/dev/null)"; then
    echo "setup_cuda: error: '$python' has no torch; give --python PATH (a Python with a CUDA" \
         "PyTorch) or --torch PATH (a libtorch folder)" >&2
    exit 2
  fi
fi
torch_dir=""
for candidate in "$torch_path" "$torch_path/Torch" "$torch_path/share/cmake/Torch"; do
  if [ -f "$candidate/TorchConfig.cmake" ]; then torch_dir="$(cd "$candidate" && pwd)"; break; fi
done
if [ -z "$torch_dir" ]; then
  echo "setup_cuda: error: no TorchConfig.cmake in '$torch_path' (nor Torch/ or share/cmake/Torch/ below it)" >&2
  exit 2
fi
# The CUDA libraries lie next to libtorch.so in a CUDA build (pip wheel and libtorch zip alike).
torch_lib="$(cd "$torch_dir/../../.." && pwd)/lib"
[ -d "$torch_lib" ] || torch_lib="$(cd "$torch_dir/../.." && pwd)"
has_cuda=0
if compgen -G "$torch_lib/libtorch_cuda*.so" >/dev/null || compgen -G "$torch_lib/libc10_cuda.so" >/dev/null; then
  has_cuda=1
fi
if [ "$has_cuda" -eq 0 ] && [ "$allow_cpu" -eq 0 ]; then
  echo "setup_cuda: error: the LibTorch in '$torch_dir' has no CUDA (no libtorch_cuda.so in" \
       "'$torch_lib'); use a CUDA PyTorch/libtorch, or --allow-cpu-torch to test the recipe" >&2
  exit 2
fi
if [ "$has_cuda" -eq 1 ]; then
  # Torch's CMake config needs the CUDA toolkit (nvcc, cudart) of the major version it was built with.
  if ! command -v nvcc >/dev/null 2>&1; then
    for home in "${CUDA_HOME:-}" "${CUDA_PATH:-}" /usr/local/cuda; do
      if [ -n "$home" ] && [ -x "$home/bin/nvcc" ]; then export PATH="$home/bin:$PATH"; break; fi
    done
  fi
  if ! command -v nvcc >/dev/null 2>&1; then
    echo "setup_cuda: error: no nvcc (CUDA toolkit): load the cuda module or set CUDA_HOME" >&2
    exit 2
  fi
  cuda_root="$(cd "$(dirname "$(command -v nvcc)")/.." && pwd)"
  cmake_args=(-DCUDAToolkit_ROOT="$cuda_root" "${cmake_args[@]}")
fi
echo "setup_cuda: LibTorch $torch_dir ($([ "$has_cuda" -eq 1 ] && echo CUDA || echo CPU only))"

# --- configure and build ---
generator=()
command -v ninja >/dev/null 2>&1 && generator=(-G Ninja)
cmake -S "$ROOT" -B "$build" ${generator[@]+"${generator[@]}"} -DCMAKE_BUILD_TYPE=Release \
  -DTorch_DIR="$torch_dir" ${cmake_args[@]+"${cmake_args[@]}"}
target_args=()
# shellcheck disable=SC2206
[ -n "$targets" ] && target_args=(--target $targets)
cmake --build "$build" -j "$jobs" ${target_args[@]+"${target_args[@]}"}
echo "setup_cuda: built $build in $((SECONDS - started)) s"

export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
device=cuda
[ "$has_cuda" -eq 1 ] || device=cpu
case "$action" in
  build) ;;
  test) ctest --test-dir "$build" --output-on-failure -j "$jobs" ;;
  cuda-test) ctest --test-dir "$build" -L cuda --output-on-failure -V ;;
  quickstart)
    mkdir -p "$ROOT/out"
    store="$ROOT/out/quickstart_$device.h5"
    resume=()
    [ -f "$store" ] && resume=(--resume)
    mpiexec -np 1 "$build/cwola" run --job "$ROOT/jobs/quickstart.ini" --device "$device" \
      --output "$store" ${resume[@]+"${resume[@]}"}
    ;;
esac
echo "setup_cuda: '$action' done in $((SECONDS - started)) s"
