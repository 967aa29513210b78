// `nh`, `mh`, `vh`, `th`: the set header records.
#include <brood/records/set_header.hpp>

#include "values.hpp"

#include <array>

namespace brood::records {

namespace {
constexpr std::array<std::string_view, 5> header_schema{"v", "hdr", "count", "gen", "ts"};
std::string type_of(set_kind k) { return std::string(1, static_cast<char>(k)) + "h"; }
}  // namespace

std::string encode(const set_header& h, std::string_view owner, const crypto::identity& scout) {
  ordered_fields f{{"v", "1"},
                   {"hdr", std::string(1, static_cast<char>(h.kind))},
                   {"count", std::to_string(h.count)},
                   {"gen", std::to_string(h.gen)},
                   {"ts", std::to_string(h.ts)}};
  return sign_record(type_of(h.kind), owner, f, scout);
}

result<set_header> decode_set_header(std::string text, set_kind kind, std::string_view owner,
                                     std::span<const crypto::public_key> scouts) {
  auto r = check_record(std::move(text), type_of(kind), header_schema, owner, scouts);
  if (!r) return r.error();
  set_header h;
  h.kind = kind;
  if ((*r)["hdr"] != std::string(1, static_cast<char>(kind)) || !values::parse_uint((*r)["count"], h.count) ||
      !values::parse_uint((*r)["gen"], h.gen) || !values::parse_ts((*r)["ts"], h.ts))
    return error::bad_value;
  return h;
}

bool is_set_header(std::string_view text) noexcept { return text.find(" hdr=") != std::string_view::npos; }

}  // namespace brood::records
