/* opt.c: applies an option table (opt.h) to the environment and argv.
 * Accepted forms: --name VALUE, --name=VALUE, -x VALUE, -xVALUE, and for
 * flags --name or -x; "--" ends the options. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "opt.h"

static int opt_set_long(const struct opt *o, const char *s, const char *from)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end != '\0' || v < o->min || v > o->max) {
		fprintf(stderr,
			"%s: %s: not a number between %ld and %ld: %s\n", from,
			o->long_name, o->min, o->max, s);
		return -1;
	}
	*(long *)o->value = v;
	return 0;
}

static int opt_add_list(const struct opt *o, const char *s, const char *from,
			int split)
{
	if (!split)
		return o->add(s) < 0
			       ? (fprintf(stderr, "%s: %s: bad value: %s\n",
					  from, o->long_name, s),
				  -1)
			       : 0;
	char word[4096];
	while (*s) {
		while (*s == ' ' || *s == '\t' || *s == '\n')
			s++;
		size_t n = strcspn(s, " \t\n");
		if (n == 0)
			break;
		if (n >= sizeof word) {
			fprintf(stderr, "%s: %s: value too long\n", from,
				o->long_name);
			return -1;
		}
		memcpy(word, s, n);
		word[n] = '\0';
		if (opt_add_list(o, word, from, 0) < 0)
			return -1;
		s += n;
	}
	return 0;
}

/* Applies value s (NULL for a flag given without one) from source from. */
static int opt_apply(const struct opt *o, const char *s, const char *from,
		     int from_env)
{
	switch (o->type) {
	case OPT_FLAG:
		*(int *)o->value = s ? strcmp(s, "0") != 0 && s[0] != '\0' : 1;
		return 0;
	case OPT_STRING:
		*(const char **)o->value = s;
		return 0;
	case OPT_LONG:
		return opt_set_long(o, s, from);
	case OPT_LIST:
		return opt_add_list(o, s, from, from_env);
	case OPT_LEVEL: {
		int level = log_level_parse(s);
		if (level < 0) {
			fprintf(stderr, "%s: %s: unknown level: %s\n", from,
				o->long_name, s);
			return -1;
		}
		*(int *)o->value = level;
		return 0;
	}
	}
	return -1;
}

static const struct opt *opt_find_long(const struct opt *t, const char *name,
				       size_t len)
{
	for (; t->long_name; t++)
		if (strlen(t->long_name) == len &&
		    strncmp(t->long_name, name, len) == 0)
			return t;
	return NULL;
}

static const struct opt *opt_find_short(const struct opt *t, char c)
{
	for (; t->long_name; t++)
		if (t->short_name && t->short_name == c)
			return t;
	return NULL;
}

static int opt_parse_env(const struct opt *table)
{
	for (const struct opt *o = table; o->long_name; o++) {
		const char *v = o->env ? getenv(o->env) : NULL;
		if (v && opt_apply(o, v, o->env, 1) < 0)
			return -1;
	}
	return 0;
}

/* Handles argv[*i]; advances *i past a separate value. */
static int opt_parse_one(const struct opt *table, int argc, char **argv, int *i)
{
	const char *a = argv[*i];
	const struct opt *o;
	const char *value = NULL;
	if (a[1] == '-') {
		const char *eq = strchr(a + 2, '=');
		size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
		o = opt_find_long(table, a + 2, len);
		if (eq)
			value = eq + 1;
	} else {
		o = opt_find_short(table, a[1]);
		if (o && a[2])
			value = a + 2;
	}
	if (!o) {
		fprintf(stderr, "%s: unknown option: %s\n", argv[0], a);
		return -1;
	}
	if (o->type == OPT_FLAG) {
		if (value && a[1] != '-') {
			fprintf(stderr, "%s: -%c takes no value\n", argv[0],
				o->short_name);
			return -1;
		}
		return opt_apply(o, value, argv[0], 0);
	}
	if (!value) {
		if (*i + 1 >= argc) {
			fprintf(stderr, "%s: %s needs a value\n", argv[0], a);
			return -1;
		}
		value = argv[++*i];
	}
	return opt_apply(o, value, argv[0], 0);
}

int opt_parse(const struct opt *table, int argc, char **argv)
{
	if (opt_parse_env(table) < 0)
		return -1;
	int i;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0)
			return i + 1;
		if (a[0] != '-' || a[1] == '\0')
			return i;
		if (opt_parse_one(table, argc, argv, &i) < 0)
			return -1;
	}
	return i;
}

void opt_usage(FILE *f, const char *program, const char *summary,
	       const struct opt *table)
{
	fprintf(f, "usage: %s [options]\n%s\n\noptions:\n", program, summary);
	for (const struct opt *o = table; o->long_name; o++) {
		char names[96];
		if (o->short_name)
			snprintf(names, sizeof names, "-%c, --%s%s%s",
				 o->short_name, o->long_name, o->arg ? " " : "",
				 o->arg ? o->arg : "");
		else
			snprintf(names, sizeof names, "    --%s%s%s",
				 o->long_name, o->arg ? " " : "",
				 o->arg ? o->arg : "");
		fprintf(f, "  %-30s %s", names, o->help);
		if (o->env)
			fprintf(f, " [$%s]", o->env);
		fputc('\n', f);
	}
}
