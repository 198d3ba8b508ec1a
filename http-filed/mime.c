/* mime.c: Content-Type by file-name extension, for http-filed's responses.
 *
 * One fixed table; the extension is what follows the last '.' of the last
 * path segment, matched without regard to case. Text types carry
 * "; charset=utf-8" because everything Parley ships is UTF-8. The caller
 * strips a ".gz" or ".br" of a precompressed file before asking. */
#include <string.h>

#include "mime.h"

#define MIME_DEFAULT "application/octet-stream"
#define MIME_EXT_MAX 8 /* longer than any extension in the table */

struct mime_entry {
	const char *ext; /* lower case, without the dot */
	const char *type;
};

static const struct mime_entry mime_table[] = {
	{"html", "text/html; charset=utf-8"},
	{"htm", "text/html; charset=utf-8"},
	{"js", "text/javascript; charset=utf-8"},
	{"mjs", "text/javascript; charset=utf-8"},
	{"css", "text/css; charset=utf-8"},
	{"json", "application/json"},
	{"map", "application/json"},
	{"svg", "image/svg+xml"},
	{"png", "image/png"},
	{"jpg", "image/jpeg"},
	{"jpeg", "image/jpeg"},
	{"gif", "image/gif"},
	{"webp", "image/webp"},
	{"avif", "image/avif"},
	{"ico", "image/x-icon"},
	{"woff", "font/woff"},
	{"woff2", "font/woff2"},
	{"ttf", "font/ttf"},
	{"otf", "font/otf"},
	{"wasm", "application/wasm"},
	{"txt", "text/plain; charset=utf-8"},
	{"md", "text/markdown; charset=utf-8"},
	{"xml", "application/xml"},
	{"pdf", "application/pdf"},
	{"mp3", "audio/mpeg"},
	{"ogg", "audio/ogg"},
	{"mp4", "video/mp4"},
	{"webm", "video/webm"},
};

const char *mime_type_for(const char *path)
{
	if (!path)
		return MIME_DEFAULT;
	const char *name = strrchr(path, '/');
	name = name ? name + 1 : path;
	const char *dot = strrchr(name, '.');
	if (!dot) /* RFC 6415: the one extension-less file a client asks for */
		return strcmp(name, "host-meta") == 0 ? "application/xrd+xml"
						      : MIME_DEFAULT;
	char ext[MIME_EXT_MAX + 1];
	size_t n = 0;
	for (const char *c = dot + 1; *c; c++) {
		if (n == MIME_EXT_MAX)
			return MIME_DEFAULT;
		ext[n++] =
			(char)(*c >= 'A' && *c <= 'Z' ? *c + ('a' - 'A') : *c);
	}
	ext[n] = '\0';
	for (size_t i = 0; i < sizeof mime_table / sizeof mime_table[0]; i++)
		if (strcmp(mime_table[i].ext, ext) == 0)
			return mime_table[i].type;
	return MIME_DEFAULT;
}
