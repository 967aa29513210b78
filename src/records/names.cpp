// Record names, their classification, and shard labels.
#include <brood/records/names.hpp>

#include <brood/dns/canonical_name.hpp>

#include <algorithm>
#include <charconv>

namespace brood::records {

names::names(std::string_view domain) : _domain(dns::canonical_name(domain)) {}

namespace {
bool lower_hex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}
bool shard_label(std::string_view s) { return (s.size() == 1 || s.size() == 2) && lower_hex(s); }
}  // namespace

names::owner_kind names::classify(std::string_view owner) const {
  const std::string suffix = "." + _domain;
  owner_kind out;
  if (!owner.ends_with(suffix)) return out;
  const std::string_view label = owner.substr(0, owner.size() - suffix.size());
  if (label == "_meta") {
    out.kind = owner_kind::meta;
  } else if (label == "_vl") {
    out.kind = owner_kind::vlans;
  } else if (label == "_t") {
    out.kind = owner_kind::trails;
  } else if (label == "_l") {
    out.kind = owner_kind::liveness;
  } else if ((label.starts_with("_n.") || label.starts_with("_p.")) && shard_label(label.substr(3))) {
    out.kind = label[1] == 'n' ? owner_kind::node_shard : owner_kind::pending_shard;
    out.shard = label.substr(3);
  } else if (label.starts_with("_k.") && label.ends_with("._n") && label.size() == 16 &&
             lower_hex(label.substr(3, 10))) {
    out.kind = owner_kind::key;
    out.id10 = label.substr(3, 10);
  } else if (label.starts_with("_m.")) {
    const auto rest = label.substr(3);
    const auto dot = rest.find('.');
    if (dot == std::string_view::npos || !shard_label(rest.substr(0, dot))) return out;
    const auto vni_text = rest.substr(dot + 1);
    auto [end, ec] = std::from_chars(vni_text.data(), vni_text.data() + vni_text.size(), out.vni);
    if (ec != std::errc() || end != vni_text.data() + vni_text.size() || vni_text.empty() || vni_text[0] == '0')
      return out;
    out.kind = owner_kind::member_shard;
    out.shard = rest.substr(0, dot);
  }
  return out;
}

std::string shard_of_id(std::string_view id10, unsigned shards) {
  return std::string(id10.substr(0, shards == 256 ? 2 : 1));
}

std::string shard_of(const crypto::public_key& pk, unsigned shards) { return shard_of_id(crypto::id10(pk), shards); }

std::vector<std::string> all_shards(unsigned shards) {
  static constexpr char hex[] = "0123456789abcdef";
  std::vector<std::string> out;
  for (unsigned i = 0; i < shards; ++i)
    out.push_back(shards == 256 ? std::string{hex[i / 16], hex[i % 16]} : std::string(1, hex[i % 16]));
  return out;
}

}  // namespace brood::records
