#define BOOST_TEST_MODULE cwola models
#include <boost/test/unit_test.hpp>
