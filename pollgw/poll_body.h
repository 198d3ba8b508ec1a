/* poll_body.h: the sans-I/O parser of one XEP-0025 request body.
 *
 * pollgw hands it the whole body of one POST (http-filed has already
 * bounded its size; max_bytes bounds it again). The body is
 * "identifier;key[;newkey],xml" taken raw, not URL-decoded (XEP-0025 3):
 * the identifier is 1 to POLL_ID_MAX bytes of [A-Za-z0-9:-] ("0" asks for
 * a new session), each key 1 to POLL_KEY_MAX printable ASCII bytes other
 * than ';' and ','; everything after the first ',' is the client's stream
 * bytes, possibly empty or cut anywhere, which this parser does not look
 * at. A body without a key parses (the XEP's grammar allows it); whether
 * a key is required is poll_session's decision. Nothing is allocated: the
 * fields are copied into the struct and xml points into the input. */
#ifndef PARLEY_POLL_BODY_H
#define PARLEY_POLL_BODY_H

#include <stddef.h>

/* Identifiers pollgw hands out are far shorter ("<tag>-" and 32 hex
   digits); http-filed routes keys of at most 64 bytes (PROTOCOL.md 8.6). */
#define POLL_ID_MAX 64
/* K(n) for n > 0 is the base64 of a SHA-1 digest (28 bytes); K(0), the
   client's seed, may be longer but not past this. */
#define POLL_KEY_MAX 128

enum poll_body_error {
	POLL_BODY_OK = 0,
	POLL_BODY_TOO_LARGE, /* more than max_bytes */
	POLL_BODY_NO_COMMA,  /* no ',' ends the fields (or they are too long) */
	POLL_BODY_BAD_ID,    /* empty, too long, or a byte outside the set */
	POLL_BODY_BAD_KEY,   /* an empty, too long or malformed key */
	POLL_BODY_TOO_MANY,  /* more than identifier, key and newkey */
};

struct poll_body_limits {
	size_t max_bytes; /* the whole body */
};

struct poll_body {
	char id[POLL_ID_MAX + 1];
	char key[POLL_KEY_MAX + 1];    /* "" when the body has none */
	char newkey[POLL_KEY_MAX + 1]; /* "" when the body has none */
	const char *xml;	       /* into the input; valid as long as it */
	size_t xml_len;
};

/* Parses the len bytes at data. 0 with *out filled, or -1 with *err set
   (*out is then unspecified). */
int poll_body_parse(const char *data, size_t len,
		    const struct poll_body_limits *lim, struct poll_body *out,
		    enum poll_body_error *err);
/* 1 if the body asks for a new session (identifier "0"). */
int poll_body_is_new(const struct poll_body *b);
/* A short name of err for logs, e.g. "bad identifier". */
const char *poll_body_error_name(enum poll_body_error err);

#endif
