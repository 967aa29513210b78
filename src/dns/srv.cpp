// order_srv: RFC 2782 ordering, priority groups with weighted random selection inside each.
#include <brood/dns/srv.hpp>

#include <algorithm>
#include <numeric>

namespace brood::dns {

std::vector<srv_record> order_srv(std::vector<srv_record> records, std::mt19937& rng) {
  std::stable_sort(records.begin(), records.end(),
                   [](const srv_record& a, const srv_record& b) { return a.priority < b.priority; });
  std::vector<srv_record> out;
  out.reserve(records.size());
  for (auto group = records.begin(); group != records.end();) {
    auto end = std::find_if(group, records.end(), [&](const srv_record& r) { return r.priority != group->priority; });
    std::vector<srv_record> pool(group, end);
    while (!pool.empty()) {
      std::uint64_t total = 0;
      for (auto& r : pool) total += r.weight;
      std::size_t pick = 0;
      if (total > 0) {
        std::uint64_t x = std::uniform_int_distribution<std::uint64_t>(1, total)(rng), run = 0;
        for (pick = 0; pick < pool.size(); ++pick) {
          run += pool[pick].weight;
          if (run >= x) break;
        }
      }
      out.push_back(pool[pick]);
      pool.erase(pool.begin() + static_cast<std::ptrdiff_t>(pick));
    }
    group = end;
  }
  return out;
}

}  // namespace brood::dns
