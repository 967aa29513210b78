// record_set: a brood's TXT records by owner name, built whole from a desired state — the
// golden-sized broods of the tests and benchmarks, checked against the limits, printed as
// master-file lines. The scouts' own write path changes sets one edit at a time (src/api) and
// checks every set it writes with check_set_limits.
#pragma once

#include <brood/records/meta.hpp>
#include <brood/records/names.hpp>
#include <brood/records/node.hpp>
#include <brood/records/set_header.hpp>
#include <brood/records/trail.hpp>
#include <brood/records/vlan.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace brood::records {

/// Per-record and per-name limits (docs/records.md §1): Cloudflare's 4,096 bytes of RDATA per
/// record and 8,192 characters of content per name and type; and a DoH answer, which is one DNS
/// message, at most 65,535 bytes.
inline constexpr std::size_t max_record_rdata = 4096;
inline constexpr std::size_t max_set_content = 8192;
inline constexpr std::size_t max_answer_bytes = 65'535;

/// What the scouts publish: the desired state of a brood, in plaintext.
struct brood_state {
  meta_record meta;
  crypto::secret_key key{};  // the brood_key of meta.kv
  std::vector<node_record> nodes;
  std::vector<vlan_record> vlans;
  std::map<std::uint32_t, std::vector<member_record>> members;  // vni → members
  std::vector<trail_record> trails;
  std::optional<liveness_record> liveness;  // the signing scout's own _l record
  std::int64_t ts = 0;   // the headers' ts
  std::uint64_t gen = 1; // the headers' generation
};

class record_set {
 public:
  void add(const std::string& owner, std::string text) { _by_name[owner].push_back(std::move(text)); }
  const std::map<std::string, std::vector<std::string>>& by_name() const noexcept { return _by_name; }
  std::size_t record_count() const noexcept;

 private:
  std::map<std::string, std::vector<std::string>> _by_name;
};

/// Every record of `s` signed by `scout`: _meta; every _n shard with its header; _vl and every
/// _m shard of every vlan with their headers; _t with its header; the scout's _l record.
record_set build_record_set(const brood_state& s, const names& n, const crypto::identity& scout);

/// RDATA bytes of one TXT record holding `text` (its 255-byte character-strings, each with its
/// length byte).
std::size_t txt_rdata_bytes(std::string_view text) noexcept;
/// Characters of content of a name's records as a provider counts them: each record in its
/// quoted form `"…" "…"`.
std::size_t set_content_chars(const std::vector<std::string>& texts) noexcept;

/// Bytes of the DoH answer for `owner`'s TXT records `texts` (header, question, and each record
/// with a compressed owner name), as a resolver sends it.
std::size_t answer_bytes(std::string_view owner, const std::vector<std::string>& texts) noexcept;

struct limit_violation {
  std::string owner;
  error reason;        // too_large (a record, or the answer) or set_too_large
  std::size_t size;    // bytes or characters
};
/// Whether the TXT records `texts` at `owner` fit every limit: each record's RDATA, the set's
/// content, and the DoH answer that carries them.
std::optional<limit_violation> check_set_limits(const std::string& owner, const std::vector<std::string>& texts);
/// The first record or name of `s` over the limits, if any.
std::optional<limit_violation> check_limits(const record_set& s);

/// Master-file lines (`<owner>. <ttl> TXT "…" "…"`), strings split at 255 bytes.
std::string zone_text(const record_set& s, unsigned ttl);

}  // namespace brood::records
