// The HTTP/1.1 request head parser and chunked decoder, case by case.
#include <brood/http/http1_parser.hpp>

#include <boost/test/unit_test.hpp>

using namespace brood::http;

BOOST_AUTO_TEST_SUITE(http1_parser)

BOOST_AUTO_TEST_CASE(a_well_formed_head_parses) {
  auto h = parse_request_head("POST /vlans?x=1 HTTP/1.1\r\nHost: api.example\r\nContent-Length: 12\r\n"
                              "X-Thing:  padded value \t\r\nConnection: close\r\n\r\n");
  BOOST_REQUIRE(h.has_value());
  BOOST_TEST(h->req.method == "POST");
  BOOST_TEST(h->req.path == "/vlans?x=1");
  BOOST_TEST(h->req.authority == "api.example");
  BOOST_TEST(h->req.header_value("x-thing") == "padded value");
  BOOST_TEST((h->framing == body_framing::content_length));
  BOOST_TEST(h->content_length == 12u);
  BOOST_TEST(!h->keep_alive);
  auto h10 = parse_request_head("GET / HTTP/1.0\r\n\r\n");
  BOOST_REQUIRE(h10.has_value());
  BOOST_TEST(h10->minor_version == 0);
  BOOST_TEST(!h10->keep_alive);
  auto chunked = parse_request_head("PUT /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n");
  BOOST_REQUIRE(chunked.has_value());
  BOOST_TEST((chunked->framing == body_framing::chunked));
}

BOOST_AUTO_TEST_CASE(ambiguous_or_malformed_heads_are_refused) {
  const char* bad[] = {
      "GET / HTTP/1.1\r\n\r\n",                                             // no Host
      "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",                       // two Hosts
      "GET / HTTP/1.1\nHost: a\r\n\r\n",                                    // bare LF
      "GET / HTTP/1.1\r\nHost : a\r\n\r\n",                                 // space before colon
      "GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",                       // obs-fold
      "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1x\r\n\r\n",            // not digits
      "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
      "GET / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",               // chunked needs 1.1
      "GET  / HTTP/1.1\r\nHost: a\r\n\r\n",                                 // double space
      "GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n",                          // absolute-form
      "GET / HTTP/2.0\r\nHost: a\r\n\r\n",
      "G@T / HTTP/1.1\r\nHost: a\r\n\r\n",
      "GET /\x01 HTTP/1.1\r\nHost: a\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: a\x7f\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: a\r\nno-colon\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: a\r\n",                                       // no blank line
  };
  for (const char* b : bad) {
    BOOST_TEST_INFO("input: " << b);
    auto h = parse_request_head(b);
    BOOST_TEST((!h && h.error() == std::errc::bad_message));
  }
  auto gzip = parse_request_head("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n");
  BOOST_TEST((gzip.error() == std::errc::not_supported));
}

BOOST_AUTO_TEST_CASE(chunked_bodies_decode_across_any_split) {
  const std::string body = "4\r\nWiki\r\n5;name=v\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nTrailer: x\r\n\r\nNEXT";
  for (std::size_t split = 0; split <= body.size(); ++split) {
    chunked_decoder d(1024);
    std::string out;
    auto a = d.feed(std::string_view(body).substr(0, split), out);
    BOOST_REQUIRE(a.has_value());
    std::size_t used = *a;
    if (!d.done()) {
      auto b = d.feed(std::string_view(body).substr(used), out);
      BOOST_REQUIRE(b.has_value());
      used += *b;
    }
    BOOST_REQUIRE(d.done());
    BOOST_TEST(out == "Wikipedia in\r\n\r\nchunks.");
    BOOST_TEST(body.substr(used) == "NEXT");  // the next request's bytes are left alone
  }
}

BOOST_AUTO_TEST_CASE(chunked_bodies_are_bounded_and_strict) {
  std::string out;
  chunked_decoder small(8);
  BOOST_TEST((small.feed("9\r\n123456789\r\n0\r\n\r\n", out).error() == std::errc::message_size));
  for (const char* bad : {"x\r\n", "4\nWiki\r\n", "4\r\nWikiX\r\n", "10000000000000000\r\n", "-1\r\n", ";a\r\n"}) {
    chunked_decoder d(1024);
    std::string o;
    BOOST_TEST_INFO("input: " << bad);
    BOOST_TEST(!d.feed(bad, o).has_value());
  }
}

BOOST_AUTO_TEST_SUITE_END()
