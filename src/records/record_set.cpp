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
void add_header(record_set& out, const std::string& owner, set_kind kind, std::size_t count, const brood_state& s,
                const crypto::identity& scout) {
  set_header h{kind, static_cast<std::uint32_t>(count), s.gen, s.ts};
  out.add(owner, encode(h, owner, scout));
}
}  // namespace

record_set build_record_set(const brood_state& s, const names& n, const crypto::identity& scout) {
  record_set out;
  out.add(n.meta(), encode(s.meta, n.meta(), scout));

  std::map<std::string, std::vector<const node_record*>> shards;
  for (auto& label : all_shards(s.meta.shards)) shards[label];
  for (auto& node : s.nodes) shards[shard_of(node.pk, s.meta.shards)].push_back(&node);
  for (auto& [label, members] : shards) {
    auto owner = n.node_shard(label);
    add_header(out, owner, set_kind::nodes, members.size(), s, scout);
    for (auto* node : members) out.add(owner, encode(*node, owner, s.key, scout));
  }

  add_header(out, n.vlans(), set_kind::vlans, s.vlans.size(), s, scout);
  for (auto& v : s.vlans) {
    out.add(n.vlans(), encode(v, n.vlans(), s.key, scout));
    std::map<std::string, std::vector<const member_record*>> mshards;
    for (auto& label : all_shards(s.meta.shards)) mshards[label];
    if (auto it = s.members.find(v.vni); it != s.members.end())
      for (auto& m : it->second) mshards[shard_of(m.pk, s.meta.shards)].push_back(&m);
    for (auto& [label, members] : mshards) {
      auto owner = n.member_shard(label, v.vni);
      add_header(out, owner, set_kind::members, members.size(), s, scout);
      for (auto* m : members) out.add(owner, encode(*m, owner, s.key, scout));
    }
  }

  add_header(out, n.trails(), set_kind::trails, s.trails.size(), s, scout);
  for (auto& t : s.trails) out.add(n.trails(), encode(t, n.trails(), scout));
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

std::optional<limit_violation> check_limits(const record_set& s) {
  for (auto& [owner, texts] : s.by_name()) {
    for (auto& t : texts)
      if (auto b = txt_rdata_bytes(t); b > max_record_rdata) return limit_violation{owner, error::too_large, b};
    if (auto c = set_content_chars(texts); c > max_set_content) return limit_violation{owner, error::set_too_large, c};
  }
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
