#define BOOST_TEST_MODULE brood_auth
#include <boost/test/unit_test.hpp>
