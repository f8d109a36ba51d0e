#include "store/store_lock.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <fstream>
#include <sstream>
#include <vector>

#include "core/error.hpp"
#include "parallel/mpi_runtime.hpp"

extern cwola::parallel::MpiRuntime* g_mpi;
using namespace cwola::store;

namespace {
std::string store_path(const std::string& stem) {
  return stem + "_lock_rank" + std::to_string(g_mpi->rank()) + ".h5";
}

std::string this_host() {
  char name[256] = {};
  gethostname(name, sizeof name - 1);
  return name;
}

void write_lock(const std::string& store, const std::string& host, long pid) {
  std::ofstream out(lock_path_of(store));
  out << "cwola store lock\nhost = " << host << "\npid = " << pid
      << "\nprocess_start = 1\nsince = 2026-01-01T00:00:00Z\n";
}

/// A pid that belonged to a process that has ended (a killed job's).
long dead_pid() {
  const pid_t child = fork();
  if (child == 0) _exit(0);
  waitpid(child, nullptr, 0);
  return child;
}

std::string message_of_second_acquire(const std::string& store) {
  try {
    StoreLock::acquire(store);
  } catch (const cwola::core::InputError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

BOOST_AUTO_TEST_SUITE(store_lock)

BOOST_AUTO_TEST_CASE(a_held_lock_refuses_a_second_writer_and_is_gone_after_release) {
  const std::string store = store_path("held");
  {
    auto lock = StoreLock::acquire(store);
    BOOST_TEST(lock.held());
    BOOST_TEST(access(lock_path_of(store).c_str(), F_OK) == 0);
    const std::string message = message_of_second_acquire(store);
    BOOST_TEST(message.find("being written by another cwola job") != std::string::npos);
    BOOST_TEST(message.find(lock_path_of(store)) != std::string::npos);
    BOOST_TEST(message.find("pid " + std::to_string(getpid())) != std::string::npos);
  }
  BOOST_TEST(access(lock_path_of(store).c_str(), F_OK) != 0);
  BOOST_CHECK_NO_THROW(StoreLock::acquire(store));
}

BOOST_AUTO_TEST_CASE(a_stale_lock_of_a_dead_process_on_this_host_is_taken_over) {
  const std::string store = store_path("stale");
  const long pid = dead_pid();
  write_lock(store, this_host(), pid);
  auto lock = StoreLock::acquire(store);
  BOOST_TEST(lock.taken_over_from().find("pid " + std::to_string(pid)) != std::string::npos);
  std::ifstream in(lock_path_of(store));
  std::stringstream text;
  text << in.rdbuf();
  BOOST_TEST(text.str().find("pid = " + std::to_string(getpid())) != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_lock_of_a_zombie_process_is_taken_over) {
  // A SIGKILLed rank whose parent died stays a zombie where nothing reaps it (a
  // container's init): it answers kill(pid, 0) but has ended and holds no lock.
  const pid_t child = fork();
  if (child == 0) _exit(0);
  siginfo_t info{};
  waitid(P_PID, static_cast<id_t>(child), &info, WEXITED | WNOWAIT);  // exited, not reaped
  const std::string store = store_path("zombie");
  write_lock(store, this_host(), child);
  {
    const StoreLock lock = StoreLock::acquire(store);
    BOOST_TEST(lock.taken_over_from().find("pid " + std::to_string(child)) != std::string::npos);
  }
  waitpid(child, nullptr, 0);
}

BOOST_AUTO_TEST_CASE(a_lock_written_by_a_live_process_is_refused_without_flock) {
  // A file system without flock: the owner's pid and start time decide. Our own parent
  // is alive; its start time is unknown (0), so the pid alone counts.
  const std::string store = store_path("alive");
  {
    std::ofstream out(lock_path_of(store));
    out << "host = " << this_host() << "\npid = " << getppid() << "\nprocess_start = 0\n";
  }
  BOOST_TEST(message_of_second_acquire(store).find("being written") != std::string::npos);
  unlink(lock_path_of(store).c_str());
}

BOOST_AUTO_TEST_CASE(a_lock_from_another_host_is_refused_with_how_to_remove_it) {
  const std::string store = store_path("remote");
  write_lock(store, "some-other-node", 4242);
  const std::string message = message_of_second_acquire(store);
  BOOST_TEST(message.find("another host") != std::string::npos);
  BOOST_TEST(message.find("some-other-node") != std::string::npos);
  BOOST_TEST(message.find("remove '" + lock_path_of(store) + "'") != std::string::npos);
  BOOST_TEST(access(lock_path_of(store).c_str(), F_OK) == 0);  // left for the user to judge
  unlink(lock_path_of(store).c_str());
}

BOOST_AUTO_TEST_CASE(of_many_processes_started_together_exactly_one_gets_the_lock) {
  // The race of two jobs on one --output, many times over: processes released at once
  // through a pipe each try the lock and hold it a while; exactly one may win each round.
  constexpr int kRounds = 20;
  constexpr int kContenders = 8;
  const std::string store = store_path("race");
  for (int round = 0; round < kRounds; ++round) {
    int gate[2];
    BOOST_REQUIRE(pipe(gate) == 0);
    std::vector<pid_t> children;
    for (int c = 0; c < kContenders; ++c) {
      const pid_t child = fork();
      if (child == 0) {
        close(gate[1]);
        char go = 0;
        if (read(gate[0], &go, 1) < 0) _exit(3);
        try {
          auto lock = StoreLock::acquire(store);
          usleep(300000);  // hold while the others try
          _exit(0);        // the destructor does not run: release explicitly below
        } catch (const cwola::core::InputError&) {
          _exit(1);
        } catch (...) {
          _exit(2);
        }
      }
      children.push_back(child);
    }
    close(gate[0]);
    close(gate[1]);  // EOF releases every contender at once
    int winners = 0;
    int others = 0;
    for (pid_t child : children) {
      int status = 0;
      waitpid(child, &status, 0);
      const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      winners += code == 0 ? 1 : 0;
      others += code == 1 ? 1 : 0;
    }
    BOOST_TEST(winners == 1, "round " << round << ": " << winners << " winners");
    BOOST_TEST(others == kContenders - 1);
    // The winner exited without releasing: its lock is stale now and is taken over.
    auto lock = StoreLock::acquire(store);
    BOOST_TEST(!lock.taken_over_from().empty());
  }
}

BOOST_AUTO_TEST_SUITE_END()
