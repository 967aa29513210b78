// Set header records (docs/records.md §2): every name that holds a set — a `_n` or `_m` shard,
// `_vl`, `_t` — holds exactly one header with the set's member count, a generation that grows
// with every change, and a digest of the members' exact texts. A reader that finds the digest
// matching has the whole set, authenticated by the header's one signature; otherwise it checks
// each member's own signature and keeps what it had if fewer valid members than the count
// remain (records withheld, or a write under way). A shard name exists from the moment its set
// does, so no reader ever caches a "no such name" for it.
#pragma once

#include <brood/records/fields.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace brood::records {

/// Which set a header counts; the character is its `hdr=` value and the record type is it
/// followed by `h` (`nh`, `mh`, `vh`, `th`).
enum class set_kind : char { nodes = 'n', members = 'm', vlans = 'v', trails = 't' };

struct set_header {
  set_kind kind = set_kind::nodes;
  std::uint32_t count = 0;
  std::uint64_t gen = 0;
  std::string digest;  // members_digest() of the set's member texts
  std::int64_t ts = 0;
  bool operator==(const set_header&) const = default;
};
/// base64url(BLAKE2b-256) over the member texts in bytewise order, each followed by a line feed.
std::string members_digest(std::vector<std::string_view> texts);
std::string encode(const set_header& h, std::string_view owner, const crypto::identity& scout);
result<set_header> decode_set_header(std::string text, set_kind kind, std::string_view owner,
                                     std::span<const crypto::public_key> scouts,
                                     signer_rule rule = signer_rule::scouts);
/// Whether a record's text is a set header (it has an `hdr=` field).
bool is_set_header(std::string_view text) noexcept;

}  // namespace brood::records
