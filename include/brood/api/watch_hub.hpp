// watch_hub: the fast path of SPEC §5.9 — every set of records this scout has just written,
// pushed to the agents holding GET /watch open, so a change reaches them without waiting for
// their next DNS poll. The stream is newline-delimited JSON (docs/api.md, "GET /watch"):
//
//   {"hello":{"seq":41,"keepalive":15}}                   first, on every new stream
//   {"seq":42,"sets":[{"name":"_n.3.example.org","values":["v=1 …","v=1 …"]}]}   one provider write
//   {"ping":1764230400000}                                after `keepalive` with nothing written
//
// `values` are the whole TXT RRset as it now stands (empty: the name is gone), i.e. what a DoH
// query for that name would answer, and the agent folds them exactly as it folds DNS answers:
// same signatures, same digests, same replay rules. The stream adds nothing the agent has to
// trust. A subscriber that falls more than `max_queued_bytes` behind gets {"overflow":true} and
// its stream ends: it catches up from DNS, the source of truth, and reconnects.
//
// watched_provider wraps the scout's provider: after each successful write it tells its owner
// the TXT sets the write changed (the API folds them into its view and publishes those nodes
// read). Lifetime: the hub outlives every stream it handed out (the api owns it and outlives its
// server); a watched_provider does not outlive its provider.
#pragma once

#include <brood/http/message.hpp>
#include <brood/provider/provider.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace brood::api {

struct watch_options {
  std::chrono::milliseconds keepalive{15'000};
  std::size_t max_queued_bytes = 4 << 20;  // per subscriber
  std::size_t max_watchers = 1024;
};

class watch_hub {
 public:
  explicit watch_hub(watch_options o = {});
  watch_hub(const watch_hub&) = delete;
  ~watch_hub();

  /// Queues one line for every subscriber: the sets one write left behind.
  void publish(const std::vector<provider::rrset>& sets);
  /// A new stream for the node whose key is `node` (base64url, the whole key: two keys sharing
  /// an id10 are two nodes). A node has one stream at a time: an older one of the same node
  /// ends. Null when max_watchers streams are open.
  std::shared_ptr<http::body_stream> subscribe(std::string node);
  /// Ends `node`'s stream once what is queued has gone out (a removed node hears no more).
  void end(const std::string& node) noexcept;
  /// Ends the stream of every node `keep` says no to (nodes removed by another process).
  void end_unless(const std::function<bool(const std::string& node)>& keep);

  struct counters {
    std::uint64_t writes_published = 0, subscriptions = 0, overflows = 0;
  };
  const counters& stats() const noexcept { return _c; }
  std::size_t watchers() const noexcept;
  std::uint64_t seq() const noexcept { return _seq; }
  const watch_options& options() const noexcept { return _o; }

  class subscriber;  // one open stream (src/api/watch_hub.cpp)

 private:
  friend class subscriber;
  watch_options _o;
  std::vector<subscriber*> _subs;
  std::uint64_t _seq = 0;
  counters _c;
};

/// A provider that tells `written` what each successful write changed.
class watched_provider final : public ::brood::provider::provider {
 public:
  using written_fn = std::function<void(const std::vector<::brood::provider::rrset>& sets)>;
  watched_provider(::brood::provider::provider& inner, written_fn written)
      : _inner(inner), _written(std::move(written)) {}
  std::string_view kind() const noexcept override { return _inner.kind(); }
  rt::task<rt::result<std::vector<std::string>>> get(std::string name, ::brood::provider::rr_type type,
                                                     std::string* why) override;
  std::size_t max_sets_per_edit() const noexcept override { return _inner.max_sets_per_edit(); }
  std::size_t max_edit_bytes() const noexcept override { return _inner.max_edit_bytes(); }
  std::chrono::milliseconds edit_timeout() const noexcept override { return _inner.edit_timeout(); }
  unsigned edit_attempts() const noexcept override { return _inner.edit_attempts(); }
  rt::task<rt::result<std::vector<::brood::provider::held_set>>> read_held(
      const std::vector<::brood::provider::rrset>& sets, rt::clock::time_point deadline,
      ::brood::provider::write_stats& stats, std::string* why) override;
  rt::task<rt::result<void>> write(const std::vector<::brood::provider::set_change>& changes,
                                   rt::clock::time_point deadline, ::brood::provider::write_stats& stats,
                                   std::string* why) override;

 private:
  ::brood::provider::provider& _inner;
  written_fn _written;
};

}  // namespace brood::api
