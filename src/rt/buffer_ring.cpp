// buffer_ring: hand setup of a provided-buffer ring for liburing 2.3.
#include <brood/rt/buffer_ring.hpp>

#include <liburing.h>
#include <sys/mman.h>

#include <stdexcept>
#include <system_error>

namespace brood::rt {

buffer_ring::buffer_ring(unsigned count, std::size_t buffer_size)
    : _r(reactor::current()), _count(count), _size(buffer_size), _group(_r.allocate_buffer_group()) {
  if (count == 0 || count > 32768 || (count & (count - 1)) != 0)
    throw std::invalid_argument("buffer_ring: count must be a power of two <= 32768");
  const std::size_t ring_bytes = count * sizeof(io_uring_buf);
  void* mem = ::mmap(nullptr, ring_bytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  if (mem == MAP_FAILED) throw std::system_error(errno, std::system_category(), "buffer_ring mmap");
  _ring = static_cast<io_uring_buf_ring*>(mem);
  io_uring_buf_ring_init(_ring);
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<std::uintptr_t>(_ring);
  reg.ring_entries = count;
  reg.bgid = _group;
  if (int rc = io_uring_register_buf_ring(_r.raw_ring(), &reg, 0); rc != 0) {
    ::munmap(_ring, ring_bytes);
    _r.release_buffer_group(_group);
    throw std::system_error(-rc, std::system_category(), "io_uring_register_buf_ring (needs Linux 5.19)");
  }
  _storage = std::make_unique<std::byte[]>(count * buffer_size);
  const int mask = io_uring_buf_ring_mask(count);
  for (unsigned i = 0; i < count; ++i)
    io_uring_buf_ring_add(_ring, buffer(static_cast<std::uint16_t>(i)).data(), static_cast<unsigned>(_size),
                          static_cast<unsigned short>(i), mask, static_cast<int>(i));
  io_uring_buf_ring_advance(_ring, static_cast<int>(count));
  _available = count;
}

buffer_ring::~buffer_ring() {
  io_uring_unregister_buf_ring(_r.raw_ring(), _group);
  ::munmap(_ring, _count * sizeof(io_uring_buf));
  _r.release_buffer_group(_group);
}

void buffer_ring::recycle(std::uint16_t id) noexcept {
  io_uring_buf_ring_add(_ring, buffer(id).data(), static_cast<unsigned>(_size), id, io_uring_buf_ring_mask(_count), 0);
  io_uring_buf_ring_advance(_ring, 1);
  ++_available;
}

}  // namespace brood::rt
