// libFuzzer target: STUN message parsing on arbitrary bytes. An accepted message's addresses
// are well-formed and its FINGERPRINT, when claimed, is right; the request builder's output
// always parses back.
#include <brood/stun/message.hpp>

#include <cstdlib>
#include <cstring>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace brood;
  auto m = stun::parse(std::span(data, size));
  if (m) {
    if (size < stun::header_size || size % 4 != 0) std::abort();
    if (auto a = stun::binding_answer(*m); a && a->family() != AF_INET && a->family() != AF_INET6) std::abort();
    if (m->error_code && (*m->error_code < 300 || *m->error_code > 699)) std::abort();
  }
  if (size >= 12) {
    stun::transaction_id tid;
    std::memcpy(tid.data(), data, tid.size());
    auto req = stun::binding_request(tid);
    auto back = stun::parse(req);
    if (!back || back->tid != tid || !back->fingerprint) std::abort();
  }
  return 0;
}
