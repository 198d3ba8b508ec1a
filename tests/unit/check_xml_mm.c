/* check_xml_mm.c: unit tests for common/xml_mm.c, expat's per-parser
 * memory pools: blocks are aligned and hold their bytes, realloc keeps
 * the contents (in place for the newest block), free takes back only the
 * newest block, large requests get a chunk of their own, and freeing the
 * pool unmaps (or caches) everything. */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include "suites.h"
#include "xml_mm.h"

START_TEST(test_blocks)
{
	struct xml_mm *m = xml_mm_new();
	ck_assert_ptr_nonnull(m);
	struct xml_mm *before = xml_mm_use(m);
	char *a = xml_mm_suite.malloc_fcn(10);
	char *b = xml_mm_suite.malloc_fcn(100);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_uint_eq((uintptr_t)a % 16, 0);
	ck_assert_uint_eq((uintptr_t)b % 16, 0);
	memset(a, 'a', 10);
	memset(b, 'b', 100);
	ck_assert_int_eq(a[9], 'a'); /* b did not overlap a */
	ck_assert_uint_eq(xml_mm_bytes(m), XML_MM_CHUNK);
	xml_mm_use(before);
	xml_mm_free(m);
}
END_TEST

START_TEST(test_realloc)
{
	struct xml_mm *m = xml_mm_new();
	struct xml_mm *before = xml_mm_use(m);
	char *a = xml_mm_suite.malloc_fcn(16);
	memcpy(a, "0123456789abcdef", 16);
	char *grown = xml_mm_suite.realloc_fcn(a, 64);
	ck_assert_ptr_eq(grown, a); /* the newest block grows in place */
	ck_assert_mem_eq(grown, "0123456789abcdef", 16);
	char *other = xml_mm_suite.malloc_fcn(8);
	char *moved = xml_mm_suite.realloc_fcn(grown, 128);
	ck_assert_ptr_ne(moved, grown); /* not the newest: copied */
	ck_assert_mem_eq(moved, "0123456789abcdef", 16);
	ck_assert_ptr_nonnull(other);
	char *fresh = xml_mm_suite.realloc_fcn(NULL, 32);
	ck_assert_ptr_nonnull(fresh);
	xml_mm_use(before);
	xml_mm_free(m);
}
END_TEST

START_TEST(test_free_newest)
{
	struct xml_mm *m = xml_mm_new();
	struct xml_mm *before = xml_mm_use(m);
	char *a = xml_mm_suite.malloc_fcn(100);
	xml_mm_suite.free_fcn(a);
	char *b = xml_mm_suite.malloc_fcn(100);
	ck_assert_ptr_eq(a, b); /* the newest block was taken back */
	char *c = xml_mm_suite.malloc_fcn(100);
	xml_mm_suite.free_fcn(b); /* not the newest: kept until the end */
	char *d = xml_mm_suite.malloc_fcn(100);
	ck_assert_ptr_ne(d, b);
	ck_assert_ptr_nonnull(c);
	xml_mm_suite.free_fcn(NULL);
	xml_mm_use(before);
	xml_mm_free(m);
}
END_TEST

START_TEST(test_large_and_many)
{
	struct xml_mm *m = xml_mm_new();
	struct xml_mm *before = xml_mm_use(m);
	char *big = xml_mm_suite.malloc_fcn(3 * XML_MM_CHUNK);
	ck_assert_ptr_nonnull(big);
	memset(big, 'x', 3 * XML_MM_CHUNK);
	ck_assert_uint_ge(xml_mm_bytes(m), 4 * XML_MM_CHUNK);
	for (int i = 0; i < 1000; i++) {
		char *p = xml_mm_suite.malloc_fcn(100);
		ck_assert_ptr_nonnull(p);
		p[99] = 1;
	}
	ck_assert_uint_le(xml_mm_bytes(m), 4 * XML_MM_CHUNK + 200 * 1024);
	xml_mm_use(before);
	xml_mm_free(m);
	xml_mm_free(NULL);
}
END_TEST

START_TEST(test_no_pool)
{
	struct xml_mm *before = xml_mm_use(NULL);
	ck_assert_ptr_null(xml_mm_suite.malloc_fcn(10));
	xml_mm_use(before);
}
END_TEST

Suite *xml_mm_suite_tests(void)
{
	Suite *s = suite_create("xml_mm");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_blocks);
	tcase_add_test(tc, test_realloc);
	tcase_add_test(tc, test_free_newest);
	tcase_add_test(tc, test_large_and_many);
	tcase_add_test(tc, test_no_pool);
	suite_add_tcase(s, tc);
	return s;
}
