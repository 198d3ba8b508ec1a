/* config.c: parley-load's options, from one table (common/opt.h).
 *
 * Parses the command line into struct load_config, resolving what can be
 * resolved at start-up (the server address, the BOSH and polling URLs, the
 * polling intervals, the source addresses, the user-name pattern) so that
 * a mistake stops the program before any connection is made (exit 100),
 * never in the middle of a run. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load.h"
#include "log.h"
#include "opt.h"

#define CONFIG_EXIT_USAGE 100

static const char config_summary[] =
	"Logs in many XMPP users over TCP, BOSH or HTTP polling from one "
	"process, keeps\nthem idle or makes them chat in pairs, and reports "
	"connections, failures,\nmessages lost or duplicated, and latency.";

/* Raw option values, before they are checked and resolved. */
struct config_raw {
	const char *host, *domain, *transport, *bosh_url, *pattern;
	const char *password, *sasl, *scenario, *sources;
	const char *poll_url, *poll_interval, *poll_min_interval;
	long port;
	int help, version;
};

static void config_die(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

static void config_die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "parley-load: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(CONFIG_EXIT_USAGE);
}

/* An IPv4 address or a host name with an IPv4 address. */
static void config_resolve(const char *host, long port, struct sockaddr_in *out)
{
	memset(out, 0, sizeof *out);
	out->sin_family = AF_INET;
	out->sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &out->sin_addr) == 1)
		return;
	struct addrinfo hints = {.ai_family = AF_INET,
				 .ai_socktype = SOCK_STREAM};
	struct addrinfo *res = NULL;
	if (getaddrinfo(host, NULL, &hints, &res) != 0 || !res)
		config_die("cannot resolve %s to an IPv4 address", host);
	out->sin_addr = ((struct sockaddr_in *)res->ai_addr)->sin_addr;
	freeaddrinfo(res);
}

/* The parts of an http:// URL, for the HTTP transports. */
struct config_url {
	struct sockaddr_in *server;
	char *host; /* HTTP_HOST_MAX: the Host header */
	char *path; /* HTTP_PATH_MAX */
};

/* http://HOST[:PORT][/PATH] of option opt into u. */
static void config_http_url(const char *opt, const char *url,
			    const struct config_url *u)
{
	static const char scheme[] = "http://";
	if (strncmp(url, scheme, sizeof scheme - 1) != 0)
		config_die("--%s must start with http:// (no TLS): %s", opt,
			   url);
	const char *host = url + sizeof scheme - 1;
	size_t hostport_len = strcspn(host, "/");
	if (hostport_len == 0 || hostport_len >= HTTP_HOST_MAX)
		config_die("--%s: bad host: %s", opt, url);
	memcpy(u->host, host, hostport_len);
	u->host[hostport_len] = '\0';
	const char *path = host[hostport_len] ? host + hostport_len : "/";
	if (strlen(path) >= HTTP_PATH_MAX ||
	    strcspn(path, " \r\n") != strlen(path))
		config_die("--%s: bad path: %s", opt, url);
	strcpy(u->path, path);
	char name[HTTP_HOST_MAX];
	strcpy(name, u->host);
	long port = 80;
	char *colon = strchr(name, ':');
	if (colon) {
		char *end;
		*colon = '\0';
		port = strtol(colon + 1, &end, 10);
		if (*end || port < 1 || port > 65535)
			config_die("--%s: bad port: %s", opt, url);
	}
	config_resolve(name, port, u->server);
}

/* Seconds, fractions allowed, within [min, max]. */
static double config_seconds(const char *opt, const char *text, double min,
			     double max)
{
	char *end;
	errno = 0;
	double v = strtod(text, &end);
	if (errno || end == text || *end || !(v >= min && v <= max))
		config_die("--%s: seconds from %g to %g, not %s", opt, min, max,
			   text);
	return v;
}

static void config_add_source(struct load_config *cfg, uint32_t host_order)
{
	if (cfg->nsources >= LOAD_MAX_SOURCES)
		config_die("--source-addresses: more than %d addresses",
			   LOAD_MAX_SOURCES);
	struct sockaddr_in *s = &cfg->sources[cfg->nsources++];
	memset(s, 0, sizeof *s);
	s->sin_family = AF_INET;
	s->sin_addr.s_addr = htonl(host_order);
}

static uint32_t config_ipv4(const char *text, const char *all)
{
	struct in_addr a;
	if (inet_pton(AF_INET, text, &a) != 1)
		config_die("--source-addresses: bad address in %s", all);
	return ntohl(a.s_addr);
}

/* "N" (127.0.0.1 to 127.0.0.N), "A-B" or "A", comma-separated. */
static void config_sources(struct load_config *cfg, const char *spec)
{
	char item[64];
	for (const char *p = spec; *p;) {
		size_t n = strcspn(p, ",");
		if (n == 0 || n >= sizeof item)
			config_die("--source-addresses: bad item in %s", spec);
		memcpy(item, p, n);
		item[n] = '\0';
		p += n + (p[n] == ',');
		char *dash = strchr(item, '-');
		uint32_t lo, hi;
		if (!strchr(item, '.')) {
			char *end;
			long count = strtol(item, &end, 10);
			if (*end || count < 1 || count > LOAD_MAX_SOURCES)
				config_die("--source-addresses: bad count: %s",
					   item);
			lo = 0x7f000001u;
			hi = lo + (uint32_t)count - 1;
		} else if (dash) {
			*dash = '\0';
			lo = config_ipv4(item, spec);
			hi = config_ipv4(dash + 1, spec);
		} else {
			lo = hi = config_ipv4(item, spec);
		}
		if (hi < lo || hi - lo >= LOAD_MAX_SOURCES)
			config_die("--source-addresses: bad range in %s", spec);
		for (uint32_t a = lo; a <= hi; a++)
			config_add_source(cfg, a);
	}
}

/* Splits the pattern at its one %d; '%' is allowed nowhere else. */
static void config_pattern(struct load_config *cfg, const char *pattern)
{
	const char *d = strstr(pattern, "%d");
	if (!d || strchr(d + 2, '%') ||
	    memchr(pattern, '%', (size_t)(d - pattern)))
		config_die("--user-pattern must hold exactly one %%d and no "
			   "other %%: %s",
			   pattern);
	size_t pre = (size_t)(d - pattern), post = strlen(d + 2);
	if (pre >= LOAD_PATTERN_MAX || post >= LOAD_PATTERN_MAX)
		config_die("--user-pattern too long: %s", pattern);
	memcpy(cfg->user_prefix, pattern, pre);
	cfg->user_prefix[pre] = '\0';
	strcpy(cfg->user_suffix, d + 2);
}

void config_user_name(const struct load_config *cfg, size_t index, char *out,
		      size_t outsz)
{
	snprintf(out, outsz, "%s%ld%s", cfg->user_prefix,
		 cfg->first + (long)index, cfg->user_suffix);
}

static void config_choices(struct load_config *cfg, const struct config_raw *r)
{
	if (strcmp(r->transport, "tcp") == 0)
		cfg->transport = &transport_tcp;
	else if (strcmp(r->transport, "bosh") == 0)
		cfg->transport = &transport_bosh;
	else if (strcmp(r->transport, "poll") == 0)
		cfg->transport = &transport_poll;
	else
		config_die("--transport: tcp, bosh or poll, not %s",
			   r->transport);
	if (strcmp(r->sasl, "plain") == 0)
		cfg->sasl = SASL_PLAIN;
	else if (strcmp(r->sasl, "scram-sha-1") == 0)
		cfg->sasl = SASL_SCRAM_SHA1;
	else
		config_die("--sasl: plain or scram-sha-1, not %s", r->sasl);
	if (strcmp(r->scenario, "idle") == 0)
		cfg->scenario = SCENARIO_IDLE;
	else if (strcmp(r->scenario, "pairs") == 0)
		cfg->scenario = SCENARIO_PAIRS;
	else
		config_die("--scenario: idle or pairs, not %s", r->scenario);
}

static void config_defaults(struct load_config *cfg, struct config_raw *r)
{
	memset(cfg, 0, sizeof *cfg);
	memset(r, 0, sizeof *r);
	r->host = "127.0.0.1";
	r->port = 5222;
	r->domain = "localhost";
	r->transport = "tcp";
	r->bosh_url = "http://127.0.0.1:5280/http-bind/";
	r->poll_url = "http://127.0.0.1:5280/http-poll/";
	r->poll_interval = "2";
	r->poll_min_interval = "1";
	r->pattern = "user%d";
	r->sasl = "scram-sha-1";
	r->scenario = "idle";
	cfg->users = 10;
	cfg->first = 1;
	cfg->ramp = 100;
	cfg->rate = 100;
	cfg->duration = 30;
	cfg->grace = 2;
	cfg->wait = 60;
	cfg->timeout = 30;
	cfg->notify_fd = -1;
	cfg->log_level = LOG_LEVEL_WARN;
}

static void config_table(struct opt *t, size_t n, struct load_config *c,
			 struct config_raw *r)
{
	const struct opt table[] = {
		{"host", 'H', NULL, OPT_STRING, &r->host, 0, 0, NULL, "ADDR",
		 "XMPP server (TCP), default 127.0.0.1"},
		{"port", 'p', NULL, OPT_LONG, &r->port, 1, 65535, NULL, "PORT",
		 "its port, default 5222"},
		{"domain", 'D', NULL, OPT_STRING, &r->domain, 0, 0, NULL,
		 "DOMAIN", "XMPP domain, default localhost"},
		{"transport", 't', NULL, OPT_STRING, &r->transport, 0, 0, NULL,
		 "tcp|bosh|poll", "default tcp"},
		{"bosh-url", 0, NULL, OPT_STRING, &r->bosh_url, 0, 0, NULL,
		 "URL", "default http://127.0.0.1:5280/http-bind/"},
		{"poll-url", 0, NULL, OPT_STRING, &r->poll_url, 0, 0, NULL,
		 "URL", "XEP-0025, default http://127.0.0.1:5280/http-poll/"},
		{"poll-interval", 0, NULL, OPT_STRING, &r->poll_interval, 0, 0,
		 NULL, "SECS", "poll: time between two polls, default 2"},
		{"poll-min-interval", 0, NULL, OPT_STRING,
		 &r->poll_min_interval, 0, 0, NULL, "SECS",
		 "poll: the server's shortest interval, default 1"},
		{"users", 'n', NULL, OPT_LONG, &c->users, 1, LOAD_MAX_USERS,
		 NULL, "N", "users to log in, default 10"},
		{"first", 0, NULL, OPT_LONG, &c->first, 0, 1000000000, NULL,
		 "N", "number of the first user, default 1"},
		{"user-pattern", 0, NULL, OPT_STRING, &r->pattern, 0, 0, NULL,
		 "PATTERN", "user names, default user%d"},
		{"password", 'P', NULL, OPT_STRING, &r->password, 0, 0, NULL,
		 "PASSWORD", "every user's password (required)"},
		{"sasl", 0, NULL, OPT_STRING, &r->sasl, 0, 0, NULL,
		 "plain|scram-sha-1", "default scram-sha-1"},
		{"ramp", 'r', NULL, OPT_LONG, &c->ramp, 1, 1000000, NULL,
		 "PER_SEC", "logins started per second, default 100"},
		{"scenario", 's', NULL, OPT_STRING, &r->scenario, 0, 0, NULL,
		 "idle|pairs", "default idle"},
		{"rate", 'R', NULL, OPT_LONG, &c->rate, 1, 10000000, NULL,
		 "MSG_PER_SEC",
		 "pairs: messages per second in all, default 100"},
		{"max-pending", 0, NULL, OPT_LONG, &c->max_pending, 0, 1000000,
		 NULL, "N", "at most N logins in flight, 0 (default): no limit"},
		{"duration", 'd', NULL, OPT_LONG, &c->duration, 0, 86400 * 7,
		 NULL, "SECS", "time online after the ramp, default 30"},
		{"grace", 0, NULL, OPT_LONG, &c->grace, 0, 3600, NULL, "SECS",
		 "pairs: wait for messages in flight, default 2"},
		{"wait", 0, NULL, OPT_LONG, &c->wait, 1, 3600, NULL, "SECS",
		 "BOSH wait, default 60"},
		{"timeout", 'T', NULL, OPT_LONG, &c->timeout, 1, 3600, NULL,
		 "SECS", "login time limit per user, default 30"},
		{"source-addresses", 0, NULL, OPT_STRING, &r->sources, 0, 0,
		 NULL, "A-B|A|N", "bind to these 127/8 addresses round-robin"},
		{"reconnect", 0, NULL, OPT_FLAG, &c->reconnect, 0, 0, NULL,
		 NULL, "log in again when a session ends (backoff 0.1 s up)"},
		{"stats-file", 0, NULL, OPT_STRING, &c->stats_file, 0, 0, NULL,
		 "PATH",
		 "live counters, one JSON line, every second and on "
		 "SIGUSR1"},
		{"json", 'j', NULL, OPT_FLAG, &c->json, 0, 0, NULL, NULL,
		 "one JSON object on stdout instead of the table"},
		{"notify-fd", 0, NULL, OPT_LONG, &c->notify_fd, 0, 1000000,
		 NULL, "FD", "write a newline to FD when the ramp is over"},
		{"log-level", 'l', NULL, OPT_LEVEL, &c->log_level, 0, 0, NULL,
		 "LEVEL", "error, warn (default), info or debug"},
		{"help", 'h', NULL, OPT_FLAG, &r->help, 0, 0, NULL, NULL,
		 "this help"},
		{"version", 'V', NULL, OPT_FLAG, &r->version, 0, 0, NULL, NULL,
		 "print the version"},
		{NULL, 0, NULL, 0, NULL, 0, 0, NULL, NULL, NULL},
	};
	if (n < sizeof table / sizeof table[0])
		config_die("%s", "internal error: option table too small");
	memcpy(t, table, sizeof table);
}

#define CONFIG_TABLE_SIZE 36

static void config_check(struct load_config *cfg, const struct config_raw *r)
{
	if (!r->password || !*r->password)
		config_die("%s", "--password is required");
	cfg->password = r->password;
	cfg->domain = r->domain;
	if (!*cfg->domain ||
	    strcspn(cfg->domain, "'\"<>& ") != strlen(cfg->domain))
		config_die("bad --domain: %s", cfg->domain);
	if (cfg->first + cfg->users - 1 > 2000000000L)
		config_die("%s", "--first + --users is too large");
	config_choices(cfg, r);
	config_pattern(cfg, r->pattern);
	config_resolve(r->host, r->port, &cfg->server);
	const struct config_url bosh = {&cfg->bosh_server, cfg->bosh_host,
					cfg->bosh_path};
	const struct config_url poll = {&cfg->poll_server, cfg->poll_host,
					cfg->poll_path};
	config_http_url("bosh-url", r->bosh_url, &bosh);
	config_http_url("poll-url", r->poll_url, &poll);
	cfg->poll_interval =
		config_seconds("poll-interval", r->poll_interval, 0.01, 3600);
	cfg->poll_min_interval = config_seconds("poll-min-interval",
						r->poll_min_interval, 0, 3600);
	if (r->sources)
		config_sources(cfg, r->sources);
}

void config_parse(struct load_config *cfg, int argc, char **argv)
{
	struct config_raw raw;
	struct opt table[CONFIG_TABLE_SIZE];
	config_defaults(cfg, &raw);
	config_table(table, CONFIG_TABLE_SIZE, cfg, &raw);
	int first_operand = opt_parse(table, argc, argv);
	if (first_operand < 0)
		exit(CONFIG_EXIT_USAGE);
	if (raw.help) {
		opt_usage(stdout, "parley-load", config_summary, table);
		exit(0);
	}
	if (raw.version) {
		printf("parley-load %s\n", PARLEY_VERSION);
		exit(0);
	}
	if (first_operand < argc)
		config_die("unexpected operand: %s", argv[first_operand]);
	config_check(cfg, &raw);
}
