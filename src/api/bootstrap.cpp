// bootstrap: a new brood's first records — _meta, every set header, and (with an address) the
// scout as a member: its SRV target, its own and the domain's A/AAAA, _n and _k. Running it
// again leaves what is there.
#include <brood/api/api.hpp>
#include <brood/api/scout_names.hpp>
#include <brood/net/socket_address.hpp>
#include <brood/records/node.hpp>
#include <brood/records/overlay_ip.hpp>
#include <brood/records/view_update.hpp>
#include <brood/rt/wall_clock.hpp>

namespace brood::api {

using provider::rr_type;
using provider::rrset;

rt::task<rt::result<provider::write_stats>> bootstrap(provider::provider& p, const records::names& n,
                                                      const crypto::identity& scout, const brood_key& key,
                                                      const bootstrap_params& params, std::string* why) {
  records::meta_record m;
  m.asn = params.asn;
  m.subnet = params.subnet;
  m.kv = key.kv;
  m.keepalive = params.keepalive;
  m.stale = params.stale;
  m.shards = params.shards;
  m.scouts = {scout.pk()};
  m.ts = rt::unix_ms();
  const std::string meta_text = records::encode(m, n.meta(), scout);
  std::vector<rrset> sets{{n.meta(), rr_type::txt, 60, {}}, {n.vlans(), rr_type::txt, 60, {}},
                          {n.trails(), rr_type::txt, 60, {}}};
  for (auto& s : records::all_shards(params.shards)) sets.push_back({n.node_shard(s), rr_type::txt, 60, {}});
  // The scout as a member: its own _n (role scout) and _k, SRV and A/AAAA.
  const bool member = !params.address.empty();
  const auto own_label = records::shard_of(scout.pk(), params.shards);
  const auto own_shard = n.node_shard(own_label);
  const auto own_key = n.key(scout.id10());
  std::optional<records::node_record> self;
  if (member) {
    auto ip_of_address = net::socket_address::parse(params.address.find(':') != std::string::npos
                                                        ? "[" + params.address + "]:1"
                                                        : params.address + ":1");
    if (!ip_of_address) {
      if (why) *why = "bootstrap address " + params.address + " is not an IP address";
      co_return std::errc::invalid_argument;
    }
    auto overlay = records::overlay_ip(scout.pk(), params.subnet, [](std::string_view) { return false; });
    if (!overlay) {
      if (why) *why = "no overlay address for the scout in " + params.subnet;
      co_return overlay.error();
    }
    auto ep = *ip_of_address;
    ep.set_port(params.wg_port);
    self = records::node_record{scout.pk(), "scout", *overlay, {ep.to_string()}, rt::unix_ms()};
    sets.push_back({own_key, rr_type::txt, 60, {}});
    for (auto& s : scout_name_sets(n, scout.id10(), 60)) sets.push_back(std::move(s));
  }
  provider::provider::edit_fn fn = [&, meta_text](const std::vector<rrset>& current) {
    auto next = member ? with_scout(current, n, scout.id10(), params.address, params.api_port) : current;
    for (auto& s : next) {
      if (s.type != rr_type::txt) continue;  // the scout's names: with_scout()
      if (s.name == own_shard && self) {
        // Add the scout's own record unless it is there (a re-run, or a rotation since); what
        // the shard holds is carried only as far as this scout can verify it.
        records::view v;
        v.meta = m;
        records::trust_store t;
        t.scouts = {scout.pk()};
        t.keys = {key.key};
        std::vector<records::problem> problems;
        records::apply_node_shard(v, t, n, own_label, s.values, problems);
        auto held = v.node_shards.find(own_label);
        if (held == v.node_shards.end() && !s.values.empty()) continue;  // not ours to rewrite
        std::vector<std::string> members;
        std::optional<records::set_header> previous;
        bool there = false;
        if (held != v.node_shards.end()) {
          members = held->second.texts;
          previous = held->second.header;
          for (auto& node : held->second.members) there = there || node.pk == scout.pk();
        }
        if (!there) {
          members.push_back(records::encode(*self, s.name, key.key, scout));
          s.values = rebuild_set(records::set_kind::nodes, s.name, std::move(members), previous, rt::unix_ms(), scout);
        }
        continue;
      }
      if (!s.values.empty()) continue;  // already there: left alone
      if (s.name == n.meta()) {
        s.values = {meta_text};
      } else if (s.name == own_key) {
        auto k = records::encode_key(key.kv, key.key, scout.pk(), rt::unix_ms(), own_key, scout);
        if (k) s.values = {*k};
      } else {
        auto kind = s.name == n.vlans() ? records::set_kind::vlans
                    : s.name == n.trails() ? records::set_kind::trails
                                           : records::set_kind::nodes;
        s.values = rebuild_set(kind, s.name, {}, std::nullopt, rt::unix_ms(), scout);
      }
    }
    return next;
  };
  co_return co_await p.edit(std::move(sets), std::move(fn), why);
}

}  // namespace brood::api
