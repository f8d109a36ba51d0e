#!/usr/bin/env bash
# One entry point for a fresh Debian 12 machine: installs the missing Debian
# packages, configures and builds, then runs what was asked for.
#   bash scripts/setup.sh quickstart   # build, then the quickstart study on 2 ranks
#   bash scripts/setup.sh test         # build, then the whole test suite (CI runs this)
#   bash scripts/setup.sh build        # build only
# For GPUs (CUDA LibTorch, MPI/HDF5/Boost from modules or a prefix): scripts/setup_cuda.sh.
# Idempotent: packages already installed and an up-to-date build are skipped.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${CWOLA_BUILD_DIR:-$ROOT/build}"
ACTION="${1:-build}"

PACKAGES=(
  g++ cmake ninja-build git pkg-config procps
  openmpi-bin libopenmpi-dev libhdf5-openmpi-dev hdf5-tools
  libtorch-dev libopenblas0
  libboost-program-options-dev libboost-test-dev libboost-math-dev
  libgsl-dev
  libfastjet-dev
  # boosted decision trees (XGBoost C API), used by src/trees/ only
  libxgboost-dev
  # SPANet event specs (YAML), read by src/store/spanet_spec.cpp only
  libyaml-cpp-dev
  python3 python3-numpy python3-h5py python3-matplotlib
  # SLURM and munge for the tests that submit the sbatch templates to a private SLURM
  slurmctld slurmd slurm-client munge
)

# Only for `setup.sh bench`: the reference side of the benchmarks (PyTorch-Python loops, scipy
# fits); the tests never need them, so CI does not install them.
BENCH_PACKAGES=(python3-torch python3-scipy python3-sklearn)
[ "$ACTION" = bench ] && PACKAGES+=("${BENCH_PACKAGES[@]}")

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

install_missing_packages() {
  local missing=()
  for package in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
      missing+=("$package")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    as_root apt-get update -qq
    # Package scripts must not start services (slurmctld, slurmd, munged): there is no
    # systemd here, and the tests start private daemons themselves. A policy-rc.d that
    # exits 101 tells invoke-rc.d so; ours is removed again afterwards.
    local policy=/usr/sbin/policy-rc.d added_policy=0
    if [ ! -e "$policy" ]; then
      printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" >/dev/null
      as_root chmod 755 "$policy"
      added_policy=1
    fi
    # Without --no-install-recommends libtorch-dev drags in Qt/GTK (see notes).
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      "${missing[@]}"
    if [ "$added_policy" -eq 1 ]; then as_root rm -f "$policy"; fi
  fi
  # LibTorch trains ~7x slower on Debian's reference BLAS: make sure OpenBLAS serves libblas.so.3.
  local blas
  blas="$(update-alternatives --query libblas.so.3-x86_64-linux-gnu 2>/dev/null |
          awk '/^Value:/ {print $2}')"
  case "$blas" in
    *openblas*) ;;
    *) echo "setup: warning: libblas.so.3 is '$blas', not OpenBLAS; training will be slow." \
            "Fix: update-alternatives --config libblas.so.3-x86_64-linux-gnu" >&2 ;;
  esac
}

build() {
  if [ ! -f "$BUILD/build.ninja" ]; then
    cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release
  fi
  # LibTorch translation units take ~1 GB each; two jobs fit the 2-core CI machine.
  cmake --build "$BUILD" -j "$(nproc)"
}

# Open MPI refuses root unless told (containers and CI run as root).
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

install_missing_packages
build

case "$ACTION" in
  build) ;;
  quickstart)
    mkdir -p "$ROOT/out"
    store="$ROOT/out/quickstart.h5"
    # A finished store is resumed: nothing reruns, the table and plots are made again.
    resume=()
    [ -f "$store" ] && resume=(--resume)
    mpiexec -np 2 --oversubscribe "$BUILD/cwola" run --job "$ROOT/jobs/quickstart.ini" \
      --output "$store" "${resume[@]}"
    ;;
  test)
    ctest --test-dir "$BUILD" --output-on-failure -j 2
    ;;
  bench) echo "setup: benchmark prerequisites installed; see bench/README.md" ;;
  *)
    echo "usage: bash scripts/setup.sh [build|quickstart|test|bench]" >&2
    exit 2
    ;;
esac
