/* scenario.c: what online users do in parley-load.
 *
 * idle: nothing (the transports keep the sessions up). pairs: the users
 * of index 2k and 2k+1 (counted from 0, so with --first 1 user1 and user2,
 * user3 and user4...) are partners; one 1 ms timer sends, at each tick,
 * the messages due at --rate in all, taking senders round robin among the
 * users online, so every sender sends every users/rate seconds. A message
 * goes to the partner's bare JID whether the partner is online or not, so
 * that the server stores it while the partner is away (and delivers it at
 * its next login). A body carries the run's id, the message's number in
 * the ledger (ledger.c), the sender's index and its own sequence number,
 * and the monotonic send time in microseconds; the receiver (same process,
 * same clock) records the delivery latency, and the ledger counts each
 * message once, a second copy as a duplicate. A message from another run
 * (an offline message kept by the server) is counted as foreign, never as
 * received. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load.h"

#define SCENARIO_TICK 0.001
#define SCENARIO_TAG "parley-load"

static struct user *scenario_partner(struct load *l, struct user *u)
{
	size_t i = u->index ^ 1u;
	return i < (size_t)l->cfg->users ? &l->users[i] : NULL;
}

static int scenario_can_send(struct load *l, struct user *u)
{
	return u->state == USER_ONLINE && scenario_partner(l, u);
}

static void scenario_send(struct load *l, struct user *u)
{
	char body[128], to[LOAD_NAME_MAX + 256];
	struct user *p = scenario_partner(l, u);
	long n = ledger_next(l);
	if (n < 0) {
		scenario_stop(l);
		return;
	}
	config_user_name(l->cfg, p->index, to, LOAD_NAME_MAX);
	snprintf(to + strlen(to), sizeof to - strlen(to), "@%s",
		 l->cfg->domain);
	snprintf(body, sizeof body,
		 SCENARIO_TAG " %08" PRIx32 " %ld %" PRIu32 " %" PRIu32
			      " %" PRIu64,
		 l->run_id, n, u->index, u->sent_seq, load_now_us());
	if (xmpp_send_chat(u, to, body) < 0) {
		l->stats.unsendable++;
		return;
	}
	l->stats.sent++;
	u->sent_seq++;
}

static void scenario_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)revents;
	struct load *l = w->data;
	size_t n = (size_t)l->cfg->users;
	unsigned long due = (unsigned long)((ev_now(loop) - l->send_t0) *
					    (double)l->cfg->rate);
	size_t tries = n; /* a tick looks at each user once at most */
	while (l->due_sent < due && tries > 0) {
		struct user *u = &l->users[l->send_cursor];
		l->send_cursor = (l->send_cursor + 1) % n;
		tries--;
		if (!scenario_can_send(l, u))
			continue;
		l->due_sent++;
		scenario_send(l, u);
	}
	if (tries == 0)
		l->due_sent = due; /* nobody could send: no burst later */
}

void scenario_start(struct load *l)
{
	if (l->cfg->scenario != SCENARIO_PAIRS)
		return;
	l->send_t0 = ev_now(l->loop);
	l->due_sent = 0;
	l->send_cursor = 0;
	ev_timer_init(&l->send_timer, scenario_tick, SCENARIO_TICK,
		      SCENARIO_TICK);
	l->send_timer.data = l;
	ev_timer_start(l->loop, &l->send_timer);
}

void scenario_stop(struct load *l)
{
	ev_timer_stop(l->loop, &l->send_timer);
}

long scenario_message_number(const struct load *l, const char *text,
			     size_t len)
{
	char copy[128];
	unsigned run;
	long n;
	if (len >= sizeof copy)
		len = sizeof copy - 1;
	memcpy(copy, text, len);
	copy[len] = '\0';
	if (sscanf(copy, SCENARIO_TAG " %x %ld", &run, &n) != 2 ||
	    run != l->run_id || n < 0)
		return -1;
	return n;
}

void scenario_on_body(struct user *u, const char *body)
{
	struct load *l = u->load;
	unsigned run;
	unsigned long n, sender, seq;
	uint64_t sent_us;
	struct user *p = scenario_partner(l, u);
	if (sscanf(body, SCENARIO_TAG " %x %lu %lu %lu %" SCNu64, &run, &n,
		   &sender, &seq, &sent_us) != 5 ||
	    run != l->run_id || !p || sender != p->index) {
		l->stats.foreign++;
		return;
	}
	if (l->phase >= PHASE_CLOSE)
		return; /* too late: counted as lost */
	int again = ledger_receive(l, n);
	if (again < 0) {
		l->stats.foreign++;
		return;
	}
	if (again) {
		l->stats.duplicated++;
		return;
	}
	uint64_t now = load_now_us();
	l->stats.received++;
	histo_add(&l->stats.latency, now > sent_us ? now - sent_us : 0);
}
