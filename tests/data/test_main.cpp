#define BOOST_TEST_MODULE cwola data
#include <boost/test/unit_test.hpp>
