// frr vty: a command sent whole and its answer read until the terminator (vty_answer.cpp), both
// against the caller's deadline.
#include <brood/frr/vty.hpp>

#include <brood/net/socket_address.hpp>

#include <vector>

namespace brood::frr {

rt::task<rt::result<vty_client>> vty_client::connect(std::string path, rt::clock::time_point deadline) {
  auto to = net::socket_address::unix_path(path);
  if (!to) co_return to.error();
  rt::io_options io;
  io.deadline = deadline;
  auto s = co_await net::stream::connect(*to, io);
  if (!s) {
    const auto e = s.error();
    if (e == std::errc::connection_refused || e == std::errc::no_such_file_or_directory || e == std::errc::not_a_socket)
      co_return std::errc::no_such_process;
    co_return e;
  }
  vty_client c(std::move(*s));
  std::string enable = "enable";
  auto entered = co_await c.run(std::move(enable), deadline);
  if (!entered) co_return entered.error();
  if (entered->status != 0) co_return std::errc::permission_denied;
  co_return c;
}

rt::task<rt::result<vty_answer>> vty_client::run(std::string command, rt::clock::time_point deadline) {
  if (command.find('\0') != std::string::npos) co_return std::errc::invalid_argument;
  command.push_back('\0');
  rt::io_options io;
  io.deadline = deadline;
  auto sent = co_await _s.send_all(net::as_bytes(command), io);
  if (!sent) co_return sent.error();
  std::string in;
  std::vector<std::byte> buf(16 * 1024);
  for (;;) {
    auto n = co_await _s.recv(buf, io);
    if (!n) co_return n.error();
    if (*n == 0) co_return std::errc::connection_reset;  // the daemon went away mid-answer
    const auto seen = in.size();
    in.append(reinterpret_cast<const char*>(buf.data()), static_cast<std::size_t>(*n));
    if (in.size() > max_answer) co_return std::errc::message_size;
    // What came before had no NUL: only new bytes can begin the terminator (a long answer is
    // looked through once, not once a read).
    if (in.find('\0', seen) == std::string::npos) continue;
    auto a = parse_vty_answer(in);
    if (!a) co_return a.error();
    if (*a) co_return std::move(**a);
  }
}

}  // namespace brood::frr
