#include "stats/binned_fit.hpp"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_multimin.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <sstream>

#include "core/error.hpp"
#include "core/random_stream.hpp"
#include "core/text.hpp"

namespace cwola::stats {

namespace {
// Returned for parameters where some expectation is <= 0 or not finite: large and
// finite so GSL's line search backs off instead of failing on an infinity.
constexpr double kInvalid = 1e30;

void gsl_errors_as_codes() {
  static const bool done = [] {
    gsl_set_error_handler_off();  // GSL aborts the process by default; we read status codes
    return true;
  }();
  (void)done;
}

struct Problem {
  const std::vector<double>* counts;
  const BinQuadrature* quadrature;
  const std::vector<double>* psi;
  std::size_t n_bg;      // background parameters P
  std::size_t n_free;    // P or P + 1
  const std::vector<double>* signal;  // nullptr without signal
  double fixed_yield;    // used when n_free == P and signal != nullptr
  double yield_scale;    // yield = yield_scale · u[P] when free
  /// On the physical boundary: bin whose expectation is held at 0 (n = 0 there), the yield
  /// following θ as μ(θ) = −b_a(θ)/s_a; -1 otherwise. Used with n_free == P.
  std::ptrdiff_t boundary_bin = -1;
};

/// Background events of bin i and (optionally) their derivatives in u: db [P], d2b upper [P×P].
double bin_background(const Problem& p, std::size_t i, const double* u, double* db, double* d2b) {
  const std::size_t P = p.n_bg;
  const std::size_t nodes = p.quadrature->nodes_per_bin;
  double b = 0.0;
  if (db) std::fill(db, db + P, 0.0);
  if (d2b) std::fill(d2b, d2b + P * P, 0.0);
  for (std::size_t j = 0; j < nodes; ++j) {
    const std::size_t a = i * nodes + j;
    const double* psi = &(*p.psi)[a * P];
    double g = 0.0;
    for (std::size_t k = 0; k < P; ++k) g += psi[k] * u[k];
    const double e = p.quadrature->weight[a] * std::exp(g);
    b += e;
    if (db) {
      for (std::size_t k = 0; k < P; ++k) db[k] += e * psi[k];
    }
    if (d2b) {
      for (std::size_t k = 0; k < P; ++k) {
        for (std::size_t l = k; l < P; ++l) d2b[k * P + l] += e * psi[k] * psi[l];
      }
    }
  }
  return b;
}

/// Half deviance, its gradient and Hessian in the internal parameters u.
double evaluate(const Problem& p, const double* u, double* grad, double* hess) {
  const std::size_t P = p.n_bg;
  const std::size_t F = p.n_free;
  const auto& counts = *p.counts;
  const bool free_signal = F > P;
  const bool boundary = p.boundary_bin >= 0;
  double yield = free_signal ? p.yield_scale * u[P] : (p.signal ? p.fixed_yield : 0.0);
  if (grad) std::fill(grad, grad + F, 0.0);
  if (hess) std::fill(hess, hess + F * F, 0.0);
  double db[6];
  double d2b[36];
  double dmu[6];    // on the boundary: ∂μ/∂u
  double d2mu[36];  // and ∂²μ/∂u² (upper triangle)
  if (boundary) {
    const auto a = static_cast<std::size_t>(p.boundary_bin);
    const double sa = (*p.signal)[a];
    const double ba = bin_background(p, a, u, dmu, hess ? d2mu : nullptr);
    yield = -ba / sa;
    for (std::size_t k = 0; k < P; ++k) dmu[k] /= -sa;
    if (hess) {
      for (std::size_t k = 0; k < P * P; ++k) d2mu[k] /= -sa;
    }
  }
  double f = 0.0;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    // The held bin has λ ≡ 0 and n = 0: its term is identically 0.
    if (boundary && static_cast<std::ptrdiff_t>(i) == p.boundary_bin) continue;
    const double b = bin_background(p, i, u, (grad || hess) ? db : nullptr, hess ? d2b : nullptr);
    const double s = p.signal ? (*p.signal)[i] : 0.0;
    if (boundary && (grad || hess)) {
      // λ = b + μ(u) s: fold μ's derivatives into those of λ.
      for (std::size_t k = 0; k < P; ++k) db[k] += s * dmu[k];
      if (hess) {
        for (std::size_t k = 0; k < P * P; ++k) d2b[k] += s * d2mu[k];
      }
    }
    const double lambda = b + yield * s;
    const double n = counts[i];
    if (!std::isfinite(lambda) || lambda < 0.0 || (lambda == 0.0 && n > 0.0)) return kInvalid;
    if (lambda == 0.0) continue;  // n = 0 and λ = 0: the term is 0 and flat
    f += lambda - n + (n > 0.0 ? n * std::log(n / lambda) : 0.0);
    const double r = 1.0 - n / lambda;
    const double c = n / (lambda * lambda);
    const double ds = s * p.yield_scale;
    if (grad) {
      for (std::size_t k = 0; k < P; ++k) grad[k] += r * db[k];
      if (free_signal) grad[P] += r * ds;
    }
    if (hess) {
      for (std::size_t k = 0; k < P; ++k) {
        for (std::size_t l = k; l < P; ++l) hess[k * F + l] += r * d2b[k * P + l] + c * db[k] * db[l];
        if (free_signal) hess[k * F + P] += c * db[k] * ds;
      }
      if (free_signal) hess[P * F + P] += c * ds * ds;
    }
  }
  if (hess) {
    for (std::size_t k = 0; k < F; ++k) {
      for (std::size_t l = 0; l < k; ++l) hess[k * F + l] = hess[l * F + k];
    }
  }
  return std::isfinite(f) ? f : kInvalid;
}

double gsl_f(const gsl_vector* x, void* params) {
  return evaluate(*static_cast<const Problem*>(params), x->data, nullptr, nullptr);
}
void gsl_df(const gsl_vector* x, void* params, gsl_vector* g) {
  const double f = evaluate(*static_cast<const Problem*>(params), x->data, g->data, nullptr);
  if (f >= kInvalid) gsl_vector_set_zero(g);
}
void gsl_fdf(const gsl_vector* x, void* params, double* f, gsl_vector* g) {
  *f = evaluate(*static_cast<const Problem*>(params), x->data, g->data, nullptr);
  if (*f >= kInvalid) gsl_vector_set_zero(g);
}

/// Solves H d = g by Cholesky; false when H is not positive definite.
bool cholesky_solve(std::vector<double> hess, const std::vector<double>& g, std::size_t n,
                    std::vector<double>& d, std::vector<double>* inverse = nullptr) {
  gsl_matrix_view h = gsl_matrix_view_array(hess.data(), n, n);
  if (gsl_linalg_cholesky_decomp1(&h.matrix) != GSL_SUCCESS) return false;
  d.assign(n, 0.0);
  gsl_vector_const_view gv = gsl_vector_const_view_array(g.data(), n);
  gsl_vector_view dv = gsl_vector_view_array(d.data(), n);
  if (gsl_linalg_cholesky_solve(&h.matrix, &gv.vector, &dv.vector) != GSL_SUCCESS) return false;
  if (inverse) {
    if (gsl_linalg_cholesky_invert(&h.matrix) != GSL_SUCCESS) return false;
    inverse->assign(hess.begin(), hess.end());
  }
  return true;
}

struct Minimum {
  std::vector<double> u;
  double f = kInvalid;
};

Minimum run_bfgs(const Problem& problem, const std::vector<double>& start, int max_iterations) {
  gsl_multimin_function_fdf function;
  function.n = problem.n_free;
  function.f = gsl_f;
  function.df = gsl_df;
  function.fdf = gsl_fdf;
  function.params = const_cast<Problem*>(&problem);
  std::unique_ptr<gsl_multimin_fdfminimizer, void (*)(gsl_multimin_fdfminimizer*)> minimizer(
      gsl_multimin_fdfminimizer_alloc(gsl_multimin_fdfminimizer_vector_bfgs2, problem.n_free),
      gsl_multimin_fdfminimizer_free);
  Minimum result;
  result.u = start;
  result.f = evaluate(problem, start.data(), nullptr, nullptr);
  if (!minimizer || result.f >= kInvalid) return result;
  gsl_vector_const_view x0 = gsl_vector_const_view_array(start.data(), start.size());
  // The internal parameters are scaled so that the Hessian is ≈ identity: unit steps.
  gsl_multimin_fdfminimizer_set(minimizer.get(), &function, &x0.vector, 0.1, 0.1);
  // Stalled: no decrease of −ln L beyond rounding for 10 iterations (e.g. a yield pressed
  // against the physical boundary, where the line search cannot step out of the allowed
  // region); the caller's Newton polish and boundary refit take it from there.
  int stalled = 0;
  double previous = result.f;
  for (int iteration = 0; iteration < max_iterations && stalled < 10; ++iteration) {
    if (gsl_multimin_fdfminimizer_iterate(minimizer.get()) != GSL_SUCCESS) break;
    if (gsl_multimin_test_gradient(minimizer.get()->gradient, 1e-7) == GSL_SUCCESS) break;
    const double f = gsl_multimin_fdfminimizer_minimum(minimizer.get());
    stalled = previous - f > 1e-12 * (1.0 + std::abs(f)) ? 0 : stalled + 1;
    previous = f;
  }
  const gsl_vector* x = gsl_multimin_fdfminimizer_x(minimizer.get());
  result.u.assign(x->data, x->data + problem.n_free);
  result.f = gsl_multimin_fdfminimizer_minimum(minimizer.get());
  return result;
}

/// Newton steps on the exact Hessian (with step halving) from the BFGS minimum:
/// quadratic convergence makes the EDM negligible and the covariance exact there.
void newton_polish(const Problem& problem, Minimum& m) {
  const std::size_t F = problem.n_free;
  std::vector<double> g(F);
  std::vector<double> h(F * F);
  std::vector<double> d;
  for (int step = 0; step < 8; ++step) {
    const double f = evaluate(problem, m.u.data(), g.data(), h.data());
    if (f >= kInvalid || !cholesky_solve(h, g, F, d)) return;
    double edm = 0.0;
    for (std::size_t k = 0; k < F; ++k) edm += 0.5 * g[k] * d[k];
    if (edm < 1e-12) return;
    double t = 1.0;
    bool improved = false;
    for (int halving = 0; halving < 12 && !improved; ++halving, t *= 0.5) {
      std::vector<double> trial(m.u);
      for (std::size_t k = 0; k < F; ++k) trial[k] -= t * d[k];
      const double ft = evaluate(problem, trial.data(), nullptr, nullptr);
      if (ft <= f) {
        m.u = trial;
        m.f = ft;
        improved = true;
      }
    }
    if (!improved) return;
  }
}
/// True when `m` is an interior minimum: positive-definite Hessian and EDM below tolerance.
bool is_interior_minimum(const Problem& problem, const Minimum& m, double edm_tolerance) {
  const std::size_t F = problem.n_free;
  std::vector<double> g(F);
  std::vector<double> h(F * F);
  std::vector<double> d;
  if (evaluate(problem, m.u.data(), g.data(), h.data()) >= kInvalid) return false;
  if (!cholesky_solve(h, g, F, d)) return false;
  double edm = 0.0;
  for (std::size_t k = 0; k < F; ++k) edm += 0.5 * g[k] * d[k];
  return edm < edm_tolerance;
}

/// The bin whose expectation a decreasing yield drives to 0 first (argmax of −b_i/s_i over
/// s_i > 0) at background parameters u; -1 when the signal is empty.
std::ptrdiff_t binding_bin(const Problem& problem, const double* u) {
  std::ptrdiff_t bin = -1;
  double mu_low = -std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < problem.counts->size(); ++i) {
    const double s = (*problem.signal)[i];
    if (!(s > 0.0)) continue;
    const double mu = -bin_background(problem, i, u, nullptr, nullptr) / s;
    if (mu > mu_low) {
      mu_low = mu;
      bin = static_cast<std::ptrdiff_t>(i);
    }
  }
  return bin;
}

/// ∂(half deviance)/∂μ at fixed background on the boundary Σ s_i (1 − n_i/λ_i) (the held bin,
/// n = 0, gives s_a). Positive: lowering μ further would lower −ln L, so the boundary holds it.
double boundary_yield_score(const Problem& boundary, const double* u) {
  const auto a = static_cast<std::size_t>(boundary.boundary_bin);
  const auto& signal = *boundary.signal;
  const double yield = -bin_background(boundary, a, u, nullptr, nullptr) / signal[a];
  double score = signal[a];
  for (std::size_t i = 0; i < boundary.counts->size(); ++i) {
    if (i == a) continue;
    const double lambda = bin_background(boundary, i, u, nullptr, nullptr) + yield * signal[i];
    const double n = (*boundary.counts)[i];
    score += signal[i] * (1.0 - (n > 0.0 ? n / lambda : 0.0));
  }
  return score;
}
}  // namespace

void FitOptions::validate() const {
  if (starts < 1) throw core::InputError("fit options", "starts", std::to_string(starts), "need >= 1");
  if (nodes_per_bin < 1 || nodes_per_bin > 64) {
    throw core::InputError("fit options", "nodes_per_bin", std::to_string(nodes_per_bin),
                           "use 1..64 Gauss–Legendre nodes per bin");
  }
  if (!(edm_tolerance > 0.0)) {
    throw core::InputError("fit options", "edm_tolerance", core::format_double(edm_tolerance),
                           "must be > 0");
  }
}

GoodnessOfFit goodness_of_fit(const std::vector<double>& counts, const std::vector<double>& expected,
                              int fitted_parameters, double min_count) {
  GoodnessOfFit out;
  const auto starts = merge_groups(counts, min_count);
  for (std::size_t g = 0; g < starts.size(); ++g) {
    const std::size_t end = g + 1 < starts.size() ? starts[g + 1] : counts.size();
    double n = 0.0;
    double lambda = 0.0;
    for (std::size_t i = starts[g]; i < end; ++i) {
      n += counts[i];
      lambda += expected[i];
    }
    if (!(lambda > 0.0)) continue;
    out.pearson_chi2 += (n - lambda) * (n - lambda) / lambda;
    out.deviance += 2.0 * (lambda - n + (n > 0.0 ? n * std::log(n / lambda) : 0.0));
    ++out.groups;
  }
  out.ndf = out.groups - fitted_parameters;
  return out;
}

BinnedFitter::BinnedFitter(const Histogram& histogram, const BackgroundFamily& family,
                           const FitOptions& options)
    : histogram_(histogram), family_(family), options_(options) {
  gsl_errors_as_codes();
  family_.validate();
  options_.validate();
  histogram_.validate("spectrum");
  const std::size_t P = static_cast<std::size_t>(family_.n_params);
  const std::size_t nb = histogram_.bins();
  if (nb < P + 1) {
    throw core::InputError("spectrum", "bins", std::to_string(nb),
                           "fewer bins than " + family_.name() + "'s " + std::to_string(P) +
                               " parameters + 1 (nothing left to test the fit); use more bins "
                               "or fewer parameters");
  }
  if (family_.kind == FamilyKind::kDijet && !(histogram_.edges.back() < family_.sqrt_s_gev)) {
    throw core::InputError("spectrum", "last edge", core::format_double(histogram_.edges.back()),
                           "the dijet family needs m < √s = " +
                               core::format_double(family_.sqrt_s_gev) + " GeV; set --sqrt-s");
  }
  if (!(histogram_.edges.front() > 0.0)) {
    throw core::InputError("spectrum", "first edge", core::format_double(histogram_.edges.front()),
                           "the families need m > 0 (they use ln(m/√s))");
  }
  quadrature_ = make_bin_quadrature(histogram_.edges, options_.nodes_per_bin);
  // Gram–Schmidt on √max(n,1)·φ(bin centre): internal parameters u with θ = T u make the
  // Hessian of −ln L ≈ identity, which BFGS and the multi-start kicks need.
  std::vector<double> q(nb * P);
  for (std::size_t i = 0; i < nb; ++i) {
    const double w = std::sqrt(std::max(histogram_.counts[i], 1.0));
    const auto phi = family_.basis(histogram_.centre(i));
    for (std::size_t k = 0; k < P; ++k) q[i * P + k] = w * phi[k];
  }
  transform_.assign(P * P, 0.0);
  for (std::size_t k = 0; k < P; ++k) transform_[k * P + k] = 1.0;
  for (std::size_t k = 0; k < P; ++k) {
    for (std::size_t j = 0; j < k; ++j) {
      double r = 0.0;
      for (std::size_t i = 0; i < nb; ++i) r += q[i * P + j] * q[i * P + k];
      for (std::size_t i = 0; i < nb; ++i) q[i * P + k] -= r * q[i * P + j];
      for (std::size_t l = 0; l < P; ++l) transform_[l * P + k] -= r * transform_[l * P + j];
    }
    double norm = 0.0;
    for (std::size_t i = 0; i < nb; ++i) norm += q[i * P + k] * q[i * P + k];
    norm = std::sqrt(norm);
    if (!(norm > 1e-9)) {
      throw core::InputError("spectrum", "bins", std::to_string(nb),
                             "the binning cannot constrain " + family_.name() +
                                 " (degenerate basis); use fewer parameters");
    }
    for (std::size_t i = 0; i < nb; ++i) q[i * P + k] /= norm;
    for (std::size_t l = 0; l < P; ++l) transform_[l * P + k] /= norm;
  }
  psi_.assign(quadrature_.mass.size() * P, 0.0);
  for (std::size_t a = 0; a < quadrature_.mass.size(); ++a) {
    const auto phi = family_.basis(quadrature_.mass[a]);
    for (std::size_t k = 0; k < P; ++k) {
      double s = 0.0;
      for (std::size_t l = 0; l < P; ++l) s += transform_[l * P + k] * phi[l];
      psi_[a * P + k] = s;
    }
  }
  set_counts(histogram_.counts);
}

void BinnedFitter::set_counts(const std::vector<double>& counts) {
  if (counts.size() != histogram_.bins()) {
    throw core::InputError("spectrum", "counts", std::to_string(counts.size()),
                           "need " + std::to_string(histogram_.bins()) + " bins");
  }
  histogram_.counts = counts;
  histogram_.validate("spectrum");
  // Start: weighted least squares of ln(n/width) on ψ(bin centre) (the density's log is
  // linear in u), with weights n (the variance of ln n is 1/n).
  const std::size_t P = static_cast<std::size_t>(family_.n_params);
  const std::size_t nb = histogram_.bins();
  std::vector<double> normal(P * P, 0.0);
  std::vector<double> rhs(P, 0.0);
  for (std::size_t i = 0; i < nb; ++i) {
    const double n = counts[i];
    const double w = std::max(n, 1.0);
    const double y = std::log(std::max(n, 0.5) / histogram_.width(i));
    const auto phi = family_.basis(histogram_.centre(i));
    std::vector<double> psi(P, 0.0);
    for (std::size_t k = 0; k < P; ++k) {
      for (std::size_t l = 0; l < P; ++l) psi[k] += transform_[l * P + k] * phi[l];
    }
    for (std::size_t k = 0; k < P; ++k) {
      rhs[k] += w * psi[k] * y;
      for (std::size_t l = 0; l < P; ++l) normal[k * P + l] += w * psi[k] * psi[l];
    }
  }
  if (!cholesky_solve(normal, rhs, P, least_squares_u_)) least_squares_u_.assign(P, 0.0);
}

FitResult BinnedFitter::fit_background(const std::vector<double>& start) const {
  return fit(SignalMode::kNone, {}, 0.0, start);
}

FitResult BinnedFitter::fit_signal(const std::vector<double>& signal,
                                   const std::vector<double>& start) const {
  return fit(SignalMode::kFree, signal, 0.0, start);
}

FitResult BinnedFitter::fit_fixed_signal(const std::vector<double>& signal, double fixed_yield,
                                         const std::vector<double>& start) const {
  return fit(SignalMode::kFixed, signal, fixed_yield, start);
}

FitResult BinnedFitter::fit(SignalMode mode, const std::vector<double>& signal, double fixed_yield,
                            const std::vector<double>& start) const {
  const std::size_t P = static_cast<std::size_t>(family_.n_params);
  const std::size_t nb = histogram_.bins();
  FitResult result;
  result.family = family_.name();
  result.n_params = family_.n_params;
  result.has_signal = mode != SignalMode::kNone;
  result.signal_yield = mode == SignalMode::kFixed ? fixed_yield : 0.0;
  if (mode != SignalMode::kNone && signal.size() != nb) {
    throw core::InputError("signal", "bins", std::to_string(signal.size()),
                           "the signal needs " + std::to_string(nb) + " bin fractions");
  }
  Problem problem{&histogram_.counts, &quadrature_, &psi_, P, P, nullptr, fixed_yield, 1.0};
  if (mode != SignalMode::kNone) {
    problem.signal = &signal;
    double information = 0.0;
    for (std::size_t i = 0; i < nb; ++i) {
      information += signal[i] * signal[i] / std::max(histogram_.counts[i], 1.0);
    }
    if (!(information > 0.0)) {
      result.failure_reason = "the signal has no events in the fitted bins";
      return result;
    }
    problem.yield_scale = 1.0 / std::sqrt(information);
  }
  if (mode == SignalMode::kFree) problem.n_free = P + 1;
  const std::size_t F = problem.n_free;

  // Starting points in u: the caller's θ (solve T u = θ, T upper triangular), least squares, kicks.
  std::vector<std::vector<double>> starts;
  if (start.size() >= P) {
    std::vector<double> u(F, 0.0);
    for (std::size_t k = P; k-- > 0;) {
      double s = start[k];
      for (std::size_t l = k + 1; l < P; ++l) s -= transform_[k * P + l] * u[l];
      u[k] = s / transform_[k * P + k];
    }
    starts.push_back(u);
  }
  {
    std::vector<double> u(F, 0.0);
    std::copy(least_squares_u_.begin(), least_squares_u_.end(), u.begin());
    starts.push_back(u);
  }
  core::RandomStream kicks(options_.seed);
  Minimum best;
  int used = 0;
  std::vector<double> minima;
  for (int attempt = 0; attempt < options_.starts; ++attempt) {
    std::vector<double> u;
    if (static_cast<std::size_t>(attempt) < starts.size()) {
      u = starts[static_cast<std::size_t>(attempt)];
    } else {
      u = best.f < kInvalid ? best.u : starts.back();
      for (auto& value : u) value += 2.0 * kicks.normal();
    }
    Minimum m = run_bfgs(problem, u, options_.max_iterations);
    if (m.f < kInvalid) newton_polish(problem, m);
    ++used;
    minima.push_back(m.f);
    if (m.f < best.f) best = m;
  }
  result.starts_used = used;
  for (double f : minima) result.starts_agreeing += (f < best.f + 1e-3) ? 1 : 0;
  if (!(best.f < kInvalid)) {
    result.failure_reason = "no start reached parameters with positive expectations in every bin";
    return result;
  }
  // A deficit in sparse bins: the free yield falls until an empty bin's expectation reaches
  // 0 and −ln L still decreases there, so there is no interior minimum. The minimum is then
  // on the physical boundary λ_a = 0: refit with μ = −b_a(θ)/s_a following the background.
  Problem reported = problem;
  // (μ can also stall at exactly 0, its start: where the background in the signal's bins is
  // tiny, any step to μ < 0 already leaves the allowed region.)
  if (mode == SignalMode::kFree && !is_interior_minimum(problem, best, options_.edm_tolerance) &&
      problem.yield_scale * best.u[P] <= 0.0) {
    std::vector<double> u(best.u.begin(), best.u.begin() + static_cast<std::ptrdiff_t>(P));
    Problem boundary = problem;
    boundary.n_free = P;
    boundary.boundary_bin = binding_bin(problem, u.data());
    // Up to 3 rounds: a refit can move the binding constraint to a neighbouring bin.
    for (int round = 0; round < 3 && boundary.boundary_bin >= 0; ++round) {
      if ((*boundary.counts)[static_cast<std::size_t>(boundary.boundary_bin)] > 0.0) break;
      Minimum m = run_bfgs(boundary, u, options_.max_iterations);
      if (!(m.f < kInvalid)) break;
      newton_polish(boundary, m);
      const std::ptrdiff_t binding = binding_bin(problem, m.u.data());
      u = m.u;
      if (binding != boundary.boundary_bin) {
        boundary.boundary_bin = binding;
        continue;
      }
      // A minimum over the allowed region is no higher than any allowed point (the stalled
      // free fit included), and the free direction must point out of the region.
      if (m.f <= best.f + 1e-3 && boundary_yield_score(boundary, m.u.data()) > 0.0) {
        best = m;
        reported = boundary;
        result.at_boundary = true;
      }
      break;
    }
  }
  const std::size_t R = reported.n_free;  // parameters minimised: P + 1 free, P on the boundary
  std::vector<double> g(R);
  std::vector<double> h(R * R);
  evaluate(reported, best.u.data(), g.data(), h.data());
  std::vector<double> d;
  std::vector<double> inverse;
  result.half_deviance = best.f;
  // Background and θ at the best point, even for a failed fit (recorded for diagnosis).
  result.theta.assign(P, 0.0);
  for (std::size_t k = 0; k < P; ++k) {
    for (std::size_t l = 0; l < P; ++l) result.theta[k] += transform_[k * P + l] * best.u[l];
  }
  result.background.assign(nb, 0.0);
  for (std::size_t i = 0; i < nb; ++i) {
    result.background[i] = bin_background(reported, i, best.u.data(), nullptr, nullptr);
  }
  // ∂μ/∂u: the free yield's scale, or on the boundary −(∂b_a/∂u)/s_a.
  std::vector<double> yield_gradient(R, 0.0);
  if (result.at_boundary) {
    const auto a = static_cast<std::size_t>(reported.boundary_bin);
    const double ba = bin_background(reported, a, best.u.data(), yield_gradient.data(), nullptr);
    result.signal_yield = -ba / signal[a];
    for (auto& v : yield_gradient) v /= -signal[a];
  } else if (mode == SignalMode::kFree) {
    result.signal_yield = problem.yield_scale * best.u[P];
    yield_gradient[P] = problem.yield_scale;
  }
  if (!cholesky_solve(h, g, R, d, &inverse)) {
    result.failure_reason = "the Hessian of −ln L is not positive definite at the minimum";
    return result;
  }
  result.edm = 0.0;
  for (std::size_t k = 0; k < R; ++k) result.edm += 0.5 * g[k] * d[k];
  if (!(result.edm < options_.edm_tolerance)) {
    std::ostringstream why;
    why << "estimated distance to the minimum " << result.edm << " > " << options_.edm_tolerance
        << " after " << used << " start(s)";
    if (mode == SignalMode::kFree && result.signal_yield < 0.0) {
      why << " (no interior minimum, and none on the boundary λ >= 0)";
    }
    result.failure_reason = why.str();
    return result;
  }
  // Covariance of (θ, μ): J H⁻¹ Jᵀ with J = [T 0; ∂μ/∂u] (rows F, columns R).
  std::vector<double> jacobian(F * R, 0.0);
  for (std::size_t k = 0; k < P; ++k) {
    for (std::size_t l = 0; l < P; ++l) jacobian[k * R + l] = transform_[k * P + l];
  }
  if (F > P) {
    for (std::size_t l = 0; l < R; ++l) jacobian[P * R + l] = yield_gradient[l];
  }
  result.covariance.assign(F * F, 0.0);
  for (std::size_t a = 0; a < F; ++a) {
    for (std::size_t b = 0; b < F; ++b) {
      double s = 0.0;
      for (std::size_t k = 0; k < R; ++k) {
        for (std::size_t l = 0; l < R; ++l) s += jacobian[a * R + k] * inverse[k * R + l] * jacobian[b * R + l];
      }
      result.covariance[a * F + b] = s;
    }
  }
  if (F > P) result.signal_yield_error = std::sqrt(result.covariance[P * F + P]);
  result.converged = true;
  return result;
}

double BinnedFitter::fractional_uncertainty(const FitResult& fit, double mass_gev) const {
  const std::size_t P = static_cast<std::size_t>(fit.n_params);
  if (fit.covariance.empty()) return std::numeric_limits<double>::quiet_NaN();
  const std::size_t F = static_cast<std::size_t>(std::lround(std::sqrt(fit.covariance.size())));
  const auto phi = family_.basis(mass_gev);
  double v = 0.0;
  for (std::size_t k = 0; k < P; ++k) {
    for (std::size_t l = 0; l < P; ++l) v += phi[k] * fit.covariance[k * F + l] * phi[l];
  }
  return std::sqrt(std::max(v, 0.0));
}

}  // namespace cwola::stats
