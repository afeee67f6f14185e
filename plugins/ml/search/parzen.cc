#include "search/parzen.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace mlops::ml {
namespace {

constexpr double kSqrt2 = 1.4142135623730951;
constexpr double kLogSqrt2Pi = 0.9189385332046727;
constexpr double kTiny = 1e-300;

double Phi(double z) { return 0.5 * std::erfc(-z / kSqrt2); }

}  // namespace

ParzenEstimator::ParzenEstimator(const std::vector<double>& observations, double low, double high)
    : low_(low), high_(high) {
  const double width = high - low;
  const double prior = (low + high) / 2;
  std::vector<double> mus = observations;
  mus.push_back(prior);
  std::vector<size_t> order(mus.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return mus[a] < mus[b]; });
  const double min_sigma = width / std::min(100.0, static_cast<double>(mus.size()));
  mu_.resize(mus.size());
  sigma_.resize(mus.size());
  for (size_t r = 0; r < order.size(); ++r) {
    const double m = mus[order[r]];
    const double left = r == 0 ? low : mus[order[r - 1]];
    const double right = r + 1 == order.size() ? high : mus[order[r + 1]];
    double s = std::max(m - left, right - m);
    if (order[r] == mus.size() - 1) s = width;  // the prior kernel
    mu_[r] = m;
    sigma_[r] = std::clamp(s, min_sigma, width);
  }
  norm_.resize(mu_.size());
  for (size_t k = 0; k < mu_.size(); ++k) {
    norm_[k] = std::max(kTiny, Phi((high - mu_[k]) / sigma_[k]) - Phi((low - mu_[k]) / sigma_[k]));
  }
}

double ParzenEstimator::Sample(Rng& rng) const {
  const size_t k = static_cast<size_t>(rng.Below(mu_.size()));
  for (int attempt = 0; attempt < 64; ++attempt) {
    const double x = mu_[k] + sigma_[k] * rng.Normal();
    if (x >= low_ && x < high_) return x;
  }
  return rng.Uniform(low_, high_);  // a kernel almost entirely outside the range
}

double ParzenEstimator::LogPdf(double x) const {
  double p = 0;
  for (size_t k = 0; k < mu_.size(); ++k) {
    const double z = (x - mu_[k]) / sigma_[k];
    p += std::exp(-0.5 * z * z - kLogSqrt2Pi) / (sigma_[k] * norm_[k]);
  }
  return std::log(std::max(kTiny, p / static_cast<double>(mu_.size())));
}

double ParzenEstimator::LogMass(double a, double b) const {
  a = std::max(a, low_);
  b = std::min(b, high_);
  double p = 0;
  for (size_t k = 0; k < mu_.size(); ++k) {
    p += (Phi((b - mu_[k]) / sigma_[k]) - Phi((a - mu_[k]) / sigma_[k])) / norm_[k];
  }
  return std::log(std::max(kTiny, p / static_cast<double>(mu_.size())));
}

CategoricalEstimator::CategoricalEstimator(const std::vector<int>& observations, int n)
    : p_(static_cast<size_t>(n), 1.0) {
  for (int k : observations) p_[static_cast<size_t>(k)] += 1.0;
  const double total = static_cast<double>(observations.size()) + n;
  for (double& p : p_) p /= total;
}

int CategoricalEstimator::Sample(Rng& rng) const {
  double u = rng.Uniform();
  for (size_t k = 0; k < p_.size(); ++k) {
    u -= p_[k];
    if (u < 0) return static_cast<int>(k);
  }
  return static_cast<int>(p_.size()) - 1;
}

double CategoricalEstimator::LogProb(int k) const { return std::log(p_[static_cast<size_t>(k)]); }

}  // namespace mlops::ml
