// STUN messages (RFC 8489) for Binding, the only method brood uses: building a request and
// strictly parsing what comes back. A response is accepted only when every byte is accounted
// for: the header (type, length, magic cookie), each attribute's length with its padding, known
// attributes' contents, FINGERPRINT last and correct when present, no unknown
// comprehension-required attribute (RFC 8489 §6.3.4).
#pragma once

#include <brood/net/socket_address.hpp>
#include <brood/rt/result.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <vector>

namespace brood::stun {

using rt::result;

inline constexpr std::uint32_t magic_cookie = 0x2112A442;
inline constexpr std::size_t header_size = 20;

enum class message_type : std::uint16_t {
  binding_request = 0x0001,
  binding_success = 0x0101,
  binding_error = 0x0111,
};

enum class error {
  short_message = 1,      // fewer than 20 bytes, or fewer than the header's length says
  not_stun,               // top bits of the type set, or no magic cookie
  bad_length,             // the header's length is not a multiple of 4 or not the datagram's
  bad_attribute,          // an attribute (with its padding) overruns the message
  bad_address,            // a (XOR-)MAPPED-ADDRESS of a wrong size or family
  bad_fingerprint,        // FINGERPRINT wrong, of the wrong size, or not the last attribute
  unknown_required,       // an unknown comprehension-required attribute
  bad_error_code,         // ERROR-CODE malformed (class outside 3..6, number above 99)
  no_mapped_address,      // a success response without XOR-MAPPED-ADDRESS or MAPPED-ADDRESS
  error_response,         // the server answered with an error (see message::error_code)
};
const std::error_category& error_category() noexcept;
inline std::error_code make_error_code(error e) noexcept { return {static_cast<int>(e), error_category()}; }

using transaction_id = std::array<std::uint8_t, 12>;

/// A parsed message: its class and method as one type, its transaction id, and the attributes
/// brood reads. Addresses carry their port.
struct message {
  std::uint16_t type = 0;
  transaction_id tid{};
  std::optional<net::socket_address> xor_mapped;      // XOR-MAPPED-ADDRESS
  std::optional<net::socket_address> mapped;          // MAPPED-ADDRESS (RFC 3489 servers)
  std::optional<net::socket_address> other_address;   // OTHER-ADDRESS (RFC 5780)
  std::optional<net::socket_address> response_origin; // RESPONSE-ORIGIN (RFC 5780)
  std::optional<std::uint16_t> error_code;            // 300..699 from ERROR-CODE
  std::string error_reason;
  std::string software;
  bool fingerprint = false;  // present (and then correct)

  /// The reflexive address: XOR-MAPPED-ADDRESS, else MAPPED-ADDRESS.
  const std::optional<net::socket_address>& reflexive() const noexcept { return xor_mapped ? xor_mapped : mapped; }
};

/// A Binding request with transaction id `tid`, SOFTWARE and FINGERPRINT.
std::vector<std::uint8_t> binding_request(const transaction_id& tid);

/// Parses any STUN message strictly (see above). Requests parse too; callers check the type.
result<message> parse(std::span<const std::uint8_t> bytes);

/// What a Binding transaction's answer says: the reflexive address of a success response, or
/// error::error_response (the ERROR-CODE is in `m`), or the reason it is unusable.
result<net::socket_address> binding_answer(const message& m);

/// CRC-32 (ISO-HDLC, as FINGERPRINT uses before its XOR).
std::uint32_t crc32(std::span<const std::uint8_t> bytes) noexcept;

}  // namespace brood::stun

template <>
struct std::is_error_code_enum<brood::stun::error> : std::true_type {};
