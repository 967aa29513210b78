// frr vty: a client of one FRR daemon's vty socket (`<run dir>/<daemon>.vty`), speaking what
// vtysh itself speaks to it: a command with its terminating NUL; the answer, the command's output
// followed by three NULs and the command's status (FRR's CMD_SUCCESS is 0). vtysh starts a
// process that connects to every daemon for each command — 50–90 ms of CPU; this is one
// connection and about a millisecond, on the ring with a deadline.
// Lifetime: one command at a time on a client; the socket closes with it.
#pragma once

#include <brood/net/socket.hpp>
#include <brood/rt/result.hpp>
#include <brood/rt/task.hpp>
#include <brood/rt/timer.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace brood::frr {

struct vty_answer {
  int status = 0;  // 0 when the command succeeded; FRR's CMD_* code otherwise
  std::string output;
};

/// A daemon's vty socket: in `run_dir`, or "" for FRR's own (/run/frr[/<pathspace>]).
std::string vty_socket_path(const std::string& run_dir, const std::string& pathspace, std::string_view daemon);

/// The answer `in` holds: nullopt while it is incomplete; std::errc::bad_message when a NUL
/// comes before the terminator, or bytes after it (one command is answered once).
rt::result<std::optional<vty_answer>> parse_vty_answer(std::string_view in);

class vty_client {
 public:
  static constexpr std::size_t max_answer = 4u << 20;

  /// Connects and enters enable mode (a vty socket starts in view mode, where some daemons —
  /// bfdd — have no show commands). std::errc::no_such_process when no daemon answers there.
  static rt::task<rt::result<vty_client>> connect(std::string path, rt::clock::time_point deadline);

  /// Runs one command: its status and output (std::errc::message_size past max_answer).
  rt::task<rt::result<vty_answer>> run(std::string command, rt::clock::time_point deadline);

 private:
  explicit vty_client(net::stream s) noexcept : _s(std::move(s)) {}
  net::stream _s;
};

}  // namespace brood::frr
