// The Cloudflare API v4 client: listing, batched edits, the call budget, retries.
#include <brood/dns/message.hpp>
#include <brood/http/url.hpp>
#include <brood/json/value.hpp>
#include <brood/json/writer.hpp>
#include <brood/provider/cloudflare.hpp>
#include <brood/rt/timer.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <map>
#include <set>

namespace brood::provider {

using namespace std::chrono_literals;

namespace {

const char* type_name(rr_type t) {
  switch (t) {
    case rr_type::a: return "A";
    case rr_type::aaaa: return "AAAA";
    case rr_type::txt: return "TXT";
    case rr_type::srv: return "SRV";
  }
  return "TXT";
}

/// Cloudflare's first error as "code: message", with its error_chain when there is one.
std::string cf_message(const http::response& r, int* code = nullptr) {
  auto v = json::parse(r.body);
  const json::value* errors = v ? v->find("errors") : nullptr;
  if (!errors || !errors->as_array() || errors->as_array()->empty()) return "HTTP " + std::to_string(r.status);
  auto& e = errors->as_array()->front();
  auto c = e.find("code") ? e.find("code")->as_int() : rt::result<std::int64_t>(std::errc::invalid_argument);
  if (code && c) *code = static_cast<int>(*c);
  std::string out = "Cloudflare " + (c ? std::to_string(*c) : std::string("?")) + ": " +
                    (e.find("message") && e.find("message")->as_string() ? *e.find("message")->as_string() : "");
  if (auto* chain = e.find("error_chain"); chain && chain->as_array())
    for (auto& x : *chain->as_array())
      if (auto* m = x.find("message"); m && m->as_string()) out += " (" + *m->as_string() + ")";
  return out;
}

/// What a refused call means for the caller.
error classify(const http::response& r, int code) {
  if (r.status == 401 || r.status == 403 || code == 6003 || code == 9103 || code == 9106 || code == 9109 ||
      code == 10000)
    return error::auth;
  if (r.status == 404 || code == 81044 || code == 81057 || code == 81058) return error::conflict;
  return error::rejected;
}

/// The value brood sees for one listed record.
rt::result<std::string> value_of(const json::value& rec, rr_type type) {
  if (type == rr_type::srv) {
    auto* d = rec.find("data");
    if (!d) return std::errc::invalid_argument;
    std::string out;
    for (const char* k : {"priority", "weight", "port"}) {
      auto* x = d->find(k);
      auto i = x ? x->as_int() : rt::result<std::int64_t>(std::errc::invalid_argument);
      if (!i) return std::errc::invalid_argument;
      out += std::to_string(*i) + " ";
    }
    auto* t = d->find("target");
    if (!t || !t->as_string()) return std::errc::invalid_argument;
    return out + *t->as_string();
  }
  auto* c = rec.find("content");
  if (!c || !c->as_string()) return std::errc::invalid_argument;
  return type == rr_type::txt ? parse_txt_content(*c->as_string()) : rt::result<std::string>(*c->as_string());
}

/// The JSON fields that carry `value` for a record of `type`.
bool write_value(json::writer& w, rr_type type, const std::string& value) {
  if (type != rr_type::srv) {
    w.key("content").string(type == rr_type::txt ? format_txt_content(value) : value);
    return true;
  }
  std::int64_t f[3]{};
  std::string_view rest = value;
  for (auto& x : f) {
    auto sp = rest.find(' ');
    if (sp == std::string_view::npos) return false;
    auto [p, ec] = std::from_chars(rest.data(), rest.data() + sp, x);
    if (ec != std::errc() || p != rest.data() + sp || x < 0 || x > 65535) return false;
    rest.remove_prefix(sp + 1);
  }
  w.key("data").begin_object().key("priority").number(f[0]).key("weight").number(f[1]);
  w.key("port").number(f[2]).key("target").string(rest).end_object();
  return true;
}

}  // namespace

rt::result<std::unique_ptr<cloudflare_provider>> cloudflare_provider::make(cloudflare_options o) {
  auto u = http::parse_url(o.api);
  if (!u || o.token.empty() || o.zone_id.empty()) return std::errc::invalid_argument;
  http::client_options co;
  co.resolve = o.resolve;
  if (u->tls) {
    co.tls = o.tls;
    if (!co.tls) {
      auto ctx = tls::context::client({});
      if (!ctx) return ctx.error();
      co.tls = *ctx;
    }
  }
  auto base = u->path;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return std::unique_ptr<cloudflare_provider>(
      new cloudflare_provider(std::move(o), std::move(co), std::move(u->authority), std::move(base)));
}

cloudflare_provider::cloudflare_provider(cloudflare_options o, http::client_options co, std::string authority,
                                         std::string base)
    : _o(std::move(o)), _http(std::move(co)), _authority(std::move(authority)), _base(std::move(base)) {}

cloudflare_provider::~cloudflare_provider() = default;

rt::task<result<http::response>> cloudflare_provider::call(std::string method, std::string path, std::string body,
                                                           rt::clock::time_point deadline, std::string* why) {
  auto backoff = 500ms;
  for (int tries = 0; tries < 8; ++tries) {
    // Our own budget first: never be the one who trips Cloudflare's five-minute block.
    auto now = rt::clock::now();
    while (!_recent.empty() && now - _recent.front() >= _o.window) _recent.pop_front();
    if (_recent.size() >= _o.budget) {
      auto free_at = _recent.front() + _o.window;
      if (free_at > deadline) {
        say(why, "brood's budget of " + std::to_string(_o.budget) + " Cloudflare calls per " +
                     std::to_string(_o.window.count()) + " s is spent");
        co_return error::rate_limited;
      }
      (void)co_await rt::sleep_until(free_at);
      continue;
    }
    _recent.push_back(now);

    http::request req;
    req.method = method;
    req.path = _base + path;
    req.headers.push_back({"authorization", "Bearer " + _o.token});
    req.headers.push_back({"accept", "application/json"});
    if (!body.empty()) req.headers.push_back({"content-type", "application/json"});
    req.body = body;
    rt::io_options io;
    io.deadline = deadline;
    auto resp = co_await _http.request(_authority, std::move(req), io);
    if (!resp) {
      if (rt::clock::now() + backoff < deadline && resp.error() != std::errc::timed_out) {
        (void)co_await rt::sleep_for(backoff);
        backoff *= 2;
        continue;
      }
      say(why, "Cloudflare API: " + resp.error().message());
      co_return error::unavailable;
    }
    if (resp->status == 429) {
      std::uint64_t secs = 60;
      auto ra = resp->header_value("retry-after");
      std::from_chars(ra.data(), ra.data() + ra.size(), secs);
      secs = std::min<std::uint64_t>(secs, 3600);
      auto until = rt::clock::now() + std::chrono::seconds(secs);
      if (until < deadline) {
        (void)co_await rt::sleep_until(until);
        continue;
      }
      say(why, cf_message(*resp) + " (retry after " + std::to_string(secs) + " s)");
      co_return error::rate_limited;
    }
    if (resp->status >= 500) {
      if (rt::clock::now() + backoff < deadline) {
        (void)co_await rt::sleep_for(backoff);
        backoff *= 2;
        continue;
      }
      say(why, cf_message(*resp));
      co_return error::unavailable;
    }
    co_return std::move(*resp);
  }
  say(why, "Cloudflare API: no answer after retries");
  co_return error::unavailable;
}

rt::task<result<std::vector<cloudflare_provider::held>>> cloudflare_provider::list(rr_type type, std::string name,
                                                                                   rt::clock::time_point deadline,
                                                                                   unsigned* calls, std::string* why) {
  std::vector<held> out;
  for (int page = 1; page <= 100; ++page) {
    std::string path = "/zones/" + _o.zone_id + "/dns_records?type=" + type_name(type) +
                       (name.empty() ? std::string("&per_page=5000") : "&name=" + http::url_encode(name) + "&per_page=100") +
                       "&page=" + std::to_string(page);
    std::string no_body;
    auto resp = co_await call("GET", std::move(path), std::move(no_body), deadline, why);
    ++*calls;
    if (!resp) co_return resp.error();
    if (resp->status != 200) {
      int code = 0;
      say(why, cf_message(*resp, &code));
      co_return classify(*resp, code);
    }
    auto v = json::parse(resp->body);
    const json::value* result = v ? v->find("result") : nullptr;
    if (!result || !result->as_array()) {
      say(why, "Cloudflare list: unreadable answer");
      co_return error::bad_response;
    }
    for (auto& rec : *result->as_array()) {
      auto* id = rec.find("id");
      auto* rname = rec.find("name");
      auto value = value_of(rec, type);
      if (!id || !id->as_string() || !rname || !rname->as_string() || !value) {
        say(why, "Cloudflare list: unreadable record");
        co_return error::bad_response;
      }
      std::string lower = *rname->as_string();
      for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      out.push_back({*id->as_string(), std::move(lower), std::move(*value)});
    }
    auto* info = v->find("result_info");
    auto* pages = info ? info->find("total_pages") : nullptr;
    auto total = pages ? pages->as_int() : rt::result<std::int64_t>(std::int64_t{1});
    if (!total || page >= *total || result->as_array()->empty()) break;
  }
  co_return out;
}

rt::task<result<std::vector<std::string>>> cloudflare_provider::get(std::string name, rr_type type, std::string* why) {
  unsigned calls = 0;
  auto held = co_await list(type, std::move(name), rt::clock::now() + _o.timeout, &calls, why);
  if (!held) co_return held.error();
  std::vector<std::string> values;
  for (auto& h : *held) values.push_back(std::move(h.value));
  co_return values;
}

rt::task<result<std::vector<held_set>>> cloudflare_provider::read_held(const std::vector<rrset>& sets,
                                                                       rt::clock::time_point deadline,
                                                                       write_stats& stats, std::string* why) {
  std::vector<held_set> out;
  for (auto& s : sets) out.push_back({s, {}});
  auto take = [&](std::vector<held>& listed, rr_type type, const std::string* only) {
    for (auto& x : listed)
      for (auto& h : out)
        if (h.set.type == type && h.set.name == x.name && (!only || *only == x.name))
          h.held.push_back({x.value, x.id});
  };
  if (sets.size() <= 2) {
    for (auto& s : sets) {
      auto h = co_await list(s.type, s.name, deadline, &stats.calls, why);
      if (!h) co_return h.error();
      take(*h, s.type, &s.name);
    }
  } else {  // one listing of the zone per type instead of one per name
    std::set<rr_type> types;
    for (auto& s : sets) types.insert(s.type);
    for (auto type : types) {
      auto all = co_await list(type, "", deadline, &stats.calls, why);
      if (!all) co_return all.error();
      take(*all, type, nullptr);
    }
  }
  for (auto& h : out) {
    h.set.values.clear();
    for (auto& v : h.held) h.set.values.push_back(v.value);
  }
  co_return out;
}

rt::task<result<void>> cloudflare_provider::write(const std::vector<set_change>& changes,
                                                  rt::clock::time_point deadline, write_stats& stats,
                                                  std::string* why) {
  // One operation per record: removed values become patches of added ones where they pair up
  // (the record keeps its id), the rest deletes and posts.
  struct op {
    enum { del, patch, post } kind;
    std::string id;
    const rrset* set;
    std::string value;
  };
  std::vector<op> ops;
  std::vector<std::size_t> set_ends;  // where each changed set's operations end
  for (auto& c : changes) {
    std::size_t i = 0;
    for (; i < c.remove.size() && i < c.add.size(); ++i) ops.push_back({op::patch, c.remove[i]->native, c.want, c.add[i]});
    for (std::size_t k = i; k < c.remove.size(); ++k) ops.push_back({op::del, c.remove[k]->native, c.want, {}});
    for (std::size_t k = i; k < c.add.size(); ++k) ops.push_back({op::post, {}, c.want, c.add[k]});
    set_ends.push_back(ops.size());
  }
  // Batches end on set boundaries, so that a set (its header and its members) is always
  // written in one transaction; only a set larger than a batch is split.
  for (std::size_t start = 0, end = 0; start < ops.size(); start = end) {
    end = start;
    for (auto e : set_ends)
      if (e > end && e - start <= _o.batch_limit) end = e;
    if (end == start) end = std::min(ops.size(), start + _o.batch_limit);
    json::writer b;
    b.begin_object();
    for (auto kind : {op::del, op::patch, op::post}) {
      b.key(kind == op::del ? "deletes" : kind == op::patch ? "patches" : "posts").begin_array();
      for (std::size_t k = start; k < end; ++k) {
        auto& o = ops[k];
        if (o.kind != kind) continue;
        b.begin_object();
        if (kind != op::post) b.key("id").string(o.id);
        if (kind != op::del) {
          b.key("type").string(type_name(o.set->type)).key("name").string(o.set->name);
          b.key("ttl").number(static_cast<std::int64_t>(o.set->ttl));
          if (!write_value(b, o.set->type, o.value)) {
            say(why, "not a valid value for " + o.set->name + ": " + o.value.substr(0, 80));
            co_return error::rejected;
          }
        }
        b.end_object();
      }
      b.end_array();
    }
    b.end_object();
    auto resp = co_await call("POST", "/zones/" + _o.zone_id + "/dns_records/batch", b.take(), deadline, why);
    ++stats.calls;
    if (!resp) co_return resp.error();
    if (resp->status != 200) {
      int code = 0;
      say(why, cf_message(*resp, &code));
      // A conflict (a record we read is gone, or the same value appeared) reads again.
      co_return classify(*resp, code);
    }
  }
  co_return rt::result<void>{};
}

}  // namespace brood::provider
