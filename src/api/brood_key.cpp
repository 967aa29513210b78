// brood.key: load with a permission check, save atomically.
#include <brood/api/brood_key.hpp>
#include <brood/rt/file.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace brood::api {

namespace {
std::error_code last_error() { return {errno, std::system_category()}; }
}  // namespace

rt::result<brood_key> load_brood_key(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return last_error();
  struct stat st {};
  if (::fstat(fd, &st) != 0 || (st.st_mode & 077) != 0) {
    ::close(fd);
    return std::errc::permission_denied;
  }
  char buf[256];
  auto n = ::read(fd, buf, sizeof buf);
  ::close(fd);
  if (n <= 0) return std::errc::invalid_argument;
  return parse_brood_key(std::string_view(buf, static_cast<std::size_t>(n)));
}

std::string format_brood_key(const brood_key& k) { return std::to_string(k.kv) + " " + crypto::base64(k.key) + "\n"; }

rt::result<brood_key> parse_brood_key(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  auto sp = text.find(' ');
  brood_key k;
  if (sp == std::string_view::npos) return std::errc::invalid_argument;
  auto [p, ec] = std::from_chars(text.data(), text.data() + sp, k.kv);
  auto raw = crypto::from_base64(text.substr(sp + 1));
  if (ec != std::errc() || p != text.data() + sp || k.kv == 0 || !raw || raw->size() != k.key.size())
    return std::errc::invalid_argument;
  std::memcpy(k.key.data(), raw->data(), k.key.size());
  return k;
}

rt::result<void> save_brood_key(const std::string& path, const brood_key& k) {
  const std::string tmp = rt::temporary_name(path);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return last_error();
  const std::string line = format_brood_key(k);
  bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    auto e = last_error();
    ::unlink(tmp.c_str());
    return e ? e : std::make_error_code(std::errc::io_error);
  }
  // The rename is durable once the directory is synced.
  auto slash = path.rfind('/');
  int dir = ::open(slash == std::string::npos ? "." : path.substr(0, slash).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return {};
}

}  // namespace brood::api
