/* backend_pick.c: the choice of an instance for a routed request
 * (backend_pick.h, PROTOCOL.md 8.6 and 8.7). A request that names a
 * session goes to the session's owner; while the owner restarts on
 * purpose (it drained) the request waits for its successor, which takes
 * the tag over; anything else goes to the least loaded instance. */
#include <string.h>

#include "backend_pick.h"
#include "instance.h"

/* 1 if the owner of the key is on its way back: connected but draining,
   or its last connection left by draining less than wait seconds ago. */
static int pick_owner_restarts(const struct pick_slot *s, size_t n,
			       const char *key, size_t key_len, double wait)
{
	const struct pick_slot *last = NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i].draining && instance_owns_key(s[i].tag, key, key_len))
			return 1;
		if (instance_owns_key(s[i].gone_tag, key, key_len) &&
		    (!last || s[i].gone_age < last->gone_age))
			last = &s[i];
	}
	return last && last->gone_drained && last->gone_age < wait;
}

static int pick_some_tag_pending(const struct pick_slot *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i].tag_pending)
			return 1;
	return 0;
}

/* The least loaded slot that takes new requests, ties in turn; -1. */
static int pick_least_loaded(const struct pick_slot *s, size_t n,
			     unsigned *turn)
{
	int best = -1;
	size_t start = n ? *turn % n : 0;
	for (size_t j = 0; j < n; j++) {
		size_t i = (start + j) % n;
		if (!s[i].hello || s[i].draining)
			continue;
		if (best < 0 || s[i].load < s[best].load)
			best = (int)i;
	}
	if (best >= 0)
		(*turn)++;
	return best;
}

int backend_pick(const struct pick_slot *s, size_t n, const char *key,
		 size_t key_len, int may_wait, double wait, unsigned *turn)
{
	if (key_len) {
		for (size_t i = 0; i < n; i++)
			if (s[i].hello && !s[i].draining &&
			    instance_owns_key(s[i].tag, key, key_len))
				return (int)i;
		if (may_wait &&
		    (pick_owner_restarts(s, n, key, key_len, wait) ||
		     (n > 1 && pick_some_tag_pending(s, n))))
			return PICK_WAIT;
	}
	int i = pick_least_loaded(s, n, turn);
	if (i >= 0)
		return i;
	return may_wait ? PICK_WAIT : PICK_NONE;
}
