// agent.json: the keys and pins a node keeps, as JSON with base64url binaries.
#include <brood/agent/node_state.hpp>

#include <brood/json/value.hpp>
#include <brood/json/writer.hpp>
#include <brood/rt/file.hpp>

#include <algorithm>
#include <cstring>

namespace brood::agent {

void node_state::add_key(held_key k) {
  for (auto& h : keys)
    if (h.kv == k.kv) return;
  keys.push_back(k);
  std::sort(keys.begin(), keys.end(), [](const held_key& a, const held_key& b) { return a.kv > b.kv; });
  if (keys.size() > 2) keys.resize(2);
}

std::vector<crypto::secret_key> node_state::ring() const {
  std::vector<crypto::secret_key> r;
  for (auto& k : keys) r.push_back(k.key);
  return r;
}

std::string node_state::to_json() const {
  json::writer w;
  w.begin_object().key("keys").begin_array();
  for (auto& k : keys)
    w.begin_object().key("kv").number(static_cast<std::int64_t>(k.kv)).key("key").string(crypto::base64url(k.key)).end_object();
  w.end_array().key("scouts").begin_array();
  for (auto& s : scouts) w.string(crypto::base64url(s));
  w.end_array().key("replay").begin_object();
  for (auto& [id, v] : replay) w.key(id).number(v);
  w.end_object().end_object();
  return w.take();
}

namespace {
template <class Array>
bool decode_32(const json::value* v, Array& out) {
  if (!v || !v->as_string()) return false;
  auto raw = crypto::from_base64url(*v->as_string());
  if (!raw || raw->size() != out.size()) return false;
  std::memcpy(out.data(), raw->data(), out.size());
  return true;
}
}  // namespace

rt::result<node_state> node_state::from_json(std::string_view text) {
  auto j = json::parse(text);
  if (!j || !j->is_object()) return std::errc::invalid_argument;
  node_state s;
  const auto* keys = j->find("keys");
  const auto* scouts = j->find("scouts");
  if (!keys || !keys->as_array() || !scouts || !scouts->as_array()) return std::errc::invalid_argument;
  for (auto& k : *keys->as_array()) {
    held_key h;
    auto kv = k.find("kv") ? k.find("kv")->as_int() : rt::result<std::int64_t>(std::errc::invalid_argument);
    if (!kv || *kv <= 0 || !decode_32(k.find("key"), h.key)) return std::errc::invalid_argument;
    h.kv = static_cast<std::uint64_t>(*kv);
    s.add_key(h);
  }
  for (auto& v : *scouts->as_array()) {
    crypto::public_key pk;
    if (!decode_32(&v, pk)) return std::errc::invalid_argument;
    s.scouts.push_back(pk);
  }
  if (const auto* replay = j->find("replay")) {  // absent in files written before it existed
    const auto* o = replay->as_object();
    if (!o) return std::errc::invalid_argument;
    for (std::size_t i = 0; i < o->size(); ++i) {
      auto n = o->values[i].as_int();
      if (!n || o->keys[i].empty()) return std::errc::invalid_argument;
      s.replay[o->keys[i]] = *n;
    }
  }
  return s;
}

rt::task<rt::result<node_state>> load_state(std::string dir) {
  auto text = co_await rt::read_file(dir + "/agent.json");
  if (!text) {
    if (text.error() == std::errc::no_such_file_or_directory) co_return node_state{};
    co_return text.error();
  }
  co_return node_state::from_json(*text);
}

rt::task<rt::result<void>> save_state(std::string dir, const node_state& s) {
  co_return co_await rt::write_file_atomic(dir + "/agent.json", s.to_json(), 0600);
}

}  // namespace brood::agent
