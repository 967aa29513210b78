#define BOOST_TEST_MODULE brood_crypto
#include <boost/test/unit_test.hpp>
