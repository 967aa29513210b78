// STUN Binding messages (RFC 8489): the request brood sends and the strict parser for answers.
#include <brood/stun/message.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

namespace brood::stun {

namespace {

constexpr std::uint16_t attr_mapped_address = 0x0001;
constexpr std::uint16_t attr_message_integrity = 0x0008;
constexpr std::uint16_t attr_error_code = 0x0009;
constexpr std::uint16_t attr_unknown_attributes = 0x000A;
constexpr std::uint16_t attr_xor_mapped_address = 0x0020;
constexpr std::uint16_t attr_message_integrity_sha256 = 0x001C;
constexpr std::uint16_t attr_software = 0x8022;
constexpr std::uint16_t attr_alternate_server = 0x8023;
constexpr std::uint16_t attr_fingerprint = 0x8028;
constexpr std::uint16_t attr_response_origin = 0x802B;
constexpr std::uint16_t attr_other_address = 0x802C;
constexpr std::uint32_t fingerprint_xor = 0x5354554E;
constexpr char software_name[] = "brood";

class category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "stun"; }
  std::string message(int e) const override {
    switch (static_cast<error>(e)) {
      case error::short_message: return "STUN message shorter than its header says";
      case error::not_stun: return "not a STUN message (type bits or magic cookie)";
      case error::bad_length: return "STUN length not a multiple of 4 or not the datagram's";
      case error::bad_attribute: return "STUN attribute overruns the message";
      case error::bad_address: return "STUN address attribute malformed";
      case error::bad_fingerprint: return "STUN FINGERPRINT wrong or not last";
      case error::unknown_required: return "STUN answer carries an unknown comprehension-required attribute";
      case error::bad_error_code: return "STUN ERROR-CODE malformed";
      case error::no_mapped_address: return "STUN success response without a mapped address";
      case error::error_response: return "STUN server answered with an error";
    }
    return "unknown STUN error";
  }
};

std::uint16_t get16(const std::uint8_t* p) noexcept { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }
std::uint32_t get32(const std::uint8_t* p) noexcept {
  return std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 | p[3];
}
void put16(std::vector<std::uint8_t>& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}
void put32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  put16(out, static_cast<std::uint16_t>(v >> 16));
  put16(out, static_cast<std::uint16_t>(v));
}
void set16(std::uint8_t* p, std::uint16_t v) noexcept {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}

/// (XOR-)MAPPED-ADDRESS, OTHER-ADDRESS, RESPONSE-ORIGIN: 0, family, port, address (RFC 8489 §14.1-2).
result<net::socket_address> decode_address(std::span<const std::uint8_t> v, bool xored, const transaction_id& tid) {
  if (v.size() < 4 || v[0] != 0) return error::bad_address;
  std::uint16_t port = get16(&v[2]);
  if (xored) port ^= static_cast<std::uint16_t>(magic_cookie >> 16);
  if (v[1] == 0x01) {
    if (v.size() != 8) return error::bad_address;
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    std::uint32_t a = get32(&v[4]);
    if (xored) a ^= magic_cookie;
    sa.sin_addr.s_addr = htonl(a);
    return net::socket_address(reinterpret_cast<const sockaddr*>(&sa), sizeof sa);
  }
  if (v[1] == 0x02) {
    if (v.size() != 20) return error::bad_address;
    sockaddr_in6 sa{};
    sa.sin6_family = AF_INET6;
    sa.sin6_port = htons(port);
    std::uint8_t mask[16];
    for (int i = 0; i < 4; ++i) mask[i] = static_cast<std::uint8_t>(magic_cookie >> (24 - 8 * i));
    std::memcpy(mask + 4, tid.data(), tid.size());
    for (int i = 0; i < 16; ++i) sa.sin6_addr.s6_addr[i] = static_cast<std::uint8_t>(v[4 + i] ^ (xored ? mask[i] : 0));
    return net::socket_address(reinterpret_cast<const sockaddr*>(&sa), sizeof sa);
  }
  return error::bad_address;
}

}  // namespace

const std::error_category& error_category() noexcept {
  static const category c;
  return c;
}

std::uint32_t crc32(std::span<const std::uint8_t> bytes) noexcept {
  static const auto table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  std::uint32_t c = 0xFFFFFFFFu;
  for (auto b : bytes) c = table[(c ^ b) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

std::vector<std::uint8_t> binding_request(const transaction_id& tid) {
  std::vector<std::uint8_t> out;
  out.reserve(header_size + 12 + 8);
  put16(out, static_cast<std::uint16_t>(message_type::binding_request));
  put16(out, 0);
  put32(out, magic_cookie);
  out.insert(out.end(), tid.begin(), tid.end());
  constexpr std::size_t sw = sizeof software_name - 1;
  put16(out, attr_software);
  put16(out, sw);
  out.insert(out.end(), software_name, software_name + sw);
  out.resize(out.size() + (4 - sw % 4) % 4, 0);
  // FINGERPRINT covers the header with the length already counting FINGERPRINT itself.
  set16(&out[2], static_cast<std::uint16_t>(out.size() - header_size + 8));
  const std::uint32_t fp = crc32(out) ^ fingerprint_xor;
  put16(out, attr_fingerprint);
  put16(out, 4);
  put32(out, fp);
  return out;
}

result<message> parse(std::span<const std::uint8_t> b) {
  if (b.size() < header_size) return error::short_message;
  message m;
  m.type = get16(&b[0]);
  if ((m.type & 0xC000) != 0 || get32(&b[4]) != magic_cookie) return error::not_stun;
  const std::size_t length = get16(&b[2]);
  if (length % 4 != 0) return error::bad_length;
  if (b.size() < header_size + length) return error::short_message;
  if (b.size() != header_size + length) return error::bad_length;
  std::memcpy(m.tid.data(), &b[8], m.tid.size());

  std::size_t at = header_size;
  bool after_integrity = false;
  while (at < b.size()) {
    if (b.size() - at < 4) return error::bad_attribute;
    const std::uint16_t type = get16(&b[at]);
    const std::size_t len = get16(&b[at + 2]);
    const std::size_t padded = (len + 3) & ~std::size_t{3};
    if (b.size() - at - 4 < padded) return error::bad_attribute;
    const auto value = b.subspan(at + 4, len);  // padding bytes may hold anything (RFC 8489 §14)
    switch (type) {
      case attr_xor_mapped_address:
      case attr_mapped_address:
      case attr_other_address:
      case attr_response_origin: {
        auto a = decode_address(value, type == attr_xor_mapped_address, m.tid);
        if (!a) return a.error();
        auto& slot = type == attr_xor_mapped_address ? m.xor_mapped
                     : type == attr_mapped_address   ? m.mapped
                     : type == attr_other_address    ? m.other_address
                                                     : m.response_origin;
        if (!after_integrity && !slot) slot = *a;  // the first of a repeated attribute counts
        break;
      }
      case attr_error_code: {
        if (len < 4 || value[0] != 0 || value[1] != 0 || (value[2] & 0xF8) != 0) return error::bad_error_code;
        const unsigned cls = value[2] & 0x07, number = value[3];
        if (cls < 3 || cls > 6 || number > 99) return error::bad_error_code;
        if (!after_integrity && !m.error_code) {
          m.error_code = static_cast<std::uint16_t>(cls * 100 + number);
          m.error_reason.assign(reinterpret_cast<const char*>(value.data()) + 4, len - 4);
        }
        break;
      }
      case attr_software:
        if (!after_integrity) m.software.assign(reinterpret_cast<const char*>(value.data()), len);
        break;
      case attr_message_integrity:
      case attr_message_integrity_sha256:
        // brood sends no credentials, so there is nothing to check it against; what follows it
        // other than FINGERPRINT is to be ignored (RFC 8489 §14.5).
        after_integrity = true;
        break;
      case attr_fingerprint: {
        // Last, so the header's length already counts it, as the CRC's input must.
        if (len != 4 || at + 8 != b.size()) return error::bad_fingerprint;
        if ((crc32(b.first(at)) ^ fingerprint_xor) != get32(value.data())) return error::bad_fingerprint;
        m.fingerprint = true;
        break;
      }
      case attr_unknown_attributes:
      case attr_alternate_server:
        break;  // known; brood does not follow redirects
      default:
        if (type < 0x8000 && !after_integrity) return error::unknown_required;
        break;  // comprehension-optional: ignored
    }
    at += 4 + padded;
  }
  return m;
}

result<net::socket_address> binding_answer(const message& m) {
  if (m.type == static_cast<std::uint16_t>(message_type::binding_error)) return error::error_response;
  if (m.type != static_cast<std::uint16_t>(message_type::binding_success)) return error::not_stun;
  if (!m.reflexive()) return error::no_mapped_address;
  return *m.reflexive();
}

}  // namespace brood::stun
