/* histo.c: the log-linear latency histogram of histo.h.
 *
 * Bucket layout: values below HISTO_SUB have a bucket each; above, a value
 * whose highest set bit is e (e >= HISTO_SUB_BITS) lands in group
 * e - HISTO_SUB_BITS + 1, sub-bucket given by the HISTO_SUB_BITS bits
 * after the highest one. */
#include <string.h>

#include "histo.h"

void histo_init(struct histo *h)
{
	memset(h, 0, sizeof *h);
}

static unsigned histo_highest_bit(uint64_t v)
{
	return 63u - (unsigned)__builtin_clzll(v);
}

static unsigned histo_bucket(uint64_t v)
{
	if (v < HISTO_SUB)
		return (unsigned)v;
	unsigned e = histo_highest_bit(v);
	if (e >= HISTO_MAX_BITS)
		return HISTO_BUCKETS - 1;
	unsigned sub = (unsigned)(v >> (e - HISTO_SUB_BITS)) & (HISTO_SUB - 1);
	return (e - HISTO_SUB_BITS + 1) * HISTO_SUB + sub;
}

/* The largest value that falls into bucket b. */
static uint64_t histo_bucket_top(unsigned b)
{
	if (b < HISTO_SUB)
		return b;
	unsigned group = b / HISTO_SUB, sub = b % HISTO_SUB;
	unsigned e = group + HISTO_SUB_BITS - 1;
	uint64_t width = (uint64_t)1 << (e - HISTO_SUB_BITS);
	return ((uint64_t)1 << e) + (sub + 1) * width - 1;
}

void histo_add(struct histo *h, uint64_t value)
{
	h->count[histo_bucket(value)]++;
	if (h->n == 0 || value < h->min)
		h->min = value;
	if (value > h->max)
		h->max = value;
	h->n++;
	h->sum += value;
}

uint64_t histo_quantile(const struct histo *h, double q)
{
	if (h->n == 0)
		return 0;
	uint64_t rank = (uint64_t)(q * (double)h->n + 0.5);
	if (rank < 1)
		rank = 1;
	if (rank > h->n)
		rank = h->n;
	uint64_t seen = 0;
	for (unsigned b = 0; b < HISTO_BUCKETS; b++) {
		seen += h->count[b];
		if (seen >= rank) {
			uint64_t top = histo_bucket_top(b);
			return top < h->max ? top : h->max;
		}
	}
	return h->max;
}
