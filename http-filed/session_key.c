/* session_key.c: the session a backend request belongs to (session_key.h).
 * Not an XML parser: it only has to find one attribute of the first start
 * tag, and anything it does not understand means "no key", which sends
 * the request to any instance (that instance answers the error). */
#include <string.h>

#include "session_key.h"

static int session_key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

static int session_key_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Copies p[0..n) to key if it is a valid key; its length or 0. */
static size_t session_key_take(const char *p, size_t n,
			       char key[SESSION_KEY_MAX + 1])
{
	if (n == 0 || n > SESSION_KEY_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!session_key_char(p[i]))
			return 0;
	memcpy(key, p, n);
	key[n] = '\0';
	return n;
}

/* Skips an XML declaration or processing instruction, comments are not
   expected: returns the offset of the first start tag's '<' or len. */
static size_t session_key_first_tag(const char *b, size_t len)
{
	size_t i = 0;
	for (;;) {
		while (i < len && session_key_space(b[i]))
			i++;
		if (i + 1 >= len || b[i] != '<')
			return len;
		if (b[i + 1] != '?')
			return i;
		const char *end = NULL;
		for (size_t j = i + 2; j + 1 < len; j++)
			if (b[j] == '?' && b[j + 1] == '>') {
				end = b + j;
				break;
			}
		if (!end)
			return len;
		i = (size_t)(end - b) + 2;
	}
}

/* The 'sid' attribute of the start tag at b[0] == '<'. */
static size_t session_key_sid(const char *b, size_t len,
			      char key[SESSION_KEY_MAX + 1])
{
	size_t i = 1;
	while (i < len && !session_key_space(b[i]) && b[i] != '>' &&
	       b[i] != '/')
		i++; /* the element name */
	while (i < len) {
		while (i < len && session_key_space(b[i]))
			i++;
		if (i >= len || b[i] == '>' || b[i] == '/')
			return 0;
		size_t name = i;
		while (i < len && b[i] != '=' && !session_key_space(b[i]) &&
		       b[i] != '>')
			i++;
		size_t name_len = i - name;
		while (i < len && session_key_space(b[i]))
			i++;
		if (i >= len || b[i] != '=')
			return 0;
		i++;
		while (i < len && session_key_space(b[i]))
			i++;
		if (i >= len || (b[i] != '\'' && b[i] != '"'))
			return 0;
		char quote = b[i++];
		const char *close = memchr(b + i, quote, len - i);
		if (!close)
			return 0;
		size_t value = i;
		i = (size_t)(close - b) + 1;
		if (name_len == 3 && memcmp(b + name, "sid", 3) == 0)
			return session_key_take(b + value, (size_t)(close - b) -
								   value,
						key);
	}
	return 0;
}

/* The identifier of "identifier;key,xml" (XEP-0025). */
static size_t session_key_poll_id(const char *b, size_t len,
				  char key[SESSION_KEY_MAX + 1])
{
	const char *semi = memchr(b, ';', len);
	if (!semi)
		return 0;
	size_t n = (size_t)(semi - b);
	if (n == 1 && b[0] == '0')
		return 0; /* "0" opens a session */
	return session_key_take(b, n, key);
}

size_t session_key_find(const char *body, size_t len,
			char key[SESSION_KEY_MAX + 1])
{
	if (len > SESSION_KEY_SCAN)
		len = SESSION_KEY_SCAN;
	size_t tag = session_key_first_tag(body, len);
	if (tag < len)
		return session_key_sid(body + tag, len - tag, key);
	return session_key_poll_id(body, len, key);
}
