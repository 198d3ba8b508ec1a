/* sessions.c: pollgw's table of polling sessions and the glue between the
 * state machine (poll_session.c, sans-I/O) and the world: every call into
 * a session returns a struct poll_out whose answers go to http-filed
 * (front.c) and whose stream actions go to the router (gw_uplink.h).
 * Sessions are found by identifier (HTTP side) and by channel (router
 * side); each has one timer armed at its next deadline (an answer that
 * waits for the shortest interval, inactivity). For the control socket a
 * session also keeps its peer and creation time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gw_uplink.h"
#include "handover.h"
#include "log.h"
#include "pollgw.h"

#define SESSIONS_BUCKETS 4096
/* Waiting request -> its session's channel, for HTTP_ABORT. */
#define SESSIONS_WAITING_SLOTS 16384
#define SESSIONS_PEER_MAX 48

struct psess {
	struct poll_session *s;
	uint32_t channel;
	ev_timer timer;
	struct psess *next_id, *next_chan;
	char peer[SESSIONS_PEER_MAX]; /* the client's address */
	uint64_t created;	      /* Unix time */
	int closing_logged; /* its stream's end waits for a poll: logged */
};

static struct psess *by_id[SESSIONS_BUCKETS], *by_chan[SESSIONS_BUCKETS];
/* Which session a waiting request belongs to, so that an HTTP_ABORT (the
   browser went away) forgets it. Direct-mapped and fixed in size: a
   collision only loses an abort (the answer is then dropped by
   gw_front), and a stale entry names a channel that no longer exists. */
static struct {
	uint64_t req;
	uint32_t channel;
} sessions_waiting[SESSIONS_WAITING_SLOTS];
static size_t sessions_n;
static uint32_t sessions_next_channel;
static struct ev_loop *sessions_loop;

static void psess_apply(struct psess *p, struct poll_out *out);

static uint64_t sessions_now(void)
{
	return (uint64_t)(ev_now(sessions_loop) * 1000.0);
}

/* ---- lookups */

static size_t sessions_waiting_slot(uint64_t req)
{
	return (size_t)((req ^ (req >> 29)) * 0x9E3779B97F4A7C15ull >> 48) %
	       SESSIONS_WAITING_SLOTS;
}

static size_t sessions_hash(const char *id)
{
	uint32_t h = 2166136261u;
	for (const unsigned char *p = (const unsigned char *)id; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h % SESSIONS_BUCKETS;
}

static struct psess **sessions_id_slot(const char *id)
{
	struct psess **p = &by_id[sessions_hash(id)];
	while (*p && strcmp(poll_session_id((*p)->s), id) != 0)
		p = &(*p)->next_id;
	return p;
}

static struct psess **sessions_chan_slot(uint32_t channel)
{
	struct psess **p = &by_chan[channel % SESSIONS_BUCKETS];
	while (*p && (*p)->channel != channel)
		p = &(*p)->next_chan;
	return p;
}

static uint32_t sessions_channel(void)
{
	do
		sessions_next_channel++;
	while (sessions_next_channel == 0 ||
	       *sessions_chan_slot(sessions_next_channel));
	return sessions_next_channel;
}

/* ---- one session */

static void psess_free(struct psess *p)
{
	struct psess **slot = sessions_id_slot(poll_session_id(p->s));
	if (*slot == p)
		*slot = p->next_id;
	slot = sessions_chan_slot(p->channel);
	if (*slot == p)
		*slot = p->next_chan;
	ev_timer_stop(sessions_loop, &p->timer);
	poll_session_free(p->s);
	free(p);
	sessions_n--;
}

static void psess_arm(struct psess *p)
{
	uint64_t at = poll_session_deadline(p->s), now = sessions_now();
	ev_timer_stop(sessions_loop, &p->timer);
	if (at == UINT64_MAX)
		return;
	ev_timer_set(&p->timer, at > now ? (double)(at - now) / 1000.0 : 0, 0);
	ev_timer_start(sessions_loop, &p->timer);
}

static void psess_on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	struct psess *p =
		(struct psess *)((char *)w - offsetof(struct psess, timer));
	struct poll_out out;
	poll_out_init(&out);
	poll_session_timeout(p->s, sessions_now(), &out);
	psess_apply(p, &out);
}

/* Carries out one stream action; -1 if the router cannot be reached. */
static int psess_act(struct psess *p, const struct poll_action *a)
{
	switch (a->kind) {
	case POLL_ACT_OPEN:
		return gw_uplink_open(p->channel, p->peer, "poll",
				      poll_session_is_secure(p->s));
	case POLL_ACT_DATA:
		return gw_uplink_data(p->channel, a->data, a->len);
	case POLL_ACT_RESTART:
		return gw_uplink_restart(p->channel);
	case POLL_ACT_CLOSE:
		gw_uplink_close(p->channel, a->data, a->len);
		return 0;
	}
	return 0;
}

static void psess_ended(struct psess *p)
{
	/* a session that ran out of memory may not have closed its stream */
	if (poll_session_is_open(p->s))
		gw_uplink_close(p->channel, NULL, 0);
	log_info("session %s (%s) ended: %s", poll_session_id(p->s),
		 *poll_session_jid(p->s) ? poll_session_jid(p->s) : "not bound",
		 poll_session_why(p->s));
	psess_free(p);
}

/* Sends what out says, then frees p if the session ended. */
static void psess_apply(struct psess *p, struct poll_out *out)
{
	int router_failed = 0;
	for (size_t i = 0; i < out->nactions && !router_failed; i++)
		if (psess_act(p, &out->actions[i]) < 0)
			router_failed = 1;
	for (size_t i = 0; i < out->nanswers; i++) {
		const struct poll_answer *a = &out->answers[i];
		pollgw_front_answer(a->req, a->id, a->body, a->len);
	}
	int ended = out->ended;
	poll_out_reset(out);
	if (!ended && router_failed) {
		poll_session_router_gone(p->s, sessions_now(), out);
		psess_apply(p, out);
		return;
	}
	if (ended) {
		psess_ended(p);
		return;
	}
	if (*poll_session_why(p->s) && !p->closing_logged) {
		log_info("session %s: stream over (%s), its end waits for a "
			 "poll",
			 poll_session_id(p->s), poll_session_why(p->s));
		p->closing_logged = 1;
	}
	psess_arm(p);
}

/* ---- requests */

/* Answers req with error identifier id, outside any session. */
static void sessions_refuse(uint64_t req, const char *id)
{
	pollgw_front_answer(req, id, "", 0);
}

/* 1 if out answers req. */
static int sessions_out_answers(const struct poll_out *out, uint64_t req)
{
	for (size_t i = 0; i < out->nanswers; i++)
		if (out->answers[i].req == req)
			return 1;
	return 0;
}

static void sessions_link(struct psess *p)
{
	struct psess **slot = sessions_id_slot(poll_session_id(p->s));
	p->next_id = *slot;
	*slot = p;
	p->next_chan = by_chan[p->channel % SESSIONS_BUCKETS];
	by_chan[p->channel % SESSIONS_BUCKETS] = p;
	sessions_n++;
}

/* 1 if a new session may be made now; else logs why. */
static int sessions_have_room(const char *peer)
{
	const char *why = NULL;
	if (sessions_n >= (size_t)pollgw_config.max_sessions)
		why = "--max-sessions reached";
	else if (!gw_uplink_is_up())
		why = "the router is not connected";
	if (why)
		log_warn("refusing a session for %s: %s", peer, why);
	return why == NULL;
}

/* No session was made: what out answers (-2:0 without a key), or -1:0. */
static void sessions_not_made(const struct poll_out *out, const char *peer,
			      uint64_t req)
{
	for (size_t i = 0; i < out->nanswers; i++)
		sessions_refuse(out->answers[i].req, out->answers[i].id);
	if (!out->nanswers)
		sessions_refuse(req, POLL_ERR_SERVER);
	log_info("no session for %s: %s", peer,
		 out->nanswers ? "no key" : "out of memory");
}

/* Identifier "0": a new session. */
static void sessions_create(const struct poll_body *b, const char *peer,
			    int secure, uint64_t req)
{
	if (!sessions_have_room(peer)) {
		sessions_refuse(req, POLL_ERR_SERVER);
		return;
	}
	struct poll_out out;
	poll_out_init(&out);
	struct psess *p = calloc(1, sizeof *p);
	if (p)
		p->s = poll_session_new(&pollgw_config.poll, b, secure, req,
					sessions_now(), &out);
	if (!p || !p->s) {
		sessions_not_made(&out, peer, req);
		poll_out_reset(&out);
		free(p);
		return;
	}
	snprintf(p->peer, sizeof p->peer, "%s", peer);
	p->created = (uint64_t)time(NULL);
	p->channel = sessions_channel();
	ev_timer_init(&p->timer, psess_on_timer, 0, 0);
	sessions_link(p);
	log_info("session %s for %s on channel %u", poll_session_id(p->s), peer,
		 p->channel);
	psess_apply(p, &out);
}

void pollgw_sessions_request(const struct poll_body *b, const char *peer,
			     int secure, uint64_t req)
{
	if (poll_body_is_new(b)) {
		sessions_create(b, peer, secure, req);
		return;
	}
	struct psess *p = *sessions_id_slot(b->id);
	if (!p) {
		log_debug("unknown identifier %s from %s", b->id, peer);
		sessions_refuse(req, POLL_ERR_UNKNOWN);
		return;
	}
	struct poll_out out;
	poll_out_init(&out);
	int rc = poll_session_request(p->s, b, req, sessions_now(), &out);
	if (out.nanswers && strcmp(out.answers[0].id, POLL_ERR_KEY) == 0)
		log_info("session %s: key sequence error from %s", b->id, peer);
	if (rc < 0 && !sessions_out_answers(&out, req))
		sessions_refuse(req, POLL_ERR_SERVER);
	struct poll_session_info info;
	poll_session_get_info(p->s, &info);
	if (info.waiting) {
		size_t i = sessions_waiting_slot(req);
		sessions_waiting[i].req = req;
		sessions_waiting[i].channel = p->channel;
	}
	psess_apply(p, &out);
}

void pollgw_sessions_abort(uint64_t req)
{
	size_t i = sessions_waiting_slot(req);
	if (sessions_waiting[i].req != req)
		return;
	sessions_waiting[i].req = 0;
	struct psess *p = *sessions_chan_slot(sessions_waiting[i].channel);
	if (p)
		poll_session_abort(p->s, req);
}

/* ---- the router */

void pollgw_sessions_from_router(uint32_t channel, const char *data, size_t len)
{
	struct psess *p = *sessions_chan_slot(channel);
	if (!p || !poll_session_router_open(p->s)) {
		gw_uplink_return(channel, data, len); /* crossed our close */
		return;
	}
	struct poll_out out;
	poll_out_init(&out);
	poll_session_from_router(p->s, data, len, sessions_now(), &out);
	psess_apply(p, &out);
}

void pollgw_sessions_router_closed(uint32_t channel)
{
	struct psess *p = *sessions_chan_slot(channel);
	if (!p)
		return;
	struct poll_out out;
	poll_out_init(&out);
	poll_session_router_gone(p->s, sessions_now(), &out);
	psess_apply(p, &out);
}

/* Calls fn on every session; fn may end (free) the one it is given. */
static void sessions_each_safely(void (*fn)(struct psess *p))
{
	for (size_t i = 0; i < SESSIONS_BUCKETS; i++) {
		struct psess *p = by_chan[i];
		while (p) {
			struct psess *next = p->next_chan;
			fn(p);
			p = next;
		}
	}
}

static void sessions_lose_router(struct psess *p)
{
	struct poll_out out;
	poll_out_init(&out);
	poll_session_router_gone(p->s, sessions_now(), &out);
	psess_apply(p, &out);
}

void pollgw_sessions_router_lost(void)
{
	sessions_each_safely(sessions_lose_router);
}

static void sessions_end(struct psess *p, const char *cond, const char *why)
{
	struct poll_out out;
	poll_out_init(&out);
	poll_session_end(p->s, cond, why, sessions_now(), &out);
	out.ended = 1; /* whatever it says: it is over */
	psess_apply(p, &out);
}

static void sessions_shut(struct psess *p)
{
	sessions_end(p, "system-shutdown", "shutdown");
}

void pollgw_sessions_shutdown(void)
{
	sessions_each_safely(sessions_shut);
}

void pollgw_sessions_init(struct ev_loop *loop)
{
	sessions_loop = loop;
}

size_t pollgw_sessions_count(void)
{
	return sessions_n;
}

/* ---- hand-over to a successor process (pollgw/handover.c) */

static void sessions_release(struct psess *p)
{
	struct poll_out out;
	poll_out_init(&out);
	poll_session_release(p->s, sessions_now(), &out);
	psess_apply(p, &out);
}

void pollgw_sessions_release_all(void)
{
	sessions_each_safely(sessions_release);
}

static int sessions_save_one(struct psess *p, struct buf *to)
{
	if (handover_put_u64(to, "session", p->channel) < 0 ||
	    handover_put_str(to, "peer", p->peer) < 0 ||
	    handover_put_u64(to, "created", p->created) < 0 ||
	    handover_put_u64(to, "closing_logged",
			     (uint64_t)p->closing_logged) < 0 ||
	    poll_session_save(p->s, to) < 0)
		return -1;
	return handover_put(to, "end", "", 0);
}

size_t pollgw_sessions_save(struct buf *to)
{
	size_t saved = 0;
	for (size_t i = 0; i < SESSIONS_BUCKETS; i++)
		for (struct psess *p = by_chan[i], *next; p; p = next) {
			next = p->next_chan;
			size_t mark = to->len;
			if (sessions_save_one(p, to) == 0) {
				saved++;
				continue;
			}
			buf_truncate(to, mark);
			log_warn("session %s cannot be handed over: ended",
				 poll_session_id(p->s));
			sessions_shut(p);
		}
	return saved;
}

void pollgw_sessions_forget_all(void)
{
	for (size_t i = 0; i < SESSIONS_BUCKETS; i++)
		while (by_chan[i])
			psess_free(by_chan[i]); /* the router keeps its stream */
}

/* One of the wrapper's own fields; 1 taken, 0 not one, -1 bad. */
static int sessions_restore_field(struct psess *p,
				  const struct handover_field *f)
{
	uint64_t v;
	if (handover_field_is(f, "peer"))
		return handover_field_str(f, p->peer, sizeof p->peer) == 0 ? 1
									   : -1;
	if (handover_field_is(f, "created"))
		return handover_field_u64(f, &p->created) == 0 ? 1 : -1;
	if (handover_field_is(f, "closing_logged")) {
		if (handover_field_u64(f, &v) < 0 || v > 1)
			return -1;
		p->closing_logged = (int)v;
		return 1;
	}
	return poll_session_restore_field(p->s, f);
}

/* Reads the fields of one record up to its "end" into p. 0, or -1. */
/* Reads the record up to its "end": 1 restored, 0 refused (the rest of
   the record read, unused), -1 if r is malformed. */
static int sessions_restore_fields(struct psess *p, struct handover_reader *r)
{
	struct handover_field f;
	int rc, bad = !p;
	while ((rc = handover_next(r, &f)) == 1 &&
	       !handover_field_is(&f, "end"))
		if (!bad && sessions_restore_field(p, &f) != 1)
			bad = 1;
	if (rc != 1)
		return -1;
	return !bad && poll_session_restore_done(p->s, sessions_now()) == 0;
}

int pollgw_sessions_restore(struct handover_reader *r, uint32_t channel)
{
	struct psess *p = calloc(1, sizeof *p);
	if (p)
		p->s = poll_session_restore_new(&pollgw_config.poll);
	if (p && (!p->s || *sessions_chan_slot(channel) ||
		  sessions_n >= (size_t)pollgw_config.max_sessions)) {
		poll_session_free(p->s);
		free(p);
		p = NULL; /* its record is read, unused */
	}
	int rc = sessions_restore_fields(p, r);
	if (rc == 1 && *sessions_id_slot(poll_session_id(p->s)))
		rc = 0;
	if (rc != 1) {
		if (p)
			poll_session_free(p->s);
		free(p);
		if (rc == 0)
			log_warn("channel %u: a bad or duplicate session record, "
				 "or --max-sessions reached: not restored",
				 channel);
		return rc;
	}
	p->channel = channel;
	ev_timer_init(&p->timer, psess_on_timer, 0, 0);
	sessions_link(p);
	if (channel > sessions_next_channel)
		sessions_next_channel = channel;
	log_debug("session %s taken over on channel %u", poll_session_id(p->s),
		  channel);
	psess_arm(p);
	return 1;
}

void pollgw_sessions_adopt_all(const char *token)
{
	for (size_t i = 0; i < SESSIONS_BUCKETS; i++)
		for (struct psess *p = by_chan[i], *next; p; p = next) {
			next = p->next_chan;
			if (!poll_session_router_open(p->s) ||
			    (token && gw_uplink_adopt(p->channel, token) == 0))
				continue;
			sessions_lose_router(p);
		}
}

/* ---- for the control socket */

void pollgw_sessions_foreach(int (*fn)(const struct pollgw_view *v, void *ctx),
			     void *ctx)
{
	uint64_t now = sessions_now();
	for (size_t i = 0; i < SESSIONS_BUCKETS; i++)
		for (struct psess *p = by_chan[i]; p; p = p->next_chan) {
			struct pollgw_view v = {
				.s = p->s,
				.peer = p->peer,
				.created = p->created,
				.now = now,
			};
			if (fn(&v, ctx))
				return;
		}
}

int pollgw_sessions_terminate(const char *id)
{
	struct psess *p = *sessions_id_slot(id);
	if (!p)
		return -1;
	sessions_end(p, "undefined-condition",
		     "terminated by the administrator");
	return 0;
}
