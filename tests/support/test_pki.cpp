// test_pki: CA and leaf certificates built with BoringSSL's X509 API.
#include "support/test_pki.hpp"

#include <openssl/bio.h>
#include <openssl/ec_key.h>
#include <openssl/evp.h>
#include <openssl/obj.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

namespace brood::test {

namespace {

EVP_PKEY* new_key() {
  EC_KEY* ec = EC_KEY_new_by_curve_name(NID_X9_62_prime256v1);
  if (!ec || !EC_KEY_generate_key(ec)) throw std::runtime_error("EC keygen");
  EVP_PKEY* k = EVP_PKEY_new();
  EVP_PKEY_assign_EC_KEY(k, ec);
  return k;
}

void add_ext(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_nconf_nid(nullptr, &ctx, nid, value);
  if (!ext) throw std::runtime_error(std::string("extension ") + value);
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

X509* make_cert(EVP_PKEY* key, const char* cn, X509* issuer, long nb, long na, long serial) {
  X509* x = X509_new();
  X509_set_version(x, X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
  X509_gmtime_adj(X509_getm_notBefore(x), nb);
  X509_gmtime_adj(X509_getm_notAfter(x), na);
  X509_set_pubkey(x, key);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn), -1, -1, 0);
  X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
  return x;
}

void write_pem(const std::string& path, X509* cert, EVP_PKEY* key) {
  BIO* b = BIO_new_file(path.c_str(), "w");
  if (!b) throw std::runtime_error("cannot write " + path);
  if (cert) PEM_write_bio_X509(b, cert);
  if (key) PEM_write_bio_PrivateKey(b, key, nullptr, nullptr, 0, nullptr, nullptr);
  BIO_free(b);
}

}  // namespace

test_pki::test_pki() {
  char tmpl[] = "/tmp/brood-pki-XXXXXX";
  if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp");
  _dir = tmpl;
  EVP_PKEY* key = new_key();
  std::string cn = "brood test CA " + _dir.substr(_dir.rfind('-') + 1);  // distinct per instance
  X509* ca = make_cert(key, cn.c_str(), nullptr, -3600, 86400 * 30, 1);
  add_ext(ca, ca, NID_basic_constraints, "critical,CA:TRUE");
  add_ext(ca, ca, NID_key_usage, "critical,keyCertSign,cRLSign");
  X509_sign(ca, key, EVP_sha256());
  _ca_file = _dir + "/ca.crt";
  write_pem(_ca_file, ca, nullptr);
  _ca_key = key;
  _ca_cert = ca;
}

test_pki::~test_pki() {
  EVP_PKEY_free(static_cast<EVP_PKEY*>(_ca_key));
  X509_free(static_cast<X509*>(_ca_cert));
  std::error_code ec;
  std::filesystem::remove_all(_dir, ec);
}

test_pki::leaf test_pki::issue(const std::string& name, const std::vector<std::string>& sans, long nb, long na,
                               long serial) {
  auto* ca = static_cast<X509*>(_ca_cert);
  auto* ca_key = static_cast<EVP_PKEY*>(_ca_key);
  EVP_PKEY* key = new_key();
  X509* x = make_cert(key, name.c_str(), ca, nb, na, serial);
  std::string san;
  for (auto& s : sans) san += (san.empty() ? "" : ",") + s;
  if (!san.empty()) add_ext(x, ca, NID_subject_alt_name, san.c_str());
  add_ext(x, ca, NID_basic_constraints, "critical,CA:FALSE");
  add_ext(x, ca, NID_ext_key_usage, "serverAuth,clientAuth");
  X509_sign(x, ca_key, EVP_sha256());
  leaf l{_dir + "/" + name + ".crt", _dir + "/" + name + ".key"};
  write_pem(l.cert_file, x, nullptr);
  write_pem(l.key_file, nullptr, key);
  X509_free(x);
  EVP_PKEY_free(key);
  return l;
}

}  // namespace brood::test
