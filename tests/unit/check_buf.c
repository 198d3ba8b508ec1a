/* check_buf.c: unit tests for buf: the limit is never passed, a refused
 * append leaves the buffer exactly as it was, consumed bytes are reclaimed
 * by compaction before the storage grows, and buf_printf respects the limit
 * whether or not the text fits in the storage already allocated. */
#include <errno.h>
#include <string.h>

#include "buf.h"
#include "suites.h"

/* Fills b with n bytes of the pattern 'a' + i % 26. */
static void fill(struct buf *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = (char)('a' + i % 26);
		ck_assert_int_eq(buf_append(b, &c, 1), 0);
	}
}

START_TEST(test_init_is_empty)
{
	struct buf b;
	buf_init(&b, 100);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_uint_eq(b.cap, 0);
	ck_assert_ptr_null(b.data);
	ck_assert_int_eq(buf_append(&b, "", 0), 0);
	ck_assert_uint_eq(b.len, 0);
	buf_free(&b);
	buf_free(&b); /* freeing twice is harmless */
}
END_TEST

START_TEST(test_append_up_to_limit)
{
	struct buf b;
	buf_init(&b, 10);
	ck_assert_int_eq(buf_append(&b, "0123456789", 10), 0);
	ck_assert_uint_eq(b.len, 10);
	ck_assert_mem_eq(buf_head(&b), "0123456789", 10);
	buf_free(&b);
}
END_TEST

START_TEST(test_append_past_limit_leaves_unchanged)
{
	struct buf b;
	buf_init(&b, 10);
	ck_assert_int_eq(buf_append_str(&b, "0123"), 0);
	buf_consume(&b, 1);
	struct buf before = b;
	errno = 0;
	ck_assert_int_eq(buf_append(&b, "abcdefgh", 8), -1);
	ck_assert_int_eq(errno, ENOBUFS);
	ck_assert_mem_eq(&b, &before, sizeof b);
	ck_assert_mem_eq(buf_head(&b), "123", 3);
	errno = 0;
	ck_assert_int_eq(buf_reserve(&b, 8), -1);
	ck_assert_int_eq(errno, ENOBUFS);
	ck_assert_mem_eq(&b, &before, sizeof b);
	ck_assert_int_eq(buf_append(&b, "abcdefg", 7), 0);
	ck_assert_uint_eq(b.len, 10);
	ck_assert_mem_eq(buf_head(&b), "123abcdefg", 10);
	buf_free(&b);
}
END_TEST

START_TEST(test_huge_reserve_refused)
{
	struct buf b;
	buf_init(&b, 1000);
	fill(&b, 5);
	errno = 0;
	ck_assert_int_eq(buf_reserve(&b, (size_t)-1), -1);
	ck_assert_int_eq(errno, ENOBUFS);
	ck_assert_uint_eq(b.len, 5);
	buf_free(&b);
}
END_TEST

START_TEST(test_geometric_growth_bounded_by_limit)
{
	struct buf b;
	buf_init(&b, 5000);
	size_t grows = 0, last = 0;
	for (size_t i = 0; i < 5000; i++) {
		fill(&b, 1);
		if (b.cap != last)
			grows++;
		last = b.cap;
	}
	ck_assert_uint_le(grows, 10);
	ck_assert_uint_le(b.cap, 5001);
	ck_assert_int_eq(buf_append(&b, "x", 1), -1);
	buf_free(&b);
}
END_TEST

START_TEST(test_consume_and_compaction)
{
	struct buf b;
	buf_init(&b, 64);
	fill(&b, 64);
	size_t cap = b.cap;
	buf_consume(&b, 40);
	ck_assert_uint_eq(b.len, 24);
	ck_assert_uint_eq(b.off, 40);
	ck_assert_int_eq(buf_head(&b)[0], 'a' + 40 % 26);
	/* needs room at the back: compacts rather than grows */
	ck_assert_int_eq(
		buf_append(&b, "0123456789012345678901234567890123456789", 40),
		0);
	ck_assert_uint_eq(b.cap, cap);
	ck_assert_uint_eq(b.len, 64);
	ck_assert_uint_eq(b.off, 0);
	ck_assert_int_eq(buf_head(&b)[0], 'a' + 40 % 26);
	ck_assert_mem_eq(buf_head(&b) + 24, "0123456789", 10);
	buf_consume(&b, 64);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_uint_eq(b.off, 0);
	buf_free(&b);
}
END_TEST

START_TEST(test_reserve_tail_commit)
{
	struct buf b;
	buf_init(&b, 100);
	ck_assert_int_eq(buf_append_str(&b, "ab"), 0);
	ck_assert_int_eq(buf_reserve(&b, 50), 0);
	ck_assert_uint_ge(b.cap - b.off - b.len, 50);
	memcpy(buf_tail(&b), "cde", 3);
	buf_commit(&b, 3);
	ck_assert_uint_eq(b.len, 5);
	ck_assert_mem_eq(buf_head(&b), "abcde", 5);
	buf_reset(&b);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_ptr_nonnull(b.data);
	buf_free(&b);
	ck_assert_ptr_null(b.data);
	ck_assert_uint_eq(b.limit, 100);
	ck_assert_int_eq(buf_append_str(&b, "again"), 0);
	ck_assert_mem_eq(buf_head(&b), "again", 5);
	buf_free(&b);
}
END_TEST

START_TEST(test_printf_fits)
{
	struct buf b;
	buf_init(&b, 1000);
	ck_assert_int_eq(buf_printf(&b, "%s=%d;", "x", 42), 0);
	ck_assert_int_eq(buf_printf(&b, "%0300d", 7), 0); /* forces growth */
	ck_assert_uint_eq(b.len, 5 + 300);
	ck_assert_mem_eq(buf_head(&b), "x=42;000", 8);
	ck_assert_int_eq(buf_head(&b)[304], '7');
	buf_free(&b);
}
END_TEST

START_TEST(test_printf_exactly_limit)
{
	struct buf b;
	buf_init(&b, 10);
	ck_assert_int_eq(buf_printf(&b, "%s", "01234"), 0);
	ck_assert_int_eq(buf_printf(&b, "%05d", 56789), 0);
	ck_assert_uint_eq(b.len, 10);
	ck_assert_mem_eq(buf_head(&b), "0123456789", 10);
	buf_free(&b);
}
END_TEST

START_TEST(test_printf_past_limit)
{
	struct buf b;
	buf_init(&b, 10);
	ck_assert_int_eq(buf_printf(&b, "%s", "0123456"), 0);
	struct buf before = b;
	char saved[16];
	memcpy(saved, buf_head(&b), 7);
	errno = 0;
	ck_assert_int_eq(buf_printf(&b, "%d", 1234), -1);
	ck_assert_int_eq(errno, ENOBUFS);
	ck_assert_mem_eq(&b, &before, sizeof b);
	ck_assert_mem_eq(buf_head(&b), saved, 7);
	ck_assert_int_eq(buf_printf(&b, "%d", 123), 0);
	ck_assert_mem_eq(buf_head(&b), "0123456123", 10);
	buf_free(&b);
}
END_TEST

START_TEST(test_printf_after_consume)
{
	struct buf b;
	buf_init(&b, 8);
	ck_assert_int_eq(buf_printf(&b, "%s", "abcdefgh"), 0);
	buf_consume(&b, 6);
	ck_assert_int_eq(buf_printf(&b, "%s", "123456"), 0);
	ck_assert_uint_eq(b.len, 8);
	ck_assert_mem_eq(buf_head(&b), "gh123456", 8);
	buf_free(&b);
}
END_TEST

Suite *buf_suite(void)
{
	Suite *s = suite_create("buf");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_init_is_empty);
	tcase_add_test(tc, test_append_up_to_limit);
	tcase_add_test(tc, test_append_past_limit_leaves_unchanged);
	tcase_add_test(tc, test_huge_reserve_refused);
	tcase_add_test(tc, test_geometric_growth_bounded_by_limit);
	tcase_add_test(tc, test_consume_and_compaction);
	tcase_add_test(tc, test_reserve_tail_commit);
	tcase_add_test(tc, test_printf_fits);
	tcase_add_test(tc, test_printf_exactly_limit);
	tcase_add_test(tc, test_printf_past_limit);
	tcase_add_test(tc, test_printf_after_consume);
	suite_add_tcase(s, tc);
	return s;
}
