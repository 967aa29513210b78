// Record names and shard labels.
#include <brood/records/names.hpp>

namespace brood::records {

names::names(std::string_view domain) {
  while (!domain.empty() && domain.back() == '.') domain.remove_suffix(1);
  _domain.reserve(domain.size());
  for (char c : domain) _domain += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string shard_of(const crypto::public_key& pk, unsigned shards) {
  return crypto::id10(pk).substr(0, shards == 256 ? 2 : 1);
}

std::vector<std::string> all_shards(unsigned shards) {
  static constexpr char hex[] = "0123456789abcdef";
  std::vector<std::string> out;
  for (unsigned i = 0; i < shards; ++i)
    out.push_back(shards == 256 ? std::string{hex[i / 16], hex[i % 16]} : std::string(1, hex[i % 16]));
  return out;
}

}  // namespace brood::records
