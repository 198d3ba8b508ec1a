/* check_opt.c: unit tests for the option table (common/opt.c): forms of
 * options, environment variables, precedence, bounds and errors. */
#include <stdlib.h>

#include "log.h"
#include "opt.h"
#include "suites.h"

static long t_port;
static const char *t_root;
static int t_flag;
static int t_level;
static int t_routes;
static char t_last_route[64];

static int t_add_route(const char *v)
{
	if (v[0] != '/')
		return -1;
	t_routes++;
	snprintf(t_last_route, sizeof t_last_route, "%s", v);
	return 0;
}

static const struct opt t_opts[] = {
	{"port", 'p', "T_PORT", OPT_LONG, &t_port, 1, 65535, NULL, "PORT",
	 "port"},
	{"root", 'r', "T_ROOT", OPT_STRING, &t_root, 0, 0, NULL, "DIR", "root"},
	{"check", 'n', "T_CHECK", OPT_FLAG, &t_flag, 0, 0, NULL, NULL, "flag"},
	{"log-level", 'l', NULL, OPT_LEVEL, &t_level, 0, 0, NULL, "L", "level"},
	{"route", 0, "T_ROUTES", OPT_LIST, NULL, 0, 0, t_add_route, "R",
	 "route"},
	{NULL, 0, NULL, 0, NULL, 0, 0, NULL, NULL, NULL},
};

static void t_reset(void)
{
	t_port = 5280;
	t_root = NULL;
	t_flag = 0;
	t_level = LOG_LEVEL_INFO;
	t_routes = 0;
	t_last_route[0] = '\0';
	unsetenv("T_PORT");
	unsetenv("T_ROOT");
	unsetenv("T_CHECK");
	unsetenv("T_ROUTES");
}

static int t_parse(int argc, char **argv)
{
	return opt_parse(t_opts, argc, argv);
}

START_TEST(test_long_and_short_forms)
{
	t_reset();
	char *argv[] = {"prog", "--port",  "80", "-r/x", "--log-level=debug",
			"-n",	"operand", NULL};
	ck_assert_int_eq(t_parse(7, argv), 6);
	ck_assert_int_eq(t_port, 80);
	ck_assert_str_eq(t_root, "/x");
	ck_assert_int_eq(t_level, LOG_LEVEL_DEBUG);
	ck_assert_int_eq(t_flag, 1);
}
END_TEST

START_TEST(test_env_then_argv_wins)
{
	t_reset();
	setenv("T_PORT", "81", 1);
	setenv("T_ROOT", "/env", 1);
	char *argv[] = {"prog", "-p", "82", NULL};
	ck_assert_int_eq(t_parse(3, argv), 3);
	ck_assert_int_eq(t_port, 82);
	ck_assert_str_eq(t_root, "/env");
	t_reset();
}
END_TEST

START_TEST(test_bounds_and_garbage)
{
	t_reset();
	char *a1[] = {"prog", "--port", "0", NULL};
	ck_assert_int_eq(t_parse(3, a1), -1);
	char *a2[] = {"prog", "--port", "65536", NULL};
	ck_assert_int_eq(t_parse(3, a2), -1);
	char *a3[] = {"prog", "--port", "12x", NULL};
	ck_assert_int_eq(t_parse(3, a3), -1);
	char *a4[] = {"prog", "--port", NULL};
	ck_assert_int_eq(t_parse(2, a4), -1);
	char *a5[] = {"prog", "--nope", NULL};
	ck_assert_int_eq(t_parse(2, a5), -1);
	char *a6[] = {"prog", "-l", "loud", NULL};
	ck_assert_int_eq(t_parse(3, a6), -1);
	setenv("T_PORT", "abc", 1);
	char *a7[] = {"prog", NULL};
	ck_assert_int_eq(t_parse(1, a7), -1);
	t_reset();
}
END_TEST

START_TEST(test_lists_from_env_and_argv)
{
	t_reset();
	setenv("T_ROUTES", "  /a=1   /b=2 ", 1);
	char *argv[] = {"prog", "--route", "/c=3", NULL};
	ck_assert_int_eq(t_parse(3, argv), 3);
	ck_assert_int_eq(t_routes, 3);
	ck_assert_str_eq(t_last_route, "/c=3");
	t_reset();
	char *bad[] = {"prog", "--route", "c=3", NULL};
	ck_assert_int_eq(t_parse(3, bad), -1);
}
END_TEST

START_TEST(test_double_dash_ends_options)
{
	t_reset();
	char *argv[] = {"prog", "--", "-p", NULL};
	ck_assert_int_eq(t_parse(3, argv), 2);
	ck_assert_int_eq(t_port, 5280);
}
END_TEST

Suite *opt_suite(void)
{
	Suite *s = suite_create("opt");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_long_and_short_forms);
	tcase_add_test(tc, test_env_then_argv_wins);
	tcase_add_test(tc, test_bounds_and_garbage);
	tcase_add_test(tc, test_lists_from_env_and_argv);
	tcase_add_test(tc, test_double_dash_ends_options);
	suite_add_tcase(s, tc);
	return s;
}
