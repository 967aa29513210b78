// The watch hub's subscribers (one per open GET /watch stream) and the provider wrapper that
// feeds it. A line is encoded once per write and shared by every subscriber's queue.
#include <brood/api/watch_hub.hpp>
#include <brood/json/writer.hpp>
#include <brood/rt/wait_slot.hpp>
#include <brood/rt/wall_clock.hpp>
#include <brood/rt/with_timeout.hpp>

#include <algorithm>
#include <chrono>
#include <deque>

namespace brood::api {

using line_ptr = std::shared_ptr<const std::string>;

class watch_hub::subscriber final : public http::body_stream {
 public:
  subscriber(watch_hub& hub, std::string id) : _hub(&hub), _id(std::move(id)) {
    hub._subs.push_back(this);
    json::writer w;
    w.begin_object().key("hello").begin_object();
    w.key("seq").number(static_cast<std::int64_t>(hub._seq));
    w.key("keepalive").number(static_cast<std::int64_t>(hub._o.keepalive.count() / 1000));
    w.end_object().end_object();
    push(std::make_shared<const std::string>(w.take() + "\n"));
  }
  ~subscriber() override { detach(); }

  const std::string& id() const noexcept { return _id; }

  void push(line_ptr line) {
    if (_ending || !_hub) return;
    _queued += line->size();
    if (_queued > _hub->_o.max_queued_bytes) {  // too far behind: DNS will catch it up
      _queue.clear();
      _queue.push_back(std::make_shared<const std::string>("{\"overflow\":true}\n"));
      _ending = true;
      ++_hub->_c.overflows;
    } else {
      _queue.push_back(std::move(line));
    }
    _ready.notify();
  }
  /// Ends the stream once what is queued has gone out.
  void end() noexcept {
    _ending = true;
    _ready.notify();
  }

  rt::task<std::optional<std::string>> next() override {
    while (_queue.empty()) {
      if (_ending || !_hub) {
        detach();
        co_return std::nullopt;
      }
      const auto keepalive = _hub->_o.keepalive;
      auto w = co_await rt::with_timeout(keepalive, [this] { return _ready.wait(); });
      if (!w && w.error() == std::errc::timed_out && _queue.empty()) {
        co_return "{\"ping\":" + std::to_string(rt::unix_ms()) + "}\n";
      }
      if (!w && w.error() != std::errc::timed_out) {  // the client went away, or the server drains
        detach();
        co_return std::nullopt;
      }
    }
    // Everything queued in one chunk: fewer frames when writes come in a burst.
    std::string out;
    for (auto& l : _queue) out += *l;
    _queue.clear();
    _queued = 0;
    co_return out;
  }

 private:
  void detach() noexcept {
    if (_hub) std::erase(_hub->_subs, this);
    _hub = nullptr;
  }
  friend class watch_hub;
  watch_hub* _hub;
  std::string _id;
  std::deque<line_ptr> _queue;
  std::size_t _queued = 0;
  rt::wait_slot _ready;
  bool _ending = false;
};

watch_hub::watch_hub(watch_options o) : _o(o) {}

watch_hub::~watch_hub() {
  for (auto* s : _subs) s->_hub = nullptr;
}

std::size_t watch_hub::watchers() const noexcept { return _subs.size(); }

void watch_hub::publish(const std::vector<provider::rrset>& sets) {
  if (sets.empty()) return;
  ++_seq;
  ++_c.writes_published;
  if (_subs.empty()) return;
  json::writer w;
  w.begin_object().key("seq").number(static_cast<std::int64_t>(_seq)).key("sets").begin_array();
  for (auto& s : sets) {
    w.begin_object().key("name").string(s.name).key("values").begin_array();
    for (auto& v : s.values) w.string(v);
    w.end_array().end_object();
  }
  w.end_array().end_object();
  auto line = std::make_shared<const std::string>(w.take() + "\n");
  const auto subs = _subs;  // push may end a subscriber; none detaches here
  for (auto* s : subs) s->push(line);
}

void watch_hub::end(const std::string& node) noexcept {
  for (auto* s : _subs)
    if (s->id() == node) s->end();
}

void watch_hub::end_unless(const std::function<bool(const std::string& node)>& keep) {
  for (auto* s : _subs)
    if (!keep(s->id())) s->end();
}

std::shared_ptr<http::body_stream> watch_hub::subscribe(std::string node) {
  end(node);  // a node reconnecting: its older stream goes
  // Ending streams count too: they hold memory until their client reads or the server resets them.
  if (_subs.size() >= _o.max_watchers) return nullptr;
  ++_c.subscriptions;
  return std::make_shared<subscriber>(*this, std::move(node));
}

rt::task<rt::result<std::vector<std::string>>> watched_provider::get(std::string name, ::brood::provider::rr_type type,
                                                                     std::string* why) {
  co_return co_await _inner.get(std::move(name), type, why);
}

rt::task<rt::result<std::vector<::brood::provider::held_set>>> watched_provider::read_held(
    const std::vector<::brood::provider::rrset>& sets, rt::clock::time_point deadline,
    ::brood::provider::write_stats& stats, std::string* why) {
  co_return co_await _inner.read_held(sets, deadline, stats, why);
}

rt::task<rt::result<void>> watched_provider::write(const std::vector<::brood::provider::set_change>& changes,
                                                   rt::clock::time_point deadline,
                                                   ::brood::provider::write_stats& stats, std::string* why) {
  auto w = co_await _inner.write(changes, deadline, stats, why);
  if (!w) co_return w;
  std::vector<::brood::provider::rrset> changed;
  for (auto& c : changes)
    if (c.want->type == ::brood::provider::rr_type::txt) changed.push_back(*c.want);
  _written(changed);
  co_return w;
}

}  // namespace brood::api
