// frr sessions: one command on bgpd's and one on bfdd's vty socket, under one deadline; parsed
// by session_json.cpp.
#include <brood/frr/sessions.hpp>

#include <brood/frr/vty.hpp>

namespace brood::frr {

namespace {
/// One show command's output from `daemon`.
rt::task<rt::result<std::string>> ask(const vty_options& o, const char* daemon, std::string command,
                                      rt::clock::time_point deadline) {
  std::string path = vty_socket_path(o.run_dir, o.pathspace, daemon);
  auto c = co_await vty_client::connect(std::move(path), deadline);
  if (!c) co_return c.error();
  auto a = co_await c->run(std::move(command), deadline);
  if (!a) co_return a.error();
  if (a->status != 0) co_return std::errc::protocol_error;
  co_return std::move(a->output);
}
}  // namespace

rt::task<rt::result<std::vector<session>>> read_sessions(vty_options o) {
  const auto deadline = rt::clock::now() + o.timeout;
  // Named: GCC 12 mishandles temporaries in a co_await's arguments.
  std::string bgp_command = "show bgp l2vpn evpn summary json", bfd_command = "show bfd peers json";
  auto bgp = co_await ask(o, "bgpd", std::move(bgp_command), deadline);
  if (!bgp) co_return bgp.error();
  auto bfd = co_await ask(o, "bfdd", std::move(bfd_command), deadline);
  if (!bfd) co_return bfd.error();
  co_return parse_sessions(*bgp, *bfd);
}

}  // namespace brood::frr
