// Whole-file reads, atomic replacement and removal through io_uring ops.
#include <brood/rt/file.hpp>
#include <brood/rt/ops.hpp>

#include <fcntl.h>
#include <unistd.h>

namespace brood::rt {

namespace {
std::string dir_of(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}

task<result<void>> sync_dir(std::string dir) {
  auto fd = co_await open_file(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (!fd) co_return fd.error();
  auto s = co_await fsync_fd(static_cast<int>(*fd));
  (void)co_await close_fd(static_cast<int>(*fd));
  if (!s) co_return s.error();
  co_return result<void>{};
}
}  // namespace

task<result<std::string>> read_file(std::string path, std::size_t limit) {
  auto fd = co_await open_file(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (!fd) co_return fd.error();
  std::string out;
  char buf[4096];
  for (;;) {
    auto n = co_await read(static_cast<int>(*fd), std::as_writable_bytes(std::span(buf)), static_cast<std::int64_t>(out.size()));
    if (!n) {
      (void)co_await close_fd(static_cast<int>(*fd));
      co_return n.error();
    }
    if (*n == 0) break;
    out.append(buf, *n);
    if (out.size() > limit) {
      (void)co_await close_fd(static_cast<int>(*fd));
      co_return std::errc::file_too_large;
    }
  }
  (void)co_await close_fd(static_cast<int>(*fd));
  co_return out;
}

std::string temporary_name(const std::string& path) {
  // Unique per process and call: two processes sharing a state directory (two API processes of
  // one scout) must never write into each other's temporary file.
  static std::uint64_t counter = 0;
  return path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(++counter);
}

task<result<void>> write_file_atomic(std::string path, std::string contents, unsigned mode, durability d) {
  const std::string tmp = temporary_name(path);
  auto fd = co_await open_file(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
  if (!fd) co_return fd.error();
  const int f = static_cast<int>(*fd);
  std::size_t done = 0;
  std::error_code failed;
  while (done < contents.size()) {
    auto n = co_await write(f, std::as_bytes(std::span(contents.data() + done, contents.size() - done)),
                            static_cast<std::int64_t>(done));
    if (!n) {
      failed = n.error();
      break;
    }
    done += *n;
  }
  if (!failed && d == durability::synced)
    if (auto s = co_await fsync_fd(f); !s) failed = s.error();
  (void)co_await close_fd(f);
  if (!failed)
    if (auto r = co_await rename_file(tmp, path); !r) failed = r.error();
  if (failed) {
    (void)co_await unlink_file(tmp);
    co_return failed;
  }
  if (d == durability::relaxed) co_return result<void>{};
  co_return co_await sync_dir(dir_of(path));
}

task<result<void>> remove_file(std::string path) {
  auto r = co_await unlink_file(path);
  if (!r && r.error() != std::errc::no_such_file_or_directory) co_return r.error();
  co_return co_await sync_dir(dir_of(path));
}

}  // namespace brood::rt
