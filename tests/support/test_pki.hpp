// test_pki: a throwaway certificate authority for TLS tests (BoringSSL, P-256, in a temp dir).
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace brood::test {

class test_pki {
 public:
  test_pki();   // a fresh CA in a fresh directory
  ~test_pki();  // removes the directory
  test_pki(const test_pki&) = delete;

  const std::string& ca_file() const { return _ca_file; }
  const std::string& dir() const { return _dir; }

  struct leaf {
    std::string cert_file, key_file;
  };
  /// A leaf for `sans` ("DNS:localhost", "IP:127.0.0.1"), valid from now + not_before_s to
  /// now + not_after_s, written as <dir>/<name>.crt and .key (overwriting).
  leaf issue(const std::string& name, const std::vector<std::string>& sans, long not_before_s = -60,
             long not_after_s = 86400, long serial = 2);

 private:
  std::string _dir, _ca_file;
  void* _ca_key = nullptr;   // EVP_PKEY*
  void* _ca_cert = nullptr;  // X509*
};

}  // namespace brood::test
