/* check_gw_front.c: unit tests for what common/gw_front.c offers a
 * gateway about one request: gw_request_header (case-insensitive names,
 * values trimmed, other attribute keys skipped, malformed lines ignored)
 * and gw_request_is. */
#include <check.h>
#include <string.h>

#include "attr.h"
#include "buf.h"
#include "gw_front.h"
#include "suites.h"

static struct buf raw;

static struct gw_request request(void)
{
	buf_init(&raw, 4096);
	attr_append_str(&raw, ATTR_HEADER, "Host: example.com");
	attr_append_str(&raw, ATTR_BODY, "not a header: x");
	attr_append_str(&raw, ATTR_HEADER, "no colon here");
	attr_append_str(&raw, ATTR_HEADER, "Content-Type:\t text/xml ; x=1 \t");
	attr_append_str(&raw, ATTR_HEADER, "X-Empty:");
	struct gw_request r = {0};
	r.method = "POST";
	r.method_len = 4;
	r.headers = (const unsigned char *)buf_head(&raw);
	r.headers_len = raw.len;
	return r;
}

static const char *header(const struct gw_request *r, const char *name)
{
	static char out[256];
	size_t len;
	const char *v = gw_request_header(r, name, &len);
	if (!v)
		return "(none)";
	memcpy(out, v, len);
	out[len] = '\0';
	return out;
}

START_TEST(test_header_lookup)
{
	struct gw_request r = request();
	ck_assert_str_eq(header(&r, "host"), "example.com");
	ck_assert_str_eq(header(&r, "HOST"), "example.com");
	ck_assert_str_eq(header(&r, "content-type"), "text/xml ; x=1");
	ck_assert_str_eq(header(&r, "X-Empty"), "");
	ck_assert_str_eq(header(&r, "Not-There"), "(none)");
	ck_assert_str_eq(header(&r, "not a header"), "(none)");
	ck_assert_str_eq(header(&r, "Hos"), "(none)");
	buf_free(&raw);
}
END_TEST

START_TEST(test_no_headers)
{
	struct gw_request r = {0};
	size_t len = 99;
	ck_assert_ptr_null(gw_request_header(&r, "Host", &len));
	ck_assert_uint_eq(len, 0);
}
END_TEST

START_TEST(test_method)
{
	struct gw_request r = request();
	ck_assert_int_eq(gw_request_is(&r, "POST"), 1);
	ck_assert_int_eq(gw_request_is(&r, "POS"), 0);
	ck_assert_int_eq(gw_request_is(&r, "POSTS"), 0);
	ck_assert_int_eq(gw_request_is(&r, "post"), 0); /* methods are case-sensitive */
	buf_free(&raw);
}
END_TEST

Suite *gw_front_suite(void)
{
	Suite *s = suite_create("gw_front");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_header_lookup);
	tcase_add_test(tc, test_no_headers);
	tcase_add_test(tc, test_method);
	suite_add_tcase(s, tc);
	return s;
}
