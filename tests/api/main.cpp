#define BOOST_TEST_MODULE brood_api
#include <boost/test/unit_test.hpp>
