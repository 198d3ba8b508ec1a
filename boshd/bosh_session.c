/* bosh_session.c: the BOSH session state machine of bosh_session.h.
 *
 * Invariants: last_rid is the highest rid processed, and every rid up to
 * it has been processed, in order; held[] holds the unanswered processed
 * requests in rid order (at most hold once a call returns); pending[]
 * holds requests above last_rid + 1, waiting for the gap to fill; kept[]
 * holds the last responses sent (at most requests), for repeated rids.
 * Router output is parsed as a stream (xml_stream) and each top-level
 * element is serialised into queue, which goes out with the oldest held
 * request. A session that must end while no request is held keeps its
 * terminal response in term until a request comes (or inactivity). */
#include <errno.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "bosh_session.h"
#include "bosh_session_priv.h"
#include "buf.h"
#include "mem.h"
#include "xml.h"
#include "xml_stream.h"

static const char *const bosh_condition_names[] = {
	[BOSH_COND_BAD_REQUEST] = "bad-request",
	[BOSH_COND_HOST_GONE] = "host-gone",
	[BOSH_COND_HOST_UNKNOWN] = "host-unknown",
	[BOSH_COND_IMPROPER_ADDRESSING] = "improper-addressing",
	[BOSH_COND_INTERNAL_SERVER_ERROR] = "internal-server-error",
	[BOSH_COND_ITEM_NOT_FOUND] = "item-not-found",
	[BOSH_COND_OTHER_REQUEST] = "other-request",
	[BOSH_COND_POLICY_VIOLATION] = "policy-violation",
	[BOSH_COND_REMOTE_CONNECTION_FAILED] = "remote-connection-failed",
	[BOSH_COND_REMOTE_STREAM_ERROR] = "remote-stream-error",
	[BOSH_COND_SEE_OTHER_URI] = "see-other-uri",
	[BOSH_COND_SYSTEM_SHUTDOWN] = "system-shutdown",
	[BOSH_COND_UNDEFINED_CONDITION] = "undefined-condition",
};

/* The HTTP status a legacy client gets instead (XEP-0124 17.1); 0 where
   there is none and the terminal binding condition is sent. */
static const unsigned bosh_legacy_status[] = {
	[BOSH_COND_BAD_REQUEST] = 400,
	[BOSH_COND_POLICY_VIOLATION] = 403,
	[BOSH_COND_ITEM_NOT_FOUND] = 404,
	[BOSH_COND_UNDEFINED_CONDITION] = 0,
};

const char *bosh_condition_name(enum bosh_condition cond)
{
	size_t n = sizeof bosh_condition_names / sizeof bosh_condition_names[0];
	if ((size_t)cond >= n)
		return "undefined-condition";
	return bosh_condition_names[cond];
}

static unsigned bosh_legacy_code(enum bosh_condition cond)
{
	size_t n = sizeof bosh_legacy_status / sizeof bosh_legacy_status[0];
	return (size_t)cond < n ? bosh_legacy_status[cond] : 0;
}

/* ---- out */

void bosh_out_init(struct bosh_out *o)
{
	memset(o, 0, sizeof *o);
}

void bosh_out_reset(struct bosh_out *o)
{
	for (size_t i = 0; i < o->nresponses; i++)
		free(o->responses[i].body);
	for (size_t i = 0; i < o->nactions; i++)
		free(o->actions[i].data);
	free(o->responses);
	free(o->actions);
	bosh_out_init(o);
}

static int bosh_out_response(struct bosh_out *o, uint64_t req, unsigned status,
			     const char *body, size_t len)
{
	if (mem_grow((void **)&o->responses, &o->rcap, o->nresponses,
		      sizeof *o->responses) < 0)
		return -1;
	char *copy = mem_dup(body, len);
	if (!copy)
		return -1;
	o->responses[o->nresponses++] =
		(struct bosh_response){req, status, copy, len};
	return 0;
}

static int bosh_out_action(struct bosh_out *o, enum bosh_action_kind kind,
			   const char *data, size_t len)
{
	if (mem_grow((void **)&o->actions, &o->acap, o->nactions,
		      sizeof *o->actions) < 0)
		return -1;
	char *copy = NULL;
	if (data && !(copy = mem_dup(data, len)))
		return -1;
	o->actions[o->nactions++] = (struct bosh_action){kind, copy, len};
	return 0;
}

/* ---- writing bodies */

static void bosh_w_open(struct buf *b)
{
	buf_append_str(b, "<body xmlns='" BOSH_NS "'");
}

static void bosh_w_attr(struct buf *b, const char *name, const char *value)
{
	buf_printf(b, " %s='", name);
	xml_escape_attr(b, value, strlen(value));
	buf_append_str(b, "'");
}

static void bosh_w_num(struct buf *b, const char *name, uint64_t v)
{
	buf_printf(b, " %s='%llu'", name, (unsigned long long)v);
}

/* Closes the start tag and writes payload (or "/>" if there is none). */
static void bosh_w_close(struct buf *b, const char *payload, size_t len)
{
	if (len == 0) {
		buf_append_str(b, "/>");
		return;
	}
	buf_append_str(b, ">");
	buf_append(b, payload, len);
	buf_append_str(b, "</body>");
}

/* A terminal binding error body: type='terminate' condition='...'. */
static void bosh_w_terminate(struct buf *b, const char *cond, int streams,
			     const char *payload, size_t len)
{
	bosh_w_open(b);
	if (streams)
		bosh_w_attr(b, "xmlns:stream", BOSH_NS_STREAMS);
	bosh_w_attr(b, "type", "terminate");
	if (cond)
		bosh_w_attr(b, "condition", cond);
	bosh_w_close(b, payload, len);
}

/* The status and body for cond; a legacy client gets an HTTP error. */
static unsigned bosh_w_error(struct buf *b, enum bosh_condition cond,
			     int legacy)
{
	unsigned code = bosh_legacy_code(cond);
	if (legacy && code)
		return code;
	bosh_w_terminate(b, bosh_condition_name(cond), 0, NULL, 0);
	return 200;
}

/* Sends one body held in b on req; b is reset. */
static int bosh_send(struct bosh_out *o, uint64_t req, unsigned status,
		     struct buf *b)
{
	int r = bosh_out_response(o, req, status, buf_head(b), b->len);
	buf_reset(b);
	return r;
}

static int bosh_send_str(struct bosh_out *o, uint64_t req, const char *s)
{
	return bosh_out_response(o, req, 200, s, strlen(s));
}

#define BOSH_EMPTY "<body xmlns='" BOSH_NS "'/>"
#define BOSH_RECOVERABLE "<body xmlns='" BOSH_NS "' type='error'/>"

int bosh_reply_error(enum bosh_condition cond, int legacy, uint64_t req,
		     struct bosh_out *out)
{
	struct buf b;
	buf_init(&b, 4096);
	unsigned status = bosh_w_error(&b, cond, legacy);
	int r = bosh_send(out, req, status, &b);
	buf_free(&b);
	return r;
}

/* ---- ending */

static int bosh_is_legacy(const struct bosh_session *s)
{
	return !s->has_ver;
}

/* Closes the router stream unless it is already closed. What is still
   queued for the client goes back with it (the close action's data), so
   that the router delivers it elsewhere (XEP-0206 7). */
static void bosh_close_router(struct bosh_session *s)
{
	if (s->router_closed)
		return;
	s->router_closed = 1;
	(void)bosh_out_action(s->out, BOSH_ACT_CLOSE,
			      s->queue.len ? buf_head(&s->queue) : NULL,
			      s->queue.len);
	buf_reset(&s->queue);
	s->queue_has_stream = 0;
}

static void bosh_forget_pending(struct bosh_session *s)
{
	for (size_t i = 0; i < s->npending; i++)
		bosh_body_free(s->pending[i].body);
	s->npending = 0;
}

static void bosh_end(struct bosh_session *s)
{
	s->state = BOSH_ENDED;
	s->out->ended = 1;
	bosh_forget_pending(s);
	s->nheld = 0;
}

/* Builds the terminal response for cond into s->term: the queued output
   goes with it (after a stream error, XEP-0206 6). */
static void bosh_build_term(struct bosh_session *s, enum bosh_condition cond)
{
	buf_reset(&s->term);
	if (bosh_is_legacy(s) && bosh_legacy_code(cond)) {
		s->term_status = bosh_legacy_code(cond);
		return;
	}
	s->term_status = 200;
	bosh_w_terminate(&s->term, bosh_condition_name(cond),
			 s->queue_has_stream, buf_head(&s->queue),
			 s->queue.len);
	buf_reset(&s->queue);
}

/* Ends the session with cond: every outstanding request (held, pending,
   and extra, the request being handled, if not 0) gets the terminal
   response; if there is none, it waits for the next request. */
static void bosh_fail(struct bosh_session *s, enum bosh_condition cond,
		      uint64_t extra, int has_extra)
{
	/* With no request to carry the queued stanzas now, the router gets
	   them back rather than a terminal body that may never be fetched. */
	if (!s->nheld && !s->npending && !has_extra)
		bosh_close_router(s);
	bosh_build_term(s, cond);
	bosh_close_router(s); /* a legacy client's HTTP error carries none */
	int sent = 0;
	for (size_t i = 0; i < s->nheld; i++, sent = 1)
		(void)bosh_out_response(s->out, s->held[i].req, s->term_status,
					buf_head(&s->term), s->term.len);
	for (size_t i = 0; i < s->npending; i++, sent = 1)
		(void)bosh_out_response(s->out, s->pending[i].req,
					s->term_status, buf_head(&s->term),
					s->term.len);
	if (has_extra) {
		(void)bosh_out_response(s->out, extra, s->term_status,
					buf_head(&s->term), s->term.len);
		sent = 1;
	}
	if (sent) {
		bosh_end(s);
		return;
	}
	s->state = BOSH_TERMINATING;
}

/* ---- answering held requests */

static void bosh_keep(struct bosh_session *s, uint64_t rid, const struct buf *b)
{
	char *copy = mem_dup(buf_head(b), b->len);
	if (!copy)
		return; /* a repeat of it will get item-not-found */
	if (s->nkept == s->requests || s->nkept == BOSH_REQUESTS_MAX) {
		free(s->kept[0].body);
		memmove(&s->kept[0], &s->kept[1],
			(s->nkept - 1) * sizeof s->kept[0]);
		s->nkept--;
	}
	s->kept[s->nkept++] = (struct bosh_kept){rid, copy, b->len, s->now};
}

/* The creation response attributes (XEP-0124 7.2, XEP-0206 4). */
static void bosh_w_creation(struct bosh_session *s, struct buf *b)
{
	const struct bosh_config *c = s->cfg;
	bosh_w_attr(b, "sid", s->sid);
	bosh_w_num(b, "wait", s->wait);
	bosh_w_num(b, "requests", s->requests);
	bosh_w_num(b, "hold", s->hold);
	if (s->polling)
		bosh_w_num(b, "polling", s->polling);
	if (s->inactivity)
		bosh_w_num(b, "inactivity", s->inactivity);
	if (c->maxpause)
		bosh_w_num(b, "maxpause", c->maxpause);
	if (s->has_ver)
		buf_printf(b, " ver='%u.%u'", s->ver_major, s->ver_minor);
	if (c->domain)
		bosh_w_attr(b, "from", c->domain);
	if (s->ack)
		bosh_w_num(b, "ack", s->create_rid);
	if (c->accept)
		bosh_w_attr(b, "accept", c->accept);
	if (c->charsets)
		bosh_w_attr(b, "charsets", c->charsets);
	if (s->secure)
		bosh_w_attr(b, "secure", "true");
	bosh_w_attr(b, "xmpp:restartlogic", "true");
}

/* Answers held request i with the queued output; 0 or -1 (ENOMEM). */
static int bosh_answer(struct bosh_session *s, size_t i)
{
	struct bosh_held h = s->held[i];
	int creation = h.rid == s->create_rid;
	int hdr = s->authid && (creation || s->hdr_unsent);
	struct buf b;
	buf_init(&b, s->cfg->max_queue + 4096);
	bosh_w_open(&b);
	if (creation || hdr)
		bosh_w_attr(&b, "xmlns:xmpp", BOSH_NS_XBOSH);
	if (s->queue_has_stream)
		bosh_w_attr(&b, "xmlns:stream", BOSH_NS_STREAMS);
	if (creation)
		bosh_w_creation(s, &b);
	else if (s->ack && s->last_rid != h.rid)
		bosh_w_num(&b, "ack", s->last_rid);
	if (s->report_rid && !creation) {
		bosh_w_num(&b, "report", s->report_rid);
		bosh_w_num(&b, "time", s->report_ms);
		s->report_rid = 0;
	}
	if (hdr) {
		bosh_w_attr(&b, "xmpp:version", s->xmpp_ver);
		bosh_w_attr(&b, "authid", s->authid);
		s->hdr_unsent = 0;
	}
	if (h.rid == s->prev_rid)
		s->prev_answer_empty = s->queue.len == 0;
	bosh_w_close(&b, buf_head(&s->queue), s->queue.len);
	buf_free(&s->queue); /* an idle session keeps no buffer */
	s->queue_has_stream = 0;
	memmove(&s->held[i], &s->held[i + 1],
		(s->nheld - i - 1) * sizeof s->held[0]);
	s->nheld--;
	s->last_response = s->now;
	bosh_keep(s, h.rid, &b);
	int r = bosh_send(s->out, h.req, 200, &b);
	buf_free(&b);
	return r;
}

/* Releases what must go now: requests beyond hold, and the oldest held
   one when output is queued. */
static int bosh_flush(struct bosh_session *s)
{
	while (s->state == BOSH_ACTIVE &&
	       (s->nheld > s->hold || (s->nheld && s->queue.len)))
		if (bosh_answer(s, 0) < 0)
			return -1;
	return 0;
}

/* ---- keys (XEP-0124 15) */

/* 1 if hex(SHA-1(key)) equals expect, ignoring case. */
static int bosh_key_matches(const char *key, const char *expect)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	if (!EVP_Digest(key, strlen(key), md, &mdlen, EVP_sha1(), NULL))
		return 0;
	for (unsigned i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return strcasecmp(hex, expect) == 0;
}

/* Checks the request's key and moves the sequence on; 0 or -1. */
static int bosh_check_key(struct bosh_session *s, const struct bosh_body *b)
{
	if (!s->key)
		return 0;
	if (!b->key || !bosh_key_matches(b->key, s->key))
		return -1;
	char *next = strdup(b->newkey ? b->newkey : b->key);
	if (!next)
		return -1;
	free(s->key);
	s->key = next;
	return 0;
}

/* ---- processing requests in rid order */

static int bosh_is_empty(const struct bosh_body *b)
{
	return b->payload_len == 0 && !b->restart;
}

static int bosh_is_special(const struct bosh_body *b)
{
	return (b->has & BOSH_HAS_PAUSE) || b->type == BOSH_TYPE_TERMINATE;
}

/* type='terminate' from the client (XEP-0124 13): the oldest held request
   gets <body type='terminate'/>, the others an empty body. */
static void bosh_client_terminate(struct bosh_session *s, uint64_t req)
{
	bosh_close_router(s); /* the client is leaving: queued stanzas too */
	buf_reset(&s->term);
	bosh_w_terminate(&s->term, NULL, 0, NULL, 0);
	for (size_t i = 0; i < s->nheld; i++)
		(void)bosh_out_response(s->out, s->held[i].req, 200,
					i ? BOSH_EMPTY : buf_head(&s->term),
					i ? strlen(BOSH_EMPTY) : s->term.len);
	if (s->nheld)
		(void)bosh_send_str(s->out, req, BOSH_EMPTY);
	else
		(void)bosh_out_response(s->out, req, 200, buf_head(&s->term),
					s->term.len);
	s->nheld = 0;
	bosh_end(s);
}

/* A pause (XEP-0124 10): every held request is answered, the pause
   request with an empty body that is not kept. */
static int bosh_pause(struct bosh_session *s, unsigned pause, uint64_t req)
{
	while (s->nheld)
		if (bosh_answer(s, 0) < 0)
			return -1;
	s->pause = pause;
	s->last_response = s->now;
	return bosh_send_str(s->out, req, BOSH_EMPTY);
}

/* The payload goes to the router: a restart instead (XEP-0206 5, whose
   payload is ignored). */
static int bosh_forward(struct bosh_session *s, const struct bosh_body *b)
{
	if (b->restart) {
		xml_stream_reset(s->rs);
		return bosh_out_action(s->out, BOSH_ACT_RESTART, NULL, 0);
	}
	if (b->payload_len == 0)
		return 0;
	return bosh_out_action(s->out, BOSH_ACT_DATA, b->payload,
			       b->payload_len);
}

/* Drops kept responses the client acknowledged. */
static void bosh_acked(struct bosh_session *s, const struct bosh_body *b)
{
	if (!(b->has & BOSH_HAS_ACK))
		return;
	size_t n = 0;
	for (size_t i = 0; i < s->nkept; i++) {
		if (s->kept[i].rid <= b->ack)
			free(s->kept[i].body);
		else
			s->kept[n++] = s->kept[i];
	}
	s->nkept = n;
}

/* XEP-0124 9.2: the client acknowledges less than was answered, and the
   first response it lacks went out a while ago (probably lost): the next
   answer, sent at once, reports it. 1 if so. */
static int bosh_check_report(struct bosh_session *s, const struct bosh_body *b)
{
	if (!s->ack || !(b->has & BOSH_HAS_ACK))
		return 0;
	for (size_t i = 0; i < s->nkept; i++) {
		const struct bosh_kept *k = &s->kept[i];
		if (k->rid == b->ack + 1 &&
		    s->now - k->sent_at >= BOSH_REPORT_AFTER_MS) {
			s->report_rid = k->rid;
			s->report_ms = s->now - k->sent_at;
			return 1;
		}
	}
	return 0;
}

/* Processes request rid == last_rid + 1; takes b. */
static int bosh_process(struct bosh_session *s, struct bosh_body *b,
			uint64_t req)
{
	int r = 0;
	if (bosh_check_key(s, b) < 0) {
		bosh_fail(s, BOSH_COND_ITEM_NOT_FOUND, req, 1);
		bosh_body_free(b);
		return 0;
	}
	s->last_rid = b->rid;
	s->pause = 0;
	bosh_acked(s, b);
	int report = bosh_check_report(s, b);
	if (bosh_forward(s, b) < 0)
		r = -1;
	else if (b->type == BOSH_TYPE_TERMINATE)
		bosh_client_terminate(s, req);
	else if ((b->has & BOSH_HAS_PAUSE) && s->cfg->maxpause &&
		 b->pause <= s->cfg->maxpause)
		r = bosh_pause(s, b->pause, req);
	else {
		s->held[s->nheld++] = (struct bosh_held){
			b->rid, req, s->now + (uint64_t)s->wait * 1000};
		if (report)
			r = bosh_answer(s, 0);
	}
	bosh_body_free(b);
	return r;
}

/* ---- arrival checks (XEP-0124 11, 12, 14) */

/* Too many simultaneous requests (XEP-0124 11), or empty requests more
   often than polling allows (11 for normal sessions, 12 for polling
   ones); 0 or -1 (policy-violation). Pause and terminate are exempt. */
static int bosh_check_activity(struct bosh_session *s,
			       const struct bosh_body *b)
{
	size_t unanswered = s->nheld + s->npending + 1;
	int special = bosh_is_special(b);
	uint64_t gap = s->now - s->prev_arrival;
	uint64_t min_gap = (uint64_t)s->polling * 1000;
	if (unanswered > s->requests + (special ? 1u : 0u))
		return -1;
	/* The empty-request rules (XEP-0124 11, 12) look at the newest
	   request in rid order: not at one that arrived early, nor at one
	   that fills a gap below requests already waiting (14.2). */
	if (b->rid != s->last_rid + 1 || s->npending)
		return 0;
	if (special || !bosh_is_empty(b) || gap >= min_gap)
		return 0;
	if (!s->polling_session && unanswered == s->requests)
		return -1;
	if (s->polling_session && s->prev_empty && s->prev_answer_empty)
		return -1;
	return 0;
}

/* A repeated rid (XEP-0124 14.3); takes b. */
static int bosh_repeat(struct bosh_session *s, struct bosh_body *b,
		       uint64_t req)
{
	uint64_t rid = b->rid;
	bosh_body_free(b);
	for (size_t i = 0; i < s->nheld; i++) {
		if (s->held[i].rid != rid)
			continue;
		uint64_t old = s->held[i].req;
		s->held[i].req = req;
		return bosh_send_str(s->out, old, BOSH_RECOVERABLE);
	}
	for (size_t i = 0; i < s->npending; i++) {
		if (s->pending[i].body->rid != rid)
			continue;
		uint64_t old = s->pending[i].req;
		s->pending[i].req = req;
		return bosh_send_str(s->out, old, BOSH_RECOVERABLE);
	}
	for (size_t i = 0; i < s->nkept; i++)
		if (s->kept[i].rid == rid)
			return bosh_out_response(s->out, req, 200,
						 s->kept[i].body,
						 s->kept[i].len);
	bosh_fail(s, BOSH_COND_ITEM_NOT_FOUND, req, 1);
	return 0;
}

/* Processes pending requests while the next rid is among them. */
static int bosh_drain_pending(struct bosh_session *s)
{
	for (size_t i = 0; s->state == BOSH_ACTIVE && i < s->npending;) {
		struct bosh_pending p = s->pending[i];
		if (p.body->rid != s->last_rid + 1) {
			i++;
			continue;
		}
		memmove(&s->pending[i], &s->pending[i + 1],
			(s->npending - i - 1) * sizeof s->pending[0]);
		s->npending--;
		if (bosh_process(s, p.body, p.req) < 0 || bosh_flush(s) < 0)
			return -1;
		i = 0;
	}
	return 0;
}

/* A new request (rid above last_rid); takes b. */
static int bosh_new_request(struct bosh_session *s, struct bosh_body *b,
			    uint64_t req)
{
	uint64_t window = s->requests + (bosh_is_special(b) ? 1u : 0u);
	if (b->rid > s->last_rid + window) {
		bosh_body_free(b);
		bosh_fail(s, BOSH_COND_ITEM_NOT_FOUND, req, 1);
		return 0;
	}
	if (bosh_check_activity(s, b) < 0) {
		bosh_body_free(b);
		bosh_fail(s, BOSH_COND_POLICY_VIOLATION, req, 1);
		return 0;
	}
	s->prev_arrival = s->now;
	s->prev_empty = bosh_is_empty(b);
	s->prev_answer_empty = 0;
	s->prev_rid = b->rid;
	if (b->rid != s->last_rid + 1) {
		s->pending[s->npending++] = (struct bosh_pending){
			b, req, s->now + (uint64_t)s->wait * 1000};
		return 0;
	}
	if (bosh_process(s, b, req) < 0 || bosh_flush(s) < 0)
		return -1;
	return bosh_drain_pending(s);
}

/* Sets up a call: out and now for the helpers. */
static void bosh_begin(struct bosh_session *s, uint64_t now,
		       struct bosh_out *out)
{
	s->out = out;
	s->now = now;
}

int bosh_session_request(struct bosh_session *s, struct bosh_body *b,
			 uint64_t req, uint64_t now, struct bosh_out *out)
{
	bosh_begin(s, now, out);
	if (s->state != BOSH_ACTIVE) {
		bosh_body_free(b);
		if (s->state == BOSH_TERMINATING) {
			(void)bosh_out_response(out, req, s->term_status,
						buf_head(&s->term),
						s->term.len);
			bosh_end(s);
			return 0;
		}
		return bosh_reply_error(BOSH_COND_ITEM_NOT_FOUND,
					bosh_is_legacy(s), req, out);
	}
	if (!(b->has & BOSH_HAS_RID)) {
		bosh_body_free(b);
		bosh_fail(s, BOSH_COND_BAD_REQUEST, req, 1);
		return 0;
	}
	int r = b->rid <= s->last_rid ? bosh_repeat(s, b, req)
				      : bosh_new_request(s, b, req);
	if (r < 0 && s->state == BOSH_ACTIVE)
		bosh_fail(s, BOSH_COND_INTERNAL_SERVER_ERROR, 0, 0);
	return r;
}

void bosh_session_abort(struct bosh_session *s, uint64_t req)
{
	for (size_t i = 0; i < s->nheld; i++) {
		if (s->held[i].req != req)
			continue;
		memmove(&s->held[i], &s->held[i + 1],
			(s->nheld - i - 1) * sizeof s->held[0]);
		s->nheld--;
		return;
	}
	for (size_t i = 0; i < s->npending; i++) {
		if (s->pending[i].req != req)
			continue;
		bosh_body_free(s->pending[i].body);
		memmove(&s->pending[i], &s->pending[i + 1],
			(s->npending - i - 1) * sizeof s->pending[0]);
		s->npending--;
		return;
	}
}

/* ---- router output */

static int bosh_router_open(void *ctx, const struct xml_node *root,
			    const char *default_ns)
{
	struct bosh_session *s = ctx;
	(void)default_ns;
	const char *id = xml_node_attr(root, "id");
	const char *ver = xml_node_attr(root, "version");
	char *nid = strdup(id ? id : "");
	char *nver = strdup(ver ? ver : "0.9");
	if (!nid || !nver) {
		free(nid);
		free(nver);
		return -1;
	}
	free(s->authid);
	free(s->xmpp_ver);
	s->authid = nid;
	s->xmpp_ver = nver;
	s->hdr_unsent = 1;
	return 0;
}

static int bosh_router_stanza(void *ctx, struct xml_node *stanza)
{
	struct bosh_session *s = ctx;
	int streams = stanza->ns && strcmp(stanza->ns, BOSH_NS_STREAMS) == 0;
	size_t before = s->queue.len;
	int r = xml_serialize(&s->queue, stanza, BOSH_NS);
	if (streams && strcmp(stanza->name, "error") == 0)
		s->stream_error = 1;
	xml_arena_free(stanza->arena);
	if (r < 0) {
		s->queue.len = before;
		bosh_fail(s, BOSH_COND_UNDEFINED_CONDITION, 0, 0);
		return -1;
	}
	s->queue_has_stream |= streams;
	return s->stream_error ? 0 : bosh_flush(s);
}

static void bosh_router_close(void *ctx)
{
	struct bosh_session *s = ctx;
	s->router_closed = 1;
	bosh_fail(s,
		  s->stream_error ? BOSH_COND_REMOTE_STREAM_ERROR
				  : BOSH_COND_REMOTE_CONNECTION_FAILED,
		  0, 0);
}

static void bosh_router_error(void *ctx, enum xml_stream_error err)
{
	struct bosh_session *s = ctx;
	(void)err;
	if (s->state == BOSH_ACTIVE)
		bosh_fail(s, BOSH_COND_INTERNAL_SERVER_ERROR, 0, 0);
}

static const struct xml_stream_ops bosh_router_ops = {
	bosh_router_open, bosh_router_stanza, bosh_router_close,
	bosh_router_error};

int bosh_session_from_router(struct bosh_session *s, const char *data,
			     size_t len, uint64_t now, struct bosh_out *out)
{
	bosh_begin(s, now, out);
	if (s->state != BOSH_ACTIVE)
		return -1;
	if (xml_stream_feed(s->rs, data, len) < 0 && s->state == BOSH_ACTIVE)
		bosh_fail(s, BOSH_COND_INTERNAL_SERVER_ERROR, 0, 0);
	else if (s->state == BOSH_ACTIVE)
		/* Router output comes a stanza at a time, rarely: between
		   them the session keeps no expat state (~10 KiB). */
		xml_stream_compact(s->rs);
	return s->state == BOSH_ENDED ? -1 : 0;
}

void bosh_session_router_closed(struct bosh_session *s, uint64_t now,
				struct bosh_out *out)
{
	bosh_begin(s, now, out);
	s->router_closed = 1;
	if (s->state == BOSH_ACTIVE)
		bosh_fail(s,
			  s->stream_error ? BOSH_COND_REMOTE_STREAM_ERROR
					  : BOSH_COND_REMOTE_CONNECTION_FAILED,
			  0, 0);
}

void bosh_session_terminate(struct bosh_session *s, enum bosh_condition cond,
			    uint64_t now, struct bosh_out *out)
{
	bosh_begin(s, now, out);
	if (s->state == BOSH_ACTIVE)
		bosh_fail(s, cond, 0, 0);
}

/* ---- time */

static uint64_t bosh_inactivity_deadline(const struct bosh_session *s)
{
	unsigned limit = s->pause ? s->pause : s->inactivity;
	if (s->nheld || s->npending || limit == 0)
		return BOSH_NEVER;
	return s->last_response + (uint64_t)limit * 1000;
}

uint64_t bosh_session_deadline(const struct bosh_session *s)
{
	uint64_t d = s->state == BOSH_ENDED ? BOSH_NEVER
					    : bosh_inactivity_deadline(s);
	for (size_t i = 0; i < s->nheld; i++)
		if (s->held[i].deadline < d)
			d = s->held[i].deadline;
	for (size_t i = 0; i < s->npending; i++)
		if (s->pending[i].deadline < d)
			d = s->pending[i].deadline;
	return d;
}

void bosh_session_timeout(struct bosh_session *s, uint64_t now,
			  struct bosh_out *out)
{
	bosh_begin(s, now, out);
	if (s->state == BOSH_ENDED)
		return;
	for (size_t i = 0; i < s->nheld;)
		if (s->held[i].deadline <= now)
			(void)bosh_answer(s, i);
		else
			i++;
	/* a gap that never filled: the client resends (XEP-0124 17.3) */
	for (size_t i = 0; i < s->npending;) {
		if (s->pending[i].deadline > now) {
			i++;
			continue;
		}
		(void)bosh_send_str(out, s->pending[i].req, BOSH_RECOVERABLE);
		bosh_body_free(s->pending[i].body);
		memmove(&s->pending[i], &s->pending[i + 1],
			(s->npending - i - 1) * sizeof s->pending[0]);
		s->npending--;
	}
	if (bosh_inactivity_deadline(s) <= now) {
		bosh_close_router(s);
		bosh_end(s);
	}
}

void bosh_session_release(struct bosh_session *s, uint64_t now,
			  struct bosh_out *out)
{
	bosh_begin(s, now, out);
	if (s->state != BOSH_ACTIVE)
		return;
	while (s->nheld)
		if (bosh_answer(s, 0) < 0)
			return;
	/* a gap that cannot fill here: the client resends (XEP-0124 17.3) */
	while (s->npending) {
		size_t i = s->npending - 1;
		(void)bosh_send_str(out, s->pending[i].req, BOSH_RECOVERABLE);
		bosh_body_free(s->pending[i].body);
		s->npending--;
	}
}

/* ---- creation */

/* "<instance>-" (if the daemon has an instance tag, so that http-filed
   finds the owner of the session) and random hex digits. */
static int bosh_make_sid(const struct bosh_config *cfg,
			 char sid[BOSH_SID_MAX + 1])
{
	unsigned char raw[BOSH_SID_BYTES];
	size_t n = 0;
	if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw)
		return -1;
	if (cfg->instance && *cfg->instance)
		n = (size_t)snprintf(sid, BOSH_SID_MAX + 1 - 2 * sizeof raw,
				     "%.16s-", cfg->instance);
	for (size_t i = 0; i < sizeof raw; i++)
		snprintf(sid + n + 2 * i, 3, "%02x", raw[i]);
	return 0;
}

static unsigned bosh_min(unsigned a, unsigned b)
{
	return a < b ? a : b;
}

/* The session's parameters from the request and the configuration. */
static void bosh_negotiate(struct bosh_session *s, const struct bosh_body *b)
{
	const struct bosh_config *c = s->cfg;
	unsigned hold = b->has & BOSH_HAS_HOLD ? b->hold : 1;
	unsigned wait = b->has & BOSH_HAS_WAIT ? b->wait : c->max_wait;
	s->hold = bosh_min(bosh_min(hold, c->max_hold), BOSH_HOLD_MAX);
	s->wait = bosh_min(wait, c->max_wait);
	s->requests = s->hold + 1;
	s->polling_session = s->hold == 0 || s->wait == 0;
	s->polling = c->polling;
	s->inactivity = c->inactivity;
	if (s->polling_session && s->inactivity)
		s->inactivity += c->poll_inactivity_extra;
	s->has_ver = (b->has & BOSH_HAS_VER) != 0;
	s->ver_major = BOSH_VER_MAJOR;
	s->ver_minor = BOSH_VER_MINOR;
	if (s->has_ver && (b->ver_major < BOSH_VER_MAJOR ||
			   (b->ver_major == BOSH_VER_MAJOR &&
			    b->ver_minor < BOSH_VER_MINOR))) {
		s->ver_major = b->ver_major;
		s->ver_minor = b->ver_minor;
	}
	s->ack = (b->has & BOSH_HAS_ACK) != 0;
	s->create_rid = s->last_rid = b->rid;
}

/* The creation request's faults, as a condition; -1 if none. */
static int bosh_creation_fault(const struct bosh_config *c,
			       const struct bosh_body *b)
{
	if (!(b->has & BOSH_HAS_RID) || b->type != BOSH_TYPE_NONE)
		return BOSH_COND_BAD_REQUEST;
	if (c->domain && (!b->to || !*b->to))
		return BOSH_COND_IMPROPER_ADDRESSING;
	if (c->domain && strcasecmp(b->to, c->domain) != 0)
		return BOSH_COND_HOST_UNKNOWN;
	return -1;
}

struct bosh_session *bosh_session_alloc(const struct bosh_config *cfg)
{
	struct bosh_session *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->cfg = cfg;
	buf_init(&s->queue, cfg->max_queue);
	buf_init(&s->term, cfg->max_queue + 4096);
	struct xml_stream_limits lim = {cfg->max_queue, BOSH_ROUTER_DEPTH};
	s->rs = xml_stream_new(&lim, &bosh_router_ops, s);
	if (!s->rs || bosh_make_sid(cfg, s->sid) < 0) {
		bosh_session_free(s);
		return NULL;
	}
	return s;
}

struct bosh_session *bosh_session_new(const struct bosh_config *cfg,
				      struct bosh_body *b, int secure,
				      uint64_t req, uint64_t now,
				      struct bosh_out *out)
{
	int fault = bosh_creation_fault(cfg, b);
	if (fault >= 0) {
		(void)bosh_reply_error((enum bosh_condition)fault,
				       !(b->has & BOSH_HAS_VER), req, out);
		bosh_body_free(b);
		errno = EINVAL;
		return NULL;
	}
	struct bosh_session *s = bosh_session_alloc(cfg);
	if (!s || (b->newkey && !(s->key = strdup(b->newkey)))) {
		bosh_session_free(s);
		bosh_body_free(b);
		errno = ENOMEM;
		return NULL;
	}
	bosh_begin(s, now, out);
	bosh_negotiate(s, b);
	if (!s->has_ver)
		strcat(s->sid, "l");
	s->secure = secure;
	s->prev_arrival = now;
	s->last_response = now;
	s->held[s->nheld++] =
		(struct bosh_held){b->rid, req, now + (uint64_t)s->wait * 1000};
	if (bosh_out_action(out, BOSH_ACT_OPEN, NULL, 0) < 0 ||
	    bosh_forward(s, b) < 0 || bosh_flush(s) < 0) {
		bosh_session_free(s);
		bosh_body_free(b);
		errno = ENOMEM;
		return NULL;
	}
	bosh_body_free(b);
	return s;
}

void bosh_session_free(struct bosh_session *s)
{
	if (!s)
		return;
	bosh_forget_pending(s);
	for (size_t i = 0; i < s->nkept; i++)
		free(s->kept[i].body);
	xml_stream_free(s->rs);
	buf_free(&s->queue);
	buf_free(&s->term);
	free(s->key);
	free(s->authid);
	free(s->xmpp_ver);
	free(s);
}

int bosh_session_router_open(const struct bosh_session *s)
{
	return !s->router_closed;
}

int bosh_sid_is_legacy(const char *sid)
{
	size_t n = strlen(sid), hex = 2 * BOSH_SID_BYTES;
	if (n < hex + 1 || sid[n - 1] != 'l')
		return 0;
	for (size_t i = n - 1 - hex; i < n - 1; i++)
		if (!((sid[i] >= '0' && sid[i] <= '9') ||
		      (sid[i] >= 'a' && sid[i] <= 'f')))
			return 0;
	return 1;
}

const char *bosh_session_sid(const struct bosh_session *s)
{
	return s->sid;
}

int bosh_session_is_secure(const struct bosh_session *s)
{
	return s->secure;
}

/* ---- administration (boshd's control socket) */

void bosh_session_get_info(const struct bosh_session *s,
			   struct bosh_session_info *info)
{
	info->last_rid = s->last_rid;
	info->unanswered = s->nheld + s->npending;
	info->queued = s->queue.len;
	info->wait = s->wait;
	info->hold = s->hold;
	info->inactivity = s->pause ? s->pause : s->inactivity;
	info->inactivity_deadline = bosh_inactivity_deadline(s);
}

void bosh_session_end_by_admin(struct bosh_session *s, uint64_t now,
			       struct bosh_out *out)
{
	bosh_begin(s, now, out);
	if (s->state == BOSH_ACTIVE)
		bosh_fail(s, BOSH_COND_UNDEFINED_CONDITION, 0, 0);
	/* nothing was held to take the terminal body: over all the same */
	bosh_close_router(s);
	bosh_end(s);
}
