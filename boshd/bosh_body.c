/* bosh_body.c: the BOSH <body/> parser of bosh_body.h, on expat.
 *
 * expat reports names as "uri<0x1f>local" (or "local" alone). Depth counts
 * open elements: 1 inside <body/>, 2 and more inside a child. The
 * attributes of <body/> are read through one table (name, namespace,
 * kind, where the value goes). Each child is built as an xml.h tree in its
 * own arena, serialised into the payload when it ends, and freed, so at
 * most one child's tree is alive. Handlers record the first error and
 * stop expat; bosh_body_parse reports it after XML_Parse returns. */
#include <errno.h>
#include <expat.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bosh_body.h"
#include "buf.h"
#include "xml.h"
#include "xml_restrict.h"

#define BOSH_BODY_SEP '\x1f'
#define BOSH_NS_XML "http://www.w3.org/XML/1998/namespace"
/* A child's arena and the payload may grow to this many times the input
   (plus a little): nodes and escapes cost more than the markup. */
#define BOSH_BODY_FACTOR 8
#define BOSH_BODY_EXTRA 4096
/* Keys are hex SHA-1 digests (XEP-0124 15). */
#define BOSH_KEY_LEN 40

enum bosh_attr_kind {
	BOSH_ATTR_STRING, /* copied to a char * field */
	BOSH_ATTR_NUMBER, /* unsigned within [min, max] */
	BOSH_ATTR_RID,	  /* uint64_t within [1, BOSH_RID_MAX] */
	BOSH_ATTR_ACK,	  /* uint64_t >= 1 */
	BOSH_ATTR_KEY,	  /* 40 hex digits, copied */
	BOSH_ATTR_BOOL,	  /* xs:boolean into an int field */
	BOSH_ATTR_TYPE,	  /* 'terminate' or 'error' */
	BOSH_ATTR_VER,	  /* 'major.minor' */
};

struct bosh_attr_spec {
	const char *ns; /* NULL: unqualified */
	const char *name;
	enum bosh_attr_kind kind;
	size_t offset; /* of the field in struct bosh_body */
	unsigned flag; /* bosh_body_field bit, 0 if none */
	unsigned max;  /* BOSH_ATTR_NUMBER */
};

#define BOSH_F(field) offsetof(struct bosh_body, field)

static const struct bosh_attr_spec bosh_attr_specs[] = {
	{NULL, "rid", BOSH_ATTR_RID, BOSH_F(rid), BOSH_HAS_RID, 0},
	{NULL, "ack", BOSH_ATTR_ACK, BOSH_F(ack), BOSH_HAS_ACK, 0},
	{NULL, "wait", BOSH_ATTR_NUMBER, BOSH_F(wait), BOSH_HAS_WAIT, 65535},
	{NULL, "hold", BOSH_ATTR_NUMBER, BOSH_F(hold), BOSH_HAS_HOLD, 255},
	{NULL, "pause", BOSH_ATTR_NUMBER, BOSH_F(pause), BOSH_HAS_PAUSE, 65535},
	{NULL, "polling", BOSH_ATTR_NUMBER, BOSH_F(polling), BOSH_HAS_POLLING,
	 65535},
	{NULL, "inactivity", BOSH_ATTR_NUMBER, BOSH_F(inactivity),
	 BOSH_HAS_INACTIVITY, 65535},
	{NULL, "requests", BOSH_ATTR_NUMBER, BOSH_F(requests),
	 BOSH_HAS_REQUESTS, 255},
	{NULL, "ver", BOSH_ATTR_VER, 0, BOSH_HAS_VER, 0},
	{NULL, "type", BOSH_ATTR_TYPE, BOSH_F(type), 0, 0},
	{NULL, "secure", BOSH_ATTR_BOOL, BOSH_F(secure), BOSH_HAS_SECURE, 0},
	{BOSH_NS_XBOSH, "restart", BOSH_ATTR_BOOL, BOSH_F(restart),
	 BOSH_HAS_RESTART, 0},
	{NULL, "sid", BOSH_ATTR_STRING, BOSH_F(sid), 0, 0},
	{NULL, "to", BOSH_ATTR_STRING, BOSH_F(to), 0, 0},
	{NULL, "from", BOSH_ATTR_STRING, BOSH_F(from), 0, 0},
	{NULL, "route", BOSH_ATTR_STRING, BOSH_F(route), 0, 0},
	{NULL, "content", BOSH_ATTR_STRING, BOSH_F(content), 0, 0},
	{NULL, "stream", BOSH_ATTR_STRING, BOSH_F(stream), 0, 0},
	{NULL, "key", BOSH_ATTR_KEY, BOSH_F(key), 0, 0},
	{NULL, "newkey", BOSH_ATTR_KEY, BOSH_F(newkey), 0, 0},
	{BOSH_NS_XML, "lang", BOSH_ATTR_STRING, BOSH_F(lang), 0, 0},
	{BOSH_NS_XBOSH, "version", BOSH_ATTR_STRING, BOSH_F(xmpp_version), 0,
	 0},
};

static const char *const bosh_body_conditions[] = {
	[BOSH_BODY_OK] = "bad-request",
	[BOSH_BODY_NOT_WELL_FORMED] = "bad-request",
	[BOSH_BODY_RESTRICTED] = "bad-request",
	[BOSH_BODY_NOT_BODY] = "bad-request",
	[BOSH_BODY_BAD_ATTR] = "bad-request",
	[BOSH_BODY_BAD_TEXT] = "bad-request",
	[BOSH_BODY_TOO_LARGE] = "policy-violation",
	[BOSH_BODY_TOO_MANY] = "policy-violation",
	[BOSH_BODY_TOO_DEEP] = "policy-violation",
	[BOSH_BODY_NO_MEMORY] = "internal-server-error",
};

struct bosh_parse {
	struct xml_restrict restrict_; /* first: the parser's user data */
	XML_Parser parser;
	const struct bosh_body_limits *lim;
	struct bosh_body *b;
	enum bosh_body_error err;
	size_t depth;		 /* open elements, <body/> included */
	int seen_root;		 /* the root element started */
	struct xml_arena *arena; /* the child being built */
	struct xml_node *cur;	 /* its innermost open element */
	struct buf text;	 /* character data not yet a text node */
	struct buf payload;	 /* serialised children */
	size_t arena_limit;
};

const char *bosh_body_error_condition(enum bosh_body_error err)
{
	size_t n = sizeof bosh_body_conditions / sizeof bosh_body_conditions[0];
	if ((size_t)err >= n)
		return "bad-request";
	return bosh_body_conditions[err];
}

void bosh_body_free(struct bosh_body *b)
{
	if (!b)
		return;
	char **strs[] = {&b->sid,	   &b->to,	&b->from,   &b->route,
			 &b->lang,	   &b->content, &b->key,    &b->newkey,
			 &b->xmpp_version, &b->stream,	&b->payload};
	for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
		free(*strs[i]);
	free(b);
}

/* ---- stopping */

/* Records err (the first one wins) and stops expat. */
static void bosh_parse_fail(struct bosh_parse *p, enum bosh_body_error err)
{
	if (p->err != BOSH_BODY_OK)
		return;
	p->err = err;
	XML_StopParser(p->parser, XML_FALSE);
}

/* Fails for an allocation error: ENOBUFS is a limit, anything else is
   memory. */
static void bosh_parse_fail_errno(struct bosh_parse *p)
{
	bosh_parse_fail(p, errno == ENOBUFS ? BOSH_BODY_TOO_LARGE
					    : BOSH_BODY_NO_MEMORY);
}

/* ---- attribute values */

/* Strict decimal: digits only, no sign or space, at most max. */
static int bosh_parse_u64(const char *s, uint64_t max, uint64_t *v)
{
	uint64_t n = 0;
	if (*s == '\0')
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		unsigned d = (unsigned)(*s - '0');
		if (n > (max - d) / 10)
			return -1;
		n = n * 10 + d;
	}
	*v = n;
	return 0;
}

static int bosh_parse_ver(const char *s, struct bosh_body *b)
{
	const char *dot = strchr(s, '.');
	char major[12];
	uint64_t ma, mi;
	if (!dot || (size_t)(dot - s) >= sizeof major)
		return -1;
	memcpy(major, s, (size_t)(dot - s));
	major[dot - s] = '\0';
	if (bosh_parse_u64(major, 65535, &ma) < 0 ||
	    bosh_parse_u64(dot + 1, 65535, &mi) < 0)
		return -1;
	b->ver_major = (unsigned)ma;
	b->ver_minor = (unsigned)mi;
	return 0;
}

static int bosh_is_key(const char *s)
{
	size_t n = strlen(s);
	return n == BOSH_KEY_LEN && strspn(s, "0123456789abcdefABCDEF") == n;
}

/* Stores the value v of attribute spec into b; 0, or -1 with *err. */
static int bosh_attr_store(struct bosh_body *b, const struct bosh_attr_spec *sp,
			   const char *v, enum bosh_body_error *err)
{
	char *field = (char *)b + sp->offset;
	uint64_t n;
	*err = BOSH_BODY_BAD_ATTR;
	switch (sp->kind) {
	case BOSH_ATTR_KEY:
		if (!bosh_is_key(v))
			return -1;
		/* fall through */
	case BOSH_ATTR_STRING: {
		char *copy = strdup(v);
		if (!copy) {
			*err = BOSH_BODY_NO_MEMORY;
			return -1;
		}
		free(*(char **)(void *)field);
		*(char **)(void *)field = copy;
		break;
	}
	case BOSH_ATTR_NUMBER:
		if (bosh_parse_u64(v, sp->max, &n) < 0)
			return -1;
		*(unsigned *)(void *)field = (unsigned)n;
		break;
	case BOSH_ATTR_RID:
	case BOSH_ATTR_ACK:
		if (bosh_parse_u64(v,
				   sp->kind == BOSH_ATTR_RID ? BOSH_RID_MAX
							     : UINT64_MAX,
				   &n) < 0 ||
		    n == 0)
			return -1;
		*(uint64_t *)(void *)field = n;
		break;
	case BOSH_ATTR_BOOL:
		if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
			*(int *)(void *)field = 1;
		else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
			*(int *)(void *)field = 0;
		else
			return -1;
		break;
	case BOSH_ATTR_TYPE:
		if (strcmp(v, "terminate") == 0)
			b->type = BOSH_TYPE_TERMINATE;
		else if (strcmp(v, "error") == 0)
			b->type = BOSH_TYPE_ERROR;
		else
			return -1;
		break;
	case BOSH_ATTR_VER:
		if (bosh_parse_ver(v, b) < 0)
			return -1;
		break;
	}
	b->has |= sp->flag;
	*err = BOSH_BODY_OK;
	return 0;
}

/* 1 if expat's name (uri SEP local, or local) is {ns}local. */
static int bosh_name_is(const char *name, const char *ns, const char *local)
{
	const char *sep = strchr(name, BOSH_BODY_SEP);
	if (!sep)
		return ns == NULL && strcmp(name, local) == 0;
	size_t nslen = (size_t)(sep - name);
	return ns && strlen(ns) == nslen && memcmp(name, ns, nslen) == 0 &&
	       strcmp(sep + 1, local) == 0;
}

static void bosh_parse_root(struct bosh_parse *p, const XML_Char *name,
			    const XML_Char **atts)
{
	p->seen_root = 1;
	if (!bosh_name_is(name, BOSH_NS, "body")) {
		bosh_parse_fail(p, BOSH_BODY_NOT_BODY);
		return;
	}
	size_t nspecs = sizeof bosh_attr_specs / sizeof bosh_attr_specs[0];
	for (size_t i = 0; atts[i]; i += 2) {
		for (size_t j = 0; j < nspecs; j++) {
			const struct bosh_attr_spec *sp = &bosh_attr_specs[j];
			enum bosh_body_error err;
			if (!bosh_name_is(atts[i], sp->ns, sp->name))
				continue;
			if (bosh_attr_store(p->b, sp, atts[i + 1], &err) < 0) {
				bosh_parse_fail(p, err);
				return;
			}
			break;
		}
	}
}

/* ---- children */

/* Splits an expat name into namespace and local name, copied into a. The
   httpbind namespace is taken as jabber:client (XEP-0206 2). */
static int bosh_parse_split(struct xml_arena *a, const char *name,
			    const char **ns, const char **local)
{
	const char *sep = strchr(name, BOSH_BODY_SEP);
	*ns = NULL;
	if (sep) {
		size_t nslen = (size_t)(sep - name);
		if (nslen == strlen(BOSH_NS) &&
		    memcmp(name, BOSH_NS, nslen) == 0)
			*ns = BOSH_NS_CLIENT;
		else if (!(*ns = xml_arena_strndup(a, name, nslen)))
			return -1;
		name = sep + 1;
	}
	*local = xml_arena_strndup(a, name, strlen(name));
	return *local ? 0 : -1;
}

static struct xml_node *bosh_parse_node(struct bosh_parse *p,
					const XML_Char *name,
					const XML_Char **atts)
{
	size_t count = 0;
	struct xml_node *n = xml_arena_alloc(p->arena, sizeof *n);
	if (!n)
		return NULL;
	memset(n, 0, sizeof *n);
	n->arena = p->arena;
	if (bosh_parse_split(p->arena, name, &n->ns, &n->name) < 0)
		return NULL;
	while (atts[2 * count])
		count++;
	if (count == 0)
		return n;
	n->attrs = xml_arena_alloc(p->arena, count * sizeof *n->attrs);
	if (!n->attrs)
		return NULL;
	for (size_t i = 0; i < count; i++) {
		struct xml_attr *at = &n->attrs[i];
		const char *v = atts[2 * i + 1];
		if (bosh_parse_split(p->arena, atts[2 * i], &at->ns,
				     &at->name) < 0 ||
		    !(at->value = xml_arena_strndup(p->arena, v, strlen(v))))
			return NULL;
		n->nattrs++;
	}
	return n;
}

static int bosh_parse_flush_text(struct bosh_parse *p)
{
	if (p->text.len == 0)
		return 0;
	if (!xml_node_add_text(p->cur, buf_head(&p->text), p->text.len))
		return -1;
	buf_reset(&p->text);
	return 0;
}

static void bosh_parse_child_start(struct bosh_parse *p, const XML_Char *name,
				   const XML_Char **atts)
{
	if (p->depth == 1) {
		if (p->b->nchildren >= p->lim->max_children) {
			bosh_parse_fail(p, BOSH_BODY_TOO_MANY);
			return;
		}
		p->arena = xml_arena_new(p->arena_limit);
		if (!p->arena) {
			bosh_parse_fail(p, BOSH_BODY_NO_MEMORY);
			return;
		}
	}
	if (p->depth > p->lim->max_depth) {
		bosh_parse_fail(p, BOSH_BODY_TOO_DEEP);
		return;
	}
	struct xml_node *n;
	if ((p->cur && bosh_parse_flush_text(p) < 0) ||
	    !(n = bosh_parse_node(p, name, atts))) {
		bosh_parse_fail_errno(p);
		return;
	}
	if (p->cur)
		xml_node_append(p->cur, n);
	p->cur = n;
}

/* Serialises the finished child self-contained: xmlns='' for an element
   in no namespace, else its own xmlns. */
static void bosh_parse_child_done(struct bosh_parse *p)
{
	struct xml_node *n = p->cur;
	const char *scope = n->ns ? NULL : BOSH_NS_CLIENT;
	if (xml_serialize(&p->payload, n, scope) < 0) {
		bosh_parse_fail_errno(p);
		return;
	}
	p->b->nchildren++;
	xml_arena_free(p->arena);
	p->arena = NULL;
	p->cur = NULL;
}

/* ---- expat handlers */

static void bosh_parse_on_start(void *ud, const XML_Char *name,
				const XML_Char **atts)
{
	struct bosh_parse *p = ud;
	if (p->err != BOSH_BODY_OK)
		return;
	if (p->depth == 0)
		bosh_parse_root(p, name, atts);
	else
		bosh_parse_child_start(p, name, atts);
	p->depth++;
}

static void bosh_parse_on_end(void *ud, const XML_Char *name)
{
	struct bosh_parse *p = ud;
	(void)name; /* expat checked that it matches */
	if (p->err != BOSH_BODY_OK)
		return;
	p->depth--;
	if (p->depth == 0)
		return;
	if (bosh_parse_flush_text(p) < 0) {
		bosh_parse_fail_errno(p);
		return;
	}
	if (p->depth == 1)
		bosh_parse_child_done(p);
	else
		p->cur = p->cur->parent;
}

static void bosh_parse_on_text(void *ud, const XML_Char *text, int len)
{
	struct bosh_parse *p = ud;
	if (p->err != BOSH_BODY_OK)
		return;
	if (p->depth == 1) {
		/* between children: whitespace only (not mixed content) */
		for (int i = 0; i < len; i++) {
			char c = text[i];
			if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
				bosh_parse_fail(p, BOSH_BODY_BAD_TEXT);
				return;
			}
		}
		return;
	}
	if (buf_append(&p->text, text, (size_t)len) < 0)
		bosh_parse_fail_errno(p);
}

static void bosh_parse_refuse(void *owner, enum xml_restrict_reason why)
{
	bosh_parse_fail(owner, why == XML_RESTRICT_ENCODING
				       ? BOSH_BODY_NOT_WELL_FORMED
				       : BOSH_BODY_RESTRICTED);
}

/* ---- the parse */

static size_t bosh_parse_arena_limit(size_t max_bytes)
{
	if (max_bytes > (SIZE_MAX - BOSH_BODY_EXTRA) / BOSH_BODY_FACTOR)
		return SIZE_MAX;
	return max_bytes * BOSH_BODY_FACTOR + BOSH_BODY_EXTRA;
}

static XML_Parser bosh_parse_expat(struct bosh_parse *p)
{
	XML_Parser x = XML_ParserCreateNS("UTF-8", BOSH_BODY_SEP);
	if (!x)
		return NULL;
	XML_SetUserData(x, p);
	XML_SetElementHandler(x, bosh_parse_on_start, bosh_parse_on_end);
	XML_SetCharacterDataHandler(x, bosh_parse_on_text);
	xml_restrict_install(x);
	return x;
}

/* Runs expat over the whole input; the error, or BOSH_BODY_OK. */
static enum bosh_body_error bosh_parse_run(struct bosh_parse *p,
					   const char *data, size_t len)
{
	p->parser = bosh_parse_expat(p);
	if (!p->parser)
		return BOSH_BODY_NO_MEMORY;
	enum XML_Status st = XML_Parse(p->parser, data, (int)len, XML_TRUE);
	if (p->err != BOSH_BODY_OK)
		return p->err;
	if (st != XML_STATUS_OK) {
		if (XML_GetErrorCode(p->parser) == XML_ERROR_NO_MEMORY)
			return BOSH_BODY_NO_MEMORY;
		return BOSH_BODY_NOT_WELL_FORMED;
	}
	return p->seen_root ? BOSH_BODY_OK : BOSH_BODY_NOT_WELL_FORMED;
}

/* Moves the payload into the body as a NUL-terminated string. */
static int bosh_parse_take_payload(struct bosh_parse *p)
{
	struct bosh_body *b = p->b;
	b->payload = malloc(p->payload.len + 1);
	if (!b->payload)
		return -1;
	if (p->payload.len)
		memcpy(b->payload, buf_head(&p->payload), p->payload.len);
	b->payload[p->payload.len] = '\0';
	b->payload_len = p->payload.len;
	return 0;
}

int bosh_body_parse(const char *data, size_t len,
		    const struct bosh_body_limits *lim, struct bosh_body **out,
		    enum bosh_body_error *err)
{
	struct bosh_parse p;
	memset(&p, 0, sizeof p);
	p.restrict_.refuse = bosh_parse_refuse;
	*out = NULL;
	if (len > lim->max_bytes || len > INT_MAX) {
		*err = BOSH_BODY_TOO_LARGE;
		return -1;
	}
	p.lim = lim;
	p.arena_limit = bosh_parse_arena_limit(lim->max_bytes);
	buf_init(&p.text, p.arena_limit);
	buf_init(&p.payload, p.arena_limit);
	p.b = calloc(1, sizeof *p.b);
	*err = p.b ? bosh_parse_run(&p, data, len) : BOSH_BODY_NO_MEMORY;
	if (*err == BOSH_BODY_OK && bosh_parse_take_payload(&p) < 0)
		*err = BOSH_BODY_NO_MEMORY;
	if (p.parser)
		XML_ParserFree(p.parser);
	xml_arena_free(p.arena);
	buf_free(&p.text);
	buf_free(&p.payload);
	if (*err != BOSH_BODY_OK) {
		bosh_body_free(p.b);
		if (*err == BOSH_BODY_NO_MEMORY)
			errno = ENOMEM;
		return -1;
	}
	*out = p.b;
	return 0;
}
