/* client.c: one HTTP client connection of http-filed, from accept to close.
 *
 * States: IDLE (between requests, on the idle list), READING (a request
 * has begun: its head and body must arrive before the header timeout),
 * WAITING (the request is at a backend; reading is paused), WRITING (the
 * response is queued in the kernel-full case; reading is paused, so
 * pipelined requests wait their turn and responses keep their order).
 * The head is handed to the parser only once its end has arrived (or a
 * limit is passed), so a client sending one byte at a time costs a scan of
 * the new bytes only. A graceful stop closes the IDLE connections and
 * lets the others finish their request, answered "Connection: close". */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "httpd.h"
#include "log.h"
#include "path.h"

static struct ev_loop *clients_loop;
static struct client *clients_head;
static size_t clients_n;
static struct deadline_list clients_idle, clients_reading;

static int client_on_drain(struct conn *c);

size_t clients_count(void)
{
	return clients_n;
}

static struct client *client_of_deadline(struct deadline_entry *e)
{
	return (struct client *)((char *)e - offsetof(struct client, deadline));
}

static void client_expire(struct deadline_list *l, struct deadline_entry *e)
{
	struct client *cl = client_of_deadline(e);
	if (l == &clients_reading && cl->state == CLIENT_READING) {
		log_info("%s: request not received in time", cl->peer);
		cl->keep_alive = 0;
		client_send_error(cl, NULL, 408, 0);
		return;
	}
	log_debug("%s: idle timeout", cl->peer);
	client_close(cl);
}

void clients_init(struct ev_loop *loop)
{
	clients_loop = loop;
	deadline_list_init(&clients_idle, loop,
			   (ev_tstamp)httpd_config.idle_timeout, client_expire);
	deadline_list_init(&clients_reading, loop,
			   (ev_tstamp)httpd_config.header_timeout,
			   client_expire);
}

/* The deadline list a client in state s belongs on, or NULL. */
static struct deadline_list *client_list_for(enum client_state s)
{
	if (s == CLIENT_IDLE || s == CLIENT_WRITING)
		return &clients_idle;
	if (s == CLIENT_READING)
		return &clients_reading;
	return NULL;
}

static void client_set_state(struct client *cl, enum client_state s)
{
	struct deadline_list *from = client_list_for(cl->state);
	struct deadline_list *to = client_list_for(s);
	if (from && from != to)
		deadline_remove(from, &cl->deadline);
	cl->state = s;
	if (to)
		deadline_touch(to, &cl->deadline);
}

static void client_unlist(struct client *cl)
{
	struct deadline_list *l = client_list_for(cl->state);
	if (l)
		deadline_remove(l, &cl->deadline);
	if (cl->prev)
		cl->prev->next = cl->next;
	else
		clients_head = cl->next;
	if (cl->next)
		cl->next->prev = cl->prev;
}

void client_close(struct client *cl)
{
	if (cl->pending)
		backend_abort(cl->pending);
	cl->pending = NULL;
	client_unlist(cl);
	conn_close(&cl->conn);
	free(cl);
	clients_n--;
	if (clients_n == 0 && daemon_is_stopping())
		backends_stop_soon(); /* we may be in a backend's callback */
}

/* A connection kept alive gets TCP_NODELAY, so that a small response
   written while the previous one is unacknowledged is not held back by
   Nagle's algorithm; one that closes after its response never needs it. */
static void client_set_nodelay(struct client *cl)
{
	int one = 1;
	if (!cl->is_tcp || cl->nodelay)
		return;
	setsockopt(cl->conn.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	cl->nodelay = 1;
}

/* The response has been handed to the connection. */
static int client_sent(struct client *cl)
{
	if (!conn_is_flushed(&cl->conn)) {
		client_set_state(cl, CLIENT_WRITING);
		conn_pause(&cl->conn);
		return 0;
	}
	if (!cl->keep_alive) {
		client_close(cl);
		return -1;
	}
	client_set_state(cl, CLIENT_IDLE);
	client_set_nodelay(cl);
	if (cl->conn.paused)
		return conn_resume(&cl->conn);
	return 0;
}

int client_send(struct client *cl, const char *data, size_t len)
{
	if (conn_write(&cl->conn, data, len, 0) < 0) {
		log_debug("%s: write: %m", cl->peer);
		client_close(cl);
		return -1;
	}
	return client_sent(cl);
}

int client_send_file(struct client *cl, const char *head, size_t len, int fd,
		     off_t off, uint64_t count)
{
	if (conn_write(&cl->conn, head, len, 1) < 0 ||
	    conn_sendfile(&cl->conn, fd, off, count) < 0) {
		log_debug("%s: write: %m", cl->peer);
		client_close(cl);
		return -1;
	}
	return client_sent(cl);
}

int client_send_error(struct client *cl, const struct http_request *req,
		      int status, int keep)
{
	struct access_entry e;
	access_entry_from_request(&e, cl->peer, req);
	return client_send_status(cl, req ? req->version_minor : 1,
				  req && req->method == HTTP_METHOD_HEAD,
				  status, keep, &e);
}

int client_send_status(struct client *cl, int minor, int head_only, int status,
		       int keep, struct access_entry *e)
{
	if (!keep)
		cl->keep_alive = 0;
	char body[64];
	int n = snprintf(body, sizeof body, "%d %s\n", status,
			 response_reason(status));
	struct response r;
	response_begin(&r, minor, status);
	response_header(&r, "Content-Type", "text/plain; charset=utf-8");
	response_header_u64(&r, "Content-Length", (uint64_t)n);
	if (status == 405)
		response_header(&r, "Allow", "GET, HEAD");
	response_end(&r, minor, cl->keep_alive);
	if (!head_only) {
		char *room = response_body_room(&r, (size_t)n);
		if (room) {
			memcpy(room, body, (size_t)n);
			r.len += (size_t)n;
		}
	}
	e->status = status;
	e->bytes = head_only ? 0 : (uint64_t)n;
	accesslog_write(e);
	return client_send(cl, r.p, r.len);
}

int client_send2(struct client *cl, const char *head, size_t hlen,
		 const char *body, size_t blen)
{
	if (conn_write(&cl->conn, head, hlen, blen > 0) < 0 ||
	    (blen && conn_write(&cl->conn, body, blen, 0) < 0)) {
		log_debug("%s: write: %m", cl->peer);
		client_close(cl);
		return -1;
	}
	return client_sent(cl);
}

void client_wait(struct client *cl, struct backend_request *r)
{
	cl->pending = r;
	client_set_state(cl, CLIENT_WAITING);
}

static int client_is_allowed_static(const struct http_request *req)
{
	return req->method == HTTP_METHOD_GET ||
	       req->method == HTTP_METHOD_HEAD;
}

/* Serves one complete request whose body is body[0..body_len). */
static int client_dispatch(struct client *cl, const struct http_request *req,
			   const char *body, size_t body_len)
{
	char path[HTTPD_PATH_MAX];
	int slash, status;
	const char *query;
	size_t query_len;
	cl->keep_alive = req->keep_alive && !daemon_is_stopping();
	if (path_normalize(req->target, req->target_len, path, sizeof path,
			   &slash, &query, &query_len, &status) < 0)
		return client_send_error(cl, req, status, 0);
	const struct httpd_route *route = backend_route_for(path);
	if (route)
		return backend_forward(cl, route, req, body, body_len);
	if (req->method == HTTP_METHOD_OTHER)
		return client_send_error(cl, req, 501, 0);
	if (!client_is_allowed_static(req))
		return client_send_error(cl, req, 405, body_len == 0);
	return static_serve(cl, req, path, slash, query, query_len);
}

/* 1 if the head's end (an empty line) is in p[0..n); scans only what was
   not scanned before. */
static int client_head_complete(struct client *cl, const char *p, size_t n)
{
	size_t from = cl->scanned > 3 ? cl->scanned - 3 : 0;
	cl->scanned = (uint32_t)n;
	const char *q = p + from, *end = p + n;
	while ((q = memchr(q, '\n', (size_t)(end - q))) != NULL) {
		q++;
		if (q < end && *q == '\n')
			return 1;
		if (q + 1 < end && q[0] == '\r' && q[1] == '\n')
			return 1;
	}
	return 0;
}

static int client_head_over_limit(const char *p, size_t n)
{
	if (n > (size_t)httpd_config.max_head)
		return 1;
	return n > (size_t)httpd_config.max_request_line &&
	       !memchr(p, '\n', (size_t)httpd_config.max_request_line + 1);
}

static void client_begin_reading(struct client *cl)
{
	if (cl->state == CLIENT_IDLE)
		client_set_state(cl, CLIENT_READING);
}

/* Handles the request at the start of p[0..n). Returns 1 and *used if it
   was handled, 0 if more bytes are needed, -1 if the client was closed. */
static int client_handle_one(struct client *cl, const char *p, size_t n,
			     size_t *used)
{
	struct http_request req;
	int status = 400;
	*used = 0;
	if (!cl->head_seen) {
		if (client_head_complete(cl, p, n))
			cl->head_seen = 1;
		else if (!client_head_over_limit(p, n)) {
			client_begin_reading(cl);
			return 0;
		}
	}
	enum http_parse_result r =
		http_parse_request(p, n, &httpd_config.limits, &req, &status);
	if (r == HTTP_PARSE_INCOMPLETE) {
		client_begin_reading(cl);
		return 0;
	}
	if (r == HTTP_PARSE_ERROR) {
		*used = n;
		return client_send_error(cl, NULL, status, 0) < 0 ? -1 : 1;
	}
	if (req.content_length > (uint64_t)httpd_config.max_body) {
		*used = n;
		return client_send_error(cl, &req, 413, 0) < 0 ? -1 : 1;
	}
	size_t total = req.head_len + (size_t)req.content_length;
	if (n < total) {
		client_begin_reading(cl);
		if (req.expect_continue && !cl->sent_continue) {
			static const char cont[] =
				"HTTP/1.1 100 Continue\r\n\r\n";
			cl->sent_continue = 1;
			if (conn_write(&cl->conn, cont, sizeof cont - 1, 0) <
			    0) {
				client_close(cl);
				return -1;
			}
		}
		return 0;
	}
	*used = total;
	cl->scanned = 0;
	cl->head_seen = 0;
	cl->sent_continue = 0;
	if (client_dispatch(cl, &req, p + req.head_len,
			    (size_t)req.content_length) < 0)
		return -1;
	return 1;
}

static ssize_t client_on_read(struct conn *c, const char *data, size_t len)
{
	struct client *cl = (struct client *)c;
	size_t used = 0;
	while (used < len) {
		if (cl->state == CLIENT_WAITING ||
		    cl->state == CLIENT_WRITING) {
			conn_pause(c);
			break;
		}
		size_t n;
		int r = client_handle_one(cl, data + used, len - used, &n);
		if (r < 0)
			return -1;
		used += n;
		if (r == 0)
			break;
	}
	return (ssize_t)used;
}

static int client_on_eof(struct conn *c)
{
	struct client *cl = (struct client *)c;
	if (cl->state == CLIENT_WRITING) {
		cl->keep_alive = 0;
		return 0;
	}
	client_close(cl);
	return -1;
}

static int client_on_drain(struct conn *c)
{
	struct client *cl = (struct client *)c;
	if (cl->state != CLIENT_WRITING)
		return 0;
	if (!cl->keep_alive || cl->conn.eof) {
		client_close(cl);
		return -1;
	}
	client_set_state(cl, CLIENT_IDLE);
	client_set_nodelay(cl);
	return conn_resume(c);
}

static void client_on_close(struct conn *c, int error)
{
	struct client *cl = (struct client *)c;
	if (error && error != ECONNRESET && error != EPIPE)
		log_info("%s: %s", cl->peer, strerror(error));
	client_close(cl);
}

static const struct conn_ops client_conn_ops = {
	.on_read = client_on_read,
	.on_eof = client_on_eof,
	.on_drain = client_on_drain,
	.on_close = client_on_close,
};

void client_start(struct ev_loop *loop, int fd, const char *peer, int is_tcp)
{
	struct client *cl = calloc(1, sizeof *cl);
	if (!cl) {
		log_warn("out of memory, dropping %s", peer);
		close(fd);
		return;
	}
	size_t in_limit =
		(size_t)httpd_config.max_head + (size_t)httpd_config.max_body;
	conn_init(&cl->conn, loop, fd, &client_conn_ops, cl, in_limit,
		  HTTPD_OUT_LIMIT, HTTPD_OUT_HIGH);
	snprintf(cl->peer, sizeof cl->peer, "%s", peer);
	cl->keep_alive = 1;
	cl->next = clients_head;
	if (clients_head)
		clients_head->prev = cl;
	clients_head = cl;
	clients_n++;
	cl->is_tcp = is_tcp != 0;
	client_set_state(cl, CLIENT_IDLE);
	conn_read_now(&cl->conn); /* the request has often arrived already */
}

void clients_stop(void)
{
	struct client *cl = clients_head, *next;
	for (; cl; cl = next) {
		next = cl->next;
		cl->keep_alive = 0; /* its last response closes it */
		if (cl->state != CLIENT_IDLE || cl->conn.paused)
			continue;
		/* a request that has arrived but was not read yet (a client
		   accepted just before the stop) is served, not cut off */
		if (conn_read_now(&cl->conn) < 0)
			continue; /* served and closed, or gone */
		if (cl->state == CLIENT_IDLE)
			client_close(cl);
	}
}
