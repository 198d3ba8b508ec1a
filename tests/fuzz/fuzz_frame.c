/* fuzz_frame.c: fuzz target for the frame decoder, the attribute iterator
 * and the HELLO parser. The input is treated as bytes arriving on one
 * connection, in chunks whose sizes come from the input itself, and decoded
 * as a daemon would: each whole frame is consumed, its attributes walked, and
 * a HELLO checked; the first FRAME_BAD ends the connection. */
#include <stddef.h>
#include <stdint.h>

#include "attr.h"
#include "buf.h"
#include "frame.h"
#include "fuzz_targets.h"

/* A small connection limit so that length checks are reached often. */
#define FUZZ_MAX_PAYLOAD 4096

/* Keeps the reads of attribute values from being optimized away. */
static volatile unsigned fuzz_frame_sink;

static void fuzz_frame_payload(const struct frame_header *h,
			       const unsigned char *payload)
{
	struct attr_iter it;
	struct attr a;
	uint32_t v;
	attr_iter_init(&it, payload, h->length);
	while (attr_next(&it, &a) == 1) {
		/* read both ends of the value so ASan checks its bounds */
		if (a.len > 0)
			fuzz_frame_sink += a.value[0] + a.value[a.len - 1];
		if (attr_get_u32(&a, &v) == 0)
			fuzz_frame_sink += v;
	}
	if (h->type == FRAME_HELLO) {
		char role[33];
		const char *why;
		(void)frame_hello_check(payload, h->length, role, sizeof role,
					&why);
	}
}

/* Decodes and consumes whole frames from in; -1 once the stream is bad. */
static int fuzz_frame_drain(struct buf *in)
{
	for (;;) {
		struct frame_header h;
		const unsigned char *payload;
		const char *why;
		enum frame_decode_result r = frame_decode(
			(const unsigned char *)buf_head(in), in->len,
			FUZZ_MAX_PAYLOAD, &h, &payload, &why);
		if (r == FRAME_BAD)
			return -1;
		if (r == FRAME_NEED_MORE)
			return 0;
		fuzz_frame_payload(&h, payload);
		buf_consume(in, FRAME_HEADER_SIZE + h.length);
	}
}

void fuzz_frame_run(const uint8_t *data, size_t size)
{
	struct buf in;
	buf_init(&in, FRAME_HEADER_SIZE + FUZZ_MAX_PAYLOAD);
	/* the first byte picks the chunk size, as reads of varying size */
	size_t chunk = size > 0 ? (size_t)data[0] % 64 : 0;
	if (chunk == 0)
		chunk = size > 0 ? size : 1;
	for (size_t off = 0; off < size;) {
		/* like read(2) into the free space: never past the limit */
		size_t n = size - off < chunk ? size - off : chunk;
		if (n > in.limit - in.len)
			n = in.limit - in.len;
		if (buf_append(&in, data + off, n) < 0)
			break;
		off += n;
		if (fuzz_frame_drain(&in) < 0)
			break;
	}
	buf_free(&in);
}

#ifdef FUZZING
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_frame_run(data, size);
	return 0;
}
#endif
