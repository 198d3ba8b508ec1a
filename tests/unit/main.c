/* main.c: runs every unit-test suite with Check and exits non-zero if any
 * test failed. Check prints its own summary line ("100%: Checks: N, ..."). */
#include <stdlib.h>

#include "suites.h"

static Suite *(*const all_suites[])(void) = {
	buf_suite,	    frame_suite,	attr_suite,
	opt_suite,	    http_parse_suite,	path_suite,
	range_suite,	    mime_suite,		http_date_suite,
	jid_suite,	    xml_suite,		xml_stream_suite,
	scram_suite,	    store_suite,	tls_suite,
	iq_server_suite,    subscription_suite, bosh_body_suite,
	bosh_session_suite, session_key_suite, xml_mm_suite_tests, gw_front_suite,	bosh_admin_suite,
	poll_body_suite,    poll_session_suite,
	backend_pick_suite, handover_suite,	poll_handover_suite,
};

int main(void)
{
	SRunner *runner = srunner_create(NULL);
	for (size_t i = 0; i < sizeof all_suites / sizeof all_suites[0]; i++)
		srunner_add_suite(runner, all_suites[i]());
	srunner_run_all(runner, CK_NORMAL);
	int failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
