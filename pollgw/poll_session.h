/* poll_session.h: the sans-I/O state machine of one XEP-0025 polling
 * session.
 *
 * pollgw feeds it parsed request bodies (poll_body.h), the router's output
 * for the session's virtual stream, the router's close and the passing of
 * time (milliseconds on any monotonic clock); each call appends to a
 * struct poll_out the HTTP answers to send, each on the request handle
 * the daemon gave with its request and with the identifier its ID cookie
 * carries, and the actions for the router's virtual stream (PROTOCOL.md
 * 9), in order. It implements XEP-0025: identifiers, the key sequence
 * (checked before anything else: a request that fails it changes
 * nothing), the client's raw stream bytes parsed into a header (OPEN or
 * RESTART), elements (DATA) and its end (CLOSE), a bounded queue of
 * router output returned by the next poll, a shortest interval between
 * two answers (a request that comes sooner is answered later) and the
 * end of a session after inactivity. */
#ifndef PARLEY_POLL_SESSION_H
#define PARLEY_POLL_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "poll_body.h"
#include "poll_out.h"

/* Bytes of the random part of an identifier, written in hex. */
#define POLL_SID_BYTES 16
/* An identifier: "<instance tag>-" and 2 * POLL_SID_BYTES hex digits. */
#define POLL_SID_MAX (16 + 1 + 2 * POLL_SID_BYTES)
/* A full JID: three parts of at most 1023 bytes and two separators. */
#define POLL_JID_MAX (3 * 1023 + 2)

struct poll_config {
	const char *domain;    /* the only 'to' accepted in a stream header */
	const char *instance;  /* the identifiers' prefix, or NULL */
	unsigned inactivity;   /* s without an accepted request: the end */
	unsigned min_interval; /* ms between two answers of one session */
	size_t max_queue;      /* bytes of router output awaiting a poll */
	size_t max_stanza;     /* bytes of one element the client sends */
};

struct poll_session;

/* A session from a request whose identifier is "0" (poll_body_is_new).
   It must carry a key (else NULL with errno EINVAL and -2:0 in out); its
   newkey is ignored (XEP-0025 3). The request is answered at once with
   the new identifier, and its XML part is parsed as the start of the
   client's stream. NULL with ENOMEM (out may be empty: answer -1:0).
   secure: the client came over TLS or loopback. cfg must outlive the
   session. */
struct poll_session *poll_session_new(const struct poll_config *cfg,
				      const struct poll_body *b, int secure,
				      uint64_t req, uint64_t now,
				      struct poll_out *out);
/* NULL does nothing. */
void poll_session_free(struct poll_session *s);
const char *poll_session_id(const struct poll_session *s);
int poll_session_is_secure(const struct poll_session *s);
/* The full JID the router bound (learnt from its bind result), or "". */
const char *poll_session_jid(const struct poll_session *s);
/* 1 while the router's stream is open: OPEN was sent and no CLOSE was
   sent or received. A session that ended this way (out of memory) still
   needs its CLOSE: the daemon sends it. */
int poll_session_is_open(const struct poll_session *s);

/* A request for this session (b->id matched). A key that does not hash to
   the previous one (or none) is answered -3:0 and nothing else happens:
   the request is not processed and does not count as activity. Otherwise
   the XML part goes to the router and the request is answered with the
   router output queued, at once, or min_interval after the previous
   answer if it comes sooner (a request already waiting is then answered
   at once and this one waits instead). 0, or -1 with ENOMEM (the
   session has then ended in out, the request maybe unanswered). */
int poll_session_request(struct poll_session *s, const struct poll_body *b,
			 uint64_t req, uint64_t now, struct poll_out *out);
/* http-filed gave up on request req (HTTP_ABORT): forget it unanswered. */
void poll_session_abort(struct poll_session *s, uint64_t req);
/* Answers the request that waits for min_interval now, with what is
   queued: http-filed is stopping, or the session is about to be handed
   over to another process. */
void poll_session_release(struct poll_session *s, uint64_t now,
			  struct poll_out *out);
/* Bytes of the session's virtual stream from the router (STREAM_DATA). */
void poll_session_from_router(struct poll_session *s, const char *data,
			      size_t len, uint64_t now, struct poll_out *out);
/* 0 once the router stream is closed (by either side): what the router
   still sends must go back to it (PROTOCOL.md 9.6). */
int poll_session_router_open(const struct poll_session *s);
/* The router closed the stream (STREAM_CLOSE), or its connection broke,
   or an action could not be sent: the client gets what was queued, and
   the end of the stream, with its next poll. */
void poll_session_router_gone(struct poll_session *s, uint64_t now,
			      struct poll_out *out);
/* Handles every deadline at or before now: the answer that waited for
   min_interval, inactivity. */
void poll_session_timeout(struct poll_session *s, uint64_t now,
			  struct poll_out *out);
/* When poll_session_timeout must next be called; UINT64_MAX if never. */
uint64_t poll_session_deadline(const struct poll_session *s);
/* Ends the session from this side (the administrator, a shutdown): the
   stanzas queued go back to the router with its close; a request waiting
   gets the stream error cond (e.g. "system-shutdown") and the stream's
   end. why (static) is what poll_session_why says. Over when this
   returns (out->ended). */
void poll_session_end(struct poll_session *s, const char *cond, const char *why,
		      uint64_t now, struct poll_out *out);
/* Why the session is over or closing, for logs ("inactivity", "queue
   limit", "not-well-formed", ...); "" while it is active. */
const char *poll_session_why(const struct poll_session *s);

/* ---- hand-over to a successor process (poll_handover.c, HANDOVER.md) */

struct buf;
struct handover_field;

/* Appends the session's fields to b. -1 if it cannot be handed over (a
   request waits, it is over, the client's or the router's stream is
   inside an element) or b is full: the caller ends it instead. */
int poll_session_save(struct poll_session *s, struct buf *b);
/* A session to fill with poll_session_restore_field, field by field, then
   check with poll_session_restore_done; NULL on ENOMEM. cfg must outlive
   the session. */
struct poll_session *poll_session_restore_new(const struct poll_config *cfg);
/* 1 if f was one of the session's fields and is taken, 0 if it is not
   one of them, -1 if its value is bad. */
int poll_session_restore_field(struct poll_session *s,
			       const struct handover_field *f);
/* 0 if the session is whole and consistent, else -1. */
int poll_session_restore_done(struct poll_session *s, uint64_t now);

/* What an administrator sees of a session. */
struct poll_session_info {
	size_t queued;		      /* bytes of router output waiting */
	int waiting;		      /* a request waits for min_interval */
	uint64_t last_request;	      /* ms, the last accepted request */
	uint64_t inactivity_deadline; /* ms; UINT64_MAX while one waits */
};

void poll_session_get_info(const struct poll_session *s,
			   struct poll_session_info *info);

#endif
