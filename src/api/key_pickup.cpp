// brood-api: following the brood key when another process rotates it (SPEC §5.10). A rotation
// seals the new key to every scout as well as to every member, so any process of any scout
// finds it in its scout's own _k record; a process sharing the rotating one's state directory
// finds brood.key replaced first. Until it has the key, a process reads with both and writes
// nothing (change.cpp refuses: it would encrypt with a key the survivors dropped).
#include <brood/api/api.hpp>
#include <brood/records/node.hpp>
#include <brood/rt/file.hpp>

#include <cstdio>

namespace brood::api {

using provider::rr_type;

std::vector<crypto::secret_key> api::ring() const {
  std::vector<crypto::secret_key> r;
  if (_next_key) r.push_back(_next_key->key);
  r.push_back(_key.key);
  if (_previous_key) r.push_back(_previous_key->key);
  return r;
}

void api::use_keys() {
  // The previous key is read until _meta says the brood is past it.
  if (_previous_key && _sv.view.meta && _sv.view.meta->kv >= _key.kv && !_next_key) _previous_key.reset();
  _sv.trust.keys = ring();
}

rt::task<bool> api::catch_up_key() {
  if (_next_key) co_return false;  // this process is rotating: it has the keys
  std::optional<brood_key> found;
  const auto file = _o.state_dir + "/brood.key";
  if (!_o.state_dir.empty())
    if (auto text = co_await rt::read_file(file, 256))
      if (auto k = parse_brood_key(*text); k && k->kv > _key.kv) found = *k;
  if (!found) {
    const auto owner = _n.key(_scout.id10());
    std::string why;
    auto texts = co_await _p.get(owner, rr_type::txt, &why);
    if (texts)
      for (auto& t : *texts) {
        auto k = records::decode_key(t, owner, _sv.trust.scouts);
        if (!k || k->kv <= _key.kv || (found && k->kv <= found->kv)) continue;
        if (auto key = records::open_key(*k, _scout)) found = brood_key{k->kv, *key};
      }
  }
  if (!found) {
    use_keys();
    co_return false;
  }
  std::fprintf(stderr, "brood-api: picked up brood key kv=%llu (another process rotated)\n",
               static_cast<unsigned long long>(found->kv));
  _previous_key = _key;
  _key = *found;
  ++_c.key_pickups;
  if (!_o.state_dir.empty()) {
    auto text = co_await rt::read_file(file, 256);
    auto held = text ? parse_brood_key(*text) : rt::result<brood_key>(text.error());
    if (!held || held->kv < _key.kv)
      if (auto saved = co_await rt::write_file_atomic(file, format_brood_key(_key)); !saved)
        std::fprintf(stderr, "brood-api: brood.key: %s\n", saved.error().message().c_str());
  }
  use_keys();
  // Read again what the old key could not open.
  std::string why;
  if (auto sets = co_await _p.read(_sv.everything(), &why)) (void)_sv.fold(*sets, now());
  co_return true;
}

rt::task<rt::result<bool>> api::own_key_is(const brood_key& k) {
  const auto owner = _n.key(_scout.id10());
  std::string why;
  auto texts = co_await _p.get(owner, rr_type::txt, &why);
  if (!texts) co_return texts.error();
  bool sealed_to_us = false;
  for (auto& t : *texts) {
    auto rec = records::decode_key(t, owner, _sv.trust.scouts);
    if (!rec || rec->kv != k.kv) continue;
    sealed_to_us = true;
    if (auto key = records::open_key(*rec, _scout); key && *key == k.key) co_return true;
  }
  if (sealed_to_us) co_return false;  // the brood's key at this kv is another one
  // No _k of ours at this kv (deleted, or a token thief's doing): the sets say whose key it is.
  const std::vector<crypto::secret_key> only{k.key};
  for (auto& [shard, set] : _sv.view.node_shards)
    for (auto& text : set.texts)
      if (records::decode_node(text, _n.node_shard(shard), _sv.trust.scouts, only, records::signer_rule::covered))
        co_return true;
  co_return false;
}

}  // namespace brood::api
