// acme resources: each document walked member by member over json::value; statuses by name.
#include <brood/acme/resources.hpp>

#include <brood/json/value.hpp>

#include <algorithm>
#include <array>
#include <utility>

namespace brood::acme {

namespace {
constexpr std::size_t max_document = 256 * 1024;  // an order for 100 names is a few KB
constexpr std::size_t max_list = 1000;            // RFC 8555 bounds nothing; Let's Encrypt allows 100 names

bool https_url(const std::string& u) { return u.size() > 8 && u.size() <= 2048 && u.rfind("https://", 0) == 0; }

/// A string member; nullptr when missing or not a string.
const std::string* string_member(const json::value& o, std::string_view key) {
  const auto* m = o.find(key);
  return m ? m->as_string() : nullptr;
}

/// A URL member that must be there.
bool url_member(const json::value& o, std::string_view key, std::string& out) {
  const auto* s = string_member(o, key);
  if (!s || !https_url(*s)) return false;
  out = *s;
  return true;
}

template <class E, std::size_t N>
std::optional<E> status_of(const json::value& o, const std::array<std::pair<std::string_view, E>, N>& names) {
  const auto* s = string_member(o, "status");
  if (!s) return std::nullopt;
  for (auto& [n, e] : names)
    if (*s == n) return e;
  return std::nullopt;
}

constexpr std::array<std::pair<std::string_view, order_status>, 5> order_statuses{{
    {"pending", order_status::pending},
    {"ready", order_status::ready},
    {"processing", order_status::processing},
    {"valid", order_status::valid},
    {"invalid", order_status::invalid},
}};
constexpr std::array<std::pair<std::string_view, authorization_status>, 6> authorization_statuses{{
    {"pending", authorization_status::pending},
    {"valid", authorization_status::valid},
    {"invalid", authorization_status::invalid},
    {"deactivated", authorization_status::deactivated},
    {"expired", authorization_status::expired},
    {"revoked", authorization_status::revoked},
}};
constexpr std::array<std::pair<std::string_view, challenge_status>, 4> challenge_statuses{{
    {"pending", challenge_status::pending},
    {"processing", challenge_status::processing},
    {"valid", challenge_status::valid},
    {"invalid", challenge_status::invalid},
}};

rt::result<json::value> document(std::string_view text) {
  json::parse_limits limits;
  limits.max_bytes = max_document;
  limits.max_depth = 8;
  auto v = json::parse(text, limits);
  if (!v || !v->is_object()) return std::errc::bad_message;
  return v;
}

/// A token as §8.1 has it: base64url characters only, 128 bits at least (22 characters).
bool token_ok(const std::string& t) {
  return t.size() >= 22 && t.size() <= 256 && std::all_of(t.begin(), t.end(), [](char c) {
           return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
         });
}
}  // namespace

const challenge* authorization::dns01() const noexcept {
  for (auto& c : challenges)
    if (c.type == "dns-01") return &c;
  return nullptr;
}

std::string_view problem::name() const noexcept {
  constexpr std::string_view ns = "urn:ietf:params:acme:error:";
  std::string_view t = type;
  return t.rfind(ns, 0) == 0 ? t.substr(ns.size()) : t;
}

rt::result<directory> parse_directory(std::string_view text) {
  auto v = document(text);
  if (!v) return v.error();
  directory d;
  if (!url_member(*v, "newNonce", d.new_nonce) || !url_member(*v, "newAccount", d.new_account) ||
      !url_member(*v, "newOrder", d.new_order))
    return std::errc::bad_message;
  if (v->find("renewalInfo") && !url_member(*v, "renewalInfo", d.renewal_info)) return std::errc::bad_message;
  if (const auto* meta = v->find("meta")) {
    if (!meta->is_object()) return std::errc::bad_message;
    if (const auto* tos = string_member(*meta, "termsOfService")) d.terms_of_service = *tos;
  }
  return d;
}

rt::result<order> parse_order(std::string_view text) {
  auto v = document(text);
  if (!v) return v.error();
  order o;
  auto st = status_of(*v, order_statuses);
  const auto* authz = v->find("authorizations");
  if (!st || !authz || !authz->as_array() || authz->as_array()->empty() || authz->as_array()->size() > max_list ||
      !url_member(*v, "finalize", o.finalize))
    return std::errc::bad_message;
  o.status = *st;
  for (auto& a : *authz->as_array()) {
    const auto* u = a.as_string();
    if (!u || !https_url(*u)) return std::errc::bad_message;
    o.authorizations.push_back(*u);
  }
  if (o.status == order_status::valid && !url_member(*v, "certificate", o.certificate)) return std::errc::bad_message;
  return o;
}

rt::result<authorization> parse_authorization(std::string_view text) {
  auto v = document(text);
  if (!v) return v.error();
  authorization a;
  auto st = status_of(*v, authorization_statuses);
  const auto* id = v->find("identifier");
  const auto* type = id ? string_member(*id, "type") : nullptr;
  const auto* name = id ? string_member(*id, "value") : nullptr;
  const auto* list = v->find("challenges");
  if (!st || !type || *type != "dns" || !name || name->empty() || name->size() > 253 || !list || !list->as_array() ||
      list->as_array()->size() > 16)
    return std::errc::bad_message;
  a.status = *st;
  a.identifier = *name;
  if (const auto* w = v->find("wildcard")) {
    if (!w->as_bool()) return std::errc::bad_message;
    a.wildcard = *w->as_bool();
  }
  for (auto& c : *list->as_array()) {
    challenge ch;
    const auto* t = string_member(c, "type");
    auto cst = status_of(c, challenge_statuses);
    if (!t || !cst || !url_member(c, "url", ch.url)) return std::errc::bad_message;
    ch.type = *t;
    ch.status = *cst;
    if (const auto* tok = string_member(c, "token")) ch.token = *tok;
    // A dns-01 challenge without a usable token cannot be answered: the document is refused
    // rather than the challenge skipped, so that a server's mistake is seen as one.
    if (ch.type == "dns-01" && !token_ok(ch.token)) return std::errc::bad_message;
    a.challenges.push_back(std::move(ch));
  }
  return a;
}

rt::result<problem> parse_problem(std::string_view text) {
  auto v = document(text);
  if (!v) return v.error();
  const auto* type = string_member(*v, "type");
  if (!type || type->empty()) return std::errc::bad_message;
  problem p;
  p.type = *type;
  if (const auto* d = string_member(*v, "detail")) p.detail = d->substr(0, 1024);
  return p;
}

}  // namespace brood::acme
