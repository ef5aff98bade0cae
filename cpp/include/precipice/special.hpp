// Distribution tails for the rank tests (precipice.ranking): the F distribution
// (Iman–Davenport) and the studentized range with infinitely many degrees of
// freedom (Nemenyi). Plain functions, safe to call from several threads.
#pragma once

namespace precipice {

// The regularized incomplete beta function I_x(a, b) for a, b > 0 and x in
// [0, 1]; y = 1 - x is passed too, so that a tail near x = 1 keeps its digits.
double regularized_beta(double a, double b, double x, double y);

// P(F > x) for F with (df1, df2) degrees of freedom: I_{df2/(df2 + df1 x)}(df2/2, df1/2).
double f_survival(double x, double df1, double df2);

// P(Q <= q) for the range Q of k independent standard normals (the studentized
// range with infinite degrees of freedom): k * integral of phi(z) (Phi(z + q) -
// Phi(z))^(k - 1) dz, by composite Gauss–Legendre quadrature.
double studentized_range_cdf(double q, int k);

// The q with studentized_range_cdf(q, k) = p, for p in (0, 1), by bisection.
double studentized_range_quantile(double p, int k);

}  // namespace precipice
