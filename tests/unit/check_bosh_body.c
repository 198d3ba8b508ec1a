/* check_bosh_body.c: unit tests for the BOSH <body/> parser. Every
 * attribute is read with its type; children come out self-contained in
 * the jabber:client context; each malformed root, attribute, restriction
 * and limit is refused with its error and condition. */
#include <stdio.h>
#include <string.h>

#include "bosh_body.h"
#include "suites.h"

#define NS "xmlns='http://jabber.org/protocol/httpbind'"
#define XNS "xmlns:xmpp='urn:xmpp:xbosh'"

static const struct bosh_body_limits lim = {4096, 4, 8};

static struct bosh_body *parse_ok(const char *s)
{
	struct bosh_body *b;
	enum bosh_body_error err;
	int r = bosh_body_parse(s, strlen(s), &lim, &b, &err);
	ck_assert_msg(r == 0, "%s: error %d", s, err);
	ck_assert_int_eq(err, BOSH_BODY_OK);
	return b;
}

static enum bosh_body_error parse_err(const char *s)
{
	struct bosh_body *b = (struct bosh_body *)&b;
	enum bosh_body_error err = BOSH_BODY_OK;
	ck_assert_int_eq(bosh_body_parse(s, strlen(s), &lim, &b, &err), -1);
	ck_assert_ptr_null(b);
	return err;
}

START_TEST(test_creation_attrs)
{
	struct bosh_body *b = parse_ok(
		"<?xml version='1.0' encoding='utf-8'?>"
		"<body content='text/xml; charset=utf-8' from='u@example.com' "
		"hold='1' rid='1573741820' to='example.com' "
		"route='xmpp:example.com:9999' ver='1.6' wait='60' ack='1' "
		"xml:lang='en' xmpp:version='1.0' secure='true' " NS " " XNS
		" newkey='ca393b51b682f61f98e7877d61146407f3d0a770'/>");
	ck_assert_uint_eq(b->rid, 1573741820ULL);
	ck_assert(b->has & BOSH_HAS_RID && b->has & BOSH_HAS_HOLD &&
		  b->has & BOSH_HAS_WAIT && b->has & BOSH_HAS_VER &&
		  b->has & BOSH_HAS_ACK && b->has & BOSH_HAS_SECURE);
	ck_assert(!(b->has & BOSH_HAS_PAUSE));
	ck_assert_uint_eq(b->hold, 1);
	ck_assert_uint_eq(b->wait, 60);
	ck_assert_uint_eq(b->ack, 1);
	ck_assert_uint_eq(b->ver_major, 1);
	ck_assert_uint_eq(b->ver_minor, 6);
	ck_assert_int_eq(b->secure, 1);
	ck_assert_str_eq(b->to, "example.com");
	ck_assert_str_eq(b->from, "u@example.com");
	ck_assert_str_eq(b->route, "xmpp:example.com:9999");
	ck_assert_str_eq(b->lang, "en");
	ck_assert_str_eq(b->content, "text/xml; charset=utf-8");
	ck_assert_str_eq(b->xmpp_version, "1.0");
	ck_assert_str_eq(b->newkey, "ca393b51b682f61f98e7877d61146407f3d0a770");
	ck_assert_ptr_null(b->sid);
	ck_assert_ptr_null(b->key);
	ck_assert_int_eq(b->type, BOSH_TYPE_NONE);
	ck_assert_uint_eq(b->nchildren, 0);
	ck_assert_uint_eq(b->payload_len, 0);
	bosh_body_free(b);
}
END_TEST

START_TEST(test_session_attrs)
{
	struct bosh_body *b = parse_ok(
		"<body rid='9007199254740991' sid='SomeSID' type='terminate' "
		"pause='60' polling='5' inactivity='30' requests='2' "
		"ver='1.11' xmpp:restart='true' " XNS " " NS "/>");
	ck_assert_uint_eq(b->rid, 9007199254740991ULL);
	ck_assert_str_eq(b->sid, "SomeSID");
	ck_assert_int_eq(b->type, BOSH_TYPE_TERMINATE);
	ck_assert_uint_eq(b->pause, 60);
	ck_assert_uint_eq(b->polling, 5);
	ck_assert_uint_eq(b->inactivity, 30);
	ck_assert_uint_eq(b->requests, 2);
	ck_assert_uint_eq(b->ver_minor, 11);
	ck_assert_int_eq(b->restart, 1);
	ck_assert(b->has & BOSH_HAS_RESTART);
	bosh_body_free(b);
	/* restart without the xbosh namespace is not the restart attribute */
	b = parse_ok("<body rid='1' restart='true' type='error' " NS "/>");
	ck_assert_int_eq(b->restart, 0);
	ck_assert_int_eq(b->type, BOSH_TYPE_ERROR);
	bosh_body_free(b);
}
END_TEST

START_TEST(test_children)
{
	struct bosh_body *b = parse_ok(
		"<body rid='2' sid='s' " NS ">\n  "
		"<message to='contact@example.com' xmlns='jabber:client'>"
		"<body>Good &amp; morning!</body></message>\n"
		"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' "
		"mechanism='PLAIN'>AGEAYg==</auth>"
		"<presence/>" /* httpbind namespace: taken as jabber:client */
		"<x:foo xmlns:x='urn:x' x:a='1'/></body>");
	ck_assert_uint_eq(b->nchildren, 4);
	ck_assert_str_eq(
		b->payload,
		"<message xmlns='jabber:client' to='contact@example.com'>"
		"<body>Good &amp; morning!</body></message>"
		"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' "
		"mechanism='PLAIN'>AGEAYg==</auth>"
		"<presence xmlns='jabber:client'/>"
		"<foo xmlns='urn:x' xmlns:ns1='urn:x' ns1:a='1'/>");
	ck_assert_uint_eq(b->payload_len, strlen(b->payload));
	bosh_body_free(b);
	/* a child in no namespace says so */
	b = parse_ok("<body rid='2' " NS "><iq xmlns='' type='get'/></body>");
	ck_assert_str_eq(b->payload, "<iq xmlns='' type='get'/>");
	bosh_body_free(b);
}
END_TEST

START_TEST(test_bad_root)
{
	ck_assert_int_eq(parse_err("<body rid='1'/>"), BOSH_BODY_NOT_BODY);
	ck_assert_int_eq(parse_err("<bodyx " NS "/>"), BOSH_BODY_NOT_BODY);
	ck_assert_int_eq(parse_err("<body xmlns='jabber:client'/>"),
			 BOSH_BODY_NOT_BODY);
	ck_assert_int_eq(parse_err("<stream:stream xmlns:stream='" NS "'/>"),
			 BOSH_BODY_NOT_WELL_FORMED);
	ck_assert_int_eq(parse_err(""), BOSH_BODY_NOT_WELL_FORMED);
	ck_assert_int_eq(parse_err("<body " NS ">"), BOSH_BODY_NOT_WELL_FORMED);
	ck_assert_int_eq(parse_err("<body " NS "/><body " NS "/>"),
			 BOSH_BODY_NOT_WELL_FORMED);
	ck_assert_int_eq(parse_err("<body " NS " a='1' a='2'/>"),
			 BOSH_BODY_NOT_WELL_FORMED);
	ck_assert_int_eq(parse_err("<?xml version='1.0' encoding='ISO-8859-1'?>"
				   "<body " NS "/>"),
			 BOSH_BODY_NOT_WELL_FORMED);
	ck_assert_str_eq(bosh_body_error_condition(BOSH_BODY_NOT_BODY),
			 "bad-request");
}
END_TEST

static const char *const bad_attrs[] = {
	"rid=''",
	"rid='+1'",
	"rid=' 1'",
	"rid='1 '",
	"rid='0'",
	"rid='9007199254740992'",
	"rid='1a'",
	"rid='-1'",
	"rid='99999999999999999999999'",
	"hold='256'",
	"wait='65536'",
	"requests='1x'",
	"ack='0'",
	"type='foo'",
	"type=''",
	"ver='1'",
	"ver='1.'",
	"ver='.6'",
	"ver='1.6.1'",
	"ver='a.b'",
	"secure='yes'",
	"key='abc'",
	"newkey='zz393b51b682f61f98e7877d61146407f3d0a770'",
	"pause='1.5'",
};

START_TEST(test_bad_attr)
{
	char doc[256];
	snprintf(doc, sizeof doc, "<body %s " NS "/>", bad_attrs[_i]);
	ck_assert_int_eq(parse_err(doc), BOSH_BODY_BAD_ATTR);
	ck_assert_str_eq(bosh_body_error_condition(BOSH_BODY_BAD_ATTR),
			 "bad-request");
}
END_TEST

START_TEST(test_restricted)
{
	ck_assert_int_eq(parse_err("<!DOCTYPE body><body " NS "/>"),
			 BOSH_BODY_RESTRICTED);
	ck_assert_int_eq(parse_err("<!DOCTYPE body [<!ENTITY a 'x'>]>"
				   "<body " NS ">&a;</body>"),
			 BOSH_BODY_RESTRICTED);
	ck_assert_int_eq(parse_err("<body " NS "><!-- c --></body>"),
			 BOSH_BODY_RESTRICTED);
	ck_assert_int_eq(parse_err("<body " NS "><?pi x?></body>"),
			 BOSH_BODY_RESTRICTED);
	ck_assert_int_eq(parse_err("<body " NS "><m><?pi?></m></body>"),
			 BOSH_BODY_RESTRICTED);
	ck_assert_int_eq(parse_err("<body " NS ">&undefined;</body>"),
			 BOSH_BODY_NOT_WELL_FORMED);
	ck_assert_int_eq(parse_err("<body " NS ">text</body>"),
			 BOSH_BODY_BAD_TEXT);
	ck_assert_int_eq(parse_err("<body " NS "><a/>&#32;x</body>"),
			 BOSH_BODY_BAD_TEXT);
}
END_TEST

START_TEST(test_limits)
{
	/* four children pass, five do not */
	struct bosh_body *b = parse_ok("<body " NS "><a/><b/><c/><d/></body>");
	ck_assert_uint_eq(b->nchildren, 4);
	bosh_body_free(b);
	ck_assert_int_eq(parse_err("<body " NS "><a/><b/><c/><d/><e/></body>"),
			 BOSH_BODY_TOO_MANY);
	/* depth 8 inside a child passes, 9 does not */
	b = parse_ok("<body " NS "><a><a><a><a><a><a><a><a/></a></a></a></a>"
		     "</a></a></a></body>");
	bosh_body_free(b);
	ck_assert_int_eq(parse_err("<body " NS "><a><a><a><a><a><a><a><a><a/>"
				   "</a></a></a></a></a></a></a></a></body>"),
			 BOSH_BODY_TOO_DEEP);
	/* bytes: exactly the limit passes, one more does not */
	char big[4098];
	size_t head = strlen("<body " NS ">"), tail = strlen("</body>");
	memcpy(big, "<body " NS ">", head);
	memset(big + head, ' ', 4096 - head - tail);
	memcpy(big + 4096 - tail, "</body>", tail + 1);
	b = parse_ok(big);
	bosh_body_free(b);
	struct bosh_body *out;
	enum bosh_body_error err;
	ck_assert_int_eq(bosh_body_parse(big, 4097, &lim, &out, &err), -1);
	ck_assert_int_eq(err, BOSH_BODY_TOO_LARGE);
	ck_assert_str_eq(bosh_body_error_condition(err), "policy-violation");
	ck_assert_str_eq(bosh_body_error_condition(BOSH_BODY_NO_MEMORY),
			 "internal-server-error");
}
END_TEST

Suite *bosh_body_suite(void)
{
	Suite *s = suite_create("bosh_body");
	TCase *tc = tcase_create("parse");
	tcase_add_test(tc, test_creation_attrs);
	tcase_add_test(tc, test_session_attrs);
	tcase_add_test(tc, test_children);
	tcase_add_test(tc, test_bad_root);
	tcase_add_loop_test(tc, test_bad_attr, 0,
			    sizeof bad_attrs / sizeof bad_attrs[0]);
	tcase_add_test(tc, test_restricted);
	tcase_add_test(tc, test_limits);
	suite_add_tcase(s, tc);
	return s;
}
