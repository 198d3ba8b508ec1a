/* check_attr.c: unit tests for attr: the exact encoding, round trips with
 * repeated keys, a reader that skips keys it does not know still finding the
 * ones it does, and -1 (never a read outside the payload) for a truncated
 * attribute header or a length that overruns the payload. */
#include <errno.h>
#include <string.h>

#include "attr.h"
#include "suites.h"

START_TEST(test_encoding)
{
	struct buf b;
	buf_init(&b, 100);
	ck_assert_int_eq(attr_append(&b, 0x0102, "ab", 2), 0);
	ck_assert_int_eq(attr_append_u32(&b, ATTR_STATUS, 0xa0b0c0d0u), 0);
	static const unsigned char want[] = {
		1, 2, 0, 0, 0, 2, 'a', 'b',
		0, 7, 0, 0, 0, 4, 0xa0, 0xb0, 0xc0, 0xd0,
	};
	ck_assert_uint_eq(b.len, sizeof want);
	ck_assert_mem_eq(buf_head(&b), want, sizeof want);
	buf_free(&b);
}
END_TEST

START_TEST(test_round_trip_repeated)
{
	struct buf b;
	buf_init(&b, 1000);
	ck_assert_int_eq(attr_append_str(&b, ATTR_METHOD, "POST"), 0);
	ck_assert_int_eq(attr_append_str(&b, ATTR_HEADER, "Host: a"), 0);
	ck_assert_int_eq(attr_append_str(&b, ATTR_HEADER, "X-Y: z"), 0);
	ck_assert_int_eq(attr_append(&b, ATTR_BODY, NULL, 0), 0);
	ck_assert_int_eq(attr_append_u32(&b, ATTR_STATUS, 200), 0);

	struct attr_iter it;
	struct attr a;
	attr_iter_init(&it, buf_head(&b), b.len);
	ck_assert_int_eq(attr_next(&it, &a), 1);
	ck_assert_uint_eq(a.key, ATTR_METHOD);
	ck_assert_uint_eq(a.len, 4);
	ck_assert_mem_eq(a.value, "POST", 4);
	ck_assert_int_eq(attr_next(&it, &a), 1);
	ck_assert_uint_eq(a.key, ATTR_HEADER);
	ck_assert_mem_eq(a.value, "Host: a", 7);
	ck_assert_int_eq(attr_next(&it, &a), 1);
	ck_assert_uint_eq(a.key, ATTR_HEADER);
	ck_assert_uint_eq(a.len, 6);
	ck_assert_mem_eq(a.value, "X-Y: z", 6);
	ck_assert_int_eq(attr_next(&it, &a), 1);
	ck_assert_uint_eq(a.key, ATTR_BODY);
	ck_assert_uint_eq(a.len, 0);
	ck_assert_int_eq(attr_next(&it, &a), 1);
	uint32_t v = 0;
	ck_assert_int_eq(attr_get_u32(&a, &v), 0);
	ck_assert_uint_eq(v, 200);
	ck_assert_int_eq(attr_next(&it, &a), 0);
	ck_assert_int_eq(attr_next(&it, &a), 0);
	buf_free(&b);
}
END_TEST

START_TEST(test_empty_payload)
{
	struct attr_iter it;
	struct attr a;
	attr_iter_init(&it, NULL, 0);
	ck_assert_int_eq(attr_next(&it, &a), 0);
}
END_TEST

/* A reader as a daemon writes it: known keys handled, the rest skipped. */
struct request_view {
	const char *method;
	size_t headers;
	size_t unknown;
};

static int read_request(const void *p, size_t n, struct request_view *v)
{
	struct attr_iter it;
	struct attr a;
	int r;
	memset(v, 0, sizeof *v);
	attr_iter_init(&it, p, n);
	while ((r = attr_next(&it, &a)) == 1) {
		if (a.key == ATTR_METHOD)
			v->method = (const char *)a.value;
		else if (a.key == ATTR_HEADER)
			v->headers++;
		else
			v->unknown++;
	}
	return r;
}

START_TEST(test_unknown_keys_skipped)
{
	struct buf b;
	buf_init(&b, 1000);
	ck_assert_int_eq(attr_append(&b, 999, "future", 6), 0);
	ck_assert_int_eq(attr_append_str(&b, ATTR_METHOD, "GET"), 0);
	ck_assert_int_eq(attr_append(&b, 0xffff, NULL, 0), 0);
	ck_assert_int_eq(attr_append_str(&b, ATTR_HEADER, "A: b"), 0);
	ck_assert_int_eq(attr_append(&b, 1000, "\0\0\0\0\0\0\0\0", 8), 0);
	ck_assert_int_eq(attr_append_str(&b, ATTR_HEADER, "C: d"), 0);
	struct request_view v;
	ck_assert_int_eq(read_request(buf_head(&b), b.len, &v), 0);
	ck_assert_ptr_nonnull(v.method);
	ck_assert_mem_eq(v.method, "GET", 3);
	ck_assert_uint_eq(v.headers, 2);
	ck_assert_uint_eq(v.unknown, 3);
	buf_free(&b);
}
END_TEST

START_TEST(test_truncated_header)
{
	struct buf b;
	buf_init(&b, 100);
	ck_assert_int_eq(attr_append_str(&b, ATTR_METHOD, "GET"), 0);
	ck_assert_int_eq(attr_append_str(&b, ATTR_TARGET, "/"), 0);
	/* every prefix that cuts an attribute short is an error */
	for (size_t n = 1; n < b.len; n++) {
		if (n == 9)
			continue; /* the clean end of the first attribute */
		struct request_view v;
		ck_assert_msg(read_request(buf_head(&b), n, &v) == -1,
			      "prefix %zu accepted", n);
	}
	struct request_view v;
	ck_assert_int_eq(read_request(buf_head(&b), 9, &v), 0);
	buf_free(&b);
}
END_TEST

START_TEST(test_overrun_length)
{
	static const unsigned char p[] = {
		0, 1, 0, 0, 0, 3, 'G', 'E', 'T',
		0, 2, 0xff, 0xff, 0xff, 0xff, '/',
	};
	struct attr_iter it;
	struct attr a;
	attr_iter_init(&it, p, sizeof p);
	ck_assert_int_eq(attr_next(&it, &a), 1);
	ck_assert_int_eq(attr_next(&it, &a), -1);
	ck_assert_int_eq(attr_next(&it, &a), -1); /* stays an error */
	static const unsigned char q[] = {0, 2, 0, 0, 0, 2, '/'};
	attr_iter_init(&it, q, sizeof q);
	ck_assert_int_eq(attr_next(&it, &a), -1);
}
END_TEST

START_TEST(test_u32)
{
	struct buf b;
	buf_init(&b, 100);
	ck_assert_int_eq(attr_append_u32(&b, ATTR_STATUS, 0), 0);
	ck_assert_int_eq(attr_append_u32(&b, ATTR_STATUS, 0xffffffffu), 0);
	ck_assert_int_eq(attr_append_str(&b, ATTR_STATUS, "200"), 0);
	struct attr_iter it;
	struct attr a;
	uint32_t v = 1;
	attr_iter_init(&it, buf_head(&b), b.len);
	ck_assert_int_eq(attr_next(&it, &a), 1);
	ck_assert_int_eq(attr_get_u32(&a, &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(attr_next(&it, &a), 1);
	ck_assert_int_eq(attr_get_u32(&a, &v), 0);
	ck_assert_uint_eq(v, 0xffffffffu);
	ck_assert_int_eq(attr_next(&it, &a), 1);
	ck_assert_int_eq(attr_get_u32(&a, &v), -1);
	ck_assert_uint_eq(v, 0xffffffffu);
	buf_free(&b);
}
END_TEST

START_TEST(test_append_full)
{
	struct buf b;
	buf_init(&b, 10);
	ck_assert_int_eq(attr_append(&b, 1, "abcd", 4), 0);
	errno = 0;
	ck_assert_int_eq(attr_append(&b, 1, NULL, 0), -1);
	ck_assert_int_eq(errno, ENOBUFS);
	ck_assert_int_eq(attr_append_u32(&b, 1, 5), -1);
	ck_assert_uint_eq(b.len, 10);
	buf_free(&b);
}
END_TEST

Suite *attr_suite(void)
{
	Suite *s = suite_create("attr");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_encoding);
	tcase_add_test(tc, test_round_trip_repeated);
	tcase_add_test(tc, test_empty_payload);
	tcase_add_test(tc, test_unknown_keys_skipped);
	tcase_add_test(tc, test_truncated_header);
	tcase_add_test(tc, test_overrun_length);
	tcase_add_test(tc, test_u32);
	tcase_add_test(tc, test_append_full);
	suite_add_tcase(s, tc);
	return s;
}
