// The replay memory of a reader.
#include <brood/records/trust_store.hpp>

#include <sodium.h>

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
/// BLAKE2b-128 of the text and the signers (the owner picks the table): a text an attacker
/// builds cannot share a valid record's key.
std::string refusal_key(std::string_view text, const std::vector<crypto::public_key>& signers) {
  unsigned char out[16];
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, sizeof out);
  crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  for (auto& pk : signers) crypto_generichash_update(&st, pk.data(), pk.size());
  crypto_generichash_final(&st, out, sizeof out);
  return std::string(reinterpret_cast<const char*>(out), sizeof out);
}
}  // namespace

bool trust_store::refused_before(const std::string& owner, std::string_view text,
                                 const std::vector<crypto::public_key>& signers) const {
  auto it = _refused.find(owner);
  return it != _refused.end() && it->second.keys.count(refusal_key(text, signers)) > 0;
}

void trust_store::remember_refused(const std::string& owner, std::string_view text,
                                   const std::vector<crypto::public_key>& signers) {
  // Owners are the names this reader reads; past the bound something is wrong, and forgetting
  // costs only signature checks.
  if (_refused.size() >= max_refusing_owners && !_refused.count(owner)) _refused.clear();
  auto& r = _refused[owner];
  auto k = refusal_key(text, signers);
  if (!r.keys.insert(k).second) return;
  r.order.push_back(std::move(k));
  if (r.order.size() > max_refused_per_owner) {
    r.keys.erase(r.order.front());
    r.order.pop_front();
  }
}

}  // namespace brood::records
