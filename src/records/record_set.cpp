// Building a brood's records from its state, the size limits, and master-file output.
#include <brood/dns/message.hpp>
#include <brood/records/record_set.hpp>

namespace brood::records {

std::size_t record_set::record_count() const noexcept {
  std::size_t n = 0;
  for (auto& [_, texts] : _by_name) n += texts.size();
  return n;
}

namespace {
/// Adds a set's members and its header (whose digest commits to the members' exact texts).
void add_set(record_set& out, const std::string& owner, set_kind kind, std::vector<std::string> members,
             const brood_state& s, const crypto::identity& scout) {
  set_header h{kind, static_cast<std::uint32_t>(members.size()), s.gen, {}, s.ts};
  h.digest = members_digest({members.begin(), members.end()});
  out.add(owner, encode(h, owner, scout));
  for (auto& m : members) out.add(owner, std::move(m));
}
}  // namespace

record_set build_record_set(const brood_state& s, const names& n, const crypto::identity& scout) {
  record_set out;
  out.add(n.meta(), encode(s.meta, n.meta(), scout));

  std::map<std::string, std::vector<std::string>> shards;
  for (auto& label : all_shards(s.meta.shards)) shards[label];
  for (auto& node : s.nodes) {
    auto label = shard_of(node.pk, s.meta.shards);
    shards[label].push_back(encode(node, n.node_shard(label), s.key, scout));
  }
  for (auto& [label, members] : shards) add_set(out, n.node_shard(label), set_kind::nodes, std::move(members), s, scout);

  std::vector<std::string> vlans;
  for (auto& v : s.vlans) {
    vlans.push_back(encode(v, n.vlans(), s.key, scout));
    std::map<std::string, std::vector<std::string>> mshards;
    for (auto& label : all_shards(s.meta.shards)) mshards[label];
    if (auto it = s.members.find(v.vni); it != s.members.end())
      for (auto& m : it->second) {
        auto label = shard_of(m.pk, s.meta.shards);
        mshards[label].push_back(encode(m, n.member_shard(label, v.vni), s.key, scout));
      }
    for (auto& [label, members] : mshards)
      add_set(out, n.member_shard(label, v.vni), set_kind::members, std::move(members), s, scout);
  }
  add_set(out, n.vlans(), set_kind::vlans, std::move(vlans), s, scout);

  std::vector<std::string> trails;
  for (auto& t : s.trails) trails.push_back(encode(t, n.trails(), scout));
  add_set(out, n.trails(), set_kind::trails, std::move(trails), s, scout);
  if (s.liveness) out.add(n.liveness(), encode(*s.liveness, n.liveness(), scout));
  return out;
}

std::size_t txt_rdata_bytes(std::string_view text) noexcept {
  std::size_t strings = text.empty() ? 1 : (text.size() + 254) / 255;
  return text.size() + strings;
}

std::size_t set_content_chars(const std::vector<std::string>& texts) noexcept {
  std::size_t total = 0;
  for (auto& t : texts) {
    std::size_t strings = t.empty() ? 1 : (t.size() + 254) / 255;
    total += t.size() + strings * 3 - 1;  // two quotes per string, a space between strings
  }
  return total;
}

std::size_t answer_bytes(std::string_view owner, const std::vector<std::string>& texts) noexcept {
  // Header 12; the question: the name in labels (one more byte than its text, plus the root),
  // type and class; then each record: a pointer to the question's name (2), type, class, TTL,
  // RDLENGTH (10) and its RDATA.
  std::size_t total = 12 + owner.size() + 2 + 4;
  for (auto& t : texts) total += 2 + 10 + txt_rdata_bytes(t);
  return total;
}

std::optional<limit_violation> check_set_limits(const std::string& owner, const std::vector<std::string>& texts) {
  for (auto& t : texts)
    if (auto b = txt_rdata_bytes(t); b > max_record_rdata) return limit_violation{owner, error::too_large, b};
  if (auto c = set_content_chars(texts); c > max_set_content) return limit_violation{owner, error::set_too_large, c};
  if (auto a = answer_bytes(owner, texts); a > max_answer_bytes) return limit_violation{owner, error::too_large, a};
  return std::nullopt;
}

std::optional<limit_violation> check_limits(const record_set& s) {
  for (auto& [owner, texts] : s.by_name())
    if (auto v = check_set_limits(owner, texts)) return v;
  return std::nullopt;
}

std::string zone_text(const record_set& s, unsigned ttl) {
  std::string out;
  for (auto& [owner, texts] : s.by_name()) {
    for (auto& t : texts) {
      out += owner + ". " + std::to_string(ttl) + " TXT";
      for (auto& part : dns::split_txt(t)) {
        out += " \"";
        for (char c : part) {
          if (c == '"' || c == '\\') out += '\\';
          out += c;
        }
        out += '"';
      }
      out += '\n';
    }
  }
  return out;
}

}  // namespace brood::records
