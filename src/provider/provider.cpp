// The provider error category and apply() on top of edit().
#include <brood/provider/provider.hpp>

namespace brood::provider {

namespace {
class category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "provider"; }
  std::string message(int v) const override {
    switch (static_cast<error>(v)) {
      case error::auth: return "the DNS provider refused our credentials";
      case error::rate_limited: return "the DNS provider's rate limit was reached";
      case error::conflict: return "the records kept changing under us";
      case error::rejected: return "the DNS provider refused the change";
      case error::unavailable: return "the DNS provider is unreachable";
      case error::bad_response: return "unreadable answer from the DNS provider";
    }
    return "provider error";
  }
};
}  // namespace

const std::error_category& error_category() noexcept {
  static const category c;
  return c;
}

rt::task<result<write_stats>> provider::apply(std::vector<rrset> desired, std::string* why) {
  auto wanted = desired;
  edit_fn same = [wanted](const std::vector<rrset>&) { return wanted; };
  co_return co_await edit(std::move(desired), std::move(same), why);
}

std::vector<std::vector<rrset>> batches(std::vector<rrset> sets, const provider& p) {
  const std::size_t max_bytes = p.max_edit_bytes(), max_sets = 64;
  std::vector<std::vector<rrset>> out;
  std::size_t bytes = 0;
  for (auto& s : sets) {
    std::size_t size = s.name.size();
    for (auto& v : s.values) size += s.name.size() + v.size();
    if (out.empty() || out.back().size() >= max_sets || (!out.back().empty() && bytes + size > max_bytes)) {
      out.emplace_back();
      bytes = 0;
    }
    out.back().push_back(std::move(s));
    bytes += size;
  }
  return out;
}

}  // namespace brood::provider
