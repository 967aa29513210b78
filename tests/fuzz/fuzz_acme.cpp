// libFuzzer target: an ACME server's documents (directory, order, authorization, problem) read
// from arbitrary bytes: never a crash, and what is accepted holds what the client relies on
// (https URLs, a dns-01 challenge's token of base64url characters).
#include <brood/acme/resources.hpp>

#include <cstdlib>
#include <string_view>

namespace {
bool https(const std::string& u) { return u.rfind("https://", 0) == 0; }
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  using namespace brood::acme;
  if (auto d = parse_directory(in); d && !(https(d->new_nonce) && https(d->new_account) && https(d->new_order))) std::abort();
  if (auto o = parse_order(in)) {
    if (o->authorizations.empty() || !https(o->finalize)) std::abort();
    if (o->status == order_status::valid && !https(o->certificate)) std::abort();
  }
  if (auto a = parse_authorization(in); a && a->dns01() && a->dns01()->token.find_first_of("+/=") != std::string::npos)
    std::abort();
  if (auto p = parse_problem(in); p && p->type.empty()) std::abort();
  return 0;
}
