// Set header records (docs/records.md §2): every name that holds a set — a `_n` or `_m` shard,
// `_vl`, `_t` — holds exactly one header with the set's member count and a generation that
// grows with every change. A reader that finds fewer valid members than the count knows
// records are being withheld and keeps what it had; and a shard name exists from the moment its
// set does, so no reader ever caches a "no such name" for it.
#pragma once

#include <brood/records/fields.hpp>

#include <cstdint>

namespace brood::records {

/// Which set a header counts; the character is its `hdr=` value and the record type is it
/// followed by `h` (`nh`, `mh`, `vh`, `th`).
enum class set_kind : char { nodes = 'n', members = 'm', vlans = 'v', trails = 't' };

struct set_header {
  set_kind kind = set_kind::nodes;
  std::uint32_t count = 0;
  std::uint64_t gen = 0;
  std::int64_t ts = 0;
  bool operator==(const set_header&) const = default;
};
std::string encode(const set_header& h, std::string_view owner, const crypto::identity& scout);
result<set_header> decode_set_header(std::string text, set_kind kind, std::string_view owner,
                                     std::span<const crypto::public_key> scouts);
/// Whether a record's text is a set header (it has an `hdr=` field).
bool is_set_header(std::string_view text) noexcept;

}  // namespace brood::records
