#define BOOST_TEST_MODULE brood_wg
#include <boost/test/unit_test.hpp>
