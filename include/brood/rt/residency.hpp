// residency: keeping a long-running daemon's resident set to what it uses. Shared libraries
// are mapped whole, and the kernel maps up to 64 KiB around every page fault in them
// ("fault-around"), so a process that touched a few functions of libcrypto or libstdc++ at
// start-up holds megabytes of their pages it never runs again. Called now and then, this keeps
// the resident set to the pages used since the last call (the agent: after start-up, then
// every minute); the cost is a minor fault per page that is still in use.
#pragma once

#include <cstddef>

namespace brood::rt {

/// Marks this process's read-only file mappings (library code and constants) as randomly
/// accessed, which turns fault-around off for them, and drops the pages they hold from its page
/// tables. The pages stay in the page cache; those still in use fault back one by one. Writable
/// mappings are never touched. Returns the number of bytes unmapped from the resident set.
std::size_t shed_file_pages() noexcept;

}  // namespace brood::rt
