# shellcheck shell=bash
# Cluster kind "debs-prefix": GPU nodes without MPI/HDF5 packages or modules. Open MPI, parallel
# HDF5 and Boost come from Debian 12 .debs unpacked into a prefix on a shared file system
# (scripts/deps_download.sh + scripts/deps_unpack.sh), LibTorch from a Python environment with a
# CUDA PyTorch. Build with
#   bash scripts/setup_cuda.sh --prefix "$CWOLA_DEPS_PREFIX" --python "$CWOLA_TORCH_PYTHON"
# Copy to slurm/env/<your-site>.sh and fill in the lines marked SITE.
#
# SITE: the prefix made by scripts/deps_unpack.sh and the Python whose torch cwola was built with.
: "${CWOLA_DEPS_PREFIX:=$HOME/cwola-deps}"
: "${CWOLA_TORCH_PYTHON:=$HOME/venvs/torch/bin/python}"
if [ ! -f "$CWOLA_DEPS_PREFIX/cwola-deps.env" ]; then
  echo "cwola-env: error: no $CWOLA_DEPS_PREFIX/cwola-deps.env (run scripts/deps_unpack.sh)" >&2
  return 2
fi
# PATH (mpiexec), LD_LIBRARY_PATH (libmpi, libhdf5, their libraries) and OPAL_PREFIX.
# shellcheck source=/dev/null
source "$CWOLA_DEPS_PREFIX/cwola-deps.env"
CWOLA_ROOT="${CWOLA_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${CWOLA_BIN:=$CWOLA_ROOT/build-cuda/cwola}"
# Plots need h5py and matplotlib; a Python without them skips the plots with a warning.
: "${CWOLA_PYTHON:=$CWOLA_TORCH_PYTHON}"
# SITE: the unpacked Open MPI 4.1 talks PMIx to srun (check `srun --mpi=list`); where srun has no
# PMIx, start ranks with the prefix's mpiexec inside the allocation instead.
: "${CWOLA_LAUNCH:=srun --mpi=pmix}"
export CWOLA_ROOT CWOLA_BIN CWOLA_PYTHON CWOLA_LAUNCH CWOLA_TORCH_PYTHON
if [ "$(id -u)" -eq 0 ]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
