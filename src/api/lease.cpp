// brood-api: the change lease — a signed `lk` record at _lock.<domain> that one API process holds
// while it makes an operator's change, so that two processes (of one scout or of two) never
// approve into the same address or rotate the key at once (SPEC §5.10). Taken by a provider
// read-modify-write: RFC 2136 makes that atomic (the prerequisites); Cloudflare has none, so
// the taker adds its lease beside what is there, reads the name again and holds only if its
// lease is the only live one — otherwise it takes its own away and tries again after a random
// pause, so that two takers at once cannot both hold. A lease nobody releases (its process died) lapses after
// lease_ms; records that do not verify under the pins never hold it.
#include <brood/api/api.hpp>
#include <brood/crypto/box.hpp>
#include <brood/rt/timer.hpp>

#include <algorithm>

namespace brood::api {

using provider::rr_type;
using provider::rrset;

namespace {
constexpr std::int64_t lease_ms = 60'000;
constexpr std::int64_t renew_below_ms = 30'000;

/// A pause of `base` plus up to as much again, different in every process.
std::chrono::milliseconds jittered(std::chrono::milliseconds base) {
  const auto r = crypto::random_secret_key();
  return base + std::chrono::milliseconds((r[0] | (r[1] << 8)) % (base.count() + 1));
}
}  // namespace

rt::task<rt::result<void>> api::acquire_lease(std::string_view op, std::string* why, std::string takeover, bool wait) {
  const auto owner = _n.lease();
  const auto give_up = rt::clock::now() + (wait ? _o.lease_wait : std::chrono::milliseconds(0));
  std::string holder;
  for (int attempt = 0;; ++attempt) {
    const auto t = now();
    const records::lease_record mine{_scout.id10(), _proc, std::string(op), t + lease_ms, t};
    const auto text = records::encode(mine, owner, _scout);
    // _meta is read with it: a change starts from the brood's current kv, even when another
    // process rotated a moment ago (begin() then follows the key first).
    std::vector<rrset> sets{{owner, rr_type::txt, _o.ttl, {}}, {_n.meta(), rr_type::txt, _o.ttl, {}}};
    provider::provider::edit_fn fn = [&](const std::vector<rrset>& current) {
      holder.clear();
      (void)_sv.fold({current[1]}, now());
      for (auto& x : current[0].values) {
        auto l = records::decode_lease(x, owner, _sv.trust.scouts);
        if (!l || l->until <= t || (l->holder == _scout.id10() && (l->proc == _proc || l->proc == takeover))) continue;
        holder = l->holder + " (" + l->op + ", process " + l->proc + ")";
        return current;  // held elsewhere: wait for it
      }
      // Added beside what is there (lapsed leases, garbage), never written over it: with
      // Cloudflare, two takers rewriting the same lapsed record would each read back only its
      // own. What has lapsed goes when the lease is released.
      auto next = current;
      next[0].values.push_back(text);
      return next;  // (_meta as it was)
    };
    auto w = co_await _p.edit(std::move(sets), std::move(fn), why);
    if (!w) co_return w.error();
    if (holder.empty()) {
      // Written. It holds only if it is the only lease there (no prerequisites: another taker
      // may have written its own at the same moment).
      auto texts = co_await _p.get(owner, rr_type::txt, why);
      if (!texts) co_return texts.error();
      bool ours = false, other = false;
      for (auto& x : *texts)
        if (auto l = records::decode_lease(x, owner, _sv.trust.scouts); l && l->until > t && l->proc != takeover) {
          const bool this_one = l->holder == _scout.id10() && l->proc == _proc;
          ours = ours || this_one;
          if (!this_one) {
            other = true;
            holder = l->holder + " (" + l->op + ", process " + l->proc + ")";
          }
        }
      if (ours && !other) {
        _lease_until = mine.until;
        _lease_op = op;
        co_return rt::result<void>{};
      }
      _lease_until = mine.until;  // ours may be there: take it away again, then try later
      co_await release_lease();
      if (holder.empty()) holder = "another writer of the lease record";
    }
    ++_c.lease_waits;
    const auto pause = jittered(std::chrono::milliseconds(std::min(1000, 100 << std::min(attempt, 4))));
    if (rt::clock::now() + pause > give_up) {
      if (why) *why = "another scout process is changing the brood: " + holder;
      co_return provider::error::conflict;
    }
    auto slept = co_await rt::sleep_for(pause);
    if (!slept) co_return slept.error();
  }
}

rt::task<rt::result<void>> api::renew_lease(std::string* why) {
  if (_lease_until == 0 || _lease_until - now() > renew_below_ms) co_return rt::result<void>{};
  const auto owner = _n.lease();
  const auto t = now();
  const auto text = records::encode(records::lease_record{_scout.id10(), _proc, _lease_op, t + lease_ms, t}, owner, _scout);
  bool ours = false;
  std::vector<rrset> sets{{owner, rr_type::txt, _o.ttl, {}}};
  provider::provider::edit_fn fn = [&](const std::vector<rrset>& current) {
    ours = false;
    auto next = current;
    auto& v = next[0].values;
    for (auto& x : v)
      if (auto l = records::decode_lease(x, owner, _sv.trust.scouts); l && l->holder == _scout.id10() && l->proc == _proc) {
        x = text;
        ours = true;
      }
    return ours ? next : current;
  };
  auto w = co_await _p.edit(std::move(sets), std::move(fn), why);
  if (!w) co_return w.error();
  if (!ours) {
    if (why) *why = "the change lease lapsed while this process held it";
    co_return provider::error::conflict;
  }
  _lease_until = t + lease_ms;
  co_return rt::result<void>{};
}

rt::task<void> api::release_lease() {
  if (_lease_until == 0) co_return;
  _lease_until = 0;
  const auto owner = _n.lease();
  std::vector<rrset> sets{{owner, rr_type::txt, _o.ttl, {}}};
  provider::provider::edit_fn fn = [&](const std::vector<rrset>& current) {
    auto next = current;
    const auto t = now();
    std::erase_if(next[0].values, [&](const std::string& x) {
      auto l = records::decode_lease(x, owner, _sv.trust.scouts);
      return !l || l->until <= t || (l->holder == _scout.id10() && l->proc == _proc);  // ours, lapsed, garbage
    });
    return next;
  };
  std::string why;
  auto w = co_await _p.edit(std::move(sets), std::move(fn), &why);
  if (!w) std::fprintf(stderr, "brood-api: releasing the change lease: %s (it lapses by itself)\n", why.c_str());
}

}  // namespace brood::api
