#define BOOST_TEST_MODULE brood_scout
#include <boost/test/unit_test.hpp>
