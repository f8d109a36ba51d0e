// Znet and Znet3: parameter counts against the layer lists, padding that changes no
// prediction, any length for Znet3, the input scaling.
#include <torch/torch.h>

#include <boost/test/unit_test.hpp>

#include "core/error.hpp"
#include "models/bump_networks.hpp"

using namespace cwola::models;

namespace {
std::int64_t counted(torch::nn::Module& module) {
  std::int64_t n = 0;
  for (const auto& p : module.parameters()) n += p.numel();
  return n;
}

/// A falling histogram of `bins` bins with a bump, as counts.
torch::Tensor falling(std::int64_t bins, double scale) {
  auto i = torch::arange(bins, torch::kFloat32);
  return scale * torch::exp(-i / 20.0) + 30.0 * torch::exp(-(i - 12).pow(2) / 4.0) + 10.0;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(bump_networks)

BOOST_AUTO_TEST_CASE(parameter_counts_follow_the_layer_lists) {
  torch::manual_seed(1);
  // Znet3 of the thesis: four branches of five convolutions (kernels 25, 15, 9, 3; 64
  // channels) = Σ_K (64 K + 64 + 4 (4096 K + 64)) = 16448 · 52 + 4 · 320 = 856 576; two heads
  // 257 -> 64 -> 64 -> 1 = 16 512 + 4 160 + 65 = 20 737 each.
  Znet3 znet3(Znet3Config{});
  BOOST_TEST(Znet3Config{}.parameter_count() == 856576 + 2 * 20737);
  BOOST_TEST(counted(*znet3) == Znet3Config{}.parameter_count());
  // Znet: dense 100 x 100 + 100, then 1 -> 32, four 32 -> 32, 32 -> 1 (kernel 5).
  Znet znet(ZnetConfig{});
  BOOST_TEST(ZnetConfig{}.parameter_count() == 10100 + 192 + 4 * 5152 + 161);
  BOOST_TEST(counted(*znet) == ZnetConfig{}.parameter_count());
  // The formulas also hold away from the defaults.
  Znet3Config small{{5, 3}, 2, 4, {3}};
  BOOST_TEST(counted(*Znet3(small)) == small.parameter_count());
  ZnetConfig narrow{40, 40, 3, 3, 3};
  BOOST_TEST(counted(*Znet(narrow)) == narrow.parameter_count());
}

BOOST_AUTO_TEST_CASE(znet3_padding_changes_no_prediction) {
  torch::manual_seed(2);
  Znet3 net(Znet3Config{});
  net->set_input_range(0.0, std::sqrt(1e5));
  net->eval();
  torch::NoGradGuard no_grad;
  for (std::int64_t bins : {30, 57, 99}) {
    const auto counts = falling(bins, 1000.0).unsqueeze(0);
    const auto alone = net->forward(counts, torch::ones_like(counts));
    BOOST_TEST(alone.z.sizes() == counts.sizes());
    // Padded to 120 bins with garbage past the end, in a batch with a longer histogram.
    auto padded = torch::full({2, 120}, 777.0F);
    auto mask = torch::zeros({2, 120});
    padded[0].slice(0, 0, bins).copy_(counts[0]);
    mask[0].slice(0, 0, bins).fill_(1);
    padded[1].copy_(falling(120, 50.0));
    mask[1].fill_(1);
    const auto together = net->forward(padded, mask);
    const auto z = together.z[0].slice(0, 0, bins);
    const auto b = together.background[0].slice(0, 0, bins);
    BOOST_TEST((z - alone.z[0]).abs().max().item<float>() < 1e-5);
    BOOST_TEST((b - alone.background[0]).abs().max().item<float>() < 1e-5);
    BOOST_TEST(together.z[0].slice(0, bins).abs().max().item<float>() == 0.0F);
    // And the padding matters without the mask (the test can fail).
    const auto unmasked = net->forward(padded, torch::ones_like(mask));
    BOOST_TEST((unmasked.z[0].slice(0, 0, bins) - alone.z[0]).abs().max().item<float>() > 1e-4);
  }
}

BOOST_AUTO_TEST_CASE(znet_pads_to_its_fixed_bins_and_rejects_longer) {
  torch::manual_seed(3);
  Znet net(ZnetConfig{});
  net->set_input_range(0.0, 2000.0);
  torch::NoGradGuard no_grad;
  const auto counts = falling(64, 1000.0).unsqueeze(0);
  const auto out = net->forward(counts, torch::ones_like(counts));
  BOOST_TEST(out.z.sizes() == counts.sizes());
  BOOST_TEST(!out.background.defined());
  // Padding to 100 by hand gives the same (it is what the network does).
  auto padded = torch::zeros({1, 100});
  auto mask = torch::zeros({1, 100});
  padded[0].slice(0, 0, 64).copy_(counts[0]);
  mask[0].slice(0, 0, 64).fill_(1);
  const auto full = net->forward(padded, mask);
  BOOST_TEST((full.z.slice(1, 0, 64) - out.z).abs().max().item<float>() < 1e-6);
  BOOST_TEST(full.z.slice(1, 64).abs().max().item<float>() == 0.0F);
  const auto long_counts = falling(101, 10.0).unsqueeze(0);
  BOOST_CHECK_THROW(net->forward(long_counts, torch::ones_like(long_counts)),
                    cwola::core::InputError);
}

BOOST_AUTO_TEST_CASE(input_scaling_is_the_global_min_max_map) {
  Znet3 znet3(Znet3Config{{3}, 1, 2, {2}});
  znet3->set_input_range(std::sqrt(10.0), std::sqrt(1e5));
  const auto counts = torch::tensor({{10.0F, 1e5F, 315.0F}});
  const auto s = znet3->scale_counts(counts, torch::ones_like(counts));
  BOOST_TEST(s[0][0].item<float>() == 0.0F, boost::test_tools::tolerance(1e-6F));
  BOOST_TEST(s[0][1].item<float>() == 1.0F, boost::test_tools::tolerance(1e-6F));
  const double expected = (std::sqrt(315.0) - std::sqrt(10.0)) / (std::sqrt(1e5) - std::sqrt(10.0));
  BOOST_TEST(s[0][2].item<float>() == expected, boost::test_tools::tolerance(1e-5));
  Znet znet(ZnetConfig{});
  znet->set_input_range(10.0, 110.0);
  const auto t = znet->scale_counts(torch::tensor({{10.0F, 60.0F, 110.0F}}), torch::ones({1, 3}));
  BOOST_TEST(t[0][1].item<float>() == 0.5F, boost::test_tools::tolerance(1e-6F));
  BOOST_CHECK_THROW(znet->set_input_range(5.0, 5.0), cwola::core::InputError);
  BOOST_CHECK_THROW(Znet3(Znet3Config{{4}, 5, 64, {64}}), cwola::core::InputError);
}

BOOST_AUTO_TEST_SUITE_END()
