/* bosh_session_priv.h: the inside of a BOSH session, shared by the state
 * machine (bosh_session.c) and its hand-over to a successor process
 * (bosh_handover.c). Nothing else includes it. */
#ifndef PARLEY_BOSH_SESSION_PRIV_H
#define PARLEY_BOSH_SESSION_PRIV_H

#include <stdint.h>

#include "bosh_session.h"
#include "buf.h"
#include "xml_stream.h"

#define BOSH_NS_STREAMS "http://etherx.jabber.org/streams"
#define BOSH_REQUESTS_MAX (BOSH_HOLD_MAX + 1)
/* Out-of-order requests: the window, plus one pause or terminate. */
#define BOSH_PENDING_MAX (BOSH_REQUESTS_MAX + 1)
#define BOSH_ROUTER_DEPTH 64
/* XEP-0124 9.2: a response the client has not acknowledged this long
   after it was sent is reported as probably lost (ms). */
#define BOSH_REPORT_AFTER_MS 1000
#define BOSH_NEVER UINT64_MAX

struct bosh_held {
	uint64_t rid, req, deadline;
};

struct bosh_pending {
	struct bosh_body *body;
	uint64_t req, deadline;
};

struct bosh_kept {
	uint64_t rid;
	char *body;
	size_t len;
	uint64_t sent_at; /* ms */
};

enum bosh_state {
	BOSH_ACTIVE,
	BOSH_TERMINATING, /* term waits for the next request */
	BOSH_ENDED,
};

struct bosh_session {
	const struct bosh_config *cfg;
	char sid[BOSH_SID_MAX + 1];
	enum bosh_state state;
	uint64_t create_rid, last_rid;
	unsigned wait, hold, requests, inactivity, polling;
	unsigned ver_major, ver_minor;
	int has_ver, ack, secure, polling_session;
	char *key; /* the key the next request must hash to, or NULL */
	struct bosh_held held[BOSH_REQUESTS_MAX + 1];
	size_t nheld;
	struct bosh_pending pending[BOSH_PENDING_MAX];
	size_t npending;
	struct bosh_kept kept[BOSH_REQUESTS_MAX];
	size_t nkept;
	struct buf queue;	 /* serialised router output */
	int queue_has_stream;	 /* an element of the streams namespace */
	int stream_error;	 /* a <stream:error/> is in the queue */
	char *authid, *xmpp_ver; /* from the router's stream header */
	int hdr_unsent;		 /* they changed since the last response */
	int router_closed;
	struct xml_stream *rs;
	uint64_t last_response; /* when the last response was sent */
	unsigned pause;		/* s, inactivity until the next request */
	uint64_t prev_arrival;	/* of the last new request */
	int prev_empty;		/* that request carried nothing */
	int prev_answer_empty;	/* and its response carried nothing */
	uint64_t prev_rid;
	uint64_t report_rid, report_ms; /* XEP-0124 9.2, for the next answer */
	struct buf term; /* the terminal response, BOSH_TERMINATING */
	unsigned term_status;
	struct bosh_out *out; /* during a call, for the router callbacks */
	uint64_t now;
};

/* A session with its buffers and parser and a fresh sid, else NULL. */
struct bosh_session *bosh_session_alloc(const struct bosh_config *cfg);

#endif
