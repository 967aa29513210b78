// Value forms of records: keys, addresses, CIDRs, endpoints, names.
#include "values.hpp"

#include <brood/net/ip_prefix.hpp>
#include <brood/records/fields.hpp>

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

int ip_family(std::string_view ip) {
  auto a = net::ip_prefix::parse_address(ip);
  if (!a) return 0;
  return a->family == AF_INET ? 4 : 6;
}

bool cidr_ok(std::string_view s, bool allow_v6, unsigned min_v4, unsigned min_v6) {
  auto p = net::ip_prefix::parse(s);
  if (!p || s.find('/') == std::string_view::npos || !p->is_network()) return false;
  if (p->family == AF_INET6) return allow_v6 && p->length >= min_v6;
  return p->length >= min_v4;
}

bool interface_address_ok(std::string_view s) {
  return s.find('/') != std::string_view::npos && net::ip_prefix::parse(s).has_value();
}

bool cidr_contains(std::string_view cidr, std::string_view ip) {
  auto net = net::ip_prefix::parse(cidr);
  auto a = net::ip_prefix::parse_address(ip);
  return net && a && cidr.find('/') != std::string_view::npos && net->contains(*a);
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
