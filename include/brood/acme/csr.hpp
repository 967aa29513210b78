// acme csr: the certificate signing request an order is finalized with (RFC 8555 §7.4): PKCS#10
// (RFC 2986) over the certificate key, every name as a dNSName subjectAltName, the first also
// as the subject's CN, signed with SHA-256.
#pragma once

#include <brood/acme/ec_key.hpp>

#include <string>
#include <vector>

namespace brood::acme {

/// The CSR, DER-encoded then base64url as finalize wants it; std::errc::invalid_argument for no
/// names or a name that is not a DNS name.
rt::result<std::string> make_csr(const ec_key& certificate_key, const std::vector<std::string>& names);

}  // namespace brood::acme
