/* pollgw.h: pollgw's private declarations, shared by its files.
 *
 * main.c describes the daemon and its options; config.c checks them;
 * front.c answers the HTTP requests http-filed sends (the transport,
 * PROTOCOL.md 8, is common/gw_front.c): it parses each POST body
 * (poll_body.c) and writes each answer with its identifier; sessions.c
 * keeps the polling sessions (the state machine is poll_session.c) and
 * carries out what they ask for, their XMPP streams going to xmpp-routerd
 * through common/gw_uplink.c (PROTOCOL.md 9); control.c answers parleyctl
 * on the control socket (PROTOCOL.md 10); handover.c hands the sessions
 * to the next pollgw on a planned restart (poll_handover.c writes one
 * session). Every exported name begins
 * with pollgw_: the unit tests link pollgw's files beside boshd's. */
#ifndef PARLEY_POLLGW_H
#define PARLEY_POLLGW_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>

#include "poll_body.h"
#include "poll_session.h"

/* One element the client sends may be split over several requests; it
   is bounded here (as xmpp-routerd bounds a stanza by default). */
#define POLLGW_MAX_STANZA (256 * 1024)
/* The longest --domain (an XMPP domainpart, RFC 7622 3.2). */
#define POLLGW_DOMAIN_MAX 1023

struct pollgw_config {
	const char *socket;	    /* where http-filed connects */
	const char *router;	    /* xmpp-routerd's gateway socket */
	const char *cors_origin;    /* Access-Control-Allow-Origin */
	const char *control_socket; /* for parleyctl, or NULL */
	const char *state_dir;	    /* hand-over file, or NULL: none */
	long max_sessions;
	long max_body;
	long inactivity, min_interval, max_queue;
	struct poll_config poll; /* what poll_session reads */
};

extern struct pollgw_config pollgw_config;
int pollgw_configure(void);
/* The instance tag (instance.h) that begins every identifier. */
const char *pollgw_instance(void);
/* Takes the predecessor's instance tag over; 0, or -1 if it is bad. */
int pollgw_take_instance(const char *tag);

/* handover.c: gw_handover_setup with pollgw's hooks (gw_handover.h). */
int pollgw_handover_setup(void);

/* front.c */
/* Starts taking requests on the socket gw_front_setup opened. */
void pollgw_front_start(struct ev_loop *loop);
/* Sends an XEP-0025 answer to request handle req: HTTP 200, text/xml,
   the identifier id (a session's, or an error such as "-3:0") in the ID
   cookie and in X-Poll-ID; dropped if its connection is gone. */
void pollgw_front_answer(uint64_t req, const char *id, const char *body,
			 size_t len);

/* sessions.c */
void pollgw_sessions_init(struct ev_loop *loop);
/* A parsed POST body for request req from the client at peer (its
   address as http-filed saw it; secure: loopback or TLS). */
void pollgw_sessions_request(const struct poll_body *b, const char *peer,
			     int secure, uint64_t req);
/* http-filed says request req's client went away (HTTP_ABORT). */
void pollgw_sessions_abort(uint64_t req);
/* From the router (gw_uplink_ops). */
void pollgw_sessions_from_router(uint32_t channel, const char *data,
				 size_t len);
void pollgw_sessions_router_closed(uint32_t channel);
/* The router connection is gone: every open stream is over. */
void pollgw_sessions_router_lost(void);
/* SIGTERM: every session ends with system-shutdown. */
void pollgw_sessions_shutdown(void);
size_t pollgw_sessions_count(void);
/* Hand-over (handover.c): answers every request waiting now; */
void pollgw_sessions_release_all(void);
/* appends every session that can move to b (HANDOVER.md) and frees it
   silently, ends the others; returns how many moved; */
struct buf;
size_t pollgw_sessions_save(struct buf *b);
void pollgw_sessions_forget_all(void);
/* restores one session whose "session" field (channel) r just read; 0,
   or -1 (bad or duplicate record); */
struct handover_reader;
int pollgw_sessions_restore(struct handover_reader *r, uint32_t channel);
/* asks the router for every open session's stream (STREAM_ADOPT). */
void pollgw_sessions_adopt_all(const char *token);

/* One session as the control socket shows it. */
struct pollgw_view {
	const struct poll_session *s;
	const char *peer; /* the client's address as http-filed saw it */
	uint64_t created; /* Unix time */
	uint64_t now;	  /* the sessions' clock (ms), as poll_session uses */
};
/* Calls fn for each session (in no promised order) until fn returns
   non-zero. fn must not end sessions. */
void pollgw_sessions_foreach(int (*fn)(const struct pollgw_view *v, void *ctx),
			     void *ctx);
/* Ends session id as the administrator asks (poll_session_end with
   undefined-condition). 0, or -1 if there is no such session. */
int pollgw_sessions_terminate(const char *id);

/* control.c */
/* Opens --control-socket if set (mode 0600). 0, or an exit code. */
int pollgw_control_setup(void);
void pollgw_control_start(struct ev_loop *loop);
/* Closes the socket and every control connection. */
void pollgw_control_stop(struct ev_loop *loop);

#endif
