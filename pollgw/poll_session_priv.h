/* poll_session_priv.h: the inside of a polling session, shared by the
 * state machine (poll_session.c) and its hand-over to a successor process
 * (poll_handover.c). Nothing else includes it. */
#ifndef PARLEY_POLL_SESSION_PRIV_H
#define PARLEY_POLL_SESSION_PRIV_H

#include <stdint.h>

#include "buf.h"
#include "poll_session.h"
#include "xml_stream.h"

enum poll_state {
	POLL_ACTIVE,
	POLL_CLOSING, /* the stream's end waits in queue for an answer */
	POLL_ENDED,
};

struct poll_session {
	const struct poll_config *cfg;
	char id[POLL_SID_MAX + 1];
	char key[POLL_KEY_MAX + 1];
	enum poll_state state;
	int secure;
	int opened;	  /* OPEN sent: the client's first header came */
	int router_open;  /* OPEN sent, no CLOSE sent or received */
	int router_ended; /* the router's </stream:stream> came */
	int hdr_queued;	  /* queue holds a stream header */
	int hdr_given;	  /* an answer has carried one */
	struct buf queue, unsent;
	struct buf fwd; /* client elements not yet in a DATA action */
	struct xml_stream *cs, *rs;
	char *jid;
	int held;
	uint64_t held_req;
	uint64_t last_request, answered_at;
	/* during a call, for the parsers' callbacks */
	struct poll_out *out;
	uint64_t now;
	int failed;	 /* out of memory during this call */
	const char *why; /* static or why_kept: why it is closing or over */
	char *why_kept;	 /* a reason restored from a hand-over, or NULL */
};

/* A session with its buffers and parsers and a fresh identifier, else
   NULL. */
struct poll_session *poll_session_alloc(const struct poll_config *cfg);

#endif
