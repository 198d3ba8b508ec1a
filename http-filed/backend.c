/* backend.c: forwards routed requests to backend daemons over the framed
 * protocol (common/PROTOCOL.md 8).
 *
 * Each worker keeps one framed connection per route socket (an instance
 * of the prefix's backend). A request becomes one FRAME_HTTP_REQUEST on a
 * fresh channel; the FRAME_HTTP_RESPONSE on that channel becomes the HTTP
 * response. Requests sent are found by channel in a small hash table and
 * expire on one deadline list per connection (the backend timeout, 504);
 * a lost connection fails them with 503 and is reconnected with backoff.
 *
 * Which instance gets a request is backend_pick.c's decision (8.6, 8.7).
 * A request that no instance can take now waits here, its frame encoded,
 * on one FIFO deadline list per worker (--backend-wait, --backend-queue);
 * every event that can make an instance usable (a HELLO, a tag, a closed
 * connection) walks that list again. An instance that sent HTTP_DRAIN gets
 * no new request, and when its connection closes it is reconnected at
 * once: its successor is expected on the same socket. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attr.h"
#include "backend_pick.h"
#include "daemon.h"
#include "fconn.h"
#include "httpd.h"
#include "instance.h"
#include "listen.h"
#include "log.h"
#include "path.h"
#include "session_key.h"

#define BACKEND_BUCKETS 1024
#define BACKEND_RETRY_MIN 0.05
#define BACKEND_RETRY_MAX 1.0

struct backend {
	struct fconn f; /* first member */
	const struct httpd_route *route;
	struct ev_loop *loop;
	int connected; /* f is live; its HELLO may not have come yet */
	int hello;     /* the peer's HELLO arrived */
	int draining;  /* it sent HTTP_DRAIN: no new request goes to it */
	int warned;    /* "cannot connect" was logged since the last success */
	ev_timer retry;
	ev_tstamp backoff;
	ev_tstamp connected_at;
	uint32_t next_channel;
	size_t outstanding; /* requests sent on f, not answered yet */
	struct backend_request *buckets[BACKEND_BUCKETS];
	struct deadline_list timeouts;
	char instance[INSTANCE_TAG_MAX + 1]; /* announced by it, or "" */
	/* The last connection that had announced a tag and closed: */
	char gone_tag[INSTANCE_TAG_MAX + 1];
	ev_tstamp gone_at;
	int gone_drained; /* it had sent HTTP_DRAIN */
	char name[HTTPD_PREFIX_MAX + 16];
};

/* A request from the moment it is routed: first maybe waiting (b NULL,
   frame held, on backend_waiting), then sent (b set, in b's table and on
   b->timeouts). */
struct backend_request {
	struct deadline_entry deadline; /* first member */
	struct backend_request *next;	/* in its bucket */
	struct backend *b;		/* NULL until sent */
	struct client *cl;
	const struct httpd_route *route;
	unsigned char *frame; /* while waiting: the HTTP_REQUEST payload */
	size_t frame_len;
	int waiting; /* on backend_waiting */
	uint32_t channel;
	int version_minor;
	int head_only;
	size_t key_len;
	char key[SESSION_KEY_MAX + 1];
	size_t line_len, referer_len, agent_len;
	int has_referer, has_agent;
	char strings[]; /* request line, referer, agent: for the access log */
};

static struct backend backends[HTTPD_MAX_ROUTES];
static size_t backends_n;
static unsigned backend_turn; /* ties among a prefix's instances */
static struct buf backend_payload;
static int backends_stopped;
static ev_timer backends_stop_timer;

/* Requests that wait for an instance, oldest first (PROTOCOL.md 8.7). */
static struct deadline_list backend_waiting;
static size_t backend_waiting_n, backend_waiting_bytes;
/* What became of the requests that waited, since the list was last
   empty: for one log line per episode. */
static size_t backend_waited_sent, backend_waited_failed, backend_waited_gone;
static int backend_queue_full_logged;

const struct httpd_route *backend_route_for(const char *path)
{
	for (size_t i = 0; i < httpd_config.nroutes; i++)
		if (path_has_prefix(path, httpd_config.routes[i].prefix))
			return &httpd_config.routes[i];
	return NULL;
}

static struct backend_request **backend_slot(struct backend *b, uint32_t ch)
{
	struct backend_request **p = &b->buckets[ch % BACKEND_BUCKETS];
	while (*p && (*p)->channel != ch)
		p = &(*p)->next;
	return p;
}

/* ---- the waiting list */

static void backend_waiting_episode_end(void)
{
	log_info("no request waits for a backend any more: %zu forwarded, "
		 "%zu answered 503, %zu clients left",
		 backend_waited_sent, backend_waited_failed,
		 backend_waited_gone);
	backend_waited_sent = backend_waited_failed = backend_waited_gone = 0;
	backend_queue_full_logged = 0;
}

/* Takes r off the waiting list (the list's timer may have done it). */
static void backend_unwait(struct backend_request *r)
{
	if (!r->waiting)
		return;
	r->waiting = 0;
	deadline_remove(&backend_waiting, &r->deadline);
	backend_waiting_n--;
	backend_waiting_bytes -= r->frame_len;
}

/* Counts what became of a request that waited; logs the end of the
   episode once nothing waits. */
static void backend_waited(size_t *outcome)
{
	(*outcome)++;
	if (backend_waiting_n == 0)
		backend_waiting_episode_end();
}

/* Puts r, whose frame is in backend_payload, on the waiting list. 0, or
   -1 if the list is full (the caller answers 503). */
static int backend_wait(struct backend_request *r)
{
	size_t len = backend_payload.len;
	if (backend_waiting_n >= (size_t)httpd_config.backend_queue ||
	    backend_waiting_bytes + len > HTTPD_WAIT_BYTES_MAX ||
	    !(r->frame = malloc(len ? len : 1))) {
		if (!backend_queue_full_logged)
			log_warn("%zu requests (%zu bytes) wait for a backend "
				 "already: 503 to the next ones",
				 backend_waiting_n, backend_waiting_bytes);
		backend_queue_full_logged = 1;
		return -1;
	}
	memcpy(r->frame, buf_head(&backend_payload), len);
	r->frame_len = len;
	r->waiting = 1;
	if (backend_waiting_n++ == 0)
		log_info("requests wait for a backend (at most %ld s)",
			 httpd_config.backend_wait);
	backend_waiting_bytes += len;
	deadline_touch(&backend_waiting, &r->deadline);
	log_debug("%s: request waits for a backend (%zu waiting)", r->cl->peer,
		  backend_waiting_n);
	return 0;
}

static int backend_may_wait(void)
{
	return httpd_config.backend_wait > 0 &&
	       httpd_config.backend_queue > 0 && !backends_stopped;
}

/* ---- requests */

/* Unlinks r from wherever it is and frees it. */
static void backend_request_free(struct backend_request *r)
{
	backend_unwait(r);
	if (r->b) {
		struct backend_request **p = backend_slot(r->b, r->channel);
		if (*p == r)
			*p = r->next;
		deadline_remove(&r->b->timeouts, &r->deadline);
		r->b->outstanding--;
	}
	free(r->frame);
	free(r);
}

static void backend_entry(const struct backend_request *r,
			  struct access_entry *e)
{
	memset(e, 0, sizeof *e);
	e->peer = r->cl->peer;
	e->request_line = r->strings;
	e->request_line_len = r->line_len;
	if (r->has_referer) {
		e->referer = r->strings + r->line_len;
		e->referer_len = r->referer_len;
	}
	if (r->has_agent) {
		e->agent = r->strings + r->line_len + r->referer_len;
		e->agent_len = r->agent_len;
	}
}

/* Ends r with an error status for its client, and frees it. */
static void backend_request_fail(struct backend_request *r, int status)
{
	struct client *cl = r->cl;
	struct access_entry e;
	backend_entry(r, &e);
	int minor = r->version_minor, head_only = r->head_only;
	cl->pending = NULL;
	/* The entry points into r: log before freeing by sending first. */
	client_send_status(cl, minor, head_only, status, 1, &e);
	backend_request_free(r);
}

static void backend_fail_all(struct backend *b, int status)
{
	for (size_t i = 0; i < BACKEND_BUCKETS; i++)
		while (b->buckets[i])
			backend_request_fail(b->buckets[i], status);
}

static void backend_on_timeout(struct deadline_list *l,
			       struct deadline_entry *e)
{
	struct backend_request *r = (struct backend_request *)e;
	struct backend *b = l->data;
	log_warn("%s: request on channel %u timed out", b->name, r->channel);
	if (b->connected)
		fconn_send(&b->f, FRAME_HTTP_ABORT, r->channel, NULL, 0);
	deadline_touch(l, e); /* backend_request_free unlinks it again */
	backend_request_fail(r, 504);
}

/* ---- choosing an instance */

/* 1 if b's tag is known: announced, or never coming (a peer < 1.3). */
static int backend_tag_is_known(const struct backend *b)
{
	return b->hello && (b->f.peer_minor < 3 || b->instance[0] != '\0');
}

static void backend_describe(const struct backend *b, ev_tstamp now,
			     struct pick_slot *s)
{
	memset(s, 0, sizeof *s);
	s->hello = b->connected && b->hello;
	s->draining = b->connected && b->draining;
	s->tag_pending =
		b->connected && !backend_tag_is_known(b) &&
		now - b->connected_at < (ev_tstamp)httpd_config.backend_wait;
	s->tag = b->instance;
	s->load = b->outstanding;
	s->gone_tag = b->gone_tag;
	s->gone_drained = b->gone_drained;
	s->gone_age = now - b->gone_at;
}

/* The instance of r's prefix that takes r now, or NULL: then *wait says
   whether r may wait for one (else it gets 503). */
static struct backend *backend_choose(const struct backend_request *r,
				      int may_wait, int *wait)
{
	struct pick_slot slots[HTTPD_MAX_ROUTES];
	struct backend *group[HTTPD_MAX_ROUTES];
	size_t n = 0;
	ev_tstamp now = backends_n ? ev_now(backends[0].loop) : 0;
	for (size_t i = 0; i < backends_n; i++) {
		struct backend *b = &backends[i];
		if (strcmp(b->route->prefix, r->route->prefix) != 0)
			continue;
		backend_describe(b, now, &slots[n]);
		group[n++] = b;
	}
	int i = backend_pick(slots, n, r->key, r->key_len, may_wait,
			     (double)httpd_config.backend_wait, &backend_turn);
	*wait = i == PICK_WAIT;
	return i >= 0 ? group[i] : NULL;
}

/* ---- connections */

static void backend_schedule_retry(struct backend *b)
{
	if (backends_stopped || ev_is_active(&b->retry))
		return;
	ev_timer_set(&b->retry, b->backoff, 0);
	ev_timer_start(b->loop, &b->retry);
	b->backoff *= 2;
	if (b->backoff > BACKEND_RETRY_MAX)
		b->backoff = BACKEND_RETRY_MAX;
}

/* A drained connection closed: its successor is expected on the same
   socket, perhaps already in its backlog. Connect at once, back off after
   that. */
static void backend_reconnect_now(struct backend *b)
{
	if (backends_stopped)
		return;
	ev_timer_stop(b->loop, &b->retry);
	ev_timer_set(&b->retry, 0, 0);
	ev_timer_start(b->loop, &b->retry);
	b->backoff = BACKEND_RETRY_MIN;
}

/* Tells b to answer what it holds now (PROTOCOL.md 8.7), if it knows
   how. */
static void backend_release(struct backend *b)
{
	if (!b->connected || !b->hello || b->f.peer_minor < 4)
		return;
	if (fconn_send(&b->f, FRAME_HTTP_RELEASE, 0, NULL, 0) < 0)
		log_warn("%s: cannot send HTTP_RELEASE: %m", b->name);
}

static void backend_on_close(struct fconn *f, int error, const char *why);

/* Sends r's frame payload[0..len) on b. 0, or -1 if it could not be sent:
   then b is closed (its requests failed) and r is not on it. */
static int backend_send(struct backend_request *r, struct backend *b,
			const void *payload, size_t len)
{
	do
		r->channel = ++b->next_channel;
	while (r->channel == 0 || *backend_slot(b, r->channel));
	if (fconn_send(&b->f, FRAME_HTTP_REQUEST, r->channel, payload, len) <
	    0) {
		log_warn("%s: send: %m", b->name);
		backend_on_close(&b->f, errno, "send failed");
		return -1;
	}
	r->b = b;
	*backend_slot(b, r->channel) = r;
	deadline_touch(&b->timeouts, &r->deadline);
	b->outstanding++;
	/* Stopping: it must not hold this one either. */
	if (daemon_is_stopping())
		backend_release(b);
	return 0;
}

/* Sends waiting r on b. 0, or -1 if it failed (r was answered 503). */
static int backend_send_waiting(struct backend_request *r, struct backend *b)
{
	backend_unwait(r);
	if (backend_send(r, b, r->frame, r->frame_len) < 0) {
		backend_request_fail(r, 503);
		backend_waited(&backend_waited_failed);
		return -1;
	}
	free(r->frame);
	r->frame = NULL;
	backend_waited(&backend_waited_sent);
	return 0;
}

/* Sends every waiting request that an instance takes now, oldest first.
   A sent request changes nothing else; a failed send may change anything
   (clients answered, closed, new requests): the walk then stops, and the
   closed connection walks again. */
static void backend_wake(void)
{
	struct deadline_entry *e, *next;
	for (e = backend_waiting.head; e; e = next) {
		next = e->next;
		struct backend_request *r = (struct backend_request *)e;
		int wait;
		struct backend *b = backend_choose(r, 1, &wait);
		if (b && backend_send_waiting(r, b) < 0)
			return;
	}
}

/* The waiting time is over: the request goes where rule 3 says, at once,
   or gets 503. */
static void backend_on_wait_over(struct deadline_list *l,
				 struct deadline_entry *e)
{
	struct backend_request *r = (struct backend_request *)e;
	int wait;
	(void)l;
	struct backend *b = backend_choose(r, 0, &wait);
	if (b) {
		backend_send_waiting(r, b);
		return;
	}
	log_debug("%s: waited %ld s for a backend: 503", r->cl->peer,
		  httpd_config.backend_wait);
	backend_unwait(r);
	backend_request_fail(r, 503);
	backend_waited(&backend_waited_failed);
}

static void backend_on_close(struct fconn *f, int error, const char *why)
{
	struct backend *b = (struct backend *)f;
	(void)error;
	if (b->draining)
		log_info("%s: connection lost after its drain (%zu requests "
			 "unanswered), reconnecting at once",
			 b->name, b->outstanding);
	else
		log_warn("%s: connection lost: %s", b->name, why);
	fconn_close(f);
	int drained = b->draining;
	if (b->instance[0]) {
		memcpy(b->gone_tag, b->instance, sizeof b->gone_tag);
		b->gone_at = ev_now(b->loop);
		b->gone_drained = drained;
	}
	b->connected = b->hello = b->draining = 0;
	b->instance[0] = '\0';
	backend_fail_all(b, 503);
	if (drained)
		backend_reconnect_now(b);
	else
		backend_schedule_retry(b);
	backend_wake(); /* a pending tag is not pending any more */
}

static int backend_on_hello(struct fconn *f)
{
	struct backend *b = (struct backend *)f;
	log_info("%s: connected to %s (protocol 1.%u)", b->name, f->peer_role,
		 f->peer_minor);
	b->hello = 1;
	b->backoff = BACKEND_RETRY_MIN;
	b->warned = 0;
	if (daemon_is_stopping())
		backend_release(b);
	backend_wake();
	return b->connected ? 0 : -1;
}

/* 1 if a backend's header may be passed on: well formed, not hop-by-hop,
   not one that http-filed sets itself. */
static int backend_header_passes(const unsigned char *v, size_t len,
				 size_t *name_len)
{
	static const char *const dropped[] = {
		"connection",	  "keep-alive",	      "transfer-encoding",
		"content-length", "upgrade",	      "date",
		"server",	  "proxy-connection", "te",
		"trailer",
	};
	const unsigned char *colon = memchr(v, ':', len);
	if (!colon || colon == v || memchr(v, '\r', len) ||
	    memchr(v, '\n', len) || memchr(v, '\0', len))
		return 0;
	*name_len = (size_t)(colon - v);
	for (size_t i = 0; i < *name_len; i++)
		if (v[i] <= ' ' || v[i] >= 0x7f)
			return 0;
	for (size_t i = 0; i < sizeof dropped / sizeof dropped[0]; i++)
		if (strlen(dropped[i]) == *name_len &&
		    strncasecmp((const char *)v, dropped[i], *name_len) == 0)
			return 0;
	return 1;
}

/* Turns a response frame into the client's HTTP response. */
static void backend_respond(struct backend *b, struct backend_request *r,
			    const unsigned char *payload, size_t len)
{
	struct attr_iter it;
	struct attr a;
	uint32_t status = 0;
	const unsigned char *body = NULL;
	size_t body_len = 0;
	attr_iter_init(&it, payload, len);
	int rc;
	while ((rc = attr_next(&it, &a)) == 1) {
		if (a.key == ATTR_STATUS && attr_get_u32(&a, &status) < 0)
			status = 0;
		else if (a.key == ATTR_BODY) {
			body = a.value;
			body_len = a.len;
		}
	}
	if (rc < 0 || status < 200 || status > 599) {
		log_warn("%s: malformed response on channel %u", b->name,
			 r->channel);
		backend_request_fail(r, 502);
		return;
	}
	struct response resp;
	response_begin(&resp, r->version_minor, (int)status);
	attr_iter_init(&it, payload, len);
	while (attr_next(&it, &a) == 1) {
		size_t nlen;
		if (a.key != ATTR_HEADER ||
		    !backend_header_passes(a.value, a.len, &nlen))
			continue;
		const char *v = (const char *)a.value + nlen + 1;
		size_t vlen = a.len - nlen - 1;
		while (vlen && (*v == ' ' || *v == '\t')) {
			v++;
			vlen--;
		}
		char name[256];
		if (nlen >= sizeof name || resp.len + a.len + 512 > resp.cap)
			continue;
		memcpy(name, a.value, nlen);
		name[nlen] = '\0';
		response_header_n(&resp, name, v, vlen);
	}
	int no_body = r->head_only || status == 204 || status == 304;
	if (status != 204 && status != 304)
		response_header_u64(&resp, "Content-Length", body_len);
	struct client *cl = r->cl;
	response_end(&resp, r->version_minor, cl->keep_alive);
	struct access_entry e;
	backend_entry(r, &e);
	e.status = (int)status;
	e.bytes = no_body ? 0 : body_len;
	accesslog_write(&e);
	cl->pending = NULL;
	backend_request_free(r);
	client_send2(cl, resp.p, resp.len, (const char *)body,
		     no_body ? 0 : body_len);
}

/* Frame handlers: NULL, or the reason the frame is a protocol error. */
static const char *backend_on_response(struct backend *b,
				       const struct frame_header *h,
				       const unsigned char *payload)
{
	struct backend_request *r = *backend_slot(b, h->channel);
	if (!r)
		log_debug("%s: response for unknown channel %u dropped",
			  b->name, h->channel);
	else
		backend_respond(b, r, payload, h->length);
	return NULL;
}

/* FRAME_HTTP_INSTANCE: the backend's tag (8.6). */
static const char *backend_on_instance(struct backend *b,
				       const struct frame_header *h,
				       const unsigned char *payload)
{
	if (h->channel != 0 ||
	    !instance_tag_is_valid((const char *)payload, h->length))
		return "malformed HTTP_INSTANCE";
	memcpy(b->instance, payload, h->length);
	b->instance[h->length] = '\0';
	for (size_t i = 0; i < backends_n; i++)
		if (&backends[i] != b && backends[i].connected &&
		    strcmp(backends[i].instance, b->instance) == 0)
			log_warn("%s: instance %s is also %s's", b->name,
				 b->instance, backends[i].name);
	log_info("%s: instance %s", b->name, b->instance);
	backend_wake();
	return NULL;
}

/* FRAME_HTTP_DRAIN (8.7): nothing new for it; answered HTTP_DRAINED. */
static const char *backend_on_drain(struct backend *b,
				    const struct frame_header *h,
				    const unsigned char *payload)
{
	(void)payload;
	if (b->f.peer_minor < 4)
		return "HTTP_DRAIN from a peer older than 1.4";
	if (h->channel != 0 || h->length != 0)
		return "malformed HTTP_DRAIN";
	if (!b->draining)
		log_info("%s: instance %s drains, %zu requests outstanding",
			 b->name, b->instance[0] ? b->instance : "(untagged)",
			 b->outstanding);
	b->draining = 1;
	if (fconn_send(&b->f, FRAME_HTTP_DRAINED, 0, NULL, 0) < 0)
		return "cannot send HTTP_DRAINED";
	return NULL;
}

/* What http-filed does with each frame type a backend may send. */
static const struct backend_handler {
	uint16_t type;
	const char *(*handle)(struct backend *b, const struct frame_header *h,
			      const unsigned char *payload);
} backend_handlers[] = {
	{FRAME_HTTP_RESPONSE, backend_on_response},
	{FRAME_HTTP_INSTANCE, backend_on_instance},
	{FRAME_HTTP_DRAIN, backend_on_drain},
};

static int backend_on_frame(struct fconn *f, const struct frame_header *h,
			    const unsigned char *payload)
{
	struct backend *b = (struct backend *)f;
	const char *why = "unexpected frame type";
	for (size_t i = 0;
	     i < sizeof backend_handlers / sizeof backend_handlers[0]; i++)
		if (backend_handlers[i].type == h->type) {
			why = backend_handlers[i].handle(b, h, payload);
			break;
		}
	if (why && b->connected) {
		log_warn("%s: %s (%s)", b->name, why, frame_type_name(h->type));
		fconn_fail(f, why);
		backend_on_close(f, EPROTO, "protocol error");
	}
	/* A client answered above may have sent a request that closed b. */
	return b->connected ? 0 : -1;
}

static const struct fconn_ops backend_fconn_ops = {
	.on_hello = backend_on_hello,
	.on_frame = backend_on_frame,
	.on_close = backend_on_close,
};

static void backend_connect(struct backend *b)
{
	if (b->connected || backends_stopped)
		return;
	int fd = connect_unix(b->route->socket);
	if (fd < 0) {
		if (!b->warned)
			log_warn("%s: cannot connect to %s: %m", b->name,
				 b->route->socket);
		b->warned = 1;
		backend_schedule_retry(b);
		return;
	}
	ev_timer_stop(b->loop, &b->retry);
	fconn_init(&b->f, b->loop, fd, &backend_fconn_ops, b, b->name,
		   "http-filed", FRAME_MAX_PAYLOAD);
	b->connected = 1;
	b->hello = b->draining = 0;
	b->instance[0] = '\0';
	b->connected_at = ev_now(b->loop);
}

static void backend_on_retry(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	struct backend *b =
		(struct backend *)((char *)w - offsetof(struct backend, retry));
	backend_connect(b);
}

static void backends_on_stop_timer(struct ev_loop *loop, ev_timer *w,
				   int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	backends_stop();
}

int backends_start(struct ev_loop *loop)
{
	buf_init(&backend_payload, FRAME_MAX_PAYLOAD);
	deadline_list_init(&backend_waiting, loop,
			   (ev_tstamp)httpd_config.backend_wait,
			   backend_on_wait_over);
	ev_timer_init(&backends_stop_timer, backends_on_stop_timer, 0, 0);
	backends_n = httpd_config.nroutes;
	for (size_t i = 0; i < backends_n; i++) {
		struct backend *b = &backends[i];
		memset(b, 0, sizeof *b);
		b->route = &httpd_config.routes[i];
		b->loop = loop;
		b->backoff = BACKEND_RETRY_MIN;
		size_t same = 0;
		for (size_t j = 0; j < i; j++)
			same += strcmp(httpd_config.routes[j].prefix,
				       b->route->prefix) == 0;
		if (same)
			snprintf(b->name, sizeof b->name, "backend %s#%zu",
				 b->route->prefix, same + 1);
		else
			snprintf(b->name, sizeof b->name, "backend %s",
				 b->route->prefix);
		ev_timer_init(&b->retry, backend_on_retry, 0, 0);
		deadline_list_init(&b->timeouts, loop,
				   (ev_tstamp)httpd_config.backend_timeout,
				   backend_on_timeout);
		b->timeouts.data = b;
		backend_connect(b);
	}
	return 0;
}

void backends_release(void)
{
	size_t n = 0;
	for (size_t i = 0; i < backends_n; i++)
		if (backends[i].connected && backends[i].hello &&
		    backends[i].f.peer_minor >= 4) {
			backend_release(&backends[i]);
			n++;
		}
	log_info("stop: HTTP_RELEASE sent to %zu backends, %zu requests "
		 "waiting for one",
		 n, backend_waiting_n);
}

void backends_stop(void)
{
	if (backends_stopped)
		return;
	backends_stopped = 1;
	ev_timer_stop(backend_waiting.loop, &backends_stop_timer);
	deadline_list_stop(&backend_waiting);
	for (size_t i = 0; i < backends_n; i++) {
		struct backend *b = &backends[i];
		ev_timer_stop(b->loop, &b->retry);
		deadline_list_stop(&b->timeouts);
		if (b->connected)
			fconn_close(&b->f);
		b->connected = 0;
	}
	buf_free(&backend_payload);
}

void backends_stop_soon(void)
{
	if (backends_stopped || ev_is_active(&backends_stop_timer))
		return;
	ev_timer_start(backend_waiting.loop, &backends_stop_timer);
}

/* Serialises the request into backend_payload. 0, or -1 if too large. */
static int backend_encode(const struct client *cl,
			  const struct httpd_route *route,
			  const struct http_request *req, const char *body,
			  size_t body_len)
{
	struct buf *p = &backend_payload;
	buf_reset(p);
	int rc = attr_append(p, ATTR_METHOD, req->method_str, req->method_len);
	rc |= attr_append(p, ATTR_TARGET, req->target, req->target_len);
	rc |= attr_append_str(p, ATTR_VERSION,
			      req->version_minor ? "HTTP/1.1" : "HTTP/1.0");
	rc |= attr_append_str(p, ATTR_PEER, cl->peer);
	rc |= attr_append_str(p, ATTR_PREFIX, route->prefix);
	for (size_t i = 0; i < req->nheaders && rc == 0; i++) {
		const struct http_header *h = &req->headers[i];
		char line[HTTPD_PATH_MAX * 4 + 4];
		if (h->name_len + h->value_len + 2 > sizeof line)
			continue;
		memcpy(line, h->name, h->name_len);
		memcpy(line + h->name_len, ": ", 2);
		memcpy(line + h->name_len + 2, h->value, h->value_len);
		rc |= attr_append(p, ATTR_HEADER, line,
				  h->name_len + 2 + h->value_len);
	}
	if (body_len)
		rc |= attr_append(p, ATTR_BODY, body, body_len);
	return rc ? -1 : 0;
}

static struct backend_request *
backend_request_new(struct client *cl, const struct httpd_route *route,
		    const struct http_request *req, const char *body,
		    size_t body_len)
{
	struct access_entry e;
	access_entry_from_request(&e, cl->peer, req);
	size_t rlen = e.referer ? e.referer_len : 0,
	       alen = e.agent ? e.agent_len : 0;
	if (rlen > 512)
		rlen = 512;
	if (alen > 512)
		alen = 512;
	struct backend_request *r =
		malloc(sizeof *r + e.request_line_len + rlen + alen);
	if (!r)
		return NULL;
	memset(r, 0, sizeof *r);
	r->cl = cl;
	r->route = route;
	r->version_minor = req->version_minor;
	r->head_only = req->method == HTTP_METHOD_HEAD;
	r->key_len = session_key_find(body, body_len, r->key);
	r->line_len = e.request_line_len;
	r->referer_len = rlen;
	r->agent_len = alen;
	r->has_referer = e.referer != NULL;
	r->has_agent = e.agent != NULL;
	memcpy(r->strings, e.request_line, e.request_line_len);
	if (rlen)
		memcpy(r->strings + r->line_len, e.referer, rlen);
	if (alen)
		memcpy(r->strings + r->line_len + rlen, e.agent, alen);
	return r;
}

int backend_forward(struct client *cl, const struct httpd_route *route,
		    const struct http_request *req, const char *body,
		    size_t body_len)
{
	if (backend_encode(cl, route, req, body, body_len) < 0)
		return client_send_error(cl, req, 413, 0);
	struct backend_request *r =
		backend_request_new(cl, route, req, body, body_len);
	if (!r)
		return client_send_error(cl, req, 503, 1);
	int wait, rc;
	struct backend *b = backend_choose(r, backend_may_wait(), &wait);
	if (b)
		rc = backend_send(r, b, buf_head(&backend_payload),
				  backend_payload.len);
	else
		rc = wait ? backend_wait(r) : -1;
	if (rc < 0) {
		free(r->frame);
		free(r);
		return client_send_error(cl, req, 503, 1);
	}
	client_wait(cl, r);
	return 0;
}

void backend_abort(struct backend_request *r)
{
	struct backend *b = r->b;
	int waited = r->waiting;
	if (b && b->connected)
		fconn_send(&b->f, FRAME_HTTP_ABORT, r->channel, NULL, 0);
	backend_request_free(r);
	if (waited)
		backend_waited(&backend_waited_gone);
}
