// brood.key: the brood_key and its version, kept by scouts in the state directory (mode 0600,
// like node.key). Written to a temporary file, synced and renamed, so a crash leaves either the
// old key or the new one, never half of one.
#pragma once

#include <brood/crypto/box.hpp>
#include <brood/rt/result.hpp>

#include <cstdint>
#include <string>

namespace brood::api {

struct brood_key {
  std::uint64_t kv = 1;
  crypto::secret_key key{};
};

/// The file's text, "<kv> <base64 key>\n", and back.
std::string format_brood_key(const brood_key& k);
rt::result<brood_key> parse_brood_key(std::string_view text);
/// Reads `path` (blocking: at start-up, before serving); refuses a file others can read.
rt::result<brood_key> load_brood_key(const std::string& path);
/// Writes `path` atomically with mode 0600.
rt::result<void> save_brood_key(const std::string& path, const brood_key& k);

}  // namespace brood::api
