#include "store/store_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>

#include "core/error.hpp"

namespace cwola::store {

namespace {
std::string this_host() {
  char name[256] = {};
  gethostname(name, sizeof name - 1);
  return name;
}

/// Field 22 of /proc/<pid>/stat (0 where /proc is missing): with the pid it names one
/// process even after the pid is reused.
unsigned long long process_start_ticks(long pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto paren = text.rfind(')');  // the command name may contain spaces
  if (paren == std::string::npos) return 0;
  std::istringstream fields(text.substr(paren + 2));
  std::string field;
  for (int i = 3; i < 22 && fields >> field; ++i) {
  }
  unsigned long long ticks = 0;
  fields >> ticks;
  return ticks;
}

/// Field 3 of /proc/<pid>/stat ('?' where it cannot be read).
char process_state(long pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto paren = text.rfind(')');
  return paren != std::string::npos && paren + 2 < text.size() ? text[paren + 2] : '?';
}

bool process_alive(const LockOwner& owner) {
  if (owner.pid <= 0) return false;
  if (kill(static_cast<pid_t>(owner.pid), 0) != 0 && errno != EPERM) return false;
  // A killed rank stays a zombie where nothing reaps it (a container's init): ended.
  if (process_state(owner.pid) == 'Z') return false;
  const unsigned long long ticks = process_start_ticks(owner.pid);
  return owner.start_ticks == 0 || ticks == 0 || ticks == owner.start_ticks;
}

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buffer;
}

std::string read_all(int fd) {
  std::string text;
  char buffer[512];
  off_t offset = 0;
  for (;;) {
    const ssize_t n = pread(fd, buffer, sizeof buffer, offset);
    if (n <= 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
    offset += n;
    if (text.size() > 4096) break;  // a lock file is a few lines
  }
  return text;
}

LockOwner parse_owner(const std::string& text) {
  LockOwner owner;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    const auto equals = line.find(" = ");
    if (equals == std::string::npos) continue;
    const std::string key = line.substr(0, equals);
    const std::string value = line.substr(equals + 3);
    if (key == "host") owner.host = value;
    if (key == "pid") owner.pid = std::strtol(value.c_str(), nullptr, 10);
    if (key == "process_start") owner.start_ticks = std::strtoull(value.c_str(), nullptr, 10);
    if (key == "since") owner.since = value;
  }
  return owner;
}

std::string owner_text(const LockOwner& owner) {
  return "cwola store lock (removed when the job ends)\nhost = " + owner.host +
         "\npid = " + std::to_string(owner.pid) +
         "\nprocess_start = " + std::to_string(owner.start_ticks) + "\nsince = " + owner.since +
         "\n";
}

/// True when `fd` is still the file at `path` (a holder that ended removed it, and a new
/// lock may be a new file there).
bool still_at_path(int fd, const std::string& path) {
  struct stat opened {};
  struct stat current {};
  if (fstat(fd, &opened) != 0 || stat(path.c_str(), &current) != 0) return false;
  return opened.st_dev == current.st_dev && opened.st_ino == current.st_ino;
}

core::InputError in_use(const std::string& store, const std::string& lock, const LockOwner& owner) {
  return core::InputError("store '" + store + "' is being written by another cwola job (" +
                          owner.describe() + ", lock file '" + lock +
                          "'); two jobs on one store would mix their results. Wait for it to "
                          "end, stop it, or choose another --output");
}
}  // namespace

std::string LockOwner::describe() const {
  return "pid " + std::to_string(pid) + " on host '" + host + "'" +
         (since.empty() ? std::string() : " since " + since);
}

std::string lock_path_of(const std::string& store_path) { return store_path + ".lock"; }

StoreLock StoreLock::acquire(const std::string& store_path) {
  const std::string path = lock_path_of(store_path);
  const std::string host = this_host();
  for (int attempt = 0; attempt < 16; ++attempt) {
    const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
      throw core::InputError("cannot create the lock file '" + path + "' of store '" + store_path +
                             "' (" + std::strerror(errno) +
                             "); the output directory must be writable");
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0 && (errno == EWOULDBLOCK || errno == EINTR)) {
      const LockOwner owner = parse_owner(read_all(fd));
      close(fd);
      throw in_use(store_path, path, owner);
    }
    // Other flock errors: a file system without flock; the owner's pid decides below.
    if (!still_at_path(fd, path)) {  // the lock we got was on a file its holder removed
      close(fd);
      continue;
    }
    StoreLock lock;
    lock.fd_ = fd;
    lock.path_ = path;
    const std::string text = read_all(fd);
    if (!text.empty()) {
      const LockOwner owner = parse_owner(text);
      if (owner.host != host) {
        lock.fd_ = -1;  // not ours: leave the file as it is
        close(fd);
        throw core::InputError(
            "store '" + store_path + "' is locked by a cwola job on another host (" +
            owner.describe() + "; lock file '" + path +
            "'), and this host cannot tell whether it still runs. If no job writes this store "
            "any more (it was killed), remove '" +
            path + "' and run again");
      }
      if (process_alive(owner)) {  // also where flock is missing or not shared
        lock.fd_ = -1;
        close(fd);
        throw in_use(store_path, path, owner);
      }
      lock.taken_over_from_ = owner.describe();  // its job was killed: the lock is stale
    }
    LockOwner me;
    me.host = host;
    me.pid = static_cast<long>(getpid());
    me.start_ticks = process_start_ticks(me.pid);
    me.since = utc_now();
    const std::string mine = owner_text(me);
    if (ftruncate(fd, 0) != 0 ||
        pwrite(fd, mine.data(), mine.size(), 0) != static_cast<ssize_t>(mine.size()) ||
        fsync(fd) != 0) {
      const int error = errno;
      lock.release();
      throw core::Error("cannot write the lock file '" + path + "' of store '" + store_path +
                        "' (" + std::strerror(error) + "; disk full?)");
    }
    return lock;
  }
  throw core::Error("could not take the lock file '" + path +
                    "': other jobs kept taking and releasing it; try again");
}

StoreLock::StoreLock(StoreLock&& other) noexcept
    : fd_(other.fd_),
      path_(std::move(other.path_)),
      taken_over_from_(std::move(other.taken_over_from_)) {
  other.fd_ = -1;
}

StoreLock& StoreLock::operator=(StoreLock&& other) noexcept {
  if (this != &other) {
    release();
    fd_ = other.fd_;
    path_ = std::move(other.path_);
    taken_over_from_ = std::move(other.taken_over_from_);
    other.fd_ = -1;
  }
  return *this;
}

StoreLock::~StoreLock() { release(); }

void StoreLock::release() {
  if (fd_ < 0) return;
  // Remove while still holding the flock: a waiter that opened the old file then sees
  // that it is no longer at the path and starts again.
  unlink(path_.c_str());
  close(fd_);
  fd_ = -1;
}

}  // namespace cwola::store
