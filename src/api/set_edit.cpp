// Splitting and rebuilding sets of records.
#include <brood/api/set_edit.hpp>

#include <chrono>

namespace brood::api {

set_texts split_set(const std::vector<std::string>& texts, records::set_kind kind, const std::string& owner,
                    const std::vector<crypto::public_key>& scouts) {
  set_texts out;
  for (auto& t : texts) {
    if (!records::is_set_header(t)) {
      out.members.push_back(t);
      continue;
    }
    auto h = records::decode_set_header(t, kind, owner, scouts);
    if (h && (!out.header || h->ts > out.header->ts)) out.header = *h;
  }
  return out;
}

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

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace brood::api
