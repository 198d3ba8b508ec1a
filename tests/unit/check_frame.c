/* check_frame.c: unit tests for frame: the exact header layout, round trips,
 * a stream of several frames fed split at every byte offset (and one byte at
 * a time) decoding to the same frames, every reason frame_decode refuses a
 * header (judged on the header alone), and the HELLO handshake text. */
#include <errno.h>
#include <string.h>

#include "attr.h"
#include "frame.h"
#include "suites.h"

#define MAX_FRAMES 16

struct seen {
	size_t count;
	struct frame_header h[MAX_FRAMES];
	char payload[MAX_FRAMES][128];
};

/* Decodes and consumes every whole frame in in, as a connection would. */
static void drain(struct buf *in, struct seen *s)
{
	for (;;) {
		struct frame_header h;
		const unsigned char *payload;
		const char *why = NULL;
		enum frame_decode_result r = frame_decode(
			(const unsigned char *)buf_head(in), in->len,
			FRAME_MAX_PAYLOAD, &h, &payload, &why);
		ck_assert_int_ne(r, FRAME_BAD);
		if (r == FRAME_NEED_MORE)
			return;
		ck_assert_uint_lt(s->count, MAX_FRAMES);
		ck_assert_uint_le(h.length, sizeof s->payload[0]);
		s->h[s->count] = h;
		memcpy(s->payload[s->count], payload, h.length);
		s->count++;
		buf_consume(in, FRAME_HEADER_SIZE + h.length);
	}
}

/* A stream of five frames of different types, payload sizes and channels. */
static void sample_stream(struct buf *out)
{
	struct buf attrs;
	buf_init(&attrs, 1024);
	ck_assert_int_eq(attr_append_str(&attrs, ATTR_METHOD, "GET"), 0);
	ck_assert_int_eq(attr_append_str(&attrs, ATTR_TARGET, "/x?y"), 0);
	ck_assert_int_eq(frame_hello_append(out, "http-filed"), 0);
	ck_assert_int_eq(frame_append(out, FRAME_HTTP_REQUEST, 7,
				      buf_head(&attrs), attrs.len),
			 0);
	ck_assert_int_eq(frame_append(out, FRAME_PING, 0, NULL, 0), 0);
	ck_assert_int_eq(frame_append(out, FRAME_PONG, 0, "pp", 2), 0);
	ck_assert_int_eq(
		frame_append(out, FRAME_HTTP_ABORT, 0xfffffffeu, NULL, 0), 0);
	buf_free(&attrs);
}

static void assert_same(const struct seen *a, const struct seen *b)
{
	ck_assert_uint_eq(a->count, b->count);
	for (size_t i = 0; i < a->count; i++) {
		ck_assert_uint_eq(a->h[i].type, b->h[i].type);
		ck_assert_uint_eq(a->h[i].channel, b->h[i].channel);
		ck_assert_uint_eq(a->h[i].length, b->h[i].length);
		ck_assert_uint_eq(a->h[i].flags, b->h[i].flags);
		ck_assert_mem_eq(a->payload[i], b->payload[i], a->h[i].length);
	}
}

START_TEST(test_header_layout)
{
	struct frame_header h = {
		.length = 0x01020304,
		.type = 0x0506,
		.flags = 0x0708,
		.channel = 0x090a0b0c,
	};
	unsigned char p[FRAME_HEADER_SIZE];
	memset(p, 0xee, sizeof p);
	frame_header_encode(&h, p);
	static const unsigned char want[FRAME_HEADER_SIZE] = {
		1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0, 0, 0, 0,
	};
	ck_assert_mem_eq(p, want, sizeof want);
}
END_TEST

START_TEST(test_round_trip)
{
	struct buf out;
	buf_init(&out, 4096);
	ck_assert_int_eq(
		frame_append(&out, FRAME_HTTP_RESPONSE, 42, "hello", 5), 0);
	ck_assert_uint_eq(out.len, FRAME_HEADER_SIZE + 5);
	struct frame_header h;
	const unsigned char *payload = NULL;
	const char *why = NULL;
	ck_assert_int_eq(frame_decode((const unsigned char *)buf_head(&out),
				      out.len, 5, &h, &payload, &why),
			 FRAME_OK);
	ck_assert_uint_eq(h.type, FRAME_HTTP_RESPONSE);
	ck_assert_uint_eq(h.channel, 42);
	ck_assert_uint_eq(h.length, 5);
	ck_assert_uint_eq(h.flags, 0);
	ck_assert_ptr_eq(payload, (const unsigned char *)buf_head(&out) + 16);
	ck_assert_mem_eq(payload, "hello", 5);
	buf_free(&out);
}
END_TEST

START_TEST(test_split_at_every_offset)
{
	struct buf stream;
	buf_init(&stream, 4096);
	sample_stream(&stream);
	const char *bytes = buf_head(&stream);
	size_t n = stream.len;

	struct seen whole = {0};
	struct buf in;
	buf_init(&in, 4096);
	ck_assert_int_eq(buf_append(&in, bytes, n), 0);
	drain(&in, &whole);
	ck_assert_uint_eq(whole.count, 5);
	ck_assert_uint_eq(in.len, 0);
	ck_assert_uint_eq(whole.h[0].type, FRAME_HELLO);
	ck_assert_uint_eq(whole.h[1].channel, 7);
	ck_assert_uint_eq(whole.h[4].channel, 0xfffffffeu);
	ck_assert_mem_eq(whole.payload[3], "pp", 2);

	for (size_t k = 0; k <= n; k++) {
		struct seen split = {0};
		buf_reset(&in);
		ck_assert_int_eq(buf_append(&in, bytes, k), 0);
		drain(&in, &split);
		ck_assert_int_eq(buf_append(&in, bytes + k, n - k), 0);
		drain(&in, &split);
		ck_assert_uint_eq(in.len, 0);
		assert_same(&whole, &split);
	}

	struct seen bytewise = {0};
	buf_reset(&in);
	for (size_t i = 0; i < n; i++) {
		ck_assert_int_eq(buf_append(&in, bytes + i, 1), 0);
		drain(&in, &bytewise);
	}
	assert_same(&whole, &bytewise);
	buf_free(&in);
	buf_free(&stream);
}
END_TEST

/* Decodes a lone header with the given fields and returns the result. */
static enum frame_decode_result decode_header(uint32_t length, uint16_t type,
					      uint16_t flags, size_t max,
					      const char **why)
{
	struct frame_header h = {
		.length = length,
		.type = type,
		.flags = flags,
		.channel = 1,
	};
	unsigned char p[FRAME_HEADER_SIZE];
	frame_header_encode(&h, p);
	struct frame_header got;
	const unsigned char *payload;
	*why = NULL;
	return frame_decode(p, sizeof p, max, &got, &payload, why);
}

START_TEST(test_reject_length_over_connection_max)
{
	const char *why;
	ck_assert_int_eq(decode_header(101, FRAME_PING, 0, 100, &why),
			 FRAME_BAD);
	ck_assert_ptr_nonnull(why);
	ck_assert_int_eq(decode_header(100, FRAME_PING, 0, 100, &why),
			 FRAME_NEED_MORE);
	ck_assert_int_eq(decode_header(1, FRAME_PING, 0, 0, &why), FRAME_BAD);
}
END_TEST

START_TEST(test_reject_length_over_protocol_max)
{
	const char *why;
	ck_assert_int_eq(decode_header(FRAME_MAX_PAYLOAD + 1,
				       FRAME_HTTP_REQUEST, 0, (size_t)-1, &why),
			 FRAME_BAD);
	ck_assert_ptr_nonnull(why);
	ck_assert_int_eq(decode_header(0xffffffffu, FRAME_HTTP_REQUEST, 0,
				       (size_t)-1, &why),
			 FRAME_BAD);
	ck_assert_int_eq(decode_header(FRAME_MAX_PAYLOAD, FRAME_HTTP_REQUEST, 0,
				       (size_t)-1, &why),
			 FRAME_NEED_MORE);
}
END_TEST

START_TEST(test_reject_unknown_type)
{
	static const uint16_t bad[] = {0, 5, 15, 23, 31, 40, 47, 63, 67, 79, 0xffff};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		const char *why;
		ck_assert_int_eq(decode_header(0, bad[i], 0, 100, &why),
				 FRAME_BAD);
		ck_assert_ptr_nonnull(why);
		ck_assert_int_eq(frame_type_is_known(bad[i]), 0);
		ck_assert_str_eq(frame_type_name(bad[i]), "unknown");
	}
}
END_TEST

START_TEST(test_reject_unknown_flags)
{
	static const uint16_t bad[] = {1, 2, 0x80, 0x8000, 0xffff};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		const char *why;
		ck_assert_int_eq(
			decode_header(0, FRAME_PONG, bad[i], 100, &why),
			FRAME_BAD);
		ck_assert_ptr_nonnull(why);
	}
}
END_TEST

START_TEST(test_reject_reasons_differ)
{
	const char *w1, *w2, *w3;
	decode_header(200, FRAME_PING, 0, 100, &w1);
	decode_header(0, 99, 0, 100, &w2);
	decode_header(0, FRAME_PING, 4, 100, &w3);
	ck_assert_str_ne(w1, w2);
	ck_assert_str_ne(w2, w3);
	ck_assert_str_ne(w1, w3);
}
END_TEST

START_TEST(test_short_header_needs_more)
{
	unsigned char p[FRAME_HEADER_SIZE];
	memset(p, 0xff, sizeof p);
	struct frame_header h;
	const unsigned char *payload;
	const char *why = NULL;
	for (size_t n = 0; n < FRAME_HEADER_SIZE; n++)
		ck_assert_int_eq(frame_decode(p, n, 100, &h, &payload, &why),
				 FRAME_NEED_MORE);
	ck_assert_int_eq(frame_decode(p, sizeof p, 100, &h, &payload, &why),
			 FRAME_BAD);
}
END_TEST

START_TEST(test_reserved_ignored)
{
	struct buf out;
	buf_init(&out, 64);
	ck_assert_int_eq(frame_append(&out, FRAME_PING, 0, "x", 1), 0);
	memset(buf_head(&out) + 12, 0xab, 4);
	struct frame_header h;
	const unsigned char *payload;
	const char *why = NULL;
	ck_assert_int_eq(frame_decode((const unsigned char *)buf_head(&out),
				      out.len, 64, &h, &payload, &why),
			 FRAME_OK);
	ck_assert_uint_eq(h.type, FRAME_PING);
	buf_free(&out);
}
END_TEST

START_TEST(test_append_limits)
{
	struct buf out;
	buf_init(&out, 20);
	static const char dummy[1];
	errno = 0;
	ck_assert_int_eq(frame_append(&out, FRAME_PING, 0, dummy,
				      (size_t)FRAME_MAX_PAYLOAD + 1),
			 -1);
	ck_assert_int_eq(errno, EMSGSIZE);
	ck_assert_int_eq(frame_append(&out, FRAME_PING, 0, "abcd", 4), 0);
	errno = 0;
	ck_assert_int_eq(frame_append(&out, FRAME_PING, 0, NULL, 0), -1);
	ck_assert_int_eq(errno, ENOBUFS);
	ck_assert_uint_eq(out.len, 20);
	buf_free(&out);
}
END_TEST

START_TEST(test_type_names)
{
	ck_assert_str_eq(frame_type_name(FRAME_HELLO), "HELLO");
	ck_assert_str_eq(frame_type_name(FRAME_HTTP_REQUEST), "HTTP_REQUEST");
	ck_assert_str_eq(frame_type_name(FRAME_HTTP_ABORT), "HTTP_ABORT");
	ck_assert_int_eq(frame_type_is_known(FRAME_PONG), 1);
	ck_assert_int_eq(frame_type_is_known(FRAME_HTTP_RESPONSE), 1);
	ck_assert_str_eq(frame_type_name(FRAME_CTL_REQUEST), "CTL_REQUEST");
	ck_assert_int_eq(frame_type_is_known(FRAME_CTL_REPLY), 1);
	ck_assert_int_eq(frame_type_is_known(FRAME_CTL_END), 1);
}
END_TEST

/* Runs frame_hello_check on a C string. */
static int hello(const char *text, char *role, size_t rolesz, const char **why)
{
	*why = NULL;
	return frame_hello_check((const unsigned char *)text, strlen(text),
				 role, rolesz, why);
}

START_TEST(test_hello_round_trip)
{
	struct buf out;
	buf_init(&out, 256);
	ck_assert_int_eq(frame_hello_append(&out, "test-backend"), 0);
	struct frame_header h;
	const unsigned char *payload;
	const char *why = NULL;
	ck_assert_int_eq(frame_decode((const unsigned char *)buf_head(&out),
				      out.len, 256, &h, &payload, &why),
			 FRAME_OK);
	ck_assert_uint_eq(h.type, FRAME_HELLO);
	ck_assert_uint_eq(h.channel, 0);
	ck_assert_uint_eq(h.length, strlen("parley 1.4 test-backend"));
	ck_assert_mem_eq(payload, "parley 1.4 test-backend", h.length);
	char role[33];
	ck_assert_int_eq(
		frame_hello_check(payload, h.length, role, sizeof role, &why),
		0);
	ck_assert_str_eq(role, "test-backend");
	ck_assert_uint_eq(frame_hello_minor(payload, h.length), 4);
	buf_free(&out);
}
END_TEST

START_TEST(test_hello_any_minor)
{
	char role[33];
	const char *why;
	ck_assert_int_eq(hello("parley 1.0 x", role, sizeof role, &why), 0);
	ck_assert_str_eq(role, "x");
	ck_assert_uint_eq(frame_hello_minor((const unsigned char *)"parley 1.0 x",
					    12),
			  0);
	ck_assert_uint_eq(frame_hello_minor((const unsigned char *)"parley 1.42 x",
					    13),
			  42);
	ck_assert_int_eq(
		hello("parley 1.7 http-filed", role, sizeof role, &why), 0);
	ck_assert_str_eq(role, "http-filed");
	ck_assert_int_eq(hello("parley 1.12345 a-0", NULL, 0, &why), 0);
	ck_assert_int_eq(hello("parley 1.0 abcdefghijklmnopqrstuvwxyz012345",
			       role, sizeof role, &why),
			 0);
	ck_assert_int_eq(hello("parley 1.0 http-filed", role, 5, &why), 0);
	ck_assert_str_eq(role, "http");
}
END_TEST

START_TEST(test_hello_bad_major)
{
	char role[33] = "untouched";
	const char *why;
	ck_assert_int_eq(hello("parley 2.0 x", role, sizeof role, &why), -1);
	ck_assert_ptr_nonnull(why);
	ck_assert_str_eq(role, "untouched");
	ck_assert_int_eq(hello("parley 0.9 x", role, sizeof role, &why), -1);
	ck_assert_ptr_nonnull(why);
	ck_assert_int_eq(hello("parley 11.0 x", role, sizeof role, &why), -1);
}
END_TEST

START_TEST(test_hello_garbage)
{
	static const char *const bad[] = {
		"",
		"parley",
		"parley ",
		"parley 1.0",
		"parley 1.0 ",
		"parley 1 x",
		"parley .0 x",
		"parley 1. x",
		"parley 1.0x y",
		"parley 1.0  x",
		"parley 1.0 X",
		"parley 1.0 a b",
		"parley 1.0 x\n",
		"parley 1.0 a_b",
		"Parley 1.0 x",
		" parley 1.0 x",
		"parley -1.0 x",
		"parley 123456.0 x",
		"parley 1.0 abcdefghijklmnopqrstuvwxyz0123456",
		"xmpp 1.0 x",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		const char *why;
		ck_assert_msg(hello(bad[i], NULL, 0, &why) == -1,
			      "accepted \"%s\"", bad[i]);
		ck_assert_ptr_nonnull(why);
	}
	const char *why;
	static const unsigned char nul[] = "parley 1.0 a\0b";
	ck_assert_int_eq(frame_hello_check(nul, sizeof nul - 1, NULL, 0, &why),
			 -1);
}
END_TEST

START_TEST(test_hello_append_bad_role)
{
	struct buf out;
	buf_init(&out, 256);
	static const char *const bad[] = {
		"", "Http", "a b", "a/b", "abcdefghijklmnopqrstuvwxyz0123456",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		errno = 0;
		ck_assert_int_eq(frame_hello_append(&out, bad[i]), -1);
		ck_assert_int_eq(errno, EINVAL);
	}
	ck_assert_uint_eq(out.len, 0);
	buf_free(&out);
}
END_TEST

Suite *frame_suite(void)
{
	Suite *s = suite_create("frame");
	TCase *tc = tcase_create("codec");
	tcase_add_test(tc, test_header_layout);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_split_at_every_offset);
	tcase_add_test(tc, test_reserved_ignored);
	tcase_add_test(tc, test_append_limits);
	tcase_add_test(tc, test_type_names);
	suite_add_tcase(s, tc);
	tc = tcase_create("reject");
	tcase_add_test(tc, test_reject_length_over_connection_max);
	tcase_add_test(tc, test_reject_length_over_protocol_max);
	tcase_add_test(tc, test_reject_unknown_type);
	tcase_add_test(tc, test_reject_unknown_flags);
	tcase_add_test(tc, test_reject_reasons_differ);
	tcase_add_test(tc, test_short_header_needs_more);
	suite_add_tcase(s, tc);
	tc = tcase_create("hello");
	tcase_add_test(tc, test_hello_round_trip);
	tcase_add_test(tc, test_hello_any_minor);
	tcase_add_test(tc, test_hello_bad_major);
	tcase_add_test(tc, test_hello_garbage);
	tcase_add_test(tc, test_hello_append_bad_role);
	suite_add_tcase(s, tc);
	return s;
}
