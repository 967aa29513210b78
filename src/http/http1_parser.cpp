// HTTP/1.1 request head parser and chunked body decoder (see http1_parser.hpp for the rules).
#include <brood/http/http1_parser.hpp>

#include <algorithm>
#include <charconv>

namespace brood::http {

namespace {

constexpr bool is_tchar(char c) noexcept {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

bool is_token(std::string_view s) noexcept { return !s.empty() && std::all_of(s.begin(), s.end(), is_tchar); }

/// Visible ASCII, obs-text and spaces/tabs: what a field value or request target may hold.
bool is_field_char(char c) noexcept {
  auto u = static_cast<unsigned char>(c);
  return u == '\t' || (u >= 0x20 && u != 0x7f);
}

std::string lower(std::string_view s) {
  std::string r(s);
  for (auto& c : r)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return r;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x | 0x20) == (y | 0x20);
         });
}

std::string_view trim_ows(std::string_view v) noexcept {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

constexpr auto bad = std::errc::bad_message;

}  // namespace

std::size_t find_head_end(std::string_view buf) noexcept {
  auto p = buf.find("\r\n\r\n");
  return p == std::string_view::npos ? std::string_view::npos : p + 4;
}

result<request_head> parse_request_head(std::string_view head) {
  if (head.size() < 4 || head.substr(head.size() - 4) != "\r\n\r\n") return bad;
  request_head h;
  std::size_t eol = head.find("\r\n");
  std::string_view line = head.substr(0, eol);
  // request-line = method SP request-target SP HTTP-version
  auto sp1 = line.find(' ');
  auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) return bad;
  std::string_view method = line.substr(0, sp1), target = line.substr(sp1 + 1, sp2 - sp1 - 1),
                   version = line.substr(sp2 + 1);
  if (!is_token(method) || target.empty()) return bad;
  if (!std::all_of(target.begin(), target.end(), [](char c) { return is_field_char(c) && c != ' ' && c != '\t'; }))
    return bad;
  if (target.front() != '/' && !(target == "*" && method == "OPTIONS")) return bad;  // origin-form only
  if (version == "HTTP/1.1")
    h.minor_version = 1;
  else if (version == "HTTP/1.0")
    h.minor_version = 0;
  else
    return bad;
  h.req.method = std::string(method);
  h.req.path = std::string(target);
  h.keep_alive = h.minor_version == 1;

  std::optional<std::uint64_t> length;
  bool chunked = false, saw_te = false, saw_host = false;
  std::size_t pos = eol + 2;
  while (pos < head.size() - 2) {
    std::size_t end = head.find("\r\n", pos);
    line = head.substr(pos, end - pos);
    pos = end + 2;
    if (line.find('\n') != std::string_view::npos || line.find('\r') != std::string_view::npos) return bad;
    if (line.front() == ' ' || line.front() == '\t') return bad;  // obsolete line folding
    auto colon = line.find(':');
    if (colon == std::string_view::npos) return bad;
    std::string_view name = line.substr(0, colon);
    if (!is_token(name)) return bad;  // also refuses "name :" (whitespace before the colon)
    std::string_view value = trim_ows(line.substr(colon + 1));
    if (!std::all_of(value.begin(), value.end(), is_field_char)) return bad;
    std::string lname = lower(name);
    if (lname == "content-length") {
      std::uint64_t n = 0;
      auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (value.empty() || ec != std::errc() || p != value.data() + value.size()) return bad;
      if (length && *length != n) return bad;
      length = n;
    } else if (lname == "transfer-encoding") {
      if (saw_te || !iequals(value, "chunked")) return std::errc::not_supported;
      saw_te = chunked = true;
    } else if (lname == "host") {
      if (saw_host) return bad;
      saw_host = true;
      h.req.authority = std::string(value);
    } else if (lname == "connection") {
      if (iequals(value, "close")) h.keep_alive = false;
      if (iequals(value, "keep-alive")) h.keep_alive = true;
    }
    h.req.headers.push_back({std::move(lname), std::string(value)});
  }
  if (h.minor_version == 1 && !saw_host) return bad;
  if (chunked && length) return bad;  // both framings: refuse rather than pick one
  if (chunked) {
    if (h.minor_version == 0) return bad;
    h.framing = body_framing::chunked;
  } else if (length && *length > 0) {
    h.framing = body_framing::content_length;
    h.content_length = *length;
  }
  return h;
}

result<std::size_t> chunked_decoder::feed(std::string_view in, std::string& out) {
  constexpr std::size_t max_line = 4096;
  std::size_t i = 0;
  while (i < in.size() && _state != state::done) {
    const char c = in[i];
    switch (_state) {
      case state::size: {
        int d = c >= '0' && c <= '9' ? c - '0' : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10 : -1;
        if (d >= 0) {
          if (++_digits > 15) return bad;
          _chunk = _chunk * 16 + static_cast<unsigned>(d);
          ++i;
        } else if (_digits == 0) {
          return bad;
        } else if (c == ';') {
          _state = state::ext;
          _line = 0;
          ++i;
        } else if (c == '\r') {
          _state = state::size_lf;
          ++i;
        } else {
          return bad;
        }
        break;
      }
      case state::ext:  // chunk extensions are read and ignored
        if (c == '\r') {
          _state = state::size_lf;
        } else if (!is_field_char(c) || ++_line > max_line) {
          return bad;
        }
        ++i;
        break;
      case state::size_lf:
        if (c != '\n') return bad;
        ++i;
        if (_chunk == 0) {
          _state = state::trailer_start;
        } else {
          if (_total + _chunk > _max) return std::errc::message_size;
          _state = state::data;
        }
        break;
      case state::data: {
        std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(_chunk, in.size() - i));
        out.append(in.substr(i, n));
        i += n;
        _chunk -= n;
        _total += n;
        if (_chunk == 0) _state = state::data_cr;
        break;
      }
      case state::data_cr:
        if (c != '\r') return bad;
        _state = state::data_lf;
        ++i;
        break;
      case state::data_lf:
        if (c != '\n') return bad;
        _state = state::size;
        _digits = 0;
        ++i;
        break;
      case state::trailer_start:  // either the final CRLF or a trailer field
        if (c == '\r') {
          _state = state::last_lf;
        } else {
          _state = state::trailer_line;
          _line = 0;
          continue;
        }
        ++i;
        break;
      case state::trailer_line:
        if (c == '\r') {
          _state = state::trailer_lf;
        } else if (!is_field_char(c) || ++_line > max_line) {
          return bad;
        }
        ++i;
        break;
      case state::trailer_lf:
        if (c != '\n') return bad;
        _state = state::trailer_start;
        ++i;
        break;
      case state::last_lf:
        if (c != '\n') return bad;
        _state = state::done;
        ++i;
        break;
      case state::done:
        break;
    }
  }
  return i;
}

}  // namespace brood::http
