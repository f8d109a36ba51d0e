#define BOOST_TEST_MODULE cwola features
#include <boost/test/unit_test.hpp>
