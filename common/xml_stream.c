/* xml_stream.c: the sans-I/O XMPP stream parser of xml_stream.h, on expat.
 *
 * expat reports names as "uri<0x1f>local<0x1f>prefix". Depth counts open
 * elements, the stream header included: 1 between stanzas, 2 and more
 * inside one. Every byte position is in the current expat parser's
 * coordinates (fed counts what it was given); mark is where the pending
 * top-level item began, so fed - mark bounds what expat and the tree under
 * construction hold. Handlers never report errors themselves: they record
 * one and stop expat, and xml_stream_feed reports it once XML_Parse has
 * returned. After compaction only this struct remains, with the stream
 * header rebuilt as text (hdr) to replay into the next parser. */
#include <errno.h>
#include <expat.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xml_mm.h"
#include "xml_restrict.h"
#include "xml_stream.h"

#define XML_STREAM_SEP '\x1f'
/* Longest rebuilt header kept for compaction ("<stream:stream xmlns=...
   xmlns:stream=...>" takes 82 bytes). */
#define XML_STREAM_HDR_MAX 256
/* Bytes handed to expat at once, so size limits are checked often. */
#define XML_STREAM_PIECE 4096
/* A tree's arena may hold this many times max_stanza (plus a little):
   nodes cost more than the markup they come from. */
#define XML_STREAM_ARENA_FACTOR 8
#define XML_STREAM_ARENA_EXTRA 4096

struct xml_stream {
	struct xml_restrict restrict_; /* first: the parser's user data */
	XML_Parser parser; /* NULL before the first feed and when compact */
	struct xml_mm *mm; /* the parser's memory (xml_mm.h) */
	const struct xml_stream_ops *ops;
	void *ctx;
	struct xml_stream_limits lim;
	size_t depth;		   /* open elements, the header included */
	size_t fed;		   /* bytes given to this parser */
	size_t mark;		   /* where the pending top-level item began */
	size_t stop_at;		   /* end of the event a reset was asked in */
	struct xml_arena *arena;   /* the header or stanza being built */
	struct xml_node *cur;	   /* its innermost open element */
	const char *default_ns;	   /* header: its default namespace (arena) */
	struct buf text;	   /* character data not yet a text node */
	struct buf decls;	   /* header: " xmlns:p='uri'"... */
	enum xml_stream_error err; /* recorded by a handler */
	int halted;		   /* expat told to stop: handlers do nothing */
	int in_parse;		   /* inside XML_Parse */
	int replaying;		   /* feeding hdr to a new parser */
	int stopped;		   /* a callback returned -1 */
	int closed;		   /* the header element ended */
	int reset_pending;	   /* xml_stream_reset called from a callback */
	int dead;		   /* no more input accepted */
	int compacted;		   /* parser freed; hdr must be replayed */
	size_t hdr_len; /* 0: the header did not fit, no compaction */
	char hdr[XML_STREAM_HDR_MAX];
};

static const char *const xml_stream_conditions[] = {
	[XML_STREAM_OK] = "undefined-condition",
	[XML_STREAM_NOT_WELL_FORMED] = "not-well-formed",
	[XML_STREAM_RESTRICTED] = "restricted-xml",
	[XML_STREAM_POLICY_VIOLATION] = "policy-violation",
	[XML_STREAM_NO_MEMORY] = "resource-constraint",
	[XML_STREAM_UNSUPPORTED_ENCODING] = "unsupported-encoding",
};

const char *xml_stream_error_condition(enum xml_stream_error err)
{
	size_t n =
		sizeof xml_stream_conditions / sizeof xml_stream_conditions[0];
	if ((size_t)err >= n)
		return "undefined-condition";
	return xml_stream_conditions[err];
}

static size_t xml_stream_arena_limit(const struct xml_stream *s)
{
	size_t max = s->lim.max_stanza;
	if (max > (SIZE_MAX - XML_STREAM_ARENA_EXTRA) / XML_STREAM_ARENA_FACTOR)
		return SIZE_MAX;
	return max * XML_STREAM_ARENA_FACTOR + XML_STREAM_ARENA_EXTRA;
}

/* ---- stopping */

static void xml_stream_halt(struct xml_stream *s)
{
	s->halted = 1;
	XML_StopParser(s->parser, XML_FALSE);
}

/* Records err (the first one wins) and stops expat. */
static void xml_stream_fail(struct xml_stream *s, enum xml_stream_error err)
{
	if (s->halted)
		return;
	s->err = err;
	xml_stream_halt(s);
}

/* Fails for an allocation error: ENOBUFS is a limit, anything else is
   memory. */
static void xml_stream_fail_errno(struct xml_stream *s)
{
	xml_stream_fail(s, errno == ENOBUFS ? XML_STREAM_POLICY_VIOLATION
					    : XML_STREAM_NO_MEMORY);
}

/* Applies a callback's answer: -1 stops parsing. */
static void xml_stream_answer(struct xml_stream *s, int r)
{
	if (r < 0 && !s->halted) {
		s->stopped = 1;
		xml_stream_halt(s);
	} else if (r < 0) {
		s->stopped = 1;
	}
}

/* The position just after the event being reported. */
static size_t xml_stream_event_end(const struct xml_stream *s)
{
	XML_Index i = XML_GetCurrentByteIndex(s->parser);
	int n = XML_GetCurrentByteCount(s->parser);
	return (size_t)(i < 0 ? 0 : i) + (size_t)(n < 0 ? 0 : n);
}

/* Fails when the item begun at mark is already longer than max_stanza. */
static int xml_stream_check_size(struct xml_stream *s)
{
	if (xml_stream_event_end(s) - s->mark <= s->lim.max_stanza)
		return 0;
	xml_stream_fail(s, XML_STREAM_POLICY_VIOLATION);
	return -1;
}

/* Frees the parser and any tree in progress. */
static void xml_stream_release(struct xml_stream *s)
{
	if (s->parser) {
		struct xml_mm *before = xml_mm_use(s->mm);
		XML_ParserFree(s->parser);
		xml_mm_use(before == s->mm ? NULL : before);
	}
	xml_mm_free(s->mm);
	s->mm = NULL;
	s->parser = NULL;
	xml_arena_free(s->arena);
	s->arena = NULL;
	s->cur = NULL;
	s->default_ns = NULL;
	buf_free(&s->text);
	buf_free(&s->decls);
}

/* ---- building nodes */

/* Splits an expat name into namespace (NULL if none) and local name, both
   copied into a; *prefix and *prefix_len give the prefix in place. */
static int xml_stream_split(struct xml_arena *a, const char *name,
			    const char **ns, const char **local,
			    const char **prefix, size_t *prefix_len)
{
	const char *sep = strchr(name, XML_STREAM_SEP);
	*ns = NULL;
	*prefix = NULL;
	*prefix_len = 0;
	if (sep) {
		*ns = xml_arena_strndup(a, name, (size_t)(sep - name));
		if (!*ns)
			return -1;
		name = sep + 1;
	}
	sep = strchr(name, XML_STREAM_SEP);
	size_t len = sep ? (size_t)(sep - name) : strlen(name);
	if (sep) {
		*prefix = sep + 1;
		*prefix_len = strlen(sep + 1);
	}
	*local = xml_arena_strndup(a, name, len);
	return *local ? 0 : -1;
}

/* Copies expat's attribute list (name, value pairs) into n. */
static int xml_stream_attrs(struct xml_node *n, const XML_Char **atts)
{
	size_t count = 0;
	while (atts[2 * count])
		count++;
	if (count == 0)
		return 0;
	n->attrs = xml_arena_alloc(n->arena, count * sizeof *n->attrs);
	if (!n->attrs)
		return -1;
	for (size_t i = 0; i < count; i++) {
		struct xml_attr *at = &n->attrs[i];
		const char *prefix;
		size_t plen;
		if (xml_stream_split(n->arena, atts[2 * i], &at->ns, &at->name,
				     &prefix, &plen) < 0)
			return -1;
		const char *v = atts[2 * i + 1];
		at->value = xml_arena_strndup(n->arena, v, strlen(v));
		if (!at->value)
			return -1;
		n->nattrs++;
	}
	return 0;
}

/* A new element in s->arena from expat's name and attributes; the
   element's prefix is returned through prefix and prefix_len. */
static struct xml_node *xml_stream_node(struct xml_stream *s,
					const XML_Char *name,
					const XML_Char **atts,
					const char **prefix, size_t *prefix_len)
{
	struct xml_node *n = xml_arena_alloc(s->arena, sizeof *n);
	if (!n)
		return NULL;
	memset(n, 0, sizeof *n);
	n->arena = s->arena;
	if (xml_stream_split(s->arena, name, &n->ns, &n->name, prefix,
			     prefix_len) < 0 ||
	    xml_stream_attrs(n, atts) < 0)
		return NULL;
	return n;
}

/* Turns pending character data into a text node of s->cur. */
static int xml_stream_flush_text(struct xml_stream *s)
{
	if (s->text.len == 0)
		return 0;
	if (!xml_node_add_text(s->cur, buf_head(&s->text), s->text.len))
		return -1;
	buf_reset(&s->text);
	return 0;
}

/* ---- the stream header */

/* Rebuilds the header as "<qname decls>" in s->hdr, for compaction;
   hdr_len stays 0 if it does not fit. */
static void xml_stream_record_header(struct xml_stream *s, const char *local,
				     const char *prefix, size_t prefix_len)
{
	struct buf h;
	buf_init(&h, sizeof s->hdr);
	s->hdr_len = 0;
	int bad = s->decls.limit == 0; /* a declaration did not fit */
	if (!bad && (buf_append_str(&h, "<") < 0 ||
		     (prefix && (buf_append(&h, prefix, prefix_len) < 0 ||
				 buf_append_str(&h, ":") < 0)) ||
		     buf_append_str(&h, local) < 0 ||
		     buf_append(&h, buf_head(&s->decls), s->decls.len) < 0 ||
		     buf_append_str(&h, ">") < 0))
		bad = 1;
	if (!bad) {
		memcpy(s->hdr, buf_head(&h), h.len);
		s->hdr_len = h.len;
	}
	buf_free(&h);
}

static int xml_stream_header_arena(struct xml_stream *s)
{
	if (!s->arena)
		s->arena = xml_arena_new(xml_stream_arena_limit(s));
	return s->arena ? 0 : -1;
}

static void xml_stream_on_ns_decl(void *ud, const XML_Char *prefix,
				  const XML_Char *uri)
{
	struct xml_stream *s = ud;
	if (s->halted || s->replaying || s->depth != 0)
		return;
	if (!uri)
		uri = "";
	if (xml_stream_header_arena(s) < 0) {
		xml_stream_fail_errno(s);
		return;
	}
	if (!prefix) {
		s->default_ns = xml_arena_strndup(s->arena, uri, strlen(uri));
		if (!s->default_ns) {
			xml_stream_fail_errno(s);
			return;
		}
	}
	if (s->decls.limit == 0)
		return;
	if (buf_append_str(&s->decls, prefix ? " xmlns:" : " xmlns") < 0 ||
	    (prefix && buf_append_str(&s->decls, prefix) < 0) ||
	    buf_append_str(&s->decls, "='") < 0 ||
	    xml_escape_attr(&s->decls, uri, strlen(uri)) < 0 ||
	    buf_append_str(&s->decls, "'") < 0) {
		/* too long to keep: this stream will not be compacted */
		buf_free(&s->decls);
		s->decls.limit = 0;
	}
}

static void xml_stream_header_start(struct xml_stream *s, const XML_Char *name,
				    const XML_Char **atts)
{
	s->depth = 1;
	if (s->replaying)
		return;
	if (xml_stream_check_size(s) < 0)
		return;
	const char *prefix;
	size_t plen;
	struct xml_node *root =
		xml_stream_header_arena(s) == 0
			? xml_stream_node(s, name, atts, &prefix, &plen)
			: NULL;
	if (!root) {
		xml_stream_fail_errno(s);
		return;
	}
	xml_stream_record_header(s, root->name, prefix, plen);
	buf_free(&s->decls);
	s->mark = xml_stream_event_end(s);
	int r = s->ops->on_open(s->ctx, root, s->default_ns);
	xml_arena_free(s->arena);
	s->arena = NULL;
	s->default_ns = NULL;
	xml_stream_answer(s, r);
}

/* ---- elements and text */

static void xml_stream_on_start(void *ud, const XML_Char *name,
				const XML_Char **atts)
{
	struct xml_stream *s = ud;
	if (s->halted)
		return;
	if (s->depth == 0) {
		xml_stream_header_start(s, name, atts);
		return;
	}
	if (s->depth == 1) {
		s->mark = (size_t)XML_GetCurrentByteIndex(s->parser);
		s->arena = xml_arena_new(xml_stream_arena_limit(s));
		if (!s->arena) {
			xml_stream_fail(s, XML_STREAM_NO_MEMORY);
			return;
		}
	}
	if (xml_stream_check_size(s) < 0)
		return;
	if (s->depth > s->lim.max_depth) {
		/* this element would be at depth s->depth inside the stanza */
		xml_stream_fail(s, XML_STREAM_POLICY_VIOLATION);
		return;
	}
	const char *prefix;
	size_t plen;
	struct xml_node *n;
	if ((s->cur && xml_stream_flush_text(s) < 0) ||
	    !(n = xml_stream_node(s, name, atts, &prefix, &plen))) {
		xml_stream_fail_errno(s);
		return;
	}
	if (s->cur)
		xml_node_append(s->cur, n);
	s->cur = n;
	s->depth++;
}

/* Hands a complete top-level element to on_stanza. */
static void xml_stream_stanza_done(struct xml_stream *s)
{
	struct xml_node *stanza = s->cur;
	s->cur = NULL;
	s->arena = NULL;
	s->mark = xml_stream_event_end(s);
	xml_stream_answer(s, s->ops->on_stanza(s->ctx, stanza));
}

static void xml_stream_on_end(void *ud, const XML_Char *name)
{
	struct xml_stream *s = ud;
	(void)name; /* expat checked that it matches */
	if (s->halted)
		return;
	if (s->depth == 1) {
		s->depth = 0;
		s->closed = 1;
		xml_stream_halt(s);
		s->ops->on_close(s->ctx);
		return;
	}
	if (xml_stream_check_size(s) < 0)
		return;
	if (xml_stream_flush_text(s) < 0) {
		xml_stream_fail_errno(s);
		return;
	}
	s->depth--;
	if (s->depth == 1)
		xml_stream_stanza_done(s);
	else
		s->cur = s->cur->parent;
}

static void xml_stream_on_text(void *ud, const XML_Char *text, int len)
{
	struct xml_stream *s = ud;
	if (s->halted)
		return;
	if (s->depth == 1) {
		/* between stanzas: whitespace keep-alives, ignored */
		s->mark = xml_stream_event_end(s);
		return;
	}
	if (xml_stream_check_size(s) < 0)
		return;
	if (buf_append(&s->text, text, (size_t)len) < 0)
		xml_stream_fail_errno(s);
}

/* ---- what RFC 6120 11 forbids */

static void xml_stream_refuse(void *owner, enum xml_restrict_reason why)
{
	xml_stream_fail(owner, why == XML_RESTRICT_ENCODING
				       ? XML_STREAM_UNSUPPORTED_ENCODING
				       : XML_STREAM_RESTRICTED);
}

/* ---- the parser's life */

struct xml_stream *xml_stream_new(const struct xml_stream_limits *lim,
				  const struct xml_stream_ops *ops, void *ctx)
{
	struct xml_stream *s = calloc(1, sizeof *s);
	if (!s) {
		errno = ENOMEM;
		return NULL;
	}
	s->restrict_.refuse = xml_stream_refuse;
	s->lim = *lim;
	s->ops = ops;
	s->ctx = ctx;
	buf_init(&s->text, xml_stream_arena_limit(s));
	buf_init(&s->decls, XML_STREAM_HDR_MAX);
	return s;
}

void xml_stream_free(struct xml_stream *s)
{
	if (!s)
		return;
	xml_stream_release(s);
	free(s);
}

/* Back to the state of a new stream, keeping the limits and callbacks. */
static void xml_stream_clear(struct xml_stream *s)
{
	xml_stream_release(s);
	s->depth = 0;
	s->fed = 0;
	s->mark = 0;
	s->err = XML_STREAM_OK;
	s->halted = 0;
	s->stopped = 0;
	s->closed = 0;
	s->reset_pending = 0;
	s->dead = 0;
	s->compacted = 0;
	s->hdr_len = 0;
	buf_init(&s->decls, XML_STREAM_HDR_MAX);
}

void xml_stream_reset(struct xml_stream *s)
{
	if (s->in_parse) {
		if (!s->reset_pending)
			s->stop_at = xml_stream_event_end(s);
		s->reset_pending = 1;
		if (!s->halted)
			xml_stream_halt(s);
		return;
	}
	xml_stream_clear(s);
}

int xml_stream_has_state(const struct xml_stream *s)
{
	return s->parser != NULL;
}

int xml_stream_compact(struct xml_stream *s)
{
	if (s->in_parse)
		return -1;
	if (!s->parser)
		return 0;
	if (s->depth != 1 || s->fed != s->mark || s->hdr_len == 0)
		return -1;
	xml_stream_release(s);
	s->compacted = 1;
	return 0;
}

int xml_stream_suspend(struct xml_stream *s, const char **hdr, size_t *len)
{
	if (s->dead || s->halted || s->closed || s->in_parse)
		return -1;
	if (!s->parser && !s->compacted && s->depth == 0) {
		*hdr = "";
		*len = 0;
		return 0;
	}
	if (xml_stream_compact(s) < 0 || !s->compacted)
		return -1;
	*hdr = s->hdr;
	*len = s->hdr_len;
	return 0;
}

int xml_stream_resume(struct xml_stream *s, const char *hdr, size_t len)
{
	if (len > sizeof s->hdr || s->parser || s->compacted || s->depth) {
		errno = EINVAL;
		return -1;
	}
	if (len == 0)
		return 0;
	memcpy(s->hdr, hdr, len);
	s->hdr_len = len;
	s->depth = 1;
	s->compacted = 1;
	return 0;
}

/* Ends the stream for good with err reported. */
static int xml_stream_die(struct xml_stream *s, enum xml_stream_error err)
{
	xml_stream_release(s);
	s->dead = 1;
	s->ops->on_error(s->ctx, err);
	return -1;
}

/* Creates the expat parser; after compaction, replays the header. */
static int xml_stream_start(struct xml_stream *s)
{
	static const XML_Char separator[] = {XML_STREAM_SEP, '\0'};
	s->mm = xml_mm_new();
	struct xml_mm *before = xml_mm_use(s->mm);
	XML_Parser p = s->mm ? XML_ParserCreate_MM("UTF-8", &xml_mm_suite,
						    separator)
			     : NULL;
	xml_mm_use(before);
	if (!p)
		return xml_stream_die(s, XML_STREAM_NO_MEMORY);
	s->parser = p;
	XML_SetUserData(p, s);
	XML_SetReturnNSTriplet(p, 1);
	XML_SetElementHandler(p, xml_stream_on_start, xml_stream_on_end);
	XML_SetCharacterDataHandler(p, xml_stream_on_text);
	XML_SetStartNamespaceDeclHandler(p, xml_stream_on_ns_decl);
	xml_restrict_install(p);
#if XML_MAJOR_VERSION > 2 || (XML_MAJOR_VERSION == 2 && XML_MINOR_VERSION >= 6)
	/* events must not wait for more input than the token needs */
	XML_SetReparseDeferralEnabled(p, XML_FALSE);
#endif
	s->fed = 0;
	s->mark = 0;
	if (!s->compacted)
		return 0;
	s->compacted = 0;
	s->depth = 0;
	s->replaying = 1;
	s->in_parse = 1;
	before = xml_mm_use(s->mm);
	enum XML_Status st = XML_Parse(p, s->hdr, (int)s->hdr_len, XML_FALSE);
	xml_mm_use(before);
	s->in_parse = 0;
	s->replaying = 0;
	if (st != XML_STATUS_OK || s->depth != 1)
		return xml_stream_die(s, XML_STREAM_NO_MEMORY);
	s->fed = s->hdr_len;
	s->mark = s->hdr_len;
	return 0;
}

/* What expat's own errors mean. */
static enum xml_stream_error xml_stream_expat_error(XML_Parser p)
{
	return XML_GetErrorCode(p) == XML_ERROR_NO_MEMORY
		       ? XML_STREAM_NO_MEMORY
		       : XML_STREAM_NOT_WELL_FORMED;
}

/* 1 if the bytes at the start of a stream, from offset fed on, show it
   is not UTF-8: expat would detect UTF-16 from a byte order mark (FE FF,
   FF FE) or a NUL next to '<' even when told the encoding, and these
   bytes never occur in UTF-8 XML. */
static int xml_stream_is_utf16(size_t fed, const char *data, size_t n)
{
	for (size_t i = 0; fed + i < 4 && i < n; i++) {
		unsigned char c = (unsigned char)data[i];
		if (c == 0x00 || c == 0xfe || c == 0xff)
			return 1;
	}
	return 0;
}

/* Parses n bytes (n <= XML_STREAM_PIECE); *used is set to the bytes
   consumed. 0 to go on, 1 when the stream closed, -1 when stopped. */
static int xml_stream_parse(struct xml_stream *s, const char *data, size_t n,
			    size_t *used)
{
	size_t start = s->fed;
	*used = n;
	if (xml_stream_is_utf16(s->fed, data, n))
		return xml_stream_die(s, XML_STREAM_UNSUPPORTED_ENCODING);
	s->in_parse = 1;
	struct xml_mm *before = xml_mm_use(s->mm);
	enum XML_Status st = XML_Parse(s->parser, data, (int)n, XML_FALSE);
	xml_mm_use(before);
	s->in_parse = 0;
	s->fed += n;
	*used = n;
	if (s->reset_pending) {
		int stopped = s->stopped;
		*used = s->stop_at - start;
		xml_stream_clear(s);
		return stopped ? -1 : 0;
	}
	if (s->closed || s->stopped) {
		xml_stream_release(s);
		s->dead = 1;
		return s->closed ? 1 : -1;
	}
	if (s->err == XML_STREAM_OK && st != XML_STATUS_OK)
		s->err = xml_stream_expat_error(s->parser);
	if (s->err == XML_STREAM_OK && s->fed - s->mark > s->lim.max_stanza)
		s->err = XML_STREAM_POLICY_VIOLATION;
	if (s->err != XML_STREAM_OK)
		return xml_stream_die(s, s->err);
	return 0;
}

/* The most a parser's memory pool may hold before it is recycled: a few
   times the largest stanza, as expat copies and grows its buffers. */
static size_t xml_stream_mm_bound(const struct xml_stream *s)
{
	return 4 * s->lim.max_stanza + 4 * XML_MM_CHUNK;
}

int xml_stream_feed(struct xml_stream *s, const char *data, size_t len)
{
	if (s->dead || s->in_parse)
		return -1;
	while (len > 0) {
		if (!s->parser && xml_stream_start(s) < 0)
			return -1;
		size_t n = len < XML_STREAM_PIECE ? len : XML_STREAM_PIECE;
		size_t used;
		int r = xml_stream_parse(s, data, n, &used);
		if (r != 0)
			return r > 0 ? 0 : -1;
		data += used;
		len -= used;
		/* The parser's pool only grows (xml_mm.h): past its bound,
		   start a fresh parser at the first stanza boundary. */
		if (xml_mm_bytes(s->mm) > xml_stream_mm_bound(s))
			xml_stream_compact(s);
	}
	return 0;
}
