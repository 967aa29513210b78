// ip_prefix parsing and printing (inet_pton/inet_ntop, strict about the length), and the bit
// arithmetic of networks.
#include <brood/net/ip_prefix.hpp>

#include <arpa/inet.h>

#include <charconv>

namespace brood::net {

rt::result<ip_prefix> ip_prefix::parse(std::string_view text) {
  ip_prefix p;
  const auto slash = text.find('/');
  const std::string host(text.substr(0, slash));
  if (::inet_pton(AF_INET, host.c_str(), p.addr.data()) == 1) {
    p.family = AF_INET;
  } else if (::inet_pton(AF_INET6, host.c_str(), p.addr.data()) == 1) {
    p.family = AF_INET6;
  } else {
    return std::errc::invalid_argument;
  }
  p.length = p.max_length();
  if (slash != std::string_view::npos) {
    const auto len = text.substr(slash + 1);
    unsigned n = 0;
    auto [end, ec] = std::from_chars(len.data(), len.data() + len.size(), n);
    if (len.empty() || len.size() > 3 || (len.size() > 1 && len[0] == '0') || ec != std::errc{} || end != len.data() + len.size() || n > p.max_length())
      return std::errc::invalid_argument;
    p.length = static_cast<std::uint8_t>(n);
  }
  return p;
}

rt::result<ip_prefix> ip_prefix::parse_address(std::string_view text) {
  if (text.find('/') != std::string_view::npos) return std::errc::invalid_argument;
  return parse(text);
}

namespace {
bool bit(const std::array<std::uint8_t, 16>& a, unsigned i) noexcept { return a[i / 8] & (0x80 >> (i % 8)); }
}  // namespace

ip_prefix ip_prefix::network() const noexcept {
  ip_prefix n = *this;
  for (unsigned i = length; i < 128u; ++i) n.addr[i / 8] &= static_cast<std::uint8_t>(~(0x80 >> (i % 8)));
  return n;
}

bool ip_prefix::contains(const ip_prefix& a) const noexcept {
  if (a.family != family || a.length < length) return false;
  for (unsigned i = 0; i < length; ++i)
    if (bit(a.addr, i) != bit(addr, i)) return false;
  return true;
}

bool ip_prefix::is_host_address() const noexcept {
  if (length + 1u >= max_length()) return true;
  bool zeros = true, ones = true;
  for (unsigned i = length; i < max_length(); ++i) {
    zeros = zeros && !bit(addr, i);
    ones = ones && bit(addr, i);
  }
  return !zeros && !(family == AF_INET && ones);
}

std::string ip_prefix::address_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(family, addr.data(), buf, sizeof buf);
  return buf;
}

std::string ip_prefix::to_string() const { return address_string() + "/" + std::to_string(length); }

}  // namespace brood::net
