// `n`, `p` and `k`: encoding in schema order, strict decoding, encryption of endpoints.
#include <brood/json/value.hpp>
#include <brood/json/writer.hpp>
#include <brood/records/node.hpp>

#include "values.hpp"

#include <algorithm>
#include <array>
#include <cstring>

namespace brood::records {

namespace {
constexpr std::array<std::string_view, 6> node_schema{"v", "pk", "role", "ip", "ep", "ts"};
constexpr std::array<std::string_view, 5> pending_schema{"v", "pk", "host", "ep", "ts"};
constexpr std::array<std::string_view, 4> key_schema{"v", "kv", "box", "ts"};
constexpr std::size_t max_endpoints = 8;

bool host_ok(std::string_view h) {
  return !h.empty() && h.size() <= 63 && std::all_of(h.begin(), h.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
  });
}
}  // namespace

std::string endpoints_json(const std::vector<std::string>& endpoints) {
  json::writer w;
  w.begin_array();
  for (auto& e : endpoints) w.string(e);
  w.end_array();
  return w.take();
}

result<std::vector<std::string>> parse_endpoints_json(std::string_view text) {
  json::parse_limits lim;
  lim.max_bytes = 1024;
  lim.max_depth = 2;
  auto v = json::parse(text, lim);
  if (!v || !v->is_array() || v->as_array()->size() > max_endpoints) return error::bad_value;
  std::vector<std::string> out;
  for (auto& e : *v->as_array()) {
    auto s = e.as_string();
    if (!s || !values::endpoint_ok(*s)) return error::bad_value;
    out.push_back(*s);
  }
  return out;
}

std::string encode(const node_record& n, std::string_view owner, const crypto::secret_key& key,
                   const crypto::identity& scout) {
  ordered_fields f{{"v", "1"},
                   {"pk", crypto::base64url(n.pk)},
                   {"role", n.role},
                   {"ip", n.ip},
                   {"ep", values::seal(key, endpoints_json(n.endpoints))},
                   {"ts", std::to_string(n.ts)}};
  return sign_record("n", owner, f, scout);
}

result<node_record> decode_node(std::string text, std::string_view owner, std::span<const crypto::public_key> scouts,
                                keyring keys, signer_rule rule, bool allow_sealed) {
  auto r = check_record(std::move(text), "n", node_schema, owner, scouts, rule);
  if (!r) return r.error();
  node_record n;
  auto pk = values::parse_key((*r)["pk"]);
  n.role = (*r)["role"];
  n.ip = (*r)["ip"];
  if (!pk || (n.role != "worker" && n.role != "scout") || values::ip_family(n.ip) != 4 ||
      !values::parse_ts((*r)["ts"], n.ts))
    return error::bad_value;
  n.pk = *pk;
  auto plain = values::open(keys, (*r)["ep"]);
  if (!plain && allow_sealed && plain.error() == error::cannot_decrypt) {
    n.sealed = true;
    return n;
  }
  if (!plain) return plain.error();
  auto eps = parse_endpoints_json(*plain);
  if (!eps) return eps.error();
  n.endpoints = std::move(*eps);
  return n;
}

std::string encode(const pending_record& p, std::string_view owner, const crypto::identity& self) {
  auto json = endpoints_json(p.endpoints);
  ordered_fields f{{"v", "1"},
                   {"pk", crypto::base64url(p.pk)},
                   {"host", p.host},
                   {"ep", crypto::base64url(crypto::bytes_of(json))},
                   {"ts", std::to_string(p.ts)}};
  return sign_record("p", owner, f, self);
}

result<pending_record> decode_pending(std::string text, std::string_view owner) {
  auto r = check_record(std::move(text), "p", pending_schema, owner, {}, signer_rule::self);
  if (!r) return r.error();
  pending_record p;
  p.pk = r->signer;
  p.host = (*r)["host"];
  auto json = crypto::from_base64url((*r)["ep"]);
  if (!host_ok(p.host) || !json || !values::parse_ts((*r)["ts"], p.ts)) return error::bad_value;
  auto eps = parse_endpoints_json(*json);
  if (!eps) return eps.error();
  p.endpoints = std::move(*eps);
  return p;
}

result<std::string> encode_key(std::uint64_t kv, const crypto::secret_key& key, const crypto::public_key& node,
                               std::int64_t ts, std::string_view owner, const crypto::identity& scout) {
  auto x = crypto::wireguard_public_key(node);
  if (!x) return x.error();
  auto box = crypto::seal_to(*x, key);
  ordered_fields f{{"v", "1"},
                   {"kv", std::to_string(kv)},
                   {"box", crypto::base64url(crypto::bytes_of(box))},
                   {"ts", std::to_string(ts)}};
  return sign_record("k", owner, f, scout);
}

result<key_record> decode_key(std::string text, std::string_view owner, std::span<const crypto::public_key> scouts) {
  auto r = check_record(std::move(text), "k", key_schema, owner, scouts);
  if (!r) return r.error();
  key_record k;
  auto box = crypto::from_base64url((*r)["box"]);
  if (!values::parse_uint((*r)["kv"], k.kv) || !box || !values::parse_ts((*r)["ts"], k.ts)) return error::bad_value;
  k.box = std::move(*box);
  return k;
}

result<crypto::secret_key> open_key(const key_record& k, const crypto::identity& self) {
  auto plain = self.open_sealed(crypto::bytes_of(k.box));
  if (!plain || plain->size() != crypto::secret_key{}.size()) return error::cannot_decrypt;
  crypto::secret_key key{};
  std::memcpy(key.data(), plain->data(), key.size());
  return key;
}

}  // namespace brood::records
