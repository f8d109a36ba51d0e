# CWOLA_DEPS_PREFIX: MPI, parallel HDF5, Boost and FastJet from one prefix instead of the system, e.g.
# Debian 12 packages unpacked by scripts/deps_unpack.sh on a machine without them (a GPU node
# with only a CUDA PyTorch). Included from the top-level CMakeLists.txt before the find_package
# calls; it only sets the variables those calls document, so no compiler wrapper is needed:
#   MPI:   MPI_<lang>_HEADER_DIR, MPI_<lang>_LIB_NAMES and MPI_mpi_LIBRARY with
#          MPI_SKIP_COMPILER_WRAPPER (no mpicc asked), MPIEXEC_EXECUTABLE for the tests;
#   HDF5:  HDF5_ROOT (FindHDF5 then searches nowhere else, so a system h5pcc is never used),
#          HDF5_C_INCLUDE_DIR and HDF5_hdf5_LIBRARY_RELEASE (Debian's hdf5/openmpi layout);
#          HDF5_IS_PARALLEL still comes from the prefix's H5pubconf.h;
#   Boost: Boost_DIR (its CMake config, which is relocatable);
#   FastJet: FASTJET_INCLUDE_DIR and FASTJET_LIBRARY (src/physics finds it by hand).
# A value given on the command line wins over the one derived here.
# Accept PREFIX or PREFIX/usr (dpkg -x puts the files under usr/).
set(_cwola_root "${CWOLA_DEPS_PREFIX}")
if(IS_DIRECTORY "${CWOLA_DEPS_PREFIX}/usr/include")
  set(_cwola_root "${CWOLA_DEPS_PREFIX}/usr")
endif()
if(NOT IS_DIRECTORY "${_cwola_root}/include")
  message(FATAL_ERROR "CWOLA_DEPS_PREFIX='${CWOLA_DEPS_PREFIX}' has no include/ or usr/include/ "
                      "(make one with scripts/deps_download.sh and scripts/deps_unpack.sh)")
endif()
# Debian's multiarch library folder (lib/x86_64-linux-gnu); plain lib/ for other prefixes.
file(GLOB _cwola_multiarch LIST_DIRECTORIES true "${_cwola_root}/lib/*-linux-gnu")
if(_cwola_multiarch)
  list(GET _cwola_multiarch 0 _cwola_lib)
else()
  set(_cwola_lib "${_cwola_root}/lib")
endif()
list(PREPEND CMAKE_PREFIX_PATH "${_cwola_root}")

function(_cwola_first_existing out)
  foreach(candidate IN LISTS ARGN)
    if(EXISTS "${candidate}")
      set(${out} "${candidate}" PARENT_SCOPE)
      return()
    endif()
  endforeach()
  set(${out} "" PARENT_SCOPE)
endfunction()

function(_cwola_require variable what)
  if(NOT ${variable})
    message(FATAL_ERROR "CWOLA_DEPS_PREFIX='${CWOLA_DEPS_PREFIX}' lacks ${what} "
                        "(looked in ${ARGN})")
  endif()
endfunction()

# --- MPI (Open MPI: Debian's layout first, then a plain prefix) ---
_cwola_first_existing(_cwola_mpi_include "${_cwola_lib}/openmpi/include/mpi.h"
                      "${_cwola_root}/include/openmpi/mpi.h" "${_cwola_root}/include/mpi.h")
_cwola_first_existing(_cwola_mpi_library "${_cwola_lib}/openmpi/lib/libmpi.so"
                      "${_cwola_lib}/libmpi.so")
_cwola_require(_cwola_mpi_include "mpi.h" "${_cwola_lib}/openmpi/include" "${_cwola_root}/include")
_cwola_require(_cwola_mpi_library "libmpi.so" "${_cwola_lib}/openmpi/lib" "${_cwola_lib}")
get_filename_component(_cwola_mpi_include "${_cwola_mpi_include}" DIRECTORY)
# Headers and library given, so FindMPI neither asks a wrapper (an unpacked mpicc would report
# the host's /usr paths unless OPAL_PREFIX is set) nor searches the system.
set(MPI_SKIP_COMPILER_WRAPPER ON)
set(MPI_ASSUME_NO_BUILTIN_MPI ON)
# cwola uses the C API from C++ (OMPI_SKIP_MPICXX), so libmpi_cxx is not needed.
set(MPI_CXX_SKIP_MPICXX ON CACHE BOOL "cwola does not use the MPI C++ bindings")
set(MPI_mpi_LIBRARY "${_cwola_mpi_library}" CACHE FILEPATH "MPI from CWOLA_DEPS_PREFIX")
foreach(_cwola_lang C CXX)
  set(MPI_${_cwola_lang}_LIB_NAMES "mpi" CACHE STRING "MPI from CWOLA_DEPS_PREFIX")
  set(MPI_${_cwola_lang}_HEADER_DIR "${_cwola_mpi_include}" CACHE PATH "MPI from CWOLA_DEPS_PREFIX")
endforeach()
_cwola_first_existing(_cwola_mpiexec "${_cwola_root}/bin/mpiexec.openmpi" "${_cwola_root}/bin/mpiexec")
if(_cwola_mpiexec AND NOT MPIEXEC_EXECUTABLE)
  set(MPIEXEC_EXECUTABLE "${_cwola_mpiexec}" CACHE FILEPATH "mpiexec from CWOLA_DEPS_PREFIX")
endif()

# --- parallel HDF5 ---
_cwola_first_existing(_cwola_hdf5_header "${_cwola_root}/include/hdf5/openmpi/hdf5.h"
                      "${_cwola_root}/include/hdf5.h")
_cwola_first_existing(_cwola_hdf5_library "${_cwola_lib}/hdf5/openmpi/libhdf5.so"
                      "${_cwola_lib}/libhdf5.so")
_cwola_require(_cwola_hdf5_header "hdf5.h" "${_cwola_root}/include/hdf5/openmpi" "${_cwola_root}/include")
_cwola_require(_cwola_hdf5_library "libhdf5.so" "${_cwola_lib}/hdf5/openmpi" "${_cwola_lib}")
get_filename_component(_cwola_hdf5_include "${_cwola_hdf5_header}" DIRECTORY)
if(NOT HDF5_ROOT)
  set(HDF5_ROOT "${_cwola_root}")
endif()
set(HDF5_C_INCLUDE_DIR "${_cwola_hdf5_include}" CACHE PATH "HDF5 from CWOLA_DEPS_PREFIX")
set(HDF5_hdf5_LIBRARY_RELEASE "${_cwola_hdf5_library}" CACHE FILEPATH "HDF5 from CWOLA_DEPS_PREFIX")

# --- Boost ---
file(GLOB _cwola_boost_dir LIST_DIRECTORIES true "${_cwola_lib}/cmake/Boost-*")
if(_cwola_boost_dir AND NOT Boost_DIR)
  list(GET _cwola_boost_dir 0 _cwola_boost_dir)
  set(Boost_DIR "${_cwola_boost_dir}" CACHE PATH "Boost from CWOLA_DEPS_PREFIX")
endif()
# --- FastJet ---
_cwola_first_existing(_cwola_fastjet_header "${_cwola_root}/include/fastjet/ClusterSequence.hh")
_cwola_first_existing(_cwola_fastjet_library "${_cwola_lib}/libfastjet.so")
_cwola_require(_cwola_fastjet_header "fastjet/ClusterSequence.hh" "${_cwola_root}/include")
_cwola_require(_cwola_fastjet_library "libfastjet.so" "${_cwola_lib}")
set(FASTJET_INCLUDE_DIR "${_cwola_root}/include" CACHE PATH "FastJet from CWOLA_DEPS_PREFIX")
set(FASTJET_LIBRARY "${_cwola_fastjet_library}" CACHE FILEPATH "FastJet from CWOLA_DEPS_PREFIX")
message(STATUS "cwola: MPI, HDF5, Boost and FastJet from CWOLA_DEPS_PREFIX=${CWOLA_DEPS_PREFIX}")
