/* deadline.c: ordered timeout lists on a single ev_timer (see deadline.h).
 * The timer is armed for the head's expiry only; it is re-armed lazily
 * when it fires, so touching an entry costs no timer operation. */
#include <stddef.h>

#include "deadline.h"

static void deadline_arm(struct deadline_list *l)
{
	if (!l->head) {
		ev_timer_stop(l->loop, &l->timer);
		return;
	}
	if (ev_is_active(&l->timer))
		return;
	ev_tstamp after = l->head->at - ev_now(l->loop);
	ev_timer_set(&l->timer, after > 0 ? after : 0, 0);
	ev_timer_start(l->loop, &l->timer);
}

static void deadline_fire(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)revents;
	struct deadline_list *l = (struct deadline_list *)w;
	ev_tstamp now = ev_now(loop);
	while (l->head && l->head->at <= now + 0.001) {
		struct deadline_entry *e = l->head;
		deadline_remove(l, e);
		l->expire(l, e);
	}
	deadline_arm(l);
}

void deadline_list_init(struct deadline_list *l, struct ev_loop *loop,
			ev_tstamp timeout,
			void (*expire)(struct deadline_list *,
				       struct deadline_entry *))
{
	ev_timer_init(&l->timer, deadline_fire, 0, 0);
	l->loop = loop;
	l->timeout = timeout;
	l->head = l->tail = NULL;
	l->expire = expire;
	l->data = NULL;
}

void deadline_remove(struct deadline_list *l, struct deadline_entry *e)
{
	if (!e->linked)
		return;
	if (e->prev)
		e->prev->next = e->next;
	else
		l->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		l->tail = e->prev;
	e->prev = e->next = NULL;
	e->linked = 0;
	if (!l->head)
		ev_timer_stop(l->loop, &l->timer); /* nothing left to wait for */
}

void deadline_touch(struct deadline_list *l, struct deadline_entry *e)
{
	deadline_remove(l, e);
	e->at = ev_now(l->loop) + l->timeout;
	e->prev = l->tail;
	e->next = NULL;
	if (l->tail)
		l->tail->next = e;
	else
		l->head = e;
	l->tail = e;
	e->linked = 1;
	deadline_arm(l);
}

void deadline_list_stop(struct deadline_list *l)
{
	ev_timer_stop(l->loop, &l->timer);
}
