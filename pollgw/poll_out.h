/* poll_out.h: what one call into a polling session (poll_session.h)
 * asks the daemon to do: HTTP answers, each on the request handle the
 * daemon gave and with the identifier its ID cookie carries, and actions
 * on the router's virtual stream (PROTOCOL.md 9), in order. Everything in
 * an out is owned by it and freed by poll_out_reset. */
#ifndef PARLEY_POLL_OUT_H
#define PARLEY_POLL_OUT_H

#include <stddef.h>
#include <stdint.h>

#include "poll_body.h"

/* The error identifiers of XEP-0025 3.1. */
#define POLL_ERR_UNKNOWN "0:0"	    /* also: the session is gone */
#define POLL_ERR_SERVER "-1:0"	    /* server error */
#define POLL_ERR_BAD_REQUEST "-2:0" /* a body that does not parse */
#define POLL_ERR_KEY "-3:0"	    /* key sequence error */

struct poll_answer {
	uint64_t req;		  /* the daemon's handle of the request */
	char id[POLL_ID_MAX + 1]; /* the identifier, or a POLL_ERR_* */
	char *body;		  /* NUL-terminated, owned by the out */
	size_t len;
};

enum poll_action_kind {
	POLL_ACT_OPEN,	  /* STREAM_OPEN (SECURE: poll_session_is_secure) */
	POLL_ACT_DATA,	  /* STREAM_DATA with data */
	POLL_ACT_RESTART, /* STREAM_RESTART */
	POLL_ACT_CLOSE,	  /* STREAM_CLOSE; data: undelivered stanzas */
};

struct poll_action {
	enum poll_action_kind kind;
	char *data; /* owned by the out; NULL when there is nothing */
	size_t len;
};

struct poll_out {
	struct poll_answer *answers;
	size_t nanswers, ancap;
	struct poll_action *actions;
	size_t nactions, acap;
	/* The session is over: send what is here, then free it. */
	int ended;
};

/* An empty out. */
void poll_out_init(struct poll_out *o);
/* Frees what o holds; it is empty and reusable afterwards. */
void poll_out_reset(struct poll_out *o);

/* Answers a request that no session takes with the error identifier id
   (one of POLL_ERR_*) and an empty body. 0, or -1 with ENOMEM. */
int poll_reply_error(const char *id, uint64_t req, struct poll_out *out);
/* Appends an answer to req with identifier id and a copy of body
   (body may be NULL when len is 0). 0, or -1 with ENOMEM. */
int poll_out_answer(struct poll_out *o, uint64_t req, const char *id,
		    const char *body, size_t len);
/* Appends an action with a copy of data (none when len is 0). 0, or -1
   with ENOMEM. */
int poll_out_action(struct poll_out *o, enum poll_action_kind kind,
		    const char *data, size_t len);

#endif
