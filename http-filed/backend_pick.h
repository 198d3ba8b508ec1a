/* backend_pick.h: which instance of a backend gets a request, or whether
 * the request waits inside http-filed (PROTOCOL.md 8.6 and 8.7). Pure:
 * backend.c describes the connection to each instance of the request's
 * prefix in a struct pick_slot and acts on the answer;
 * tests/unit/check_backend_pick.c tests the rules one by one. */
#ifndef PARLEY_BACKEND_PICK_H
#define PARLEY_BACKEND_PICK_H

#include <stddef.h>

#define PICK_WAIT (-1) /* nobody can take it now: let it wait */
#define PICK_NONE (-2) /* nobody can take it and it may not wait: 503 */

/* One instance (one route socket) as its connection stands. */
struct pick_slot {
	unsigned hello : 1;	  /* connected and its HELLO arrived */
	unsigned draining : 1;	  /* connected and it sent HTTP_DRAIN */
	unsigned tag_pending : 1; /* connected, its tag not known yet but
				     still expected (not for a peer < 1.3) */
	const char *tag;	  /* the tag it announced, "" if none */
	size_t load;		  /* its requests not answered yet */
	/* The last connection of this slot that had a tag and closed: */
	const char *gone_tag; /* "" if none */
	int gone_drained;     /* it had sent HTTP_DRAIN */
	double gone_age;      /* seconds since it closed */
};

/* Applies the rules to a request with the session key key[0..key_len)
   (key_len 0: none), among the n slots of its prefix:
   1. a slot with HELLO, not draining, whose tag owns the key;
   2. if may_wait: PICK_WAIT when the key's owner is draining, or when the
      last connection that announced the owner's tag left by draining
      less than wait seconds ago, or (with n > 1) while a slot's tag is
      pending (it may be the owner);
   3. the least loaded slot with HELLO that is not draining (ties in
      turn, *turn advancing); none: PICK_WAIT if may_wait, else PICK_NONE.
   Returns the slot's index, PICK_WAIT or PICK_NONE. */
int backend_pick(const struct pick_slot *s, size_t n, const char *key,
		 size_t key_len, int may_wait, double wait, unsigned *turn);

#endif
