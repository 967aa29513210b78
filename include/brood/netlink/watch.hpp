// link_watcher: link and address events of the routing netlink, so that an interface or address
// removed by hand is noticed at once instead of at the next sync.
#pragma once

#include <brood/rt/io_op.hpp>
#include <brood/rt/result.hpp>
#include <brood/rt/task.hpp>

#include <memory>
#include <string>
#include <vector>

namespace brood::netlink {

class socket;

/// Link and address events, from the moment it is opened.
/// Lifetime: one reader at a time; destroying it closes the subscription.
class link_watcher {
 public:
  struct event {
    enum class what { link_new, link_del, addr_new, addr_del } kind;
    int index = 0;
    std::string name;  // link events
  };
  static rt::result<link_watcher> open();
  link_watcher(link_watcher&& o) noexcept;
  link_watcher& operator=(link_watcher&&) = delete;
  ~link_watcher();
  /// The next batch of events (at least one), or the error (std::errc::no_buffer_space when
  /// the kernel dropped events: the caller must then re-read everything).
  rt::task<rt::result<std::vector<event>>> next(rt::io_options o = {});

 private:
  link_watcher() = default;
  std::unique_ptr<socket> _s;
};

}  // namespace brood::netlink
