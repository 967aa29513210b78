// libFuzzer target: DNS answer parsing (header checks, TXT joining, SRV, A/AAAA through c-ares)
// on arbitrary bytes. Accepted TXT answers must be non-empty lists of records.
#include <brood/dns/message.hpp>

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> msg(data, size);
  if (auto t = brood::dns::parse_txt(msg)) {
    if (t->empty()) std::abort();
    for (auto& r : *t)
      if (r.strings.empty()) std::abort();
  }
  (void)brood::dns::parse_srv(msg);
  (void)brood::dns::parse_addresses(msg, brood::dns::record_type::a);
  (void)brood::dns::parse_addresses(msg, brood::dns::record_type::aaaa);
  return 0;
}
