// libFuzzer target: the chunked body decoder, fed the input in two pieces at a fuzzer-chosen
// split, must agree with itself fed in one piece, and never exceed its body limit.
#include <brood/http/http1_parser.hpp>

#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::size_t split = data[0] % (size);
  std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  constexpr std::size_t limit = 4096;

  brood::http::chunked_decoder whole(limit);
  std::string a;
  auto r1 = whole.feed(in, a);

  brood::http::chunked_decoder parts(limit);
  std::string b;
  std::size_t used = 0;
  bool failed = false;
  for (std::string_view piece : {in.substr(0, std::min(split, in.size())), in.substr(std::min(split, in.size()))}) {
    // Bytes a decoder did not consume before finishing belong to the next message.
    if (parts.done()) break;
    auto r = parts.feed(piece, b);
    if (!r) {
      failed = true;
      break;
    }
    used += *r;
  }
  if (a.size() > limit || b.size() > limit) std::abort();
  if (r1 && !failed) {
    if (whole.done() != parts.done()) std::abort();
    if (whole.done() && (a != b || *r1 != used)) std::abort();
  }
  return 0;
}
