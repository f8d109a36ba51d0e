#include "models/module_tensors.hpp"

#include <torch/torch.h>

#include <boost/test/unit_test.hpp>

#include "core/error.hpp"
#include "models/dense_network.hpp"

using namespace cwola;

BOOST_AUTO_TEST_SUITE(module_tensors)

BOOST_AUTO_TEST_CASE(export_then_import_reproduces_the_network) {
  models::DenseNetworkConfig config;
  config.inputs = 3;
  config.hidden = {5, 4};
  torch::manual_seed(1);
  models::DenseNetwork source(config);
  torch::manual_seed(2);
  models::DenseNetwork target(config);
  const auto x = torch::randn({7, 3});
  BOOST_TEST(!torch::equal(source->forward(x), target->forward(x)));

  const auto layout = models::layout_of(*source, "dense 3-5-4-1");
  BOOST_TEST(layout.tensors.size() == 6U);
  BOOST_TEST(layout.tensors[0].name == "hidden0.weight");
  BOOST_TEST((layout.tensors[0].shape == std::vector<std::int64_t>{5, 3}));
  const auto tensors = models::export_tensors(*source);
  BOOST_TEST(tensors.values.size() == layout.tensors.size());
  for (std::size_t i = 0; i < layout.tensors.size(); ++i) {
    BOOST_TEST(tensors.values[i].size() == layout.tensors[i].size());
  }
  models::import_tensors(*target, tensors);
  BOOST_TEST(torch::equal(source->forward(x), target->forward(x)));  // bit for bit
}

BOOST_AUTO_TEST_CASE(a_model_of_another_shape_is_refused) {
  models::DenseNetworkConfig small;
  small.inputs = 3;
  small.hidden = {4};
  models::DenseNetworkConfig wide = small;
  wide.hidden = {6};
  models::DenseNetworkConfig deep = small;
  deep.hidden = {4, 4};
  const auto tensors = models::export_tensors(*models::DenseNetwork(small));
  models::DenseNetwork wide_net(wide);
  models::DenseNetwork deep_net(deep);
  BOOST_CHECK_THROW(models::import_tensors(*wide_net, tensors), core::InputError);
  BOOST_CHECK_THROW(models::import_tensors(*deep_net, tensors), core::InputError);
}

BOOST_AUTO_TEST_SUITE_END()
