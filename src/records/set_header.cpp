// `nh`, `mh`, `vh`, `th`: the set header records.
#include <brood/records/set_header.hpp>

#include "values.hpp"

#include <sodium.h>

#include <algorithm>
#include <array>

namespace brood::records {

namespace {
constexpr std::array<std::string_view, 6> header_schema{"v", "hdr", "count", "gen", "digest", "ts"};
std::string type_of(set_kind k) { return std::string(1, static_cast<char>(k)) + "h"; }
}  // namespace

std::string encode(const set_header& h, std::string_view owner, const crypto::identity& scout) {
  ordered_fields f{{"v", "1"},
                   {"hdr", std::string(1, static_cast<char>(h.kind))},
                   {"count", std::to_string(h.count)},
                   {"gen", std::to_string(h.gen)},
                   {"digest", h.digest},
                   {"ts", std::to_string(h.ts)}};
  return sign_record(type_of(h.kind), owner, f, scout);
}

result<set_header> decode_set_header(std::string text, set_kind kind, std::string_view owner,
                                     std::span<const crypto::public_key> scouts, signer_rule rule) {
  auto r = check_record(std::move(text), type_of(kind), header_schema, owner, scouts, rule);
  if (!r) return r.error();
  set_header h;
  h.kind = kind;
  if ((*r)["hdr"] != std::string(1, static_cast<char>(kind)) || !values::parse_uint((*r)["count"], h.count) ||
      !values::parse_uint((*r)["gen"], h.gen) || !values::parse_ts((*r)["ts"], h.ts))
    return error::bad_value;
  h.digest = (*r)["digest"];
  auto raw = crypto::from_base64url(h.digest);
  if (!raw || raw->size() != 32) return error::bad_value;
  return h;
}

std::string members_digest(std::vector<std::string_view> texts) {
  std::sort(texts.begin(), texts.end());
  // BLAKE2b: a reader hashes every set it reads, ~50 KB per sync at 100 nodes, and libsodium's
  // portable SHA-256 would cost four times as much CPU for it.
  crypto_generichash_state st;
  std::array<std::uint8_t, 32> h{};
  crypto_generichash_init(&st, nullptr, 0, h.size());
  for (auto t : texts) {
    crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(t.data()), t.size());
    crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>("\n"), 1);
  }
  crypto_generichash_final(&st, h.data(), h.size());
  return crypto::base64url(h);
}

bool is_set_header(std::string_view text) noexcept { return text.find(" hdr=") != std::string_view::npos; }

}  // namespace brood::records
