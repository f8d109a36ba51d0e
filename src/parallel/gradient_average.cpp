#include "parallel/gradient_average.hpp"

#include <algorithm>
#include <climits>
#include <string>

#include "core/error.hpp"

namespace cwola::parallel {

void average_over_ranks(MPI_Comm comm, float* values, std::size_t count) {
  int size = 1;
  MPI_Comm_size(comm, &size);
  if (size == 1) return;
  // MPI counts are int: reduce in slices for models beyond 2^31 parameters.
  for (std::size_t at = 0; at < count;) {
    const std::size_t n = std::min<std::size_t>(count - at, INT_MAX);
    if (MPI_Allreduce(MPI_IN_PLACE, values + at, static_cast<int>(n), MPI_FLOAT, MPI_SUM, comm) !=
        MPI_SUCCESS) {
      throw core::Error("MPI_Allreduce of " + std::to_string(n) +
                        " gradient values failed (MPI error)");
    }
    at += n;
  }
  const float scale = 1.0F / static_cast<float>(size);
  for (std::size_t i = 0; i < count; ++i) values[i] *= scale;
}

void global_range(MPI_Comm comm, double& low, double& high) {
  double local[2] = {-low, high};
  double global[2] = {0, 0};
  MPI_Allreduce(local, global, 2, MPI_DOUBLE, MPI_MAX, comm);
  low = -global[0];
  high = global[1];
}

}  // namespace cwola::parallel
