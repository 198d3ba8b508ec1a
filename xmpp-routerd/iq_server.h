/* iq_server.h: the IQs the server answers itself (iq_server.c, roster.c).
 *
 * The router hands over every IQ addressed to the server, to the sender's
 * own bare JID (or with no 'to'), and to another local user's bare JID
 * (RFC 6121 8.5.1: the server answers on the account's behalf). A table
 * keyed on (type, payload namespace, payload name) picks the handler; the
 * handlers build their replies with the helpers below, which write the
 * <iq/> head themselves so that stored XML (vCards, private data) and
 * long lists (rosters, blocklists) can be appended as serialised text. */
#ifndef PARLEY_IQ_SERVER_H
#define PARLEY_IQ_SERVER_H

#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "xml.h"

struct session;

/* Whom an IQ is addressed to. */
enum iq_target {
	IQ_TO_SERVER = 1, /* to the domain */
	IQ_TO_SELF = 2,	  /* no 'to', or the sender's own bare JID */
	IQ_TO_OTHER = 4,  /* another local user's bare JID */
};

/* One IQ get or set being answered. The dispatcher owns the tree and
   frees it after the handler returns; user and from live as long. */
struct iq_request {
	struct session *s;	  /* the sender */
	struct xml_node *iq;	  /* the request */
	struct xml_node *payload; /* its only child element */
	enum iq_target target;
	const char *user; /* the account concerned: the addressed user for
			     IQ_TO_OTHER, else the sender's localpart */
	const char *from; /* 'from' of the reply: the domain or a bare JID */
};

/* Answers an IQ addressed to the server (no 'to', or the domain) or to the
   sender's own bare JID; 'from' is already stamped. Takes the tree (frees
   its arena). Results and errors are dropped; a get or set without
   exactly one child element gets <bad-request/>; one nobody handles gets
   <service-unavailable/>. */
void iq_server_handle(struct session *s, struct xml_node *iq);
/* The same for an IQ addressed to the bare JID of user, another local
   account: vCard and disco#info gets are answered for it, anything else
   gets <service-unavailable/>, as for an account that does not exist. */
void iq_server_handle_for_user(struct session *s, struct xml_node *iq,
			       const char *user);

/* ---- for the handlers ---------------------------------------------------- */

/* Sends an error reply for rq's IQ (router_bounce). */
void iq_server_error(const struct iq_request *rq, const char *type,
		     const char *condition);
/* Sends the error that fits a failed store or build call, from errno:
   EMSGSIZE not-acceptable, EDQUOT policy-violation, ENOBUFS
   resource-constraint, anything else internal-server-error. */
void iq_server_fail(const struct iq_request *rq, int err);
/* Sends a result whose payload is the tree at payload (NULL: none). */
void iq_server_reply(const struct iq_request *rq,
		     const struct xml_node *payload);
/* For results built as text: sets out up with the given limit on the
   payload's serialised size and writes the head <iq type='result' ...>.
   0, or -1 with errno (out is then freed). */
int iq_server_reply_begin(const struct iq_request *rq, struct buf *out,
			  size_t payload_limit);
/* Closes the <iq/> in out and sends it, or, if err is not 0 (what went
   wrong while appending), sends the error for it (iq_server_fail). Frees
   out either way. */
void iq_server_reply_end(const struct iq_request *rq, struct buf *out, int err);
/* Sends <iq type='set'/> with the serialised payload (in the jabber:client
   scope) to every session of user, or only to those that requested the
   roster if interested_only. Each gets a fresh id. */
void iq_server_push(const char *user, const char *payload, size_t len,
		    int interested_only);

/* ---- pure helpers (unit-tested) ------------------------------------------ */

/* Writes t as an XEP-0082 DateTime in UTC ("2006-12-19T17:58:35Z").
   0, or -1 (EINVAL: out shorter than 21 bytes or t out of range). */
int iq_server_time_utc(time_t t, char *out, size_t size);
/* Writes a UTC offset in seconds east as XEP-0082 "+HH:MM" / "-HH:MM".
   0, or -1 (EINVAL: out shorter than 7 bytes, or beyond +-24 hours). */
int iq_server_time_tzo(long gmtoff, char *out, size_t size);
/* 1 if XEP-0049 private storage refuses namespace ns (NULL included). */
int iq_server_private_ns_is_reserved(const char *ns);

#endif
