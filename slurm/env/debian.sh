# shellcheck shell=bash
# Cluster kind "debian": Debian 12 nodes with the distribution's packages (Open MPI 4.1,
# parallel HDF5, CPU LibTorch, SLURM 22.05 with PMIx) and cwola built inside the checkout
# (scripts/setup.sh). The test suite's private single-node SLURM uses this kind.
# Sourced by the sbatch templates; the only place where site paths live. Values already
# in the environment (exported at sbatch time) win.
CWOLA_ROOT="${CWOLA_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${CWOLA_BIN:=$CWOLA_ROOT/build/cwola}"
# Debian's python3 has h5py and matplotlib for the plots (a pyenv python may not).
: "${CWOLA_PYTHON:=/usr/bin/python3}"
# Debian's Open MPI works with srun through PMIx only (not pmi2).
: "${CWOLA_LAUNCH:=srun --mpi=pmix}"
export CWOLA_ROOT CWOLA_BIN CWOLA_PYTHON CWOLA_LAUNCH
if [ "$(id -u)" -eq 0 ]; then
  # Containers and CI run as root; Open MPI refuses that unless told.
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
