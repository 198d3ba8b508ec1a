/* bosh_body.h: the sans-I/O parser of one BOSH request body (XEP-0124).
 *
 * boshd hands it the whole body of one HTTP request (http-filed has already
 * bounded its size). The root must be <body/> in the httpbind namespace;
 * its attributes are checked (numbers strictly decimal, enumerations from
 * the XEP-0124 schema) and kept; each child element is serialised as
 * self-contained XML in the jabber:client context (XEP-0206: children in
 * the httpbind namespace are taken as jabber:client) and appended to one
 * payload, ready to be sent unchanged to the router. Any DOCTYPE, entity
 * declaration, processing instruction or comment is refused, as for XMPP. */
#ifndef PARLEY_BOSH_BODY_H
#define PARLEY_BOSH_BODY_H

#include <stddef.h>
#include <stdint.h>

#define BOSH_NS "http://jabber.org/protocol/httpbind"
#define BOSH_NS_XBOSH "urn:xmpp:xbosh"
#define BOSH_NS_CLIENT "jabber:client"
/* The largest rid a client may use (2^53 - 1, XEP-0124 14.1). */
#define BOSH_RID_MAX 9007199254740991ULL

enum bosh_body_error {
	BOSH_BODY_OK = 0,
	BOSH_BODY_NOT_WELL_FORMED, /* expat refused it, or empty */
	BOSH_BODY_RESTRICTED,	   /* DOCTYPE, entity, PI, comment */
	BOSH_BODY_NOT_BODY,	   /* root is not {httpbind}body */
	BOSH_BODY_BAD_ATTR,	   /* an attribute value is invalid */
	BOSH_BODY_BAD_TEXT,	   /* non-whitespace text inside <body/> */
	BOSH_BODY_TOO_LARGE,	   /* bytes or serialised payload too big */
	BOSH_BODY_TOO_MANY,	   /* more than max_children children */
	BOSH_BODY_TOO_DEEP,	   /* nesting deeper than max_depth */
	BOSH_BODY_NO_MEMORY,
};

struct bosh_body_limits {
	size_t max_bytes;    /* the input */
	size_t max_children; /* child elements of <body/> */
	size_t max_depth;    /* depth inside a child (the child is 1) */
};

enum bosh_body_type {
	BOSH_TYPE_NONE = 0,
	BOSH_TYPE_TERMINATE,
	BOSH_TYPE_ERROR,
};

/* Which numeric attributes were present (bits of bosh_body.has). */
enum bosh_body_field {
	BOSH_HAS_RID = 1u << 0,
	BOSH_HAS_ACK = 1u << 1,
	BOSH_HAS_WAIT = 1u << 2,
	BOSH_HAS_HOLD = 1u << 3,
	BOSH_HAS_VER = 1u << 4,
	BOSH_HAS_PAUSE = 1u << 5,
	BOSH_HAS_POLLING = 1u << 6,
	BOSH_HAS_INACTIVITY = 1u << 7,
	BOSH_HAS_REQUESTS = 1u << 8,
	BOSH_HAS_SECURE = 1u << 9,
	BOSH_HAS_RESTART = 1u << 10,
};

struct bosh_body {
	unsigned has;				   /* bosh_body_field bits */
	uint64_t rid;				   /* 1 .. BOSH_RID_MAX */
	uint64_t ack;				   /* >= 1 */
	unsigned wait, pause, polling, inactivity; /* 0 .. 65535 */
	unsigned hold, requests;		   /* 0 .. 255 */
	unsigned ver_major, ver_minor;		   /* ver='major.minor' */
	int secure;				   /* secure='true' or '1' */
	int restart;				   /* xmpp:restart='true' */
	enum bosh_body_type type;
	/* Strings (NUL-terminated, owned by the body), NULL when absent. */
	char *sid, *to, *from, *route, *lang, *content, *key, *newkey;
	char *xmpp_version, *stream;
	/* The children serialised one after the other; len 0 if none. */
	char *payload;
	size_t payload_len;
	size_t nchildren;
};

/* Parses the len bytes at data (one whole request body). On success,
   *out is a new body the caller frees with bosh_body_free, and 0 is
   returned. On failure *out is NULL and -1 is returned with *err set
   (BOSH_BODY_NO_MEMORY also sets errno ENOMEM). */
int bosh_body_parse(const char *data, size_t len,
		    const struct bosh_body_limits *lim, struct bosh_body **out,
		    enum bosh_body_error *err);
/* NULL does nothing. */
void bosh_body_free(struct bosh_body *b);
/* The terminal binding condition (XEP-0124 17.2) a parse error calls
   for: "bad-request", "policy-violation" for the limits,
   "internal-server-error" for memory. */
const char *bosh_body_error_condition(enum bosh_body_error err);

#endif
