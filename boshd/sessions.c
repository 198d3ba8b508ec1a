/* sessions.c: boshd's table of BOSH sessions and the glue between the
 * state machine (bosh_session.c, sans-I/O) and the world: every call into
 * a session returns a struct bosh_out whose HTTP responses go to
 * http-filed (front.c) and whose stream actions go to the router
 * (common/gw_uplink.c). Sessions are found by sid (HTTP side) and by
 * channel (router side); each has one timer armed at its next deadline
 * (wait expiry, inactivity). For the control socket (control.c) a session also
 * keeps its peer, creation time, last request and, once the router has
 * bound it, its full JID: learnt from the router's bind result, looked
 * for only until found (before binding, nobody but the router itself can
 * send to the stream, so nothing else can pose as that result). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "boshd.h"
#include "gw_uplink.h"
#include "handover.h"
#include "log.h"

#define SESSIONS_BUCKETS 4096
#define SESSIONS_PENDING_SLOTS 65536 /* request -> session, for aborts */

struct bsess {
	struct bosh_session *s;
	uint32_t channel;
	ev_timer timer;
	struct bsess *next_sid, *next_chan;
	char peer[48];	  /* the client's address, for the router's logs */
	char *jid;	  /* the bound full JID (owned), or NULL until bound */
	uint64_t created; /* Unix time */
	uint64_t last_request; /* sessions_now() of the last request */
};

static struct bsess *by_sid[SESSIONS_BUCKETS], *by_chan[SESSIONS_BUCKETS];
/* Which session's channel each outstanding request went to, so that an
   HTTP_ABORT (the browser went away, e.g. a page reload) frees the
   request's slot in its session. Direct-mapped and fixed in size: a
   collision only loses an abort, and a stale entry names a channel that
   no longer exists. */
static struct {
	uint64_t req;
	uint32_t channel;
} sessions_pending[SESSIONS_PENDING_SLOTS];
static size_t sessions_n;
static uint32_t sessions_next_channel;
static struct ev_loop *sessions_loop;

static void bsess_apply(struct bsess *b, struct bosh_out *out);

static size_t sessions_pending_slot(uint64_t req)
{
	return (size_t)((req ^ (req >> 29)) * 0x9E3779B97F4A7C15ull >> 48) %
	       SESSIONS_PENDING_SLOTS;
}

static void sessions_pending_put(uint64_t req, uint32_t channel)
{
	size_t i = sessions_pending_slot(req);
	sessions_pending[i].req = req;
	sessions_pending[i].channel = channel;
}

/* The channel request req went to, and forgets it; 0 if unknown. */
static uint32_t sessions_pending_take(uint64_t req)
{
	size_t i = sessions_pending_slot(req);
	if (sessions_pending[i].req != req)
		return 0;
	sessions_pending[i].req = 0;
	return sessions_pending[i].channel;
}

size_t sessions_count(void)
{
	return sessions_n;
}

static uint64_t sessions_now(void)
{
	return (uint64_t)(ev_now(sessions_loop) * 1000.0);
}

static size_t sessions_hash(const char *sid)
{
	uint32_t h = 2166136261u;
	for (const unsigned char *p = (const unsigned char *)sid; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h % SESSIONS_BUCKETS;
}

static struct bsess **sessions_sid_slot(const char *sid)
{
	struct bsess **p = &by_sid[sessions_hash(sid)];
	while (*p && strcmp(bosh_session_sid((*p)->s), sid) != 0)
		p = &(*p)->next_sid;
	return p;
}

static struct bsess **sessions_chan_slot(uint32_t channel)
{
	struct bsess **p = &by_chan[channel % SESSIONS_BUCKETS];
	while (*p && (*p)->channel != channel)
		p = &(*p)->next_chan;
	return p;
}

static void bsess_free(struct bsess *b)
{
	struct bsess **p = sessions_sid_slot(bosh_session_sid(b->s));
	if (*p == b)
		*p = b->next_sid;
	p = sessions_chan_slot(b->channel);
	if (*p == b)
		*p = b->next_chan;
	ev_timer_stop(sessions_loop, &b->timer);
	bosh_session_free(b->s);
	free(b->jid);
	free(b);
	sessions_n--;
}

static void bsess_arm(struct bsess *b)
{
	uint64_t at = bosh_session_deadline(b->s), now = sessions_now();
	ev_timer_stop(sessions_loop, &b->timer);
	if (at == UINT64_MAX)
		return;
	ev_timer_set(&b->timer, at > now ? (double)(at - now) / 1000.0 : 0, 0);
	ev_timer_start(sessions_loop, &b->timer);
}

static void bsess_on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	struct bsess *b =
		(struct bsess *)((char *)w - offsetof(struct bsess, timer));
	struct bosh_out out;
	bosh_out_init(&out);
	bosh_session_timeout(b->s, sessions_now(), &out);
	bsess_apply(b, &out);
}

/* Carries out one stream action; -1 if the router cannot be reached. */
static int bsess_act(struct bsess *b, const struct bosh_action *a)
{
	switch (a->kind) {
	case BOSH_ACT_OPEN:
		return gw_uplink_open(b->channel, b->peer, "bosh",
				      bosh_session_is_secure(b->s));
	case BOSH_ACT_DATA:
		return gw_uplink_data(b->channel, a->data, a->len);
	case BOSH_ACT_RESTART:
		return gw_uplink_restart(b->channel);
	case BOSH_ACT_CLOSE: /* the session is over whether it went or not */
		gw_uplink_close(b->channel, a->data, a->len);
		return 0;
	}
	return 0;
}

/* Sends what out says, then frees b if the session ended. */
static void bsess_apply(struct bsess *b, struct bosh_out *out)
{
	int router_failed = 0;
	for (size_t i = 0; i < out->nactions && !router_failed; i++)
		if (bsess_act(b, &out->actions[i]) < 0)
			router_failed = 1;
	for (size_t i = 0; i < out->nresponses; i++) {
		sessions_pending_take(out->responses[i].req);
		front_respond(out->responses[i].req, out->responses[i].status,
			      out->responses[i].body, out->responses[i].len);
	}
	int ended = out->ended;
	bosh_out_reset(out);
	if (!ended && router_failed) {
		bosh_session_router_closed(b->s, sessions_now(), out);
		bsess_apply(b, out);
		return;
	}
	if (ended) {
		log_debug("session %s ended", bosh_session_sid(b->s));
		bsess_free(b);
		return;
	}
	bsess_arm(b);
}

static void sessions_insert(struct bsess *b)
{
	struct bsess **slot = sessions_sid_slot(bosh_session_sid(b->s));
	b->next_sid = *slot;
	*slot = b;
	b->next_chan = by_chan[b->channel % SESSIONS_BUCKETS];
	by_chan[b->channel % SESSIONS_BUCKETS] = b;
	sessions_n++;
}

static uint32_t sessions_channel(void)
{
	do
		sessions_next_channel++;
	while (sessions_next_channel == 0 ||
	       *sessions_chan_slot(sessions_next_channel));
	return sessions_next_channel;
}

static void sessions_create(struct bosh_body *body, const char *peer,
			    int secure, uint64_t req)
{
	struct bosh_out out;
	bosh_out_init(&out);
	if (sessions_n >= (size_t)boshd_config.max_sessions ||
	    !gw_uplink_is_up()) {
		bosh_body_free(body);
		bosh_reply_error(sessions_n >= (size_t)boshd_config.max_sessions
					 ? BOSH_COND_POLICY_VIOLATION
					 : BOSH_COND_REMOTE_CONNECTION_FAILED,
				 0, req, &out);
		front_respond(out.responses[0].req, out.responses[0].status,
			      out.responses[0].body, out.responses[0].len);
		bosh_out_reset(&out);
		return;
	}
	struct bsess *b = calloc(1, sizeof *b);
	if (b)
		b->s = bosh_session_new(&boshd_config.bosh, body, secure, req,
					sessions_now(), &out);
	else
		bosh_body_free(body);
	if (!b || !b->s) {
		for (size_t i = 0; i < out.nresponses; i++)
			front_respond(
				out.responses[i].req, out.responses[i].status,
				out.responses[i].body, out.responses[i].len);
		if (!out.nresponses)
			front_respond(req, 500, "", 0);
		bosh_out_reset(&out);
		free(b);
		return;
	}
	snprintf(b->peer, sizeof b->peer, "%s", peer);
	b->created = (uint64_t)time(NULL);
	b->last_request = sessions_now();
	b->channel = sessions_channel();
	ev_timer_init(&b->timer, bsess_on_timer, 0, 0);
	sessions_insert(b);
	log_debug("session %s on channel %u", bosh_session_sid(b->s),
		  b->channel);
	bsess_apply(b, &out);
}

void sessions_request(struct bosh_body *body, const char *peer, int secure,
		      uint64_t req)
{
	if (!body->sid) {
		sessions_create(body, peer, secure, req);
		return;
	}
	struct bsess *b = *sessions_sid_slot(body->sid);
	struct bosh_out out;
	bosh_out_init(&out);
	if (!b) {
		/* a later request carries no ver either way: the sid tells */
		int legacy = bosh_sid_is_legacy(body->sid);
		bosh_body_free(body);
		if (bosh_reply_error(BOSH_COND_ITEM_NOT_FOUND, legacy, req,
				     &out) == 0)
			front_respond(
				out.responses[0].req, out.responses[0].status,
				out.responses[0].body, out.responses[0].len);
		bosh_out_reset(&out);
		return;
	}
	sessions_pending_put(req, b->channel);
	b->last_request = sessions_now();
	bosh_session_request(b->s, body, req, sessions_now(), &out);
	bsess_apply(b, &out);
}

void sessions_abort(uint64_t req)
{
	uint32_t channel = sessions_pending_take(req);
	struct bsess *b = channel ? *sessions_chan_slot(channel) : NULL;
	if (b)
		bosh_session_abort(b->s, req);
}

void sessions_from_router(uint32_t channel, const char *data, size_t len)
{
	struct bsess *b = *sessions_chan_slot(channel);
	if (!b || !bosh_session_router_open(b->s)) {
		gw_uplink_return(channel, data, len); /* crossed our close */
		return;
	}
	if (!b->jid)
		b->jid = sessions_bound_jid(data, len);
	struct bosh_out out;
	bosh_out_init(&out);
	bosh_session_from_router(b->s, data, len, sessions_now(), &out);
	bsess_apply(b, &out);
}

void sessions_router_closed(uint32_t channel)
{
	struct bsess *b = *sessions_chan_slot(channel);
	if (!b)
		return;
	struct bosh_out out;
	bosh_out_init(&out);
	bosh_session_router_closed(b->s, sessions_now(), &out);
	bsess_apply(b, &out);
}

/* Ends every session through end(s) (router lost, or shutdown). */
static void sessions_end_all(int shutdown)
{
	for (size_t i = 0; i < SESSIONS_BUCKETS; i++)
		while (by_chan[i]) {
			struct bsess *b = by_chan[i];
			struct bosh_out out;
			bosh_out_init(&out);
			if (shutdown)
				bosh_session_terminate(
					b->s, BOSH_COND_SYSTEM_SHUTDOWN,
					sessions_now(), &out);
			else
				bosh_session_router_closed(b->s, sessions_now(),
							   &out);
			out.ended = 1; /* whatever it says: it is over */
			bsess_apply(b, &out);
		}
}

void sessions_router_lost(void)
{
	sessions_end_all(0);
}

void sessions_shutdown(void)
{
	sessions_end_all(1);
}

void sessions_init(struct ev_loop *loop)
{
	sessions_loop = loop;
}

/* ---- hand-over to a successor process (boshd/handover.c) */

void sessions_release_all(void)
{
	for (size_t i = 0; i < SESSIONS_BUCKETS; i++)
		for (struct bsess *b = by_chan[i], *next; b; b = next) {
			next = b->next_chan;
			struct bosh_out out;
			bosh_out_init(&out);
			bosh_session_release(b->s, sessions_now(), &out);
			bsess_apply(b, &out);
		}
}

static int sessions_save_one(struct bsess *b, struct buf *to)
{
	if (handover_put_u64(to, "session", b->channel) < 0 ||
	    handover_put_str(to, "peer", b->peer) < 0 ||
	    (b->jid && handover_put_str(to, "jid", b->jid) < 0) ||
	    handover_put_u64(to, "created", b->created) < 0 ||
	    handover_put_u64(to, "last_request", b->last_request) < 0 ||
	    bosh_session_save(b->s, to) < 0)
		return -1;
	return handover_put(to, "end", "", 0);
}

size_t sessions_save(struct buf *to)
{
	size_t saved = 0;
	for (size_t i = 0; i < SESSIONS_BUCKETS; i++)
		for (struct bsess *b = by_chan[i], *next; b; b = next) {
			next = b->next_chan;
			size_t mark = to->len;
			if (sessions_save_one(b, to) == 0) {
				saved++;
				continue;
			}
			buf_truncate(to, mark);
			log_warn("session %s cannot be handed over: ended",
				 bosh_session_sid(b->s));
			struct bosh_out out;
			bosh_out_init(&out);
			bosh_session_terminate(b->s, BOSH_COND_SYSTEM_SHUTDOWN,
					       sessions_now(), &out);
			out.ended = 1;
			bsess_apply(b, &out);
		}
	return saved;
}

void sessions_forget_all(void)
{
	for (size_t i = 0; i < SESSIONS_BUCKETS; i++)
		while (by_chan[i])
			bsess_free(by_chan[i]); /* the router keeps its stream */
}

/* One of the wrapper's own fields; 1 taken, 0 not one, -1 bad. */
static int sessions_restore_field(struct bsess *b,
				  const struct handover_field *f)
{
	if (handover_field_is(f, "peer"))
		return handover_field_str(f, b->peer, sizeof b->peer) == 0 ? 1
									   : -1;
	if (handover_field_is(f, "jid")) {
		free(b->jid);
		b->jid = f->len <= SESSIONS_JID_MAX ? strndup(f->value, f->len)
						    : NULL;
		return b->jid ? 1 : -1;
	}
	if (handover_field_is(f, "created"))
		return handover_field_u64(f, &b->created) == 0 ? 1 : -1;
	if (handover_field_is(f, "last_request"))
		return handover_field_u64(f, &b->last_request) == 0 ? 1 : -1;
	return bosh_session_restore_field(b->s, f);
}

/* Reads the rest of a refused record, up to its "end"; 0, or -1 if r is
   malformed. */
static int sessions_skip_record(struct handover_reader *r)
{
	struct handover_field f;
	int rc;
	while ((rc = handover_next(r, &f)) == 1)
		if (handover_field_is(&f, "end"))
			return 0;
	return -1;
}

static void bsess_discard(struct bsess *b)
{
	free(b->jid);
	bosh_session_free(b->s);
	free(b);
}

int sessions_restore(struct handover_reader *r, uint32_t channel)
{
	struct bsess *b = calloc(1, sizeof *b);
	if (b)
		b->s = bosh_session_restore_new(&boshd_config.bosh);
	if (!b || !b->s || *sessions_chan_slot(channel) ||
	    sessions_n >= (size_t)boshd_config.max_sessions) {
		log_warn("channel %u: session not restored (%s)", channel,
			 b && b->s ? "duplicate, or --max-sessions reached"
				   : "out of memory");
		if (b)
			bsess_discard(b);
		return sessions_skip_record(r) < 0 ? -1 : 0;
	}
	b->channel = channel;
	ev_timer_init(&b->timer, bsess_on_timer, 0, 0);
	struct handover_field f;
	int rc, bad = 0;
	while ((rc = handover_next(r, &f)) == 1 && !handover_field_is(&f, "end"))
		if (!bad && sessions_restore_field(b, &f) != 1)
			bad = 1; /* the rest of the record is read, unused */
	if (rc != 1) {
		bsess_discard(b);
		return -1;
	}
	if (bad || bosh_session_restore_done(b->s, sessions_now()) < 0 ||
	    *sessions_sid_slot(bosh_session_sid(b->s))) {
		log_warn("channel %u: a bad or duplicate session record: not "
			 "restored",
			 channel);
		bsess_discard(b);
		return 0;
	}
	sessions_insert(b);
	if (channel > sessions_next_channel)
		sessions_next_channel = channel;
	bsess_arm(b);
	return 1;
}

void sessions_adopt_all(const char *token)
{
	for (size_t i = 0; i < SESSIONS_BUCKETS; i++)
		for (struct bsess *b = by_chan[i], *next; b; b = next) {
			next = b->next_chan;
			if (token && gw_uplink_adopt(b->channel, token) == 0)
				continue;
			struct bosh_out out;
			bosh_out_init(&out);
			bosh_session_router_closed(b->s, sessions_now(), &out);
			bsess_apply(b, &out);
		}
}

/* ---- for the control socket */

void sessions_foreach(int (*fn)(const struct sessions_view *v, void *ctx),
		      void *ctx)
{
	uint64_t now = sessions_now();
	for (size_t i = 0; i < SESSIONS_BUCKETS; i++)
		for (struct bsess *b = by_chan[i]; b; b = b->next_chan) {
			struct sessions_view v = {
				.s = b->s,
				.peer = b->peer,
				.jid = b->jid ? b->jid : "",
				.created = b->created,
				.idle_ms = now > b->last_request
						   ? now - b->last_request
						   : 0,
				.now = now,
			};
			if (fn(&v, ctx))
				return;
		}
}

int sessions_terminate(const char *sid)
{
	struct bsess *b = *sessions_sid_slot(sid);
	if (!b)
		return -1;
	log_info("session %s (%s) terminated by the administrator", sid,
		 b->jid ? b->jid : "not bound");
	struct bosh_out out;
	bosh_out_init(&out);
	bosh_session_end_by_admin(b->s, sessions_now(), &out);
	out.ended = 1; /* whatever it says: it is over */
	bsess_apply(b, &out);
	return 0;
}

static const char sessions_bind_result[] = "<iq type='result'";
static const char sessions_bind_open[] =
	"<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>";
static const char sessions_bind_close[] = "</jid></bind>";

/* The character an entity of the router's serialiser stands for, and its
   length in *n; 0 for any other. */
static char sessions_entity(const char *p, size_t left, size_t *n)
{
	static const struct {
		const char *name;
		char c;
	} entities[] = {{"&amp;", '&'},	 {"&lt;", '<'},	   {"&gt;", '>'},
			{"&quot;", '"'}, {"&apos;", '\''}, {"&#13;", '\r'}};
	for (size_t i = 0; i < sizeof entities / sizeof entities[0]; i++) {
		*n = strlen(entities[i].name);
		if (left >= *n && memcmp(p, entities[i].name, *n) == 0)
			return entities[i].c;
	}
	return 0;
}

/* The text of an element as the router escaped it, unescaped: allocated,
   or NULL (an entity it does not write, longer than SESSIONS_JID_MAX). */
static char *sessions_unescape(const char *p, size_t len)
{
	char *out = malloc(len + 1);
	size_t o = 0, n;
	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i += n) {
		char c = p[i];
		n = 1;
		if (c == '&')
			c = sessions_entity(p + i, len - i, &n);
		if (c == 0 || o == SESSIONS_JID_MAX) {
			free(out);
			return NULL;
		}
		out[o++] = c;
	}
	out[o] = '\0';
	return out;
}

char *sessions_bound_jid(const char *data, size_t len)
{
	size_t n = strlen(sessions_bind_result);
	if (len < n || memcmp(data, sessions_bind_result, n) != 0)
		return NULL;
	const char *open = memmem(data, len, sessions_bind_open,
				  strlen(sessions_bind_open));
	if (!open)
		return NULL;
	const char *text = open + strlen(sessions_bind_open);
	const char *close =
		memmem(text, (size_t)(data + len - text), sessions_bind_close,
		       strlen(sessions_bind_close));
	/* each byte of a JID is written as at most 6 ("&quot;") */
	if (!close || close == text ||
	    (size_t)(close - text) > 6 * SESSIONS_JID_MAX)
		return NULL;
	return sessions_unescape(text, (size_t)(close - text));
}
