#pragma once
/// The lock that makes one job the only writer of a store.
///
/// A lock file "<store>.lock" next to the store, held with flock() for as long as the job
/// runs and holding the owner's host, pid and process start time. The kernel drops a flock
/// when its process dies, so a lock left by a killed job on this host is taken over
/// (checked again by pid and start time, for file systems without flock). A lock written
/// by another host is refused: this host cannot tell whether that job still runs (on
/// shared file systems flock may be local to each node), so the user is told which file
/// to remove. Not collective: rank 0 takes it and announces the outcome to the others.
#include <string>

namespace cwola::store {

/// Who holds a store lock, as written in the lock file.
struct LockOwner {
  std::string host;
  long pid = 0;
  unsigned long long start_ticks = 0;  ///< process start, clock ticks after boot (pid reuse)
  std::string since;                   ///< UTC time the lock was taken
  /// One line for messages: "pid 123 on host 'node7' since 2026-12-01T11:00:00Z".
  std::string describe() const;
};

class StoreLock {
 public:
  /// Takes the lock of the store at `store_path` for this process; InputError naming the
  /// lock file and its owner when a live job (or a job on another host) holds it.
  static StoreLock acquire(const std::string& store_path);
  StoreLock() = default;
  StoreLock(StoreLock&& other) noexcept;
  StoreLock& operator=(StoreLock&& other) noexcept;
  StoreLock(const StoreLock&) = delete;
  StoreLock& operator=(const StoreLock&) = delete;
  /// Removes the lock file and releases the lock.
  ~StoreLock();

  bool held() const { return fd_ >= 0; }
  const std::string& path() const { return path_; }
  /// Set when a stale lock (killed job on this host) was taken over: its former owner.
  const std::string& taken_over_from() const { return taken_over_from_; }

 private:
  void release();

  int fd_ = -1;
  std::string path_;
  std::string taken_over_from_;
};

/// "<store_path>.lock".
std::string lock_path_of(const std::string& store_path);

}  // namespace cwola::store
