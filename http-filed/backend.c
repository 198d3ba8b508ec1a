/* backend.c: forwards routed requests to backend daemons over the framed
 * protocol (common/PROTOCOL.md, "HTTP gateway").
 *
 * Each worker keeps one framed connection per route. A request becomes one
 * FRAME_HTTP_REQUEST on a fresh channel; the FRAME_HTTP_RESPONSE on that
 * channel becomes the HTTP response. Held requests are found by channel in
 * a small hash table and expire on one deadline list (the backend
 * timeout, 504). A lost backend fails its held requests with 503 and is
 * reconnected with backoff; a request arriving while it is down gets 503
 * at once.
 *
 * A prefix given with several sockets is served by several instances of
 * one backend (PROTOCOL.md 8.5): a request naming a session (session_key.c)
 * goes to the instance whose tag begins the session key, any other request
 * to the next connected instance in turn. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attr.h"
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
	int connected;
	int warned; /* "cannot connect" was logged since the last success */
	ev_timer retry;
	ev_tstamp backoff;
	uint32_t next_channel;
	struct backend_request *buckets[BACKEND_BUCKETS];
	struct deadline_list timeouts;
	char instance[INSTANCE_TAG_MAX + 1]; /* announced by it, or "" */
	char name[HTTPD_PREFIX_MAX + 16];
};

struct backend_request {
	struct deadline_entry deadline; /* first member */
	struct backend_request *next;	/* in its bucket */
	struct backend *b;
	struct client *cl;
	uint32_t channel;
	int version_minor;
	int head_only;
	size_t line_len, referer_len, agent_len;
	int has_referer, has_agent;
	char strings[]; /* request line, referer, agent: for the access log */
};

static struct backend backends[HTTPD_MAX_ROUTES];
static size_t backends_n;
static size_t backend_turn; /* round robin among a prefix's instances */
static struct buf backend_payload;

static void backend_connect(struct backend *b);

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

/* Unlinks r from its backend's table and deadline list and frees it. */
static void backend_request_free(struct backend_request *r)
{
	struct backend_request **p = backend_slot(r->b, r->channel);
	if (*p == r)
		*p = r->next;
	deadline_remove(&r->b->timeouts, &r->deadline);
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

static void backend_schedule_retry(struct backend *b)
{
	if (daemon_is_stopping() || ev_is_active(&b->retry))
		return;
	ev_timer_set(&b->retry, b->backoff, 0);
	ev_timer_start(b->loop, &b->retry);
	b->backoff *= 2;
	if (b->backoff > BACKEND_RETRY_MAX)
		b->backoff = BACKEND_RETRY_MAX;
}

static void backend_on_close(struct fconn *f, int error, const char *why)
{
	struct backend *b = (struct backend *)f;
	(void)error;
	log_warn("%s: connection lost: %s", b->name, why);
	fconn_close(f);
	b->connected = 0;
	b->instance[0] = '\0';
	backend_fail_all(b, 503);
	backend_schedule_retry(b);
}

static int backend_on_hello(struct fconn *f)
{
	struct backend *b = (struct backend *)f;
	log_info("%s: connected to %s", b->name, f->peer_role);
	b->backoff = BACKEND_RETRY_MIN;
	b->warned = 0;
	return 0;
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
static int backend_respond(struct backend *b, struct backend_request *r,
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
		return 0;
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
	return 0;
}

/* FRAME_HTTP_INSTANCE: the backend's tag. 0, or -1 if malformed. */
static int backend_on_instance(struct backend *b, const struct frame_header *h,
			       const unsigned char *payload)
{
	if (h->channel != 0 ||
	    !instance_tag_is_valid((const char *)payload, h->length))
		return -1;
	memcpy(b->instance, payload, h->length);
	b->instance[h->length] = '\0';
	for (size_t i = 0; i < backends_n; i++)
		if (&backends[i] != b && backends[i].connected &&
		    strcmp(backends[i].instance, b->instance) == 0)
			log_warn("%s: instance %s is also %s's", b->name,
				 b->instance, backends[i].name);
	log_info("%s: instance %s", b->name, b->instance);
	return 0;
}

static int backend_on_frame(struct fconn *f, const struct frame_header *h,
			    const unsigned char *payload)
{
	struct backend *b = (struct backend *)f;
	if (h->type == FRAME_HTTP_INSTANCE &&
	    backend_on_instance(b, h, payload) == 0)
		return 0;
	if (h->type != FRAME_HTTP_RESPONSE) {
		log_warn("%s: unexpected %s frame", b->name,
			 frame_type_name(h->type));
		fconn_fail(f, "unexpected frame type");
		backend_on_close(f, EPROTO, "protocol error");
		return -1;
	}
	struct backend_request *r = *backend_slot(b, h->channel);
	if (!r) {
		log_debug("%s: response for unknown channel %u dropped",
			  b->name, h->channel);
		return 0;
	}
	return backend_respond(b, r, payload, h->length);
}

static const struct fconn_ops backend_fconn_ops = {
	.on_hello = backend_on_hello,
	.on_frame = backend_on_frame,
	.on_close = backend_on_close,
};

static void backend_connect(struct backend *b)
{
	if (b->connected || daemon_is_stopping())
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
}

static void backend_on_retry(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	struct backend *b =
		(struct backend *)((char *)w - offsetof(struct backend, retry));
	backend_connect(b);
}

int backends_start(struct ev_loop *loop)
{
	buf_init(&backend_payload, FRAME_MAX_PAYLOAD);
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

void backends_stop(void)
{
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
backend_request_new(struct backend *b, struct client *cl,
		    const struct http_request *req)
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
	r->b = b;
	r->cl = cl;
	r->version_minor = req->version_minor;
	r->head_only = req->method == HTTP_METHOD_HEAD;
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
	do
		r->channel = ++b->next_channel;
	while (r->channel == 0 || *backend_slot(b, r->channel));
	return r;
}

/* The instance of route's backend that gets a request with this body:
   the owner of the session it names, else the next connected one; NULL if
   none is connected. */
static struct backend *backend_pick(const struct httpd_route *route,
				    const char *body, size_t body_len)
{
	char key[SESSION_KEY_MAX + 1];
	size_t key_len = session_key_find(body, body_len, key);
	struct backend *group[HTTPD_MAX_ROUTES];
	size_t n = 0;
	for (size_t i = 0; i < backends_n; i++) {
		struct backend *b = &backends[i];
		if (strcmp(b->route->prefix, route->prefix) != 0)
			continue;
		backend_connect(b);
		if (!b->connected)
			continue;
		if (key_len && instance_owns_key(b->instance, key, key_len))
			return b;
		group[n++] = b;
	}
	/* No owner: a new session, or one whose instance is gone (any
	   instance answers that the session does not exist). */
	return n ? group[backend_turn++ % n] : NULL;
}

int backend_forward(struct client *cl, const struct httpd_route *route,
		    const struct http_request *req, const char *body,
		    size_t body_len)
{
	struct backend *b = backend_pick(route, body, body_len);
	if (!b)
		return client_send_error(cl, req, 503, 1);
	if (backend_encode(cl, route, req, body, body_len) < 0)
		return client_send_error(cl, req, 413, 0);
	struct backend_request *r = backend_request_new(b, cl, req);
	if (!r)
		return client_send_error(cl, req, 503, 1);
	if (fconn_send(&b->f, FRAME_HTTP_REQUEST, r->channel,
		       buf_head(&backend_payload), backend_payload.len) < 0) {
		free(r);
		log_warn("%s: send: %m", b->name);
		backend_on_close(&b->f, errno, "send failed");
		return client_send_error(cl, req, 503, 1);
	}
	struct backend_request **slot = backend_slot(b, r->channel);
	*slot = r;
	deadline_touch(&b->timeouts, &r->deadline);
	client_wait(cl, r);
	return 0;
}

void backend_abort(struct backend_request *r)
{
	struct backend *b = r->b;
	if (b->connected)
		fconn_send(&b->f, FRAME_HTTP_ABORT, r->channel, NULL, 0);
	backend_request_free(r);
}
