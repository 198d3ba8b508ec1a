/* boshd.h: boshd's private declarations, shared by its files.
 *
 * main.c describes the daemon and its options; front.c takes HTTP
 * requests from http-filed (framed protocol, PROTOCOL.md 8); uplink.c
 * carries the sessions' XMPP streams to xmpp-routerd (PROTOCOL.md 9);
 * sessions.c keeps the BOSH sessions (the state machine is
 * bosh_session.c) and carries out what they ask for. */
#ifndef PARLEY_BOSHD_H
#define PARLEY_BOSHD_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>

#include "bosh_body.h"
#include "bosh_session.h"

struct boshd_config {
	const char *socket;	 /* where http-filed connects */
	const char *router;	 /* xmpp-routerd's gateway socket */
	const char *cors_origin; /* Access-Control-Allow-Origin */
	long max_sessions;
	long max_body;
	struct bosh_config bosh; /* domain, wait, hold, inactivity, ... */
	long max_wait, max_hold, polling, inactivity, maxpause, max_queue;
};

extern struct boshd_config boshd_config;
int boshd_configure(void);

/* front.c */
int front_setup(void);
void front_start(struct ev_loop *loop);
void front_stop(struct ev_loop *loop);
/* Closes every http-filed connection (at the end of a stop, after the
   sessions' last answers were written). */
void front_close_all(void);
/* Sends the HTTP answer to request handle req (dropped if its
   connection is gone). */
void front_respond(uint64_t req, unsigned status, const char *body, size_t len);

/* uplink.c */
void uplink_start(struct ev_loop *loop);
void uplink_stop(void);
int uplink_is_up(void);
/* Sends a frame for stream channel; 0 or -1. */
int uplink_send(uint16_t type, uint32_t channel, const void *payload,
		size_t len);

/* sessions.c */
void sessions_init(struct ev_loop *loop);
/* A parsed POST body from the client at peer (its address as http-filed
   saw it), for request req. Takes body. */
void sessions_request(struct bosh_body *body, const char *peer, int secure,
		      uint64_t req);
/* http-filed says request req's client went away (HTTP_ABORT). */
void sessions_abort(uint64_t req);
/* From the router. */
void sessions_from_router(uint32_t channel, const char *data, size_t len);
void sessions_router_closed(uint32_t channel);
/* The router connection is gone: every session ends. */
void sessions_router_lost(void);
/* SIGTERM: every session gets system-shutdown. */
void sessions_shutdown(void);
size_t sessions_count(void);

#endif
