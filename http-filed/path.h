/* path.h: turns a request-target into a safe file path under the document
 * root.
 *
 * Policy (also in http-filed.8): the target is origin-form "/..." or
 * absolute-form "http[s]://authority/..." (whose path is used); "*" and
 * anything else is refused. The query and fragment are cut off. Percent
 * escapes are decoded once; a decoded NUL, '/' (from %2F), control byte or
 * DEL is refused, as is an invalid escape or a raw byte outside 0x21-0x7E;
 * decoded bytes >= 0x80 (UTF-8 names) are kept. Userinfo in an
 * absolute-form authority is refused. Dot segments are resolved
 * (RFC 3986 5.2.4); a ".." that would climb above the root is refused, never
 * clamped. Empty segments ("//") are merged. Every refusal is a 400. The
 * result always starts with '/' and never contains "/../", "/./" or "//". */
#ifndef PARLEY_PATH_H
#define PARLEY_PATH_H

#include <stddef.h>

/* Writes the normalised, decoded path into out (NUL-terminated, at most
 * outsz-1 bytes). Returns 0, or -1 if the target must be refused (400) or
 * does not fit (414; the path is resolved in place, so every intermediate
 * form must fit too: "/a/b/.." needs room for "/a/b"). *status is set on
 * every -1. *ends_with_slash tells whether the decoded path named a
 * directory ("/" or ending in '/', also after a final "." or ".."). If query
 * is non-NULL, *query points at the raw query after '?' in target (or NULL;
 * "/a?" gives an empty, non-NULL query) and *query_len its length. Only the
 * len bytes of target are read; status, ends_with_slash and query may be
 * NULL. */
int path_normalize(const char *target, size_t len, char *out, size_t outsz,
		   int *ends_with_slash, const char **query, size_t *query_len,
		   int *status);

/* 1 if the normalised path starts with prefix at a segment boundary:
 * "/http-bind" matches "/http-bind", "/http-bind/" and "/http-bind/x" but
 * not "/http-binder". A prefix ending in '/' matches by plain prefix. */
int path_has_prefix(const char *path, const char *prefix);

#endif
