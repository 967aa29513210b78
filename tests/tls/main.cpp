#define BOOST_TEST_MODULE brood_tls
#include <boost/test/unit_test.hpp>
