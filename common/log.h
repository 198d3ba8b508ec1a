/* log.h: one line per event on stderr, for s6-log to stamp and rotate.
 *
 * Every line reads "program: level: function: message", with no timestamp.
 * The level can be changed at run time (SIGUSR1 raises it, SIGUSR2 lowers it,
 * see daemon.c). Logging never changes errno. */
#ifndef PARLEY_LOG_H
#define PARLEY_LOG_H

enum log_level {
	LOG_LEVEL_ERROR = 0,
	LOG_LEVEL_WARN = 1,
	LOG_LEVEL_INFO = 2,
	LOG_LEVEL_DEBUG = 3,
};

/* Names the program in every line (its basename is used). */
void log_init(const char *progname);
void log_set_level(int level);
int log_get_level(void);
/* Parses "error", "warn", "info", "debug" or a digit; -1 if unknown. */
int log_level_parse(const char *s);
/* Writes one line if level is enabled. errno is preserved. */
void log_msg(int level, const char *func, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* These name the calling function in the line. */
#define log_error(...) log_msg(LOG_LEVEL_ERROR, __func__, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LEVEL_WARN, __func__, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __func__, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __func__, __VA_ARGS__)

#endif
