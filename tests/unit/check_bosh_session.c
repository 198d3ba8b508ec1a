/* check_bosh_session.c: unit tests for the BOSH session state machine.
 * Each XEP-0124/0206 rule is driven through the API with explicit times
 * (milliseconds) and checked against the exact bodies, HTTP statuses and
 * router actions it must produce. */
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bosh_body.h"
#include "bosh_session.h"
#include "suites.h"

#define NS "xmlns='http://jabber.org/protocol/httpbind'"
#define XNS "xmlns:xmpp='urn:xmpp:xbosh'"
#define SNS "xmlns:stream='http://etherx.jabber.org/streams'"
#define EMPTY "<body " NS "/>"
#define HDR                                                                    \
	"<stream:stream xmlns='jabber:client' " SNS                            \
	" id='abc' from='example.com' version='1.0'>"
#define FEATURES                                                               \
	"<stream:features><mechanisms "                                        \
	"xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</"          \
	"mechanism>"                                                           \
	"</mechanisms></stream:features>"
#define FEATURES_OUT                                                           \
	"<stream:features " SNS "><mechanisms "                                \
	"xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</"          \
	"mechanism>"                                                           \
	"</mechanisms></stream:features>"
#define MSG "<message xmlns='jabber:client' to='a@example.com'/>"

static const struct bosh_config cfg = {
	.domain = "example.com",
	.max_wait = 60,
	.max_hold = 1,
	.polling = 5,
	.inactivity = 30,
	.poll_inactivity_extra = 60,
	.maxpause = 120,
	.max_queue = 1024,
	.instance = "t1",
};

static struct bosh_body *body(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static struct bosh_body *body(const char *fmt, ...)
{
	static const struct bosh_body_limits lim = {65536, 64, 32};
	char doc[4096];
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

static void expect_response(const struct bosh_out *o, size_t i, uint64_t req,
			    unsigned status, const char *text)
{
	ck_assert_uint_gt(o->nresponses, i);
	ck_assert_uint_eq(o->responses[i].req, req);
	ck_assert_uint_eq(o->responses[i].status, status);
	ck_assert_str_eq(o->responses[i].body, text);
}

static void expect_action(const struct bosh_out *o, size_t i,
			  enum bosh_action_kind kind, const char *data)
{
	ck_assert_uint_gt(o->nactions, i);
	ck_assert_int_eq(o->actions[i].kind, kind);
	if (data)
		ck_assert_str_eq(o->actions[i].data, data);
	else
		ck_assert_ptr_null(o->actions[i].data);
}

/* A session created at time 0 by request 1 (rid 100, ver 1.6, hold 1)
   whose creation response has gone out with the router's features. */
static struct bosh_session *open_session(struct bosh_out *o, const char *extra)
{
	bosh_out_init(o);
	struct bosh_session *s = bosh_session_new(
		&cfg,
		body("<body rid='100' to='example.com' hold='1' wait='60' "
		     "ver='1.6' %s " NS "/>",
		     extra),
		0, 1, 0, o);
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(o->nresponses, 0);
	expect_action(o, 0, BOSH_ACT_OPEN, NULL);
	ck_assert_int_eq(bosh_session_from_router(s, HDR FEATURES,
						  strlen(HDR FEATURES), 10, o),
			 0);
	ck_assert_uint_eq(o->nresponses, 1);
	bosh_out_reset(o);
	return s;
}

START_TEST(test_creation)
{
	struct bosh_out o;
	bosh_out_init(&o);
	struct bosh_session *s = bosh_session_new(
		&cfg,
		body("<body rid='100' to='example.com' hold='1' wait='120' "
		     "ver='1.11' xml:lang='en' xmpp:version='1.0' " NS " " XNS
		     "/>"),
		1, 7, 0, &o);
	ck_assert_ptr_nonnull(s);
	/* "<instance>-" and 32 hex digits, for http-filed's routing */
	ck_assert_uint_eq(strlen(bosh_session_sid(s)), 3 + 32);
	ck_assert_mem_eq(bosh_session_sid(s), "t1-", 3);
	ck_assert_int_eq(bosh_session_is_secure(s), 1);
	ck_assert_uint_eq(o.nactions, 1);
	expect_action(&o, 0, BOSH_ACT_OPEN, NULL);
	ck_assert_uint_eq(o.nresponses, 0); /* held for the features */
	ck_assert_uint_eq(bosh_session_deadline(s), 60000);
	bosh_out_reset(&o);
	ck_assert_int_eq(bosh_session_from_router(s, HDR, strlen(HDR), 5, &o),
			 0);
	ck_assert_uint_eq(o.nresponses, 0);
	ck_assert_int_eq(
		bosh_session_from_router(s, FEATURES, strlen(FEATURES), 6, &o),
		0);
	char want[1024];
	snprintf(want, sizeof want,
		 "<body " NS " " XNS " " SNS " sid='%s' wait='60' "
		 "requests='2' hold='1' polling='5' inactivity='30' "
		 "maxpause='120' ver='1.11' from='example.com' secure='true' "
		 "xmpp:restartlogic='true' xmpp:version='1.0' "
		 "authid='abc'>" FEATURES_OUT "</body>",
		 bosh_session_sid(s));
	expect_response(&o, 0, 7, 200, want);
	/* nothing held: inactivity runs from the response */
	ck_assert_uint_eq(bosh_session_deadline(s), 6 + 30000);
	bosh_out_reset(&o);
	bosh_session_free(s);
}
END_TEST

START_TEST(test_creation_errors)
{
	struct bosh_out o;
	bosh_out_init(&o);
	ck_assert_ptr_null(bosh_session_new(
		&cfg, body("<body rid='1' ver='1.6' " NS "/>"), 0, 3, 0, &o));
	expect_response(&o, 0, 3, 200,
			"<body " NS " type='terminate' "
			"condition='improper-addressing'/>");
	bosh_out_reset(&o);
	ck_assert_ptr_null(bosh_session_new(
		&cfg, body("<body rid='1' to='other.org' ver='1.6' " NS "/>"),
		0, 3, 0, &o));
	expect_response(&o, 0, 3, 200,
			"<body " NS " type='terminate' "
			"condition='host-unknown'/>");
	bosh_out_reset(&o);
	/* legacy clients (no ver) get the HTTP status */
	ck_assert_ptr_null(bosh_session_new(
		&cfg, body("<body to='example.com' " NS "/>"), 0, 3, 0, &o));
	expect_response(&o, 0, 3, 400, "");
	bosh_out_reset(&o);
	ck_assert_int_eq(bosh_reply_error(BOSH_COND_ITEM_NOT_FOUND, 1, 4, &o),
			 0);
	ck_assert_int_eq(bosh_reply_error(BOSH_COND_ITEM_NOT_FOUND, 0, 5, &o),
			 0);
	expect_response(&o, 0, 4, 404, "");
	expect_response(&o, 1, 5, 200,
			"<body " NS " type='terminate' "
			"condition='item-not-found'/>");
	bosh_out_reset(&o);
}
END_TEST

START_TEST(test_polling_session_params)
{
	struct bosh_out o;
	bosh_out_init(&o);
	struct bosh_session *s = bosh_session_new(
		&cfg, body("<body rid='5' to='example.com' hold='0' " NS "/>"),
		0, 1, 0, &o);
	/* hold 0: answered at once; requests 1; inactivity raised */
	char want[512];
	snprintf(want, sizeof want,
		 "<body " NS " " XNS " sid='%s' wait='60' requests='1' "
		 "hold='0' polling='5' inactivity='90' maxpause='120' "
		 "from='example.com' xmpp:restartlogic='true'/>",
		 bosh_session_sid(s));
	expect_response(&o, 0, 1, 200, want);
	bosh_out_reset(&o);
	/* an empty poll, then another too soon after an empty answer */
	bosh_session_request(s, body("<body rid='6' " NS "/>"), 2, 1000, &o);
	expect_response(&o, 0, 2, 200, EMPTY);
	bosh_session_request(s, body("<body rid='7' " NS "/>"), 3, 2000, &o);
	expect_response(&o, 1, 3, 403, "");
	expect_action(&o, 0, BOSH_ACT_CLOSE, NULL);
	ck_assert_int_eq(o.ended, 1);
	bosh_out_reset(&o);
	bosh_session_free(s);
}
END_TEST

START_TEST(test_in_order_and_hold)
{
	struct bosh_out o;
	struct bosh_session *s = open_session(&o, "");
	bosh_session_request(s, body("<body rid='101' " NS ">" MSG "</body>"),
			     2, 100, &o);
	expect_action(&o, 0, BOSH_ACT_DATA, MSG);
	ck_assert_uint_eq(o.nresponses, 0);
	ck_assert_uint_eq(bosh_session_deadline(s), 100 + 60000);
	/* a new request releases the held one (hold 1) */
	bosh_session_request(s, body("<body rid='102' " NS "/>"), 3, 6000, &o);
	expect_response(&o, 0, 2, 200, EMPTY);
	ck_assert_uint_eq(o.nresponses, 1);
	bosh_out_reset(&o);
	/* router output goes out on the held request, several in one body */
	const char *two = "<message from='b@example.com'/><iq type='result' "
			  "id='1'/>";
	bosh_session_from_router(s, two, strlen(two), 7000, &o);
	expect_response(&o, 0, 3, 200,
			"<body " NS "><message xmlns='jabber:client' "
			"from='b@example.com'/></body>");
	/* the iq waits for the next request */
	ck_assert_uint_eq(o.nresponses, 1);
	bosh_out_reset(&o);
	bosh_session_request(s, body("<body rid='103' " NS "/>"), 4, 7100, &o);
	expect_response(&o, 0, 4, 200,
			"<body " NS "><iq xmlns='jabber:client' type='result' "
			"id='1'/></body>");
	bosh_out_reset(&o);
	/* a repeated rid gets the kept response again */
	bosh_session_request(s, body("<body rid='103' " NS "/>"), 5, 7200, &o);
	expect_response(&o, 0, 5, 200,
			"<body " NS "><iq xmlns='jabber:client' type='result' "
			"id='1'/></body>");
	bosh_out_reset(&o);
	bosh_session_free(s);
}
END_TEST

START_TEST(test_out_of_order)
{
	struct bosh_out o;
	struct bosh_session *s = open_session(&o, "");
	bosh_session_request(s,
			     body("<body rid='102' " NS "><presence/></body>"),
			     3, 100, &o);
	ck_assert_uint_eq(o.nactions, 0); /* waits for 101 */
	ck_assert_uint_eq(o.nresponses, 0);
	bosh_session_request(s, body("<body rid='101' " NS ">" MSG "</body>"),
			     2, 200, &o);
	expect_action(&o, 0, BOSH_ACT_DATA, MSG);
	expect_action(&o, 1, BOSH_ACT_DATA,
		      "<presence xmlns='jabber:client'/>");
	expect_response(&o, 0, 2, 200, EMPTY);
	ck_assert_uint_eq(o.nresponses, 1);
	bosh_out_reset(&o);
	bosh_session_free(s);
}
END_TEST

START_TEST(test_repeat_held)
{
	struct bosh_out o;
	struct bosh_session *s = open_session(&o, "");
	bosh_session_request(s, body("<body rid='101' " NS "/>"), 2, 100, &o);
	bosh_session_request(s, body("<body rid='101' " NS "/>"), 9, 200, &o);
	/* the old connection gets a recoverable error, the new one waits */
	expect_response(&o, 0, 2, 200, "<body " NS " type='error'/>");
	ck_assert_uint_eq(o.nresponses, 1);
	bosh_session_timeout(s, 100 + 60000, &o);
	expect_response(&o, 1, 9, 200, EMPTY);
	bosh_out_reset(&o);
	bosh_session_free(s);
}
END_TEST

START_TEST(test_rid_window)
{
	struct bosh_out o;
	struct bosh_session *s = open_session(&o, "");
	/* requests is 2: 102 is inside the window, 103 is not */
	bosh_session_request(s, body("<body rid='103' " NS "/>"), 2, 100, &o);
	expect_response(&o, 0, 2, 200,
			"<body " NS " type='terminate' "
			"condition='item-not-found'/>");
	expect_action(&o, 0, BOSH_ACT_CLOSE, NULL);
	ck_assert_int_eq(o.ended, 1);
	bosh_out_reset(&o);
	bosh_session_free(s);

	s = open_session(&o, "");
	/* a rid too old to be kept */
	bosh_session_request(s, body("<body rid='50' " NS "/>"), 2, 100, &o);
	expect_response(&o, 0, 2, 200,
			"<body " NS " type='terminate' "
			"condition='item-not-found'/>");
	bosh_out_reset(&o);
	bosh_session_free(s);
}
END_TEST

START_TEST(test_overactivity)
{
	struct bosh_out o;
	struct bosh_session *s = open_session(&o, "");
	bosh_session_request(s, body("<body rid='101' " NS ">" MSG "</body>"),
			     2, 10000, &o);
	bosh_session_request(s, body("<body rid='103' " NS ">" MSG "</body>"),
			     4, 10001, &o);
	ck_assert_uint_eq(o.nresponses, 0);
	/* 101, 102 and 103 unanswered: more than requests (2) */
	bosh_session_request(s, body("<body rid='102' " NS ">" MSG "</body>"),
			     3, 10002, &o);
	const char *pv = "<body " NS " type='terminate' "
			 "condition='policy-violation'/>";
	ck_assert_uint_eq(o.nresponses, 3);
	expect_response(&o, 0, 2, 200, pv);
	expect_response(&o, 1, 4, 200, pv);
	expect_response(&o, 2, 3, 200, pv);
	ck_assert_int_eq(o.ended, 1);
	bosh_out_reset(&o);
	bosh_session_free(s);

	/* an empty request while one is held, sooner than polling allows */
	s = open_session(&o, "");
	bosh_session_request(s, body("<body rid='101' " NS "/>"), 2, 10000, &o);
	bosh_session_request(s, body("<body rid='102' " NS "/>"), 3, 12000, &o);
	expect_response(&o, 1, 3, 200, pv);
	bosh_out_reset(&o);
	bosh_session_free(s);

	/* the same after the polling interval is fine */
	s = open_session(&o, "");
	bosh_session_request(s, body("<body rid='101' " NS "/>"), 2, 10000, &o);
	bosh_session_request(s, body("<body rid='102' " NS "/>"), 3, 15000, &o);
	expect_response(&o, 0, 2, 200, EMPTY);
	ck_assert_int_eq(o.ended, 0);
	bosh_out_reset(&o);
	bosh_session_free(s);
}
END_TEST

START_TEST(test_wait_and_inactivity)
{
	struct bosh_out o;
	struct bosh_session *s = open_session(&o, "");
	bosh_session_request(s, body("<body rid='101' " NS "/>"), 2, 1000, &o);
	ck_assert_uint_eq(bosh_session_deadline(s), 61000);
	bosh_session_timeout(s, 60999, &o);
	ck_assert_uint_eq(o.nresponses, 0);
	bosh_session_timeout(s, 61000, &o);
	expect_response(&o, 0, 2, 200, EMPTY);
	ck_assert_uint_eq(bosh_session_deadline(s), 61000 + 30000);
	bosh_out_reset(&o);
	bosh_session_timeout(s, 91000, &o);
	ck_assert_uint_eq(o.nresponses, 0);
	expect_action(&o, 0, BOSH_ACT_CLOSE, NULL);
	ck_assert_int_eq(o.ended, 1);
	bosh_out_reset(&o);
	bosh_session_free(s);
}
END_TEST

START_TEST(test_pause)
{
	struct bosh_out o;
	struct bosh_session *s = open_session(&o, "");
	bosh_session_request(s, body("<body rid='101' " NS "/>"), 2, 1000, &o);
	bosh_session_from_router(s, MSG, strlen(MSG), 1500, &o);
	expect_response(&o, 0, 2, 200, "<body " NS ">" MSG "</body>");
	bosh_out_reset(&o);
	bosh_session_request(s, body("<body rid='102' " NS "/>"), 3, 10000, &o);
	/* more than maxpause: an ordinary request */
	bosh_session_request(s, body("<body rid='103' pause='121' " NS "/>"), 4,
			     11000, &o);
	expect_response(&o, 0, 3, 200, EMPTY);
	ck_assert_uint_eq(o.nresponses, 1);
	bosh_out_reset(&o);
	bosh_session_request(s, body("<body rid='104' pause='100' " NS "/>"), 5,
			     12000, &o);
	expect_response(&o, 0, 4, 200, EMPTY);
	expect_response(&o, 1, 5, 200, EMPTY);
	ck_assert_uint_eq(o.nresponses, 2);
	ck_assert_uint_eq(bosh_session_deadline(s), 12000 + 100000);
	bosh_out_reset(&o);
	/* the next request restores the normal inactivity */
	bosh_session_request(s, body("<body rid='105' " NS "/>"), 6, 50000, &o);
	ck_assert_uint_eq(bosh_session_deadline(s), 50000 + 60000);
	bosh_out_reset(&o);
	bosh_session_free(s);
}
END_TEST

static void sha1_hex(const char *in, char *out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n;
	EVP_Digest(in, strlen(in), md, &n, EVP_sha1(), NULL);
	for (unsigned i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

START_TEST(test_keys)
{
	char k1[41], k2[41], k3[41], extra[64];
	sha1_hex("seed", k1);
	sha1_hex(k1, k2);
	sha1_hex(k2, k3);
	snprintf(extra, sizeof extra, "newkey='%s'", k3);
	struct bosh_out o;
	struct bosh_session *s = open_session(&o, extra);
	bosh_session_request(s, body("<body rid='101' key='%s' " NS "/>", k2),
			     2, 1000, &o);
	ck_assert_uint_eq(o.nresponses, 0);
	/* a request without the key: not processed, item-not-found */
	bosh_session_request(s, body("<body rid='102' " NS ">" MSG "</body>"),
			     3, 7000, &o);
	ck_assert_uint_eq(o.nactions, 1);
	expect_action(&o, 0, BOSH_ACT_CLOSE, NULL);
	expect_response(&o, 0, 2, 200,
			"<body " NS " type='terminate' "
			"condition='item-not-found'/>");
	expect_response(&o, 1, 3, 200,
			"<body " NS " type='terminate' "
			"condition='item-not-found'/>");
	bosh_out_reset(&o);
	bosh_session_free(s);

	/* newkey in upper case (keys compare without case), then a new
	   sequence */
	char up[64];
	snprintf(up, sizeof up, "newkey='%s'", k3);
	for (char *c = up + 8; *c != '\''; c++)
		if (*c >= 'a' && *c <= 'f')
			*c = (char)(*c - 'a' + 'A');
	s = open_session(&o, up);
	char n1[41], n2[41];
	sha1_hex("other", n1);
	sha1_hex(n1, n2);
	bosh_session_request(s, body("<body rid='101' key='%s' " NS "/>", k2),
			     2, 1000, &o);
	bosh_session_request(
		s,
		body("<body rid='102' key='%s' newkey='%s' " NS "/>", k1, n2),
		3, 7000, &o);
	bosh_session_request(s, body("<body rid='103' key='%s' " NS "/>", n1),
			     4, 14000, &o);
	ck_assert_int_eq(o.ended, 0);
	ck_assert_uint_eq(o.nresponses, 2);
	bosh_out_reset(&o);
	bosh_session_free(s);
}
END_TEST

START_TEST(test_terminate)
{
	struct bosh_out o;
	struct bosh_session *s = open_session(&o, "");
	bosh_session_request(s, body("<body rid='101' " NS "/>"), 2, 1000, &o);
	bosh_session_request(s,
			     body("<body rid='102' type='terminate' " NS
				  "><presence type='unavailable'/></body>"),
			     3, 2000, &o);
	expect_action(&o, 0, BOSH_ACT_DATA,
		      "<presence xmlns='jabber:client' type='unavailable'/>");
	expect_action(&o, 1, BOSH_ACT_CLOSE, NULL);
	expect_response(&o, 0, 2, 200, "<body " NS " type='terminate'/>");
	expect_response(&o, 1, 3, 200, EMPTY);
	ck_assert_int_eq(o.ended, 1);
	bosh_out_reset(&o);
	bosh_session_free(s);
}
END_TEST

START_TEST(test_remote_stream_error)
{
	struct bosh_out o;
	struct bosh_session *s = open_session(&o, "");
	const char *err = "<message from='c@example.com'/><stream:error>"
			  "<conflict xmlns='urn:ietf:params:xml:ns:xmpp-"
			  "streams'/></stream:error></stream:stream>";
	/* no request held: the terminal body waits for the next one */
	bosh_session_from_router(s, err, strlen(err), 1000, &o);
	ck_assert_uint_eq(o.nactions, 0); /* the router closed it */
	ck_assert_uint_eq(o.nresponses, 0);
	ck_assert_int_eq(o.ended, 0);
	bosh_session_request(s, body("<body rid='101' " NS "/>"), 2, 2000, &o);
	expect_response(
		&o, 0, 2, 200,
		"<body " NS " " SNS " type='terminate' "
		"condition='remote-stream-error'><message "
		"xmlns='jabber:client' "
		"from='c@example.com'/><stream:error " SNS "><conflict "
		"xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>"
		"</body>");
	ck_assert_int_eq(o.ended, 1);
	bosh_out_reset(&o);
	bosh_session_free(s);

	/* the router's connection breaks while a request is held */
	s = open_session(&o, "");
	bosh_session_request(s, body("<body rid='101' " NS "/>"), 2, 1000, &o);
	bosh_session_router_closed(s, 2000, &o);
	ck_assert_uint_eq(o.nactions, 0);
	expect_response(&o, 0, 2, 200,
			"<body " NS " type='terminate' "
			"condition='remote-connection-failed'/>");
	bosh_out_reset(&o);
	bosh_session_free(s);
}
END_TEST

START_TEST(test_restart_and_ack)
{
	struct bosh_out o;
	struct bosh_session *s = open_session(&o, "ack='1'");
	bosh_session_request(s,
			     body("<body rid='101' xmpp:restart='true' " XNS
				  " " NS "><ignored/></body>"),
			     2, 1000, &o);
	expect_action(&o, 0, BOSH_ACT_RESTART, NULL);
	ck_assert_uint_eq(o.nactions, 1);
	bosh_out_reset(&o);
	const char *again = "<stream:stream xmlns='jabber:client' " SNS
			    " id='def' version='1.0'><stream:features>"
			    "<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>"
			    "</stream:features>";
	bosh_session_from_router(s, again, strlen(again), 1100, &o);
	expect_response(&o, 0, 2, 200,
			"<body " NS " " XNS " " SNS
			" xmpp:version='1.0' authid='def'><stream:features " SNS
			"><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>"
			"</stream:features></body>");
	bosh_out_reset(&o);
	/* 103 arrives while 102 is held: 102's answer acknowledges 103 */
	bosh_session_request(s, body("<body rid='102' " NS "/>"), 3, 7000, &o);
	bosh_session_request(
		s, body("<body rid='103' ack='102' " NS ">" MSG "</body>"), 4,
		7100, &o);
	expect_response(&o, 0, 3, 200, "<body " NS " ack='103'/>");
	bosh_out_reset(&o);
	bosh_session_free(s);
}
END_TEST

/* XEP-0124 9.2: a request that still acknowledges less than a response
   sent long ago gets an immediate answer reporting it. */
/* A client without 'ver' gets a sid that says so, so that the legacy
   HTTP 404 still reaches it once its session is gone (XEP-0124 17.1). */
START_TEST(test_legacy_sid)
{
	struct bosh_out o;
	bosh_out_init(&o);
	struct bosh_session *s = bosh_session_new(
		&cfg, body("<body rid='7' to='example.com' hold='1' wait='60' " NS "/>"),
		0, 1, 0, &o);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(bosh_sid_is_legacy(bosh_session_sid(s)), 1);
	bosh_session_free(s);
	bosh_out_reset(&o);
	s = open_session(&o, "");
	ck_assert_int_eq(bosh_sid_is_legacy(bosh_session_sid(s)), 0);
	bosh_session_free(s);
	bosh_out_reset(&o);
	ck_assert_int_eq(bosh_sid_is_legacy("nosuchl"), 0);
	ck_assert_int_eq(bosh_sid_is_legacy("t1-0123456789abcdef0123456789abcdefl"), 1);
	ck_assert_int_eq(bosh_sid_is_legacy("0123456789abcdef0123456789abcdefl"), 1);
	ck_assert_int_eq(bosh_sid_is_legacy("0123456789abcdef0123456789abcdeXl"), 0);
	ck_assert_int_eq(bosh_sid_is_legacy(""), 0);
}
END_TEST

/* XEP-0206 7: stanzas queued for a client that never fetches them go
   back to the router with the close, not into a body nobody reads. */
START_TEST(test_undelivered_go_back)
{
	struct bosh_out o;
	struct bosh_session *s = open_session(&o, "");
	const char *msg = "<message xmlns='jabber:client' to='a@example.com/r'>"
			  "<body>late</body></message>";
	/* 101 held, answered at its wait; then nothing held */
	bosh_session_request(s, body("<body rid='101' " NS "/>"), 2, 1000, &o);
	bosh_session_timeout(s, 61000, &o);
	ck_assert_uint_eq(o.nresponses, 1);
	bosh_out_reset(&o);
	bosh_session_from_router(s, msg, strlen(msg), 62000, &o);
	ck_assert_uint_eq(o.nresponses, 0); /* queued */
	bosh_session_timeout(s, bosh_session_deadline(s), &o);
	ck_assert_int_eq(o.ended, 1);
	ck_assert_uint_eq(o.nactions, 1);
	expect_action(&o, 0, BOSH_ACT_CLOSE, msg);
	bosh_out_reset(&o);
	bosh_session_free(s);

	/* A client's terminate: its queued stanzas go back too, and the
	   terminate answer carries none. */
	s = open_session(&o, "");
	bosh_session_from_router(s, msg, strlen(msg), 100, &o);
	ck_assert_uint_eq(o.nresponses, 0);
	bosh_session_request(s, body("<body rid='101' type='terminate' " NS "/>"),
			     2, 200, &o);
	expect_action(&o, 0, BOSH_ACT_CLOSE, msg);
	expect_response(&o, 0, 2, 200, "<body " NS " type='terminate'/>");
	bosh_out_reset(&o);
	bosh_session_free(s);

	/* A request held: the terminal body carries them, none go back. */
	s = open_session(&o, "");
	bosh_session_request(s, body("<body rid='101' " NS "/>"), 2, 1000, &o);
	bosh_session_terminate(s, BOSH_COND_SYSTEM_SHUTDOWN, 1100, &o);
	expect_action(&o, 0, BOSH_ACT_CLOSE, NULL);
	bosh_out_reset(&o);
	bosh_session_free(s);
}
END_TEST

START_TEST(test_report_lost_response)
{
	struct bosh_out o;
	struct bosh_session *s = open_session(&o, "ack='1'");
	const char *msg = "<message xmlns='jabber:client'><body>x</body>"
			  "</message>";
	/* 101 is held and answered at 2000 with a message. */
	bosh_session_request(s, body("<body rid='101' ack='100' " NS "/>"), 2,
			     1000, &o);
	ck_assert_uint_eq(o.nresponses, 0);
	bosh_session_from_router(s, msg, strlen(msg), 2000, &o);
	ck_assert_uint_eq(o.nresponses, 1);
	bosh_out_reset(&o);
	/* Right after it, a request that crossed the answer: no report. */
	bosh_session_request(s, body("<body rid='102' ack='100' " NS "/>"), 3,
			     2100, &o);
	ck_assert_uint_eq(o.nresponses, 0);
	/* Much later the client still lacks 101's answer. */
	bosh_session_request(
		s, body("<body rid='103' ack='100' " NS ">" MSG "</body>"), 4,
		6000, &o);
	ck_assert_uint_eq(o.nresponses, 1);
	expect_response(&o, 0, 3, 200,
			"<body " NS " ack='103' report='101' time='4000'/>");
	bosh_out_reset(&o);
	bosh_session_free(s);
}
END_TEST

START_TEST(test_queue_limit)
{
	struct bosh_out o;
	struct bosh_session *s = open_session(&o, "");
	char big[1200];
	memset(big, 'x', sizeof big);
	memcpy(big, "<message>", 9);
	memcpy(big + sizeof big - 11, "</message>", 11);
	bosh_session_from_router(s, big, strlen(big), 1000, &o);
	expect_action(&o, 0, BOSH_ACT_CLOSE, NULL);
	bosh_session_request(s, body("<body rid='101' " NS "/>"), 2, 2000, &o);
	expect_response(&o, 0, 2, 200,
			"<body " NS " type='terminate' "
			"condition='internal-server-error'/>");
	bosh_out_reset(&o);
	bosh_session_free(s);
}
END_TEST

Suite *bosh_session_suite(void)
{
	Suite *s = suite_create("bosh_session");
	TCase *tc = tcase_create("rules");
	tcase_add_test(tc, test_creation);
	tcase_add_test(tc, test_creation_errors);
	tcase_add_test(tc, test_polling_session_params);
	tcase_add_test(tc, test_in_order_and_hold);
	tcase_add_test(tc, test_out_of_order);
	tcase_add_test(tc, test_repeat_held);
	tcase_add_test(tc, test_rid_window);
	tcase_add_test(tc, test_overactivity);
	tcase_add_test(tc, test_wait_and_inactivity);
	tcase_add_test(tc, test_pause);
	tcase_add_test(tc, test_keys);
	tcase_add_test(tc, test_terminate);
	tcase_add_test(tc, test_remote_stream_error);
	tcase_add_test(tc, test_restart_and_ack);
	tcase_add_test(tc, test_report_lost_response);
	tcase_add_test(tc, test_legacy_sid);
	tcase_add_test(tc, test_undelivered_go_back);
	tcase_add_test(tc, test_queue_limit);
	suite_add_tcase(s, tc);
	return s;
}
