// brood-api: trails to other broods (SPEC §5.8). Each scout writes its own `t` record for a
// remote brood: its WireGuard endpoint and its end of the tunnel. Both broods derive the same
// tunnel /30 from their two domain names (below), so neither has to tell the other.
#include <brood/api/api.hpp>
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
  if (auto refused = admit(req, true)) co_return std::move(*refused);
  auto body = json::parse(req.body);
  const json::value* remote_v = body ? body->find("remote_domain") : nullptr;
  const json::value* prio_v = body ? body->find("priority") : nullptr;
  const json::value* ep_v = body ? body->find("endpoint") : nullptr;
  if (!remote_v || !remote_v->as_string() || !domain_ok(*remote_v->as_string()) || *remote_v->as_string() == _n.domain())
    co_return http::error_response(400, "bad request", "remote_domain is another brood's domain, in lower case");
  auto prio = prio_v ? prio_v->as_int() : rt::result<std::int64_t>(std::int64_t{100});
  if (!prio || *prio < 0 || *prio > 65535) co_return http::error_response(400, "bad request", "priority is 0 to 65535");
  const std::string remote = *remote_v->as_string();
  const std::string given = ep_v && ep_v->as_string() ? *ep_v->as_string() : "";

  // Trails are signed but not encrypted: they take the lease like every operator change, so
  // that two scouts never write the same trail at once, and the rotation never races them.
  auto c = co_await begin(lease_use::wait, "trail");
  if (auto* refused = std::get_if<http::response>(&c)) co_return std::move(*refused);
  const auto id = _scout.id10();
  int status = 201;
  std::string detail;
  auto fail = co_await commit(std::get<change>(c), _n.trails(), [&](const std::vector<rrset>& current) {
    status = 201;
    // This scout's WireGuard endpoint: given, or the first of its own _n record.
    std::string ep = given;
    if (const auto* self = _sv.node(_scout.pk()); ep.empty() && self && !self->endpoints.empty()) ep = self->endpoints.front();
    if (ep.empty()) {
      status = 409, detail = "this scout has no endpoint yet (approve it, or give \"endpoint\")";
      return current;
    }
    auto base = base_of(_n.trails(), current);
    if (!base) {
      status = 503;
      return current;
    }
    records::trail_record t{remote, id, ep, trail_address(_n.domain(), remote), static_cast<std::uint32_t>(*prio), now()};
    std::vector<std::string> members;
    for (std::size_t i = 0; _sv.view.trails && i < _sv.view.trails->members.size(); ++i) {
      const auto& old = _sv.view.trails->members[i];
      if (old.remote != remote || old.scout != id) members.push_back(_sv.view.trails->texts[i]);  // not this one's
    }
    auto text = records::encode(t, _n.trails(), _scout);
    if (!records::decode_trail(text, _n.trails(), _sv.trust.scouts)) {
      status = 400, detail = "endpoint is not ip:port";
      return current;
    }
    members.push_back(std::move(text));
    return std::vector<rrset>{{_n.trails(), rr_type::txt, _o.ttl, rebuilt(records::set_kind::trails, _n.trails(), members, base->second)}};
  });
  if (fail) co_return std::move(*fail);
  if (status == 503) co_return unverifiable(_n.trails());
  if (status != 201) co_return http::error_response(status, status == 400 ? "bad request" : "conflict", detail);
  json::writer out;
  out.begin_object().key("remote_domain").string(remote).key("scout").string(id);
  out.key("overlay").string(trail_address(_n.domain(), remote)).key("priority").number(*prio).end_object();
  co_return json_ok(201, out.take());
}

rt::task<http::response> api::list_trails(const http::request& req) {
  if (auto refused = admit(req, true)) co_return std::move(*refused);
  json::writer w;
  w.begin_array();
  if (_sv.view.trails)
    for (auto& tr : _sv.view.trails->members) {
      w.begin_object().key("remote_domain").string(tr.remote).key("scout").string(tr.scout);
      w.key("endpoint").string(tr.ep).key("overlay").string(tr.overlay);
      w.key("priority").number(static_cast<std::int64_t>(tr.priority)).end_object();
    }
  w.end_array();
  co_return json_ok(200, w.take());
}

rt::task<http::response> api::delete_trail(const http::request& req, std::string remote) {
  if (auto refused = admit(req, true)) co_return std::move(*refused);
  if (!domain_ok(remote)) co_return http::error_response(400, "bad request", "not a domain: " + remote);
  auto c = co_await begin(lease_use::wait, "trail");
  if (auto* refused = std::get_if<http::response>(&c)) co_return std::move(*refused);
  bool found = false, unverified = false;
  auto fail = co_await commit(std::get<change>(c), _n.trails(), [&](const std::vector<rrset>& current) {
    found = unverified = false;
    auto base = base_of(_n.trails(), current);
    if (!base || !_sv.view.trails) {
      unverified = !base;
      return current;
    }
    std::vector<std::string> members;
    for (std::size_t i = 0; i < _sv.view.trails->members.size(); ++i) {
      if (_sv.view.trails->members[i].remote == remote)
        found = true;  // every scout's record of this trail
      else
        members.push_back(_sv.view.trails->texts[i]);
    }
    if (!found) return current;
    return std::vector<rrset>{{_n.trails(), rr_type::txt, _o.ttl, rebuilt(records::set_kind::trails, _n.trails(), members, base->second)}};
  });
  if (fail) co_return std::move(*fail);
  if (unverified) co_return unverifiable(_n.trails());
  if (!found) co_return http::error_response(404, "not found", "no trail to " + remote);
  co_return json_ok(200, "{\"removed\":\"" + remote + "\"}");
}

}  // namespace brood::api
