// The full read: concurrent DoH queries, then answers folded in dependency order.
#include <brood/records/view_reader.hpp>
#include <brood/rt/task_scope.hpp>
#include <brood/rt/wall_clock.hpp>

#include <set>

namespace brood::records {

namespace {

enum class part { meta, node_shard, vlans, member_shard, trails, liveness };

struct lookup {
  part what;
  std::string owner;
  std::string shard;
  std::uint32_t vni = 0;
  result<std::string> answer = std::errc::operation_canceled;
};

/// One wave of queries at once, linked to the caller: a sync that is cancelled (SIGTERM) takes
/// its queries with it.
rt::task<void> ask_all(dns::doh_client* doh, std::vector<lookup>* wave, std::chrono::milliseconds timeout) {
  const rt::io_options o{rt::clock::now() + timeout};
  std::vector<rt::task<result<std::string>>> asks;
  for (auto& l : *wave) asks.push_back(doh->query(l.owner, dns::record_type::txt, o));
  auto answers = co_await rt::when_all(std::move(asks));
  for (std::size_t i = 0; i < wave->size(); ++i) (*wave)[i].answer = std::move(answers[i]);
}

void fold(std::vector<lookup>& wave, view& v, trust_store& t, const names& n, read_report& report,
          std::int64_t now_ms) {
  // _meta first: it says who may sign everything else and how many shards there are.
  std::stable_sort(wave.begin(), wave.end(), [](const lookup& a, const lookup& b) {
    auto rank = [](part p) { return p == part::meta ? 0 : p == part::vlans ? 1 : 2; };
    return rank(a.what) < rank(b.what);
  });
  for (auto& l : wave) {
    ++report.queries;
    if (!l.answer) {
      report.problems.push_back({l.owner, l.answer.error()});
      continue;
    }
    report.answer_bytes += l.answer->size();
    auto parsed = dns::parse_txt({reinterpret_cast<const std::uint8_t*>(l.answer->data()), l.answer->size()});
    if (!parsed) {
      report.problems.push_back({l.owner, parsed.error()});
      continue;
    }
    texts answer;
    for (auto& r : *parsed) answer.push_back(r.text());
    switch (l.what) {
      case part::meta: apply_meta(v, t, n, answer, report.problems); break;
      case part::node_shard: apply_node_shard(v, t, n, l.shard, answer, report.problems); break;
      case part::vlans: apply_vlans(v, t, n, answer, report.problems); break;
      case part::member_shard: apply_member_shard(v, t, n, l.shard, l.vni, answer, report.problems); break;
      case part::trails: apply_trails(v, t, n, answer, report.problems); break;
      case part::liveness: apply_liveness(v, t, n, answer, report.problems, now_ms); break;
    }
  }
}

void add_node_shards(std::vector<lookup>& wave, const names& n, unsigned shards) {
  for (auto& s : all_shards(shards)) wave.push_back({part::node_shard, n.node_shard(s), s});
}

void add_member_shards(std::vector<lookup>& wave, const names& n, const std::vector<std::string>& shards,
                       const std::set<std::uint32_t>& vnis) {
  for (auto vni : vnis)
    for (auto& shard : shards) wave.push_back({part::member_shard, n.member_shard(shard, vni), shard, vni});
}

/// The _m shards a reader asks for: its own, or every one (a scout, whose reflector filters
/// what each member is sent by that member's vlans).
std::vector<std::string> member_shards_of(const crypto::public_key& self, unsigned shards, const read_options& o) {
  if (o.all_member_shards) return all_shards(shards);
  return {shard_of(self, shards)};
}

std::set<std::uint32_t> vnis_of(const view& v) {
  std::set<std::uint32_t> out;
  if (v.vlans)
    for (auto& vl : v.vlans->members) out.insert(vl.vni);
  return out;
}

}  // namespace

rt::task<read_report> read_view(dns::doh_client& doh, const names& n, const crypto::public_key& self, trust_store& t,
                                view& v, read_options o) {
  read_report report;
  const std::int64_t now = o.now_ms ? o.now_ms : rt::unix_ms();
  const unsigned shards_before = v.meta ? v.meta->shards : 16;
  const auto vnis_before = vnis_of(v);

  std::vector<lookup> wave;
  wave.push_back({part::meta, n.meta()});
  wave.push_back({part::vlans, n.vlans()});
  wave.push_back({part::liveness, n.liveness()});
  if (o.trails) wave.push_back({part::trails, n.trails()});
  add_node_shards(wave, n, shards_before);
  add_member_shards(wave, n, member_shards_of(self, shards_before, o), vnis_before);
  co_await ask_all(&doh, &wave, o.timeout);
  ++report.round_trips;
  fold(wave, v, t, n, report, now);

  // What the first wave revealed: a different shard count, vlans not asked about yet.
  const unsigned shards_now = v.meta ? v.meta->shards : 16;
  std::vector<lookup> second;
  std::set<std::uint32_t> new_vnis;
  for (auto vni : vnis_of(v))
    if (shards_now != shards_before || !vnis_before.count(vni)) new_vnis.insert(vni);
  if (shards_now != shards_before) add_node_shards(second, n, shards_now);
  add_member_shards(second, n, member_shards_of(self, shards_now, o), new_vnis);
  if (!second.empty()) {
    co_await ask_all(&doh, &second, o.timeout);
    ++report.round_trips;
    fold(second, v, t, n, report, now);
  }
  // Shards of the old count go once every shard of the new count is in.
  if (shards_now != shards_before) {
    auto labels = all_shards(shards_now);
    bool complete = std::all_of(labels.begin(), labels.end(), [&](auto& l) { return v.node_shards.count(l) > 0; });
    if (complete) std::erase_if(v.node_shards, [&](auto& e) { return e.first.size() != labels.front().size(); });
  }
  co_return report;
}

}  // namespace brood::records
