// libFuzzer target: DNS answer parsing (header checks, TXT joining, SRV, A/AAAA through c-ares)
// and the answers to UPDATEs (response code, TSIG record walk and check) on arbitrary bytes.
// Accepted TXT answers must be non-empty lists of records; no TSIG can verify without the key.
#include <brood/dns/message.hpp>
#include <brood/dns/update.hpp>

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> msg(data, size);
  if (auto t = brood::dns::parse_txt(msg)) {
    if (t->empty()) std::abort();
    for (auto& r : *t)
      if (r.strings.empty()) std::abort();
  }
  (void)brood::dns::parse_srv(msg);
  (void)brood::dns::parse_ns(msg);
  (void)brood::dns::parse_addresses(msg, brood::dns::record_type::a);
  (void)brood::dns::parse_addresses(msg, brood::dns::record_type::aaaa);
  (void)brood::dns::response_code(msg);
  static const brood::dns::tsig_key key{"brood-update", std::string(32, '\x5c')};
  if (brood::dns::tsig_verify(msg, key, std::string(32, '\x01'), 1763779200)) std::abort();
  return 0;
}
