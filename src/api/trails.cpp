// brood-api: trails to other broods (SPEC §5.8). Each scout writes its own `t` record for a
// remote brood: its WireGuard endpoint and its end of the tunnel. Both broods derive the same
// tunnel /30 from their two domain names (below), so neither has to tell the other.
#include <brood/api/api.hpp>
#include <brood/api/set_edit.hpp>
#include <brood/json/value.hpp>
#include <brood/records/node.hpp>
#include <brood/records/trail.hpp>

#include "handler_util.hpp"

#include <sodium.h>

#include <algorithm>

namespace brood::api {

using provider::rr_type;
using provider::rrset;

namespace {

bool domain_ok(std::string_view s) {
  if (s.empty() || s.size() > 253 || s.front() == '.' || s.back() == '.' || s.find("..") != std::string_view::npos ||
      s.find('.') == std::string_view::npos)
    return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
  });
}

}  // namespace

std::string trail_address(std::string_view local, std::string_view remote) {
  // The /30 inside 169.254.0.0/16 picked by sha256 of the two domains in order; the first
  // domain in that order takes .1 of it, the other .2.
  const bool first = local < remote;
  const std::string both = std::string(first ? local : remote) + "\n" + std::string(first ? remote : local);
  std::uint8_t h[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(h, reinterpret_cast<const unsigned char*>(both.data()), both.size());
  const unsigned block = ((h[0] << 8) | h[1]) & 0x3fff;  // 16,384 blocks of 4 addresses
  const unsigned base = block * 4;
  return "169.254." + std::to_string(base >> 8) + "." + std::to_string((base & 0xff) + (first ? 1 : 2)) + "/30";
}

rt::task<http::response> api::create_trail(const http::request& req) {
  ++_c.requests;
  if (!is_operator(req)) co_return http::error_response(401, "unauthenticated", "operator token required");
  auto body = json::parse(req.body);
  const json::value* remote_v = body ? body->find("remote_domain") : nullptr;
  const json::value* prio_v = body ? body->find("priority") : nullptr;
  const json::value* ep_v = body ? body->find("endpoint") : nullptr;
  if (!remote_v || !remote_v->as_string() || !domain_ok(*remote_v->as_string()) || *remote_v->as_string() == _n.domain())
    co_return http::error_response(400, "bad request", "remote_domain is another brood's domain, in lower case");
  auto prio = prio_v ? prio_v->as_int() : rt::result<std::int64_t>(std::int64_t{100});
  if (!prio || *prio < 0 || *prio > 65535) co_return http::error_response(400, "bad request", "priority is 0 to 65535");
  const std::string remote = *remote_v->as_string();

  std::string why;
  auto m = co_await meta(&why);
  if (!m) co_return provider_failure(m.error(), why);
  const auto meta_now = *m;
  const auto id = _scout.id10();
  const auto n_owner = _n.node_shard(records::shard_of(_scout.pk(), meta_now.shards));
  const std::vector<crypto::secret_key> ring = api::ring();
  std::vector<rrset> sets{{_n.trails(), rr_type::txt, _o.ttl, {}}, {n_owner, rr_type::txt, _o.ttl, {}}};
  int status = 201;
  std::string detail, endpoint = ep_v && ep_v->as_string() ? *ep_v->as_string() : "";
  provider::provider::edit_fn fn = [&](const std::vector<rrset>& current) {
    status = 201;
    // This scout's WireGuard endpoint: given, or the first of its own _n record.
    std::string ep = endpoint;
    if (ep.empty())
      for (auto& t : values_of(current, n_owner))
        if (auto node = records::decode_node(t, n_owner, meta_now.scouts, ring);
            node && node->pk == _scout.pk() && !node->endpoints.empty())
          ep = node->endpoints.front();
    if (ep.empty()) {
      status = 409, detail = "this scout has no endpoint yet (approve it, or give \"endpoint\")";
      return current;
    }
    records::trail_record t{remote, id, ep, trail_address(_n.domain(), remote), static_cast<std::uint32_t>(*prio),
                            now_ms()};
    auto set = split_set(values_of(current, _n.trails()), records::set_kind::trails, _n.trails(), meta_now.scouts);
    std::erase_if(set.members, [&](const std::string& text) {
      auto old = records::decode_trail(text, _n.trails(), meta_now.scouts);
      return old && old->remote == remote && old->scout == id;  // this scout's earlier record for it
    });
    auto text = records::encode(t, _n.trails(), _scout);
    if (!records::decode_trail(text, _n.trails(), meta_now.scouts)) {
      status = 400, detail = "endpoint is not ip:port";
      return current;
    }
    set.members.push_back(std::move(text));
    auto next = current;
    next[0].values = rebuild_set(records::set_kind::trails, _n.trails(), std::move(set.members), set.header, t.ts, _scout);
    return next;
  };
  auto w = co_await _p.edit(std::move(sets), std::move(fn), &why);
  ++_c.provider_edits;
  if (!w) co_return provider_failure(w.error(), why);
  if (status != 201) co_return http::error_response(status, status == 400 ? "bad request" : "conflict", detail);
  json::writer out;
  out.begin_object().key("remote_domain").string(remote).key("scout").string(id);
  out.key("overlay").string(trail_address(_n.domain(), remote)).key("priority").number(*prio).end_object();
  co_return json_ok(201, out.take());
}

rt::task<http::response> api::list_trails(const http::request& req) {
  ++_c.requests;
  if (!is_operator(req)) co_return http::error_response(401, "unauthenticated", "operator token required");
  std::string why;
  auto m = co_await meta(&why);
  if (!m) co_return provider_failure(m.error(), why);
  auto texts = co_await _p.get(_n.trails(), rr_type::txt, &why);
  if (!texts) co_return provider_failure(texts.error(), why);
  json::writer w;
  w.begin_array();
  for (auto& t : *texts)
    if (!records::is_set_header(t))
      if (auto tr = records::decode_trail(t, _n.trails(), m->scouts)) {
        w.begin_object().key("remote_domain").string(tr->remote).key("scout").string(tr->scout);
        w.key("endpoint").string(tr->ep).key("overlay").string(tr->overlay);
        w.key("priority").number(static_cast<std::int64_t>(tr->priority)).end_object();
      }
  w.end_array();
  co_return json_ok(200, w.take());
}

rt::task<http::response> api::delete_trail(const http::request& req, std::string remote) {
  ++_c.requests;
  if (!is_operator(req)) co_return http::error_response(401, "unauthenticated", "operator token required");
  if (!domain_ok(remote)) co_return http::error_response(400, "bad request", "not a domain: " + remote);
  std::string why;
  auto m = co_await meta(&why);
  if (!m) co_return provider_failure(m.error(), why);
  const auto meta_now = *m;
  std::vector<rrset> sets{{_n.trails(), rr_type::txt, _o.ttl, {}}};
  bool found = false;
  provider::provider::edit_fn fn = [&](const std::vector<rrset>& current) {
    found = false;
    auto set = split_set(values_of(current, _n.trails()), records::set_kind::trails, _n.trails(), meta_now.scouts);
    std::erase_if(set.members, [&](const std::string& text) {
      auto t = records::decode_trail(text, _n.trails(), meta_now.scouts);
      return t && t->remote == remote && (found = true);  // every scout's record of this trail
    });
    if (!found) return current;
    auto next = current;
    next[0].values = rebuild_set(records::set_kind::trails, _n.trails(), std::move(set.members), set.header, now_ms(), _scout);
    return next;
  };
  auto w = co_await _p.edit(std::move(sets), std::move(fn), &why);
  ++_c.provider_edits;
  if (!w) co_return provider_failure(w.error(), why);
  if (!found) co_return http::error_response(404, "not found", "no trail to " + remote);
  co_return json_ok(200, "{\"removed\":\"" + remote + "\"}");
}

}  // namespace brood::api
