// DNS UPDATE (RFC 2136) messages and TSIG (RFC 8945, HMAC-SHA256): what the RFC 2136 provider
// sends a primary server. c-ares 1.18 builds queries only, so these messages are built here in
// plain wire format; the response side reads no more than the header and the TSIG record,
// strictly (it is fuzzed with the other DNS parsers).
#pragma once

#include <brood/dns/message.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace brood::dns {

/// One resource record of an update; `name` absolute, without the trailing dot.
struct resource_record {
  std::string name;
  record_type type = record_type::txt;
  std::uint32_t ttl = 0;
  std::string rdata;  // wire format
};

/// Wire-format RDATA: TXT `text` as 255-byte character-strings; SRV; A or AAAA from text.
std::string txt_rdata(std::string_view text);
result<std::string> srv_rdata(std::uint16_t priority, std::uint16_t weight, std::uint16_t port,
                              std::string_view target);
result<std::string> address_rdata(std::string_view ip, record_type type);
/// A name in uncompressed wire format (lower-cased when `canonical`); invalid_argument for an
/// empty label, a label over 63 bytes or a name over 255.
result<std::string> wire_name(std::string_view name, bool canonical = false);

struct update_message {
  std::string zone;
  /// Prerequisites (RFC 2136 §2.4): these RRsets exist with exactly these records (TTL not
  /// compared), and these (name, type) RRsets do not exist — so that an update made against a
  /// stale read fails (YXRRSET / NXRRSET) instead of overwriting someone else's change.
  std::vector<resource_record> exact;
  std::vector<std::pair<std::string, record_type>> absent;
  std::vector<resource_record> deletes;  // these records go (class NONE)
  std::vector<resource_record> adds;     // these records come
};
result<std::string> build_update(const update_message& u, std::uint16_t id);

struct tsig_key {
  std::string name;    // e.g. brood-update
  std::string secret;  // raw bytes (the base64 of the server's configuration, decoded)
};

/// Appends a TSIG record (hmac-sha256, fudge 300 s) to `msg` and increments ARCOUNT. Returns the
/// MAC, which the response's MAC covers.
result<std::string> tsig_sign(std::string& msg, const tsig_key& key, std::uint64_t now_s);

enum class tsig_error {
  missing = 1,  // the response carries no TSIG record
  bad_key,      // another key or algorithm (or the server's BADKEY)
  bad_sig,      // the MAC does not verify (or the server's BADSIG)
  bad_time,     // outside the fudge window (or the server's BADTIME)
};
const std::error_category& tsig_category() noexcept;
inline std::error_code make_error_code(tsig_error e) noexcept { return {static_cast<int>(e), tsig_category()}; }

/// Verifies the TSIG record that ends `response`, made for a request whose MAC was
/// `request_mac`, and the id it carries.
result<void> tsig_verify(std::span<const std::uint8_t> response, const tsig_key& key, std::string_view request_mac,
                         std::uint64_t now_s);

/// The response code of a message: the 4 header bits (UPDATE uses 6 YXDOMAIN, 7 YXRRSET,
/// 8 NXRRSET, 9 NOTAUTH, 10 NOTZONE besides the usual ones).
result<unsigned> response_code(std::span<const std::uint8_t> msg);

}  // namespace brood::dns

template <>
struct std::is_error_code_enum<brood::dns::tsig_error> : std::true_type {};
