#pragma once
/// Averaging a buffer over the ranks of a communicator: the reduction of data-parallel
/// training (training/gradient_averaging.hpp gathers the gradients into the buffer).
#include <mpi.h>

#include <cstddef>

namespace cwola::parallel {

/// Collective over `comm`: values[i] <- (Σ over ranks of values[i]) / ranks, in place
/// (MPI_Allreduce, MPI_SUM; the summation order is fixed for a fixed rank count, so the result
/// is reproducible at that count). Throws core::Error on an MPI failure.
void average_over_ranks(MPI_Comm comm, float* values, std::size_t count);

/// Collective: the minimum of `low` and the maximum of `high` over the ranks (e.g. an input
/// scaling fitted on each rank's shard, made global).
void global_range(MPI_Comm comm, double& low, double& high);

}  // namespace cwola::parallel
