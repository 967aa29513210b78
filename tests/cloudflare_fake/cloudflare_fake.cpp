// cloudflare_fake: the records store, validation, and the API's envelope and errors.
#include "cloudflare_fake/cloudflare_fake.hpp"

#include <brood/http/url.hpp>
#include <brood/json/value.hpp>
#include <brood/json/writer.hpp>

#include <arpa/inet.h>

#include <algorithm>
#include <optional>

namespace brood::test {

namespace {

enum kind { k_list, k_create, k_batch, k_get, k_put, k_patch, k_delete };

struct failure {
  int status;
  int code;
  std::string message;
};

http::response json_response(int status, std::string body) {
  http::response r;
  r.status = status;
  r.headers.push_back({"content-type", "application/json"});
  r.body = std::move(body);
  return r;
}

http::response fail(const failure& f, int chain_code = 0, std::string chain_message = {}) {
  json::writer w;
  w.begin_object().key("success").boolean(false).key("errors").begin_array().begin_object();
  w.key("code").number(static_cast<std::int64_t>(f.code)).key("message").string(f.message);
  if (chain_code) {
    w.key("error_chain").begin_array().begin_object();
    w.key("code").number(static_cast<std::int64_t>(chain_code)).key("message").string(chain_message);
    w.end_object().end_array();
  }
  w.end_object().end_array().key("messages").begin_array().end_array().key("result").null().end_object();
  return json_response(f.status, w.take());
}

bool hex32(std::string_view s) {
  return s.size() == 32 &&
         std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::string lower(std::string s) {
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

void write_record(json::writer& w, const cloudflare_fake::record& r) {
  w.begin_object().key("id").string(r.id).key("name").string(r.name).key("type").string(r.type);
  w.key("content").string(r.content).key("proxiable").boolean(false).key("proxied").boolean(false);
  w.key("ttl").number(static_cast<std::int64_t>(r.ttl)).key("settings").begin_object().end_object();
  w.key("meta").begin_object().end_object().key("comment").null().key("tags").begin_array().end_array();
  if (r.type == "SRV") {
    w.key("priority").number(static_cast<std::int64_t>(r.priority));
    w.key("data").begin_object().key("priority").number(static_cast<std::int64_t>(r.priority));
    w.key("weight").number(static_cast<std::int64_t>(r.weight)).key("port").number(static_cast<std::int64_t>(r.port));
    w.key("target").string(r.target).end_object();
  }
  w.key("created_on").string("2026-11-22T00:00:00.000000Z").key("modified_on").string("2026-11-22T00:00:00.000000Z");
  w.end_object();
}

/// TXT content as Cloudflare keeps it: quoted content is parsed as RFC 1035 character-strings
/// and stored split at 255 bytes (`"…" "…"`); unquoted content is stored as sent. Returns the
/// stored form and the record's wire size, or a failure for unbalanced quotes.
std::optional<std::pair<std::string, std::size_t>> normalise_txt(std::string_view content) {
  std::vector<std::string> strings;
  if (!content.empty() && content.front() == '"') {
    std::size_t i = 0;
    while (i < content.size()) {
      if (content[i] == ' ') {
        ++i;
        continue;
      }
      if (content[i] != '"') return std::nullopt;
      std::string s;
      ++i;
      bool closed = false;
      while (i < content.size()) {
        char c = content[i++];
        if (c == '"') {
          closed = true;
          break;
        }
        if (c == '\\') {
          if (i >= content.size()) return std::nullopt;
          if (content[i] >= '0' && content[i] <= '9') {
            if (i + 3 > content.size()) return std::nullopt;
            int v = 0;
            for (int k = 0; k < 3; ++k) {
              char d = content[i + k];
              if (d < '0' || d > '9') return std::nullopt;
              v = v * 10 + (d - '0');
            }
            if (v > 255) return std::nullopt;
            s += static_cast<char>(v);
            i += 3;
          } else {
            s += content[i++];
          }
        } else {
          s += c;
        }
      }
      if (!closed) return std::nullopt;
      strings.push_back(std::move(s));
    }
  } else {
    strings.emplace_back(content);
  }
  std::string joined;
  for (auto& s : strings) joined += s;
  std::string stored;
  std::size_t wire = 0;
  bool quoted = !content.empty() && content.front() == '"';
  for (std::size_t at = 0; at < joined.size() || at == 0; at += 255) {
    auto part = std::string_view(joined).substr(at, 255);
    wire += 1 + part.size();
    if (quoted) {
      if (!stored.empty()) stored += ' ';
      stored += '"';
      for (char c : part) {
        if (c == '"' || c == '\\') stored += '\\';
        stored += c;
      }
      stored += '"';
    }
    if (joined.empty()) break;
  }
  if (!quoted) stored = std::string(content);
  return std::make_pair(stored, wire);
}

/// A record from a request body (create, put, patch, batch item) merged over `base`.
std::optional<failure> read_body(const json::value& body, cloudflare_fake::record& r, bool require_all) {
  if (!body.is_object()) return failure{400, 9207, "Request body is invalid."};
  auto str = [&](const char* k) -> const std::string* {
    auto* v = body.find(k);
    return v ? v->as_string() : nullptr;
  };
  if (auto* t = str("type")) {
    if (!r.type.empty() && *t != r.type) return failure{400, 9000, "DNS record type cannot be changed."};
    r.type = *t;
  } else if (require_all) {
    return failure{400, 9000, "DNS record type is invalid."};
  }
  if (auto* n = str("name")) r.name = lower(*n);
  else if (require_all) return failure{400, 9000, "DNS name is invalid."};
  if (auto* c = str("content")) r.content = *c;
  if (auto* t = body.find("ttl")) {
    auto v = t->as_int();
    if (!v) return failure{400, 9021, "TTL must be between 60 and 86400 seconds, or 1 for Automatic."};
    r.ttl = static_cast<int>(*v);
  } else if (require_all) {
    r.ttl = 1;  // PUT resets what it leaves out
  }
  if (auto* d = body.find("data")) {
    if (!d->is_object()) return failure{400, 9207, "Request body is invalid."};
    if (d->find("service") || d->find("proto") || d->find("name"))
      return failure{400, 9101, "SRV data fields 'service', 'proto' and 'name' are no longer supported"};
    auto num = [&](const char* k, int& out) {
      auto* v = d->find(k);
      auto i = v ? v->as_int() : rt::result<std::int64_t>(std::errc::invalid_argument);
      if (!i || *i < 0 || *i > 65535) return false;
      out = static_cast<int>(*i);
      return true;
    };
    auto* target = d->find("target");
    if (!num("priority", r.priority) || !num("weight", r.weight) || !num("port", r.port) || !target ||
        !target->as_string())
      return failure{400, 9101, "SRV record data is invalid."};
    r.target = lower(*target->as_string());
  }
  return std::nullopt;
}

}  // namespace

cloudflare_fake::cloudflare_fake(cloudflare_fake_options o) : _o(std::move(o)) {}

http::router cloudflare_fake::router() {
  http::router r;
  const std::string base = "/client/v4/zones/{zone}/dns_records";
  auto bind = [this](int k) {
    return [this, k](const http::request& req, const http::route_params& p) -> rt::task<http::response> {
      return [](cloudflare_fake* self, int kind, const http::request* rq,
                const http::route_params* ps) -> rt::task<http::response> {
        co_return self->handle(kind, *rq, *ps);
      }(this, k, &req, &p);
    };
  };
  r.add("GET", base, bind(k_list));
  r.add("POST", base, bind(k_create));
  r.add("POST", base + "/batch", bind(k_batch));
  r.add("GET", base + "/{id}", bind(k_get));
  r.add("PUT", base + "/{id}", bind(k_put));
  r.add("PATCH", base + "/{id}", bind(k_patch));
  r.add("DELETE", base + "/{id}", bind(k_delete));
  return r;
}

namespace {

/// Checks a record about to be stored against every rule; `others` are the records it joins.
std::optional<failure> validate(cloudflare_fake::record& r, const std::vector<cloudflare_fake::record>& others,
                                const cloudflare_fake_options& o) {
  if (r.name == "@") r.name = o.zone_name;
  if (r.name.empty() || r.name.size() > 253 ||
      !(r.name == o.zone_name || r.name.ends_with("." + o.zone_name)))
    return failure{400, 9000, "DNS name is invalid."};
  if (r.ttl != 1 && (r.ttl < 60 || r.ttl > 86400))
    return failure{400, 9021, "TTL must be between 60 and 86400 seconds, or 1 for Automatic."};
  if (r.type == "A" || r.type == "AAAA") {
    unsigned char buf[16];
    int fam = r.type == "A" ? AF_INET : AF_INET6;
    if (inet_pton(fam, r.content.c_str(), buf) != 1)
      return r.type == "A" ? failure{400, 9005, "Content for A record must be a valid IPv4 address."}
                           : failure{400, 9006, "Content for AAAA record must be a valid IPv6 address."};
    char text[INET6_ADDRSTRLEN];
    inet_ntop(fam, buf, text, sizeof text);
    r.content = text;  // canonical form
  } else if (r.type == "TXT") {
    auto n = normalise_txt(r.content);
    if (!n) return failure{400, 9004, "The content field of TXT records must be in quotation marks."};
    // Cloudflare documents the 4,096-byte limit; its error code is not documented (9100 here).
    if (n->second > 4096) return failure{400, 9100, "DNS record exceeds 4096 bytes in wire format."};
    r.content = n->first;
  } else if (r.type == "SRV") {
    if (r.target.empty()) return failure{400, 9101, "SRV record data is invalid."};
    r.content = std::to_string(r.weight) + " " + std::to_string(r.port) + " " + r.target;
  } else {
    return failure{400, 9000, "DNS record type is not supported by this fake."};
  }
  std::size_t set_chars = r.content.size();
  for (auto& x : others) {
    if (x.id == r.id) continue;
    if (x.type == r.type && x.name == r.name) {
      if (x.content == r.content && (r.type != "SRV" || x.priority == r.priority))
        return failure{400, 81058, "An identical record already exists."};
      set_chars += x.content.size();
    }
  }
  // Documented limit, undocumented code (81062 here).
  if (set_chars > 8192)
    return failure{400, 81062, "DNS records with the same name and type exceed 8192 characters of content."};
  return std::nullopt;
}

}  // namespace

http::response cloudflare_fake::handle(int kind, const http::request& req, const http::route_params& p) {
  ++_calls;
  // The rate limit counts every call, and once over it refuses every call for `block`.
  const auto now = std::chrono::steady_clock::now();
  while (!_recent.empty() && now - _recent.front() >= _o.rate_window) _recent.pop_front();
  if (now < _blocked_until || _recent.size() >= _o.rate_limit) {
    if (now >= _blocked_until) _blocked_until = now + _o.block;
    auto secs = std::chrono::ceil<std::chrono::seconds>(_blocked_until - now).count();
    auto r = fail({429, 971, "Please wait and consider throttling your request speed"});
    r.headers.push_back({"retry-after", std::to_string(secs)});
    return r;
  }
  _recent.push_back(now);

  auto auth = req.header_value("authorization");
  if (auth.empty() && req.header_value("x-auth-key").empty())
    return fail({400, 9106, "Missing X-Auth-Key, X-Auth-Email or Authorization headers"});
  if (auth.empty()) return fail({403, 9103, "Unknown X-Auth-Key or X-Auth-Email"});
  if (!auth.starts_with("Bearer ") || auth.size() == 7 || auth.substr(7).find(' ') != std::string_view::npos)
    return fail({400, 6003, "Invalid request headers"}, 6111, "Invalid format for Authorization header");
  if (auth.substr(7) != _o.token) return fail({403, 9109, "Invalid access token"});

  auto zone = p.get("zone");
  if (!hex32(zone))
    return fail({400, 7003,
                 "Could not route to /client/v4/zones/" + std::string(zone) +
                     "/dns_records, perhaps your object identifier is invalid?"});
  if (zone != _o.zone_id) return fail({403, 10000, "Authentication error"});
  std::string id(p.get("id"));
  if ((kind == k_get || kind == k_put || kind == k_patch || kind == k_delete) && !hex32(id))
    return fail({400, 7003, "Could not route to /client/v4/zones/" + std::string(zone) + "/dns_records/" + id +
                                ", perhaps your object identifier is invalid?"});
  switch (kind) {
    case k_list: return list(req);
    case k_create: return create(req);
    case k_batch: return batch(req);
    case k_get: return get_one(id);
    case k_put: return replace(id, req, false);
    case k_patch: return replace(id, req, true);
    default: return remove(id);
  }
}

http::response cloudflare_fake::list(const http::request& req) {
  auto q = http::parse_query(req.path);
  if (!q) return fail({400, 9207, "Request query is invalid."});
  auto name = lower(std::string(http::query_value(*q, "name"))), type = std::string(http::query_value(*q, "type")),
       content = std::string(http::query_value(*q, "content"));
  long page = 1, per_page = 100;
  if (auto v = http::query_value(*q, "page"); !v.empty()) page = std::atol(std::string(v).c_str());
  if (auto v = http::query_value(*q, "per_page"); !v.empty()) per_page = std::atol(std::string(v).c_str());
  if (page < 1 || per_page < 1 || per_page > 5'000'000) return fail({400, 9207, "Request query is invalid."});
  std::vector<const record*> hits;
  for (auto& r : _records)
    if ((name.empty() || r.name == name) && (type.empty() || r.type == type) &&
        (content.empty() || lower(r.content) == lower(content)))
      hits.push_back(&r);
  const long total = static_cast<long>(hits.size());
  const long pages = std::max(1L, (total + per_page - 1) / per_page);
  json::writer w;
  w.begin_object().key("success").boolean(true).key("errors").begin_array().end_array();
  w.key("messages").begin_array().end_array().key("result").begin_array();
  long count = 0;
  for (long i = (page - 1) * per_page; i < total && i < page * per_page; ++i, ++count) write_record(w, *hits[i]);
  w.end_array().key("result_info").begin_object().key("page").number(static_cast<std::int64_t>(page));
  w.key("per_page").number(static_cast<std::int64_t>(per_page)).key("count").number(static_cast<std::int64_t>(count));
  w.key("total_count").number(static_cast<std::int64_t>(total)).key("total_pages").number(static_cast<std::int64_t>(pages));
  w.end_object().end_object();
  return json_response(200, w.take());
}

namespace {
http::response ok_record(const cloudflare_fake::record& r) {
  json::writer w;
  w.begin_object().key("success").boolean(true).key("errors").begin_array().end_array();
  w.key("messages").begin_array().end_array().key("result");
  write_record(w, r);
  w.end_object();
  return json_response(200, w.take());
}
}  // namespace

http::response cloudflare_fake::create(const http::request& req) {
  auto body = json::parse(req.body);
  if (!body) return fail({400, 9207, "Request body is invalid."});
  record r;
  if (auto f = read_body(*body, r, true)) return fail(*f);
  if (auto* t = body->find("ttl"); !t) r.ttl = 1;
  if (_records.size() >= _o.record_quota) return fail({400, 81045, "Record quota exceeded."});
  char id[33];
  std::snprintf(id, sizeof id, "%032llx", static_cast<unsigned long long>(_next_id++) * 0x9e3779b97f4a7c15ull);
  r.id = id;
  if (auto f = validate(r, _records, _o)) return fail(*f);
  _records.push_back(r);
  ++_writes;
  return ok_record(r);
}

http::response cloudflare_fake::get_one(const std::string& id) {
  for (auto& r : _records)
    if (r.id == id) return ok_record(r);
  return fail({404, 81044, "Record does not exist."});
}

http::response cloudflare_fake::replace(const std::string& id, const http::request& req, bool merge) {
  auto body = json::parse(req.body);
  if (!body) return fail({400, 9207, "Request body is invalid."});
  auto it = std::find_if(_records.begin(), _records.end(), [&](auto& r) { return r.id == id; });
  if (it == _records.end()) return fail({404, 81044, "Record does not exist."});
  record r = *it;
  if (!merge) {  // PUT: what is left out goes back to its default
    r.content.clear();
    r.ttl = 1;
  }
  if (auto f = read_body(*body, r, !merge)) return fail(*f);
  if (auto f = validate(r, _records, _o)) return fail(*f);
  *it = r;
  ++_writes;
  return ok_record(r);
}

http::response cloudflare_fake::remove(const std::string& id) {
  auto it = std::find_if(_records.begin(), _records.end(), [&](auto& r) { return r.id == id; });
  if (it == _records.end()) return fail({404, 81044, "Record does not exist."});
  _records.erase(it);
  ++_writes;
  json::writer w;
  w.begin_object().key("success").boolean(true).key("errors").begin_array().end_array();
  w.key("messages").begin_array().end_array().key("result").begin_object().key("id").string(id).end_object();
  w.end_object();
  return json_response(200, w.take());
}

http::response cloudflare_fake::batch(const http::request& req) {
  auto body = json::parse(req.body);
  if (!body || !body->is_object()) return fail({400, 9207, "Request body is invalid."});
  static constexpr const char* lists[] = {"deletes", "patches", "puts", "posts"};
  std::size_t ops = 0;
  for (auto* l : lists)
    if (auto* v = body->find(l)) {
      if (!v->is_array()) return fail({400, 9207, "Request body is invalid."});
      ops += v->as_array()->size();
    }
  // Documented limit (200 on Free, 3,500 on paid plans); the error code is not (81063 here).
  if (ops > _o.batch_limit)
    return fail({400, 81063, "Batch exceeds " + std::to_string(_o.batch_limit) + " record changes."});
  // All or nothing: work on a copy; the first failure returns with nothing applied.
  auto store = _records;
  auto next_id = _next_id;
  std::vector<record> done[4];
  for (int li = 0; li < 4; ++li) {
    auto* v = body->find(lists[li]);
    if (!v) continue;
    for (auto& item : *v->as_array()) {
      auto* idv = item.find("id");
      const std::string id = idv && idv->as_string() ? *idv->as_string() : "";
      if (li < 3) {
        auto it = std::find_if(store.begin(), store.end(), [&](auto& r) { return r.id == id; });
        if (!hex32(id) || it == store.end()) return fail({404, 81044, "Record does not exist."});
        if (li == 0) {
          done[0].push_back(*it);
          store.erase(it);
          continue;
        }
        record r = *it;
        if (li == 2) {
          r.content.clear();
          r.ttl = 1;
        }
        if (auto f = read_body(item, r, li == 2)) return fail(*f);
        if (auto f = validate(r, store, _o)) return fail(*f);
        *it = r;
        done[li].push_back(r);
      } else {
        record r;
        if (auto f = read_body(item, r, true)) return fail(*f);
        if (!item.find("ttl")) r.ttl = 1;
        if (store.size() >= _o.record_quota) return fail({400, 81045, "Record quota exceeded."});
        char idbuf[33];
        std::snprintf(idbuf, sizeof idbuf, "%032llx", static_cast<unsigned long long>(next_id++) * 0x9e3779b97f4a7c15ull);
        r.id = idbuf;
        if (auto f = validate(r, store, _o)) return fail(*f);
        store.push_back(r);
        done[3].push_back(r);
      }
    }
  }
  _records = std::move(store);
  _next_id = next_id;
  ++_writes;
  json::writer w;
  w.begin_object().key("success").boolean(true).key("errors").begin_array().end_array();
  w.key("messages").begin_array().end_array().key("result").begin_object();
  for (int li = 0; li < 4; ++li) {
    w.key(lists[li]).begin_array();
    for (auto& r : done[li]) write_record(w, r);
    w.end_array();
  }
  w.end_object().end_object();
  return json_response(200, w.take());
}

}  // namespace brood::test
