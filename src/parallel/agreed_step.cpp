#include "parallel/agreed_step.hpp"

#include <exception>
#include <vector>

namespace cwola::parallel {

void agree(MPI_Comm comm, const std::string& error, bool input_error) {
  int rank = 0;
  int size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  // One allreduce: the lowest rank that failed (size if none).
  const int mine = error.empty() ? size : rank;
  int first = size;
  if (MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, comm) != MPI_SUCCESS) {
    throw core::Error("MPI_Allreduce failed while ranks agreed on a step's outcome");
  }
  if (first == size) return;
  // Only now, on the failure path: that rank's message and kind to everyone.
  int header[2] = {static_cast<int>(error.size()), input_error ? 1 : 0};
  MPI_Bcast(header, 2, MPI_INT, first, comm);
  std::string message = rank == first ? error : std::string(static_cast<std::size_t>(header[0]), ' ');
  MPI_Bcast(message.data(), header[0], MPI_CHAR, first, comm);
  if (header[1] != 0) throw AgreedInputError(message, first);
  throw AgreedFailure(message, first);
}

void run_agreed(MPI_Comm comm, const std::function<void()>& step) {
  int size = 1;
  MPI_Comm_size(comm, &size);
  if (size == 1) {
    step();  // nobody to wait for: the step's own exception says more
    return;
  }
  std::string error;
  bool input_error = false;
  try {
    step();
  } catch (const AgreedFailure&) {
    throw;  // already agreed by every rank inside the step
  } catch (const AgreedInputError&) {
    throw;
  } catch (const core::InputError& e) {
    error = e.what();
    input_error = true;
    if (error.empty()) error = "input rejected (no message)";
  } catch (const std::exception& e) {
    error = e.what();
    if (error.empty()) error = "unexpected error (no message)";
  }
  agree(comm, error, input_error);
}

}  // namespace cwola::parallel
