// buffer_ring: a provided-buffer ring (IORING_REGISTER_PBUF_RING) for multishot receives.
//
// liburing 2.3 has no io_uring_setup_buf_ring, so the ring is set up by hand as in liburing's
// own examples of that release: page-aligned mmap, io_uring_buf_ring_init, register, add every
// buffer. The kernel picks a buffer per completion; the consumer gives it back with recycle().
// Lifetime: must outlive every op that selects buffers from its group (the multishot op that
// owns it guarantees this) and is destroyed on the reactor's thread.
#pragma once

#include <brood/rt/reactor.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

struct io_uring_buf_ring;

namespace brood::rt {

class buffer_ring {
 public:
  /// `count` must be a power of two (at most 32768).
  buffer_ring(unsigned count, std::size_t buffer_size);
  buffer_ring(const buffer_ring&) = delete;
  buffer_ring& operator=(const buffer_ring&) = delete;
  ~buffer_ring();

  std::uint16_t group() const noexcept { return _group; }
  std::span<std::byte> buffer(std::uint16_t id) noexcept {
    return {_storage.get() + std::size_t{id} * _size, _size};
  }
  std::size_t buffer_size() const noexcept { return _size; }
  unsigned count() const noexcept { return _count; }
  /// Buffers currently owned by the kernel (available for it to fill).
  unsigned available() const noexcept { return _available; }
  /// The kernel consumed buffer `id` (a completion named it).
  void consumed() noexcept { --_available; }
  /// Hands buffer `id` back to the kernel.
  void recycle(std::uint16_t id) noexcept;

 private:
  reactor& _r;
  io_uring_buf_ring* _ring = nullptr;
  std::unique_ptr<std::byte[]> _storage;
  unsigned _count;
  std::size_t _size;
  unsigned _available = 0;
  std::uint16_t _group;
};

}  // namespace brood::rt
