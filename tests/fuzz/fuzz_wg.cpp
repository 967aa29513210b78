// libFuzzer target: what a WireGuard implementation answers — UAPI get/set text and generic
// netlink replies (device dump, family, ACK) — on arbitrary bytes. Accepted devices hold only
// well-formed prefixes.
#include <brood/netlink/message.hpp>
#include <brood/wg/genl.hpp>
#include <brood/wg/uapi.hpp>

#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace brood;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto check = [](const wg::device& d) {
    for (auto& p : d.peers)
      for (auto& a : p.allowed_ips)
        if (a.length > a.max_length()) std::abort();
  };
  if (auto d = wg::parse_uapi_get(text)) check(*d);
  (void)wg::parse_uapi_set(text);
  wg::device d;
  if (wg::genl::parse_device_reply(std::span(data, size), d)) check(d);
  (void)wg::genl::parse_family_reply(std::span(data, size));
  (void)netlink::ack_status(std::span(data, size));
  return 0;
}
