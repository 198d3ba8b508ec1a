/* check_jid.c: unit tests for jid: the examples of RFC 7622 section 3.5
 * and more, each valid address giving its prepared form and each invalid
 * one refused with EINVAL; case folding in the localpart and domainpart
 * but not the resourcepart; IPv4 and [IPv6] literals; every length limit
 * exactly at and one past 1023 bytes, before and after preparation;
 * non-UTF-8 and NUL bytes; bare and full comparisons; building, copying,
 * freeing, and preparing single parts in place. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jid.h"
#include "suites.h"

struct jid_case {
	const char *in;
	const char *full; /* NULL: refused */
};

static const struct jid_case jid_cases[] = {
	/* RFC 7622 3.5.1, valid */
	{"juliet@example.com", "juliet@example.com"},
	{"juliet@example.com/foo", "juliet@example.com/foo"},
	{"juliet@example.com/foo bar", "juliet@example.com/foo bar"},
	{"juliet@example.com/foo@bar", "juliet@example.com/foo@bar"},
	{"foo\\20bar@example.com", "foo\\20bar@example.com"},
	{"fussball@example.com", "fussball@example.com"},
	{"fu\xc3\x9f"
	 "ball@example.com",
	 "fussball@example.com"},
	{"\xcf\x80@example.com", "\xcf\x80@example.com"}, /* pi */
	{"\xce\xa3@example.com", "\xcf\x83@example.com"}, /* Sigma */
	{"\xcf\x83@example.com", "\xcf\x83@example.com"}, /* sigma */
	{"\xcf\x82@example.com", "\xcf\x83@example.com"}, /* final */
	{"king@example.com/\xe2\x99\x9a", "king@example.com/\xe2\x99\x9a"},
	{"example.com", "example.com"},
	{"example.com/foobar", "example.com/foobar"},
	{"a.example.com/b@example.net", "a.example.com/b@example.net"},
	/* stringprep (RFC 6122) maps what PRECIS would refuse */
	{"henry\xe2\x85\xa3@example.com", "henryiv@example.com"},
	/* Runic localpart */
	{"\xe1\x9b\x83\xe1\x9a\xba\xe1\x9b\x81\xe1\x9b\x81\xe1\x9b\x9f\xe1\x9a"
	 "\xb1@example.com",
	 "\xe1\x9b\x83\xe1\x9a\xba\xe1\x9b\x81\xe1\x9b\x81\xe1\x9b\x9f\xe1\x9a"
	 "\xb1@example.com"},
	/* UTF-8 and A-label domains, nameprep per label */
	{"\xcf\x80\xc3\x9f.example", "\xcf\x80ss.example"},
	{"x@\xce\xa0SS.Example", "x@\xcf\x80ss.example"},
	{"xn--bcher-kva.example", "xn--bcher-kva.example"},
	{"x@\xd8\xa7\xd8\xa8.com", "x@\xd8\xa7\xd8\xa8.com"}, /* RTL label */
	{"x@\xef\xbd\x81\xef\xbd\x82\xef\xbc\x8e\xef\xbd\x83\xef\xbd\x8f",
	 "x@ab.co"}, /* fullwidth, and its full stop */
	{"x@a\xe3\x80\x82"
	 "b",
	 "x@a.b"}, /* ideographic full stop */
	/* case folding */
	{"Alice@LOCALHOST/x", "alice@localhost/x"},
	{"Alice@LOCALHOST/X", "alice@localhost/X"},
	/* split order */
	{"foo/bar@x", "foo/bar@x"},
	{"a@b/c/d", "a@b/c/d"},
	{"a@b/c@d/e", "a@b/c@d/e"},
	/* literals and the trailing dot */
	{"juliet@[::1]", "juliet@[::1]"},
	{"juliet@[0:0::1]/r", "juliet@[::1]/r"},
	{"[2001:DB8::1]", "[2001:db8::1]"},
	{"[::ffff:1.2.3.4]", "[::ffff:1.2.3.4]"},
	{"x@1.2.3.4", "x@1.2.3.4"},
	{"1.2.3.4./r", "1.2.3.4/r"},
	{"example.com.", "example.com"},
	{"x@EXAMPLE.com./R", "x@example.com/R"},
	{"localhost", "localhost"},
	{"a-b.c0", "a-b.c0"},
	/* RFC 7622 3.5.2, invalid */
	{"\"juliet\"@example.com", NULL},
	{"foo bar@example.com", NULL},
	{"juliet@example.com/", NULL},
	{"@example.com/", NULL},
	{"@example.com", NULL},
	{"henryv@example.com/", NULL},
	{"example.com/", NULL},
	{"juliet@", NULL},
	{"/foobar", NULL},
	{"/foo", NULL},
	{"", NULL},
	{"@", NULL},
	{"/", NULL},
	{"@/", NULL},
	/* separators and forbidden characters */
	{"a@b@c", NULL},
	{"a&b@c", NULL},
	{"a'b@c", NULL},
	{"a:b@c", NULL},
	{"a<b@c", NULL},
	{"a>b@c", NULL},
	{"juliet@exa mple.com", NULL},
	{"juliet@exa_mple.com", NULL},
	{"juliet@example.com:5222", NULL},
	{"a\tb@c", NULL},
	{"a@b/c\x01", NULL},
	/* domains */
	{"juliet@[::1", NULL},
	{"juliet@::1", NULL},
	{"juliet@[::1]x", NULL},
	{"juliet@[]", NULL},
	{"juliet@[1.2.3.4]", NULL},
	{"juliet@[::1%eth0]", NULL},
	{"juliet@[example.com]", NULL},
	{"256.1.1.1", NULL},
	{"1.2.3", NULL},
	{"01.2.3.4", NULL},
	{"example.com..", NULL},
	{".", NULL},
	{"..", NULL},
	{".example.com", NULL},
	{"a..b", NULL},
	{"-a.com", NULL},
	{"a-.com", NULL},
	{"a.-b", NULL},
	{"x@\xd8\xa7"
	 "a.com",
	 NULL}, /* bidi: RTL and LTR in one label */
};

static void jid_assert_refused(const char *s, size_t len)
{
	struct jid j = {0};

	errno = 0;
	ck_assert_int_eq(jid_parse(&j, s, len), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_null(j.full);
}

START_TEST(test_jid_cases)
{
	const struct jid_case *c = &jid_cases[_i];
	struct jid j = {0};
	int rc = jid_parse(&j, c->in, strlen(c->in));

	if (c->full == NULL) {
		ck_assert_msg(rc == -1, "accepted \"%s\" as \"%s\"", c->in,
			      j.full);
		jid_free(&j);
		jid_assert_refused(c->in, strlen(c->in));
		return;
	}
	ck_assert_msg(rc == 0, "refused \"%s\"", c->in);
	ck_assert_str_eq(j.full, c->full);
	jid_free(&j);
}
END_TEST

START_TEST(test_parts)
{
	struct jid j;

	ck_assert_int_eq(jid_parse(&j, "Alice@LOCALHOST/X", 17), 0);
	ck_assert_uint_eq(j.local_len, 5);
	ck_assert_uint_eq(j.domain_off, 6);
	ck_assert_uint_eq(j.domain_len, 9);
	ck_assert_uint_eq(j.resource_off, 16);
	ck_assert_uint_eq(j.resource_len, 1);
	ck_assert_int_eq(jid_has_resource(&j), 1);
	jid_free(&j);

	ck_assert_int_eq(jid_parse(&j, "example.com", 11), 0);
	ck_assert_uint_eq(j.local_len, 0);
	ck_assert_uint_eq(j.domain_off, 0);
	ck_assert_uint_eq(j.domain_len, 11);
	ck_assert_uint_eq(j.resource_off, 0);
	ck_assert_uint_eq(j.resource_len, 0);
	ck_assert_int_eq(jid_has_resource(&j), 0);
	jid_free(&j);

	/* the resource may hold '@' and '/' */
	ck_assert_int_eq(jid_parse(&j, "d/a@b/c", 7), 0);
	ck_assert_uint_eq(j.local_len, 0);
	ck_assert_uint_eq(j.domain_len, 1);
	ck_assert_uint_eq(j.resource_off, 2);
	ck_assert_uint_eq(j.resource_len, 5);
	jid_free(&j);
}
END_TEST

/* Inputs that only a length can carry: NUL bytes, bytes past len. */
START_TEST(test_bytes)
{
	static const struct {
		const char *s;
		size_t len;
	} bad[] = {
		{"juliet\0@example.com", 19},
		{"juliet@exa\0mple.com", 19},
		{"juliet@example.com/a\0b", 22},
		{"juliet@example.com\0", 19},
		{"\0", 1},
		{"\xff@example.com", 13},
		{"a@b/\xc3", 5},		 /* truncated */
		{"\xc0\xaf@b", 4},		 /* overlong '/' */
		{"\xe0\x80\xaf@b", 5},		 /* overlong '/' */
		{"a@b/\xed\xa0\x80", 7},	 /* surrogate */
		{"a@b/\xf4\x90\x80\x80", 8},	 /* past U+10FFFF */
		{"a@b/\xf8\x88\x80\x80\x80", 9}, /* five bytes */
		{"a@b/\x80", 5},		 /* lone continuation */
		{"a@\xce\xa3\xce", 5},
	};
	struct jid j;
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		jid_assert_refused(bad[i].s, bad[i].len);

	/* only len bytes are read */
	ck_assert_int_eq(jid_parse(&j, "juliet@example.com/r", 18), 0);
	ck_assert_str_eq(j.full, "juliet@example.com");
	jid_free(&j);
}
END_TEST

/* Fills out with n bytes of a host name ('a', a dot every 60 bytes). */
static void jid_fill_domain(char *out, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		out[i] = (i % 60 == 59 && i + 1 < n) ? '.' : 'a';
}

/* Parses local@domain/resource of the given lengths ('a' bytes; 0: the
   part and its separator left out), each part followed by its suffix. */
static int jid_parse_sized(struct jid *j, size_t local_n, const char *lsuf,
			   size_t domain_n, const char *dsuf, size_t res_n,
			   const char *rsuf)
{
	static char s[4 * JID_FULL_MAX];
	size_t pos = 0;

	if (local_n > 0) {
		memset(s, 'a', local_n);
		pos = local_n;
		pos += (size_t)sprintf(s + pos, "%s@", lsuf);
	}
	jid_fill_domain(s + pos, domain_n);
	pos += domain_n;
	pos += (size_t)sprintf(s + pos, "%s", dsuf);
	if (res_n > 0) {
		s[pos++] = '/';
		memset(s + pos, 'a', res_n);
		pos += res_n;
		pos += (size_t)sprintf(s + pos, "%s", rsuf);
	}
	return jid_parse(j, s, pos);
}

#define SOFT_HYPHEN "\xc2\xad"	 /* mapped to nothing: 2 bytes -> 0 */
#define ONE_THIRD "\xe2\x85\x93" /* NFKC "1\u20443": 3 bytes -> 5 */

START_TEST(test_lengths)
{
	const size_t m = JID_PART_MAX;
	struct jid j;

	/* each part exactly at the limit, then one past */
	ck_assert_int_eq(jid_parse_sized(&j, m, "", 1, "", 0, ""), 0);
	ck_assert_uint_eq(j.local_len, m);
	jid_free(&j);
	ck_assert_int_eq(jid_parse_sized(&j, m + 1, "", 1, "", 0, ""), -1);
	ck_assert_int_eq(jid_parse_sized(&j, 0, "", m, "", 0, ""), 0);
	ck_assert_uint_eq(j.domain_len, m);
	jid_free(&j);
	ck_assert_int_eq(jid_parse_sized(&j, 0, "", m + 1, "", 0, ""), -1);
	ck_assert_int_eq(jid_parse_sized(&j, 0, "", 1, "", m, ""), 0);
	ck_assert_uint_eq(j.resource_len, m);
	jid_free(&j);
	ck_assert_int_eq(jid_parse_sized(&j, 0, "", 1, "", m + 1, ""), -1);

	/* a trailing dot does not count */
	ck_assert_int_eq(jid_parse_sized(&j, 0, "", m, ".", 0, ""), 0);
	ck_assert_uint_eq(j.domain_len, m);
	jid_free(&j);
	ck_assert_int_eq(jid_parse_sized(&j, 0, "", m + 1, ".", 0, ""), -1);

	/* all three at the limit: JID_FULL_MAX bytes */
	ck_assert_int_eq(jid_parse_sized(&j, m, "", m, "", m, ""), 0);
	ck_assert_uint_eq(strlen(j.full), JID_FULL_MAX);
	jid_free(&j);

	/* the limits hold after preparation: shrinking ... */
	ck_assert_int_eq(jid_parse_sized(&j, m, SOFT_HYPHEN, 1, "", 0, ""), 0);
	ck_assert_uint_eq(j.local_len, m);
	jid_free(&j);
	ck_assert_int_eq(
		jid_parse_sized(&j, 0, "", 1, "", m, SOFT_HYPHEN SOFT_HYPHEN),
		0);
	ck_assert_uint_eq(j.resource_len, m);
	jid_free(&j);
	/* ... and growing */
	ck_assert_int_eq(jid_parse_sized(&j, m - 5, ONE_THIRD, 1, "", 0, ""),
			 0);
	ck_assert_uint_eq(j.local_len, m);
	jid_free(&j);
	ck_assert_int_eq(jid_parse_sized(&j, m - 4, ONE_THIRD, 1, "", 0, ""),
			 -1);
	ck_assert_int_eq(jid_parse_sized(&j, 0, "", m - 5, ONE_THIRD, 0, ""),
			 0);
	ck_assert_uint_eq(j.domain_len, m);
	jid_free(&j);
	ck_assert_int_eq(jid_parse_sized(&j, 0, "", m - 4, ONE_THIRD, 0, ""),
			 -1);
	ck_assert_int_eq(jid_parse_sized(&j, 0, "", 1, "", m - 5, ONE_THIRD),
			 0);
	ck_assert_uint_eq(j.resource_len, m);
	jid_free(&j);
	ck_assert_int_eq(jid_parse_sized(&j, 0, "", 1, "", m - 4, ONE_THIRD),
			 -1);

	/* the whole input is bounded before preparation */
	ck_assert_int_eq(
		jid_parse_sized(&j, m, SOFT_HYPHEN, m - 1, "", m - 1, ""), 0);
	ck_assert_uint_eq(strlen(j.full), JID_FULL_MAX - 2);
	jid_free(&j);
	errno = 0;
	ck_assert_int_eq(jid_parse_sized(&j, m, SOFT_HYPHEN, m, "", m, ""), -1);
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

START_TEST(test_equal)
{
	static const struct {
		const char *a, *b;
		int equal, bare_equal;
	} pairs[] = {
		{"Alice@LOCALHOST/x", "alice@localhost/x", 1, 1},
		{"alice@localhost/X", "alice@localhost/x", 0, 1},
		{"a@b", "a@b/x", 0, 1},
		{"a@b/x", "a@b/x/y", 0, 1},
		{"a@b", "b", 0, 0},
		{"b/a", "a@b", 0, 0},
		{"a@b", "a@b.", 1, 1},
		{"a@b", "a@c", 0, 0},
		{"ab@c", "a@bc", 0, 0},
		{"[::1]/r", "[0::1]/r", 1, 1},
		{"fu\xc3\x9f"
		 "ball@example.com",
		 "FUSSBALL@example.com", 1, 1},
	};
	struct jid a, b;
	size_t i;

	for (i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
		ck_assert_int_eq(jid_parse(&a, pairs[i].a, strlen(pairs[i].a)),
				 0);
		ck_assert_int_eq(jid_parse(&b, pairs[i].b, strlen(pairs[i].b)),
				 0);
		ck_assert_int_eq(jid_equal(&a, &b), pairs[i].equal);
		ck_assert_int_eq(jid_equal(&b, &a), pairs[i].equal);
		ck_assert_int_eq(jid_bare_equal(&a, &b), pairs[i].bare_equal);
		ck_assert_int_eq(jid_bare_equal(&b, &a), pairs[i].bare_equal);
		jid_free(&a);
		jid_free(&b);
	}
}
END_TEST

START_TEST(test_bare)
{
	char out[JID_FULL_MAX + 1];
	struct jid j;

	ck_assert_int_eq(jid_parse(&j, "Alice@LOCALHOST/x", 17), 0);
	ck_assert_uint_eq(jid_bare_len(&j), 15);
	jid_bare(&j, out);
	ck_assert_str_eq(out, "alice@localhost");
	jid_free(&j);

	ck_assert_int_eq(jid_parse(&j, "example.com/r", 13), 0);
	ck_assert_uint_eq(jid_bare_len(&j), 11);
	jid_bare(&j, out);
	ck_assert_str_eq(out, "example.com");
	jid_free(&j);

	ck_assert_int_eq(jid_parse(&j, "a@b", 3), 0);
	ck_assert_uint_eq(jid_bare_len(&j), 3);
	jid_bare(&j, out);
	ck_assert_str_eq(out, "a@b");
	jid_free(&j);
}
END_TEST

START_TEST(test_from_parts)
{
	struct jid j, p;

	ck_assert_int_eq(jid_from_parts(&j, "Alice", "Example.COM.", "Res"), 0);
	ck_assert_str_eq(j.full, "alice@example.com/Res");
	ck_assert_int_eq(jid_parse(&p, "alice@example.com/Res", 21), 0);
	ck_assert_int_eq(jid_equal(&j, &p), 1);
	jid_free(&p);
	jid_free(&j);

	ck_assert_int_eq(jid_from_parts(&j, NULL, "example.com", NULL), 0);
	ck_assert_str_eq(j.full, "example.com");
	ck_assert_uint_eq(j.local_len, 0);
	ck_assert_int_eq(jid_has_resource(&j), 0);
	jid_free(&j);

	ck_assert_int_eq(jid_from_parts(&j, NULL, "x", "a/b@c"), 0);
	ck_assert_str_eq(j.full, "x/a/b@c");
	ck_assert_uint_eq(j.resource_len, 5);
	jid_free(&j);

	ck_assert_int_eq(jid_from_parts(&j, "a", "[::1]", NULL), 0);
	ck_assert_str_eq(j.full, "a@[::1]");
	jid_free(&j);

	errno = 0;
	ck_assert_int_eq(jid_from_parts(&j, "", "x", NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(jid_from_parts(&j, "a", "x", ""), -1);
	ck_assert_int_eq(jid_from_parts(&j, "a", "", NULL), -1);
	ck_assert_int_eq(jid_from_parts(&j, "a", NULL, NULL), -1);
	ck_assert_int_eq(jid_from_parts(&j, "a@b", "x", NULL), -1);
	ck_assert_int_eq(jid_from_parts(&j, "a/b", "x", NULL), -1);
	ck_assert_int_eq(jid_from_parts(&j, "a", "x/y", NULL), -1);
	ck_assert_int_eq(jid_from_parts(&j, "a", "x@y", NULL), -1);
	ck_assert_int_eq(jid_from_parts(&j, "a", "x", "\xff"), -1);
}
END_TEST

START_TEST(test_copy_free)
{
	struct jid j, c, zero = {0};

	ck_assert_int_eq(jid_parse(&j, "a@b/c", 5), 0);
	ck_assert_int_eq(jid_copy(&c, &j), 0);
	ck_assert_ptr_ne(c.full, j.full);
	ck_assert_int_eq(jid_equal(&c, &j), 1);
	ck_assert_uint_eq(c.resource_off, j.resource_off);
	jid_free(&j);
	ck_assert_ptr_null(j.full);
	ck_assert_str_eq(c.full, "a@b/c");
	jid_free(&c);
	jid_free(&c); /* zeroed by the first call */
	jid_free(&zero);
	jid_free(NULL);
	ck_assert_int_eq(jid_copy(&c, &zero), 0);
	ck_assert_ptr_null(c.full);
	jid_free(&c);
}
END_TEST

START_TEST(test_prep)
{
	char buf[JID_PART_MAX + 1];

	strcpy(buf, "Alice");
	ck_assert_int_eq(jid_prep_local(buf, sizeof buf), 0);
	ck_assert_str_eq(buf, "alice");
	strcpy(buf, "fu\xc3\x9f"
		    "ball");
	ck_assert_int_eq(jid_prep_local(buf, sizeof buf), 0);
	ck_assert_str_eq(buf, "fussball");
	strcpy(buf, "a b");
	ck_assert_int_eq(jid_prep_local(buf, sizeof buf), -1);
	strcpy(buf, "a@b");
	ck_assert_int_eq(jid_prep_local(buf, sizeof buf), -1);
	strcpy(buf, "");
	ck_assert_int_eq(jid_prep_local(buf, sizeof buf), -1);
	strcpy(buf, "\xc3");
	ck_assert_int_eq(jid_prep_local(buf, sizeof buf), -1);

	strcpy(buf, "Example.COM.");
	ck_assert_int_eq(jid_prep_domain(buf, sizeof buf), 0);
	ck_assert_str_eq(buf, "example.com");
	strcpy(buf, "[0:0::1]");
	ck_assert_int_eq(jid_prep_domain(buf, sizeof buf), 0);
	ck_assert_str_eq(buf, "[::1]");
	strcpy(buf, "a b");
	ck_assert_int_eq(jid_prep_domain(buf, sizeof buf), -1);

	strcpy(buf, "Foo Bar");
	ck_assert_int_eq(jid_prep_resource(buf, sizeof buf), 0);
	ck_assert_str_eq(buf, "Foo Bar");
	strcpy(buf, "");
	ck_assert_int_eq(jid_prep_resource(buf, sizeof buf), -1);

	/* exactly full, then growing past the buffer */
	memset(buf, 'A', JID_PART_MAX);
	buf[JID_PART_MAX] = '\0';
	ck_assert_int_eq(jid_prep_local(buf, sizeof buf), 0);
	ck_assert_uint_eq(strlen(buf), JID_PART_MAX);
	ck_assert_int_eq(buf[0], 'a');
	memset(buf, 'a', JID_PART_MAX - 4);
	strcpy(buf + JID_PART_MAX - 4, ONE_THIRD);
	ck_assert_int_eq(jid_prep_resource(buf, sizeof buf), -1);

	/* not terminated within the buffer */
	memset(buf, 'a', sizeof buf);
	errno = 0;
	ck_assert_int_eq(jid_prep_local(buf, sizeof buf), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(jid_prep_domain(buf, sizeof buf), -1);
	ck_assert_int_eq(jid_prep_resource(buf, sizeof buf), -1);
}
END_TEST

Suite *jid_suite(void)
{
	Suite *s = suite_create("jid");
	TCase *tc = tcase_create("jid");
	tcase_add_loop_test(tc, test_jid_cases, 0,
			    (int)(sizeof jid_cases / sizeof jid_cases[0]));
	tcase_add_test(tc, test_parts);
	tcase_add_test(tc, test_bytes);
	tcase_add_test(tc, test_lengths);
	tcase_add_test(tc, test_equal);
	tcase_add_test(tc, test_bare);
	tcase_add_test(tc, test_from_parts);
	tcase_add_test(tc, test_copy_free);
	tcase_add_test(tc, test_prep);
	suite_add_tcase(s, tc);
	return s;
}
