// broodctl: the operator's command line over the HTTPS API (SPEC §2). Human tables by default,
// the API's JSON with --json. `curl` keeps working: every command is one request.
//
// Exit codes scripts can trust: 0 done; 1 the API refused (4xx, its error on stderr);
// 2 usage or configuration; 3 the API could not be reached or failed (5xx, network).
//
// Configuration: BROOD_API (https://scout:8443) or --api; the operator token from
// BROOD_API_TOKEN, or the file named by BROOD_API_TOKEN_FILE or --token-file; BROOD_CA_FILE
// adds trust anchors (labs).
#include <brood/dns/resolver.hpp>
#include <brood/http/h2_client.hpp>
#include <brood/http/url.hpp>
#include <brood/json/value.hpp>
#include <brood/json/writer.hpp>
#include <brood/rt/reactor.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using namespace brood;

namespace {

constexpr const char* usage = R"(usage: broodctl [--json] [--api URL] [--token-file FILE] COMMAND
  pending                         nodes waiting for approval
  approve ID [--role scout]       admit a node (worker unless --role scout)
  reject ID                       refuse a pending registration (the node may register again)
  remove ID                       remove a node (rotates the brood key)
  members                         admitted nodes
  node ID                         one node's status
  vlan list | vlan create VNI NAME SUBNET | vlan delete VNI
  vlan members VNI | vlan add VNI ID IP | vlan remove VNI ID
  trail list | trail add REMOTE_DOMAIN [--priority N] [--endpoint IP:PORT] | trail remove REMOTE_DOMAIN
  status                          this scout: key version, members, silent nodes, watchers
)";

struct call {
  std::string method, path, body;
};

std::string text_of(const json::value& v) {
  if (auto* s = v.as_string()) return *s;
  if (auto* a = v.as_array()) {
    std::string out;
    for (auto& x : *a) out += (out.empty() ? "" : ",") + text_of(x);
    return out.empty() ? "-" : out;
  }
  if (auto i = v.as_int()) return std::to_string(*i);
  if (auto* b = v.as_bool()) return *b ? "yes" : "no";
  if (v.is_null()) return "-";
  return "…";  // a nested object: --json shows it
}

/// A JSON array of objects as an aligned table; an object as "key: value" lines.
void print_human(const json::value& v) {
  if (auto* a = v.as_array()) {
    if (a->empty()) {
      std::puts("(none)");
      return;
    }
    std::vector<std::string> cols;
    for (auto& row : *a)
      if (auto* o = row.as_object())
        for (auto& k : o->keys)
          if (std::find(cols.begin(), cols.end(), k) == cols.end()) cols.push_back(k);
    std::vector<std::vector<std::string>> cells;
    std::vector<std::size_t> width;
    for (auto& c : cols) {
      std::string h = c;
      std::transform(h.begin(), h.end(), h.begin(), [](unsigned char ch) { return static_cast<char>(std::toupper(ch)); });
      width.push_back(h.size());
    }
    cells.emplace_back();
    for (std::size_t i = 0; i < cols.size(); ++i) {
      std::string h = cols[i];
      std::transform(h.begin(), h.end(), h.begin(), [](unsigned char ch) { return static_cast<char>(std::toupper(ch)); });
      cells.back().push_back(h);
    }
    for (auto& row : *a) {
      cells.emplace_back();
      for (std::size_t i = 0; i < cols.size(); ++i) {
        auto* x = row.find(cols[i]);
        cells.back().push_back(x ? text_of(*x) : "-");
        width[i] = std::max(width[i], cells.back().back().size());
      }
    }
    for (auto& line : cells) {
      std::string out;
      for (std::size_t i = 0; i < line.size(); ++i) {
        out += line[i];
        if (i + 1 < line.size()) out += std::string(width[i] - line[i].size() + 2, ' ');
      }
      std::puts(out.c_str());
    }
    return;
  }
  if (auto* o = v.as_object()) {
    for (std::size_t i = 0; i < o->keys.size(); ++i)
      std::printf("%s: %s\n", o->keys[i].c_str(), text_of(o->values[i]).c_str());
    return;
  }
  std::puts(text_of(v).c_str());
}

std::string quoted(std::string_view s) {
  std::string out;
  json::append_quoted(out, s);
  return out;
}

bool digits(std::string_view s) {
  return !s.empty() && s.size() <= 10 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

/// The request a command line stands for, or nothing (usage error).
std::optional<call> parse_command(std::vector<std::string> a) {
  auto flag = [&](const std::string& name) -> std::optional<std::string> {
    for (std::size_t i = 0; i + 1 < a.size(); ++i)
      if (a[i] == name) {
        auto v = a[i + 1];
        a.erase(a.begin() + static_cast<std::ptrdiff_t>(i), a.begin() + static_cast<std::ptrdiff_t>(i) + 2);
        return v;
      }
    return std::nullopt;
  };
  if (a.empty()) return std::nullopt;
  auto role = flag("--role");
  auto priority = flag("--priority");
  auto endpoint = flag("--endpoint");
  const auto n = a.size();
  const auto& c = a[0];
  if (c == "pending" && n == 1) return call{"GET", "/pending", ""};
  if (c == "approve" && n == 2) return call{"POST", "/approve/" + http::url_encode(a[1]), "{\"role\":" + quoted(role.value_or("worker")) + "}"};
  if (c == "reject" && n == 2) return call{"DELETE", "/pending/" + http::url_encode(a[1]), ""};
  if (c == "remove" && n == 2) return call{"DELETE", "/nodes/" + http::url_encode(a[1]), ""};
  if (c == "members" && n == 1) return call{"GET", "/members", ""};
  if (c == "node" && n == 2) return call{"GET", "/nodes/" + http::url_encode(a[1]), ""};
  if (c == "status" && n == 1) return call{"GET", "/status", ""};
  if (c == "vlan" && n >= 2) {
    const auto& s = a[1];
    if (s == "list" && n == 2) return call{"GET", "/vlans", ""};
    if (s == "create" && n == 5 && digits(a[2]))
      return call{"POST", "/vlans", "{\"vni\":" + a[2] + ",\"name\":" + quoted(a[3]) + ",\"subnet\":" + quoted(a[4]) + "}"};
    if (s == "delete" && n == 3) return call{"DELETE", "/vlans/" + http::url_encode(a[2]), ""};
    if (s == "members" && n == 3) return call{"GET", "/vlans/" + http::url_encode(a[2]) + "/members", ""};
    if (s == "add" && n == 5)
      return call{"POST", "/vlans/" + http::url_encode(a[2]) + "/members",
                  "{\"id\":" + quoted(a[3]) + ",\"ip\":" + quoted(a[4]) + "}"};
    if (s == "remove" && n == 4)
      return call{"DELETE", "/vlans/" + http::url_encode(a[2]) + "/members/" + http::url_encode(a[3]), ""};
  }
  if (c == "trail" && n >= 2) {
    const auto& s = a[1];
    if (s == "list" && n == 2) return call{"GET", "/trails", ""};
    if (s == "add" && n == 3 && digits(priority.value_or("100")))
      return call{"POST", "/trails", "{\"remote_domain\":" + quoted(a[2]) + ",\"priority\":" + priority.value_or("100") +
                                         (endpoint ? ",\"endpoint\":" + quoted(*endpoint) : std::string()) + "}"};
    if (s == "remove" && n == 3) return call{"DELETE", "/trails/" + http::url_encode(a[2]), ""};
  }
  return std::nullopt;
}

rt::task<int> run(std::string api, std::string token, call c, bool as_json) {
  auto u = http::parse_url(api);
  if (!u) {
    std::fprintf(stderr, "broodctl: not an http(s) URL: %s\n", api.c_str());
    co_return 2;
  }
  http::client_options co;
  if (u->tls) {
    tls::client_options tco;
    if (const char* ca = std::getenv("BROOD_CA_FILE")) tco.ca_file = ca;
    auto ctx = tls::context::client(tco);
    if (!ctx) {
      std::fprintf(stderr, "broodctl: TLS: %s\n", ctx.error().message().c_str());
      co_return 2;
    }
    co.tls = *ctx;
  }
  // The API's host name through the system's resolver (the seed's https://<domain>:8443 names
  // every scout); numeric addresses and localhost need none.
  auto names = dns::resolver::make();
  if (!names) {
    std::fprintf(stderr, "broodctl: resolver: %s\n", names.error().message().c_str());
    co_return 2;
  }
  co.resolve = (*names)->as_http_resolver();
  http::h2_client client(co);
  http::request req;
  req.method = c.method;
  req.path = (u->path == "/" ? "" : u->path) + c.path;
  req.body = c.body;
  req.headers.push_back({"authorization", "Bearer " + token});
  if (!c.body.empty()) req.headers.push_back({"content-type", "application/json"});
  rt::io_options o;
  o.deadline = rt::clock::now() + std::chrono::seconds(30);
  auto resp = co_await client.request(u->authority, std::move(req), o);
  co_await client.close();
  if (!resp) {
    std::fprintf(stderr, "broodctl: %s: %s\n", api.c_str(), resp.error().message().c_str());
    co_return 3;
  }
  auto v = json::parse(resp->body);
  if (resp->status >= 400) {
    const json::value* e = v ? v->find("error") : nullptr;
    const json::value* d = v ? v->find("detail") : nullptr;
    std::fprintf(stderr, "broodctl: %d %s%s%s\n", resp->status,
                 e && e->as_string() ? e->as_string()->c_str() : resp->body.c_str(),
                 d && d->as_string() && !d->as_string()->empty() ? ": " : "",
                 d && d->as_string() ? d->as_string()->c_str() : "");
    co_return resp->status >= 500 ? 3 : 1;
  }
  if (as_json || !v) {
    std::fwrite(resp->body.data(), 1, resp->body.size(), stdout);
    if (resp->body.empty() || resp->body.back() != '\n') std::putchar('\n');
  } else {
    print_human(*v);
  }
  co_return 0;
}

std::string read_token_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  auto s = ss.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  bool as_json = false;
  std::string api = std::getenv("BROOD_API") ? std::getenv("BROOD_API") : "";
  std::string token_file = std::getenv("BROOD_API_TOKEN_FILE") ? std::getenv("BROOD_API_TOKEN_FILE") : "";
  std::string token = std::getenv("BROOD_API_TOKEN") ? std::getenv("BROOD_API_TOKEN") : "";
  for (std::size_t i = 0; i < args.size();) {
    if (args[i] == "--json") {
      as_json = true;
      args.erase(args.begin() + static_cast<std::ptrdiff_t>(i));
    } else if ((args[i] == "--api" || args[i] == "--token-file") && i + 1 < args.size()) {
      (args[i] == "--api" ? api : token_file) = args[i + 1];
      args.erase(args.begin() + static_cast<std::ptrdiff_t>(i), args.begin() + static_cast<std::ptrdiff_t>(i) + 2);
    } else if (args[i] == "-h" || args[i] == "--help") {
      std::fputs(usage, stdout);
      return 0;
    } else {
      ++i;
    }
  }
  auto c = parse_command(args);
  if (!c) {
    std::fputs(usage, stderr);
    return 2;
  }
  if (!token_file.empty()) token = read_token_file(token_file);
  if (api.empty() || token.empty()) {
    std::fprintf(stderr, "broodctl: %s\n",
                 api.empty() ? "BROOD_API (or --api) must name the API, e.g. https://scout.example:8443"
                             : "BROOD_API_TOKEN, BROOD_API_TOKEN_FILE or --token-file must give the operator token");
    return 2;
  }
  rt::reactor r;
  return r.block_on(run(api, token, std::move(*c), as_json));
}
