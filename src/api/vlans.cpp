// brood-api: vlans and their members (SPEC §5.7) — each change one provider edit over `_vl`,
// the vlan's `_m` shards and, for a membership, the node's `_n` shard.
#include <brood/api/api.hpp>
#include <brood/api/set_edit.hpp>
#include <brood/json/value.hpp>
#include <brood/records/vlan.hpp>

#include "handler_util.hpp"

#include <arpa/inet.h>

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

/// The address family and bytes of `ip`; 0 if it is not one.
int parse_ip(const std::string& ip, unsigned char out[16]) {
  if (inet_pton(AF_INET, ip.c_str(), out) == 1) return 4;
  if (inet_pton(AF_INET6, ip.c_str(), out) == 1) return 6;
  return 0;
}

/// A subnet in its canonical form (network address, no host bits) or nothing.
std::optional<std::string> canonical_subnet(std::string_view s) {
  auto slash = s.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  unsigned prefix = 0;
  auto pre = s.substr(slash + 1);
  auto [p, ec] = std::from_chars(pre.data(), pre.data() + pre.size(), prefix);
  unsigned char b[16]{};
  int fam = parse_ip(std::string(s.substr(0, slash)), b);
  if (ec != std::errc() || p != pre.data() + pre.size() || fam == 0 || prefix > (fam == 4 ? 30u : 126u) ||
      prefix < (fam == 4 ? 8u : 48u))
    return std::nullopt;
  for (unsigned bit = prefix; bit < (fam == 4 ? 32u : 128u); ++bit)
    if (b[bit / 8] & (0x80 >> (bit % 8))) return std::nullopt;
  return std::string(s);
}

/// Whether `ip` is a host address of `subnet` (not its network or broadcast address).
bool host_in(const std::string& subnet, const std::string& ip) {
  auto slash = subnet.find('/');
  unsigned prefix = static_cast<unsigned>(std::stoul(subnet.substr(slash + 1)));
  unsigned char net[16]{}, a[16]{};
  int fam = parse_ip(subnet.substr(0, slash), net);
  if (fam == 0 || parse_ip(ip, a) != fam) return false;
  const unsigned bits = fam == 4 ? 32 : 128;
  bool all_zero = true, all_one = true;
  for (unsigned bit = 0; bit < bits; ++bit) {
    bool x = a[bit / 8] & (0x80 >> (bit % 8));
    if (bit < prefix) {
      if (x != static_cast<bool>(net[bit / 8] & (0x80 >> (bit % 8)))) return false;
    } else {
      all_zero = all_zero && !x;
      all_one = all_one && x;
    }
  }
  return !all_zero && !(fam == 4 && all_one);
}

}  // namespace

rt::task<http::response> api::create_vlan(const http::request& req) {
  ++_c.requests;
  if (!is_operator(req)) co_return http::error_response(401, "unauthenticated", "operator token required");
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

  // One change at a time, and never with an unfinished rotation (its key encrypts from now on).
  auto g = co_await _writes.lock();
  if (!g) co_return http::error_response(503, "unavailable", "shutting down");
  if (auto busy = co_await settle_rotation()) co_return std::move(*busy);
  std::string why;
  auto m = co_await meta(&why);
  if (!m) co_return provider_failure(m.error(), why);
  const auto meta_now = *m;
  const std::vector<crypto::secret_key> ring = api::ring();
  std::vector<rrset> sets{{_n.vlans(), rr_type::txt, _o.ttl, {}}};
  for (auto& s : records::all_shards(meta_now.shards)) sets.push_back({_n.member_shard(s, vni), rr_type::txt, _o.ttl, {}});
  std::string clash;
  provider::provider::edit_fn fn = [&](const std::vector<rrset>& current) {
    clash.clear();
    auto next = current;
    const auto ts = now_ms();
    auto set = split_set(values_of(current, _n.vlans()), records::set_kind::vlans, _n.vlans(), meta_now.scouts);
    for (auto& t : set.members)
      if (auto v = records::decode_vlan(t, _n.vlans(), meta_now.scouts, ring)) {
        if (v->vni == vni) clash = "vni " + std::to_string(vni) + " exists";
        else if (v->name == name) clash = "a vlan is already named " + name;
      }
    if (!clash.empty()) return current;
    set.members.push_back(records::encode(records::vlan_record{vni, name, *subnet, ts}, _n.vlans(), _key.key, _scout));
    for (auto& s : next) {
      if (s.name == _n.vlans())
        s.values = rebuild_set(records::set_kind::vlans, s.name, std::move(set.members), set.header, ts, _scout);
      else if (s.values.empty())  // every _m shard name exists from the start
        s.values = rebuild_set(records::set_kind::members, s.name, {}, std::nullopt, ts, _scout);
    }
    return next;
  };
  auto w = co_await _p.edit(std::move(sets), std::move(fn), &why);
  ++_c.provider_edits;
  if (!w) co_return provider_failure(w.error(), why);
  if (!clash.empty()) co_return http::error_response(409, "conflict", clash);
  ++_c.vlan_changes;
  json::writer out;
  out.begin_object().key("vni").number(static_cast<std::int64_t>(vni)).key("name").string(name);
  out.key("subnet").string(*subnet).end_object();
  co_return json_ok(201, out.take());
}

rt::task<http::response> api::list_vlans(const http::request& req) {
  ++_c.requests;
  if (!is_operator(req)) co_return http::error_response(401, "unauthenticated", "operator token required");
  std::string why;
  auto m = co_await meta(&why);
  if (!m) co_return provider_failure(m.error(), why);
  auto texts = co_await _p.get(_n.vlans(), rr_type::txt, &why);
  if (!texts) co_return provider_failure(texts.error(), why);
  const std::vector<crypto::secret_key> ring = api::ring();
  std::vector<records::vlan_record> vlans;
  for (auto& t : *texts)
    if (!records::is_set_header(t))
      if (auto v = records::decode_vlan(t, _n.vlans(), m->scouts, ring)) vlans.push_back(std::move(*v));
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
  ++_c.requests;
  if (!is_operator(req)) co_return http::error_response(401, "unauthenticated", "operator token required");
  auto vni = parse_vni(vni_text);
  if (!vni) co_return http::error_response(400, "bad request", "vni is an integer from 1 to 16777215");
  // One change at a time, and never with an unfinished rotation (its key encrypts from now on).
  auto g = co_await _writes.lock();
  if (!g) co_return http::error_response(503, "unavailable", "shutting down");
  if (auto busy = co_await settle_rotation()) co_return std::move(*busy);
  std::string why;
  auto m = co_await meta(&why);
  if (!m) co_return provider_failure(m.error(), why);
  const auto meta_now = *m;
  const std::vector<crypto::secret_key> ring = api::ring();
  std::vector<rrset> sets{{_n.vlans(), rr_type::txt, _o.ttl, {}}};
  for (auto& s : records::all_shards(meta_now.shards))
    sets.push_back({_n.member_shard(s, *vni), rr_type::txt, _o.ttl, {}});
  bool found = false;
  provider::provider::edit_fn fn = [&](const std::vector<rrset>& current) {
    found = false;
    auto set = split_set(values_of(current, _n.vlans()), records::set_kind::vlans, _n.vlans(), meta_now.scouts);
    std::erase_if(set.members, [&](const std::string& t) {
      auto v = records::decode_vlan(t, _n.vlans(), meta_now.scouts, ring);
      return v && v->vni == *vni && (found = true);
    });
    if (!found) return current;
    auto next = current;
    for (auto& s : next) {
      if (s.name == _n.vlans())
        s.values = rebuild_set(records::set_kind::vlans, s.name, std::move(set.members), set.header, now_ms(), _scout);
      else
        s.values.clear();  // the vlan's _m shards go with it
    }
    return next;
  };
  auto w = co_await _p.edit(std::move(sets), std::move(fn), &why);
  ++_c.provider_edits;
  if (!w) co_return provider_failure(w.error(), why);
  if (!found) co_return http::error_response(404, "not found", "no vlan " + vni_text);
  ++_c.vlan_changes;
  co_return json_ok(200, "{\"deleted\":" + std::to_string(*vni) + "}");
}

rt::task<http::response> api::add_member(const http::request& req, std::string vni_text) {
  ++_c.requests;
  if (!is_operator(req)) co_return http::error_response(401, "unauthenticated", "operator token required");
  auto vni = parse_vni(vni_text);
  if (!vni) co_return http::error_response(400, "bad request", "vni is an integer from 1 to 16777215");
  auto body = json::parse(req.body);
  const json::value* id_v = body ? body->find("id") : nullptr;
  const json::value* ip_v = body ? body->find("ip") : nullptr;
  if (!id_v || !id_v->as_string() || !id10_ok(*id_v->as_string()) || !ip_v || !ip_v->as_string())
    co_return http::error_response(400, "bad request", "expected {\"id\": \"<id10>\", \"ip\": \"<address>\"}");
  const std::string id = *id_v->as_string(), ip = *ip_v->as_string();
  unsigned char probe[16];
  if (parse_ip(ip, probe) == 0) co_return http::error_response(400, "bad request", "ip is not an address");

  // One change at a time, and never with an unfinished rotation (its key encrypts from now on).
  auto g = co_await _writes.lock();
  if (!g) co_return http::error_response(503, "unavailable", "shutting down");
  if (auto busy = co_await settle_rotation()) co_return std::move(*busy);
  std::string why;
  auto m = co_await meta(&why);
  if (!m) co_return provider_failure(m.error(), why);
  const auto meta_now = *m;
  const auto shard = id.substr(0, meta_now.shards == 256 ? 2 : 1);
  const auto n_owner = _n.node_shard(shard), m_owner = _n.member_shard(shard, *vni);
  const std::vector<crypto::secret_key> ring = api::ring();
  std::vector<rrset> sets{{_n.vlans(), rr_type::txt, _o.ttl, {}}, {n_owner, rr_type::txt, _o.ttl, {}}};
  for (auto& s : records::all_shards(meta_now.shards))
    sets.push_back({_n.member_shard(s, *vni), rr_type::txt, _o.ttl, {}});
  int status = 201;
  std::string detail;
  provider::provider::edit_fn fn = [&](const std::vector<rrset>& current) {
    status = 201;
    std::optional<records::vlan_record> vlan;
    for (auto& t : values_of(current, _n.vlans()))
      if (auto v = records::decode_vlan(t, _n.vlans(), meta_now.scouts, ring); v && v->vni == *vni) vlan = *v;
    if (!vlan) {
      status = 404, detail = "no vlan " + std::to_string(*vni);
      return current;
    }
    std::optional<crypto::public_key> pk;
    for (auto& t : values_of(current, n_owner))
      if (auto node = records::decode_node(t, n_owner, meta_now.scouts, ring); node && crypto::id10(node->pk) == id)
        pk = node->pk;
    if (!pk) {
      status = 404, detail = "no member node " + id;
      return current;
    }
    if (!host_in(vlan->subnet, ip)) {
      status = 409, detail = ip + " is not a host address of " + vlan->subnet;
      return current;
    }
    for (auto& s : current) {
      if (!s.name.starts_with("_m.")) continue;
      for (auto& t : s.values)
        if (auto mem = records::decode_member(t, s.name, meta_now.scouts, ring)) {
          if (mem->pk == *pk) status = 409, detail = id + " is already in vlan " + std::to_string(*vni);
          else if (mem->ip == ip) status = 409, detail = ip + " is in use in vlan " + std::to_string(*vni);
        }
    }
    if (status != 201) return current;
    auto next = current;
    const auto ts = now_ms();
    for (auto& s : next)
      if (s.name == m_owner) {
        auto set = split_set(s.values, records::set_kind::members, m_owner, meta_now.scouts);
        set.members.push_back(records::encode(records::member_record{*pk, ip, ts}, m_owner, _key.key, _scout));
        s.values = rebuild_set(records::set_kind::members, m_owner, std::move(set.members), set.header, ts, _scout);
      }
    return next;
  };
  auto w = co_await _p.edit(std::move(sets), std::move(fn), &why);
  ++_c.provider_edits;
  if (!w) co_return provider_failure(w.error(), why);
  if (status != 201) co_return http::error_response(status, status == 404 ? "not found" : "conflict", detail);
  ++_c.vlan_changes;
  json::writer out;
  out.begin_object().key("vni").number(static_cast<std::int64_t>(*vni)).key("id").string(id).key("ip").string(ip);
  out.end_object();
  co_return json_ok(201, out.take());
}

rt::task<http::response> api::list_members(const http::request& req, std::string vni_text) {
  ++_c.requests;
  if (!is_operator(req)) co_return http::error_response(401, "unauthenticated", "operator token required");
  auto vni = parse_vni(vni_text);
  if (!vni) co_return http::error_response(400, "bad request", "vni is an integer from 1 to 16777215");
  std::string why;
  auto m = co_await meta(&why);
  if (!m) co_return provider_failure(m.error(), why);
  const std::vector<crypto::secret_key> ring = api::ring();
  json::writer w;
  w.begin_array();
  bool any_shard = false;
  for (auto& s : records::all_shards(m->shards)) {
    const auto owner = _n.member_shard(s, *vni);
    auto texts = co_await _p.get(owner, rr_type::txt, &why);
    if (!texts) co_return provider_failure(texts.error(), why);
    any_shard = any_shard || !texts->empty();
    for (auto& t : *texts)
      if (!records::is_set_header(t))
        if (auto mem = records::decode_member(t, owner, m->scouts, ring))
          w.begin_object().key("id").string(crypto::id10(mem->pk)).key("ip").string(mem->ip).end_object();
  }
  w.end_array();
  if (!any_shard) co_return http::error_response(404, "not found", "no vlan " + vni_text);
  co_return json_ok(200, w.take());
}

rt::task<http::response> api::remove_member(const http::request& req, std::string vni_text, std::string id) {
  ++_c.requests;
  if (!is_operator(req)) co_return http::error_response(401, "unauthenticated", "operator token required");
  auto vni = parse_vni(vni_text);
  if (!vni || !id10_ok(id)) co_return http::error_response(400, "bad request", "expected /vlans/<vni>/members/<id10>");
  // One change at a time, and never with an unfinished rotation (its key encrypts from now on).
  auto g = co_await _writes.lock();
  if (!g) co_return http::error_response(503, "unavailable", "shutting down");
  if (auto busy = co_await settle_rotation()) co_return std::move(*busy);
  std::string why;
  auto m = co_await meta(&why);
  if (!m) co_return provider_failure(m.error(), why);
  const auto meta_now = *m;
  const auto m_owner = _n.member_shard(id.substr(0, meta_now.shards == 256 ? 2 : 1), *vni);
  const std::vector<crypto::secret_key> ring = api::ring();
  std::vector<rrset> sets{{m_owner, rr_type::txt, _o.ttl, {}}};
  bool found = false;
  provider::provider::edit_fn fn = [&](const std::vector<rrset>& current) {
    found = false;
    auto set = split_set(values_of(current, m_owner), records::set_kind::members, m_owner, meta_now.scouts);
    std::erase_if(set.members, [&](const std::string& t) {
      auto mem = records::decode_member(t, m_owner, meta_now.scouts, ring);
      return mem && crypto::id10(mem->pk) == id && (found = true);
    });
    if (!found) return current;
    auto next = current;
    next[0].values = rebuild_set(records::set_kind::members, m_owner, std::move(set.members), set.header, now_ms(), _scout);
    return next;
  };
  auto w = co_await _p.edit(std::move(sets), std::move(fn), &why);
  ++_c.provider_edits;
  if (!w) co_return provider_failure(w.error(), why);
  if (!found) co_return http::error_response(404, "not found", id + " is not in vlan " + vni_text);
  ++_c.vlan_changes;
  co_return json_ok(200, "{\"removed\":\"" + id + "\"}");
}

}  // namespace brood::api
