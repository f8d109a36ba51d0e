#!/usr/bin/env bash
# Downloads the Debian 12 packages that make a dependency prefix for cwola (Open MPI, parallel
# HDF5, Boost, FastJet, XGBoost and the shared libraries they load) into a folder, for a machine that has no such
# packages and no network to a Debian mirror (e.g. a GPU node with only a CUDA PyTorch). Run it on
# a Debian 12 machine of the same architecture, carry the folder over, then unpack it there:
#   bash scripts/deps_download.sh DIR          # here: DIR/*.deb (~31 MB)
#   bash scripts/deps_unpack.sh DIR PREFIX     # there: PREFIX/usr/..., PREFIX/cwola-deps.env
#   bash scripts/setup_cuda.sh --prefix PREFIX # there: builds cwola against them
# The C and C++ runtimes (libc6, libgcc-s1, libstdc++6) are left out: they come from the host,
# which therefore needs glibc >= 2.36 (Debian 12, Ubuntu 22.10 or newer).
set -euo pipefail

if [ "$#" -ne 1 ]; then
  echo "usage: bash scripts/deps_download.sh DIR" >&2
  exit 2
fi
dir="$1"
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"

# The headers, CMake configs and compiler wrappers cwola builds against ...
DEVELOPMENT=(
  openmpi-bin openmpi-common libopenmpi-dev libopenmpi3
  libhdf5-openmpi-dev libhdf5-openmpi-103-1
  libboost1.74-dev
  libboost-program-options1.74-dev libboost-program-options1.74.0
  libboost-test1.74-dev libboost-test1.74.0
  libfastjet-dev libfastjet0v5
  libxgboost-dev libxgboost0
)
# ... and every library they load at run time (ldd of libmpi, libhdf5_openmpi, orterun, the
# Open MPI and PMIx plugins and the Boost libraries on Debian 12, less the C/C++ runtimes).
RUNTIME=(
  ibverbs-providers libaec0 libatomic1 libbrotli1 libcom-err2 libcurl4
  libevent-core-2.1-7 libevent-pthreads-2.1-7 libfabric1 libffi8 libgmp10 libgnutls30
  libgssapi-krb5-2 libhogweed6 libhwloc15 libibverbs1 libidn2-0 libk5crypto3 libkeyutils1
  libkrb5-3 libkrb5support0 libldap-2.5-0 libmunge2 libnettle8 libnghttp2-14 libnl-3-200
  libnl-route-3-200 libnuma1 libp11-kit0 libpmix2 libpsl5 libpsm-infinipath1 libpsm2-2
  librdmacm1 librtmp1 libsasl2-2 libssh2-1 libssl3 libsz2 libtasn1-6 libucx0 libudev1
  libunistring2 libuuid1 libzstd1 zlib1g
  libdmlc0 libgomp1
)

cd "$dir"
# apt-get download writes into the current folder; as root it warns that the _apt user cannot
# write there, which is harmless.
apt-get download "${DEVELOPMENT[@]}" "${RUNTIME[@]}" 2> >(grep -v "unsandboxed as root" >&2)
echo "deps_download: $(ls -1 "$dir"/*.deb | wc -l) packages, $(du -sh "$dir" | cut -f1) in $dir"
