/* histo.h: a latency histogram in bounded memory for parley-load.
 *
 * Values (microseconds) fall into log-linear buckets: each power of two is
 * split into HISTO_SUB equal buckets, so a percentile read from it is
 * within 1/HISTO_SUB (6.25 %) of the true value, and the whole histogram is
 * a fixed array whatever the number of samples. The exact minimum, maximum
 * and sum are kept beside it. Used by scenario.c (one histogram per run)
 * and read by report.c. */
#ifndef PARLEY_LOAD_HISTO_H
#define PARLEY_LOAD_HISTO_H

#include <stdint.h>

#define HISTO_SUB_BITS 4
#define HISTO_SUB (1u << HISTO_SUB_BITS)
#define HISTO_MAX_BITS 40 /* values up to 2^40 us (12 days): the rest clamp */
#define HISTO_BUCKETS ((HISTO_MAX_BITS - HISTO_SUB_BITS + 1) * HISTO_SUB)

struct histo {
	uint64_t count[HISTO_BUCKETS];
	uint64_t n, sum, min, max;
};

void histo_init(struct histo *h);
void histo_add(struct histo *h, uint64_t value);
/* The value below which the fraction q (0..1) of the samples fall: the
   upper edge of the bucket holding it, never above the exact maximum; 0
   when there are no samples. */
uint64_t histo_quantile(const struct histo *h, double q);

#endif
