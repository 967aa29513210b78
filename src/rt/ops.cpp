// SQE preparation for the file-descriptor ops of rt/ops.hpp.
#include <brood/rt/ops.hpp>

#include <liburing.h>

#include <fcntl.h>
#include <sys/stat.h>

namespace brood::rt {

void nop_op::prep(io_uring_sqe* sqe) noexcept { io_uring_prep_nop(sqe); }

void read_op::prep(io_uring_sqe* sqe) noexcept {
  io_uring_prep_read(sqe, _fd, _buf.data(), static_cast<unsigned>(_buf.size()), static_cast<__u64>(_off));
}

void write_op::prep(io_uring_sqe* sqe) noexcept {
  io_uring_prep_write(sqe, _fd, _buf.data(), static_cast<unsigned>(_buf.size()), static_cast<__u64>(_off));
}

void poll_op::prep(io_uring_sqe* sqe) noexcept { io_uring_prep_poll_add(sqe, _fd, _events); }

void openat_op::prep(io_uring_sqe* sqe) noexcept {
  io_uring_prep_openat(sqe, AT_FDCWD, _path.c_str(), _flags | O_CLOEXEC, _mode);
}

void statx_op::prep(io_uring_sqe* sqe) noexcept {
  io_uring_prep_statx(sqe, AT_FDCWD, _path.c_str(), 0, STATX_BASIC_STATS, &_out);
}

void close_op::prep(io_uring_sqe* sqe) noexcept { io_uring_prep_close(sqe, _fd); }

void fsync_op::prep(io_uring_sqe* sqe) noexcept { io_uring_prep_fsync(sqe, _fd, 0); }

void path_op::prep(io_uring_sqe* sqe) noexcept {
  if (_to.empty())
    io_uring_prep_unlinkat(sqe, AT_FDCWD, _from.c_str(), 0);
  else
    io_uring_prep_renameat(sqe, AT_FDCWD, _from.c_str(), AT_FDCWD, _to.c_str(), 0);
}

}  // namespace brood::rt
