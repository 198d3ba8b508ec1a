/* poll_body.c: the XEP-0025 request body parser of poll_body.h.
 *
 * The fields before the first ',' are at most POLL_BODY_FIELDS_MAX bytes,
 * so the comma is looked for only that far: a body that does not begin
 * with well-formed fields is refused after a bounded scan, whatever its
 * length. The fields are then split on ';' and each is checked against
 * its character set and length through one table. */
#include <string.h>

#include "poll_body.h"

/* identifier ; key ; newkey , */
#define POLL_BODY_FIELDS_MAX (POLL_ID_MAX + 2 * POLL_KEY_MAX + 2)
#define POLL_BODY_NFIELDS 3

/* One field as it lies in the input. */
struct poll_field {
	const char *p;
	size_t len;
};

static const char *const poll_body_error_names[] = {
	[POLL_BODY_OK] = "ok",
	[POLL_BODY_TOO_LARGE] = "body too large",
	[POLL_BODY_NO_COMMA] = "no ',' after the identifier and keys",
	[POLL_BODY_BAD_ID] = "bad identifier",
	[POLL_BODY_BAD_KEY] = "bad key",
	[POLL_BODY_TOO_MANY] = "too many ';' fields",
};

const char *poll_body_error_name(enum poll_body_error err)
{
	size_t n =
		sizeof poll_body_error_names / sizeof poll_body_error_names[0];
	return (size_t)err < n ? poll_body_error_names[err] : "unknown error";
}

/* XEP-0025 3: an identifier consists of [A-Za-z0-9:-]. */
static int poll_is_id_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == ':' || c == '-';
}

/* Keys are base64 (RFC 3548) but the seed K(0) is the client's choice:
   any printable ASCII byte that does not delimit fields. */
static int poll_is_key_char(char c)
{
	return c > ' ' && c < 0x7f && c != ';' && c != ',';
}

/* Copies f into dst (of max + 1 bytes) if it is 1 to max bytes of
   accepted characters; 0 or -1. */
static int poll_take_field(const struct poll_field *f, size_t max,
			   int (*accept)(char), char *dst)
{
	if (f->len == 0 || f->len > max)
		return -1;
	for (size_t i = 0; i < f->len; i++)
		if (!accept(f->p[i]))
			return -1;
	memcpy(dst, f->p, f->len);
	dst[f->len] = '\0';
	return 0;
}

/* Splits p[0..len) on ';' into at most POLL_BODY_NFIELDS fields; their
   count, or -1 if there are more. */
static int poll_split(const char *p, size_t len,
		      struct poll_field f[POLL_BODY_NFIELDS])
{
	int n = 0;
	size_t start = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && p[i] != ';')
			continue;
		if (n == POLL_BODY_NFIELDS)
			return -1;
		f[n].p = p + start;
		f[n].len = i - start;
		n++;
		start = i + 1;
	}
	return n;
}

/* Fills b's identifier and keys from the fields; 0 or -1 with *err. */
static int poll_take_fields(const struct poll_field *f, int n,
			    struct poll_body *b, enum poll_body_error *err)
{
	if (poll_take_field(&f[0], POLL_ID_MAX, poll_is_id_char, b->id) < 0) {
		*err = POLL_BODY_BAD_ID;
		return -1;
	}
	if ((n > 1 && poll_take_field(&f[1], POLL_KEY_MAX, poll_is_key_char,
				      b->key) < 0) ||
	    (n > 2 && poll_take_field(&f[2], POLL_KEY_MAX, poll_is_key_char,
				      b->newkey) < 0)) {
		*err = POLL_BODY_BAD_KEY;
		return -1;
	}
	return 0;
}

int poll_body_parse(const char *data, size_t len,
		    const struct poll_body_limits *lim, struct poll_body *out,
		    enum poll_body_error *err)
{
	struct poll_field f[POLL_BODY_NFIELDS];
	*err = POLL_BODY_OK;
	memset(out, 0, sizeof *out);
	if (len > lim->max_bytes) {
		*err = POLL_BODY_TOO_LARGE;
		return -1;
	}
	size_t scan =
		len < POLL_BODY_FIELDS_MAX + 1 ? len : POLL_BODY_FIELDS_MAX + 1;
	const char *comma = data ? memchr(data, ',', scan) : NULL;
	if (!comma) {
		*err = POLL_BODY_NO_COMMA;
		return -1;
	}
	int n = poll_split(data, (size_t)(comma - data), f);
	if (n < 0) {
		*err = POLL_BODY_TOO_MANY;
		return -1;
	}
	if (poll_take_fields(f, n, out, err) < 0)
		return -1;
	out->xml = comma + 1;
	out->xml_len = len - (size_t)(comma + 1 - data);
	return 0;
}

int poll_body_is_new(const struct poll_body *b)
{
	return strcmp(b->id, "0") == 0;
}
