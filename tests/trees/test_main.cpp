#define BOOST_TEST_MODULE cwola trees
#include <boost/test/unit_test.hpp>
