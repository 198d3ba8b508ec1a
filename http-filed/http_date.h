/* http_date.h: HTTP dates (RFC 9110 5.6.7).
 *
 * Formats IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") and parses it and
 * the two obsolete forms (RFC 850 and asctime) that recipients must accept,
 * for Date, Last-Modified and If-Modified-Since. */
#ifndef PARLEY_HTTP_DATE_H
#define PARLEY_HTTP_DATE_H

#include <stddef.h>
#include <time.h>

#define HTTP_DATE_LEN 29 /* strlen of an IMF-fixdate */

/* Writes the IMF-fixdate of t into out (at least HTTP_DATE_LEN + 1 bytes). */
void http_date_format(time_t t, char *out);
/* Parses any of the three forms (exactly len bytes, canonical case); 0 and
 * *t set, or -1 if invalid or a field is out of range. RFC 850 two-digit
 * years 00-69 are 20xx and 70-99 are 19xx; the week day is not checked
 * against the date. */
int http_date_parse(const char *s, size_t len, time_t *t);

#endif
