/* check_poll_body.c: unit tests for the XEP-0025 request body parser.
 * The XEP's own examples parse into their fields, the XML part is taken
 * raw (commas and semicolons included), and every malformed field and
 * every limit is refused with its error. */
#include <stdio.h>
#include <string.h>

#include "poll_body.h"
#include "suites.h"

static const struct poll_body_limits lim = {4096};

static void parse_ok(const char *s, struct poll_body *b)
{
	enum poll_body_error err = POLL_BODY_TOO_MANY;
	int r = poll_body_parse(s, strlen(s), &lim, b, &err);
	ck_assert_msg(r == 0, "%s: %s", s, poll_body_error_name(err));
	ck_assert_int_eq(err, POLL_BODY_OK);
}

static enum poll_body_error parse_err(const char *s, size_t len)
{
	struct poll_body b;
	enum poll_body_error err = POLL_BODY_OK;
	ck_assert_int_eq(poll_body_parse(s, len, &lim, &b, &err), -1);
	ck_assert_int_ne(err, POLL_BODY_OK);
	return err;
}

static enum poll_body_error parse_err_str(const char *s)
{
	return parse_err(s, strlen(s));
}

START_TEST(test_xep_examples)
{
	struct poll_body b;
	const char *open = "0;VvxEk07IFy6hUmG/PPBlTLE2fiA=,<stream:stream "
			   "to=\"jabber.com\"\n  xmlns=\"jabber:client\"\n  "
			   "xmlns:stream=\"http://etherx.jabber.org/streams\">";
	parse_ok(open, &b);
	ck_assert_str_eq(b.id, "0");
	ck_assert_int_eq(poll_body_is_new(&b), 1);
	ck_assert_str_eq(b.key, "VvxEk07IFy6hUmG/PPBlTLE2fiA=");
	ck_assert_str_eq(b.newkey, "");
	ck_assert_ptr_eq(b.xml, open + 31);
	ck_assert_uint_eq(b.xml_len, strlen(open) - 31);

	parse_ok("7776:2054;C+7Hteo/D9vJXQ3UfzxbwnXaijM=;"
		 "Tr697Eff02+32FZp38Xaq2+3Bv4=,<presence/>",
		 &b);
	ck_assert_str_eq(b.id, "7776:2054");
	ck_assert_int_eq(poll_body_is_new(&b), 0);
	ck_assert_str_eq(b.key, "C+7Hteo/D9vJXQ3UfzxbwnXaijM=");
	ck_assert_str_eq(b.newkey, "Tr697Eff02+32FZp38Xaq2+3Bv4=");
	ck_assert_mem_eq(b.xml, "<presence/>", 11);
	ck_assert_uint_eq(b.xml_len, 11);

	/* the XEP's examples without keys parse: poll_session refuses them */
	parse_ok("7776:2054,<iq type=\"get\" id=\"WEBCLIENT3\"/>", &b);
	ck_assert_str_eq(b.key, "");
	ck_assert_uint_eq(b.xml_len,
			  strlen("<iq type=\"get\" id=\"WEBCLIENT3\"/>"));
}
END_TEST

START_TEST(test_xml_part_is_raw)
{
	struct poll_body b;
	/* an empty poll: the identifier and key followed by a comma */
	parse_ok("ab-12;k1,", &b);
	ck_assert_str_eq(b.id, "ab-12");
	ck_assert_uint_eq(b.xml_len, 0);
	/* after the first comma, ',' and ';' belong to the XML */
	parse_ok("x;k,<body>a;b,c</body>,;", &b);
	ck_assert_uint_eq(b.xml_len, 20);
	ck_assert_mem_eq(b.xml, "<body>a;b,c</body>,;", 20);
	/* not URL-decoded: '+' and '%' stay as they are */
	parse_ok("x;a+b%2F=,%3C", &b);
	ck_assert_str_eq(b.key, "a+b%2F=");
	ck_assert_mem_eq(b.xml, "%3C", 3);
	/* bytes of any value in the XML part, a NUL included */
	static const char nul[] = "x;k,a\0b";
	enum poll_body_error err;
	ck_assert_int_eq(poll_body_parse(nul, sizeof nul - 1, &lim, &b, &err),
			 0);
	ck_assert_uint_eq(b.xml_len, 3);
}
END_TEST

START_TEST(test_bad_fields)
{
	ck_assert_int_eq(parse_err_str(""), POLL_BODY_NO_COMMA);
	ck_assert_int_eq(parse_err_str("0;abc"), POLL_BODY_NO_COMMA);
	ck_assert_int_eq(parse_err_str("<stream:stream>"), POLL_BODY_NO_COMMA);
	ck_assert_int_eq(parse_err_str(",<presence/>"), POLL_BODY_BAD_ID);
	ck_assert_int_eq(parse_err_str(";k,"), POLL_BODY_BAD_ID);
	ck_assert_int_eq(parse_err_str("a b;k,"), POLL_BODY_BAD_ID);
	ck_assert_int_eq(parse_err_str("a_b;k,"), POLL_BODY_BAD_ID);
	ck_assert_int_eq(parse_err_str("a.b;k,"), POLL_BODY_BAD_ID);
	ck_assert_int_eq(parse_err_str("\xc3\xa9;k,"), POLL_BODY_BAD_ID);
	ck_assert_int_eq(parse_err("a\0;k,", 5), POLL_BODY_BAD_ID);
	ck_assert_int_eq(parse_err_str("0;,"), POLL_BODY_BAD_KEY);
	ck_assert_int_eq(parse_err_str("0;k;,"), POLL_BODY_BAD_KEY);
	ck_assert_int_eq(parse_err_str("0;a b,"), POLL_BODY_BAD_KEY);
	ck_assert_int_eq(parse_err_str("0;a\tb,"), POLL_BODY_BAD_KEY);
	ck_assert_int_eq(parse_err_str("0;k;n\x7f,"), POLL_BODY_BAD_KEY);
	ck_assert_int_eq(parse_err_str("0;k;\xff,"), POLL_BODY_BAD_KEY);
	ck_assert_int_eq(parse_err_str("0;a;b;c,"), POLL_BODY_TOO_MANY);
	ck_assert_int_eq(parse_err_str("0;;;,"), POLL_BODY_TOO_MANY);
	ck_assert_str_eq(poll_body_error_name(POLL_BODY_BAD_ID),
			 "bad identifier");
	ck_assert_str_eq(poll_body_error_name((enum poll_body_error)99),
			 "unknown error");
}
END_TEST

START_TEST(test_limits)
{
	char s[1024];
	struct poll_body b;
	/* an identifier of POLL_ID_MAX bytes, keys of POLL_KEY_MAX: fine */
	memset(s, 'a', POLL_ID_MAX);
	s[POLL_ID_MAX] = ';';
	memset(s + POLL_ID_MAX + 1, 'k', POLL_KEY_MAX);
	s[POLL_ID_MAX + 1 + POLL_KEY_MAX] = ';';
	memset(s + POLL_ID_MAX + 2 + POLL_KEY_MAX, 'n', POLL_KEY_MAX);
	strcpy(s + POLL_ID_MAX + 2 + 2 * POLL_KEY_MAX, ",<x/>");
	parse_ok(s, &b);
	ck_assert_uint_eq(strlen(b.id), POLL_ID_MAX);
	ck_assert_uint_eq(strlen(b.key), POLL_KEY_MAX);
	ck_assert_uint_eq(strlen(b.newkey), POLL_KEY_MAX);
	/* one byte more in the identifier: the fields no longer fit */
	memset(s, 'a', POLL_ID_MAX + 1);
	strcpy(s + POLL_ID_MAX + 1, ";k,");
	ck_assert_int_eq(parse_err_str(s), POLL_BODY_BAD_ID);
	memcpy(s, "0;", 2);
	memset(s + 2, 'k', POLL_KEY_MAX + 1);
	strcpy(s + 2 + POLL_KEY_MAX + 1, ",");
	ck_assert_int_eq(parse_err_str(s), POLL_BODY_BAD_KEY);
	/* the comma is looked for in the first bytes only */
	memset(s, 'a', sizeof s - 1);
	s[sizeof s - 2] = ',';
	s[sizeof s - 1] = '\0';
	ck_assert_int_eq(parse_err_str(s), POLL_BODY_NO_COMMA);
	/* the whole body: max_bytes and not one more */
	static char big[4097];
	memcpy(big, "x;k,", 4);
	memset(big + 4, ' ', sizeof big - 4);
	ck_assert_int_eq(poll_body_parse(big, 4096, &lim, &b,
					 &(enum poll_body_error){0}),
			 0);
	ck_assert_uint_eq(b.xml_len, 4092);
	ck_assert_int_eq(parse_err(big, 4097), POLL_BODY_TOO_LARGE);
	ck_assert_int_eq(parse_err(NULL, 0), POLL_BODY_NO_COMMA);
}
END_TEST

Suite *poll_body_suite(void)
{
	Suite *s = suite_create("poll_body");
	TCase *tc = tcase_create("parse");
	tcase_add_test(tc, test_xep_examples);
	tcase_add_test(tc, test_xml_part_is_raw);
	tcase_add_test(tc, test_bad_fields);
	tcase_add_test(tc, test_limits);
	suite_add_tcase(s, tc);
	return s;
}
