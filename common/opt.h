/* opt.h: command-line and environment configuration from one table.
 *
 * Each daemon describes its options once, in a table of struct opt; the
 * table gives the long and short names, the environment variable (for
 * s6-envdir), the type, the bounds and the help text. opt_parse applies the
 * environment first and the command line second, so the command line wins,
 * and opt_usage prints --help from the same table. */
#ifndef PARLEY_OPT_H
#define PARLEY_OPT_H

#include <stdio.h>

enum opt_type {
	OPT_FLAG,   /* int *, set to 1; environment value "1"/"0" */
	OPT_STRING, /* const char **, points into argv or environ */
	OPT_LONG,   /* long *, decimal, within [min, max] */
	OPT_LIST,   /* calls add(value) once per occurrence; the environment
		       variable holds a space-separated list */
	OPT_LEVEL,  /* int *, a log level name (log_level_parse) */
};

struct opt {
	const char *long_name; /* without the dashes */
	char short_name;       /* 0 if none */
	const char *env;       /* environment variable, NULL if none */
	enum opt_type type;
	void *value;
	long min, max;		       /* OPT_LONG bounds */
	int (*add)(const char *value); /* OPT_LIST: 0 or -1 (bad value) */
	const char *arg; /* argument name in --help, NULL for flags */
	const char *help;
};

/* Parses the environment then argv[1..argc). The table ends with an entry
 * whose long_name is NULL. Returns the index of the first operand, or -1
 * after printing one line naming the problem to stderr (the caller exits
 * 100). */
int opt_parse(const struct opt *table, int argc, char **argv);

/* Prints "usage" and one line per option with its variable and help. */
void opt_usage(FILE *f, const char *program, const char *summary,
	       const struct opt *table);

#endif
