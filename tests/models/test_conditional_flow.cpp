#include <torch/torch.h>

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <cmath>

#include "core/error.hpp"
#include "models/conditional_flow.hpp"
#include "models/module_tensors.hpp"

using cwola::models::ConditionalFlow;
using cwola::models::ConditionalFlowConfig;

namespace {

constexpr double kPi = 3.14159265358979323846;

/// A float64 flow with LibTorch's default (random, seeded) weights.
ConditionalFlow make_flow(int features, int context, int blocks, std::uint64_t seed) {
  torch::manual_seed(seed);
  ConditionalFlowConfig config;
  config.features = features;
  config.context = context;
  config.blocks = blocks;
  config.hidden = 16;
  config.hidden_layers = 2;
  ConditionalFlow flow(config);
  flow->to(torch::kFloat64);
  return flow;
}

/// Sets every block's output layer to constant shifts and raw log-scales (zero weights): each
/// block is then a fixed affine map, and the flow a Gaussian with a closed form.
void set_constant_blocks(ConditionalFlow& flow, const std::vector<torch::Tensor>& shifts,
                         const std::vector<torch::Tensor>& raw_log_scales) {
  torch::NoGradGuard no_grad;
  for (std::size_t b = 0; b < shifts.size(); ++b) {
    auto params = flow->block(b)->named_parameters();
    params["output.weight"].zero_();
    params["output.bias"].copy_(torch::cat({shifts[b], raw_log_scales[b]}));
  }
}

double gaussian_log_pdf(const torch::Tensor& y, const torch::Tensor& mean,
                        const torch::Tensor& sigma) {
  const auto z = (y - mean) / sigma;
  return (-0.5 * z.pow(2) - torch::log(sigma) - 0.5 * std::log(2 * kPi)).sum().item<double>();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(conditional_flow)

BOOST_AUTO_TEST_CASE(constant_blocks_give_the_analytic_gaussian) {
  auto flow = make_flow(2, 1, 2, 1);
  const auto m0 = torch::tensor({0.3, -1.2}, torch::kFloat64);
  const auto r0 = torch::tensor({0.4, -0.7}, torch::kFloat64);
  const auto m1 = torch::tensor({-0.5, 2.0}, torch::kFloat64);
  const auto r1 = torch::tensor({1.1, 0.2}, torch::kFloat64);
  set_constant_blocks(flow, {m0, m1}, {r0, r1});
  const double limit = cwola::models::MadeBlockImpl::kLogScaleLimit;
  const auto a0 = limit * torch::tanh(r0 / limit);
  const auto a1 = limit * torch::tanh(r1 / limit);
  // y = m0 + e^a0 * flip(m1 + e^a1 z): a Gaussian with these moments.
  const auto mean = m0 + torch::exp(a0) * m1.flip(0);
  const auto sigma = torch::exp(a0 + a1.flip(0));
  const auto y = torch::tensor({{0.1, 0.2}, {-3.0, 4.0}, {2.5, -0.4}}, torch::kFloat64);
  const auto c = torch::tensor({{0.0}, {5.0}, {-2.0}}, torch::kFloat64);
  torch::NoGradGuard no_grad;
  const auto log_p = flow->latent_log_prob(y, c);
  for (int i = 0; i < 3; ++i) {
    BOOST_TEST(log_p[i].item<double>() == gaussian_log_pdf(y[i], mean, sigma),
               boost::test_tools::tolerance(1e-12));
  }
}

BOOST_AUTO_TEST_CASE(the_latent_density_integrates_to_one_in_two_dimensions) {
  auto flow = make_flow(2, 1, 3, 7);
  torch::NoGradGuard no_grad;
  const double step = 0.08;
  const auto axis = torch::arange(-10.0, 10.0 + step / 2, step, torch::kFloat64);
  const auto grid = torch::meshgrid({axis, axis}, "ij");
  const auto y = torch::stack({grid[0].flatten(), grid[1].flatten()}, 1);
  for (double context : {-1.0, 0.5}) {
    const auto c = torch::full({y.size(0), 1}, context, torch::kFloat64);
    const double integral = flow->latent_log_prob(y, c).exp().sum().item<double>() * step * step;
    BOOST_TEST_INFO("context " << context);
    BOOST_TEST(integral == 1.0, boost::test_tools::tolerance(2e-3));
  }
}

BOOST_AUTO_TEST_CASE(the_density_in_original_units_integrates_to_one) {
  // One feature over [2, 5] GeV-like units: the scaling, logit and standardisation Jacobians
  // must turn the latent density into a normalised one in x.
  auto flow = make_flow(1, 1, 2, 3);
  const auto train_x = 2.0 + 3.0 * torch::rand({500, 1}, torch::kFloat64).pow(2);
  const auto train_c = torch::randn({500, 1}, torch::kFloat64) * 100 + 3500;
  flow->fit_scaling(train_x, train_c);
  torch::NoGradGuard no_grad;
  const double lo = 2.0 - 3.0 * 0.05;
  const double hi = 5.0 + 3.0 * 0.05;
  const int points = 100000;
  const double step = (hi - lo) / points;
  const auto x = (lo + (torch::arange(points, torch::kFloat64) + 0.5) * step).unsqueeze(1);
  const auto c = torch::full({points, 1}, 3450.0, torch::kFloat64);
  const double integral = flow->log_prob(x, c).exp().sum().item<double>() * step;
  BOOST_TEST(integral == 1.0, boost::test_tools::tolerance(2e-3));
}

BOOST_AUTO_TEST_CASE(samples_follow_the_density_that_log_prob_reports) {
  // The empirical CDF of 20,000 samples at fixed context against the numerical integral of
  // exp(log_prob): sampling (the inverse) and log_prob (the forward map) describe one density.
  auto flow = make_flow(1, 1, 3, 11);
  flow->fit_scaling(torch::rand({200, 1}, torch::kFloat64) * 4 - 1,
                    torch::randn({200, 1}, torch::kFloat64));
  torch::NoGradGuard no_grad;
  const int n = 20000;
  const auto c = torch::full({n, 1}, 0.3, torch::kFloat64);
  const auto samples = flow->sample(c, 42).squeeze(1);
  const int points = 200000;
  const double lo = -1.0 - 4.0 * 0.05;
  const double hi = 3.0 + 4.0 * 0.05;
  const double step = (hi - lo) / points;
  const auto x = (lo + (torch::arange(points, torch::kFloat64) + 0.5) * step).unsqueeze(1);
  const auto pdf = flow->log_prob(x, torch::full({points, 1}, 0.3, torch::kFloat64)).exp();
  const auto cdf = pdf.cumsum(0) * step;
  for (double t : {-0.5, 0.2, 1.0, 1.7, 2.5}) {
    const auto index = static_cast<std::int64_t>((t - lo) / step);
    const double expected = cdf[index].item<double>();
    const double observed = (samples < t).to(torch::kFloat64).mean().item<double>();
    const double sigma = std::sqrt(expected * (1 - expected) / n);
    BOOST_TEST_INFO("x < " << t << ": sampled " << observed << ", integral " << expected);
    BOOST_TEST(std::abs(observed - expected) < 4 * sigma + 1e-3);
  }
}

BOOST_AUTO_TEST_CASE(sampling_inverts_the_forward_map) {
  auto flow = make_flow(3, 1, 4, 5);
  const auto c = torch::randn({64, 1}, torch::kFloat64);
  torch::NoGradGuard no_grad;
  const auto z = torch::randn({64, 3}, torch::kFloat64);
  const auto y = flow->from_base(z, c);
  auto log_det = torch::zeros({64}, torch::kFloat64);
  const auto back = flow->to_base(y, c, log_det);
  BOOST_TEST(torch::allclose(back, z, 1e-9, 1e-9));
  // And the preprocessing: postprocess then preprocess is the identity inside the range.
  flow->fit_scaling(torch::rand({100, 3}, torch::kFloat64) * 10,
                    torch::randn({100, 1}, torch::kFloat64));
  const auto x = flow->postprocess(y);
  auto unused = torch::zeros({64}, torch::kFloat64);
  BOOST_TEST(torch::allclose(flow->preprocess(x, unused), y, 1e-7, 1e-7));
}

BOOST_AUTO_TEST_CASE(the_same_seed_gives_the_same_samples) {
  auto flow = make_flow(2, 1, 2, 9);
  const auto c = torch::randn({50, 1}, torch::kFloat64);
  const auto a = flow->sample(c, 123);
  BOOST_TEST(torch::equal(a, flow->sample(c, 123)));
  BOOST_TEST(!torch::allclose(a, flow->sample(c, 124)));
}

BOOST_AUTO_TEST_CASE(each_block_is_autoregressive_and_the_log_det_is_exact) {
  auto flow = make_flow(4, 2, 3, 13);
  const auto x = torch::randn({1, 4}, torch::kFloat64).requires_grad_(true);
  const auto c = torch::randn({1, 2}, torch::kFloat64);
  // One block: du_i/dx_j = 0 for j > i (a lower-triangular Jacobian).
  auto block_log_det = torch::zeros({1}, torch::kFloat64);
  const auto u = flow->block(0)->forward(x, c, block_log_det);
  std::vector<torch::Tensor> rows;
  for (int i = 0; i < 4; ++i) {
    rows.push_back(torch::autograd::grad({u[0][i]}, {x}, {}, true)[0][0]);
  }
  const auto jacobian = torch::stack(rows);
  BOOST_TEST(torch::triu(jacobian, 1).abs().max().item<double>() == 0.0);
  BOOST_TEST(torch::diagonal(jacobian).abs().min().item<double>() > 0.0);
  BOOST_TEST(block_log_det.item<double>() ==
                 torch::log(torch::diagonal(jacobian).abs()).sum().item<double>(),
             boost::test_tools::tolerance(1e-10));
  // The whole flow (blocks with reversals): its log-det is log|det J| of the full map.
  auto log_det = torch::zeros({1}, torch::kFloat64);
  const auto z = flow->to_base(x, c, log_det);
  rows.clear();
  for (int i = 0; i < 4; ++i) {
    rows.push_back(torch::autograd::grad({z[0][i]}, {x}, {}, true)[0][0]);
  }
  const double exact = std::log(std::abs(torch::det(torch::stack(rows)).item<double>()));
  BOOST_TEST(log_det.item<double>() == exact, boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_CASE(the_context_changes_the_density) {
  auto flow = make_flow(2, 1, 2, 17);
  torch::NoGradGuard no_grad;
  const auto y = torch::randn({20, 2}, torch::kFloat64);
  const auto p0 = flow->latent_log_prob(y, torch::zeros({20, 1}, torch::kFloat64));
  const auto p1 = flow->latent_log_prob(y, torch::ones({20, 1}, torch::kFloat64));
  BOOST_TEST((p0 - p1).abs().max().item<double>() > 1e-3);
}

BOOST_AUTO_TEST_CASE(out_of_range_events_get_a_finite_density) {
  auto flow = make_flow(2, 1, 2, 19);
  flow->fit_scaling(torch::rand({100, 2}, torch::kFloat64),
                    torch::randn({100, 1}, torch::kFloat64));
  torch::NoGradGuard no_grad;
  const auto x = torch::tensor({{-5.0, 0.5}, {0.5, 7.0}, {0.5, 0.5}}, torch::kFloat64);
  BOOST_TEST(
      torch::isfinite(flow->log_prob(x, torch::zeros({3, 1}, torch::kFloat64))).all().item<bool>());
  const auto inside = flow->inside_range(x);
  BOOST_TEST(!inside[0].item<bool>());
  BOOST_TEST(!inside[1].item<bool>());
  BOOST_TEST(inside[2].item<bool>());
}

BOOST_AUTO_TEST_CASE(bad_training_events_and_settings_are_refused) {
  auto flow = make_flow(2, 1, 1, 23);
  auto x = torch::rand({10, 2}, torch::kFloat64);
  const auto c = torch::randn({10, 1}, torch::kFloat64);
  auto with_nan = x.clone();
  with_nan[3][1] = std::nan("");
  BOOST_CHECK_THROW(flow->fit_scaling(with_nan, c), cwola::core::InputError);
  auto with_inf = x.clone();
  with_inf[0][0] = INFINITY;
  BOOST_CHECK_THROW(flow->fit_scaling(with_inf, c), cwola::core::InputError);
  auto constant = x.clone();
  constant.select(1, 1).fill_(2.0);
  BOOST_CHECK_THROW(flow->fit_scaling(constant, c), cwola::core::InputError);
  BOOST_CHECK_THROW(flow->fit_scaling(x, torch::zeros({10, 1}, torch::kFloat64)),
                    cwola::core::InputError);
  BOOST_CHECK_THROW(flow->fit_scaling(x, torch::randn({9, 1}, torch::kFloat64)),
                    cwola::core::InputError);
  ConditionalFlowConfig config;
  config.features = 0;
  BOOST_CHECK_THROW(config.validate(), cwola::core::InputError);
  config.features = 5;
  config.hidden = 3;
  BOOST_CHECK_THROW(config.validate(), cwola::core::InputError);
  config.hidden = 8;
  config.logit_margin = 0.0;
  BOOST_CHECK_THROW(config.validate(), cwola::core::InputError);
}

BOOST_AUTO_TEST_CASE(a_stored_flow_with_its_scaling_loads_into_a_fresh_one) {
  // The store keeps a model as its parameters and buffers (models/module_tensors): the
  // scaling constants are buffers, so a flow loaded from the store has the same density.
  auto flow = make_flow(3, 1, 2, 29);
  flow->fit_scaling(torch::rand({100, 3}, torch::kFloat64) * 50 + 10,
                    torch::randn({100, 1}, torch::kFloat64) * 300 + 3500);
  flow->to(torch::kFloat32);
  const auto layout = cwola::models::layout_of(*flow, "flow");
  std::vector<std::string> names;
  for (const auto& t : layout.tensors) names.push_back(t.name);
  for (const char* name :
       {"block0.input.weight", "block1.context.weight", "block1.output.bias", "feature_min",
        "feature_max", "logit_mean", "logit_std", "context_mean", "context_std"}) {
    BOOST_TEST_INFO(name);
    BOOST_TEST((std::find(names.begin(), names.end(), name) != names.end()));
  }
  auto fresh = make_flow(3, 1, 2, 31);
  fresh->to(torch::kFloat32);
  cwola::models::import_tensors(*fresh, cwola::models::export_tensors(*flow));
  torch::NoGradGuard no_grad;
  const auto x = torch::rand({20, 3}) * 50 + 10;
  const auto c = torch::randn({20, 1}) * 300 + 3500;
  BOOST_TEST(torch::equal(flow->log_prob(x, c), fresh->log_prob(x, c)));
  BOOST_TEST(torch::equal(flow->sample(c, 5), fresh->sample(c, 5)));
}

BOOST_AUTO_TEST_SUITE_END()
