// TXT content as Cloudflare's API carries it (RFC 1035 presentation form): `"…" "…"` strings of
// at most 255 bytes with `"` and `\` escaped; and back. Fuzzed (fuzz_txt_content).
#pragma once

#include <brood/rt/result.hpp>

#include <string>
#include <string_view>

namespace brood::provider {

std::string format_txt_content(std::string_view text);
/// Quoted strings (escapes \" \\ \DDD) joined, or unquoted text as it is;
/// std::errc::invalid_argument for unbalanced quotes, text between strings or a bad escape.
rt::result<std::string> parse_txt_content(std::string_view content);

}  // namespace brood::provider
