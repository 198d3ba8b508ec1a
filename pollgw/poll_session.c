/* poll_session.c: the polling session state machine of poll_session.h.
 *
 * Invariants: key is the last key accepted (the next one must hash to
 * it); queue holds the router's output exactly as it came, handed out
 * whole by the next answer; unsent holds the complete jabber:client
 * stanzas of that output, serialised one by one with their xmlns, for
 * STREAM_CLOSE's UNDELIVERED should the client never get them; at most one
 * request waits (held) for min_interval. The client's bytes go through cs,
 * the router's through rs (both xml_stream), which also sees SASL success
 * (after which both streams restart, RFC 6120 6.4.6) and the bind result
 * (the JID, for the control socket). States: ACTIVE while the stream is
 * open or not yet opened; CLOSING once it is over and its end waits in
 * queue for the next answer; ENDED when nothing more will happen. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "buf.h"
#include "poll_key.h"
#include "poll_session.h"
#include "poll_session_priv.h"
#include "xml.h"
#include "xml_stream.h"

#define POLL_NS_STREAMS "http://etherx.jabber.org/streams"
#define POLL_NS_CLIENT "jabber:client"
#define POLL_NS_SASL "urn:ietf:params:xml:ns:xmpp-sasl"
#define POLL_NS_BIND "urn:ietf:params:xml:ns:xmpp-bind"
#define POLL_NS_ERRORS "urn:ietf:params:xml:ns:xmpp-streams"
/* Room in queue beyond max_queue for the stream's end pollgw writes (a
   header with the domain, at most 1023 bytes escaped, and an error). */
#define POLL_END_ROOM 8192
/* The client's elements go to the router in one DATA once this much is
   gathered (and at the end of each request). */
#define POLL_FWD_FLUSH 65536
#define POLL_CLIENT_DEPTH 32
#define POLL_ROUTER_DEPTH 64
#define POLL_NEVER UINT64_MAX

/* ---- the session's calls */

/* Sets up a call: out and now for the helpers and callbacks. */
static void poll_begin(struct poll_session *s, uint64_t now,
		       struct poll_out *out)
{
	s->out = out;
	s->now = now;
	s->failed = 0;
}

/* Records the result of appending to out (-1: out of memory). */
static void poll_check(struct poll_session *s, int r)
{
	if (r < 0)
		s->failed = 1;
}

/* Records why the session closes; the first reason stays. */
static void poll_set_why(struct poll_session *s, const char *why)
{
	if (!s->why)
		s->why = why;
}

static void poll_end_now(struct poll_session *s)
{
	s->state = POLL_ENDED;
	s->held = 0;
	s->out->ended = 1;
}

/* Ends a call: a session that ran out of memory is over. 0 or -1. */
static int poll_settle(struct poll_session *s)
{
	if (!s->failed)
		return 0;
	poll_set_why(s, "out of memory");
	poll_end_now(s);
	errno = ENOMEM;
	return -1;
}

/* ---- answers */

/* Answers req with everything queued; the session ends if its stream's
   end was in it. */
static void poll_answer(struct poll_session *s, uint64_t req)
{
	poll_check(s, poll_out_answer(s->out, req, s->id, buf_head(&s->queue),
				      s->queue.len));
	buf_free(&s->queue); /* an idle session keeps no buffer */
	buf_free(&s->unsent);
	if (s->hdr_queued)
		s->hdr_given = 1;
	s->hdr_queued = 0;
	s->answered_at = s->now;
	if (s->state == POLL_CLOSING)
		poll_end_now(s);
}

/* Answers the request that waits. */
static void poll_release(struct poll_session *s)
{
	s->held = 0;
	poll_answer(s, s->held_req);
}

static int poll_may_answer(const struct poll_session *s)
{
	return s->now >= s->answered_at + s->cfg->min_interval;
}

/* ---- the stream's end, as pollgw writes it */

/* A stream header like the router's, for a client that never got one
   (RFC 6120 4.9.1.2: an error before any header comes after one). */
static int poll_write_header(struct poll_session *s)
{
	struct buf *q = &s->queue;
	const char *domain = s->cfg->domain;
	if (buf_append_str(q, "<?xml version='1.0'?><stream:stream "
			      "xmlns='" POLL_NS_CLIENT "' "
			      "xmlns:stream='" POLL_NS_STREAMS "' id='") < 0 ||
	    buf_append_str(q, s->id) < 0 ||
	    (domain && (buf_append_str(q, "' from='") < 0 ||
			xml_escape_attr(q, domain, strlen(domain)) < 0)) ||
	    buf_append_str(q, "' version='1.0'>") < 0)
		return -1;
	s->hdr_queued = 1;
	return 0;
}

/* Appends to queue the stream error cond (if not NULL) and the stream's
   end, after a header if the client has none. */
static int poll_write_end(struct poll_session *s, const char *cond)
{
	struct buf *q = &s->queue;
	if (!s->hdr_given && !s->hdr_queued && poll_write_header(s) < 0)
		return -1;
	if (cond && (buf_append_str(q, "<stream:error><") < 0 ||
		     buf_append_str(q, cond) < 0 ||
		     buf_append_str(q, " xmlns='" POLL_NS_ERRORS
				       "'/></stream:error>") < 0))
		return -1;
	return buf_append_str(q, "</stream:stream>");
}

/* ---- the router's stream: open and close */

/* Sends the client's elements gathered so far. */
static int poll_flush_fwd(struct poll_session *s)
{
	if (s->fwd.len == 0)
		return 0;
	int r = poll_out_action(s->out, POLL_ACT_DATA, buf_head(&s->fwd),
				s->fwd.len);
	buf_free(&s->fwd);
	poll_check(s, r);
	return r;
}

/* Closes the router's stream, handing back the stanzas the client has not
   been given (PROTOCOL.md 9.5); the queue goes with them. */
static void poll_close_router(struct poll_session *s)
{
	if (!s->router_open)
		return;
	s->router_open = 0;
	poll_flush_fwd(s);
	poll_check(s, poll_out_action(s->out, POLL_ACT_CLOSE,
				      buf_head(&s->unsent), s->unsent.len));
	buf_free(&s->queue);
	buf_free(&s->unsent);
	s->hdr_queued = 0;
}

/* The stream is over from this side: the router's closed with what the
   client did not get, the client's next answer (or the one waiting) is
   the stream's end, with the error cond unless it is NULL. */
static void poll_finish(struct poll_session *s, const char *cond)
{
	if (s->state != POLL_ACTIVE)
		return;
	poll_set_why(s, cond ? cond : "the client ended its stream");
	poll_close_router(s);
	poll_check(s, poll_write_end(s, cond));
	s->state = POLL_CLOSING;
	if (s->held)
		poll_release(s);
}

/* ---- the client's stream */

/* A stream header: the first opens the router's stream, a later one
   (after SASL success reset the parser) restarts it. */
static int poll_client_open(void *ctx, const struct xml_node *root,
			    const char *default_ns)
{
	struct poll_session *s = ctx;
	const char *to = xml_node_attr(root, "to");
	if (!xml_node_is(root, POLL_NS_STREAMS, "stream") || !default_ns ||
	    strcmp(default_ns, POLL_NS_CLIENT) != 0) {
		poll_finish(s, "invalid-namespace");
		return -1;
	}
	if (s->opened) {
		if (poll_flush_fwd(s) < 0)
			return -1;
		poll_check(s,
			   poll_out_action(s->out, POLL_ACT_RESTART, NULL, 0));
		return s->failed ? -1 : 0;
	}
	if (to && s->cfg->domain && strcasecmp(to, s->cfg->domain) != 0) {
		poll_finish(s, "host-unknown");
		return -1;
	}
	s->opened = s->router_open = 1;
	poll_check(s, poll_out_action(s->out, POLL_ACT_OPEN, NULL, 0));
	return s->failed ? -1 : 0;
}

/* A complete element from the client, for the router. */
static int poll_client_stanza(void *ctx, struct xml_node *stanza)
{
	struct poll_session *s = ctx;
	int r = s->fwd.len >= POLL_FWD_FLUSH ? poll_flush_fwd(s) : 0;
	size_t before = s->fwd.len;
	if (r == 0 && xml_serialize(&s->fwd, stanza, POLL_NS_CLIENT) < 0) {
		s->fwd.len = before;
		poll_finish(s, errno == ENOBUFS ? "policy-violation"
						: "resource-constraint");
		r = -1;
	}
	xml_arena_free(stanza->arena);
	return r;
}

/* </stream:stream> from the client. */
static void poll_client_close(void *ctx)
{
	poll_finish(ctx, NULL);
}

static void poll_client_error(void *ctx, enum xml_stream_error err)
{
	poll_finish(ctx, xml_stream_error_condition(err));
}

static const struct xml_stream_ops poll_client_ops = {
	poll_client_open, poll_client_stanza, poll_client_close,
	poll_client_error};

/* Parses the client's bytes; what they hold goes to the router. */
static void poll_feed_client(struct poll_session *s, const char *xml,
			     size_t len)
{
	if (len == 0 || s->state != POLL_ACTIVE)
		return;
	if (xml_stream_feed(s->cs, xml, len) == 0 && s->state == POLL_ACTIVE)
		/* between requests a session keeps no expat state */
		xml_stream_compact(s->cs);
	if (s->state == POLL_ACTIVE)
		poll_flush_fwd(s);
}

/* ---- the router's stream: its output */

static int poll_router_open(void *ctx, const struct xml_node *root,
			    const char *default_ns)
{
	struct poll_session *s = ctx;
	(void)root;
	(void)default_ns;
	s->hdr_queued = 1;
	return 0;
}

/* Keeps a stanza for UNDELIVERED until an answer carries it. */
static int poll_keep_unsent(struct poll_session *s,
			    const struct xml_node *stanza)
{
	size_t before = s->unsent.len;
	if (xml_serialize(&s->unsent, stanza, NULL) == 0)
		return 0;
	s->unsent.len = before;
	poll_finish(s, "policy-violation");
	return -1;
}

/* The full JID in the router's bind result (RFC 6120 7.6.1): before
   binding nobody but the router can send to the stream, so nothing else
   can pose as it. */
static void poll_learn_jid(struct poll_session *s, const struct xml_node *n)
{
	const char *type = xml_node_attr(n, "type");
	if (!xml_node_is(n, POLL_NS_CLIENT, "iq") || !type ||
	    strcmp(type, "result") != 0)
		return;
	const struct xml_node *bind = xml_node_child(n, POLL_NS_BIND, "bind");
	const struct xml_node *jid =
		bind ? xml_node_child(bind, POLL_NS_BIND, "jid") : NULL;
	const char *text = jid ? xml_node_text(jid) : NULL;
	if (text && *text && strlen(text) <= POLL_JID_MAX)
		s->jid = strdup(text);
}

static int poll_router_stanza(void *ctx, struct xml_node *stanza)
{
	struct poll_session *s = ctx;
	int r = 0;
	if (xml_node_is(stanza, POLL_NS_CLIENT, NULL)) {
		r = poll_keep_unsent(s, stanza);
	} else if (xml_node_is(stanza, POLL_NS_SASL, "success")) {
		/* both sides start new streams (RFC 6120 6.4.6) */
		xml_stream_reset(s->rs);
		xml_stream_reset(s->cs);
	}
	if (!s->jid)
		poll_learn_jid(s, stanza);
	xml_arena_free(stanza->arena);
	return r;
}

static void poll_router_close(void *ctx)
{
	struct poll_session *s = ctx;
	s->router_ended = 1;
}

static void poll_router_error(void *ctx, enum xml_stream_error err)
{
	(void)err;
	poll_finish(ctx, "internal-server-error");
}

static const struct xml_stream_ops poll_router_ops = {
	poll_router_open, poll_router_stanza, poll_router_close,
	poll_router_error};

int poll_session_router_open(const struct poll_session *s)
{
	return s->router_open;
}

void poll_session_from_router(struct poll_session *s, const char *data,
			      size_t len, uint64_t now, struct poll_out *out)
{
	poll_begin(s, now, out);
	if (s->state != POLL_ACTIVE || !s->router_open || len == 0)
		return;
	int overflow = s->queue.len + len > s->cfg->max_queue;
	if (!overflow && buf_append(&s->queue, data, len) < 0)
		overflow = 1;
	/* parsed even on overflow, so that its stanzas go back to the
	   router with the close */
	if (xml_stream_feed(s->rs, data, len) == 0 && s->state == POLL_ACTIVE)
		xml_stream_compact(s->rs);
	if (overflow) {
		poll_set_why(s, "queue limit");
		poll_finish(s, "policy-violation");
	}
	poll_settle(s);
}

void poll_session_router_gone(struct poll_session *s, uint64_t now,
			      struct poll_out *out)
{
	poll_begin(s, now, out);
	if (!s->router_open)
		return;
	s->router_open = 0;
	poll_set_why(s, s->router_ended ? "the router ended the stream"
					: "the router closed the stream");
	if (!s->router_ended)
		poll_check(s, poll_write_end(s, "remote-connection-failed"));
	s->state = POLL_CLOSING;
	if (s->held)
		poll_release(s);
	poll_settle(s);
}

/* ---- requests */

/* Takes the request's key if it follows the last one (XEP-0025 4); a
   new key starts a new sequence. 0, or -1 if it does not. */
static int poll_take_key(struct poll_session *s, const struct poll_body *b)
{
	if (!b->key[0] || !poll_key_follows(b->key, s->key))
		return -1;
	const char *next = b->newkey[0] ? b->newkey : b->key;
	memcpy(s->key, next, strlen(next) + 1);
	return 0;
}

int poll_session_request(struct poll_session *s, const struct poll_body *b,
			 uint64_t req, uint64_t now, struct poll_out *out)
{
	poll_begin(s, now, out);
	if (s->state == POLL_ENDED)
		return poll_reply_error(POLL_ERR_UNKNOWN, req, out);
	if (poll_take_key(s, b) < 0)
		return poll_reply_error(POLL_ERR_KEY, req, out);
	s->last_request = now;
	if (s->held)
		poll_release(s);
	poll_feed_client(s, b->xml, b->xml_len);
	if (s->state == POLL_ENDED) {
		poll_check(s, poll_reply_error(POLL_ERR_UNKNOWN, req, out));
	} else if (s->state == POLL_CLOSING || poll_may_answer(s)) {
		poll_answer(s, req);
	} else {
		s->held = 1;
		s->held_req = req;
	}
	return poll_settle(s);
}

void poll_session_abort(struct poll_session *s, uint64_t req)
{
	if (s->held && s->held_req == req)
		s->held = 0;
}

void poll_session_release(struct poll_session *s, uint64_t now,
			  struct poll_out *out)
{
	poll_begin(s, now, out);
	if (s->held)
		poll_release(s);
	poll_settle(s);
}

/* ---- time */

static uint64_t poll_inactivity_deadline(const struct poll_session *s)
{
	if (s->held || s->cfg->inactivity == 0)
		return POLL_NEVER;
	return s->last_request + (uint64_t)s->cfg->inactivity * 1000;
}

uint64_t poll_session_deadline(const struct poll_session *s)
{
	if (s->state == POLL_ENDED)
		return POLL_NEVER;
	if (s->held)
		return s->answered_at + s->cfg->min_interval;
	return poll_inactivity_deadline(s);
}

void poll_session_timeout(struct poll_session *s, uint64_t now,
			  struct poll_out *out)
{
	poll_begin(s, now, out);
	if (s->state == POLL_ENDED)
		return;
	if (s->held) {
		if (poll_may_answer(s))
			poll_release(s);
	} else if (poll_inactivity_deadline(s) <= now) {
		poll_set_why(s, "inactivity");
		poll_close_router(s);
		poll_end_now(s);
	}
	poll_settle(s);
}

void poll_session_end(struct poll_session *s, const char *cond, const char *why,
		      uint64_t now, struct poll_out *out)
{
	poll_begin(s, now, out);
	poll_set_why(s, why);
	poll_finish(s, cond);
	poll_close_router(s);
	poll_end_now(s);
}

/* ---- creation */

/* "<instance>-" (so that http-filed finds the owner of the session,
   PROTOCOL.md 8.6) and random hex digits. */
static int poll_make_id(const struct poll_config *cfg,
			char id[POLL_SID_MAX + 1])
{
	unsigned char raw[POLL_SID_BYTES];
	size_t n = 0;
	if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw)
		return -1;
	if (cfg->instance && *cfg->instance)
		n = (size_t)snprintf(id, POLL_SID_MAX + 1 - 2 * sizeof raw,
				     "%.16s-", cfg->instance);
	for (size_t i = 0; i < sizeof raw; i++)
		snprintf(id + n + 2 * i, 3, "%02x", raw[i]);
	return 0;
}

struct poll_session *poll_session_alloc(const struct poll_config *cfg)
{
	struct poll_session *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->cfg = cfg;
	buf_init(&s->queue, cfg->max_queue + POLL_END_ROOM);
	/* serialised with an xmlns each: more than the raw bytes */
	buf_init(&s->unsent, 2 * cfg->max_queue + POLL_END_ROOM);
	buf_init(&s->fwd, POLL_FWD_FLUSH + 8 * cfg->max_stanza + 4096);
	struct xml_stream_limits cl = {cfg->max_stanza, POLL_CLIENT_DEPTH};
	struct xml_stream_limits rl = {cfg->max_queue, POLL_ROUTER_DEPTH};
	s->cs = xml_stream_new(&cl, &poll_client_ops, s);
	s->rs = xml_stream_new(&rl, &poll_router_ops, s);
	if (!s->cs || !s->rs || poll_make_id(cfg, s->id) < 0) {
		poll_session_free(s);
		return NULL;
	}
	return s;
}

struct poll_session *poll_session_new(const struct poll_config *cfg,
				      const struct poll_body *b, int secure,
				      uint64_t req, uint64_t now,
				      struct poll_out *out)
{
	if (!b->key[0]) {
		(void)poll_reply_error(POLL_ERR_BAD_REQUEST, req, out);
		errno = EINVAL;
		return NULL;
	}
	struct poll_session *s = poll_session_alloc(cfg);
	if (!s) {
		errno = ENOMEM;
		return NULL;
	}
	poll_begin(s, now, out);
	memcpy(s->key, b->key, strlen(b->key) + 1);
	s->secure = secure;
	s->last_request = now;
	poll_feed_client(s, b->xml, b->xml_len);
	poll_answer(s, req);
	if (s->failed) {
		poll_out_reset(out);
		poll_session_free(s);
		errno = ENOMEM;
		return NULL;
	}
	return s;
}

void poll_session_free(struct poll_session *s)
{
	if (!s)
		return;
	xml_stream_free(s->cs);
	xml_stream_free(s->rs);
	buf_free(&s->queue);
	buf_free(&s->unsent);
	buf_free(&s->fwd);
	free(s->jid);
	free(s->why_kept);
	free(s);
}

const char *poll_session_id(const struct poll_session *s)
{
	return s->id;
}

int poll_session_is_secure(const struct poll_session *s)
{
	return s->secure;
}

const char *poll_session_jid(const struct poll_session *s)
{
	return s->jid ? s->jid : "";
}

int poll_session_is_open(const struct poll_session *s)
{
	return s->router_open;
}

const char *poll_session_why(const struct poll_session *s)
{
	return s->why ? s->why : "";
}

/* ---- administration */

void poll_session_get_info(const struct poll_session *s,
			   struct poll_session_info *info)
{
	info->queued = s->queue.len;
	info->waiting = s->held;
	info->last_request = s->last_request;
	info->inactivity_deadline = poll_inactivity_deadline(s);
}
