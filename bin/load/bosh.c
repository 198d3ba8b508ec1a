/* bosh.c: the BOSH transport of parley-load (XEP-0124, XEP-0206).
 *
 * A session creates itself with hold='1' and the configured wait, then
 * keeps exactly one request waiting at the connection manager at all
 * times, as a browser client does. Stanzas to send go out at once as a
 * new request on the second HTTP connection while the first is held
 * (requests='2', as Strophe.js does); the manager then answers the held
 * one and holds the new one. Rules kept here:
 *   - rids increase by one per new request, never skipped or reused (a
 *     request lost to a network error or a 5xx is sent again by http.c
 *     with the same bytes, so the same rid, as XEP-0124 14 says);
 *   - at most two requests out; the restart request goes alone;
 *   - after every response, if nothing is out, a request goes out.
 * Each response body is parsed with its own xml_stream: <body> is the
 * root and its children the top-level elements handed to xmpp.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "http.h"
#include "load.h"
#include "xml_stream.h"

#define NS_HTTPBIND "http://jabber.org/protocol/httpbind"
#define BOSH_XBOSH "xmlns:xmpp='urn:xmpp:xbosh'"

struct bosh_session {
	struct user *user;
	struct http_conn conn[2];
	uint64_t conn_rid[2]; /* the rid each connection carries */
	uint64_t next_rid;
	uint64_t terminate_rid; /* 0 until stop */
	struct buf queue;	/* stanzas for the next request */
	uint8_t created, restart_pending, closing, in_response;
	uint8_t max_requests;	/* at once: 2, or 1 if the manager says so */
	char sid[BOSH_SID_MAX]; /* escaped for an attribute */
};

/* The request body being written (the loop is single-threaded). */
static struct buf bosh_scratch;

static struct buf *bosh_begin_body(void)
{
	if (bosh_scratch.limit == 0)
		buf_init(&bosh_scratch, LOAD_BOSH_QUEUE_MAX + 1024);
	buf_reset(&bosh_scratch);
	return &bosh_scratch;
}

static int bosh_busy_count(const struct bosh_session *s)
{
	return http_conn_is_busy(&s->conn[0]) + http_conn_is_busy(&s->conn[1]);
}

/* A connection without a request, preferring one still open; -1 if none. */
static int bosh_free_conn(const struct bosh_session *s)
{
	int free0 = !http_conn_is_busy(&s->conn[0]);
	int free1 = !http_conn_is_busy(&s->conn[1]);
	if (free0 && free1)
		return !http_conn_is_open(&s->conn[0]) &&
		       http_conn_is_open(&s->conn[1]);
	return free0 ? 0 : free1 ? 1 : -1;
}

/* POSTs b with this rid on a free connection. 0, or -1 after user_fail. */
static int bosh_post(struct bosh_session *s, const struct buf *b, uint64_t rid)
{
	int i = bosh_free_conn(s);
	if (i < 0) {
		user_fail(s->user, FAIL_HTTP, "no free connection (internal)");
		return -1;
	}
	s->conn_rid[i] = rid;
	if (http_conn_post(&s->conn[i], buf_head(b), b->len) < 0) {
		user_fail(s->user, FAIL_CONNECT, "HTTP request: %s",
			  strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- request bodies ---- */

static int bosh_send_creation(struct bosh_session *s)
{
	const struct load_config *cfg = s->user->load->cfg;
	struct buf *b = bosh_begin_body();
	uint64_t rid = s->next_rid++;
	buf_printf(b,
		   "<body rid='%llu' to='%s' xml:lang='en' wait='%ld' hold='1' "
		   "content='text/xml; charset=utf-8' ver='1.6' "
		   "xmpp:version='1.0' " BOSH_XBOSH " xmlns='" NS_HTTPBIND
		   "'/>",
		   (unsigned long long)rid, cfg->domain, cfg->wait);
	return bosh_post(s, b, rid);
}

static int bosh_send_restart(struct bosh_session *s)
{
	struct buf *b = bosh_begin_body();
	uint64_t rid = s->next_rid++;
	buf_printf(b,
		   "<body rid='%llu' sid='%s' to='%s' xml:lang='en' "
		   "xmpp:restart='true' " BOSH_XBOSH " xmlns='" NS_HTTPBIND
		   "'/>",
		   (unsigned long long)rid, s->sid, s->user->load->cfg->domain);
	s->restart_pending = 0;
	return bosh_post(s, b, rid);
}

/* A request with the queued stanzas (none: an empty poll). */
static int bosh_send_queue(struct bosh_session *s)
{
	struct buf *b = bosh_begin_body();
	uint64_t rid = s->next_rid++;
	buf_printf(b, "<body rid='%llu' sid='%s' xmlns='" NS_HTTPBIND "'",
		   (unsigned long long)rid, s->sid);
	if (s->queue.len == 0) {
		buf_append_str(b, "/>");
	} else if (buf_append_str(b, ">") < 0 ||
		   buf_append(b, buf_head(&s->queue), s->queue.len) < 0 ||
		   buf_append_str(b, "</body>") < 0) {
		user_fail(s->user, FAIL_HTTP, "request too large");
		return -1;
	}
	buf_reset(&s->queue);
	return bosh_post(s, b, rid);
}

static int bosh_send_terminate(struct bosh_session *s)
{
	struct buf *b = bosh_begin_body();
	uint64_t rid = s->next_rid++;
	buf_printf(
		b,
		"<body rid='%llu' sid='%s' type='terminate' xmlns='" NS_HTTPBIND
		"'><presence xmlns='jabber:client' type='unavailable'/></body>",
		(unsigned long long)rid, s->sid);
	s->terminate_rid = rid;
	return bosh_post(s, b, rid);
}

/* Sends what the rules allow: see the top of the file. */
static void bosh_pump(struct bosh_session *s)
{
	while (!user_is_gone(s->user) && s->created && !s->closing) {
		int busy = bosh_busy_count(s);
		if (busy >= s->max_requests)
			return;
		if (s->restart_pending) {
			if (busy > 0 || bosh_send_restart(s) < 0)
				return;
			continue;
		}
		if (busy > 0 && s->queue.len == 0)
			return;
		if (bosh_send_queue(s) < 0)
			return;
	}
}

/* ---- responses ---- */

/* Keeps the sid, escaped for the attributes we write. */
static int bosh_take_sid(struct bosh_session *s, const char *sid)
{
	struct buf esc;
	buf_init(&esc, sizeof s->sid - 1);
	if (!sid || !*sid || xml_escape_attr(&esc, sid, strlen(sid)) < 0) {
		buf_free(&esc);
		user_fail(s->user, FAIL_HTTP,
			  "session creation without a usable sid");
		return -1;
	}
	memcpy(s->sid, buf_head(&esc), esc.len);
	s->sid[esc.len] = '\0';
	buf_free(&esc);
	return 0;
}

/* The manager's hold and requests: it must hold one request (hold='0'
   would make this client poll without pause), and may allow fewer than
   two requests at once, which is then respected. */
static int bosh_take_limits(struct bosh_session *s, const struct xml_node *root)
{
	const char *hold = xml_node_attr(root, "hold");
	const char *requests = xml_node_attr(root, "requests");
	if (hold && atoi(hold) < 1) {
		user_fail(s->user, FAIL_HTTP, "the manager grants hold='%s'",
			  hold);
		return -1;
	}
	s->max_requests = requests && atoi(requests) == 1 ? 1 : 2;
	return 0;
}

static int bosh_on_open(void *ctx, const struct xml_node *root,
			const char *default_ns)
{
	(void)default_ns;
	struct bosh_session *s = ctx;
	if (!xml_node_is(root, NS_HTTPBIND, "body")) {
		user_fail(s->user, FAIL_HTTP,
			  "the response is not a BOSH body");
		return -1;
	}
	const char *type = xml_node_attr(root, "type");
	if (type && strcmp(type, "terminate") == 0) {
		const char *cond = xml_node_attr(root, "condition");
		if (s->closing)
			user_closed(s->user);
		else
			user_fail(s->user, FAIL_STREAM, "BOSH terminate: %s",
				  cond ? cond : "(no condition)");
		return -1;
	}
	if (s->created)
		return 0;
	if (bosh_take_sid(s, xml_node_attr(root, "sid")) < 0 ||
	    bosh_take_limits(s, root) < 0)
		return -1;
	s->created = 1;
	return 0;
}

static int bosh_on_stanza(void *ctx, struct xml_node *stanza)
{
	struct bosh_session *s = ctx;
	return xmpp_on_element(s->user, stanza);
}

static void bosh_on_close(void *ctx)
{
	(void)ctx; /* </body>: the response is over */
}

static void bosh_on_error(void *ctx, enum xml_stream_error err)
{
	struct bosh_session *s = ctx;
	user_fail(s->user, FAIL_HTTP, "bad XML in a BOSH body: %s",
		  xml_stream_error_condition(err));
}

static const struct xml_stream_ops bosh_stream_ops = {
	.on_open = bosh_on_open,
	.on_stanza = bosh_on_stanza,
	.on_close = bosh_on_close,
	.on_error = bosh_on_error,
};

static const struct xml_stream_limits bosh_stream_limits = {
	.max_stanza = LOAD_STANZA_MAX,
	.max_depth = LOAD_STANZA_DEPTH,
};

static void bosh_parse(struct bosh_session *s, const char *body, size_t len)
{
	struct xml_stream *xs =
		xml_stream_new(&bosh_stream_limits, &bosh_stream_ops, s);
	if (!xs) {
		user_fail(s->user, FAIL_HTTP, "out of memory");
		return;
	}
	s->in_response = 1;
	if (len == 0)
		user_fail(s->user, FAIL_HTTP, "empty response body");
	else
		(void)xml_stream_feed(xs, body, len);
	s->in_response = 0;
	xml_stream_free(xs);
}

static void bosh_on_response(struct http_conn *c, int status, const char *body,
			     size_t len)
{
	struct bosh_session *s = c->owner;
	struct user *u = s->user;
	uint64_t rid = s->conn_rid[c == &s->conn[1]];
	if (user_is_gone(u))
		return;
	if (status != 200) {
		user_fail(u, FAIL_HTTP, "HTTP status %d", status);
		return;
	}
	if (s->closing && rid == s->terminate_rid) {
		user_closed(u);
		return;
	}
	bosh_parse(s, body, len);
	if (!s->created && !user_is_gone(u))
		user_fail(u, FAIL_HTTP, "session creation without a sid");
	bosh_pump(s);
}

static void bosh_on_http_error(struct http_conn *c, enum fail_kind kind,
			       const char *why)
{
	struct bosh_session *s = c->owner;
	user_fail(s->user, kind, "%s", why); /* while closing: closed */
}

static const struct http_conn_ops bosh_http_ops = {
	.on_response = bosh_on_response,
	.on_error = bosh_on_http_error,
};

/* ---- the transport ---- */

static unsigned bosh_fds_per_user(enum load_scenario sc)
{
	return sc == SCENARIO_PAIRS ? 2 : 1;
}

static int bosh_start(struct user *u)
{
	struct bosh_session *s = calloc(1, sizeof *s);
	if (!s) {
		user_fail(u, FAIL_CONNECT, "out of memory");
		return -1;
	}
	struct http_client *hc = u->load->transport_state;
	s->user = u;
	http_conn_init(&s->conn[0], hc, &bosh_http_ops, s);
	http_conn_init(&s->conn[1], hc, &bosh_http_ops, s);
	buf_init(&s->queue, LOAD_BOSH_QUEUE_MAX);
	/* a random start, far below 2^53 so it never wraps (XEP-0124 14.1) */
	s->next_rid = ((uint64_t)random() << 12) + 1;
	u->conn = s;
	return bosh_send_creation(s);
}

static int bosh_send(struct user *u, const char *xml, size_t len)
{
	struct bosh_session *s = u->conn;
	if (!s || s->closing)
		return -1;
	if (buf_append(&s->queue, xml, len) < 0)
		return -1;
	if (!s->in_response)
		bosh_pump(s);
	return 0;
}

static void bosh_restart(struct user *u)
{
	struct bosh_session *s = u->conn;
	s->restart_pending = 1; /* sent by bosh_pump after this response */
}

static void bosh_stop(struct user *u)
{
	struct bosh_session *s = u->conn;
	if (!s || !s->created) {
		user_closed(u);
		return;
	}
	s->closing = 1;
	if (bosh_free_conn(s) < 0)
		http_conn_close(&s->conn[0]); /* abandon the held request */
	(void)bosh_send_terminate(s);
}

static void bosh_drop(struct user *u)
{
	struct bosh_session *s = u->conn;
	if (!s)
		return;
	http_conn_close(&s->conn[0]);
	http_conn_close(&s->conn[1]);
	xmpp_count_unsent(u, buf_head(&s->queue), s->queue.len);
	buf_free(&s->queue);
	free(s);
	u->conn = NULL;
}

static int bosh_init(struct load *l)
{
	struct http_client *hc = calloc(1, sizeof *hc);
	if (!hc)
		return -1;
	http_client_init(hc, l,
			 (ev_tstamp)(l->cfg->wait + BOSH_REQUEST_MARGIN));
	l->transport_state = hc;
	return 0;
}

const struct transport transport_bosh = {
	.name = "bosh",
	.init = bosh_init,
	.fds_per_user = bosh_fds_per_user,
	.start = bosh_start,
	.send = bosh_send,
	.restart = bosh_restart,
	.stop = bosh_stop,
	.drop = bosh_drop,
};
