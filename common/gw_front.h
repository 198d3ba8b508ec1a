/* gw_front.h: an HTTP backend's side facing http-filed (PROTOCOL.md 8),
 * shared by boshd and pollgw.
 *
 * Listens on a unix socket where each http-filed worker connects (at most
 * GW_FRONT_MAX_CONNS), announces the daemon's instance tag (8.6), and hands
 * every HTTP_REQUEST to the daemon as a struct gw_request; HTTP_ABORT
 * becomes on_abort. A request is known by a handle made of its
 * connection's id and its channel, so that an answer for a connection that
 * has gone is dropped. Every response carries the configured
 * Access-Control-Allow-Origin and Cache-Control: no-store. */
#ifndef PARLEY_GW_FRONT_H
#define PARLEY_GW_FRONT_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>

#define GW_FRONT_MAX_CONNS 256

/* One request from http-filed; the pointers are valid during on_request
   only and are not NUL-terminated. */
/* method is always there; an absent target, peer or body is "" with
   length 0 (never NULL). headers is an attribute list (attr.h) from the
   first HEADER attribute to the end of the last one (NULL and 0 if there
   is none); other keys may sit in between: read it with
   gw_request_header. */
struct gw_request {
	uint64_t handle;
	const char *method, *target, *peer, *body;
	size_t method_len, target_len, peer_len, body_len;
	const unsigned char *headers; /* the HEADER attributes, raw */
	size_t headers_len;
	int loopback; /* the client came from 127.0.0.0/8 or ::1 */
};

struct gw_front_ops {
	void (*on_request)(const struct gw_request *r);
	/* The client went away before its answer (e.g. a page reload). */
	void (*on_abort)(uint64_t handle);
	/* HTTP_RELEASE (PROTOCOL.md 8.7): that http-filed is stopping;
	   answer every request it is waiting for now (conn: compare with
	   gw_front_handle_conn; 0 means every connection's). */
	void (*on_release)(uint32_t conn);
};

/* The connection a request handle belongs to. */
uint32_t gw_front_handle_conn(uint64_t handle);

/* Listens on path (mode 0600); 0, or DAEMON_EXIT_USAGE after logging. */
int gw_front_setup(const char *path);
/* role: the HELLO role ("boshd"); instance: the tag (instance.h);
   cors_origin: the Access-Control-Allow-Origin value. */
/* The three strings and ops are kept, not copied: they must live as long
   as the daemon. */
void gw_front_start(struct ev_loop *loop, const char *role,
		    const char *instance, const char *cors_origin,
		    const struct gw_front_ops *ops);
void gw_front_stop(struct ev_loop *loop);
/* Closes every http-filed connection (at the end of a stop). */
void gw_front_close_all(void);

/* A planned stop (PROTOCOL.md 8.7): stops accepting connections and sends
   HTTP_DRAIN on every connection whose peer speaks 1.4. */
void gw_front_drain(void);
/* 1 once every connection has answered HTTP_DRAINED (a peer older than
   1.4 cannot: it counts as drained). */
int gw_front_drained(void);
/* From now on every request is answered 503 (Retry-After: 1) without
   the daemon seeing it: its sessions have gone to a successor, which
   answers the client's retry. */
void gw_front_bounce(void);
/* 1 once every response queued has been written to its socket. */
int gw_front_flushed(void);

/* Answers request handle (dropped if its connection is gone). headers:
   NULL or extra header lines, each NUL-terminated, the list ended by an
   empty string ("Allow: POST\0\0"). */
void gw_front_respond(uint64_t handle, unsigned status,
		      const char *content_type, const char *headers,
		      const char *body, size_t len);
/* Once per handle, from inside on_request or any time later (it only
   queues the frame; it never calls back into the daemon). The
   Content-Type and Access-Control-Allow-Origin lines are cut at 255
   bytes; the extra lines are sent whole. */

/* 1 if method is r's method. */
int gw_request_is(const struct gw_request *r, const char *method);
/* The value of header name (case-insensitive) in r, or NULL; *len set. */
const char *gw_request_header(const struct gw_request *r, const char *name,
			      size_t *len);

#endif
