/* parleyctl: Parley's administration tool.
 *
 * A table of commands, each "noun verb" with prefix matching ("us ad" is
 * "user add"). The user commands work on xmpp-routerd's store directly
 * (SQLite in WAL mode allows it while the daemon runs). Output is human
 * readable by default, one JSON object per line with --json. Exit codes:
 * 0 done, 1 the thing asked for does not exist or already exists, 100 bad
 * usage, 111 the store cannot be used. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "jid.h"
#include "log.h"
#include "scram.h"
#include "store.h"

#define PARLEYCTL_EXIT_NOT_FOUND 1
#define PARLEYCTL_EXIT_USAGE 100
#define PARLEYCTL_EXIT_TEMPORARY 111
#define PARLEYCTL_PASSWORD_MAX 1024

struct parleyctl {
	const char *db;
	int json;
	struct store *store;
};

struct command {
	const char *noun, *verb;
	int nargs; /* required operands */
	const char *args;
	const char *help;
	int (*run)(struct parleyctl *ctl, char **argv, int argc);
};

/* Reads a password: the operand, else a line from stdin. */
static int read_password(char **argv, int argc, int index, char *out,
			 size_t outsz)
{
	if (argc > index) {
		snprintf(out, outsz, "%s", argv[index]);
		return 0;
	}
	if (isatty(0))
		fprintf(stderr, "password: ");
	if (!fgets(out, (int)outsz, stdin))
		return -1;
	out[strcspn(out, "\r\n")] = '\0';
	return out[0] ? 0 : -1;
}

static int prep_user(const char *in, char *out, size_t outsz)
{
	if (strlen(in) == 0 || strlen(in) >= outsz) {
		fprintf(stderr, "parleyctl: bad user name: %s\n", in);
		return -1;
	}
	strcpy(out, in);
	if (jid_prep_local(out, outsz) < 0) {
		fprintf(stderr, "parleyctl: bad user name: %s\n", in);
		return -1;
	}
	return 0;
}

static int make_creds(const char *password, struct scram_creds *sha1,
		      struct scram_creds *sha256)
{
	if (scram_make_creds(SCRAM_SHA1, password, SCRAM_DEFAULT_ITERATIONS,
			     sha1) < 0 ||
	    scram_make_creds(SCRAM_SHA256, password, SCRAM_DEFAULT_ITERATIONS,
			     sha256) < 0) {
		fprintf(stderr, "parleyctl: password not allowed\n");
		return -1;
	}
	return 0;
}

static int cmd_user_add(struct parleyctl *ctl, char **argv, int argc)
{
	char user[JID_PART_MAX + 1], password[PARLEYCTL_PASSWORD_MAX];
	struct scram_creds c1, c256;
	if (prep_user(argv[0], user, sizeof user) < 0)
		return PARLEYCTL_EXIT_USAGE;
	if (read_password(argv, argc, 1, password, sizeof password) < 0 ||
	    make_creds(password, &c1, &c256) < 0)
		return PARLEYCTL_EXIT_USAGE;
	int rc = store_user_create(ctl->store, user, &c1, &c256);
	if (rc == 1) {
		fprintf(stderr, "parleyctl: user %s exists\n", user);
		return PARLEYCTL_EXIT_NOT_FOUND;
	}
	return rc == 0 ? 0 : PARLEYCTL_EXIT_TEMPORARY;
}

static int cmd_user_passwd(struct parleyctl *ctl, char **argv, int argc)
{
	char user[JID_PART_MAX + 1], password[PARLEYCTL_PASSWORD_MAX];
	struct scram_creds c1, c256;
	if (prep_user(argv[0], user, sizeof user) < 0)
		return PARLEYCTL_EXIT_USAGE;
	if (read_password(argv, argc, 1, password, sizeof password) < 0 ||
	    make_creds(password, &c1, &c256) < 0)
		return PARLEYCTL_EXIT_USAGE;
	int rc = store_user_set_creds(ctl->store, user, &c1, &c256);
	if (rc == 1) {
		fprintf(stderr, "parleyctl: no user %s\n", user);
		return PARLEYCTL_EXIT_NOT_FOUND;
	}
	return rc == 0 ? 0 : PARLEYCTL_EXIT_TEMPORARY;
}

static int cmd_user_delete(struct parleyctl *ctl, char **argv, int argc)
{
	(void)argc;
	char user[JID_PART_MAX + 1];
	if (prep_user(argv[0], user, sizeof user) < 0)
		return PARLEYCTL_EXIT_USAGE;
	int rc = store_user_delete(ctl->store, user);
	if (rc == 1) {
		fprintf(stderr, "parleyctl: no user %s\n", user);
		return PARLEYCTL_EXIT_NOT_FOUND;
	}
	return rc == 0 ? 0 : PARLEYCTL_EXIT_TEMPORARY;
}

static int print_user(const char *user, void *ctx)
{
	const struct parleyctl *ctl = ctx;
	if (ctl->json)
		printf("{\"user\":\"%s\"}\n", user); /* nodeprep forbids '"' */
	else
		printf("%s\n", user);
	return 0;
}

static int cmd_user_list(struct parleyctl *ctl, char **argv, int argc)
{
	(void)argv;
	(void)argc;
	return store_user_list(ctl->store, print_user, ctl) == 0
		       ? 0
		       : PARLEYCTL_EXIT_TEMPORARY;
}

static const struct command commands[] = {
	{"user", "add", 1, "NAME [PASSWORD]",
	 "create a user (password from stdin if not given)", cmd_user_add},
	{"user", "delete", 1, "NAME",
	 "delete a user and everything stored for them", cmd_user_delete},
	{"user", "list", 0, "", "list users", cmd_user_list},
	{"user", "passwd", 1, "NAME [PASSWORD]", "set a user's password",
	 cmd_user_passwd},
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *f)
{
	fprintf(f, "usage: parleyctl [--db FILE] [--json] NOUN VERB [ARGS]\n"
		   "Administers a Parley server.\n\ncommands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %s %s %-18s %s\n", commands[i].noun,
			commands[i].verb, commands[i].args, commands[i].help);
	fprintf(f, "\noptions:\n"
		   "  --db FILE  the xmpp-routerd store [$XMPP_ROUTERD_DB]\n"
		   "  --json     one JSON object per line\n"
		   "  --help, --version\n"
		   "Words may be abbreviated to any unique prefix.\n");
}

static int is_prefix(const char *word, const char *full)
{
	return strncmp(full, word, strlen(word)) == 0;
}

/* The one command matching the two words, or NULL (printing why). */
static const struct command *find_command(const char *noun, const char *verb)
{
	const struct command *found = NULL;
	for (size_t i = 0; i < NCOMMANDS; i++) {
		if (!is_prefix(noun, commands[i].noun) ||
		    !is_prefix(verb, commands[i].verb))
			continue;
		if (found) {
			fprintf(stderr, "parleyctl: '%s %s' is ambiguous\n", noun,
				verb);
			return NULL;
		}
		found = &commands[i];
	}
	if (!found)
		fprintf(stderr, "parleyctl: unknown command '%s %s'\n", noun,
			verb);
	return found;
}

int main(int argc, char **argv)
{
	struct parleyctl ctl = {.db = getenv("XMPP_ROUTERD_DB")};
	int i = 1;
	log_init("parleyctl");
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--json") == 0)
			ctl.json = 1;
		else if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
			ctl.db = argv[++i];
		else if (strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("parleyctl %s\n", PARLEY_VERSION);
			return 0;
		} else {
			usage(stderr);
			return PARLEYCTL_EXIT_USAGE;
		}
	}
	if (argc - i < 2) {
		usage(stderr);
		return PARLEYCTL_EXIT_USAGE;
	}
	const struct command *cmd = find_command(argv[i], argv[i + 1]);
	if (!cmd)
		return PARLEYCTL_EXIT_USAGE;
	int nops = argc - i - 2;
	if (nops < cmd->nargs) {
		fprintf(stderr, "usage: parleyctl %s %s %s\n", cmd->noun,
			cmd->verb, cmd->args);
		return PARLEYCTL_EXIT_USAGE;
	}
	if (!ctl.db) {
		fprintf(stderr, "parleyctl: no store: use --db FILE or "
				"XMPP_ROUTERD_DB\n");
		return PARLEYCTL_EXIT_USAGE;
	}
	ctl.store = store_open_sqlite(ctl.db);
	if (!ctl.store)
		return PARLEYCTL_EXIT_TEMPORARY;
	int rc = cmd->run(&ctl, argv + i + 2, nops);
	store_close(ctl.store);
	return rc;
}
