// watch_stream: /watch's NDJSON cut into lines however the bytes arrive; what is not a scout's
// line is skipped, and a line too long to be one is reported.
#include <brood/agent/watch_stream.hpp>

#include <boost/test/unit_test.hpp>

using namespace brood;

BOOST_AUTO_TEST_SUITE(watch_stream)

BOOST_AUTO_TEST_CASE(lines_split_across_chunks_come_out_whole_and_in_order) {
  const std::string text =
      "{\"hello\":{\"keepalive\":20}}\n"
      "{\"sets\":[{\"name\":\"_n.0.b\",\"values\":[\"a\",\"b\"]},{\"name\":\"_m.1.b\",\"values\":[]}]}\n"
      "{\"overflow\":true}\n";
  for (std::size_t cut = 1; cut < text.size(); ++cut) {
    agent::watch_stream s;
    auto first = s.feed(std::string_view(text).substr(0, cut));
    auto rest = s.feed(std::string_view(text).substr(cut));
    first.insert(first.end(), rest.begin(), rest.end());
    BOOST_REQUIRE_EQUAL(first.size(), 3u);
    BOOST_TEST(first[0].keepalive_s.value_or(0) == 20);
    BOOST_REQUIRE_EQUAL(first[1].sets.size(), 2u);
    BOOST_TEST(first[1].sets[0].owner == "_n.0.b");
    BOOST_TEST((first[1].sets[0].values == std::vector<std::string>{"a", "b"}));
    BOOST_TEST(first[1].sets[1].values.empty());
    BOOST_TEST(first[2].overflow);
    BOOST_TEST(!s.too_long());
  }
}

BOOST_AUTO_TEST_CASE(what_is_not_a_scouts_line_is_skipped) {
  agent::watch_stream s;
  auto lines = s.feed(
      "not json\n[1,2]\n{}\n{\"sets\":[{\"name\":7,\"values\":[]},{\"values\":[\"x\"]},{\"name\":\"_l.b\",\"values\":[1,\"ok\"]}]}\n"
      "{\"hello\":{\"keepalive\":999999}}\n{\"hello\":{\"keepalive\":0}}\n");
  BOOST_REQUIRE_EQUAL(lines.size(), 3u);
  BOOST_REQUIRE_EQUAL(lines[0].sets.size(), 1u);  // only the named set, with its string value
  BOOST_TEST(lines[0].sets[0].owner == "_l.b");
  BOOST_TEST((lines[0].sets[0].values == std::vector<std::string>{"ok"}));
  BOOST_TEST(lines[1].keepalive_s.value_or(0) == 3600);  // clamped
  BOOST_TEST(lines[2].keepalive_s.value_or(0) == 1);
}

BOOST_AUTO_TEST_CASE(a_line_past_a_mebibyte_is_too_long) {
  agent::watch_stream s;
  const std::string big(agent::watch_stream::max_line, 'x');
  BOOST_TEST(s.feed(big).empty());
  BOOST_TEST(!s.too_long());
  BOOST_TEST(s.feed("yy").empty());
  BOOST_TEST(s.too_long());
}

BOOST_AUTO_TEST_SUITE_END()
