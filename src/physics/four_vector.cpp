#include "physics/four_vector.hpp"

#include <cmath>

#include "core/error.hpp"

namespace cwola::physics {

FourVector FourVector::from_pt_eta_phi_m(double pt, double eta, double phi, double mass) {
  FourVector v;
  v.px = pt * std::cos(phi);
  v.py = pt * std::sin(phi);
  v.pz = pt * std::sinh(eta);
  v.e = std::sqrt(v.px * v.px + v.py * v.py + v.pz * v.pz + mass * mass);
  return v;
}

double FourVector::pt() const { return std::hypot(px, py); }

double FourVector::eta() const {
  const double transverse = pt();
  if (transverse == 0.0) return pz >= 0 ? kMaxEta : -kMaxEta;
  return std::asinh(pz / transverse);
}

double FourVector::phi() const { return (px == 0.0 && py == 0.0) ? 0.0 : std::atan2(py, px); }

double FourVector::p() const { return std::sqrt(px * px + py * py + pz * pz); }

double FourVector::m() const {
  const double m2 = e * e - (px * px + py * py + pz * pz);
  if (m2 >= 0) return std::sqrt(m2);
  // Rounding of massless vectors gives tiny negative m²; keep them at zero.
  if (-m2 < 1e-9 * e * e) return 0.0;
  return -std::sqrt(-m2);
}

double FourVector::rapidity() const { return 0.5 * std::log((e + pz) / (e - pz)); }

FourVector& FourVector::operator+=(const FourVector& other) {
  px += other.px;
  py += other.py;
  pz += other.pz;
  e += other.e;
  return *this;
}

FourVector operator+(FourVector a, const FourVector& b) { return a += b; }

FourVector FourVector::boosted(double bx, double by, double bz) const {
  const double b2 = bx * bx + by * by + bz * bz;
  if (b2 == 0.0) return *this;
  CWOLA_EXPECT(b2 < 1.0);
  const double gamma = 1.0 / std::sqrt(1.0 - b2);
  const double bp = bx * px + by * py + bz * pz;
  const double factor = (gamma - 1.0) * bp / b2 + gamma * e;
  FourVector out;
  out.px = px + factor * bx;
  out.py = py + factor * by;
  out.pz = pz + factor * bz;
  out.e = gamma * (e + bp);
  return out;
}

double wrap_phi(double phi) {
  double wrapped = std::fmod(phi + kPi, 2.0 * kPi);
  if (wrapped <= 0) wrapped += 2.0 * kPi;
  return wrapped - kPi;
}

double delta_phi(double phi1, double phi2) { return wrap_phi(phi1 - phi2); }

double delta_r(double eta1, double phi1, double eta2, double phi2) {
  return std::hypot(eta1 - eta2, delta_phi(phi1, phi2));
}

DecayProducts two_body_decay(const FourVector& parent, double m1, double m2,
                             core::RandomStream& stream) {
  const double mass = parent.m();
  if (mass < m1 + m2) {
    throw core::Error("two-body decay of mass " + std::to_string(mass) + " GeV into " +
                      std::to_string(m1) + " + " + std::to_string(m2) + " GeV is not allowed");
  }
  // Momentum of either daughter in the rest frame (Källén function).
  const double s = mass * mass;
  const double lambda = (s - (m1 + m2) * (m1 + m2)) * (s - (m1 - m2) * (m1 - m2));
  const double p = std::sqrt(std::max(lambda, 0.0)) / (2.0 * mass);
  const double cos_theta = 2.0 * stream.uniform() - 1.0;
  const double sin_theta = std::sqrt(std::max(0.0, 1.0 - cos_theta * cos_theta));
  const double phi = 2.0 * kPi * stream.uniform();
  FourVector first;
  first.px = p * sin_theta * std::cos(phi);
  first.py = p * sin_theta * std::sin(phi);
  first.pz = p * cos_theta;
  first.e = std::sqrt(p * p + m1 * m1);
  FourVector second;
  second.px = -first.px;
  second.py = -first.py;
  second.pz = -first.pz;
  second.e = std::sqrt(p * p + m2 * m2);
  const double bx = parent.px / parent.e;
  const double by = parent.py / parent.e;
  const double bz = parent.pz / parent.e;
  return {first.boosted(bx, by, bz), second.boosted(bx, by, bz)};
}

}  // namespace cwola::physics
