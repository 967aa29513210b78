// agent enrolment (SPEC §5.2-5.3): STUN for the endpoints, a signed /register, waiting for the
// API to say "approved", then the node's _k picked up over DoH and opened with its own key.
// Also the key pickup of a rotation (§5.6), which is the same read, and a removed node's
// registration sent again.
#include <brood/agent/agent.hpp>

#include <brood/json/value.hpp>
#include <brood/json/writer.hpp>
#include <brood/records/meta.hpp>
#include <brood/records/node.hpp>
#include <brood/records/view_update.hpp>
#include <brood/rt/file.hpp>
#include <brood/rt/timer.hpp>
#include <brood/rt/wall_clock.hpp>

#include <algorithm>
#include <cstdio>

namespace brood::agent {

namespace {
/// A registration's host name: [A-Za-z0-9.-], at most 63 characters.
std::string clean_host(std::string h) {
  for (auto& ch : h)
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '.' && ch != '-') ch = '-';
  if (h.size() > 63) h.resize(63);
  return h.empty() ? "node" : h;
}

/// Backoff between attempts: 1 s doubling to 30 s.
std::chrono::milliseconds backoff(int attempt) {
  return std::chrono::milliseconds(std::min<std::int64_t>(30'000, 1000LL << std::min(attempt, 5)));
}

/// A scout's brood.key file: "<kv> <base64 key>".
rt::result<held_key> parse_key_file(std::string_view text) {
  const auto sp = text.find(' ');
  if (sp == std::string_view::npos) return std::errc::invalid_argument;
  held_key k;
  try {
    k.kv = std::stoull(std::string(text.substr(0, sp)));
  } catch (...) {
    return std::errc::invalid_argument;
  }
  auto rest = text.substr(sp + 1);
  while (!rest.empty() && (rest.back() == '\n' || rest.back() == ' ')) rest.remove_suffix(1);
  auto raw = crypto::from_base64(rest);
  if (!raw || raw->size() != k.key.size() || k.kv == 0) return std::errc::invalid_argument;
  std::copy(raw->begin(), raw->end(), k.key.begin());
  return k;
}
}  // namespace

rt::task<std::vector<std::string>> agent::discover_endpoints() {
  if (!_c.endpoints.empty()) co_return _c.endpoints;
  std::vector<net::socket_address> servers;
  for (auto& s : _c.stun) servers.push_back(*net::socket_address::parse(s));
  if (servers.empty()) co_return std::vector<std::string>{};
  auto d = co_await stun::discover(servers);
  _nat = stun::to_string(d.v4.bindings.empty() ? d.v6.behaviour : d.v4.behaviour);
  std::vector<std::string> out;
  for (auto& e : d.endpoints(_c.wg_port)) out.push_back(e.to_string());
  for (auto& [server, why] : d.v4.failures) note("STUN " + server.to_string() + ": " + why.message());
  for (auto& [server, why] : d.v6.failures) note("STUN " + server.to_string() + ": " + why.message());
  co_return out;
}

bool agent::adopt_keys(const std::vector<std::string>& texts) {
  const auto owner = _n.key(_id.id10());
  const auto signers = _trust.scouts.empty() && _view.meta ? _view.meta->scouts : _trust.scouts;
  bool got = false;
  for (auto& t : texts) {
    auto k = records::decode_key(t, owner, signers);
    if (!k || (k->kv <= _state.kv() && _state.kv() != 0)) continue;  // bad, or nothing newer
    auto key = records::open_key(*k, _id);
    if (!key) continue;
    _state.add_key({k->kv, *key});
    got = true;
  }
  if (!got) return false;
  _trust.keys = _state.ring();
  _kv_since_ms = rt::unix_ms();
  _status_dirty = true;
  kick();
  std::fprintf(stderr, "brood-agent: picked up brood key kv=%llu\n", static_cast<unsigned long long>(_state.kv()));
  return true;
}

rt::task<bool> agent::pick_up_key() {
  auto g = co_await _key_lock.lock();  // one read of _k at a time
  if (!g) co_return false;
  auto texts = co_await _doh->txt(_n.key(_id.id10()));
  if (!texts) {
    note("_k: " + texts.error().message());
    co_return false;
  }
  std::vector<std::string> joined;
  for (auto& t : *texts) joined.push_back(t.text());
  if (!adopt_keys(joined)) co_return false;
  co_await save();
  co_return true;
}

std::string agent::registration_body(const std::string& owner) const {
  records::pending_record p{_id.pk(), clean_host(_c.hostname), _endpoints, rt::unix_ms()};
  json::writer w;
  w.begin_object().key("record").string(records::encode(p, owner, _id)).end_object();
  return w.take();
}

rt::task<void> agent::register_again() {
  if (!_view.meta) co_return;
  const auto owner = _n.pending_shard(records::shard_of(_id.pk(), _view.meta->shards));
  auto body = registration_body(owner);
  auto r = co_await _api->send("POST", "/register", std::move(body));
  if (r && (r->status == 202 || r->status == 200))
    std::fprintf(stderr, "brood-agent: removed: registered again as %s, waiting to be approved again\n", _id.id10().c_str());
  else
    note("register again: " + (r ? std::to_string(r->status) + " " + r->body : r.error().message()));
}

rt::task<bool> agent::enrol() {
  if (!_c.key_file.empty()) {
    auto text = co_await rt::read_file(_c.key_file);
    auto k = text ? parse_key_file(*text) : rt::result<held_key>(text.error());
    if (!k) {
      std::fprintf(stderr, "brood-agent: BROOD_KEY_FILE %s: %s\n", _c.key_file.c_str(), k.error().message().c_str());
    } else {
      _state.add_key(*k);
    }
  }
  _trust.keys = _state.ring();
  _trust.scouts = _state.scouts;
  _trust.restore(_state.replay);
  _memory_saved = _trust.generation();
  _endpoints = co_await discover_endpoints();
  if (_state.kv() > 0) co_return true;  // admitted before, or a scout with its key

  // _meta first (trust on first use): who the scouts are and how the pending set is sharded.
  _phase = "registering";
  std::optional<records::meta_record> meta;
  for (int attempt = 0; !meta; ++attempt) {
    auto texts = co_await _doh->txt(_n.meta());
    if (texts)
      for (auto& t : *texts)
        if (auto m = records::decode_meta(t.text(), _n.meta(), {}); m && (!meta || m->ts > meta->ts)) meta = *m;
    if (meta) break;
    note("_meta: " + (texts ? std::string("no valid record") : texts.error().message()));
    co_await write_status();
    auto slept = co_await rt::sleep_for(backoff(attempt));
    if (!slept) co_return false;  // cancelled
  }
  _view.meta = meta;

  const auto owner = _n.pending_shard(records::shard_of(_id.pk(), meta->shards));
  for (bool approved = false; !approved;) {
    _phase = "registering";
    for (int attempt = 0;; ++attempt) {
      auto body = registration_body(owner);
      auto r = co_await _api->send("POST", "/register", std::move(body));
      if (r && (r->status == 202 || r->status == 200)) break;
      note("register: " + (r ? std::to_string(r->status) + " " + r->body : r.error().message()));
      co_await write_status();
      auto slept = co_await rt::sleep_for(backoff(attempt));
      if (!slept) co_return false;
    }
    std::fprintf(stderr, "brood-agent: registered %s (%s); waiting for approval\n", _id.id10().c_str(),
                 _c.hostname.c_str());
    _phase = "waiting for approval";
    co_await write_status();
    for (int attempt = 0;; ++attempt) {
      // A long poll: the scout holds it until this node is approved (or 8 s pass), so waiting
      // costs one request per 8 s and the approval is seen at once.
      const auto asked = rt::clock::now();
      auto r = co_await _api->send("GET", "/nodes/" + _id.id10() + "?wait=8");
      if (r && r->status == 200) {
        auto j = json::parse(r->body);
        const auto* st = j ? j->find("status") : nullptr;
        approved = st && st->as_string() && *st->as_string() == "approved";
        if (approved) break;
        attempt = -1;
        // Pending: ask again — at once after a held poll, after a second if the scout answered
        // straight away (one that does not hold polls must not be asked in a tight loop).
        if (rt::clock::now() - asked < std::chrono::seconds(1)) {
          auto slept = co_await rt::sleep_for(std::chrono::seconds(1));
          if (!slept) co_return false;
        }
        continue;
      }
      if (r && r->status == 404) {
        note("the scouts no longer know this registration: registering again");
        break;
      }
      note("approval: " + (r ? std::to_string(r->status) : r.error().message()));
      auto slept = co_await rt::sleep_for(backoff(attempt));
      if (!slept) co_return false;
    }
  }
  // Approved: the scouts this node trusts from now on are those of _meta as it is now, reached
  // from the set it registered under by the signed chain — a scout set changed since (by a
  // scout of that set) is followed, a _meta signed by anyone else is not (SPEC §3).
  _trust.scouts = meta->scouts;
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto texts = co_await _doh->txt(_n.meta());
    if (texts) {
      records::texts answer;
      for (auto& t : *texts) answer.push_back(t.text());
      std::vector<records::problem> problems;
      records::apply_meta(_view, _trust, _n, answer, problems);
      break;
    }
    note("_meta at approval: " + texts.error().message());
    auto slept = co_await rt::sleep_for(backoff(attempt));
    if (!slept) co_return false;
  }
  _state.scouts = _trust.scouts;
  for (int attempt = 0;; ++attempt) {
    if (co_await pick_up_key()) break;
    co_await write_status();
    auto slept = co_await rt::sleep_for(backoff(attempt));
    if (!slept) co_return false;
  }
  std::fprintf(stderr, "brood-agent: approved; brood key kv=%llu\n", static_cast<unsigned long long>(_state.kv()));
  co_return true;
}

}  // namespace brood::agent
