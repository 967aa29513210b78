// libFuzzer target: what FRR's daemons answer. frr::parse_vty_answer on the whole input: never a
// crash, and a complete answer is its output (no NUL) and four bytes. frr::parse_sessions on it
// split at the first NUL into the BGP summary and the BFD peers answers: never a crash, and what
// parses comes sorted by peer.
#include <brood/frr/sessions.hpp>
#include <brood/frr/vty.hpp>

#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto answer = brood::frr::parse_vty_answer(in);
  if (answer && *answer && ((*answer)->output.size() + 4 != size || (*answer)->output.find('\0') != std::string::npos))
    std::abort();
  const auto nul = in.find('\0');
  const auto bgp = in.substr(0, nul);
  const auto bfd = nul == std::string_view::npos ? std::string_view("[]") : in.substr(nul + 1);
  auto s = brood::frr::parse_sessions(bgp, bfd);
  if (s)
    for (std::size_t i = 1; i < s->size(); ++i)
      if ((*s)[i].peer < (*s)[i - 1].peer) std::abort();
  return 0;
}
