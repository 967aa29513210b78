// node_state: what a node keeps across restarts in <state>/agent.json (mode 0600) — the
// brood_keys it holds (newest first; two during a rotation), the scouts it pinned when it was
// admitted, and its replay memory (the highest ts/kv accepted per record identity, set headers
// included), so that a restarted node refuses what it refused before (SPEC §3). Everything else
// it learns again from DNS.
#pragma once

#include <brood/crypto/box.hpp>
#include <brood/crypto/identity.hpp>
#include <brood/rt/result.hpp>
#include <brood/rt/task.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace brood::agent {

struct held_key {
  std::uint64_t kv = 0;
  crypto::secret_key key{};
  bool operator==(const held_key&) const = default;
};

struct node_state {
  std::vector<held_key> keys;              // newest first, at most two
  std::vector<crypto::public_key> scouts;  // pinned; empty before admission
  std::map<std::string, std::int64_t> replay;  // records::trust_store::memory()

  /// Adds `k` (ignored when its kv is already held), keeping the newest two.
  void add_key(held_key k);
  std::uint64_t kv() const noexcept { return keys.empty() ? 0 : keys.front().kv; }
  std::vector<crypto::secret_key> ring() const;

  std::string to_json() const;
  static rt::result<node_state> from_json(std::string_view text);
};

/// Reads <dir>/agent.json; an empty state when there is none yet.
rt::task<rt::result<node_state>> load_state(std::string dir);
rt::task<rt::result<void>> save_state(std::string dir, const node_state& s);

}  // namespace brood::agent
