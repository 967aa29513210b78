// acme csr: the request built with BoringSSL's X509_REQ; names checked before they reach it.
#include <brood/acme/csr.hpp>

#include <brood/crypto/identity.hpp>

#include <openssl/evp.h>
#include <openssl/mem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cstdint>

namespace brood::acme {

namespace {
/// A host name as certificates carry it: lower-case LDH labels of 1 to 63, 253 in all, no
/// leading or trailing hyphen, at least two labels.
bool dns_name(std::string_view n) {
  if (n.empty() || n.size() > 253 || n.find('.') == std::string_view::npos) return false;
  std::size_t start = 0;
  while (start <= n.size()) {
    auto end = n.find('.', start);
    if (end == std::string_view::npos) end = n.size();
    const auto label = n.substr(start, end - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    if (!std::all_of(label.begin(), label.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; }))
      return false;
    start = end + 1;
  }
  return true;
}
}  // namespace

rt::result<std::string> make_csr(const ec_key& certificate_key, const std::vector<std::string>& names) {
  if (names.empty() || !std::all_of(names.begin(), names.end(), [](const std::string& n) { return dns_name(n); }))
    return std::errc::invalid_argument;
  std::string san;
  for (auto& n : names) san += (san.empty() ? "DNS:" : ",DNS:") + n;

  X509_REQ* req = X509_REQ_new();
  X509_NAME* subject = X509_NAME_new();
  X509_EXTENSION* ext = X509V3_EXT_nconf_nid(nullptr, nullptr, NID_subject_alt_name, san.c_str());
  STACK_OF(X509_EXTENSION)* exts = sk_X509_EXTENSION_new_null();
  std::string out;
  bool ok = req && subject && ext && exts && X509_REQ_set_version(req, 0) &&
            X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8, reinterpret_cast<const std::uint8_t*>(names[0].data()),
                                       static_cast<int>(names[0].size()), -1, 0) &&
            X509_REQ_set_subject_name(req, subject) && X509_REQ_set_pubkey(req, certificate_key.get()) &&
            sk_X509_EXTENSION_push(exts, ext);
  if (ok) ext = nullptr;  // the stack owns it now
  ok = ok && X509_REQ_add_extensions(req, exts) && X509_REQ_sign(req, certificate_key.get(), EVP_sha256());
  std::uint8_t* der = nullptr;
  const int len = ok ? i2d_X509_REQ(req, &der) : -1;
  if (len > 0) out = crypto::base64url(std::span<const std::uint8_t>(der, static_cast<std::size_t>(len)));
  OPENSSL_free(der);
  X509_EXTENSION_free(ext);
  sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
  X509_NAME_free(subject);
  X509_REQ_free(req);
  if (len <= 0) return std::errc::invalid_argument;
  return out;
}

}  // namespace brood::acme
