// shed_file_pages: MADV_RANDOM then MADV_DONTNEED over the clean, read-only file mappings listed
// in /proc/self/smaps. Only mappings with no private dirty or anonymous page qualify — a RELRO
// segment is read-only too, but its pages were written by the dynamic linker, and dropping them
// would bring back the unrelocated file contents. For clean pages, dropping one only means the
// next access reads it from the page cache again.
#include <brood/rt/residency.hpp>

#include <sys/mman.h>

#include <cstdio>
#include <cstring>
#include <vector>

namespace brood::rt {

namespace {
struct mapping {
  unsigned long start = 0, end = 0;
  bool candidate = false;        // file-backed, private, read-only
  unsigned long dirty_kb = 0;    // Private_Dirty + Anonymous
};
}  // namespace

std::size_t shed_file_pages() noexcept {
  std::FILE* f = std::fopen("/proc/self/smaps", "re");
  if (!f) return 0;
  std::vector<mapping> maps;
  char line[512];
  while (std::fgets(line, sizeof line, f)) {
    unsigned long start = 0, end = 0, offset = 0, inode = 0, kb = 0;
    char perms[8] = {}, dev[16] = {};
    if (std::sscanf(line, "%lx-%lx %7s %lx %15s %lu", &start, &end, perms, &offset, dev, &inode) == 6) {
      mapping m{start, end, inode != 0 && perms[0] == 'r' && perms[1] == '-' && perms[3] == 'p', 0};
      maps.push_back(m);
      continue;
    }
    if (maps.empty()) continue;
    // Swapped-out pages count too: a written RELRO page may sit in swap, not in memory.
    if (std::sscanf(line, "Private_Dirty: %lu kB", &kb) == 1 || std::sscanf(line, "Anonymous: %lu kB", &kb) == 1 ||
        std::sscanf(line, "Swap: %lu kB", &kb) == 1)
      maps.back().dirty_kb += kb;
  }
  std::fclose(f);
  std::size_t shed = 0;
  for (auto& m : maps) {
    if (!m.candidate || m.dirty_kb != 0) continue;
    auto* p = reinterpret_cast<void*>(m.start);
    const std::size_t len = m.end - m.start;
    (void)::madvise(p, len, MADV_RANDOM);
    if (::madvise(p, len, MADV_DONTNEED) == 0) shed += len;
  }
  return shed;
}

}  // namespace brood::rt
