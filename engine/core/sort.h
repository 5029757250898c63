/* qsort for tables that may be empty: qsort(NULL, 0, ...) is undefined behaviour (glibc's
 * qsort is declared nonnull), and empty tables here are often NULL. Sorting fewer than two
 * rows is a no-op anyway. */
#ifndef SIC_CORE_SORT_H
#define SIC_CORE_SORT_H

#include <stdlib.h>

static inline void sic_qsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *)) {
  if (base && n > 1) qsort(base, n, size, cmp);
}

/* Ascending doubles, NaN last (as Java sorts them, which History Server quantiles rely on). */
static inline int sic_cmp_double(const void *x, const void *y) {
  double a = *(const double *)x, b = *(const double *)y;
  int na = a != a, nb = b != b;
  if (na || nb) return na - nb;
  return a < b ? -1 : a > b;
}

/* Median of v[0..n), n > 0, the mean of the two middle values when n is even; sorts v. */
static inline double sic_median_sort(double *v, size_t n) {
  sic_qsort(v, n, sizeof *v, sic_cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#endif
