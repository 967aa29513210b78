// Overlay addresses: sha256("brood1 ip" ‖ pk ‖ u32be(i)) mapped into the subnet's host range.
#include <brood/records/overlay_ip.hpp>

#include "values.hpp"

#include <arpa/inet.h>
#include <sodium.h>

#include <cstring>

namespace brood::records {

namespace {
struct range {
  std::uint32_t network = 0;  // host order
  std::uint64_t size = 0;     // addresses in the subnet
};

rt::result<range> parse_subnet(std::string_view subnet) {
  if (!values::cidr_ok(subnet, false, 8)) return std::errc::invalid_argument;
  auto slash = subnet.find('/');
  unsigned prefix = 0;
  values::parse_uint(subnet.substr(slash + 1), prefix);
  if (prefix > 30) return std::errc::invalid_argument;
  std::string addr(subnet.substr(0, slash));
  in_addr a{};
  inet_pton(AF_INET, addr.c_str(), &a);
  return range{ntohl(a.s_addr), std::uint64_t{1} << (32 - prefix)};
}

std::string to_text(std::uint32_t host_order) {
  in_addr a{htonl(host_order)};
  char buf[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &a, buf, sizeof buf);
  return buf;
}

/// Offset of candidate i among the subnet's usable addresses (network + 2 … broadcast − 1).
std::uint64_t candidate_offset(const crypto::public_key& pk, const range& r, std::uint32_t i) {
  static constexpr char tag[] = "brood1 ip";
  std::uint8_t in[sizeof tag - 1 + 32 + 4];
  std::memcpy(in, tag, sizeof tag - 1);
  std::memcpy(in + sizeof tag - 1, pk.data(), 32);
  in[sizeof in - 4] = static_cast<std::uint8_t>(i >> 24);
  in[sizeof in - 3] = static_cast<std::uint8_t>(i >> 16);
  in[sizeof in - 2] = static_cast<std::uint8_t>(i >> 8);
  in[sizeof in - 1] = static_cast<std::uint8_t>(i);
  std::uint8_t h[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(h, in, sizeof in);
  std::uint64_t v = 0;
  for (int b = 0; b < 8; ++b) v = (v << 8) | h[b];
  return v % (r.size - 3);
}
}  // namespace

rt::result<std::string> overlay_candidate(const crypto::public_key& pk, std::string_view subnet, std::uint32_t i) {
  auto r = parse_subnet(subnet);
  if (!r) return r.error();
  return to_text(static_cast<std::uint32_t>(r->network + 2 + candidate_offset(pk, *r, i)));
}

rt::result<std::string> overlay_ip(const crypto::public_key& pk, std::string_view subnet,
                                   const std::function<bool(std::string_view ip)>& taken) {
  auto r = parse_subnet(subnet);
  if (!r) return r.error();
  const std::uint64_t usable = r->size - 3;
  for (std::uint32_t i = 0; i < 64; ++i) {
    auto ip = to_text(static_cast<std::uint32_t>(r->network + 2 + candidate_offset(pk, *r, i)));
    if (!taken(ip)) return ip;
  }
  const std::uint64_t first = candidate_offset(pk, *r, 0);
  for (std::uint64_t k = 1; k <= usable; ++k) {
    auto ip = to_text(static_cast<std::uint32_t>(r->network + 2 + (first + k) % usable));
    if (!taken(ip)) return ip;
  }
  return std::errc::address_not_available;
}

}  // namespace brood::records
