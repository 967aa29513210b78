// rfc2136_provider: writes through DNS UPDATE (RFC 2136) signed with TSIG (HMAC-SHA256), over
// TCP to the zone's primary — the provider of the lab (Knot) and of self-hosted zones. Each
// edit's write is one UPDATE message, which the server applies atomically; its prerequisites are
// the changed sets as read just before, so a change made meanwhile by another scout makes the
// update fail (YXRRSET/NXRRSET) and it is read and computed again, never overwritten.
#pragma once

#include <brood/dns/update.hpp>
#include <brood/net/socket_address.hpp>
#include <brood/provider/provider.hpp>

#include <chrono>

namespace brood::provider {

struct rfc2136_options {
  net::socket_address server;  // the primary, e.g. 127.0.0.1:53
  std::string zone;            // e.g. brood.example
  dns::tsig_key key;
  std::chrono::milliseconds timeout{5000};  // per edit or get(), connections included
  unsigned attempts = 4;                    // reads + update, when the sets change under us
};

class rfc2136_provider final : public provider {
 public:
  explicit rfc2136_provider(rfc2136_options o) : _o(std::move(o)) {}
  std::string_view kind() const noexcept override { return "rfc2136"; }
  /// One set per UPDATE when many change at once: a set of a 100-node brood is a few KiB, and
  /// an UPDATE carries each changed record up to three times (prerequisite, deletion, addition).
  std::size_t max_sets_per_edit() const noexcept override { return 1; }
  /// An UPDATE carries what it adds, what it deletes and, as prerequisites, the sets it read:
  /// 16 KiB of new values keeps it well under 64 KiB even when every old value is replaced.
  std::size_t max_edit_bytes() const noexcept override { return 16 * 1024; }
  rt::task<result<std::vector<std::string>>> get(std::string name, rr_type type, std::string* why) override;
  std::chrono::milliseconds edit_timeout() const noexcept override { return _o.timeout; }
  unsigned edit_attempts() const noexcept override { return _o.attempts; }
  rt::task<result<std::vector<held_set>>> read_held(const std::vector<rrset>& sets, rt::clock::time_point deadline,
                                                    write_stats& stats, std::string* why) override;
  rt::task<result<void>> write(const std::vector<set_change>& changes, rt::clock::time_point deadline,
                               write_stats& stats, std::string* why) override;

 private:
  rfc2136_options _o;
  std::uint16_t _next_id = 1;
};

}  // namespace brood::provider
