// DNS messages (RFC 1035) through c-ares: queries with EDNS0, and strict parsing of answers —
// TXT with several character-strings per record (joined per record), SRV, A and AAAA.
//
// A query that names nothing (NXDOMAIN) is told apart from a name without records of the type
// (NODATA); truncated, SERVFAIL, REFUSED and malformed answers are errors of their own, so the
// caller can fail static instead of acting on a partial view.
#pragma once

#include <brood/net/socket_address.hpp>
#include <brood/rt/result.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace brood::dns {

using rt::result;

enum class record_type : std::uint16_t { a = 1, ns = 2, txt = 16, aaaa = 28, srv = 33 };

enum class error {
  nxdomain = 1,  // the name does not exist
  nodata,        // the name exists, with no record of this type
  truncated,     // TC set: the answer is incomplete
  servfail,
  refused,
  bad_rcode,     // any other response code
  malformed,     // not a well-formed answer to a query
};
const std::error_category& error_category() noexcept;
inline std::error_code make_error_code(error e) noexcept { return {static_cast<int>(e), error_category()}; }

struct txt_record {
  std::vector<std::string> strings;  // the character-strings, in wire order
  std::string text() const;          // joined, as brood reads records
};

struct srv_record {
  std::uint16_t priority = 0, weight = 0, port = 0;
  std::string target;
};

/// A query for `name`/`type` with EDNS0 (a 4,096-byte UDP payload) and the RD bit. DoH uses
/// id 0 (RFC 8484 §4.1).
result<std::string> build_query(std::string_view name, record_type type, std::uint16_t id = 0);

/// The response code checks shared by every parser (QR set, RCODE, TC).
result<void> check_header(std::span<const std::uint8_t> msg);

result<std::vector<txt_record>> parse_txt(std::span<const std::uint8_t> msg);
result<std::vector<srv_record>> parse_srv(std::span<const std::uint8_t> msg);
/// The name servers an NS answer names.
result<std::vector<std::string>> parse_ns(std::span<const std::uint8_t> msg);
/// A and AAAA answers as addresses with port 0.
result<std::vector<net::socket_address>> parse_addresses(std::span<const std::uint8_t> msg, record_type type);

/// Splits `text` into character-strings of at most 255 bytes (the writer's side of TXT).
std::vector<std::string> split_txt(std::string_view text);

}  // namespace brood::dns

template <>
struct std::is_error_code_enum<brood::dns::error> : std::true_type {};
