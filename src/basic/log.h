/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <syslog.h>

#include "macro.h"

/* Logging is for src/boot and src/berth: they log once, where they decide.
 * src/shared returns errors and logs at debug level at most.
 *
 * Output is "berth: message" on stderr. Under a unit (JOURNAL_STREAM names our
 * stderr) each line carries an sd-daemon "<N>" priority prefix instead, so the
 * journal gets priorities. BERTH_LOG_LEVEL=debug|info|notice|warning|err sets
 * the threshold (default: info). */

void log_setup(void);
void log_set_max_level(int level);
int log_get_max_level(void);
void log_set_prefix(const char *prefix);

/* Under a unit, messages may go to the journal by a way of the caller's
 * (with fields of its own) instead of stderr: sink returns < 0 to fall back
 * to stderr. */
typedef int (*log_sink_t)(int level, const char *message, void *userdata);
void log_set_journal_sink(log_sink_t sink, void *userdata);

/* Logs and returns -ERRNO_VALUE(error) (or 0 when error is 0). "%m" expands to
 * the error's description. */
int log_internal(int level, int error, const char *file, int line, const char *func, const char *format, ...)
        _printf_(6, 7);

#define log_full_errno(level, error, ...)                                                                              \
        ({                                                                                                             \
                int _level_ = (level), _e_ = (error);                                                                  \
                log_get_max_level() >= _level_ ? log_internal(_level_, _e_, __FILE__, __LINE__, __func__, __VA_ARGS__) \
                                               : -ERRNO_VALUE(_e_);                                                    \
        })

#define log_full(level, ...) (void) log_full_errno(level, 0, __VA_ARGS__)

#define log_debug(...) log_full(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_full(LOG_INFO, __VA_ARGS__)
#define log_notice(...) log_full(LOG_NOTICE, __VA_ARGS__)
#define log_warning(...) log_full(LOG_WARNING, __VA_ARGS__)
#define log_error(...) log_full(LOG_ERR, __VA_ARGS__)

#define log_debug_errno(e, ...) log_full_errno(LOG_DEBUG, e, __VA_ARGS__)
#define log_info_errno(e, ...) log_full_errno(LOG_INFO, e, __VA_ARGS__)
#define log_notice_errno(e, ...) log_full_errno(LOG_NOTICE, e, __VA_ARGS__)
#define log_warning_errno(e, ...) log_full_errno(LOG_WARNING, e, __VA_ARGS__)
#define log_error_errno(e, ...) log_full_errno(LOG_ERR, e, __VA_ARGS__)

/* A bad-usage message: logged at error level, returns -EUSAGE (exit 2). */
#define log_usage(...) (log_error_errno(SYNTHETIC_ERRNO(EUSAGE), __VA_ARGS__))

#define log_oom() log_error_errno(SYNTHETIC_ERRNO(ENOMEM), "Out of memory.")
