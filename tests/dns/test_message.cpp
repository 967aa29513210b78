// DNS message building and parsing on hand-made wire data.
#include <brood/dns/message.hpp>

#include <boost/test/unit_test.hpp>

using namespace brood::dns;

BOOST_AUTO_TEST_SUITE(message)

namespace {
/// A response to `q` with `answers` (already in wire form) appended.
std::string respond(std::string q, int rcode, int ancount, const std::string& answers, bool tc = false) {
  q[2] = static_cast<char>(0x81 | (tc ? 0x02 : 0));  // QR, RD (and TC)
  q[3] = static_cast<char>(0x80 | rcode);             // RA
  q[6] = 0;
  q[7] = static_cast<char>(ancount);
  q[10] = q[11] = 0;  // drop the OPT record count; the OPT RR itself is cut below
  auto qend = 12 + (q.find('\0', 12) - 12) + 1 + 4;   // name, type, class
  return q.substr(0, qend) + answers;
}
std::string txt_rr(std::initializer_list<std::string> strings) {
  std::string rdata;
  for (auto& s : strings) rdata += static_cast<char>(s.size()) + s;
  std::string rr = "\xc0\x0c";                     // pointer to the question name
  rr += std::string("\x00\x10\x00\x01", 4);        // TXT IN
  rr += std::string("\x00\x00\x00\x3c", 4);        // TTL 60
  rr += static_cast<char>(rdata.size() >> 8);
  rr += static_cast<char>(rdata.size() & 0xff);
  return rr + rdata;
}
std::span<const std::uint8_t> view(const std::string& s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }
}  // namespace

BOOST_AUTO_TEST_CASE(queries_carry_edns0_and_the_name) {
  auto q = build_query("_n.a.brood.test", record_type::txt, 0);
  BOOST_REQUIRE(q.has_value());
  BOOST_TEST((q->substr(0, 2) == std::string("\0\0", 2)));                    // id 0 for DoH
  BOOST_TEST(q->find("\x02_n\x01" "a\x05" "brood\x04test") != std::string::npos);
  BOOST_TEST((q->substr(10, 2) == std::string("\0\1", 2)));                   // one additional: OPT
  BOOST_TEST(!build_query(std::string(300, 'a'), record_type::txt).has_value());
}

BOOST_AUTO_TEST_CASE(txt_strings_join_per_record) {
  auto q = *build_query("big.brood.test", record_type::txt);
  std::string a(255, 'a'), b(255, 'b');
  auto msg = respond(q, 0, 2, txt_rr({a, b, "c"}) + txt_rr({"pk=x", "y"}));
  auto r = parse_txt(view(msg));
  BOOST_REQUIRE_MESSAGE(r.has_value(), r.error().message());
  BOOST_REQUIRE(r->size() == 2u);
  BOOST_TEST((*r)[0].strings.size() == 3u);
  BOOST_TEST((*r)[0].text() == a + b + "c");
  BOOST_TEST((*r)[1].text() == "pk=xy");
  BOOST_TEST((split_txt(a + b + "c") == std::vector<std::string>{a, b, "c"}));
  BOOST_TEST((split_txt("") == std::vector<std::string>{""}));
}

BOOST_AUTO_TEST_CASE(nxdomain_nodata_truncation_and_garbage_are_distinct) {
  auto q = *build_query("x.brood.test", record_type::txt);
  BOOST_TEST((parse_txt(view(respond(q, 3, 0, ""))).error() == error::nxdomain));
  BOOST_TEST((parse_txt(view(respond(q, 0, 0, ""))).error() == error::nodata));
  BOOST_TEST((parse_txt(view(respond(q, 2, 0, ""))).error() == error::servfail));
  BOOST_TEST((parse_txt(view(respond(q, 0, 1, txt_rr({"v"}), true))).error() == error::truncated));
  BOOST_TEST((parse_txt(view(q)).error() == error::malformed));  // a query is not an answer
  auto cut = respond(q, 0, 1, txt_rr({"hello"}));
  cut.resize(cut.size() - 3);
  BOOST_TEST((parse_txt(view(cut)).error() == error::malformed));
  BOOST_TEST((parse_txt(view(std::string("\0\0\x81", 3))).error() == error::malformed));
}

BOOST_AUTO_TEST_CASE(ns_answers_name_their_servers) {
  auto q = *build_query("brood.test", record_type::ns);
  auto ns_rr = [](const std::string& host) {
    std::string rdata;
    for (std::size_t start = 0; start < host.size();) {
      auto dot = host.find('.', start);
      if (dot == std::string::npos) dot = host.size();
      rdata += static_cast<char>(dot - start) + host.substr(start, dot - start);
      start = dot + 1;
    }
    rdata += '\0';
    std::string rr = "\xc0\x0c";
    rr += std::string("\x00\x02\x00\x01\x00\x00\x0e\x10", 8);  // NS IN, TTL 3600
    rr += static_cast<char>(rdata.size() >> 8);
    rr += static_cast<char>(rdata.size() & 0xff);
    return rr + rdata;
  };
  auto r = parse_ns(view(respond(q, 0, 2, ns_rr("ada.ns.example") + ns_rr("bob.ns.example"))));
  BOOST_REQUIRE_MESSAGE(r.has_value(), r.error().message());
  BOOST_TEST((*r == std::vector<std::string>{"ada.ns.example", "bob.ns.example"}));
  BOOST_TEST((parse_ns(view(respond(q, 3, 0, ""))).error() == error::nxdomain));
  BOOST_TEST(!parse_ns(view(respond(q, 0, 1, txt_rr({"v"})))).has_value());  // not an NS answer
}

BOOST_AUTO_TEST_SUITE_END()
