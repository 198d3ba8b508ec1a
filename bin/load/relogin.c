/* relogin.c: --reconnect, logging a user in again after its session ended.
 *
 * As a web client with auto-reconnect does (Converse.js), a user whose
 * session ends after login, for any reason but an authentication failure,
 * logs in again after a short randomised backoff: a mean of
 * LOAD_RELOGIN_FIRST seconds, doubling with each failed attempt up to
 * LOAD_RELOGIN_MAX, and drawn from half to one and a half times the mean,
 * so that the users of a crashed server do not all come back in the same
 * millisecond. The users waiting are kept in one binary min-heap on their
 * due time, run by one timer (thousands of users lost at once cost one
 * timer, not thousands). Initial logins that fail during the ramp are not
 * retried: they are the server's failures to count. */
#include <stdlib.h>

#include "load.h"

void relogin_init(struct load *l)
{
	struct relogin_heap *h = &l->relogin;
	h->e = NULL;
	h->n = h->cap = 0;
	ev_init(&h->timer, NULL);
}

int relogin_wanted(const struct user *u, enum fail_kind kind)
{
	return u->load->cfg->reconnect && kind != FAIL_AUTH &&
	       u->load->phase < PHASE_CLOSE;
}

static void relogin_swap(struct relogin_entry *a, struct relogin_entry *b)
{
	struct relogin_entry t = *a;
	*a = *b;
	*b = t;
}

static void relogin_push(struct relogin_heap *h, struct relogin_entry e)
{
	size_t i = h->n++;
	h->e[i] = e;
	while (i > 0 && h->e[(i - 1) / 2].at > h->e[i].at) {
		relogin_swap(&h->e[(i - 1) / 2], &h->e[i]);
		i = (i - 1) / 2;
	}
}

static struct relogin_entry relogin_pop(struct relogin_heap *h)
{
	struct relogin_entry top = h->e[0];
	h->e[0] = h->e[--h->n];
	for (size_t i = 0;;) {
		size_t least = i, l = 2 * i + 1, r = l + 1;
		if (l < h->n && h->e[l].at < h->e[least].at)
			least = l;
		if (r < h->n && h->e[r].at < h->e[least].at)
			least = r;
		if (least == i)
			break;
		relogin_swap(&h->e[i], &h->e[least]);
		i = least;
	}
	return top;
}

static void relogin_arm(struct load *l)
{
	struct relogin_heap *h = &l->relogin;
	ev_timer_stop(l->loop, &h->timer);
	if (h->n == 0)
		return;
	ev_tstamp after = h->e[0].at - ev_now(l->loop);
	ev_timer_set(&h->timer, after > 0 ? after : 0, 0);
	ev_timer_start(l->loop, &h->timer);
}

static void relogin_due(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)revents;
	struct load *l = w->data;
	struct relogin_heap *h = &l->relogin;
	ev_tstamp now = ev_now(loop);
	while (h->n > 0 && h->e[0].at <= now && l->phase < PHASE_CLOSE) {
		struct user *u = &l->users[relogin_pop(h).index];
		u->relogin_due = 0;
		if (u->state == USER_FAILED)
			user_start(u);
	}
	relogin_arm(l);
}

void relogin_schedule(struct user *u)
{
	struct load *l = u->load;
	struct relogin_heap *h = &l->relogin;
	if (u->relogin_due)
		return;
	if (!h->e) {
		h->cap = (size_t)l->cfg->users;
		h->e = calloc(h->cap, sizeof *h->e);
		if (!h->e)
			return; /* out of memory: this user stays down */
		ev_timer_init(&h->timer, relogin_due, 0, 0);
		h->timer.data = l;
	}
	double mean = LOAD_RELOGIN_FIRST;
	for (unsigned i = 0; i < u->backoff && mean < LOAD_RELOGIN_MAX; i++)
		mean *= 2;
	if (mean > LOAD_RELOGIN_MAX)
		mean = LOAD_RELOGIN_MAX;
	if (u->backoff < 255)
		u->backoff++;
	double delay = mean * (0.5 + (double)random() / RAND_MAX);
	u->relogin_due = 1;
	relogin_push(h,
		     (struct relogin_entry){ev_now(l->loop) + delay, u->index});
	if (h->e[0].index == u->index)
		relogin_arm(l);
}

void relogin_stop(struct load *l)
{
	if (l->relogin.e)
		ev_timer_stop(l->loop, &l->relogin.timer);
}

void relogin_free(struct load *l)
{
	relogin_stop(l);
	free(l->relogin.e);
	l->relogin.e = NULL;
	l->relogin.n = l->relogin.cap = 0;
}
