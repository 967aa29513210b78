// The served certificate's validity, names and key, read with BoringSSL.
#include <brood/scout/certificate.hpp>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/mem.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cctype>
#include <memory>

namespace brood::scout {

namespace {

struct x509_free {
  void operator()(X509* x) const noexcept { X509_free(x); }
};
using x509_ptr = std::unique_ptr<X509, x509_free>;

x509_ptr leaf_of(std::string_view pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (!bio) return nullptr;
  x509_ptr x(PEM_read_bio_X509(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  return x;
}

/// This BoringSSL has no ASN1_TIME_to_posix: the time is its distance from the epoch.
bool to_ms(const ASN1_TIME* t, std::int64_t* out) {
  if (!t) return false;
  ASN1_TIME* epoch = ASN1_TIME_set(nullptr, 0);
  if (!epoch) return false;
  int days = 0, seconds = 0;
  const bool ok = ASN1_TIME_diff(&days, &seconds, epoch, t) == 1;
  ASN1_TIME_free(epoch);
  if (!ok) return false;
  *out = (static_cast<std::int64_t>(days) * 86400 + seconds) * 1000;
  return true;
}

}  // namespace

rt::result<certificate_info> inspect_certificate(std::string_view chain_pem) {
  auto x = leaf_of(chain_pem);
  if (!x) return std::errc::bad_message;
  certificate_info info;
  if (!to_ms(X509_get0_notBefore(x.get()), &info.not_before_ms) || !to_ms(X509_get0_notAfter(x.get()), &info.not_after_ms) ||
      info.not_after_ms <= info.not_before_ms)
    return std::errc::bad_message;
  auto* names = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(x.get(), NID_subject_alt_name, nullptr, nullptr));
  if (names) {
    for (size_t i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
      const GENERAL_NAME* g = sk_GENERAL_NAME_value(names, i);
      if (g->type != GEN_DNS) continue;
      const ASN1_STRING* s = g->d.dNSName;
      std::string n(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)), static_cast<std::size_t>(ASN1_STRING_length(s)));
      std::transform(n.begin(), n.end(), n.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      info.dns_names.push_back(std::move(n));
    }
    GENERAL_NAMES_free(names);
  }
  if (BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x.get()), nullptr)) {
    if (char* hex = BN_bn2hex(bn)) {
      info.serial = hex;
      OPENSSL_free(hex);
    }
    BN_free(bn);
  }
  return info;
}

bool certificate_matches_key(std::string_view chain_pem, std::string_view key_pem) {
  auto x = leaf_of(chain_pem);
  if (!x) return false;
  BIO* bio = BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size()));
  if (!bio) return false;
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (!key) return false;
  const bool ok = X509_check_private_key(x.get(), key) == 1;
  EVP_PKEY_free(key);
  return ok;
}

std::int64_t renewal_time_ms(const certificate_info& c) noexcept {
  return c.not_before_ms + (c.not_after_ms - c.not_before_ms) * 2 / 3;
}

bool covers(const certificate_info& c, const std::vector<std::string>& names) {
  return std::all_of(names.begin(), names.end(), [&](const std::string& n) {
    return std::find(c.dns_names.begin(), c.dns_names.end(), n) != c.dns_names.end();
  });
}

}  // namespace brood::scout
