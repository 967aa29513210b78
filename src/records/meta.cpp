// _meta: encoding in schema order, strict decoding, signature and replay checks.
#include <brood/records/meta.hpp>

#include "values.hpp"

#include <cstdint>

namespace brood::records {

namespace {

ordered_fields ordered(const meta_record& m) {
  return {{"v", "1"},
          {"asn", std::to_string(m.asn)},
          {"subnet", m.subnet},
          {"bgp", m.bgp},
          {"kv", std::to_string(m.kv)},
          {"keepalive", std::to_string(m.keepalive)},
          {"stale", std::to_string(m.stale)},
          {"shards", std::to_string(m.shards)},
          {"scouts", values::join_keys(m.scouts)},
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
  if (f->fields().back().first != "sig") return error::syntax;  // nothing after the signature
  using values::parse_uint;
  if (!parse_uint(*asn, m.asn) || m.asn == 0 || !values::cidr_ok(*subnet, false, 8) || subnet->ends_with("/31") ||
      subnet->ends_with("/32") || *bgp != "rr" || !parse_uint(*kv, m.kv) || !parse_uint(*keepalive, m.keepalive) ||
      !parse_uint(*stale, m.stale) || !parse_uint(*shards, m.shards) || (m.shards != 16 && m.shards != 256) ||
      !values::parse_ts(*ts, m.ts) || m.kv > static_cast<std::uint64_t>(INT64_MAX) || m.keepalive < min_keepalive ||
      m.keepalive > max_keepalive || m.stale < 2 * m.keepalive || m.stale > max_stale)
    return error::bad_value;
  m.subnet = *subnet;
  m.bgp = *bgp;
  auto keys = values::parse_keys(*scouts);
  if (!keys) return error::bad_value;
  m.scouts = std::move(*keys);
  auto signer = verify_record("meta", owner, ordered(m), *sig, pinned.empty() ? m.scouts : pinned);
  if (!signer) return signer.error();
  return m;
}

}  // namespace brood::records
