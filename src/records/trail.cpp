// `t`, `l` and `lk`: trails to other broods, the scouts' liveness evidence, the change lease.
#include <brood/records/trail.hpp>

#include "values.hpp"

#include <algorithm>
#include <array>

namespace brood::records {

namespace {
constexpr std::array<std::string_view, 7> trail_schema{"v", "remote", "scout", "ep", "overlay", "priority", "ts"};
constexpr std::array<std::string_view, 5> liveness_schema{"v", "scout", "proc", "down", "ts"};
constexpr std::array<std::string_view, 6> lease_schema{"v", "holder", "proc", "op", "until", "ts"};

bool op_ok(std::string_view s) {
  return !s.empty() && s.size() <= 16 && std::all_of(s.begin(), s.end(), [](char c) { return c >= 'a' && c <= 'z'; });
}
}  // namespace

std::string encode(const trail_record& t, std::string_view owner, const crypto::identity& scout) {
  ordered_fields f{{"v", "1"},
                   {"remote", t.remote},
                   {"scout", t.scout},
                   {"ep", t.ep},
                   {"overlay", t.overlay},
                   {"priority", std::to_string(t.priority)},
                   {"ts", std::to_string(t.ts)}};
  return sign_record("t", owner, f, scout);
}

result<trail_record> decode_trail(std::string text, std::string_view owner, std::span<const crypto::public_key> scouts, signer_rule rule) {
  auto r = check_record(std::move(text), "t", trail_schema, owner, scouts, rule);
  if (!r) return r.error();
  trail_record t;
  t.remote = (*r)["remote"];
  t.scout = (*r)["scout"];
  t.ep = (*r)["ep"];
  t.overlay = (*r)["overlay"];
  if (!values::domain_ok(t.remote) || !values::id10_ok(t.scout) || !values::endpoint_ok(t.ep) ||
      !values::interface_address_ok(t.overlay) || !values::parse_uint((*r)["priority"], t.priority) ||
      !values::parse_ts((*r)["ts"], t.ts))
    return error::bad_value;
  return t;
}

std::string encode(const liveness_record& l, std::string_view owner, const crypto::identity& scout) {
  std::string down;
  for (auto& id : l.down) down += (down.empty() ? "" : ",") + id;
  ordered_fields f{{"v", "1"},
                   {"scout", l.scout},
                   {"proc", l.proc},
                   {"down", down.empty() ? "-" : down},
                   {"ts", std::to_string(l.ts)}};
  return sign_record("l", owner, f, scout);
}

result<liveness_record> decode_liveness(std::string text, std::string_view owner,
                                        std::span<const crypto::public_key> scouts) {
  auto r = check_record(std::move(text), "l", liveness_schema, owner, scouts);
  if (!r) return r.error();
  liveness_record l;
  l.scout = (*r)["scout"];
  l.proc = (*r)["proc"];
  // A scout speaks only for itself: the id10 it names must be its own.
  if (l.scout != crypto::id10(r->signer) || !values::proc_ok(l.proc) || !values::parse_ts((*r)["ts"], l.ts))
    return error::bad_value;
  std::string_view down = (*r)["down"];
  if (down != "-") {
    while (true) {
      auto comma = down.find(',');
      auto id = down.substr(0, comma);
      if (!values::id10_ok(id) || (!l.down.empty() && id <= l.down.back())) return error::bad_value;  // sorted, unique
      l.down.emplace_back(id);
      if (comma == std::string_view::npos) break;
      down.remove_prefix(comma + 1);
    }
  }
  return l;
}

std::string encode(const lease_record& l, std::string_view owner, const crypto::identity& scout) {
  ordered_fields f{{"v", "1"},
                   {"holder", l.holder},
                   {"proc", l.proc},
                   {"op", l.op},
                   {"until", std::to_string(l.until)},
                   {"ts", std::to_string(l.ts)}};
  return sign_record("lk", owner, f, scout);
}

result<lease_record> decode_lease(std::string text, std::string_view owner, std::span<const crypto::public_key> scouts) {
  auto r = check_record(std::move(text), "lk", lease_schema, owner, scouts);
  if (!r) return r.error();
  lease_record l;
  l.holder = (*r)["holder"];
  l.proc = (*r)["proc"];
  l.op = (*r)["op"];
  if (l.holder != crypto::id10(r->signer) || !values::proc_ok(l.proc) || !op_ok(l.op) ||
      !values::parse_ts((*r)["until"], l.until) || !values::parse_ts((*r)["ts"], l.ts))
    return error::bad_value;
  return l;
}

}  // namespace brood::records
