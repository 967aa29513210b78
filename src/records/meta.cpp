// _meta: encoding in schema order, strict decoding, signature and replay checks.
#include <brood/records/meta.hpp>

#include <arpa/inet.h>

#include <charconv>

namespace brood::records {

namespace {

template <class T>
bool parse_uint(std::string_view s, T& out) {
  if (s.empty() || (s.size() > 1 && s[0] == '0')) return false;  // no leading zeros
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

bool cidr_ok(std::string_view s) {
  auto slash = s.find('/');
  if (slash == std::string_view::npos) return false;
  std::string addr(s.substr(0, slash));
  unsigned prefix = 0;
  in_addr a{};
  return inet_pton(AF_INET, addr.c_str(), &a) == 1 && parse_uint(s.substr(slash + 1), prefix) && prefix >= 8 &&
         prefix <= 30;
}

std::string join_keys(const std::vector<crypto::public_key>& keys) {
  std::string out;
  for (auto& k : keys) {
    if (!out.empty()) out += ',';
    out += crypto::base64url(k);
  }
  return out;
}

std::vector<std::pair<std::string_view, std::string>> ordered(const meta_record& m) {
  return {{"v", "1"},
          {"asn", std::to_string(m.asn)},
          {"subnet", m.subnet},
          {"bgp", m.bgp},
          {"kv", std::to_string(m.kv)},
          {"keepalive", std::to_string(m.keepalive)},
          {"stale", std::to_string(m.stale)},
          {"shards", std::to_string(m.shards)},
          {"scouts", join_keys(m.scouts)},
          {"ts", std::to_string(m.ts)}};
}

}  // namespace

std::string encode(const meta_record& m, std::string_view owner, const crypto::identity& signer) {
  return sign_record("meta", owner, ordered(m), signer);
}

result<meta_record> decode_meta(std::string text, std::string_view owner, const std::vector<crypto::public_key>& pinned) {
  auto f = field_list::parse(std::move(text));
  if (!f) return f.error();
  auto need = [&](std::string_view k) { return f->get(k); };
  meta_record m;
  auto asn = need("asn"), subnet = need("subnet"), bgp = need("bgp"), kv = need("kv"), keepalive = need("keepalive"),
       stale = need("stale"), shards = need("shards"), scouts = need("scouts"), ts = need("ts"), sig = need("sig");
  if (!asn || !subnet || !bgp || !kv || !keepalive || !stale || !shards || !scouts || !ts || !sig)
    return error::missing_field;
  if (!parse_uint(*asn, m.asn) || m.asn == 0 || !cidr_ok(*subnet) || *bgp != "rr" || !parse_uint(*kv, m.kv) ||
      !parse_uint(*keepalive, m.keepalive) || !parse_uint(*stale, m.stale) || !parse_uint(*shards, m.shards) ||
      (m.shards != 16 && m.shards != 256) || !parse_uint(*ts, m.ts) || m.ts <= 0)
    return error::bad_value;
  m.subnet = *subnet;
  m.bgp = *bgp;
  std::string_view list = *scouts;
  while (!list.empty()) {
    auto comma = list.find(',');
    auto raw = crypto::from_base64url(list.substr(0, comma));
    if (!raw || raw->size() != 32) return error::bad_value;
    crypto::public_key pk{};
    std::copy(raw->begin(), raw->end(), pk.begin());
    m.scouts.push_back(pk);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
    if (list.empty()) return error::bad_value;  // a trailing comma
  }
  if (m.scouts.empty()) return error::bad_value;
  auto signer = verify_record("meta", owner, ordered(m), *sig, pinned.empty() ? m.scouts : pinned);
  if (!signer) return signer.error();
  return m;
}

result<void> check_newer(const meta_record& current, const meta_record& next) {
  if (next.ts <= current.ts || next.kv < current.kv) return error::replayed;
  return {};
}

}  // namespace brood::records
