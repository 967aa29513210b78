// libFuzzer target: every record parser on arbitrary text. The first byte picks the parser;
// the rest is the record's text (or, for a whole answer, texts separated by line feeds; for a
// pushed write, lines of "<owner> <text>").
// Member decoders run with signer_rule::covered so that the value checks behind the
// signature are reached too. Anything accepted must satisfy the record's own invariants.
#include <brood/records/meta.hpp>
#include <brood/records/set_header.hpp>
#include <brood/records/view_update.hpp>

#include <cstdlib>
#include <string>

using namespace brood;
using namespace brood::records;

namespace {
const names domain("brood.example");
const crypto::secret_key key{};
const std::vector<crypto::secret_key> ring{key};
const std::vector<crypto::public_key> scouts{crypto::public_key{}};

void check(bool ok) {
  if (!ok) std::abort();
}

texts split_lines(const std::string& s) {
  texts out;
  std::size_t start = 0;
  while (start <= s.size() && out.size() < 64) {
    auto nl = s.find('\n', start);
    out.push_back(s.substr(start, nl == std::string::npos ? std::string::npos : nl - start));
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  return out;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  const auto owner = domain.node_shard("a");
  switch (data[0] % 10) {
    case 0: {
      auto f = field_list::parse(text);
      if (f) check(!f->fields().empty() && f->fields().front().first == "v");
      auto m = decode_meta(text, domain.meta(), {});
      if (m) check(!m->scouts.empty() && (m->shards == 16 || m->shards == 256) && m->ts > 0);
      break;
    }
    case 1:
      if (auto n = decode_node(text, owner, scouts, ring, signer_rule::covered))
        check((n->role == "worker" || n->role == "scout") && n->endpoints.size() <= 8);
      break;
    case 2:
      if (auto v = decode_vlan(text, domain.vlans(), scouts, ring, signer_rule::covered))
        check(v->vni >= 1 && v->vni <= max_vni && !v->name.empty());
      break;
    case 3:
      if (auto m = decode_member(text, owner, scouts, ring, signer_rule::covered)) check(!m->ip.empty());
      break;
    case 4:
      if (auto t = decode_trail(text, domain.trails(), scouts, signer_rule::covered)) check(t->scout.size() == 10);
      break;
    case 5:
      if (auto h = decode_set_header(text, set_kind::nodes, owner, scouts, signer_rule::covered))
        check(h->kind == set_kind::nodes && h->ts > 0);
      break;
    case 6:
      (void)decode_liveness(text, domain.liveness(), scouts);
      (void)decode_key(text, domain.key("0123456789"), scouts);
      (void)decode_pending(text, domain.pending_shard("a"));
      break;
    case 7:
      if (auto e = parse_endpoints_json(text)) check(e->size() <= 8);
      break;
    case 8: {
      // A pushed write (GET /watch): owner names of every kind, folded; nothing can be accepted.
      trust_store t;
      t.scouts = scouts;
      t.keys = ring;
      view v;
      std::vector<pushed_set> sets;
      for (auto& line : split_lines(text)) {
        auto sp = line.find(' ');
        if (sp == std::string::npos) continue;
        sets.push_back({line.substr(0, sp), {line.substr(sp + 1)}});
      }
      std::vector<problem> p;
      const crypto::public_key self{};
      (void)apply_pushed(v, t, domain, &self, sets, p, 1763779200000);
      check(!v.meta && v.node_shards.empty() && !v.vlans && v.members.empty() && !v.trails && v.liveness.empty());
      break;
    }
    default: {
      // A whole answer for one shard, folded into a view: nothing may be accepted, since no
      // input can carry a valid signature by the (all-zero) scout key.
      trust_store t;
      t.scouts = scouts;
      t.keys = ring;
      view v;
      std::vector<problem> p;
      apply_node_shard(v, t, domain, "a", split_lines(text), p);
      apply_vlans(v, t, domain, split_lines(text), p);
      check(v.node_shards.empty() && !v.vlans.has_value());
      check(!p.empty());
    }
  }
  return 0;
}
