/* check_bosh_admin.c: unit tests for what boshd's control socket sees and
 * does: bosh_session_get_info (rid, requests waiting, bytes queued, the
 * inactivity clock), bosh_session_end_by_admin (the terminal body for the
 * held requests, the router's stream closed, the session over), and
 * sessions_bound_jid (the JID in the router's bind result, nothing else).
 * Times are explicit milliseconds. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bosh_body.h"
#include "bosh_session.h"
#include "boshd.h"
#include "suites.h"

#define NS "xmlns='http://jabber.org/protocol/httpbind'"
#define HDR                                                                    \
	"<stream:stream xmlns='jabber:client' "                                \
	"xmlns:stream='http://etherx.jabber.org/streams' id='abc' "            \
	"from='example.com' version='1.0'>"
#define FEATURES "<stream:features/>"
#define MSG "<message xmlns='jabber:client' to='a@example.com'/>"
#define ADMIN_TERM                                                             \
	"<body " NS " type='terminate' condition='undefined-condition'/>"

static const struct bosh_config cfg = {
	.domain = "example.com",
	.max_wait = 60,
	.max_hold = 1,
	.polling = 5,
	.inactivity = 30,
	.poll_inactivity_extra = 60,
	.maxpause = 120,
	.max_queue = 1024,
};

static struct bosh_body *body(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static struct bosh_body *body(const char *fmt, ...)
{
	static const struct bosh_body_limits lim = {65536, 64, 32};
	char doc[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(doc, sizeof doc, fmt, ap);
	va_end(ap);
	struct bosh_body *b;
	enum bosh_body_error err;
	ck_assert_msg(bosh_body_parse(doc, strlen(doc), &lim, &b, &err) == 0,
		      "%s: %d", doc, err);
	return b;
}

/* A session created at time 0 by request 1 (rid 100, hold 1, wait 60),
   its creation response sent at time 10. ver: the client's, or "" for a
   legacy client. */
static struct bosh_session *open_session(struct bosh_out *o, const char *ver)
{
	char ver_attr[32] = "";
	if (*ver)
		snprintf(ver_attr, sizeof ver_attr, "ver='%s'", ver);
	bosh_out_init(o);
	struct bosh_session *s =
		bosh_session_new(&cfg,
				 body("<body rid='100' to='example.com' "
				      "hold='1' wait='60' %s " NS "/>",
				      ver_attr),
				 0, 1, 0, o);
	ck_assert_ptr_nonnull(s);
	bosh_out_reset(o);
	ck_assert_int_eq(bosh_session_from_router(s, HDR FEATURES,
						  strlen(HDR FEATURES), 10, o),
			 0);
	ck_assert_uint_eq(o->nresponses, 1);
	bosh_out_reset(o);
	return s;
}

static struct bosh_session_info info_of(const struct bosh_session *s)
{
	struct bosh_session_info i;
	memset(&i, 0xa5, sizeof i);
	bosh_session_get_info(s, &i);
	return i;
}

START_TEST(test_info_at_creation)
{
	struct bosh_out o;
	bosh_out_init(&o);
	struct bosh_session *s = bosh_session_new(
		&cfg,
		body("<body rid='100' to='example.com' hold='1' wait='45' "
		     "ver='1.6' " NS "/>"),
		0, 1, 0, &o);
	ck_assert_ptr_nonnull(s);
	struct bosh_session_info i = info_of(s);
	ck_assert_uint_eq(i.last_rid, 100);
	ck_assert_uint_eq(i.unanswered, 1); /* held for the features */
	ck_assert_uint_eq(i.queued, 0);
	ck_assert_uint_eq(i.wait, 45);
	ck_assert_uint_eq(i.hold, 1);
	ck_assert_uint_eq(i.inactivity, 30);
	ck_assert_uint_eq(i.inactivity_deadline, UINT64_MAX);
	bosh_out_reset(&o);
	bosh_session_from_router(s, HDR FEATURES, strlen(HDR FEATURES), 10, &o);
	i = info_of(s);
	ck_assert_uint_eq(i.unanswered, 0);
	ck_assert_uint_eq(i.inactivity_deadline, 10 + 30000);
	bosh_out_reset(&o);
	bosh_session_free(s);
}
END_TEST

START_TEST(test_info_held_then_queued)
{
	struct bosh_out o;
	struct bosh_session *s = open_session(&o, "1.6");
	bosh_session_request(
		s,
		body("<body rid='101' sid='%s' " NS "/>", bosh_session_sid(s)),
		2, 1000, &o);
	ck_assert_uint_eq(o.nresponses, 0);
	struct bosh_session_info i = info_of(s);
	ck_assert_uint_eq(i.last_rid, 101);
	ck_assert_uint_eq(i.unanswered, 1);
	ck_assert_uint_eq(i.inactivity_deadline, UINT64_MAX); /* stopped */
	/* output answers the held request; the clock runs from then */
	bosh_session_from_router(s, MSG, strlen(MSG), 2000, &o);
	ck_assert_uint_eq(o.nresponses, 1);
	i = info_of(s);
	ck_assert_uint_eq(i.unanswered, 0);
	ck_assert_uint_eq(i.queued, 0);
	ck_assert_uint_eq(i.inactivity_deadline, 2000 + 30000);
	/* with nothing held, output waits: queued counts its bytes */
	bosh_session_from_router(s, MSG, strlen(MSG), 3000, &o);
	ck_assert_uint_eq(o.nresponses, 1);
	i = info_of(s);
	ck_assert_uint_eq(i.queued, strlen(MSG));
	ck_assert_uint_eq(i.inactivity_deadline, 2000 + 30000);
	bosh_out_reset(&o);
	bosh_session_free(s);
}
END_TEST

START_TEST(test_info_early_request_and_pause)
{
	struct bosh_out o;
	struct bosh_session *s = open_session(&o, "1.6");
	/* rid 102 before 101: waiting for the gap, not processed */
	bosh_session_request(
		s,
		body("<body rid='102' sid='%s' " NS "/>", bosh_session_sid(s)),
		3, 1000, &o);
	struct bosh_session_info i = info_of(s);
	ck_assert_uint_eq(i.last_rid, 100);
	ck_assert_uint_eq(i.unanswered, 1);
	ck_assert_uint_eq(i.inactivity_deadline, UINT64_MAX);
	bosh_session_abort(s, 3);
	/* a pause: the inactivity period is the pause's */
	bosh_session_request(s,
			     body("<body rid='101' sid='%s' pause='90' " NS
				  "/>",
				  bosh_session_sid(s)),
			     4, 2000, &o);
	i = info_of(s);
	ck_assert_uint_eq(i.last_rid, 101);
	ck_assert_uint_eq(i.inactivity, 90);
	ck_assert_uint_eq(i.inactivity_deadline, 2000 + 90000);
	bosh_out_reset(&o);
	bosh_session_free(s);
}
END_TEST

START_TEST(test_end_by_admin_with_a_held_request)
{
	struct bosh_out o;
	struct bosh_session *s = open_session(&o, "1.6");
	bosh_session_request(
		s,
		body("<body rid='101' sid='%s' " NS "/>", bosh_session_sid(s)),
		2, 1000, &o);
	bosh_out_reset(&o);
	bosh_session_end_by_admin(s, 5000, &o);
	ck_assert_int_eq(o.ended, 1);
	ck_assert_uint_eq(o.nresponses, 1);
	ck_assert_uint_eq(o.responses[0].req, 2);
	ck_assert_uint_eq(o.responses[0].status, 200);
	ck_assert_str_eq(o.responses[0].body, ADMIN_TERM);
	ck_assert_uint_eq(o.nactions, 1);
	ck_assert_int_eq(o.actions[0].kind, BOSH_ACT_CLOSE);
	ck_assert_uint_eq(bosh_session_deadline(s), UINT64_MAX);
	bosh_out_reset(&o);
	/* a request after it (if the daemon still had it): unknown */
	bosh_session_request(
		s,
		body("<body rid='102' sid='%s' " NS "/>", bosh_session_sid(s)),
		3, 6000, &o);
	ck_assert_str_eq(o.responses[0].body, "<body " NS " type='terminate' "
					      "condition='item-not-found'/>");
	bosh_out_reset(&o);
	bosh_session_free(s);
}
END_TEST

START_TEST(test_end_by_admin_idle)
{
	struct bosh_out o;
	struct bosh_session *s = open_session(&o, "1.6");
	bosh_session_from_router(s, MSG, strlen(MSG), 2000, &o); /* queued */
	bosh_session_end_by_admin(s, 5000, &o);
	/* as after inactivity: the stream closed, nobody to answer */
	ck_assert_int_eq(o.ended, 1);
	ck_assert_uint_eq(o.nresponses, 0);
	ck_assert_uint_eq(o.nactions, 1);
	ck_assert_int_eq(o.actions[0].kind, BOSH_ACT_CLOSE);
	bosh_out_reset(&o);
	bosh_session_free(s);
}
END_TEST

START_TEST(test_end_by_admin_legacy_client)
{
	struct bosh_out o;
	struct bosh_session *s = open_session(&o, "");
	bosh_session_request(
		s,
		body("<body rid='101' sid='%s' " NS "/>", bosh_session_sid(s)),
		2, 1000, &o);
	bosh_session_end_by_admin(s, 5000, &o);
	/* undefined-condition has no legacy HTTP status: the body it is */
	ck_assert_uint_eq(o.nresponses, 1);
	ck_assert_uint_eq(o.responses[0].status, 200);
	ck_assert_str_eq(o.responses[0].body, ADMIN_TERM);
	bosh_out_reset(&o);
	bosh_session_free(s);
}
END_TEST

START_TEST(test_end_by_admin_after_router_closed)
{
	struct bosh_out o;
	struct bosh_session *s = open_session(&o, "1.6");
	/* nothing held: the terminal body waits for the next request */
	bosh_session_router_closed(s, 2000, &o);
	ck_assert_int_eq(o.ended, 0);
	bosh_out_reset(&o);
	bosh_session_end_by_admin(s, 3000, &o);
	ck_assert_int_eq(o.ended, 1);
	ck_assert_uint_eq(o.nactions, 0); /* the stream is closed already */
	ck_assert_uint_eq(o.nresponses, 0);
	bosh_out_reset(&o);
	bosh_session_free(s);
}
END_TEST

/* ---- sessions_bound_jid */

static void expect_jid(const char *data, const char *want)
{
	char *jid = sessions_bound_jid(data, strlen(data));
	if (want) {
		ck_assert_ptr_nonnull(jid);
		ck_assert_str_eq(jid, want);
	} else {
		ck_assert_msg(jid == NULL, "%s: got %s", data, jid);
	}
	free(jid);
}

#define BIND_OPEN                                                              \
	"<iq type='result' id='bind1'><bind "                                  \
	"xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>"
#define BIND_CLOSE "</jid></bind></iq>"

START_TEST(test_bound_jid)
{
	expect_jid(BIND_OPEN "alice@localhost/web" BIND_CLOSE,
		   "alice@localhost/web");
	/* the router's escaping undone */
	expect_jid(BIND_OPEN
		   "a@localhost/x&amp;y&lt;z&gt;&apos;&quot;" BIND_CLOSE,
		   "a@localhost/x&y<z>'\"");
	/* not a bind result */
	expect_jid(HDR FEATURES, NULL);
	expect_jid(
		"<stream:features><bind "
		"xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>",
		NULL);
	expect_jid(
		"<message from='m@localhost/x'><bind "
		"xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>evil@x/y</jid>"
		"</bind></message>",
		NULL);
	expect_jid("<iq type='error' id='b'><bind "
		   "xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>a@b/c</jid>"
		   "</bind></iq>",
		   NULL);
	expect_jid("<iq type='result' id='ping'/>", NULL);
	/* malformed: cut short, empty, an entity the router never writes */
	expect_jid(BIND_OPEN "alice@localhost/we", NULL);
	expect_jid(BIND_OPEN BIND_CLOSE, NULL);
	expect_jid(BIND_OPEN "a@b/&#65;" BIND_CLOSE, NULL);
	expect_jid(BIND_OPEN "a@b/&amp" BIND_CLOSE, NULL);
	ck_assert_ptr_null(sessions_bound_jid(BIND_OPEN, 3));
}
END_TEST

START_TEST(test_bound_jid_bound)
{
	size_t n = SESSIONS_JID_MAX + 1;
	char *doc = malloc(sizeof BIND_OPEN + n + sizeof BIND_CLOSE);
	ck_assert_ptr_nonnull(doc);
	memcpy(doc, BIND_OPEN, strlen(BIND_OPEN));
	memset(doc + strlen(BIND_OPEN), 'r', n);
	strcpy(doc + strlen(BIND_OPEN) + n, BIND_CLOSE);
	ck_assert_ptr_null(sessions_bound_jid(doc, strlen(doc)));
	/* one byte less is a full JID at its longest */
	strcpy(doc + strlen(BIND_OPEN) + n - 1, BIND_CLOSE);
	char *jid = sessions_bound_jid(doc, strlen(doc));
	ck_assert_ptr_nonnull(jid);
	ck_assert_uint_eq(strlen(jid), SESSIONS_JID_MAX);
	free(jid);
	free(doc);
}
END_TEST

Suite *bosh_admin_suite(void)
{
	Suite *s = suite_create("bosh_admin");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_info_at_creation);
	tcase_add_test(tc, test_info_held_then_queued);
	tcase_add_test(tc, test_info_early_request_and_pause);
	tcase_add_test(tc, test_end_by_admin_with_a_held_request);
	tcase_add_test(tc, test_end_by_admin_idle);
	tcase_add_test(tc, test_end_by_admin_legacy_client);
	tcase_add_test(tc, test_end_by_admin_after_router_closed);
	tcase_add_test(tc, test_bound_jid);
	tcase_add_test(tc, test_bound_jid_bound);
	suite_add_tcase(s, tc);
	return s;
}
