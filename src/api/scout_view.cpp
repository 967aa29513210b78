// The scout's view: folding provider answers by the readers' rules, the lookups the handlers
// use, and scout.json.
#include <brood/api/scout_view.hpp>

#include <brood/json/value.hpp>
#include <brood/json/writer.hpp>
#include <brood/rt/file.hpp>

#include <algorithm>
#include <cstring>

namespace brood::api {

using provider::rr_type;
using provider::rrset;

scout_view::scout_view(const records::names& n, const crypto::identity& scout) : _n(n), _scout(scout) {
  trust.scouts = {scout.pk()};  // until scout.json says otherwise: a scout trusts itself
}

std::vector<records::problem> scout_view::fold(const std::vector<rrset>& sets, std::int64_t now_ms) {
  ++_version;
  std::vector<records::problem> problems;
  std::vector<records::pushed_set> brood_sets;
  for (auto& s : sets) {
    if (s.type != rr_type::txt) continue;
    const auto kind = _n.classify(s.name);
    if (kind.kind == records::names::owner_kind::pending_shard) {
      fold_pending(s.name, kind.shard, s.values, now_ms, problems);
    } else if (kind.kind == records::names::owner_kind::key) {
      if (s.values.empty())
        keys_out.erase(kind.id10);
      else
        keys_out.insert(kind.id10);
    } else {
      brood_sets.push_back({s.name, s.values});
    }
  }
  (void)records::apply_pushed(view, trust, _n, nullptr, std::move(brood_sets), problems, now_ms);
  return problems;
}

void scout_view::fold_pending(const std::string& owner, const std::string& shard, const std::vector<std::string>& texts,
                              std::int64_t now_ms, std::vector<records::problem>& problems) {
  // A registration is signed by its node alone: each counts on its own signature; the newest of
  // a key wins; one older than pending_ttl_ms, or dated ahead by more than pending_ahead_ms
  // (it would never expire), is forgotten.
  std::vector<registration> out;
  for (auto& t : texts) {
    auto p = records::decode_pending(t, owner);
    if (!p) {
      problems.push_back({owner, p.error(), true});
      continue;
    }
    if (now_ms - p->ts > pending_ttl_ms || p->ts - now_ms > pending_ahead_ms) continue;
    auto same = std::find_if(out.begin(), out.end(), [&](const registration& r) { return r.record.pk == p->pk; });
    if (same == out.end())
      out.push_back({std::move(*p), t});
    else if (p->ts > same->record.ts)
      *same = {std::move(*p), t};
  }
  if (out.empty())
    pending.erase(shard);
  else
    pending[shard] = std::move(out);
}

std::vector<rrset> scout_view::everything() const {
  std::vector<rrset> out{{_n.meta(), rr_type::txt, 0, {}},
                         {_n.vlans(), rr_type::txt, 0, {}},
                         {_n.trails(), rr_type::txt, 0, {}},
                         {_n.liveness(), rr_type::txt, 0, {}}};
  const unsigned shards = view.meta ? view.meta->shards : 16;
  for (auto& s : records::all_shards(shards)) {
    out.push_back({_n.node_shard(s), rr_type::txt, 0, {}});
    out.push_back({_n.pending_shard(s), rr_type::txt, 0, {}});
    if (view.vlans)
      for (auto& vl : view.vlans->members) out.push_back({_n.member_shard(s, vl.vni), rr_type::txt, 0, {}});
  }
  for (auto* node : view.nodes()) out.push_back({_n.key(crypto::id10(node->pk)), rr_type::txt, 0, {}});
  return out;
}

std::vector<const records::node_record*> scout_view::nodes_with_id(std::string_view id10) const {
  std::vector<const records::node_record*> out;
  for (auto* n : view.nodes())
    if (crypto::id10(n->pk) == id10) out.push_back(n);
  return out;
}

std::vector<const scout_view::registration*> scout_view::pending_with_id(std::string_view id10) const {
  std::vector<const registration*> out;
  for (auto& [_, regs] : pending)
    for (auto& r : regs)
      if (crypto::id10(r.record.pk) == id10) out.push_back(&r);
  return out;
}

const scout_view::registration* scout_view::pending_of(const crypto::public_key& pk) const {
  for (auto& [_, regs] : pending)
    for (auto& r : regs)
      if (r.record.pk == pk) return &r;
  return nullptr;
}

std::size_t scout_view::pending_count() const {
  std::size_t n = 0;
  for (auto& [_, regs] : pending) n += regs.size();
  return n;
}

const records::vlan_record* scout_view::vlan(std::uint32_t vni) const {
  if (!view.vlans) return nullptr;
  for (auto& v : view.vlans->members)
    if (v.vni == vni) return &v;
  return nullptr;
}

std::vector<const records::member_record*> scout_view::members_of(std::uint32_t vni) const {
  std::vector<const records::member_record*> out;
  if (auto it = view.members.find(vni); it != view.members.end())
    for (auto& [_, shard] : it->second)
      for (auto& m : shard.members) out.push_back(&m);
  return out;
}

const records::set_view<records::node_record>* scout_view::node_shard(const std::string& shard) const {
  auto it = view.node_shards.find(shard);
  return it == view.node_shards.end() ? nullptr : &it->second;
}

const records::set_view<records::member_record>* scout_view::member_shard(std::uint32_t vni,
                                                                           const std::string& shard) const {
  return view.member_shard(vni, shard);
}

namespace {
std::string file_of(const std::string& dir) { return dir + "/scout.json"; }

struct saved_state {
  std::vector<crypto::public_key> pins;
  std::map<std::string, std::int64_t> memory;
};

/// <state>/scout.json as written by save(); nothing if the file does not exist.
rt::task<rt::result<std::optional<saved_state>>> read_saved(const std::string& state_dir) {
  auto text = co_await rt::read_file(file_of(state_dir), 4 << 20);
  if (!text) {
    if (text.error() == std::errc::no_such_file_or_directory) co_return std::optional<saved_state>{};
    co_return text.error();
  }
  auto j = json::parse(*text, {4 << 20, 8});
  const auto* scouts = j ? j->find("scouts") : nullptr;
  const auto* replay = j ? j->find("replay") : nullptr;
  if (!scouts || !scouts->as_array() || scouts->as_array()->empty() || !replay || !replay->as_object())
    co_return std::errc::invalid_argument;
  saved_state out;
  for (auto& s : *scouts->as_array()) {
    auto raw = s.as_string() ? crypto::from_base64url(*s.as_string()) : rt::result<std::string>(std::errc::invalid_argument);
    if (!raw || raw->size() != 32) co_return std::errc::invalid_argument;
    crypto::public_key pk;
    std::memcpy(pk.data(), raw->data(), pk.size());
    out.pins.push_back(pk);
  }
  const auto& o = *replay->as_object();
  for (std::size_t i = 0; i < o.size(); ++i) {
    auto v = o.values[i].as_int();
    if (!v) co_return std::errc::invalid_argument;
    out.memory[o.keys[i]] = *v;
  }
  co_return std::optional<saved_state>(std::move(out));
}
}  // namespace

rt::task<rt::result<void>> scout_view::load(std::string state_dir) {
  if (state_dir.empty()) co_return rt::result<void>{};
  auto saved = co_await read_saved(state_dir);
  if (!saved) co_return saved.error();
  if (!*saved) co_return rt::result<void>{};
  trust.scouts = std::move((*saved)->pins);
  trust.restore((*saved)->memory);
  _saved_pins = trust.scouts;
  _saved_generation = trust.generation();
  co_return rt::result<void>{};
}

rt::task<rt::result<void>> scout_view::save(std::string state_dir) {
  if (state_dir.empty() || (trust.generation() == _saved_generation && trust.scouts == _saved_pins))
    co_return rt::result<void>{};
  // Another process of this scout may share the directory: what it saved is merged, never
  // lowered. Its pins are kept when it followed a newer _meta than this process has (this one
  // follows the same signed chain at its next read).
  auto pins = trust.scouts;
  auto memory = trust.memory();
  if (auto disk = co_await read_saved(state_dir); disk && *disk) {
    const auto meta = [](const std::map<std::string, std::int64_t>& m) {
      auto it = m.find("meta");
      return it == m.end() ? std::int64_t{0} : it->second;
    };
    if (meta((*disk)->memory) > meta(memory)) pins = (*disk)->pins;
    for (auto& [id, v] : (*disk)->memory) {
      auto [it, inserted] = memory.try_emplace(id, v);
      if (!inserted && v > it->second) it->second = v;
    }
  }
  json::writer w;
  w.begin_object().key("scouts").begin_array();
  for (auto& pk : pins) w.string(crypto::base64url(pk));
  w.end_array().key("replay").begin_object();
  for (auto& [id, v] : memory) w.key(id).number(v);
  w.end_object().end_object();
  const auto generation = trust.generation();
  const auto held_pins = trust.scouts;
  auto saved = co_await rt::write_file_atomic(file_of(state_dir), w.take(), 0600);
  if (!saved) co_return saved.error();
  _saved_generation = generation;
  _saved_pins = held_pins;
  co_return rt::result<void>{};
}

}  // namespace brood::api
