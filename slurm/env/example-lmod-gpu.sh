# shellcheck shell=bash
# Cluster kind "lmod-gpu": an HPC site with environment modules (Lmod), NVIDIA GPUs, a
# CUDA build of LibTorch and a parallel file system. Copy this file to
# slurm/env/<your-site>.sh, fill in the paths marked SITE, and submit with
# CWOLA_CLUSTER=<your-site>. It is the only place where site paths live.
#
# SITE: the modules that provide the compiler, MPI, parallel HDF5, CUDA and LibTorch
# cwola was built with (names differ per site: `module avail` lists them).
if command -v module >/dev/null 2>&1; then
  module load ${CWOLA_MODULES:-gcc openmpi hdf5-mpi cuda libtorch}
fi
# SITE: where the cwola checkout and its build live (a home or project directory).
CWOLA_ROOT="${CWOLA_ROOT:-$HOME/cwola}"
: "${CWOLA_BIN:=$CWOLA_ROOT/build/cwola}"
# SITE: the Python with the CUDA PyTorch cwola was built against, when LibTorch is not a module
# (scripts/setup_cuda.sh --python "$CWOLA_TORCH_PYTHON"; bench/gpu_check.sh uses it for the
# PyTorch reference). See slurm/env/README.md for the steps.
: "${CWOLA_TORCH_PYTHON:=python3}"
export CWOLA_TORCH_PYTHON
# SITE: a python3 with h5py and matplotlib for the plots (plots are skipped with a
# warning if it lacks them; results are in the store regardless).
: "${CWOLA_PYTHON:=python3}"
# SITE: how MPI programs start here; most sites: srun with the PMI their MPI supports.
: "${CWOLA_LAUNCH:=srun --mpi=pmix}"
export CWOLA_ROOT CWOLA_BIN CWOLA_PYTHON CWOLA_LAUNCH
