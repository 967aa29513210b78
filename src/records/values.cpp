// Value forms of records: keys, addresses, CIDRs, endpoints, names.
#include "values.hpp"

#include <brood/records/fields.hpp>

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cstring>

namespace brood::records::values {

std::optional<crypto::public_key> parse_key(std::string_view b64url) {
  if (b64url.size() != 43) return std::nullopt;
  auto raw = crypto::from_base64url(b64url);
  if (!raw || raw->size() != 32) return std::nullopt;
  crypto::public_key pk{};
  std::memcpy(pk.data(), raw->data(), pk.size());
  return pk;
}

std::string join_keys(const std::vector<crypto::public_key>& keys) {
  std::string out;
  for (auto& k : keys) {
    if (!out.empty()) out += ',';
    out += crypto::base64url(k);
  }
  return out;
}

std::optional<std::vector<crypto::public_key>> parse_keys(std::string_view list) {
  std::vector<crypto::public_key> out;
  while (true) {
    auto comma = list.find(',');
    auto pk = parse_key(list.substr(0, comma));
    if (!pk) return std::nullopt;
    out.push_back(*pk);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return out;
}

namespace {
bool to_bytes(std::string_view ip, int family, std::array<std::uint8_t, 16>& out) {
  if (ip.size() > 45) return false;
  char buf[46];
  std::memcpy(buf, ip.data(), ip.size());
  buf[ip.size()] = '\0';
  return inet_pton(family, buf, out.data()) == 1;
}
}  // namespace

int ip_family(std::string_view ip) {
  std::array<std::uint8_t, 16> b{};
  if (to_bytes(ip, AF_INET, b)) return 4;
  if (to_bytes(ip, AF_INET6, b)) return 6;
  return 0;
}

bool cidr_ok(std::string_view s, bool allow_v6, unsigned min_v4, unsigned min_v6) {
  auto slash = s.find('/');
  if (slash == std::string_view::npos) return false;
  unsigned prefix = 0;
  if (!parse_uint(s.substr(slash + 1), prefix)) return false;
  auto addr = s.substr(0, slash);
  std::array<std::uint8_t, 16> b{};
  std::size_t bytes = 0;
  if (to_bytes(addr, AF_INET, b)) {
    if (prefix < min_v4 || prefix > 32) return false;
    bytes = 4;
  } else if (allow_v6 && to_bytes(addr, AF_INET6, b)) {
    if (prefix < min_v6 || prefix > 128) return false;
    bytes = 16;
  } else {
    return false;
  }
  for (std::size_t bit = prefix; bit < bytes * 8; ++bit)
    if (b[bit / 8] & (0x80 >> (bit % 8))) return false;  // host bits set
  return true;
}

bool interface_address_ok(std::string_view s) {
  auto slash = s.find('/');
  unsigned prefix = 0;
  if (slash == std::string_view::npos || !parse_uint(s.substr(slash + 1), prefix)) return false;
  int fam = ip_family(s.substr(0, slash));
  return (fam == 4 && prefix <= 32) || (fam == 6 && prefix <= 128);
}

bool cidr_contains(std::string_view cidr, std::string_view ip) {
  auto slash = cidr.find('/');
  unsigned prefix = 0;
  if (slash == std::string_view::npos || !parse_uint(cidr.substr(slash + 1), prefix)) return false;
  int fam = ip_family(cidr.substr(0, slash));
  if (fam == 0 || ip_family(ip) != fam) return false;
  std::array<std::uint8_t, 16> net{}, a{};
  to_bytes(cidr.substr(0, slash), fam == 4 ? AF_INET : AF_INET6, net);
  to_bytes(ip, fam == 4 ? AF_INET : AF_INET6, a);
  for (unsigned bit = 0; bit < prefix; ++bit)
    if ((net[bit / 8] ^ a[bit / 8]) & (0x80 >> (bit % 8))) return false;
  return true;
}

bool endpoint_ok(std::string_view s) {
  if (!std::all_of(s.begin(), s.end(), [](char c) { return c > 0x20 && c < 0x7f; })) return false;
  auto colon = s.rfind(':');
  if (colon == std::string_view::npos) return false;
  std::uint16_t port = 0;
  if (!parse_uint(s.substr(colon + 1), port) || port == 0) return false;
  auto host = s.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    return ip_family(host.substr(1, host.size() - 2)) == 6;
  return ip_family(host) == 4;
}

namespace {
bool lower_hex(std::string_view s, std::size_t size) {
  return s.size() == size && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}
}  // namespace

bool id10_ok(std::string_view s) { return lower_hex(s, 10); }
bool proc_ok(std::string_view s) { return lower_hex(s, 16); }

bool domain_ok(std::string_view s) {
  if (s.empty() || s.size() > 253 || s.front() == '.' || s.back() == '.' || s.find("..") != std::string_view::npos)
    return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
  });
}

std::string seal(const crypto::secret_key& key, std::string_view plaintext) {
  auto box = crypto::secretbox_seal(key, crypto::bytes_of(plaintext));
  return crypto::base64url(crypto::bytes_of(box));
}

rt::result<std::string> open(std::span<const crypto::secret_key> keys, std::string_view b64url) {
  auto raw = crypto::from_base64url(b64url);
  if (!raw) return error::bad_value;
  for (auto& k : keys)
    if (auto plain = crypto::secretbox_open(k, crypto::bytes_of(*raw))) return std::move(*plain);
  return error::cannot_decrypt;
}

}  // namespace brood::records::values
