#pragma once
/// Memory a process may use, for checks during validation: a job whose needs can be
/// computed up front (events per task, rows of an input table) is refused with the
/// numbers instead of ending in an out-of-memory abort after its store was made.
#include <cstdint>
#include <string>

namespace cwola::core {

/// Bytes this process may use: the machine's physical memory, or the cgroup limit (a
/// container, a SLURM allocation) when that is lower. CWOLA_MEMORY_LIMIT_BYTES, when set,
/// is used instead (a stated limit, e.g. memory per rank; also for tests).
std::uint64_t memory_limit_bytes();

/// "1.5 GiB", "640 GiB": bytes for messages.
std::string format_bytes(double bytes);

/// Nothing when `bytes` fits in memory_limit_bytes(); else the problem text for a message:
/// "needs about 640 GiB of memory (what), more than the 24 GiB this process may use
/// (physical memory or cgroup limit)".
std::string memory_shortfall(double bytes, const std::string& what);

/// Tells the C allocator (glibc) to keep freed memory for reuse: blocks up to 32 MiB come from
/// the heap rather than fresh mmaps, and the heap's free top is handed back only above
/// 256 MiB. A training step frees and reallocates the same large tensors every minibatch;
/// with glibc's defaults each step pays fresh page faults (docs/performance.md, "Allocator").
/// Does nothing where the allocator is not glibc's, or when the job sets MALLOC_MMAP_THRESHOLD_
/// or MALLOC_TRIM_THRESHOLD_ itself. Call once, at start-up.
void keep_freed_memory_for_reuse();

}  // namespace cwola::core
