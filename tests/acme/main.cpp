#define BOOST_TEST_MODULE brood_acme
#include <boost/test/unit_test.hpp>
