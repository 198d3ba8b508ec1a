/* range.h: the Range request header (RFC 9110 14.2), single ranges only.
 *
 * A multi-range or malformed Range header is ignored (the whole file is
 * sent with 200), as RFC 9110 allows; a well-formed single range that no
 * byte of the file satisfies gives 416. */
#ifndef PARLEY_RANGE_H
#define PARLEY_RANGE_H

#include <stddef.h>
#include <stdint.h>

enum range_result {
	RANGE_IGNORE = 0,        /* send the whole representation */
	RANGE_OK = 1,            /* send [*first, *first + *count) with 206 */
	RANGE_UNSATISFIABLE = 2, /* 416 with Content-Range: bytes * / size */
};

/* value is the Range header value (not NUL-terminated), size the file size. */
enum range_result range_parse(const char *value, size_t len, uint64_t size,
			      uint64_t *first, uint64_t *count);

#endif
