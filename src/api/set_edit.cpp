// Rebuilding a set of records under a new header.
#include <brood/api/set_edit.hpp>

namespace brood::api {

std::vector<std::string> rebuild_set(records::set_kind kind, const std::string& owner, std::vector<std::string> members,
                                     const std::optional<records::set_header>& previous, std::int64_t ts,
                                     const crypto::identity& scout) {
  records::set_header h;
  h.kind = kind;
  h.count = static_cast<std::uint32_t>(members.size());
  h.gen = previous ? previous->gen + 1 : 1;
  h.digest = records::members_digest({members.begin(), members.end()});
  // A header never goes back in time, even if this scout's clock is behind the last writer's.
  h.ts = previous && previous->ts >= ts ? previous->ts + 1 : ts;
  std::vector<std::string> out{records::encode(h, owner, scout)};
  for (auto& m : members) out.push_back(std::move(m));
  return out;
}

}  // namespace brood::api
