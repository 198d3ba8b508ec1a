/* check_mime.c: unit tests for mime: every extension in the table, case
 * insensitivity, only the last extension of the last segment counts, and
 * names without a known extension get application/octet-stream. */
#include "mime.h"
#include "suites.h"

struct mime_case {
	const char *path;
	const char *type;
};

#define OCTET "application/octet-stream"

static const struct mime_case mime_cases[] = {
	{"/index.html", "text/html; charset=utf-8"},
	{"/.well-known/host-meta", "application/xrd+xml"},
	{"/.well-known/host-meta.json", "application/json"},
	{"/other/README", OCTET},
	{"/a.htm", "text/html; charset=utf-8"},
	{"/app.js", "text/javascript; charset=utf-8"},
	{"/mod.mjs", "text/javascript; charset=utf-8"},
	{"/s.css", "text/css; charset=utf-8"},
	{"/d.json", "application/json"},
	{"/app.js.map", "application/json"},
	{"/i.svg", "image/svg+xml"},
	{"/i.png", "image/png"},
	{"/i.jpg", "image/jpeg"},
	{"/i.jpeg", "image/jpeg"},
	{"/i.gif", "image/gif"},
	{"/i.webp", "image/webp"},
	{"/i.avif", "image/avif"},
	{"/favicon.ico", "image/x-icon"},
	{"/f.woff", "font/woff"},
	{"/f.woff2", "font/woff2"},
	{"/f.ttf", "font/ttf"},
	{"/f.otf", "font/otf"},
	{"/m.wasm", "application/wasm"},
	{"/r.txt", "text/plain; charset=utf-8"},
	{"/README.md", "text/markdown; charset=utf-8"},
	{"/x.xml", "application/xml"},
	{"/d.pdf", "application/pdf"},
	{"/s.mp3", "audio/mpeg"},
	{"/s.ogg", "audio/ogg"},
	{"/v.mp4", "video/mp4"},
	{"/v.webm", "video/webm"},
	{"/INDEX.HTML", "text/html; charset=utf-8"},
	{"/a.Js", "text/javascript; charset=utf-8"},
	{"/F.WOFF2", "font/woff2"},
	{"index.html", "text/html; charset=utf-8"},
	{"/dir.css/file", OCTET},
	{"/dir.css/file.png", "image/png"},
	{"/a.tar.gz", OCTET},
	{"/noext", OCTET},
	{"/", OCTET},
	{"", OCTET},
	{"/trailing.", OCTET},
	{"/a.exe", OCTET},
	{"/a.htmlx", OCTET},
	{"/a.htm.", OCTET},
	{"/a.veryverylongextension", OCTET},
	{"/a.woff22", OCTET},
};

START_TEST(test_mime)
{
	ck_assert_str_eq(mime_type_for(mime_cases[_i].path),
			 mime_cases[_i].type);
}
END_TEST

START_TEST(test_mime_null)
{
	ck_assert_str_eq(mime_type_for(NULL), OCTET);
}
END_TEST

Suite *mime_suite(void)
{
	Suite *s = suite_create("mime");
	TCase *tc = tcase_create("mime");
	tcase_add_loop_test(tc, test_mime, 0,
			    (int)(sizeof mime_cases / sizeof mime_cases[0]));
	tcase_add_test(tc, test_mime_null);
	suite_add_tcase(s, tc);
	return s;
}
