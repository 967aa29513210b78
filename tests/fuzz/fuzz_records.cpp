// libFuzzer target: the record parser (field syntax, then _meta decoding with its signature
// check) on arbitrary text. Anything accepted must re-encode to a parseable field list.
#include <brood/records/meta.hpp>

#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto f = brood::records::field_list::parse(text);
  if (f && f->fields().empty()) std::abort();
  auto m = brood::records::decode_meta(text, "_meta.brood.example", {});
  if (m && (m->scouts.empty() || (m->shards != 16 && m->shards != 256))) std::abort();
  return 0;
}
