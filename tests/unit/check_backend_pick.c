/* check_backend_pick.c: unit tests for http-filed/backend_pick.c, the
 * choice of the instance that gets a routed request, or of waiting for one
 * (PROTOCOL.md 8.6 and 8.7): the owner of the key first; waiting for a
 * draining owner's successor, or for a tag not announced yet; else the
 * least loaded instance, ties in turn. */
#include <check.h>
#include <string.h>

#include "backend_pick.h"
#include "suites.h"

#define WAIT 10.0

/* A connected instance with tag, load requests outstanding. */
static struct pick_slot up(const char *tag, size_t load)
{
	struct pick_slot s = {.hello = 1,
			      .tag = tag,
			      .load = load,
			      .gone_tag = "",
			      .gone_age = 1e9};
	return s;
}

static struct pick_slot down(void)
{
	struct pick_slot s = {.tag = "", .gone_tag = "", .gone_age = 1e9};
	return s;
}

static int pick(const struct pick_slot *s, size_t n, const char *key,
		int may_wait)
{
	static unsigned turn;
	return backend_pick(s, n, key, strlen(key), may_wait, WAIT, &turn);
}

START_TEST(test_owner_first)
{
	struct pick_slot s[3] = {up("aaaa", 0), up("bbbb", 9), up("cccc", 0)};
	ck_assert_int_eq(pick(s, 3, "bbbb-1", 1), 1);
	ck_assert_int_eq(pick(s, 3, "cccc-xyz", 0), 2);
	/* a prefix of the tag, or the tag without '-', is not a match */
	ck_assert_int_ne(pick(s, 3, "bbb-1", 1), 1);
	ck_assert_int_ne(pick(s, 3, "bbbbb-1", 1), 1);
	/* an owner that drains takes nothing new */
	s[1].draining = 1;
	ck_assert_int_eq(pick(s, 3, "bbbb-1", 1), PICK_WAIT);
	ck_assert_int_ne(pick(s, 3, "bbbb-1", 0), 1);
	ck_assert_int_ge(pick(s, 3, "bbbb-1", 0), 0);
}
END_TEST

START_TEST(test_least_loaded)
{
	struct pick_slot s[3] = {up("aaaa", 3), up("bbbb", 0), up("cccc", 1)};
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(pick(s, 3, "", 1), 1);
	/* an unknown key (its instance is gone for good) too */
	ck_assert_int_eq(pick(s, 3, "dddd-1", 1), 1);
	s[1].draining = 1;
	ck_assert_int_eq(pick(s, 3, "", 1), 2);
	s[2] = down();
	ck_assert_int_eq(pick(s, 3, "", 1), 0);
}
END_TEST

START_TEST(test_ties_in_turn)
{
	struct pick_slot s[3] = {up("aaaa", 2), up("bbbb", 2), up("cccc", 2)};
	int seen[3] = {0, 0, 0};
	for (int i = 0; i < 9; i++) {
		int k = pick(s, 3, "", 1);
		ck_assert_int_ge(k, 0);
		seen[k]++;
	}
	ck_assert_int_eq(seen[0], 3);
	ck_assert_int_eq(seen[1], 3);
	ck_assert_int_eq(seen[2], 3);
}
END_TEST

START_TEST(test_nobody)
{
	struct pick_slot s[2] = {down(), down()};
	ck_assert_int_eq(pick(s, 2, "", 1), PICK_WAIT);
	ck_assert_int_eq(pick(s, 2, "", 0), PICK_NONE);
	ck_assert_int_eq(pick(s, 0, "", 1), PICK_WAIT);
	ck_assert_int_eq(pick(s, 0, "aaaa-1", 0), PICK_NONE);
	/* connected, HELLO not there yet: not usable */
	s[0].tag_pending = 1;
	ck_assert_int_eq(pick(s, 1, "", 0), PICK_NONE);
	/* HELLO there, tag not yet: a request without a key may go */
	s[0].hello = 1;
	ck_assert_int_eq(pick(s, 1, "", 1), 0);
}
END_TEST

START_TEST(test_owner_drained_wait)
{
	/* aaaa left by draining 2 s ago; bbbb is there */
	struct pick_slot s[2] = {down(), up("bbbb", 0)};
	s[0].gone_tag = "aaaa";
	s[0].gone_drained = 1;
	s[0].gone_age = 2;
	ck_assert_int_eq(pick(s, 2, "aaaa-1", 1), PICK_WAIT);
	ck_assert_int_eq(pick(s, 2, "", 1), 1);	      /* new sessions go on */
	ck_assert_int_eq(pick(s, 2, "aaaa-1", 0), 1); /* the wait is over */
	/* a successor with another tag does not end the wait */
	s[0] = up("cccc", 0);
	s[0].gone_tag = "aaaa";
	s[0].gone_drained = 1;
	s[0].gone_age = 2;
	ck_assert_int_eq(pick(s, 2, "aaaa-1", 1), PICK_WAIT);
	/* the successor with the same tag does */
	s[0].tag = "aaaa";
	ck_assert_int_eq(pick(s, 2, "aaaa-1", 1), 0);
	/* too long ago: no more waiting */
	s[0].tag = "cccc";
	s[0].gone_age = WAIT + 1;
	ck_assert_int_ge(pick(s, 2, "aaaa-1", 1), 0);
}
END_TEST

START_TEST(test_owner_crashed)
{
	struct pick_slot s[2] = {down(), up("bbbb", 5)};
	s[0].gone_tag = "aaaa";
	s[0].gone_age = 0.5;
	ck_assert_int_eq(pick(s, 2, "aaaa-1", 1), 1);
	/* the last one that had the tag counts: it crashed after a drain */
	struct pick_slot t[3] = {down(), down(), up("bbbb", 0)};
	t[0].gone_tag = t[1].gone_tag = "aaaa";
	t[0].gone_drained = 1;
	t[0].gone_age = 3;
	t[1].gone_age = 1;
	ck_assert_int_eq(pick(t, 3, "aaaa-1", 1), 2);
	t[1].gone_age = 4; /* the drain is the later */
	ck_assert_int_eq(pick(t, 3, "aaaa-1", 1), PICK_WAIT);
	/* alone and crashed: wait for any instance */
	ck_assert_int_eq(pick(s, 1, "aaaa-1", 1), PICK_WAIT);
	ck_assert_int_eq(pick(s, 1, "aaaa-1", 0), PICK_NONE);
}
END_TEST

START_TEST(test_tag_pending)
{
	/* the owner's tag may be the one not announced yet */
	struct pick_slot s[2] = {up("", 0), up("bbbb", 0)};
	s[0].tag_pending = 1;
	ck_assert_int_eq(pick(s, 2, "aaaa-1", 1), PICK_WAIT);
	ck_assert_int_eq(pick(s, 2, "bbbb-1", 1), 1);
	ck_assert_int_ge(pick(s, 2, "", 1), 0);
	ck_assert_int_ge(pick(s, 2, "aaaa-1", 0), 0);
	/* one instance alone: nothing to confuse it with */
	ck_assert_int_eq(pick(s, 1, "aaaa-1", 1), 0);
}
END_TEST

Suite *backend_pick_suite(void)
{
	Suite *s = suite_create("backend_pick");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_owner_first);
	tcase_add_test(tc, test_least_loaded);
	tcase_add_test(tc, test_ties_in_turn);
	tcase_add_test(tc, test_nobody);
	tcase_add_test(tc, test_owner_drained_wait);
	tcase_add_test(tc, test_owner_crashed);
	tcase_add_test(tc, test_tag_pending);
	suite_add_tcase(s, tc);
	return s;
}
