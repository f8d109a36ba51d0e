#pragma once
/// Discovery significance and the significance improvement of a cut.
/// Conventions (note eq. 5, report eq. 2; Cowan, Cranmer, Gross, Vitells, EPJC 71 (2011)
/// 1554): a cut with efficiencies eps_s, eps_b maps s -> eps_s s and b -> eps_b b.

namespace cwola::metrics {

/// Asimov median discovery significance of s signal over b background events (expected
/// counts, dimensionless): Z = sqrt(2((s+b) ln(1+s/b) - s)). Evaluated with a series for
/// s << b so that it tends to s/sqrt(b) without cancellation. s >= 0, b >= 0, finite
/// (else InputError); b = 0 gives +inf for s > 0 and 0 for s = 0.
double significance(double signal_events, double background_events);

/// Significance improvement characteristic eps_s / sqrt(eps_b), the factor by which a cut
/// multiplies s/sqrt(b). Efficiencies in [0, 1] (else InputError); eps_b = 0 gives 0 when
/// eps_s = 0 and +inf otherwise.
double significance_improvement(double signal_efficiency, double background_efficiency);

}  // namespace cwola::metrics
