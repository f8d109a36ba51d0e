#pragma once
/// MPI for the lifetime of the program (RAII), the node-local rank used to pick a
/// device, and the few collectives the application needs.
#include <mpi.h>

#include <string>
#include <vector>

namespace cwola::parallel {

class MpiRuntime {
 public:
  /// MPI_Init_thread (funneled: only the main thread calls MPI) and the
  /// shared-memory split that gives the node-local rank.
  MpiRuntime(int& argc, char**& argv);
  ~MpiRuntime();
  MpiRuntime(const MpiRuntime&) = delete;
  MpiRuntime& operator=(const MpiRuntime&) = delete;

  MPI_Comm comm() const { return MPI_COMM_WORLD; }
  int rank() const { return rank_; }
  int size() const { return size_; }
  int local_rank() const { return local_rank_; }
  int local_size() const { return local_size_; }
  const std::string& host() const { return host_; }
  /// "Open MPI v4.1.4, ..." as the library reports it.
  static std::string library_version();

  /// True on every rank iff `ok` is true on every rank.
  bool all_true(bool ok) const;
  /// Gathers one string per rank at every rank (rank order).
  std::vector<std::string> all_gather(const std::string& text) const;
  void barrier() const;
  /// Ends every rank of the job; used after an error on one rank so the others never hang.
  [[noreturn]] void abort(int exit_code) const;

 private:
  int rank_ = 0;
  int size_ = 1;
  int local_rank_ = 0;
  int local_size_ = 1;
  std::string host_;
};

}  // namespace cwola::parallel
