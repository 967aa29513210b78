// The common syntax of brood's records (docs/records.md §1): `key=value` fields separated by
// single spaces, the canonical bytes that signatures cover, and the reasons a record is refused.
#pragma once

#include <brood/crypto/identity.hpp>
#include <brood/rt/result.hpp>

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace brood::records {

using rt::result;

enum class error {
  syntax = 1,     // not a space-separated list of key=value fields
  duplicate_key,  // a field appears twice
  wrong_version,  // v= is missing or not 1
  missing_field,  // a field the record type requires is absent
  bad_value,      // a field's value does not parse
  bad_signature,  // sig= does not verify over the canonical bytes
  untrusted,      // signed by a key that is not a pinned scout
  replayed,       // ts or kv lower than already accepted
  too_large,      // over 4,096 bytes of RDATA
  set_too_large,  // one name's records over 8,192 characters together
  cannot_decrypt, // no brood_key in the ring opens the box (or it was altered)
  misfiled,       // a member record under another shard's name
  withheld,       // fewer valid members than the shard header counts
  no_header,      // a set's name without a valid header record
  incomplete,     // a set's records differ from what its header lists (a write under way?)
  no_such_vlan,   // a membership of a vlan that _vl does not list
};
const std::error_category& error_category() noexcept;
inline std::error_code make_error_code(error e) noexcept { return {static_cast<int>(e), error_category()}; }

/// A parsed record: its text and views into it. Unknown keys are kept (and ignored). The text
/// lives on the heap so that the views survive moving the list (a short std::string keeps its
/// characters inside the object, where a move would leave the views behind).
class field_list {
 public:
  static result<field_list> parse(std::string text);
  field_list(field_list&&) noexcept;
  field_list& operator=(field_list&&) noexcept;
  field_list(const field_list&) = delete;

  std::optional<std::string_view> get(std::string_view key) const noexcept;
  const std::vector<std::pair<std::string_view, std::string_view>>& fields() const noexcept { return _fields; }

 private:
  field_list() = default;
  std::unique_ptr<std::string> _text;
  std::vector<std::pair<std::string_view, std::string_view>> _fields;
};

using ordered_fields = std::vector<std::pair<std::string_view, std::string>>;

/// The bytes a record's signature covers: "brood1\n<type>\n<owner>\n" then "key=value\n" for
/// each field in `ordered` (the type's schema order, sig excluded). `owner` is lower-cased and
/// loses a trailing dot.
std::string canonical_bytes(std::string_view type, std::string_view owner,
                            const ordered_fields& ordered);

/// Appends " sig=<base64url>" signed by `signer` to a record built from `ordered`.
std::string sign_record(std::string_view type, std::string_view owner,
                        const ordered_fields& ordered,
                        const crypto::identity& signer);

/// Checks `sig` over the canonical bytes against each of `signers`; returns the one that
/// signed, or bad_signature / untrusted.
result<crypto::public_key> verify_record(std::string_view type, std::string_view owner,
                                         const ordered_fields& ordered,
                                         std::string_view sig, std::span<const crypto::public_key> signers);

/// Who must have signed a record.
enum class signer_rule {
  scouts,   // one of the given scout keys
  self,     // the key in the record's own pk= field (_p records)
  covered,  // nobody checked here: the record is one of a set whose header, already verified,
            // commits to its exact bytes (docs/records.md §2); sig= must still be well formed
};

/// A record whose fields the schema requires are all present and whose signature verified.
struct checked_record {
  field_list fields;
  crypto::public_key signer{};
  /// A field the schema listed (present by construction).
  std::string_view operator[](std::string_view key) const { return *fields.get(key); }
};

/// Parses `text`, requires every field of `schema` (the type's signing order, v first, sig
/// not listed) and checks sig by `rule`.
result<checked_record> check_record(std::string text, std::string_view type, std::span<const std::string_view> schema,
                                    std::string_view owner, std::span<const crypto::public_key> signers,
                                    signer_rule rule = signer_rule::scouts);

}  // namespace brood::records

template <>
struct std::is_error_code_enum<brood::records::error> : std::true_type {};
