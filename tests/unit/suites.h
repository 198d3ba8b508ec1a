/* suites.h: every unit-test suite, one per module, each defined in
 * tests/unit/check_<module>.c and run by tests/unit/main.c. */
#ifndef PARLEY_SUITES_H
#define PARLEY_SUITES_H

#include <check.h>

Suite *buf_suite(void);
Suite *frame_suite(void);
Suite *attr_suite(void);
Suite *opt_suite(void);
Suite *http_parse_suite(void);
Suite *path_suite(void);
Suite *range_suite(void);
Suite *mime_suite(void);
Suite *http_date_suite(void);
Suite *jid_suite(void);
Suite *xml_suite(void);
Suite *xml_stream_suite(void);
Suite *scram_suite(void);
Suite *store_suite(void);
Suite *tls_suite(void);
Suite *iq_server_suite(void);
Suite *subscription_suite(void);
Suite *bosh_body_suite(void);
Suite *bosh_session_suite(void);
Suite *bosh_admin_suite(void);
Suite *session_key_suite(void);
Suite *backend_pick_suite(void);
Suite *xml_mm_suite_tests(void);
Suite *gw_front_suite(void);
Suite *poll_body_suite(void), *poll_session_suite(void);
Suite *handover_suite(void), *poll_handover_suite(void);

#endif
