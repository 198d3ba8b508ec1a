/* check_session_key.c: unit tests for http-filed/session_key.c, which finds
 * the session (BOSH sid, XEP-0025 identifier) a backend request names, and
 * for common/instance.c, which says which instance owns it. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "instance.h"
#include "session_key.h"
#include "suites.h"

static const char *key_of(const char *body)
{
	static char key[SESSION_KEY_MAX + 1];
	if (session_key_find(body, strlen(body), key) == 0)
		return "";
	return key;
}

START_TEST(test_bosh_sid)
{
	ck_assert_str_eq(key_of("<body rid='1' sid='ab12-ff' xmlns='x'/>"),
			 "ab12-ff");
	ck_assert_str_eq(key_of("<body sid=\"s1\">"), "s1");
	ck_assert_str_eq(key_of("<?xml version='1.0'?>\n <body\n sid = 'q' />"),
			 "q");
	ck_assert_str_eq(key_of("<body rid='1' xmlns:x='a>b' sid='k'/>"), "k");
}
END_TEST

START_TEST(test_bosh_no_sid)
{
	ck_assert_str_eq(key_of("<body rid='1' to='example.com'/>"), "");
	/* only the first element counts, not a child's attribute */
	ck_assert_str_eq(key_of("<body rid='1'><iq sid='x'/></body>"), "");
	/* not 'sid', only ending in it */
	ck_assert_str_eq(key_of("<body xsid='x'/>"), "");
	ck_assert_str_eq(key_of("<body sid='a b'/>"), "");
	ck_assert_str_eq(key_of("<body sid='unterminated"), "");
	ck_assert_str_eq(key_of("<body sid=x/>"), "");
	ck_assert_str_eq(key_of("<body sid=''/>"), "");
	ck_assert_str_eq(key_of("<?xml unterminated <body sid='x'/>"), "");
	ck_assert_str_eq(key_of(""), "");
	ck_assert_str_eq(key_of("<"), "");
}
END_TEST

START_TEST(test_bosh_sid_too_long)
{
	char body[256];
	char sid[SESSION_KEY_MAX + 2];
	memset(sid, 'a', sizeof sid - 1);
	sid[sizeof sid - 1] = '\0';
	snprintf(body, sizeof body, "<body sid='%s'/>", sid);
	ck_assert_str_eq(key_of(body), "");
	sid[SESSION_KEY_MAX] = '\0';
	snprintf(body, sizeof body, "<body sid='%s'/>", sid);
	ck_assert_str_eq(key_of(body), sid);
}
END_TEST

START_TEST(test_beyond_scan_window)
{
	char body[SESSION_KEY_SCAN + 64];
	memset(body, ' ', sizeof body);
	memcpy(body, "<body", 5);
	memcpy(body + SESSION_KEY_SCAN, "sid='late'/>", 12);
	char key[SESSION_KEY_MAX + 1];
	ck_assert_uint_eq(session_key_find(body, SESSION_KEY_SCAN + 12, key),
			  0);
}
END_TEST

START_TEST(test_polling_identifier)
{
	ck_assert_str_eq(key_of("ab12-7;a2Vy,<message/>"), "ab12-7");
	ck_assert_str_eq(key_of("ab12-7;key;newkey,"), "ab12-7");
	ck_assert_str_eq(key_of("0;key,<stream:stream>"), ""); /* a new one */
	ck_assert_str_eq(key_of("no separator"), "");
	ck_assert_str_eq(key_of("bad id;k,"), "");
}
END_TEST

START_TEST(test_instance_tags)
{
	char tag[INSTANCE_TAG_MAX + 1], other[INSTANCE_TAG_MAX + 1];
	ck_assert_int_eq(instance_tag_make(tag), 0);
	ck_assert_uint_eq(strlen(tag), INSTANCE_TAG_RANDOM);
	ck_assert_int_eq(instance_tag_is_valid(tag, strlen(tag)), 1);
	ck_assert_int_eq(instance_tag_make(other), 0);
	ck_assert_str_ne(tag, other);
	ck_assert_int_eq(instance_tag_is_valid("", 0), 0);
	ck_assert_int_eq(instance_tag_is_valid("AB", 2), 0);
	ck_assert_int_eq(instance_tag_is_valid("a-b", 3), 0);
	ck_assert_int_eq(instance_tag_is_valid("0123456789abcdef", 16), 1);
	ck_assert_int_eq(instance_tag_is_valid("0123456789abcdef0", 17), 0);
	ck_assert_int_eq(instance_owns_key("ab", "ab-123", 6), 1);
	ck_assert_int_eq(instance_owns_key("ab", "abc-123", 7), 0);
	ck_assert_int_eq(instance_owns_key("ab", "ab-", 2), 0);
	ck_assert_int_eq(instance_owns_key("ab", "ab", 2), 0);
	ck_assert_int_eq(instance_owns_key("", "-x", 2), 0);
}
END_TEST

Suite *session_key_suite(void)
{
	Suite *s = suite_create("session_key");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_bosh_sid);
	tcase_add_test(tc, test_bosh_no_sid);
	tcase_add_test(tc, test_bosh_sid_too_long);
	tcase_add_test(tc, test_beyond_scan_window);
	tcase_add_test(tc, test_polling_identifier);
	tcase_add_test(tc, test_instance_tags);
	suite_add_tcase(s, tc);
	return s;
}
