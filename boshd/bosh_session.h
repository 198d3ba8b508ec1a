/* bosh_session.h: the sans-I/O state machine of one BOSH session.
 *
 * boshd feeds it parsed request bodies (bosh_body.h), the router's output
 * for the session's virtual stream, the router's close and the passing of
 * time (milliseconds on any monotonic clock); each call appends to a
 * struct bosh_out the HTTP responses to send, each on the request handle
 * the daemon gave with that request, and the actions for the router's
 * virtual stream (PROTOCOL.md 9), in order. It implements XEP-0124 and
 * XEP-0206: creation, the rid window and in-order processing, repeated
 * rids, hold and wait, pause, inactivity, overactivity and polling, key
 * sequences, acknowledgements, restarts and termination. */
#ifndef PARLEY_BOSH_SESSION_H
#define PARLEY_BOSH_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "bosh_body.h"
#include "buf.h"

/* Most requests held at once, whatever the client asks for. */
#define BOSH_HOLD_MAX 4
/* Bytes of the random part of a sid, written in hex. */
#define BOSH_SID_BYTES 16
/* A sid: "<instance tag>-", 2 * BOSH_SID_BYTES hex digits, and an 'l' if
   the client sent no 'ver' (see bosh_sid_is_legacy). */
#define BOSH_SID_MAX (16 + 1 + 2 * BOSH_SID_BYTES + 1)
/* The BOSH version implemented. */
#define BOSH_VER_MAJOR 1
#define BOSH_VER_MINOR 11

/* XEP-0124 17.2 terminal binding conditions. */
enum bosh_condition {
	BOSH_COND_BAD_REQUEST,
	BOSH_COND_HOST_GONE,
	BOSH_COND_HOST_UNKNOWN,
	BOSH_COND_IMPROPER_ADDRESSING,
	BOSH_COND_INTERNAL_SERVER_ERROR,
	BOSH_COND_ITEM_NOT_FOUND,
	BOSH_COND_OTHER_REQUEST,
	BOSH_COND_POLICY_VIOLATION,
	BOSH_COND_REMOTE_CONNECTION_FAILED,
	BOSH_COND_REMOTE_STREAM_ERROR,
	BOSH_COND_SEE_OTHER_URI,
	BOSH_COND_SYSTEM_SHUTDOWN,
	BOSH_COND_UNDEFINED_CONDITION,
};

struct bosh_config {
	const char *domain;  /* from='...'; the only 'to' accepted */
	unsigned max_wait;   /* seconds */
	unsigned max_hold;   /* at most BOSH_HOLD_MAX is used */
	unsigned polling;    /* shortest polling interval, s; 0: none */
	unsigned inactivity; /* s; 0: none */
	/* added to inactivity for polling sessions (hold or wait 0) */
	unsigned poll_inactivity_extra;
	unsigned maxpause;    /* s; 0: pausing not offered */
	size_t max_queue;     /* bytes of router output awaiting a request */
	const char *accept;   /* content encodings decompressed, or NULL */
	const char *charsets; /* other charsets accepted, or NULL */
	const char *instance; /* the sids' prefix (instance.h), or NULL */
};

struct bosh_response {
	uint64_t req;	 /* the daemon's handle of the request */
	unsigned status; /* 200, or 400/403/404 for legacy clients */
	char *body;	 /* NUL-terminated, owned by the out */
	size_t len;
};

enum bosh_action_kind {
	BOSH_ACT_OPEN,	  /* STREAM_OPEN (SECURE: bosh_session_is_secure) */
	BOSH_ACT_DATA,	  /* STREAM_DATA with data */
	BOSH_ACT_RESTART, /* STREAM_RESTART */
	BOSH_ACT_CLOSE,	  /* STREAM_CLOSE */
};

struct bosh_action {
	enum bosh_action_kind kind;
	/* BOSH_ACT_DATA: the bytes; BOSH_ACT_CLOSE: the stanzas queued for
	   the client that it will never get (or NULL). Owned by the out. */
	char *data;
	size_t len;
};

struct bosh_out {
	struct bosh_response *responses;
	size_t nresponses, rcap;
	struct bosh_action *actions;
	size_t nactions, acap;
	/* The session is over: send what is here, then free it. */
	int ended;
};

struct bosh_session;

/* An empty out. */
void bosh_out_init(struct bosh_out *o);
/* Frees what o holds; it is empty and reusable afterwards. */
void bosh_out_reset(struct bosh_out *o);

/* Answers a request that no session takes (unknown sid, body that does
   not parse) with the terminal condition cond: HTTP 200 and
   <body type='terminate' condition='...'/>, or for a legacy client the
   HTTP status XEP-0124 17.1 gives (400, 403, 404) with an empty body.
   0, or -1 with ENOMEM. */
int bosh_reply_error(enum bosh_condition cond, int legacy, uint64_t req,
		     struct bosh_out *out);
/* The condition's name, e.g. "item-not-found". */
const char *bosh_condition_name(enum bosh_condition cond);

/* A session from a creation request (body has no sid); it takes body.
   The request is held until the router's stream features arrive (or
   wait passes), and is answered with the creation attributes. On a bad
   request (no rid, 'to' missing or not cfg->domain), NULL with errno
   EINVAL and the error response in out; NULL with ENOMEM (out may then
   be empty: answer 500). secure: the client came over TLS or loopback.
   cfg must outlive the session. */
struct bosh_session *bosh_session_new(const struct bosh_config *cfg,
				      struct bosh_body *body, int secure,
				      uint64_t req, uint64_t now,
				      struct bosh_out *out);
/* NULL does nothing. */
void bosh_session_free(struct bosh_session *s);
const char *bosh_session_sid(const struct bosh_session *s);
/* 1 if sid is one of ours made for a client that sent no 'ver': a request
   for it, once the session is gone, gets the legacy HTTP 404 rather than a
   terminate body (XEP-0124 17.1), though the request itself carries no
   'ver' either way. */
int bosh_sid_is_legacy(const char *sid);
/* 0 once the router stream is closed (by either side): what the router
   still sends must go back to it (PROTOCOL.md 9.6). */
int bosh_session_router_open(const struct bosh_session *s);
int bosh_session_is_secure(const struct bosh_session *s);

/* A request for this session (body->sid matched); it takes body. 0, or
   -1 with ENOMEM (the session is then ended in out). */
int bosh_session_request(struct bosh_session *s, struct bosh_body *body,
			 uint64_t req, uint64_t now, struct bosh_out *out);
/* http-filed gave up on request req (HTTP_ABORT): forget it unanswered. */
void bosh_session_abort(struct bosh_session *s, uint64_t req);
/* Bytes of the session's virtual stream from the router (STREAM_DATA).
   0, or -1 if the session ended (out says so). */
int bosh_session_from_router(struct bosh_session *s, const char *data,
			     size_t len, uint64_t now, struct bosh_out *out);
/* The router closed the stream (STREAM_CLOSE, or its connection broke). */
void bosh_session_router_closed(struct bosh_session *s, uint64_t now,
				struct bosh_out *out);
/* Ends the session from this side with cond (e.g. system-shutdown). */
void bosh_session_terminate(struct bosh_session *s, enum bosh_condition cond,
			    uint64_t now, struct bosh_out *out);
/* Handles every deadline at or before now: wait expiry, inactivity. */
void bosh_session_timeout(struct bosh_session *s, uint64_t now,
			  struct bosh_out *out);
/* When bosh_session_timeout must next be called; UINT64_MAX if never. */
uint64_t bosh_session_deadline(const struct bosh_session *s);

/* Answers every request held now, as if its wait had passed, and the
   early requests of a gap with the recoverable error (the client resends
   them): before the session is handed over to another process. */
void bosh_session_release(struct bosh_session *s, uint64_t now,
			  struct bosh_out *out);

/* ---- hand-over to a successor process (bosh_handover.c, HANDOVER.md) */

struct handover_field;

/* Appends the session's fields to b. -1 if it cannot be handed over
   (requests held, ending, the router's stream inside a stanza) or b is
   full: the caller ends it instead. */
int bosh_session_save(struct bosh_session *s, struct buf *b);
/* A session to fill with bosh_session_restore_field, field by field, then
   check with bosh_session_restore_done; NULL on ENOMEM. */
struct bosh_session *bosh_session_restore_new(const struct bosh_config *cfg);
/* 1 if f was one of the session's fields and is taken, 0 if it is not
   one of them, -1 if its value is bad. */
int bosh_session_restore_field(struct bosh_session *s,
			       const struct handover_field *f);
/* 0 if the session is whole and consistent, else -1. Its limits and
   times are brought within this configuration and now (ms). */
int bosh_session_restore_done(struct bosh_session *s, uint64_t now);

/* ---- administration (boshd's control socket) */

/* What an administrator sees of a session. */
struct bosh_session_info {
	uint64_t last_rid; /* the highest rid processed */
	size_t unanswered; /* requests held, or early and waiting for a gap */
	size_t queued;	   /* bytes of router output waiting for a request */
	unsigned wait, hold; /* as granted */
	/* seconds without a request that end the session (during a pause,
	   the pause); 0: never */
	unsigned inactivity;
	/* when it ends if no request comes (ms, the caller's clock);
	   UINT64_MAX while requests are held: the clock is stopped */
	uint64_t inactivity_deadline;
};

void bosh_session_get_info(const struct bosh_session *s,
			   struct bosh_session_info *info);
/* Ends the session because the administrator asks: the router's stream is
   closed, as after inactivity, and the requests held get a terminate
   body with condition undefined-condition (XEP-0124 17.2 has none for
   this: policy-violation and other-request name the client's faults) and
   whatever output was queued. Over when this returns (out->ended); a
   later request with its sid is for an unknown session. */
void bosh_session_end_by_admin(struct bosh_session *s, uint64_t now,
			       struct bosh_out *out);

#endif
