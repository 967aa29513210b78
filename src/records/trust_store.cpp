// The replay memory of a reader.
#include <brood/records/trust_store.hpp>

namespace brood::records {

result<void> trust_store::admit(const std::string& identity, std::int64_t value) {
  auto [it, inserted] = _highest.try_emplace(identity, value);
  if (inserted) {
    ++_generation;
    return {};
  }
  if (value < it->second) return error::replayed;
  if (value > it->second) ++_generation;
  it->second = value;
  return {};
}

std::map<std::string, std::int64_t> trust_store::memory() const {
  std::map<std::string, std::int64_t> out;
  for (auto& [id, v] : _highest)
    if (!id.starts_with("l ")) out.emplace(id, v);
  return out;
}

void trust_store::restore(const std::map<std::string, std::int64_t>& m) {
  for (auto& [id, v] : m) {
    auto [it, inserted] = _highest.try_emplace(id, v);
    if (!inserted && v > it->second) it->second = v;
  }
}

std::int64_t trust_store::highest(const std::string& identity) const noexcept {
  auto it = _highest.find(identity);
  return it == _highest.end() ? 0 : it->second;
}

bool trust_store::verified_before(const std::string& owner, std::string_view text,
                                  const std::vector<crypto::public_key>& signers) const {
  auto it = _verified.find(owner);
  return it != _verified.end() && it->second.text == text && it->second.signers == signers;
}

void trust_store::remember_verified(const std::string& owner, std::string text,
                                    const std::vector<crypto::public_key>& signers) {
  _verified[owner] = {std::move(text), signers};
}

namespace {
std::uint64_t refusal_key(std::string_view text, const std::vector<crypto::public_key>& signers) {
  std::string both(text);
  for (auto& pk : signers) both.append(reinterpret_cast<const char*>(pk.data()), pk.size());
  return std::hash<std::string>{}(both);
}
}  // namespace

bool trust_store::refused_before(std::string_view text, const std::vector<crypto::public_key>& signers) const {
  return _refused.count(refusal_key(text, signers)) > 0;
}

void trust_store::remember_refused(std::string_view text, const std::vector<crypto::public_key>& signers) {
  const auto k = refusal_key(text, signers);
  if (!_refused.insert(k).second) return;
  _refused_order.push_back(k);
  if (_refused_order.size() > max_refused) {
    _refused.erase(_refused_order.front());
    _refused_order.pop_front();
  }
}

}  // namespace brood::records
