// frr vty answer: the framing of a daemon's answer checked byte by byte, and where each daemon's
// socket is — pure, so that the fuzzer takes it alone.
#include <brood/frr/vty.hpp>

namespace brood::frr {

std::string vty_socket_path(const std::string& run_dir, const std::string& pathspace, std::string_view daemon) {
  std::string dir = run_dir;
  if (dir.empty()) dir = pathspace.empty() ? "/run/frr" : "/run/frr/" + pathspace;
  return dir + "/" + std::string(daemon) + ".vty";
}

rt::result<std::optional<vty_answer>> parse_vty_answer(std::string_view in) {
  const auto nul = in.find('\0');
  if (nul == std::string_view::npos) return std::optional<vty_answer>{};
  for (std::size_t i = nul + 1; i < nul + 3 && i < in.size(); ++i)
    if (in[i] != '\0') return std::errc::bad_message;  // a NUL inside the output
  if (in.size() < nul + 4) return std::optional<vty_answer>{};
  if (in.size() > nul + 4) return std::errc::bad_message;
  vty_answer a;
  a.status = static_cast<unsigned char>(in[nul + 3]);
  a.output.assign(in.substr(0, nul));
  return std::optional<vty_answer>(std::move(a));
}

}  // namespace brood::frr
