// libFuzzer target: TXT content in Cloudflare's presentation form. Whatever parses must format
// back to content that parses to the same text.
#include <brood/provider/txt_content.hpp>

#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view content(reinterpret_cast<const char*>(data), size);
  auto text = brood::provider::parse_txt_content(content);
  if (!text) return 0;
  auto again = brood::provider::parse_txt_content(brood::provider::format_txt_content(*text));
  if (!again || *again != *text) std::abort();
  return 0;
}
