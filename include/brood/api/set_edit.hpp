// set_edit: how a scout changes one set of records (docs/records.md §2) inside a provider edit —
// keep the member texts that stay as they are (no re-encryption, no needless writes), add or
// drop members, and sign a new header (count, next generation, digest) over the result.
#pragma once

#include <brood/records/set_header.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace brood::api {

struct set_texts {
  std::optional<records::set_header> header;  // the newest valid header, if any
  std::vector<std::string> members;           // every other text, as it was
};

/// Splits a name's TXT texts into its header (verified against `scouts`) and member texts.
set_texts split_set(const std::vector<std::string>& texts, records::set_kind kind, const std::string& owner,
                    const std::vector<crypto::public_key>& scouts);

/// The texts of a set with `members`, headed by a fresh header: generation one past `previous`'s,
/// `ts` now.
std::vector<std::string> rebuild_set(records::set_kind kind, const std::string& owner, std::vector<std::string> members,
                                     const std::optional<records::set_header>& previous, std::int64_t ts,
                                     const crypto::identity& scout);

/// Milliseconds since the epoch (record ts).
std::int64_t now_ms();

}  // namespace brood::api
