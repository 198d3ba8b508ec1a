/* ledger.c: which of the run's chat messages arrived, and how often.
 *
 * Sender and receiver are the same process, so one ledger serves both:
 * every message gets the next number (0 up, carried in its body) and one
 * bit, set when it first arrives; a message whose bit is already set is a
 * duplicate. A second bit says the client knows the message never went
 * out (unsent, see xmpp_count_unsent). Lost: numbers with both bits
 * still clear at the end. Beside
 * the bits, the first number sent in each Unix second (marks), so that a
 * lost message can be placed in time: the fault test matches those
 * seconds with its restarts and kills. Both grow by doubling, bounded by
 * LOAD_MESSAGES_MAX messages (32 MiB of bits). Used by scenario.c (send,
 * receive) and report.c. */
#include <stdlib.h>
#include <string.h>

#include "load.h"
#include "log.h"

/* Makes room for bit n. 0 or -1. */
static int ledger_grow_bits(struct ledger *g, unsigned long n)
{
	size_t need = n / 8 + 1;
	if (need <= g->seen_bytes)
		return 0;
	size_t cap = g->seen_bytes ? g->seen_bytes : 4096;
	while (cap < need)
		cap *= 2;
	unsigned char *p = realloc(g->seen, cap);
	if (!p)
		return -1;
	memset(p + g->seen_bytes, 0, cap - g->seen_bytes);
	g->seen = p;
	unsigned char *w = realloc(g->withdrawn, cap);
	if (!w)
		return -1; /* seen is bigger: harmless, seen_bytes stays */
	memset(w + g->seen_bytes, 0, cap - g->seen_bytes);
	g->withdrawn = w;
	g->seen_bytes = cap;
	return 0;
}

/* Records that number n is the first one sent in second sec (if it is
   the first of its second). 0 or -1. */
static int ledger_mark(struct ledger *g, long sec, unsigned long n)
{
	if (g->nmarks == 0)
		g->first_second = sec;
	while (g->first_second + (long)g->nmarks <= sec) {
		if (g->nmarks == g->marks_cap) {
			size_t cap = g->marks_cap ? g->marks_cap * 2 : 256;
			unsigned long *p = realloc(g->marks, cap * sizeof *p);
			if (!p)
				return -1;
			g->marks = p;
			g->marks_cap = cap;
		}
		g->marks[g->nmarks++] = n; /* seconds without sends: empty */
	}
	return 0;
}

long ledger_next(struct load *l)
{
	struct ledger *g = &l->ledger;
	unsigned long n = l->stats.sent;
	if (g->full)
		return -1;
	if (n >= LOAD_MESSAGES_MAX || ledger_grow_bits(g, n) < 0 ||
	    ledger_mark(g, (long)ev_now(l->loop), n) < 0) {
		g->full = 1;
		log_warn("%lu messages: no more can be tracked, sending stops",
			 n);
		return -1;
	}
	return (long)n;
}

int ledger_receive(struct load *l, unsigned long n)
{
	struct ledger *g = &l->ledger;
	if (n >= l->stats.sent || n / 8 >= g->seen_bytes)
		return -1;
	unsigned char bit = (unsigned char)(1u << (n % 8));
	if (g->seen[n / 8] & bit)
		return 1;
	g->seen[n / 8] |= bit;
	return 0;
}

void ledger_withdraw(struct load *l, unsigned long n)
{
	struct ledger *g = &l->ledger;
	if (n < l->stats.sent && n / 8 < g->seen_bytes)
		g->withdrawn[n / 8] |= (unsigned char)(1u << (n % 8));
}

/* n arrived, or is known not to have gone out: not lost. */
static int ledger_has(const struct ledger *g, unsigned long n)
{
	return n / 8 < g->seen_bytes &&
	       ((g->seen[n / 8] | g->withdrawn[n / 8]) >> (n % 8) & 1);
}

/* Lost messages among numbers [from, to). */
static unsigned long ledger_lost_in(const struct ledger *g, unsigned long from,
				    unsigned long to)
{
	unsigned long lost = 0;
	for (unsigned long n = from; n < to; n++)
		lost += !ledger_has(g, n);
	return lost;
}

unsigned long ledger_lost(const struct load *l)
{
	return ledger_lost_in(&l->ledger, 0, l->stats.sent);
}

void ledger_lost_by_second(const struct load *l, size_t max,
			   void (*fn)(long second, unsigned long count,
				      void *ctx),
			   void *ctx)
{
	const struct ledger *g = &l->ledger;
	unsigned long rest = 0;
	size_t listed = 0;
	for (size_t k = 0; k < g->nmarks; k++) {
		unsigned long to =
			k + 1 < g->nmarks ? g->marks[k + 1] : l->stats.sent;
		unsigned long lost = ledger_lost_in(g, g->marks[k], to);
		if (lost == 0)
			continue;
		if (listed < max) {
			fn(g->first_second + (long)k, lost, ctx);
			listed++;
		} else {
			rest += lost;
		}
	}
	if (rest)
		fn(-1, rest, ctx);
}

void ledger_free(struct load *l)
{
	free(l->ledger.seen);
	free(l->ledger.withdrawn);
	free(l->ledger.marks);
	memset(&l->ledger, 0, sizeof l->ledger);
}
