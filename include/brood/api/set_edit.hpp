// set_edit: how a scout writes one set of records (docs/records.md §2) inside a provider edit —
// the member texts it keeps exactly as they are (no re-encryption, no needless writes), headed
// by a fresh header (count, next generation, digest) signed over the result.
#pragma once

#include <brood/records/set_header.hpp>

#include <optional>
#include <string>
#include <vector>

namespace brood::api {

/// The texts of a set with `members`, headed by a fresh header: generation one past `previous`'s,
/// `ts` now (or one past `previous`'s, whichever is later).
std::vector<std::string> rebuild_set(records::set_kind kind, const std::string& owner, std::vector<std::string> members,
                                     const std::optional<records::set_header>& previous, std::int64_t ts,
                                     const crypto::identity& scout);

}  // namespace brood::api
