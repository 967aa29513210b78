#define BOOST_TEST_MODULE brood_http
#include <boost/test/unit_test.hpp>
