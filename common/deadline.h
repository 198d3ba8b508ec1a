/* deadline.h: many timeouts of the same length on one libev timer.
 *
 * libev's advice for thousands of connections with one timeout: keep them
 * in a list ordered by expiry and run a single timer for the head. Because
 * every entry of a list has the same timeout, "touch" (move to the tail
 * with a new expiry) keeps the list ordered in O(1). The entry lives inside
 * its owner's struct; the owner's expire callback finds it with
 * container_of-style arithmetic or by keeping it as the first member. */
#ifndef PARLEY_DEADLINE_H
#define PARLEY_DEADLINE_H

#include <ev.h>

struct deadline_entry {
	struct deadline_entry *prev, *next;
	ev_tstamp at;
	int linked;
};

struct deadline_list {
	ev_timer timer;
	struct ev_loop *loop;
	ev_tstamp timeout;
	struct deadline_entry *head, *tail;
	/* Called once for each expired entry, already unlinked. */
	void (*expire)(struct deadline_list *list, struct deadline_entry *e);
	void *data;
};

void deadline_list_init(struct deadline_list *l, struct ev_loop *loop,
			ev_tstamp timeout,
			void (*expire)(struct deadline_list *,
				       struct deadline_entry *));
/* Puts e at the tail (or moves it there), expiring timeout from now. */
void deadline_touch(struct deadline_list *l, struct deadline_entry *e);
/* Takes e off the list; does nothing if it is not on one. */
void deadline_remove(struct deadline_list *l, struct deadline_entry *e);
/* Stops the timer; the entries stay linked but never expire. */
void deadline_list_stop(struct deadline_list *l);

#endif
