// The replay memory of a reader.
#include <brood/records/trust_store.hpp>

namespace brood::records {

result<void> trust_store::admit(const std::string& identity, std::int64_t value) {
  auto [it, inserted] = _highest.try_emplace(identity, value);
  if (inserted) return {};
  if (value < it->second) return error::replayed;
  it->second = value;
  return {};
}

std::int64_t trust_store::highest(const std::string& identity) const noexcept {
  auto it = _highest.find(identity);
  return it == _highest.end() ? 0 : it->second;
}

}  // namespace brood::records
