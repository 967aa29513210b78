// dns::resolver: c-ares sockets watched by poll ops on the ring, c-ares timeouts on a reactor
// timer, and query completions handed to waiting tasks through wait_slots.
#include <brood/dns/resolver.hpp>
#include <brood/rt/reactor.hpp>
#include <brood/rt/timer.hpp>
#include <brood/rt/wait_slot.hpp>

#include <ares.h>
#include <arpa/nameser.h>
#include <liburing.h>
#include <poll.h>

#include <cerrno>
#include <unordered_map>

namespace brood::dns {

namespace {

/// One c-ares socket under watch: a one-shot poll, re-armed after each round of processing.
/// Owned by the resolver while wanted; once dropped, it frees itself on its final CQE.
class socket_watch final : public rt::io_op {
 public:
  socket_watch(resolver::impl* owner, int fd) noexcept : _owner(owner), _fd(fd) {}
  void prep(io_uring_sqe* sqe) noexcept override {
    io_uring_prep_poll_add(sqe, _fd, (_read ? POLLIN : 0) | (_write ? POLLOUT : 0));
  }
  void on_cqe(int res, std::uint32_t) noexcept override;
  void want(bool r, bool w) noexcept {
    const bool changed = r != _read || w != _write;
    _read = r;
    _write = w;
    if (!_armed)
      arm();
    else if (changed)
      rt::reactor::current().cancel(*this);  // re-armed with the new mask on its CQE
  }
  void drop() noexcept {
    _owner = nullptr;
    if (_armed)
      rt::reactor::current().cancel(*this);
    else
      delete this;
  }

 private:
  void arm() noexcept {
    _armed = true;
    rt::reactor::current().submit(*this);
  }
  resolver::impl* _owner;
  int _fd;
  bool _read = false, _write = false, _armed = false;
};

/// A query's meeting point; owned by the waiting task, or freed by the callback if abandoned.
struct pending_query {
  rt::wait_slot slot;
  bool done = false;
  bool abandoned = false;
  int status = ARES_SUCCESS;
  std::string answer;
};

void on_answer(void* arg, int status, int, unsigned char* abuf, int alen) {
  auto* q = static_cast<pending_query*>(arg);
  if (q->abandoned) {
    delete q;
    return;
  }
  q->status = status;
  if (status == ARES_SUCCESS && abuf && alen > 0) q->answer.assign(reinterpret_cast<char*>(abuf), static_cast<std::size_t>(alen));
  q->done = true;
  q->slot.notify();
}

std::error_code from_status(int status) {
  switch (status) {
    case ARES_ENOTFOUND: return error::nxdomain;
    case ARES_ENODATA: return error::nodata;
    case ARES_ESERVFAIL: return error::servfail;
    case ARES_EREFUSED: return error::refused;
    case ARES_ETIMEOUT: return std::make_error_code(std::errc::timed_out);
    case ARES_ECANCELLED:
    case ARES_EDESTRUCTION: return std::make_error_code(std::errc::operation_canceled);
    case ARES_ECONNREFUSED: return std::make_error_code(std::errc::connection_refused);
    default: return error::malformed;
  }
}

}  // namespace

struct resolver::impl {
  ares_channel ch = nullptr;
  std::unordered_map<int, socket_watch*> watches;
  rt::callback_timer timer{&on_timer, this};

  static void on_socket_state(void* self, ares_socket_t fd, int readable, int writable) {
    auto* me = static_cast<impl*>(self);
    auto it = me->watches.find(fd);
    if (!readable && !writable) {
      if (it != me->watches.end()) {
        it->second->drop();
        me->watches.erase(it);
      }
      return;
    }
    if (it == me->watches.end()) it = me->watches.emplace(fd, new socket_watch(me, fd)).first;
    it->second->want(readable != 0, writable != 0);
  }

  static void on_timer(void* self) noexcept {
    auto* me = static_cast<impl*>(self);
    ares_process_fd(me->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    me->rearm_timer();
  }

  void rearm_timer() noexcept {
    timeval tv{};
    if (ares_timeout(ch, nullptr, &tv))
      timer.arm_in(std::chrono::seconds(tv.tv_sec) + std::chrono::microseconds(tv.tv_usec));
    else
      timer.disarm();
  }

  void process(int fd, int revents) noexcept {
    ares_socket_t r = (revents & (POLLIN | POLLERR | POLLHUP)) ? fd : ARES_SOCKET_BAD;
    ares_socket_t w = (revents & (POLLOUT | POLLERR)) ? fd : ARES_SOCKET_BAD;
    ares_process_fd(ch, r, w);
    rearm_timer();
  }

  ~impl() {
    timer.disarm();
    if (ch) ares_destroy(ch);  // pending queries are told ARES_EDESTRUCTION
    for (auto& [fd, w] : watches) w->drop();
  }
};

void socket_watch::on_cqe(int res, std::uint32_t) noexcept {
  _armed = false;
  if (!_owner) {
    delete this;
    return;
  }
  resolver::impl* owner = _owner;
  const int fd = _fd;
  if (res == -ECANCELED) {  // cancelled by want() to change the mask: nothing happened on the fd
    arm();
    return;
  }
  // Processing may drop this watch (c-ares closing the socket): re-arm only if still ours.
  owner->process(fd, res < 0 ? POLLERR : res);
  auto it = owner->watches.find(fd);
  if (it != owner->watches.end() && it->second == this && !_armed) arm();
}

resolver::resolver(std::unique_ptr<impl> i) noexcept : _impl(std::move(i)) {}
resolver::~resolver() = default;

result<std::unique_ptr<resolver>> resolver::make(const resolver_options& o) {
  static const int init = ares_library_init(ARES_LIB_INIT_ALL);
  if (init != ARES_SUCCESS) return std::errc::not_supported;
  auto i = std::make_unique<impl>();
  ares_options opts{};
  opts.sock_state_cb = &impl::on_socket_state;
  opts.sock_state_cb_data = i.get();
  opts.timeout = static_cast<int>(o.timeout.count());
  opts.tries = o.tries;
  int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES;
  if (ares_init_options(&i->ch, &opts, mask) != ARES_SUCCESS) return std::errc::not_enough_memory;
  if (!o.servers.empty() && ares_set_servers_ports_csv(i->ch, o.servers.c_str()) != ARES_SUCCESS)
    return std::errc::invalid_argument;
  return std::unique_ptr<resolver>(new resolver(std::move(i)));
}

rt::task<result<std::string>> resolver::query(std::string name, record_type type, rt::io_options o) {
  auto* q = new pending_query;
  ares_query(_impl->ch, name.c_str(), ns_c_in, static_cast<int>(type), &on_answer, q);
  _impl->rearm_timer();
  rt::callback_timer deadline(
      [](void* p) noexcept {
        auto* pq = static_cast<pending_query*>(p);
        pq->slot.notify();
      },
      q);
  if (o.deadline) deadline.arm_at(*o.deadline);
  std::error_code waited;
  while (!q->done) {
    auto r = co_await q->slot.wait();
    if (!r) {
      waited = r.error();
      break;
    }
    if (!q->done && o.deadline && rt::clock::now() >= *o.deadline) {
      waited = std::make_error_code(std::errc::timed_out);
      break;
    }
  }
  deadline.disarm();
  if (!q->done) {
    q->abandoned = true;  // c-ares still holds it; its callback frees it
    co_return waited;
  }
  std::unique_ptr<pending_query> owned(q);
  if (q->status != ARES_SUCCESS) co_return from_status(q->status);
  std::span<const std::uint8_t> msg(reinterpret_cast<const std::uint8_t*>(q->answer.data()), q->answer.size());
  if (auto h = check_header(msg); !h) co_return h.error();
  co_return std::move(q->answer);
}

rt::task<result<std::vector<net::socket_address>>> resolver::lookup(std::string host, std::uint16_t port,
                                                                   rt::io_options o) {
  std::string numeric = host.find(':') != std::string::npos ? "[" + host + "]:" + std::to_string(port)
                                                            : host + ":" + std::to_string(port);
  if (auto a = net::socket_address::parse(numeric)) co_return std::vector<net::socket_address>{*a};
  // RFC 6761 §6.3: localhost is the loopback, never a question for a DNS server.
  if (host == "localhost" || host.ends_with(".localhost"))
    co_return std::vector<net::socket_address>{net::socket_address::ipv4_loopback(port)};
  auto v4 = co_await query(host, record_type::a, o);
  auto v6 = co_await query(host, record_type::aaaa, o);
  std::vector<net::socket_address> out;
  for (auto* r : {&v4, &v6}) {
    if (!*r) continue;
    auto t = r == &v4 ? record_type::a : record_type::aaaa;
    auto addrs = parse_addresses({reinterpret_cast<const std::uint8_t*>((*r)->data()), (*r)->size()}, t);
    if (!addrs) continue;
    for (auto& a : *addrs) {
      a.set_port(port);
      out.push_back(a);
    }
  }
  if (out.empty()) co_return v4 ? std::error_code(error::nodata) : v4.error();
  co_return out;
}

namespace {
rt::task<result<net::socket_address>> first_address(resolver* r, std::string host, std::uint16_t port) {
  auto all = co_await r->lookup(std::move(host), port);
  if (!all) co_return all.error();
  co_return all->front();
}
}  // namespace

http::resolver_fn resolver::as_http_resolver() {
  return [this](std::string host, std::uint16_t port) { return first_address(this, std::move(host), port); };
}

}  // namespace brood::dns
