#define BOOST_TEST_MODULE brood_provider
#include <boost/test/unit_test.hpp>
