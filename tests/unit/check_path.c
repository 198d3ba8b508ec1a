/* check_path.c: unit tests for path: origin- and absolute-form targets give
 * the expected normalised path, trailing-slash flag and raw query; every
 * traversal, bad escape, forbidden decoded byte and refused form is a 400;
 * an output one byte too small is a 414; path_has_prefix respects segment
 * boundaries. */
#include <string.h>

#include "path.h"
#include "suites.h"

struct path_case {
	const char *target;
	const char *path; /* NULL: refused */
	int status;	  /* when refused */
	int slash;
	const char *query; /* NULL: none */
};

static const struct path_case path_cases[] = {
	{"/", "/", 0, 1, NULL},
	{"/index.html", "/index.html", 0, 0, NULL},
	{"/a/../b", "/b", 0, 0, NULL},
	{"//a///b/", "/a/b/", 0, 1, NULL},
	{"/a/..", "/", 0, 1, NULL},
	{"/a/.", "/a/", 0, 1, NULL},
	{"/a/./b/../c", "/a/c", 0, 0, NULL},
	{"/a/b/../../c/", "/c/", 0, 1, NULL},
	{"/a/b/%2E%2e/", "/a/", 0, 1, NULL},
	{"/%2e/a", "/a", 0, 0, NULL},
	{"/a/%2e%2E/b", "/b", 0, 0, NULL},
	{"/...", "/...", 0, 0, NULL},
	{"/.a/..b/a..", "/.a/..b/a..", 0, 0, NULL},
	{"/a%20b", "/a b", 0, 0, NULL},
	{"/%41%62%6a%6A", "/Abjj", 0, 0, NULL},
	{"/caf%C3%A9", "/caf\xc3\xa9", 0, 0, NULL},
	{"/a%25", "/a%", 0, 0, NULL},
	{"/a%252e%252e", "/a%2e%2e", 0, 0, NULL}, /* decoded once only */
	{"/a?x=%2f&y=../", "/a", 0, 0, "x=%2f&y=../"},
	{"/a?", "/a", 0, 0, ""},
	{"/a/?q", "/a/", 0, 1, "q"},
	{"/a#frag", "/a", 0, 0, NULL},
	{"/a?q#frag", "/a", 0, 0, "q"},
	{"/a#f?x", "/a", 0, 0, NULL},
	{"/a/..?b/../..", "/", 0, 1, "b/../.."},
	{"http://x/y/../z", "/z", 0, 0, NULL},
	{"HTTPS://x:443/a", "/a", 0, 0, NULL},
	{"Http://[::1]:80/a/", "/a/", 0, 1, NULL},
	{"http://host", "/", 0, 1, NULL},
	{"http://host?q=1", "/", 0, 1, "q=1"},
	{"http://host/?q=1", "/", 0, 1, "q=1"},
	{"http://host#x", "/", 0, 1, NULL},
	/* refused: traversal */
	{"/../etc/passwd", NULL, 400, 0, NULL},
	{"/..", NULL, 400, 0, NULL},
	{"/%2e%2e/etc", NULL, 400, 0, NULL},
	{"/%2E%2E", NULL, 400, 0, NULL},
	{"/.%2e/etc", NULL, 400, 0, NULL},
	{"/a/%2e%2E/%2e%2e/x", NULL, 400, 0, NULL},
	{"/a/../..", NULL, 400, 0, NULL},
	{"/./../x", NULL, 400, 0, NULL},
	{"//..//x", NULL, 400, 0, NULL},
	{"http://x/../etc", NULL, 400, 0, NULL},
	/* refused: decoded bytes */
	{"/%2fetc", NULL, 400, 0, NULL},
	{"/a%2Fb", NULL, 400, 0, NULL},
	{"/a%00b", NULL, 400, 0, NULL},
	{"/a%0ab", NULL, 400, 0, NULL},
	{"/a%0D", NULL, 400, 0, NULL},
	{"/a%1f", NULL, 400, 0, NULL},
	{"/a%7f", NULL, 400, 0, NULL},
	/* refused: escapes */
	{"/a%", NULL, 400, 0, NULL},
	{"/a%4", NULL, 400, 0, NULL},
	{"/a%zz", NULL, 400, 0, NULL},
	{"/a%4g", NULL, 400, 0, NULL},
	{"/a%%41", NULL, 400, 0, NULL},
	/* refused: raw bytes */
	{"/a b", NULL, 400, 0, NULL},
	{"/a\tb", NULL, 400, 0, NULL},
	{"/a\x01", NULL, 400, 0, NULL},
	{"/a\x7f", NULL, 400, 0, NULL},
	{"/\xc3\xa9", NULL, 400, 0, NULL},
	/* refused: forms */
	{"*", NULL, 400, 0, NULL},
	{"", NULL, 400, 0, NULL},
	{"a/b", NULL, 400, 0, NULL},
	{"?q", NULL, 400, 0, NULL},
	{"#f", NULL, 400, 0, NULL},
	{"http:/x", NULL, 400, 0, NULL},
	{"http:", NULL, 400, 0, NULL},
	{"ftp://x/", NULL, 400, 0, NULL},
	{"http:///x", NULL, 400, 0, NULL},
	{"http://", NULL, 400, 0, NULL},
	{"http://u@x/", NULL, 400, 0, NULL},
	{"example.com:443", NULL, 400, 0, NULL},
};

START_TEST(test_path)
{
	const struct path_case *c = &path_cases[_i];
	char out[256];
	int slash = -1, status = 0;
	const char *query = "unset";
	size_t qlen = 999;
	int r = path_normalize(c->target, strlen(c->target), out, sizeof out,
			       &slash, &query, &qlen, &status);
	if (!c->path) {
		ck_assert_msg(r == -1, "\"%s\" accepted as \"%s\"", c->target,
			      out);
		ck_assert_int_eq(status, c->status);
		return;
	}
	ck_assert_msg(r == 0, "\"%s\" refused with %d", c->target, status);
	ck_assert_str_eq(out, c->path);
	ck_assert_int_eq(slash, c->slash);
	if (!c->query) {
		ck_assert_ptr_null(query);
		ck_assert_uint_eq(qlen, 0);
	} else {
		ck_assert_ptr_nonnull(query);
		ck_assert_uint_eq(qlen, strlen(c->query));
		ck_assert_mem_eq(query, c->query, qlen);
		/* the query points into the target */
		ck_assert(query >= c->target &&
			  query + qlen <= c->target + strlen(c->target));
	}
}
END_TEST

START_TEST(test_output_size)
{
	static const struct {
		const char *target;
		size_t fits; /* smallest outsz that works */
	} cases[] = {
		/* "/a/b/.." needs room for "/a/b" on the way */
		{"/abcdef", 8},	 {"/abc/", 6},	  {"/", 2},
		{"/a/b", 5},	 {"//a//b//", 6}, {"/%41%42", 4},
		{"http://x", 2}, {"/a/b/..", 5},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char out[64];
		int slash, status = 0;
		size_t len = strlen(cases[i].target);
		ck_assert_int_eq(path_normalize(cases[i].target, len, out,
						cases[i].fits, &slash, NULL,
						NULL, &status),
				 0);
		ck_assert_uint_le(strlen(out), cases[i].fits - 1);
		memset(out, 'Z', sizeof out);
		ck_assert_int_eq(path_normalize(cases[i].target, len, out,
						cases[i].fits - 1, &slash, NULL,
						NULL, &status),
				 -1);
		ck_assert_int_eq(status, 414);
		/* nothing written past outsz - 1 */
		ck_assert_int_eq(out[cases[i].fits - 1], 'Z');
	}
	char out[1];
	int status = 0;
	ck_assert_int_eq(
		path_normalize("/", 1, out, 0, NULL, NULL, NULL, &status), -1);
	ck_assert_int_eq(status, 414);
}
END_TEST

START_TEST(test_length_bounds_input)
{
	/* only len bytes are read: the "/.." past it does not count */
	char out[64];
	int slash, status = 0;
	ck_assert_int_eq(path_normalize("/a/..", 2, out, sizeof out, &slash,
					NULL, NULL, &status),
			 0);
	ck_assert_str_eq(out, "/a");
	ck_assert_int_eq(path_normalize("/a%2", 3, out, sizeof out, &slash,
					NULL, NULL, &status),
			 -1);
	ck_assert_int_eq(status, 400);
}
END_TEST

START_TEST(test_has_prefix)
{
	ck_assert_int_eq(path_has_prefix("/http-bind", "/http-bind"), 1);
	ck_assert_int_eq(path_has_prefix("/http-bind/", "/http-bind"), 1);
	ck_assert_int_eq(path_has_prefix("/http-bind/x", "/http-bind"), 1);
	ck_assert_int_eq(path_has_prefix("/http-binder", "/http-bind"), 0);
	ck_assert_int_eq(path_has_prefix("/http-bin", "/http-bind"), 0);
	ck_assert_int_eq(path_has_prefix("/x/http-bind", "/http-bind"), 0);
	ck_assert_int_eq(path_has_prefix("/static/a.js", "/static/"), 1);
	ck_assert_int_eq(path_has_prefix("/static", "/static/"), 0);
	ck_assert_int_eq(path_has_prefix("/anything", "/"), 1);
	ck_assert_int_eq(path_has_prefix("/HTTP-BIND", "/http-bind"), 0);
}
END_TEST

Suite *path_suite(void)
{
	Suite *s = suite_create("path");
	TCase *tc = tcase_create("path");
	tcase_add_loop_test(tc, test_path, 0,
			    (int)(sizeof path_cases / sizeof path_cases[0]));
	tcase_add_test(tc, test_output_size);
	tcase_add_test(tc, test_length_bounds_input);
	tcase_add_test(tc, test_has_prefix);
	suite_add_tcase(s, tc);
	return s;
}
