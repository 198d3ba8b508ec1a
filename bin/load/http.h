/* http.h: the minimal HTTP/1.1 client parley-load needs for BOSH.
 *
 * An http_conn is one keep-alive connection carrying one request at a
 * time: POST, Content-Type text/xml; charset=utf-8, a Content-Length
 * body, and a response with a Content-Length body (chunked encoding is
 * refused). It lives inside its owner (bosh.c) and reports through
 * struct http_conn_ops. A request on a reused keep-alive connection that
 * the server closed before answering is sent again at once on a new
 * connection, transparently (the server may close idle connections). A
 * request that meets a network error (connect refused, connection reset
 * or closed before the whole response) or gets a 5xx status is sent again,
 * the same bytes, up to LOAD_RESENDS times, after LOAD_RESEND_DELAY
 * seconds doubling each time, as XEP-0124 14 asks of a BOSH client; only
 * then does the owner hear of it. The response parser (http_resp_parse) is
 * sans-I/O. */
#ifndef PARLEY_LOAD_HTTP_H
#define PARLEY_LOAD_HTTP_H

#include <ev.h>
#include <stddef.h>

#include "buf.h"
#include "deadline.h"
#include "load.h"

/* ---- the response parser (http_resp.c) ---- */
struct http_resp {
	int status;
	size_t head_len, body_len;
	int close; /* Connection: close, or HTTP/1.0 without keep-alive */
};

/* 1 when data[0..len) begins with a whole response (r filled), 0 if more
   bytes are needed, -1 if it is malformed, too large (HTTP_MAX_HEAD,
   HTTP_MAX_BODY) or uses a framing this client does not support. */
int http_resp_parse(const char *data, size_t len, struct http_resp *r);

/* ---- connections (http.c) ---- */
enum http_conn_state {
	HTTP_CLOSED,
	HTTP_IDLE, /* connected, no request */
	HTTP_BUSY, /* a request is out (or connecting to send it) */
};

/* What every connection of one client shares. */
struct http_client {
	struct ev_loop *loop;
	struct load *load; /* its counters */
	const struct load_config *cfg;
	struct deadline_list deadlines;		   /* request timeouts */
	struct deadline_list resend[LOAD_RESENDS]; /* the k-th resend's delay */
};

struct http_conn;

struct http_conn_ops {
	/* A whole response; body is valid during the call only. The
	   connection is already idle (or closed) and may be used again. */
	void (*on_response)(struct http_conn *c, int status, const char *body,
			    size_t len);
	/* The request failed (kind: connect, timeout, closed, http), after
	   its resends. The connection is closed and may be used again. */
	void (*on_error)(struct http_conn *c, enum fail_kind kind,
			 const char *why);
};

struct http_conn {
	struct deadline_entry deadline;	 /* first: the request timeout */
	struct deadline_entry resend_at; /* waiting to be sent again */
	ev_io io;
	struct http_client *client;
	const struct http_conn_ops *ops;
	void *owner;
	int fd;
	uint8_t state;	   /* enum http_conn_state */
	uint8_t events;	   /* what io watches */
	uint8_t connected; /* the connect completed */
	uint8_t reused;	   /* the request went out on a kept-alive connection */
	uint8_t got_bytes; /* part of the response arrived */
	uint8_t resends;   /* times this request was sent again */
	size_t written;	   /* bytes of out already sent */
	struct buf out;	   /* the whole request, kept for a resend */
	struct buf in;	   /* the response so far */
};

/* Sets up the shared part; request timeout in seconds. */
void http_client_init(struct http_client *hc, struct load *l,
		      ev_tstamp timeout);
void http_conn_init(struct http_conn *c, struct http_client *hc,
		    const struct http_conn_ops *ops, void *owner);
int http_conn_is_busy(const struct http_conn *c);
/* 1 if the connection has a socket (connected or connecting). */
int http_conn_is_open(const struct http_conn *c);
/* Sends a POST with this body on c (connecting if needed). 0, or -1 with
   errno ENOBUFS (the request is too large). */
int http_conn_post(struct http_conn *c, const char *body, size_t len);
/* Closes the connection, abandoning a request in flight; no callback. */
void http_conn_close(struct http_conn *c);

#endif
