// json::parse and json::writer.
#include <brood/json/value.hpp>
#include <brood/json/writer.hpp>

#include <boost/test/unit_test.hpp>

#include <string>

using namespace brood;

BOOST_AUTO_TEST_SUITE(json_suite)

BOOST_AUTO_TEST_CASE(documents_parse_into_a_tree) {
  auto v = json::parse(R"({"vni":100,"name":"lab","ok":true,"none":null,"ips":["10.0.0.1","10.0.0.2"],"big":18446744073709551615})");
  BOOST_REQUIRE(v.has_value());
  BOOST_TEST(*v->find("vni")->as_int() == 100);
  BOOST_TEST(*v->find("name")->as_string() == "lab");
  BOOST_TEST(*v->find("ok")->as_bool());
  BOOST_TEST(v->find("none")->is_null());
  BOOST_TEST(v->find("ips")->as_array()->size() == 2u);
  BOOST_TEST(!v->find("big")->as_int().has_value());  // does not fit in int64
  BOOST_TEST(v->find("missing") == nullptr);
  BOOST_TEST(!v->find("name")->as_int().has_value());
}

BOOST_AUTO_TEST_CASE(invalid_input_is_an_error_with_a_reason) {
  for (std::string bad : {std::string("{"), std::string("{\"a\":}"), std::string("[1,]"), std::string("\"\xff\""),
                          std::string("{\"a\":1} trailing"), std::string(""), std::string(200, '[')}) {
    auto v = json::parse(bad);
    BOOST_TEST_INFO("input: " << bad);
    BOOST_TEST(!v.has_value());
    BOOST_TEST(!v.error().message().empty());
  }
  json::parse_limits tiny;
  tiny.max_bytes = 8;
  BOOST_TEST((json::parse("[1,2,3,4,5,6]", tiny).error() == std::errc::message_size));
}

BOOST_AUTO_TEST_CASE(the_writer_escapes_and_stays_valid) {
  json::writer w;
  w.begin_object()
      .key("s").string("quote\" back\\ nl\n tab\t ctl\x01 é")
      .key("bad").string("\xff\xfe ok")
      .key("n").number(std::int64_t{-42})
      .key("d").number(0.5)
      .key("a").begin_array().boolean(true).null().end_array()
      .end_object();
  BOOST_TEST(w.str() == "{\"s\":\"quote\\\" back\\\\ nl\\n tab\\t ctl\\u0001 é\",\"bad\":\"\xef\xbf\xbd\xef\xbf\xbd ok\","
                        "\"n\":-42,\"d\":0.5,\"a\":[true,null]}");
  auto back = json::parse(w.str());
  BOOST_REQUIRE(back.has_value());
  BOOST_TEST(*back->find("s")->as_string() == "quote\" back\\ nl\n tab\t ctl\x01 é");
}

BOOST_AUTO_TEST_SUITE_END()
