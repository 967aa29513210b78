// Coroutine frame allocation: per-thread free lists by 64-byte size class (frames up to 1 KiB,
// at most 512 cached per class). Under ASan frames go straight to new/delete.
#include <brood/rt/task.hpp>

#include <new>

#if defined(__SANITIZE_ADDRESS__)
#define BROOD_FRAME_POOL 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BROOD_FRAME_POOL 0
#endif
#endif
#ifndef BROOD_FRAME_POOL
#define BROOD_FRAME_POOL 1
#endif

namespace brood::rt::detail {

namespace {

class frame_pool {
 public:
  static constexpr std::size_t granule = 64, classes = 16, keep = 512;
  static std::size_t class_of(std::size_t n) noexcept { return (n + granule - 1) / granule - 1; }

  void* allocate(std::size_t n) {
    const std::size_t c = class_of(n);
    if (c >= classes) return ::operator new(n);
    if (void* p = _free[c]) {
      _free[c] = *static_cast<void**>(p);
      --_count[c];
      return p;
    }
    return ::operator new((c + 1) * granule);
  }
  void deallocate(void* p, std::size_t n) noexcept {
    const std::size_t c = class_of(n);
    if (c < classes && _count[c] < keep) {
      *static_cast<void**>(p) = _free[c];
      _free[c] = p;
      ++_count[c];
      return;
    }
    ::operator delete(p);
  }
  ~frame_pool() {
    for (void* p : _free)
      while (p) {
        void* next = *static_cast<void**>(p);
        ::operator delete(p);
        p = next;
      }
  }

 private:
  void* _free[classes] = {};
  std::size_t _count[classes] = {};
};

thread_local frame_pool t_pool;

}  // namespace

void* allocate_frame(std::size_t n) {
#if BROOD_FRAME_POOL
  return t_pool.allocate(n);
#else
  return ::operator new(n);
#endif
}

void deallocate_frame(void* p, std::size_t n) noexcept {
#if BROOD_FRAME_POOL
  t_pool.deallocate(p, n);
#else
  (void)n;
  ::operator delete(p);
#endif
}

}  // namespace brood::rt::detail
