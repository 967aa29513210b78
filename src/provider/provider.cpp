// The provider error category, the read-modify-write loop every provider shares, read() and
// apply() on top of it.
#include <brood/provider/provider.hpp>

#include <set>

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

rt::task<result<std::vector<rrset>>> provider::read(std::vector<rrset> sets, std::string* why) {
  write_stats stats;
  auto held = co_await read_held(sets, rt::clock::now() + edit_timeout(), stats, why);
  if (!held) co_return held.error();
  std::vector<rrset> out;
  for (auto& h : *held) out.push_back(std::move(h.set));
  co_return out;
}

namespace {
/// The difference between what is held and what is wanted, set by set; counted into `round`.
std::vector<set_change> difference(const std::vector<held_set>& have, const std::vector<rrset>& wanted,
                                   write_stats& round) {
  static const held_set none;
  std::vector<set_change> out;
  for (auto& w : wanted) {
    const held_set* h = &none;
    for (auto& x : have)
      if (x.set.name == w.name && x.set.type == w.type) h = &x;
    std::set<std::string> want(w.values.begin(), w.values.end()), kept;
    set_change c{&w, h, {}, {}};
    for (auto& v : h->held) {
      if (want.count(v.value) && kept.insert(v.value).second) continue;
      c.remove.push_back(&v);  // unwanted, or a second copy
    }
    for (auto& v : want)
      if (!kept.count(v)) c.add.push_back(v);
    if (c.remove.empty() && c.add.empty()) {
      ++round.unchanged_sets;
      continue;
    }
    ++round.changed_sets;
    round.added += static_cast<unsigned>(c.add.size());
    round.removed += static_cast<unsigned>(c.remove.size());
    out.push_back(std::move(c));
  }
  return out;
}
}  // namespace

rt::task<result<write_stats>> provider::edit(std::vector<rrset> sets, edit_fn edit, std::string* why) {
  const auto deadline = rt::clock::now() + edit_timeout();
  write_stats stats;
  for (unsigned attempt = 0; attempt < edit_attempts(); ++attempt) {
    auto have = co_await read_held(sets, deadline, stats, why);
    if (!have) co_return have.error();
    std::vector<rrset> current;
    for (auto& h : *have) current.push_back(h.set);
    const auto wanted = edit(current);
    write_stats round{};
    round.calls = stats.calls;
    round.conflicts = stats.conflicts;
    const auto changes = difference(*have, wanted, round);
    if (changes.empty()) co_return round;
    auto w = co_await write(changes, deadline, round, why);
    if (w) co_return round;
    if (w.error() != make_error_code(error::conflict)) co_return w.error();
    stats.calls = round.calls;
    stats.conflicts = round.conflicts + 1;
  }
  say(why, "the sets changed under every one of " + std::to_string(edit_attempts()) + " attempts");
  co_return error::conflict;
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
