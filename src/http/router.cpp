// router: segment matching with {captures}; brood's JSON error responses; reason phrases.
#include <brood/http/router.hpp>
#include <brood/json/writer.hpp>

namespace brood::http {

namespace {
std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  if (auto q = path.find('?'); q != std::string_view::npos) path = path.substr(0, q);
  std::size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    auto j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    out.push_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

}  // namespace

router& router::add(std::string method, std::string pattern, handler h) {
  route r{std::move(method), {}, std::move(h)};
  for (auto seg : split_path(pattern)) r.segments.emplace_back(seg);
  _routes.push_back(std::move(r));
  return *this;
}

router::match router::find(std::string_view method, std::string_view path, route_params& params) const {
  if (auto q = path.find('?'); q != std::string_view::npos) path = path.substr(0, q);
  match m;
  for (auto& r : _routes) {
    // Walk the path's segments against the pattern's without building a list (hot path).
    params.clear();
    std::size_t i = 0, seg = 0;
    bool ok = true;
    for (;;) {
      while (i < path.size() && path[i] == '/') ++i;
      if (i == path.size()) break;
      std::size_t j = path.find('/', i);
      if (j == std::string_view::npos) j = path.size();
      if (seg == r.segments.size()) {
        ok = false;
        break;
      }
      const std::string& p = r.segments[seg++];
      std::string_view part = path.substr(i, j - i);
      if (p.size() >= 2 && p.front() == '{' && p.back() == '}')
        params.add(std::string_view(p).substr(1, p.size() - 2), part);
      else if (p != part) {
        ok = false;
        break;
      }
      i = j;
    }
    if (!ok || seg != r.segments.size()) continue;
    if (r.method == method) {
      m.h = &r.h;
      return m;
    }
    m.status = 405;
  }
  params.clear();
  return m;
}

response error_response(int status, std::string_view error, std::string_view detail) {
  response r;
  r.status = status;
  r.headers.push_back({"content-type", "application/json"});
  json::writer w;
  w.begin_object().key("error").string(error);
  if (!detail.empty()) w.key("detail").string(detail);
  r.body = w.end_object().take();
  return r;
}

std::string_view reason_phrase(int status) noexcept {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Content Too Large";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    default: return "";
  }
}

}  // namespace brood::http
