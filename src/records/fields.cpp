// Record syntax: strict field parsing, canonical bytes, signing and verification.
#include <brood/crypto/box.hpp>
#include <brood/records/fields.hpp>

#include "values.hpp"

#include <algorithm>

namespace brood::records {

namespace {
class category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "record"; }
  std::string message(int v) const override {
    switch (static_cast<error>(v)) {
      case error::syntax: return "not a list of key=value fields";
      case error::duplicate_key: return "a field appears twice";
      case error::wrong_version: return "missing or unsupported v=";
      case error::missing_field: return "a required field is missing";
      case error::bad_value: return "a field value does not parse";
      case error::bad_signature: return "signature does not verify";
      case error::untrusted: return "not signed by a pinned scout";
      case error::replayed: return "older than a record already accepted";
      case error::too_large: return "record larger than 4,096 bytes";
      case error::set_too_large: return "records of one name larger than 8,192 characters";
      case error::cannot_decrypt: return "no known brood key opens the encrypted value";
      case error::misfiled: return "member record under another shard's name";
      case error::withheld: return "fewer valid members than the shard header counts";
      case error::no_header: return "set without a valid header";
      case error::incomplete: return "records differ from what the set's header lists";
      case error::no_such_vlan: return "membership of a vlan _vl does not list";
    }
    return "record error";
  }
};

bool key_ok(std::string_view k) {
  if (k.empty() || k.size() > 32 || !(k[0] >= 'a' && k[0] <= 'z')) return false;
  return std::all_of(k.begin(), k.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); });
}

bool value_ok(std::string_view v) {
  return !v.empty() && std::all_of(v.begin(), v.end(), [](char c) { return c >= 0x21 && c <= 0x7e; });
}
}  // namespace

const std::error_category& error_category() noexcept {
  static const category c;
  return c;
}

field_list::field_list(field_list&& o) noexcept = default;
field_list& field_list::operator=(field_list&& o) noexcept = default;

result<field_list> field_list::parse(std::string text) {
  if (text.size() > 4096) return error::too_large;
  field_list f;
  f._text = std::make_unique<std::string>(std::move(text));
  std::string_view rest = *f._text;
  if (rest.empty()) return error::syntax;
  while (!rest.empty()) {
    auto sp = rest.find(' ');
    std::string_view item = rest.substr(0, sp);
    if (sp == std::string_view::npos)
      rest = {};
    else if (sp + 1 == rest.size())
      return error::syntax;  // a trailing space
    else
      rest.remove_prefix(sp + 1);
    auto eq = item.find('=');
    if (eq == std::string_view::npos) return error::syntax;
    std::string_view k = item.substr(0, eq), v = item.substr(eq + 1);
    if (!key_ok(k) || !value_ok(v)) return error::syntax;
    for (auto& [ek, ev] : f._fields)
      if (ek == k) return error::duplicate_key;
    f._fields.emplace_back(k, v);
  }
  if (f._fields.front().first != "v" || f._fields.front().second != "1") return error::wrong_version;
  return f;
}

std::optional<std::string_view> field_list::get(std::string_view key) const noexcept {
  for (auto& [k, v] : _fields)
    if (k == key) return v;
  return std::nullopt;
}

std::string canonical_bytes(std::string_view type, std::string_view owner,
                            const ordered_fields& ordered) {
  if (!owner.empty() && owner.back() == '.') owner.remove_suffix(1);
  std::string out = "brood1\n";
  out += type;
  out += '\n';
  for (char c : owner) out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  out += '\n';
  for (auto& [k, v] : ordered) {
    out += k;
    out += '=';
    out += v;
    out += '\n';
  }
  return out;
}

std::string sign_record(std::string_view type, std::string_view owner,
                        const ordered_fields& ordered,
                        const crypto::identity& signer) {
  auto bytes = canonical_bytes(type, owner, ordered);
  auto sig = signer.sign(crypto::bytes_of(bytes));
  std::string text;
  for (auto& [k, v] : ordered) {
    if (!text.empty()) text += ' ';
    text += k;
    text += '=';
    text += v;
  }
  text += " sig=" + crypto::base64url(sig);
  return text;
}

result<crypto::public_key> verify_record(std::string_view type, std::string_view owner,
                                         const ordered_fields& ordered,
                                         std::string_view sig, std::span<const crypto::public_key> signers) {
  auto raw = crypto::from_base64url(sig);
  if (!raw || raw->size() != 64) return error::bad_signature;
  crypto::signature s{};
  std::copy(raw->begin(), raw->end(), s.begin());
  auto bytes = canonical_bytes(type, owner, ordered);
  for (auto& pk : signers)
    if (crypto::verify(pk, crypto::bytes_of(bytes), s)) return pk;
  return error::untrusted;  // no pinned key made this signature (or it was altered)
}

result<checked_record> check_record(std::string text, std::string_view type, std::span<const std::string_view> schema,
                                    std::string_view owner, std::span<const crypto::public_key> signers,
                                    signer_rule rule) {
  auto f = field_list::parse(std::move(text));
  if (!f) return f.error();
  for (auto k : schema)
    if (!f->get(k)) return error::missing_field;
  auto sig = f->get("sig");
  if (!sig) return error::missing_field;
  if (f->fields().back().first != "sig") return error::syntax;  // nothing after the signature
  if (rule == signer_rule::covered) {
    if (sig->size() != 86 || !crypto::from_base64url(*sig)) return error::bad_signature;
    return checked_record{std::move(*f), {}};
  }
  ordered_fields ordered;
  ordered.reserve(schema.size());
  for (auto k : schema) ordered.emplace_back(k, std::string(*f->get(k)));
  std::vector<crypto::public_key> own;
  if (rule == signer_rule::self) {
    auto pk = f->get("pk");
    auto key = pk ? values::parse_key(*pk) : std::nullopt;
    if (!key) return error::bad_value;
    own.push_back(*key);
    signers = own;
  }
  auto signer = verify_record(type, owner, ordered, *sig, signers);
  if (!signer) return signer.error();
  return checked_record{std::move(*f), *signer};
}

}  // namespace brood::records
