#define BOOST_TEST_MODULE cwola app
#include <boost/test/unit_test.hpp>
