#!/usr/bin/env bash
# Unpacks the .debs of scripts/deps_download.sh into a prefix (no root, no dpkg database:
# `dpkg -x` only), adds what dpkg's alternatives would have made (mpiexec, mpicc), and writes
# PREFIX/cwola-deps.env, which sets PATH, LD_LIBRARY_PATH and OPAL_PREFIX (Open MPI finds its
# plugins and help files through it) for building and running:
#   bash scripts/deps_unpack.sh DIR PREFIX
#   source PREFIX/cwola-deps.env
# cmake then takes -DCWOLA_DEPS_PREFIX=PREFIX (scripts/setup_cuda.sh --prefix PREFIX does both).
set -euo pipefail

if [ "$#" -ne 2 ]; then
  echo "usage: bash scripts/deps_unpack.sh DIR_OF_DEBS PREFIX" >&2
  exit 2
fi
debs="$1"
prefix="$2"
shopt -s nullglob
files=("$debs"/*.deb)
if [ "${#files[@]}" -eq 0 ]; then
  echo "deps_unpack: error: no .deb files in '$debs' (make them with scripts/deps_download.sh)" >&2
  exit 2
fi
mkdir -p "$prefix"
prefix="$(cd "$prefix" && pwd)"
for deb in "${files[@]}"; do
  dpkg -x "$deb" "$prefix"
done

usr="$prefix/usr"
# Debian names the Open MPI programs *.openmpi and links the plain names via alternatives.
for tool in mpiexec mpirun mpicc mpicxx; do
  if [ -e "$usr/bin/$tool.openmpi" ] && [ ! -e "$usr/bin/$tool" ]; then
    ln -s "$tool.openmpi" "$usr/bin/$tool"
  fi
done
# An absolute link would point back into the host's /usr: refuse such a prefix.
absolute="$(find "$prefix" -type l -lname '/*' | head -n 5)"
if [ -n "$absolute" ]; then
  echo "deps_unpack: error: absolute symbolic links in '$prefix' would reach the host:" >&2
  echo "$absolute" >&2
  exit 2
fi

multiarch="$(basename "$(find "$usr/lib" -mindepth 1 -maxdepth 1 -type d -name '*-linux-gnu' | head -n 1)")"
lib="$usr/lib/$multiarch"
cat > "$prefix/cwola-deps.env" <<ENV
# Written by scripts/deps_unpack.sh: the environment for building and running cwola against the
# Debian packages unpacked in this prefix. Source it (bash).
export CWOLA_DEPS_PREFIX="$prefix"
export PATH="$usr/bin\${PATH:+:\$PATH}"
export LD_LIBRARY_PATH="$lib:$lib/openmpi/lib:$lib/hdf5/openmpi\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
# Open MPI was configured for /usr; OPAL_PREFIX moves it (plugins, help texts, wrapper data).
export OPAL_PREFIX="$usr"
# The same for PMIx (Open MPI 4 starts its ranks through it).
export PMIX_INSTALL_PREFIX="$usr"
ENV
echo "deps_unpack: ${#files[@]} packages into $prefix; environment in $prefix/cwola-deps.env"
