// `vl` and `m`: encoding in schema order, strict decoding, encryption of subnets and IPs.
#include <brood/json/value.hpp>
#include <brood/json/writer.hpp>
#include <brood/records/vlan.hpp>

#include "values.hpp"

#include <algorithm>
#include <array>

namespace brood::records {

namespace {
constexpr std::array<std::string_view, 5> vlan_schema{"v", "vni", "name", "data", "ts"};
constexpr std::array<std::string_view, 4> member_schema{"v", "pk", "data", "ts"};

bool name_ok(std::string_view n) {
  return !n.empty() && n.size() <= 32 && std::all_of(n.begin(), n.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.';
  });
}
}  // namespace

std::string encode(const vlan_record& v, std::string_view owner, const crypto::secret_key& key,
                   const crypto::identity& scout) {
  json::writer w;
  w.begin_object().key("subnet").string(v.subnet).end_object();
  ordered_fields f{{"v", "1"},
                   {"vni", std::to_string(v.vni)},
                   {"name", v.name},
                   {"data", values::seal(key, w.str())},
                   {"ts", std::to_string(v.ts)}};
  return sign_record("vl", owner, f, scout);
}

result<vlan_record> decode_vlan(std::string text, std::string_view owner, std::span<const crypto::public_key> scouts,
                                keyring keys, signer_rule rule) {
  auto r = check_record(std::move(text), "vl", vlan_schema, owner, scouts, rule);
  if (!r) return r.error();
  vlan_record v;
  v.name = (*r)["name"];
  if (!values::parse_uint((*r)["vni"], v.vni) || v.vni == 0 || v.vni > max_vni || !name_ok(v.name) ||
      !values::parse_ts((*r)["ts"], v.ts))
    return error::bad_value;
  auto plain = values::open(keys, (*r)["data"]);
  if (!plain) return plain.error();
  json::parse_limits lim;
  lim.max_bytes = 512;
  lim.max_depth = 2;
  auto data = json::parse(*plain, lim);
  if (!data) return error::bad_value;
  auto subnet = data->find("subnet");
  if (!subnet || !subnet->as_string() || !values::cidr_ok(*subnet->as_string(), true, 8, 48)) return error::bad_value;
  v.subnet = *subnet->as_string();
  return v;
}

std::string encode(const member_record& m, std::string_view owner, const crypto::secret_key& key,
                   const crypto::identity& scout) {
  ordered_fields f{{"v", "1"},
                   {"pk", crypto::base64url(m.pk)},
                   {"data", values::seal(key, m.ip)},
                   {"ts", std::to_string(m.ts)}};
  return sign_record("m", owner, f, scout);
}

result<member_record> decode_member(std::string text, std::string_view owner,
                                    std::span<const crypto::public_key> scouts, keyring keys, signer_rule rule) {
  auto r = check_record(std::move(text), "m", member_schema, owner, scouts, rule);
  if (!r) return r.error();
  member_record m;
  auto pk = values::parse_key((*r)["pk"]);
  if (!pk || !values::parse_ts((*r)["ts"], m.ts)) return error::bad_value;
  m.pk = *pk;
  auto plain = values::open(keys, (*r)["data"]);
  if (!plain) return plain.error();
  if (values::ip_family(*plain) == 0) return error::bad_value;
  m.ip = std::move(*plain);
  return m;
}

}  // namespace brood::records
