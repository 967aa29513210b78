// File-descriptor ops on the reactor: nop, read, write, poll, openat, statx, close.
//
// Each function returns an awaitable op for `co_await`; it lives in the awaiting coroutine's
// frame and must be awaited at once (buffers must outlive the co_await, which they do when they
// belong to the caller). Results are result<T>; cancellation of the awaiting task yields
// std::errc::operation_canceled, a passed io_options::deadline yields std::errc::timed_out.
#pragma once

#include <brood/rt/io_op.hpp>
#include <brood/rt/result.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

struct statx;

namespace brood::rt {

/// Base for ops whose result is a byte count or another non-negative integer.
class count_op : public single_op {
 public:
  using single_op::single_op;
  result<std::size_t> await_resume() const noexcept {
    if (res() < 0) return errno_code(res());
    return static_cast<std::size_t>(res());
  }
};

class nop_op final : public count_op {
 public:
  explicit nop_op(const io_options& o = {}) : count_op(o) {}
  void prep(io_uring_sqe* sqe) noexcept override;
};

class read_op final : public count_op {
 public:
  read_op(int fd, std::span<std::byte> buf, std::int64_t offset, const io_options& o)
      : count_op(o), _fd(fd), _buf(buf), _off(offset) {}
  void prep(io_uring_sqe* sqe) noexcept override;

 private:
  int _fd;
  std::span<std::byte> _buf;
  std::int64_t _off;
};

class write_op final : public count_op {
 public:
  write_op(int fd, std::span<const std::byte> buf, std::int64_t offset, const io_options& o)
      : count_op(o), _fd(fd), _buf(buf), _off(offset) {}
  void prep(io_uring_sqe* sqe) noexcept override;

 private:
  int _fd;
  std::span<const std::byte> _buf;
  std::int64_t _off;
};

/// One-shot poll: completes with the ready event mask (POLLIN, POLLOUT, ...).
class poll_op final : public count_op {
 public:
  poll_op(int fd, unsigned events, const io_options& o) : count_op(o), _fd(fd), _events(events) {}
  void prep(io_uring_sqe* sqe) noexcept override;

 private:
  int _fd;
  unsigned _events;
};

/// openat(2) through the ring; the result is the new fd (O_CLOEXEC is always added).
class openat_op final : public count_op {
 public:
  openat_op(std::string path, int flags, unsigned mode, const io_options& o)
      : count_op(o), _path(std::move(path)), _flags(flags), _mode(mode) {}
  void prep(io_uring_sqe* sqe) noexcept override;

 private:
  std::string _path;
  int _flags;
  unsigned _mode;
};

/// statx(2) through the ring (AT_FDCWD-relative path; basic stats and mtime).
class statx_op final : public count_op {
 public:
  statx_op(std::string path, struct ::statx& out, const io_options& o)
      : count_op(o), _path(std::move(path)), _out(out) {}
  void prep(io_uring_sqe* sqe) noexcept override;

 private:
  std::string _path;
  struct ::statx& _out;
};

class close_op final : public count_op {
 public:
  explicit close_op(int fd) : count_op(io_options{}), _fd(fd) {}
  void prep(io_uring_sqe* sqe) noexcept override;

 private:
  int _fd;
};

class fsync_op final : public count_op {
 public:
  fsync_op(int fd, const io_options& o) : count_op(o), _fd(fd) {}
  void prep(io_uring_sqe* sqe) noexcept override;

 private:
  int _fd;
};

/// renameat (old → new) or unlinkat (new empty) relative to the working directory.
class path_op final : public count_op {
 public:
  path_op(std::string from, std::string to, const io_options& o)
      : count_op(o), _from(std::move(from)), _to(std::move(to)) {}
  void prep(io_uring_sqe* sqe) noexcept override;

 private:
  std::string _from, _to;
};

inline nop_op nop(const io_options& o = {}) { return nop_op(o); }
/// offset -1 reads at the file position (pipes, sockets, signalfd).
inline read_op read(int fd, std::span<std::byte> buf, std::int64_t offset = -1, const io_options& o = {}) {
  return read_op(fd, buf, offset, o);
}
inline write_op write(int fd, std::span<const std::byte> buf, std::int64_t offset = -1, const io_options& o = {}) {
  return write_op(fd, buf, offset, o);
}
inline poll_op poll(int fd, unsigned events, const io_options& o = {}) { return poll_op(fd, events, o); }
inline openat_op open_file(std::string path, int flags, unsigned mode = 0644, const io_options& o = {}) {
  return openat_op(std::move(path), flags, mode, o);
}
inline close_op close_fd(int fd) { return close_op(fd); }
inline fsync_op fsync_fd(int fd, const io_options& o = {}) { return fsync_op(fd, o); }
inline path_op rename_file(std::string from, std::string to, const io_options& o = {}) {
  return path_op(std::move(from), std::move(to), o);
}
inline path_op unlink_file(std::string path, const io_options& o = {}) { return path_op(std::move(path), {}, o); }
inline statx_op statx_file(std::string path, struct ::statx& out, const io_options& o = {}) {
  return statx_op(std::move(path), out, o);
}

}  // namespace brood::rt
