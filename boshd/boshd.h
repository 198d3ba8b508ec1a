/* boshd.h: boshd's private declarations, shared by its files.
 *
 * main.c describes the daemon and its options; front.c answers the HTTP
 * requests http-filed sends (the transport, PROTOCOL.md 8, is
 * common/gw_front.c); sessions.c keeps the BOSH sessions (the state
 * machine is bosh_session.c) and carries out what they ask for, their
 * XMPP streams going to xmpp-routerd through common/gw_uplink.c
 * (PROTOCOL.md 9); config.c checks the options; control.c answers
 * parleyctl on the control socket (PROTOCOL.md 10). */
#ifndef PARLEY_BOSHD_H
#define PARLEY_BOSHD_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>

#include "bosh_body.h"
#include "bosh_session.h"

struct boshd_config {
	const char *socket;	    /* where http-filed connects */
	const char *router;	    /* xmpp-routerd's gateway socket */
	const char *cors_origin;    /* Access-Control-Allow-Origin */
	const char *control_socket; /* for parleyctl, or NULL */
	const char *state_dir;	    /* hand-over file, or NULL: none */
	long max_sessions;
	long max_body;
	struct bosh_config bosh; /* domain, wait, hold, inactivity, ... */
	long max_wait, max_hold, polling, inactivity, maxpause, max_queue;
};

extern struct boshd_config boshd_config;
int boshd_configure(void);
/* Takes the predecessor's instance tag over; 0, or -1 if it is bad. */
int boshd_take_instance(const char *tag);

/* handover.c: gw_handover_setup with boshd's hooks (gw_handover.h). */
int handover_setup(void);

/* front.c */
/* Starts taking requests on the socket gw_front_setup opened. */
void front_start(struct ev_loop *loop);
/* Sends the BOSH answer (text/xml) to request handle req (dropped if its
   connection is gone). */
void front_respond(uint64_t req, unsigned status, const char *body, size_t len);

/* sessions.c */
void sessions_init(struct ev_loop *loop);
/* A parsed POST body from the client at peer (its address as http-filed
   saw it), for request req. Takes body. */
void sessions_request(struct bosh_body *body, const char *peer, int secure,
		      uint64_t req);
/* http-filed says request req's client went away (HTTP_ABORT). */
void sessions_abort(uint64_t req);
/* From the router (gw_uplink_ops). */
void sessions_from_router(uint32_t channel, const char *data, size_t len);
void sessions_router_closed(uint32_t channel);
/* The router connection is gone: every session ends. */
void sessions_router_lost(void);
/* SIGTERM: every session gets system-shutdown. */
void sessions_shutdown(void);
size_t sessions_count(void);
/* Hand-over (handover.c; each as struct gw_handover_ops says). */
void sessions_release_all(void);
size_t sessions_save(struct buf *b);
void sessions_forget_all(void);
struct handover_reader;
int sessions_restore(struct handover_reader *r, uint32_t channel);
void sessions_adopt_all(const char *token);

/* One session as the control socket shows it. */
struct sessions_view {
	const struct bosh_session *s;
	const char *peer; /* the client's address as http-filed saw it */
	const char *jid;  /* the full JID the router bound, or "" */
	uint64_t created; /* Unix time */
	uint64_t idle_ms; /* since its last request */
	uint64_t now;	  /* the sessions' clock (ms), as bosh_session uses */
};
/* Calls fn for each session (in no promised order) until fn returns
   non-zero. fn must not end sessions. */
void sessions_foreach(int (*fn)(const struct sessions_view *v, void *ctx),
		      void *ctx);
/* Ends the session sid as the administrator asks
   (bosh_session_end_by_admin). 0, or -1 if there is no such session. */
int sessions_terminate(const char *sid);
/* The full JID in the router's bind result (RFC 6120 7.6.1), if data is
   one as xmpp-routerd writes it: <iq type='result' ...><bind
   xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>JID</jid></bind></iq>.
   Allocated (the caller frees it), at most SESSIONS_JID_MAX bytes; NULL
   if data is not that, or without memory. */
char *sessions_bound_jid(const char *data, size_t len);
/* A full JID: three parts of at most 1023 bytes and two separators. */
#define SESSIONS_JID_MAX (3 * 1023 + 2)

/* control.c */
/* Opens --control-socket if set (mode 0600). 0, or an exit code. */
int boshd_control_setup(void);
void boshd_control_start(struct ev_loop *loop);
/* Closes the socket and every control connection. */
void boshd_control_stop(struct ev_loop *loop);

#endif
