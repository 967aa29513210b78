// Whole-file operations on the ring, for the state directory: read a small file, replace a file
// atomically and (unless told otherwise) durably (temporary file, fsync, rename, fsync of the
// directory), remove one.
// A crash leaves the old contents or the new ones, never a mix.
#pragma once

#include <brood/rt/result.hpp>
#include <brood/rt/task.hpp>

#include <string>

namespace brood::rt {

/// The contents of `path` (at most `limit` bytes); no_such_file_or_directory if it is missing.
task<result<std::string>> read_file(std::string path, std::size_t limit = 1 << 20);
/// Whether a replaced file must survive a power cut (keys, journals) or only be whole when read
/// (status files rewritten every second: no fsync).
enum class durability { synced, relaxed };
/// Replaces `path` with `contents`, created with `mode`, through a temporary file whose name
/// is unique to this process and call (temporary_name).
task<result<void>> write_file_atomic(std::string path, std::string contents, unsigned mode = 0600,
                                     durability d = durability::synced);
std::string temporary_name(const std::string& path);
/// Removes `path` (no error if it is already gone) and syncs its directory.
task<result<void>> remove_file(std::string path);

}  // namespace brood::rt
