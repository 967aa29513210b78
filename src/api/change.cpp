// brood-api: the preamble and epilogue every change shares — the checks before it, and the one
// provider edit that makes it, from the verified view, within the record limits.
#include <brood/api/api.hpp>
#include <brood/records/record_set.hpp>
#include <brood/rt/wall_clock.hpp>

#include "handler_util.hpp"

#include <algorithm>

namespace brood::api {

using provider::rr_type;
using provider::rrset;

std::optional<http::response> api::admit(const http::request& req, bool operator_only) {
  ++_c.requests;
  if (operator_only && !is_operator(req))
    return http::error_response(401, "unauthenticated", "operator token required");
  if (!_sv.ready() || !_sv.view.meta) {
    auto r = http::error_response(503, "unavailable", "this scout has not read its brood yet: " + _refresh_error);
    r.headers.push_back({"retry-after", "5"});
    return r;
  }
  return std::nullopt;
}

rt::task<std::variant<api::change, http::response>> api::begin(lease_use lease, std::string_view op) {
  change c;
  auto g = co_await _writes.lock();
  if (!g) co_return http::error_response(503, "unavailable", "shutting down");
  c.lock = std::move(*g);
  if (lease == lease_use::none || lease == lease_use::try_once) {
    if (_pending) co_return http::error_response(503, "unavailable", "a key rotation is under way");
  }
  if (lease != lease_use::none) {
    // Serialised across API processes and scouts: an approval that reads every shard for a free
    // address, a removal that rotates the key, a node's endpoints rewritten into its shard, must
    // not overlap another change elsewhere.
    std::string why;
    const std::string op_name(op), no_takeover;  // named locals: GCC 12 and co_await temporaries
    auto held = co_await acquire_lease(op_name, &why, no_takeover, lease == lease_use::wait);
    if (!held) {
      if (held.error() != provider::error::conflict) co_return provider_failure(held.error(), "the change lease: " + why);
      auto r = http::error_response(503, "busy", why);
      r.headers.push_back({"retry-after", "5"});
      co_return r;
    }
    c.leased = true;
    if (auto busy = co_await settle_rotation()) {
      co_await release(c);
      co_return std::move(*busy);
    }
  }
  // Another process may have rotated the key: never write with an old one.
  if (_sv.view.meta && _sv.view.meta->kv > _key.kv) (void)co_await catch_up_key();
  if (!_sv.view.meta || _sv.view.meta->kv > _key.kv) {
    co_await release(c);
    co_return http::error_response(503, "unavailable",
                                   "this scout is behind on the brood key (kv " + std::to_string(_key.kv) + ", _meta " +
                                       std::to_string(_sv.view.meta ? _sv.view.meta->kv : 0) + ")");
  }
  c.meta = *_sv.view.meta;
  c.ring = ring();
  co_return std::move(c);
}

rt::task<void> api::release(change& c) {
  if (!c.leased) co_return;
  c.leased = false;
  co_await release_lease();
}

std::optional<std::pair<std::vector<std::string>, std::optional<records::set_header>>> api::base_of(
    const std::string& owner, const std::vector<rrset>& current) const {
  const auto kind = _n.classify(owner);
  // Held, whole, and under the newest header accepted for that name: a set merged from a
  // partial answer, or one a newer header has overtaken, is not the set as it is, and writing it
  // back could bring back a member removed meanwhile.
  // And, when `current` has the name just read, the provider holds that header now: a newer one
  // this process could not verify (crowded out by forgeries, say) means the set moved on
  // without it.
  const auto newest = _sv.trust.highest(owner + " hdr");
  const auto signers = records::current_signers(_sv.view, _sv.trust);
  const auto& now_there = values_of(current, owner);
  const bool read_now = std::any_of(current.begin(), current.end(), [&](const rrset& s) { return s.name == owner; });
  const bool header_there = !read_now || std::any_of(now_there.begin(), now_there.end(), [&](const std::string& v) {
    return records::is_set_header(v) && _sv.trust.verified_before(owner, v, signers);
  });
  auto from = [&](const auto* set) -> std::optional<std::pair<std::vector<std::string>, std::optional<records::set_header>>> {
    if (!set || !set->complete || set->header.ts != newest || !header_there) return std::nullopt;
    return std::make_pair(set->texts, std::optional<records::set_header>(set->header));
  };
  std::optional<std::pair<std::vector<std::string>, std::optional<records::set_header>>> held;
  switch (kind.kind) {
    case records::names::owner_kind::node_shard: held = from(_sv.node_shard(kind.shard)); break;
    case records::names::owner_kind::member_shard: held = from(_sv.member_shard(kind.vni, kind.shard)); break;
    case records::names::owner_kind::vlans: held = from(_sv.view.vlans ? &*_sv.view.vlans : nullptr); break;
    case records::names::owner_kind::trails: held = from(_sv.view.trails ? &*_sv.view.trails : nullptr); break;
    default: return std::nullopt;
  }
  if (held) return held;
  // Not held: only a name that holds nothing at all, and never held a set, may start afresh.
  if (now_there.empty() && newest == 0)
    return std::make_pair(std::vector<std::string>{}, std::optional<records::set_header>{});
  return std::nullopt;
}

std::vector<std::string> api::rebuilt(records::set_kind kind, const std::string& owner,
                                      std::vector<std::string> members,
                                      const std::optional<records::set_header>& previous) const {
  return rebuild_set(kind, owner, std::move(members), previous, now(), _scout);
}

rt::task<std::optional<http::response>> api::commit(change& c, std::vector<std::string> owners, build_fn fn) {
  std::vector<rrset> sets;
  for (auto& o : owners) sets.push_back({o, rr_type::txt, _o.ttl, {}});
  std::optional<http::response> refused;
  std::string cannot_open;
  provider::provider::edit_fn edit = [&](const std::vector<rrset>& current) {
    refused.reset();
    // The truth now, by the readers' rules: what fn builds on is what this scout verified.
    auto problems = _sv.fold(current, now());
    for (auto& p : problems) {
      if (p.ignored) ++_c.texts_dropped;
      if (p.reason == records::error::cannot_decrypt &&
          std::find(owners.begin(), owners.end(), p.owner) != owners.end())
        cannot_open = p.owner;
    }
    if (!cannot_open.empty()) {
      refused = http::error_response(503, "unavailable", cannot_open + " holds records this scout cannot open: " +
                                                             "it is behind on the brood key, or another is rotating");
      return current;
    }
    auto next = fn(current);
    for (auto& s : next) {
      if (s.type != rr_type::txt) continue;
      if (auto v = records::check_set_limits(s.name, s.values)) {
        refused = http::error_response(
            409, "conflict",
            s.name + " would be over the DNS limits (" + std::string(v->reason == records::error::set_too_large
                                                                         ? "8,192 characters per name"
                                                                         : "4,096 bytes per record, 65,535 per answer") +
                ": " + std::to_string(v->size) + ")");
        return current;
      }
    }
    return next;
  };
  std::string why;
  auto w = co_await _p.edit(std::move(sets), std::move(edit), &why);
  co_await release(c);
  if (!w) co_return provider_failure(w.error(), why);
  if (w->changed_sets > 0) ++_c.provider_edits;
  if (!cannot_open.empty()) (void)co_await catch_up_key();
  co_return refused;
}

}  // namespace brood::api
