/* poll.c: the XEP-0025 (HTTP polling) transport of parley-load.
 *
 * Each user POSTs "identifier;key[;newkey],xml" to --poll-url, one request
 * at a time on one keep-alive connection. Identifier 0 opens the session;
 * xml is raw bytes of the client's stream: its header, what xmpp.c sends,
 * a new header after SASL success, </stream:stream> to stop. Every answer
 * is HTTP 200 with the identifier, or an error ending in ":0", in the ID
 * cookie (and X-Poll-ID, which must agree), and a body of raw stream bytes
 * cut anywhere, fed to the user's one xml_stream as tcp.c feeds its
 * socket's bytes. Keys: K(i) = base64(SHA-1(K(i-1))), sent from
 * K(POLL_KEYS) down to K(1), which carries the next sequence's first key;
 * a key is recomputed from its seed when needed (POLL_KEYS hashes at most).
 * A request goes out: at once when there are bytes to send and none is
 * out; at the user's slot, one timer walking the users round robin so that
 * each polls every --poll-interval, spread evenly over it; and as a
 * follow-up, POLL_AGAIN_SECONDS after an answer but never sooner than
 * --poll-min-interval after it, when the answer brought data, during login
 * and close, and for a slot that came too soon or while a request was out.
 * A request that meets a network error (connect refused, connection reset
 * or closed before the whole answer) or gets a 5xx status is sent again,
 * the same bytes and so the same key, up to LOAD_RESENDS times after
 * LOAD_RESEND_DELAY seconds doubling (at once, once, if a kept-alive
 * connection was closed before any answer byte). pollgw takes a resent
 * key only if it never processed the first copy: if it did, the key no
 * longer follows the session's last one and the answer is -3:0, which
 * means the first copy's answer, stream bytes, is lost; the session is
 * then lost too (XEP-0025 has no way to fetch an answer again).
 * The HTTP exchange is written here, not on http.c, whose callers see no
 * response header (the identifier is one) and which sends text/xml where
 * XEP-0025 asks for application/x-www-form-urlencoded. */
#include <errno.h>
#include <openssl/sha.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base64.h"
#include "buf.h"
#include "http.h"
#include "load.h"
#include "xml_stream.h"

#define POLL_KEY_LEN BASE64_ENCODED_LEN(SHA_DIGEST_LENGTH) /* 28 */
#define POLL_REQUEST_ROOM 256 /* identifier, keys and HTTP head lines */
#define POLL_CONTENT_TYPE "application/x-www-form-urlencoded"

/* What the users of one run share (load->transport_state). */
struct poll_shared {
	struct load *load;
	struct deadline_list answers; /* one per request out: its timeout */
	struct deadline_list again;   /* follow-up polls */
	struct deadline_list resend[LOAD_RESENDS]; /* the k-th resend's delay */
	ev_timer wheel;				   /* the regular polls */
	ev_tstamp t0;
	unsigned long slots; /* user slots the wheel has passed */
	size_t cursor;	     /* the next user slot */
};

struct poll_conn {
	struct deadline_entry answer_by; /* first: the request's timeout */
	struct deadline_entry again;	 /* a follow-up poll */
	struct deadline_entry resend_at; /* waiting to be sent again */
	struct user *user;
	ev_io io;
	int fd;
	uint8_t events;	   /* what io watches */
	uint8_t connected; /* the connect completed */
	uint8_t reused;	   /* the request went out on a kept-alive connection */
	uint8_t got_bytes; /* part of the answer arrived */
	uint8_t busy;	   /* a request is out */
	uint8_t in_answer; /* an answer's body is being parsed */
	uint8_t closing;   /* </stream:stream> is queued or sent */
	uint8_t slot_owed; /* a slot came while a request was out */
	uint8_t key_next;  /* K(key_next) goes with the next request */
	uint8_t resends;   /* times this request was sent again later */
	uint8_t repeated;  /* this request went out more than once */
	uint32_t key_salt, key_seq; /* the seed of the current sequence */
	size_t written;		    /* bytes of out already sent */
	struct buf out;		    /* the request, kept for a resend */
	struct buf in;		    /* the answer so far */
	struct buf queue;	    /* stream bytes for the next request */
	struct xml_stream *xs;
	ev_tstamp sent_at, answered_at;
	char id[POLL_ID_MAX + 1]; /* "0" until the first answer */
};

/* The request body being written (the loop is single-threaded). */
static struct buf poll_scratch;

static struct poll_shared *poll_shared_of(const struct poll_conn *c)
{
	return c->user->load->transport_state;
}

static int poll_has_session(const struct poll_conn *c)
{
	return strcmp(c->id, "0") != 0;
}

static int poll_request(struct poll_conn *c);

/* ---- keys (XEP-0025 4) ---- */

/* K(i) of sequence seq: the seed hashed i times. */
static void poll_key(const struct poll_conn *c, uint32_t seq, unsigned i,
		     char out[POLL_KEY_LEN + 1])
{
	snprintf(out, POLL_KEY_LEN + 1, "%08x%08x%08x", c->key_salt,
		 c->user->index, seq);
	for (unsigned j = 0; j < i; j++) {
		unsigned char md[SHA_DIGEST_LENGTH];
		SHA1((const unsigned char *)out, strlen(out), md);
		(void)base64_encode(md, sizeof md, out, POLL_KEY_LEN + 1, NULL);
	}
}

/* Appends ";key" or, at the end of a sequence, ";K(1);K'(POLL_KEYS)" of
   the next one, and moves on to the key after it. */
static int poll_append_keys(struct poll_conn *c, struct buf *b)
{
	char key[POLL_KEY_LEN + 1], newkey[POLL_KEY_LEN + 1];
	poll_key(c, c->key_seq, c->key_next, key);
	if (c->key_next > 1) {
		c->key_next--;
		return buf_printf(b, ";%s", key);
	}
	poll_key(c, c->key_seq + 1, POLL_KEYS, newkey);
	c->key_seq++;
	c->key_next = POLL_KEYS - 1;
	return buf_printf(b, ";%s;%s", key, newkey);
}

/* ---- HTTP: one request at a time on one keep-alive connection ---- */

static void poll_watch(struct poll_conn *c, int events)
{
	struct ev_loop *loop = c->user->load->loop;
	if (events == c->events)
		return;
	ev_io_stop(loop, &c->io);
	ev_io_set(&c->io, c->fd, events);
	if (events)
		ev_io_start(loop, &c->io);
	c->events = (uint8_t)events;
}

/* Closes the socket; the request (out) is kept for a resend. */
static void poll_close_socket(struct poll_conn *c)
{
	if (c->fd >= 0) {
		poll_watch(c, 0);
		close(c->fd);
	}
	c->fd = -1;
	c->connected = 0;
	buf_free(&c->in);
}

static void poll_unschedule(struct poll_conn *c)
{
	struct poll_shared *ps = poll_shared_of(c);
	for (int k = 0; k < LOAD_RESENDS; k++)
		deadline_remove(&ps->resend[k], &c->resend_at);
}

/* The request ends without an answer. */
static void poll_http_fail(struct poll_conn *c, enum fail_kind kind,
			   const char *why)
{
	poll_close_socket(c);
	deadline_remove(&poll_shared_of(c)->answers, &c->answer_by);
	poll_unschedule(c);
	c->busy = 0;
	user_fail(c->user, kind, "%s", why);
}

static int poll_connect(struct poll_conn *c)
{
	const struct load_config *cfg = c->user->load->cfg;
	c->fd = net_connect(cfg, &cfg->poll_server);
	if (c->fd < 0)
		return -1;
	c->connected = 0;
	c->reused = 0;
	poll_watch(c, EV_WRITE);
	return 0;
}

static void poll_lost(struct poll_conn *c, int err, const char *why);

/* Writes the rest of the request; then waits for the answer. */
static void poll_write(struct poll_conn *c)
{
	while (c->written < c->out.len) {
		ssize_t n = send(c->fd, buf_head(&c->out) + c->written,
				 c->out.len - c->written, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			poll_watch(c, EV_READ | EV_WRITE);
			return;
		}
		if (n < 0) {
			poll_lost(c, errno, strerror(errno));
			return;
		}
		c->written += (size_t)n;
	}
	poll_watch(c, EV_READ);
}

/* The request in out goes from its first byte, on the open connection
   if there is one, else on a new one. */
static void poll_send_again(struct poll_conn *c)
{
	c->written = 0;
	c->got_bytes = 0;
	if (c->fd >= 0) {
		c->reused = 1;
		poll_write(c);
	} else if (poll_connect(c) < 0) {
		poll_lost(c, errno, strerror(errno));
	}
}

/* Schedules the next resend, or fails the user when LOAD_RESENDS are
   spent. */
static void poll_resend_later(struct poll_conn *c, enum fail_kind kind,
			      const char *why)
{
	if (c->resends >= LOAD_RESENDS) {
		poll_http_fail(c, kind, why);
		return;
	}
	deadline_touch(&poll_shared_of(c)->resend[c->resends], &c->resend_at);
	c->resends++;
	c->repeated = 1;
	c->user->load->stats.resent++;
}

static void poll_resend_due(struct deadline_list *list,
			    struct deadline_entry *e)
{
	(void)list;
	struct poll_conn *c =
		(struct poll_conn *)((char *)e -
				     offsetof(struct poll_conn, resend_at));
	poll_send_again(c);
}

/* The connection failed under the request (err: the errno, or 0 for an
   end of file): sent again at once on a new connection if a kept-alive
   connection was closed before any answer byte, else later. */
static void poll_lost(struct poll_conn *c, int err, const char *why)
{
	int race = c->reused && !c->got_bytes && err != ECONNREFUSED;
	net_count_error(c->user->load, err);
	poll_close_socket(c);
	if (race && poll_connect(c) == 0) {
		c->written = 0;
		c->repeated = 1;
		c->user->load->stats.resent++;
		return;
	}
	poll_resend_later(c, err == ECONNREFUSED ? FAIL_CONNECT : FAIL_CLOSED,
			  why);
}

/* Sends the request that is in out. 0, or -1 after user_fail. */
static int poll_post(struct poll_conn *c)
{
	c->busy = 1;
	c->resends = 0;
	c->repeated = 0;
	deadline_touch(&poll_shared_of(c)->answers, &c->answer_by);
	poll_send_again(c);
	return user_is_gone(c->user) ? -1 : 0;
}

static void poll_on_answer(struct poll_conn *c, const struct http_resp *r,
			   const char *head, const char *body);

/* A whole answer is in c->in: the connection is free again; or, for a
   5xx with resends left, the request goes again later. */
static void poll_deliver(struct poll_conn *c, const struct http_resp *r)
{
	if (r->status / 100 == 5) {
		c->user->load->stats.http_5xx++;
		if (c->resends < LOAD_RESENDS) {
			poll_close_socket(c); /* frees in */
			poll_resend_later(c, FAIL_HTTP, "HTTP 5xx");
			return;
		}
	}
	deadline_remove(&poll_shared_of(c)->answers, &c->answer_by);
	struct buf sent = c->out; /* its messages are unsent if this answer
				     ends the session (0:0, the stream end) */
	buf_init(&c->out, sent.limit);
	c->busy = 0;
	struct buf in = c->in; /* the answer may lead to a new request */
	buf_init(&c->in, in.limit);
	if (r->close)
		poll_close_socket(c);
	struct user *u = c->user;
	poll_on_answer(c, r, buf_head(&in), buf_head(&in) + r->head_len);
	xmpp_count_unsent(u, buf_head(&sent), sent.len);
	buf_free(&sent);
	buf_free(&in);
}

static void poll_on_readable(struct poll_conn *c)
{
	char *data = net_read_buffer();
	ssize_t n = recv(c->fd, data, LOAD_READ_CHUNK, 0);
	if (n < 0 &&
	    (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0) {
		const char *why = n == 0 ? "the server closed the connection"
					 : strerror(errno);
		if (c->busy)
			poll_lost(c, n == 0 ? 0 : errno, why);
		else
			poll_close_socket(c); /* an idle keep-alive ends */
		return;
	}
	if (!c->busy) {
		poll_close_socket(c); /* bytes nobody asked for */
		return;
	}
	c->got_bytes = 1;
	struct http_resp r;
	int rc = buf_append(&c->in, data, (size_t)n) < 0
			 ? -1
			 : http_resp_parse(buf_head(&c->in), c->in.len, &r);
	if (rc < 0)
		poll_http_fail(c, FAIL_HTTP,
			       "malformed, unsupported or too large answer");
	else if (rc > 0)
		poll_deliver(c, &r);
}

static void poll_on_io(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	struct poll_conn *c = w->data;
	if (!c->connected && c->fd >= 0 && c->busy) {
		if (net_connect_result(c->fd) < 0) {
			poll_lost(c, errno, strerror(errno));
			return;
		}
		c->connected = 1;
		poll_write(c);
		return;
	}
	if ((revents & EV_WRITE) && c->busy) {
		poll_write(c);
		if (!c->busy || !c->connected || c->fd < 0) /* failed, or */
			return;				    /* to be resent */
	}
	if (revents & EV_READ)
		poll_on_readable(c);
}

static void poll_answer_expired(struct deadline_list *list,
				struct deadline_entry *e)
{
	(void)list;
	struct poll_conn *c = (struct poll_conn *)e; /* the first member */
	poll_http_fail(c, FAIL_TIMEOUT, "a poll got no answer in time");
}

/* ---- answers ---- */

/* One header line of a response head: name and value, trimmed. */
struct poll_header {
	const char *name, *value;
	size_t name_len, value_len;
};

/* The next header line from *p (up to end, the head after its status line
   and without its final CRLF CRLF); 0, or -1 when there is none. */
static int poll_next_header(const char **p, const char *end,
			    struct poll_header *h)
{
	while (*p < end) {
		const char *line = *p;
		const char *eol = memmem(line, (size_t)(end - line), "\r\n", 2);
		if (!eol)
			eol = end;
		*p = eol < end ? eol + 2 : end;
		const char *colon = memchr(line, ':', (size_t)(eol - line));
		if (!colon)
			continue; /* http_resp_parse let none through */
		h->name = line;
		h->name_len = (size_t)(colon - line);
		const char *v = colon + 1;
		while (v < eol && (*v == ' ' || *v == '\t'))
			v++;
		h->value = v;
		h->value_len = (size_t)(eol - v);
		while (h->value_len > 0 && (v[h->value_len - 1] == ' ' ||
					    v[h->value_len - 1] == '\t'))
			h->value_len--;
		return 0;
	}
	return -1;
}

static int poll_header_is(const struct poll_header *h, const char *name)
{
	return h->name_len == strlen(name) &&
	       strncasecmp(h->name, name, h->name_len) == 0;
}

/* An identifier is 1 to POLL_ID_MAX bytes of [A-Za-z0-9:-] (XEP-0025 3). */
static int poll_id_is_valid(const char *id, size_t len)
{
	static const char set[] = "abcdefghijklmnopqrstuvwxyz"
				  "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:-";
	if (len == 0 || len > POLL_ID_MAX)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!id[i] || !strchr(set, id[i]))
			return 0;
	return 1;
}

/* The identifier of an answer: the ID cookie's, which X-Poll-ID must
   repeat if present. 0, or -1 after user_fail. */
static int poll_answer_id(struct poll_conn *c, const char *head,
			  size_t head_len, char id[POLL_ID_MAX + 1])
{
	const char *end = head + head_len - 2;
	const char *p = (const char *)memmem(head, head_len, "\r\n", 2) + 2;
	const char *cookie = NULL, *xid = NULL;
	size_t cookie_len = 0, xid_len = 0;
	struct poll_header h;
	while (poll_next_header(&p, end, &h) == 0) {
		if (poll_header_is(&h, "Set-Cookie") && !cookie &&
		    h.value_len > 3 && strncmp(h.value, "ID=", 3) == 0) {
			cookie = h.value + 3;
			cookie_len = strcspn(cookie, "; \t\r");
		} else if (poll_header_is(&h, "X-Poll-ID") && !xid) {
			xid = h.value;
			xid_len = h.value_len;
		}
	}
	if (!cookie || !poll_id_is_valid(cookie, cookie_len)) {
		user_fail(c->user, FAIL_HTTP, "no valid ID cookie");
		return -1;
	}
	if (xid && (xid_len != cookie_len || memcmp(xid, cookie, xid_len))) {
		user_fail(c->user, FAIL_HTTP,
			  "X-Poll-ID %.*s differs from the ID cookie %.*s",
			  (int)(xid_len < 80 ? xid_len : 80), xid,
			  (int)cookie_len, cookie);
		return -1;
	}
	memcpy(id, cookie, cookie_len);
	id[cookie_len] = '\0';
	return 0;
}

/* The errors of XEP-0025 3.1, by identifier. */
static const struct {
	const char *id;
	enum fail_kind kind;
	const char *what;
} poll_errors[] = {
	{"0:0", FAIL_STREAM, "unknown or ended session"},
	{"-1:0", FAIL_HTTP, "server error"},
	{"-2:0", FAIL_HTTP, "bad request"},
	{"-3:0", FAIL_HTTP, "key sequence error"},
};

/* An identifier ending in ":0" fails the user: 1, else 0. */
static int poll_answer_is_error(struct poll_conn *c, const char *id)
{
	size_t n = strlen(id);
	if (n < 2 || strcmp(id + n - 2, ":0") != 0)
		return 0;
	enum fail_kind kind = FAIL_HTTP;
	const char *what = "unknown error";
	for (size_t i = 0; i < sizeof poll_errors / sizeof poll_errors[0]; i++)
		if (strcmp(id, poll_errors[i].id) == 0) {
			kind = poll_errors[i].kind;
			what = poll_errors[i].what;
		}
	if (strcmp(id, "-3:0") == 0 && c->repeated)
		what = "key sequence error for a resent request: pollgw had "
		       "processed the first copy, whose answer was lost";
	user_fail(c->user, kind, "identifier %s: %s", id, what);
	return 1;
}

/* After an answer: the next request (see the top of the file). */
static void poll_next(struct poll_conn *c, int got_data)
{
	if (user_is_gone(c->user))
		return;
	if (c->queue.len > 0) {
		(void)poll_request(c);
		return;
	}
	if (got_data || c->slot_owed || c->user->state != USER_ONLINE)
		deadline_touch(&poll_shared_of(c)->again, &c->again);
}

static void poll_on_answer(struct poll_conn *c, const struct http_resp *r,
			   const char *head, const char *body)
{
	struct user *u = c->user;
	char id[POLL_ID_MAX + 1];
	if (user_is_gone(u))
		return;
	c->answered_at = ev_now(u->load->loop);
	if (r->status != 200) {
		user_fail(u, FAIL_HTTP, "HTTP status %d", r->status);
		return;
	}
	if (poll_answer_id(c, head, r->head_len, id) < 0 ||
	    poll_answer_is_error(c, id))
		return;
	if (!poll_has_session(c)) {
		memcpy(c->id, id, sizeof c->id);
	} else if (strcmp(c->id, id) != 0) {
		user_fail(u, FAIL_HTTP, "the identifier changed to %s", id);
		return;
	}
	if (r->body_len > 0) {
		c->in_answer = 1;
		if (xml_stream_feed(c->xs, body, r->body_len) == 0)
			(void)xml_stream_compact(c->xs);
		c->in_answer = 0;
	}
	poll_next(c, r->body_len > 0);
}

/* ---- the parser's callbacks ---- */

static int poll_on_open(void *ctx, const struct xml_node *root,
			const char *default_ns)
{
	(void)ctx;
	(void)root;
	(void)default_ns;
	return 0;
}

static int poll_on_stanza(void *ctx, struct xml_node *stanza)
{
	struct poll_conn *c = ctx;
	return xmpp_on_element(c->user, stanza);
}

static void poll_on_close(void *ctx)
{
	struct poll_conn *c = ctx;
	if (c->closing)
		user_closed(c->user);
	else
		user_fail(c->user, FAIL_STREAM, "the server closed the stream");
}

static void poll_on_error(void *ctx, enum xml_stream_error err)
{
	struct poll_conn *c = ctx;
	user_fail(c->user, FAIL_STREAM, "bad XML from the server: %s",
		  xml_stream_error_condition(err));
}

static const struct xml_stream_ops poll_stream_ops = {
	.on_open = poll_on_open,
	.on_stanza = poll_on_stanza,
	.on_close = poll_on_close,
	.on_error = poll_on_error,
};

static const struct xml_stream_limits poll_stream_limits = {
	.max_stanza = LOAD_STANZA_MAX,
	.max_depth = LOAD_STANZA_DEPTH,
};

/* ---- requests ---- */

/* The body "identifier;key[;newkey],xml" in the scratch buffer, then the
   whole request in out. 0, or -1 with errno. */
static int poll_build(struct poll_conn *c)
{
	const struct load_config *cfg = c->user->load->cfg;
	struct buf *b = &poll_scratch;
	if (b->limit == 0)
		buf_init(b, POLL_QUEUE_MAX + POLL_REQUEST_ROOM);
	buf_reset(b);
	if (buf_append_str(b, c->id) < 0 || poll_append_keys(c, b) < 0 ||
	    buf_append_str(b, ",") < 0 ||
	    buf_append(b, buf_head(&c->queue), c->queue.len) < 0)
		return -1;
	buf_reset(&c->out);
	if (buf_printf(&c->out,
		       "POST %s HTTP/1.1\r\nHost: %s\r\n"
		       "Content-Type: " POLL_CONTENT_TYPE "\r\n"
		       "Content-Length: %zu\r\n\r\n",
		       cfg->poll_path, cfg->poll_host, b->len) < 0 ||
	    buf_append(&c->out, buf_head(b), b->len) < 0)
		return -1;
	buf_free(&c->queue);
	return 0;
}

/* Sends what is queued (maybe nothing: a poll). 0, or -1 after
   user_fail. */
static int poll_request(struct poll_conn *c)
{
	struct load *l = c->user->load;
	if (c->busy || user_is_gone(c->user))
		return 0;
	if (poll_build(c) < 0) {
		user_fail(c->user, FAIL_HTTP, "cannot build a request: %s",
			  strerror(errno));
		return -1;
	}
	deadline_remove(&poll_shared_of(c)->again, &c->again);
	c->slot_owed = 0;
	c->sent_at = ev_now(l->loop);
	l->stats.polls++;
	if (l->phase == PHASE_RUN)
		l->stats.polls_run++;
	return poll_post(c);
}

static void poll_again_expired(struct deadline_list *list,
			       struct deadline_entry *e)
{
	(void)list;
	struct poll_conn *c =
		(struct poll_conn *)((char *)e -
				     offsetof(struct poll_conn, again));
	(void)poll_request(c);
}

/* The regular poll of user u, at its slot. It is owed, and made as a
   follow-up poll after the answer, when a request is out (a late one, out
   for longer than the server may hold it, is counted during the run); a
   follow-up poll too when the last answer is more recent than
   --poll-min-interval, less POLL_EARLY_SECONDS: without that margin, a
   user whose poll was put off by that interval, half of --poll-interval,
   would find its next slot on the edge, and stay a slot late or not by a
   millisecond, which counts its polls in a window one more or less. */
static void poll_on_slot(struct user *u, ev_tstamp now)
{
	struct poll_conn *c = u->conn;
	double min = u->load->cfg->poll_min_interval;
	if (!c || user_is_gone(u) || !poll_has_session(c))
		return;
	if (c->busy) {
		if (now - c->sent_at > min + POLL_LATE_SECONDS &&
		    u->load->phase == PHASE_RUN)
			u->load->stats.polls_late++;
		c->slot_owed = 1;
	} else if (now - c->answered_at < min - POLL_EARLY_SECONDS) {
		deadline_touch(&poll_shared_of(c)->again, &c->again);
	} else {
		(void)poll_request(c);
	}
}

/* Gives the users whose slots have come their poll: user i's slot comes
   at t0 + (i / users + k) * --poll-interval. */
static void poll_wheel_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)revents;
	struct poll_shared *ps = w->data;
	struct load *l = ps->load;
	size_t n = (size_t)l->cfg->users;
	ev_tstamp now = ev_now(loop);
	double due = (now - ps->t0) / l->cfg->poll_interval * (double)n;
	size_t budget = n; /* one round per tick at most */
	while ((double)ps->slots < due && budget > 0) {
		struct user *u = &l->users[ps->cursor];
		ps->cursor = (ps->cursor + 1) % n;
		ps->slots++;
		budget--;
		poll_on_slot(u, now);
	}
	if (budget == 0)
		ps->slots = (unsigned long)due; /* after a stall: no burst */
}

/* ---- the transport ---- */

static void poll_queue_header(struct poll_conn *c)
{
	char header[512];
	int n = snprintf(header, sizeof header,
			 "<stream:stream to='%s' xmlns='jabber:client' "
			 "xmlns:stream='http://etherx.jabber.org/streams' "
			 "version='1.0'>",
			 c->user->load->cfg->domain);
	if (n < 0 || (size_t)n >= sizeof header ||
	    buf_append(&c->queue, header, (size_t)n) < 0)
		user_fail(c->user, FAIL_STREAM,
			  "cannot queue the stream header");
}

static unsigned poll_fds_per_user(enum load_scenario s)
{
	(void)s;
	return 1;
}

static int poll_start(struct user *u)
{
	struct poll_conn *c = calloc(1, sizeof *c);
	if (!c) {
		user_fail(u, FAIL_CONNECT, "out of memory");
		return -1;
	}
	c->user = u;
	c->fd = -1;
	strcpy(c->id, "0");
	c->key_salt = (uint32_t)random();
	c->key_next = POLL_KEYS;
	ev_io_init(&c->io, poll_on_io, -1, 0);
	c->io.data = c;
	buf_init(&c->out, HTTP_MAX_HEAD + POLL_QUEUE_MAX + POLL_REQUEST_ROOM);
	buf_init(&c->in, HTTP_MAX_HEAD + HTTP_MAX_BODY);
	buf_init(&c->queue, POLL_QUEUE_MAX);
	u->conn = c;
	c->xs = xml_stream_new(&poll_stream_limits, &poll_stream_ops, c);
	if (!c->xs) {
		user_fail(u, FAIL_CONNECT, "out of memory");
		return -1;
	}
	poll_queue_header(c);
	return user_is_gone(u) ? -1 : poll_request(c);
}

static int poll_send(struct user *u, const char *xml, size_t len)
{
	struct poll_conn *c = u->conn;
	if (!c || c->closing)
		return -1;
	if (buf_append(&c->queue, xml, len) < 0)
		return -1;
	if (!c->in_answer && poll_has_session(c))
		return poll_request(c);
	return 0;
}

static void poll_restart(struct user *u)
{
	struct poll_conn *c = u->conn;
	xml_stream_reset(c->xs); /* after this element */
	poll_queue_header(c);
}

static void poll_stop(struct user *u)
{
	static const char end[] = "</stream:stream>";
	struct poll_conn *c = u->conn;
	if (!c || (!poll_has_session(c) && !c->busy)) {
		user_closed(u);
		return;
	}
	c->closing = 1;
	if (buf_append(&c->queue, end, sizeof end - 1) < 0) {
		user_closed(u);
		return;
	}
	if (!c->in_answer && poll_has_session(c))
		(void)poll_request(c);
}

static void poll_drop(struct user *u)
{
	struct poll_conn *c = u->conn;
	if (!c)
		return;
	struct poll_shared *ps = poll_shared_of(c);
	poll_close_socket(c);
	deadline_remove(&ps->answers, &c->answer_by);
	deadline_remove(&ps->again, &c->again);
	poll_unschedule(c);
	xml_stream_free(c->xs);
	xmpp_count_unsent(u, buf_head(&c->queue), c->queue.len);
	buf_free(&c->out);
	buf_free(&c->in);
	buf_free(&c->queue);
	free(c);
	u->conn = NULL;
}

static int poll_init(struct load *l)
{
	struct poll_shared *ps = calloc(1, sizeof *ps);
	if (!ps)
		return -1;
	double again = l->cfg->poll_min_interval > POLL_AGAIN_SECONDS
			       ? l->cfg->poll_min_interval
			       : POLL_AGAIN_SECONDS;
	ps->load = l;
	deadline_list_init(&ps->answers, l->loop, POLL_REQUEST_SECONDS,
			   poll_answer_expired);
	deadline_list_init(&ps->again, l->loop, again, poll_again_expired);
	ev_tstamp delay = LOAD_RESEND_DELAY;
	for (int k = 0; k < LOAD_RESENDS; k++, delay *= 2)
		deadline_list_init(&ps->resend[k], l->loop, delay,
				   poll_resend_due);
	ps->t0 = ev_now(l->loop);
	ev_timer_init(&ps->wheel, poll_wheel_tick, POLL_TICK_SECONDS,
		      POLL_TICK_SECONDS);
	ps->wheel.data = ps;
	ev_timer_start(l->loop, &ps->wheel);
	l->transport_state = ps;
	return 0;
}

const struct transport transport_poll = {
	.name = "poll",
	.init = poll_init,
	.fds_per_user = poll_fds_per_user,
	.start = poll_start,
	.send = poll_send,
	.restart = poll_restart,
	.stop = poll_stop,
	.drop = poll_drop,
};
