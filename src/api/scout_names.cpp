// The names a scout is reached by, added or taken out.
#include <brood/api/scout_names.hpp>

#include <algorithm>

namespace brood::api {

using provider::rr_type;
using provider::rrset;

std::vector<rrset> scout_name_sets(const records::names& n, const std::string& id10, std::uint32_t ttl) {
  const auto host = n.scout_host(id10);
  return {{n.scouts_srv(), rr_type::srv, ttl, {}},
          {host, rr_type::a, ttl, {}},
          {host, rr_type::aaaa, ttl, {}},
          {n.domain(), rr_type::a, ttl, {}},
          {n.domain(), rr_type::aaaa, ttl, {}}};
}

namespace {
/// The target of an SRV value `priority weight port target`.
std::string srv_target(const std::string& v) {
  auto at = v.rfind(' ');
  std::string t = at == std::string::npos ? v : v.substr(at + 1);
  if (!t.empty() && t.back() == '.') t.pop_back();
  return t;
}
rrset* find(std::vector<rrset>& sets, const std::string& name, rr_type type) {
  for (auto& s : sets)
    if (s.name == name && s.type == type) return &s;
  return nullptr;
}
}  // namespace

std::vector<rrset> with_scout(std::vector<rrset> current, const records::names& n, const std::string& id10,
                              const std::string& address, std::uint16_t port) {
  const auto host = n.scout_host(id10);
  auto* srv = find(current, n.scouts_srv(), rr_type::srv);
  auto* own_a = find(current, host, rr_type::a);
  auto* own_aaaa = find(current, host, rr_type::aaaa);
  auto* apex_a = find(current, n.domain(), rr_type::a);
  auto* apex_aaaa = find(current, n.domain(), rr_type::aaaa);
  if (!srv || !own_a || !own_aaaa || !apex_a || !apex_aaaa) return current;  // not scout_name_sets()
  if (address.empty()) {
    std::erase_if(srv->values, [&](const std::string& v) { return srv_target(v) == host; });
    for (auto* own : {own_a, own_aaaa}) {
      auto* apex = own == own_a ? apex_a : apex_aaaa;
      for (auto& a : own->values) std::erase(apex->values, a);
      own->values.clear();
    }
    return current;
  }
  const bool has_entry = std::any_of(srv->values.begin(), srv->values.end(),
                                     [&](const std::string& v) { return srv_target(v) == host; });
  if (!has_entry)
    srv->values.push_back((srv->values.empty() ? "0" : "10") + std::string(" 100 ") + std::to_string(port) + " " + host);
  const bool v6 = address.find(':') != std::string::npos;
  auto* own = v6 ? own_aaaa : own_a;
  auto* apex = v6 ? apex_aaaa : apex_a;
  // A scout that moved: its old address leaves the domain's too. (The other family's record is
  // left as it is: one address is announced at a time.)
  for (auto& old : own->values)
    if (old != address) std::erase(apex->values, old);
  own->values = {address};
  if (std::find(apex->values.begin(), apex->values.end(), address) == apex->values.end()) apex->values.push_back(address);
  return current;
}

}  // namespace brood::api
