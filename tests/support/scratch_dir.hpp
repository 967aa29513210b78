// scratch_dir: a directory of a test's own under /tmp, removed with everything in it when the
// test ends; its files written and read whole.
#pragma once

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <unistd.h>

namespace brood::test {

struct scratch_dir {
  std::string dir;
  explicit scratch_dir(const std::string& prefix = "brood-test") {
    std::string t = "/tmp/" + prefix + "-XXXXXX";
    dir = ::mkdtemp(t.data());
  }
  ~scratch_dir() { std::filesystem::remove_all(dir); }
  scratch_dir(const scratch_dir&) = delete;
  scratch_dir& operator=(const scratch_dir&) = delete;

  std::string path(const std::string& name) const { return dir + "/" + name; }
  /// Writes `bytes` to `name` (below dir), executable by its owner when `exec`.
  void write(const std::string& name, std::string_view bytes, bool exec = false) const {
    std::ofstream(path(name), std::ios::binary) << bytes;
    if (exec) std::filesystem::permissions(path(name), std::filesystem::perms::owner_all);
  }
  std::string read(const std::string& name) const {
    std::ifstream in(path(name), std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
  }
};

}  // namespace brood::test
