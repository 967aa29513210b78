// brood-api: vlans and their members (SPEC §5.7) — each change one provider edit over `_vl`
// and the vlan's `_m` shards, under the change lease; the lists from the view.
#include <brood/api/api.hpp>
#include <brood/api/set_edit.hpp>
#include <brood/json/value.hpp>
#include <brood/net/ip_prefix.hpp>
#include <brood/records/vlan.hpp>

#include "handler_util.hpp"

#include <charconv>
#include <set>

namespace brood::api {

using provider::rr_type;
using provider::rrset;

namespace {

bool vlan_name_ok(std::string_view n) {
  return !n.empty() && n.size() <= 32 && std::all_of(n.begin(), n.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.';
  });
}

std::optional<std::uint32_t> parse_vni(std::string_view s) {
  std::uint32_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v == 0 || v > records::max_vni) return std::nullopt;
  return v;
}

/// A subnet in its canonical form (network address, no host bits), /8–/30 or /48–/126, or
/// nothing.
std::optional<std::string> canonical_subnet(std::string_view s) {
  auto p = net::ip_prefix::parse(s);
  if (!p || s.find('/') == std::string_view::npos || !p->is_network()) return std::nullopt;
  const bool v4 = p->family == AF_INET;
  if (p->length < (v4 ? 8 : 48) || p->length > (v4 ? 30 : 126)) return std::nullopt;
  return p->to_string();
}

/// Whether `ip` is a host address of `subnet` (not its network or broadcast address).
bool host_in(const std::string& subnet, const std::string& ip) {
  auto net = net::ip_prefix::parse(subnet);
  auto a = net::ip_prefix::parse_address(ip);
  if (!net || !a || !net->contains(*a)) return false;
  a->length = net->length;
  return a->is_host_address();
}

}  // namespace

rt::task<http::response> api::create_vlan(const http::request& req) {
  if (auto refused = admit(req, true)) co_return std::move(*refused);
  auto body = json::parse(req.body);
  const json::value* vni_v = body ? body->find("vni") : nullptr;
  const json::value* name_v = body ? body->find("name") : nullptr;
  const json::value* subnet_v = body ? body->find("subnet") : nullptr;
  auto vni_i = vni_v ? vni_v->as_int() : rt::result<std::int64_t>(std::errc::invalid_argument);
  if (!vni_i || *vni_i < 1 || *vni_i > records::max_vni)
    co_return http::error_response(400, "bad request", "vni is an integer from 1 to 16777215");
  if (!name_v || !name_v->as_string() || !vlan_name_ok(*name_v->as_string()))
    co_return http::error_response(400, "bad request", "name is 1 to 32 of [A-Za-z0-9_.-]");
  auto subnet = subnet_v && subnet_v->as_string() ? canonical_subnet(*subnet_v->as_string()) : std::nullopt;
  if (!subnet)
    co_return http::error_response(400, "bad request", "subnet is an IPv4 (/8–/30) or IPv6 (/48–/126) network address");
  const auto vni = static_cast<std::uint32_t>(*vni_i);
  const std::string name = *name_v->as_string();

  auto c = co_await begin(lease_use::wait, "vlan");
  if (auto* refused = std::get_if<http::response>(&c)) co_return std::move(*refused);
  auto& ch = std::get<change>(c);
  std::vector<std::string> owners{_n.vlans()};
  for (auto& s : records::all_shards(ch.meta.shards)) owners.push_back(_n.member_shard(s, vni));
  std::string clash;
  bool unverified = false;
  auto fail = co_await commit(ch, owners, [&](const std::vector<rrset>& current) {
    clash.clear();
    unverified = false;
    auto base = base_of(_n.vlans(), current);
    if (!base) {
      unverified = true;
      return current;
    }
    if (_sv.vlan(vni)) clash = "vni " + std::to_string(vni) + " exists";
    if (_sv.view.vlans)
      for (auto& v : _sv.view.vlans->members)
        if (v.name == name) clash = "a vlan is already named " + name;
    if (!clash.empty()) return current;
    const auto ts = now();
    auto members = base->first;
    members.push_back(records::encode(records::vlan_record{vni, name, *subnet, ts}, _n.vlans(), _key.key, _scout));
    std::vector<rrset> next{{_n.vlans(), rr_type::txt, _o.ttl, rebuilt(records::set_kind::vlans, _n.vlans(), members, base->second)}};
    // Every _m shard name exists from the start, empty: whatever an earlier vlan of this vni
    // left there goes with a fresh header.
    for (auto& s : records::all_shards(ch.meta.shards))
      next.push_back({_n.member_shard(s, vni), rr_type::txt, _o.ttl,
                      rebuilt(records::set_kind::members, _n.member_shard(s, vni), {}, std::nullopt)});
    return next;
  });
  if (fail) co_return std::move(*fail);
  if (unverified) co_return unverifiable(_n.vlans());
  if (!clash.empty()) co_return http::error_response(409, "conflict", clash);
  ++_c.vlan_changes;
  json::writer out;
  out.begin_object().key("vni").number(static_cast<std::int64_t>(vni)).key("name").string(name);
  out.key("subnet").string(*subnet).end_object();
  co_return json_ok(201, out.take());
}

rt::task<http::response> api::list_vlans(const http::request& req) {
  if (auto refused = admit(req, true)) co_return std::move(*refused);
  std::vector<records::vlan_record> vlans;
  if (_sv.view.vlans) vlans = _sv.view.vlans->members;
  std::sort(vlans.begin(), vlans.end(), [](auto& a, auto& b) { return a.vni < b.vni; });
  json::writer w;
  w.begin_array();
  for (auto& v : vlans) {
    w.begin_object().key("vni").number(static_cast<std::int64_t>(v.vni)).key("name").string(v.name);
    w.key("subnet").string(v.subnet).end_object();
  }
  w.end_array();
  co_return json_ok(200, w.take());
}

rt::task<http::response> api::delete_vlan(const http::request& req, std::string vni_text) {
  if (auto refused = admit(req, true)) co_return std::move(*refused);
  auto vni = parse_vni(vni_text);
  if (!vni) co_return http::error_response(400, "bad request", "vni is an integer from 1 to 16777215");
  auto c = co_await begin(lease_use::wait, "vlan");
  if (auto* refused = std::get_if<http::response>(&c)) co_return std::move(*refused);
  auto& ch = std::get<change>(c);
  std::vector<std::string> owners{_n.vlans()};
  for (auto& s : records::all_shards(ch.meta.shards)) owners.push_back(_n.member_shard(s, *vni));
  bool found = false, unverified = false;
  auto fail = co_await commit(ch, owners, [&](const std::vector<rrset>& current) {
    found = unverified = false;
    auto base = base_of(_n.vlans(), current);
    if (!base || !_sv.view.vlans) {
      unverified = !base;
      return current;
    }
    std::vector<std::string> members;
    for (std::size_t i = 0; i < _sv.view.vlans->members.size(); ++i) {
      if (_sv.view.vlans->members[i].vni == *vni)
        found = true;
      else
        members.push_back(_sv.view.vlans->texts[i]);
    }
    if (!found) return current;
    std::vector<rrset> next{{_n.vlans(), rr_type::txt, _o.ttl, rebuilt(records::set_kind::vlans, _n.vlans(), members, base->second)}};
    for (auto& s : records::all_shards(ch.meta.shards))
      next.push_back({_n.member_shard(s, *vni), rr_type::txt, _o.ttl, {}});  // the vlan's _m shards go with it
    return next;
  });
  if (fail) co_return std::move(*fail);
  if (unverified) co_return unverifiable(_n.vlans());
  if (!found) co_return http::error_response(404, "not found", "no vlan " + vni_text);
  ++_c.vlan_changes;
  co_return json_ok(200, "{\"deleted\":" + std::to_string(*vni) + "}");
}

rt::task<http::response> api::add_member(const http::request& req, std::string vni_text) {
  if (auto refused = admit(req, true)) co_return std::move(*refused);
  auto vni = parse_vni(vni_text);
  if (!vni) co_return http::error_response(400, "bad request", "vni is an integer from 1 to 16777215");
  auto body = json::parse(req.body);
  const json::value* id_v = body ? body->find("id") : nullptr;
  const json::value* ip_v = body ? body->find("ip") : nullptr;
  if (!id_v || !id_v->as_string() || !id10_ok(*id_v->as_string()) || !ip_v || !ip_v->as_string())
    co_return http::error_response(400, "bad request", "expected {\"id\": \"<id10>\", \"ip\": \"<address>\"}");
  const std::string id = *id_v->as_string();
  // One spelling per address (2001:DB8::1 is 2001:db8::1), so that "in use" compares addresses.
  const auto parsed_ip = net::ip_prefix::parse_address(*ip_v->as_string());
  if (!parsed_ip) co_return http::error_response(400, "bad request", "ip is not an address");
  const std::string ip = parsed_ip->address_string();

  auto c = co_await begin(lease_use::wait, "member");
  if (auto* refused = std::get_if<http::response>(&c)) co_return std::move(*refused);
  auto& ch = std::get<change>(c);
  const auto shard = records::shard_of_id(id, ch.meta.shards);
  const auto m_owner = _n.member_shard(shard, *vni);
  // Every _m shard of the vlan is read: the address must be free in all of them.
  std::vector<std::string> owners{_n.vlans(), _n.node_shard(shard)};
  for (auto& s : records::all_shards(ch.meta.shards)) owners.push_back(_n.member_shard(s, *vni));
  int status = 201;
  std::string detail;
  auto fail = co_await commit(ch, owners, [&](const std::vector<rrset>& current) {
    status = 201;
    const auto* vlan = _sv.vlan(*vni);
    if (!vlan) {
      status = 404, detail = "no vlan " + std::to_string(*vni);
      return current;
    }
    auto nodes = _sv.nodes_with_id(id);
    if (nodes.size() != 1) {
      status = 404, detail = "no member node " + id;
      return current;
    }
    const auto pk = nodes.front()->pk;
    if (!host_in(vlan->subnet, ip)) {
      status = 409, detail = ip + " is not a host address of " + vlan->subnet;
      return current;
    }
    for (auto* m : _sv.members_of(*vni)) {
      if (m->pk == pk) status = 409, detail = id + " is already in vlan " + std::to_string(*vni);
      else if (m->ip == ip) status = 409, detail = ip + " is in use in vlan " + std::to_string(*vni);
    }
    if (status != 201) return current;
    auto base = base_of(m_owner, current);
    if (!base) {
      status = 503;
      return current;
    }
    auto members = base->first;
    members.push_back(records::encode(records::member_record{pk, ip, now()}, m_owner, _key.key, _scout));
    return std::vector<rrset>{{m_owner, rr_type::txt, _o.ttl, rebuilt(records::set_kind::members, m_owner, members, base->second)}};
  });
  if (fail) co_return std::move(*fail);
  if (status == 503) co_return unverifiable(m_owner);
  if (status != 201) co_return http::error_response(status, status == 404 ? "not found" : "conflict", detail);
  ++_c.vlan_changes;
  json::writer out;
  out.begin_object().key("vni").number(static_cast<std::int64_t>(*vni)).key("id").string(id).key("ip").string(ip);
  out.end_object();
  co_return json_ok(201, out.take());
}

rt::task<http::response> api::list_members(const http::request& req, std::string vni_text) {
  if (auto refused = admit(req, true)) co_return std::move(*refused);
  auto vni = parse_vni(vni_text);
  if (!vni) co_return http::error_response(400, "bad request", "vni is an integer from 1 to 16777215");
  if (!_sv.vlan(*vni)) co_return http::error_response(404, "not found", "no vlan " + vni_text);
  json::writer w;
  w.begin_array();
  for (auto* m : _sv.members_of(*vni))
    w.begin_object().key("id").string(crypto::id10(m->pk)).key("ip").string(m->ip).end_object();
  w.end_array();
  co_return json_ok(200, w.take());
}

rt::task<http::response> api::remove_member(const http::request& req, std::string vni_text, std::string id) {
  if (auto refused = admit(req, true)) co_return std::move(*refused);
  auto vni = parse_vni(vni_text);
  if (!vni || !id10_ok(id)) co_return http::error_response(400, "bad request", "expected /vlans/<vni>/members/<id10>");
  auto c = co_await begin(lease_use::wait, "member");
  if (auto* refused = std::get_if<http::response>(&c)) co_return std::move(*refused);
  auto& ch = std::get<change>(c);
  const auto shard = records::shard_of_id(id, ch.meta.shards);
  const auto m_owner = _n.member_shard(shard, *vni);
  bool found = false, unverified = false;
  auto fail = co_await commit(ch, m_owner, [&](const std::vector<rrset>& current) {
    found = unverified = false;
    auto base = base_of(m_owner, current);
    const auto* held = _sv.member_shard(*vni, shard);
    if (!base || !held) {
      unverified = !base;
      return current;
    }
    std::vector<std::string> members;
    for (std::size_t i = 0; i < held->members.size(); ++i) {
      if (crypto::id10(held->members[i].pk) == id)
        found = true;
      else
        members.push_back(held->texts[i]);
    }
    if (!found) return current;
    return std::vector<rrset>{{m_owner, rr_type::txt, _o.ttl, rebuilt(records::set_kind::members, m_owner, members, base->second)}};
  });
  if (fail) co_return std::move(*fail);
  if (unverified) co_return unverifiable(m_owner);
  if (!found) co_return http::error_response(404, "not found", id + " is not in vlan " + vni_text);
  ++_c.vlan_changes;
  co_return json_ok(200, "{\"removed\":\"" + id + "\"}");
}

}  // namespace brood::api
