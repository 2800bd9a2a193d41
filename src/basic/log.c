/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "log.h"

static int max_level = LOG_INFO;
static bool journal_prefix = false;
static const char *prefix = "berth";
static struct timespec start;
static log_sink_t sink;
static void *sink_userdata;

static int level_from_string(const char *s) {
        static const char *const names[] = {
                [LOG_EMERG] = "emerg",     [LOG_ALERT] = "alert",   [LOG_CRIT] = "crit", [LOG_ERR] = "err",
                [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice", [LOG_INFO] = "info", [LOG_DEBUG] = "debug",
        };

        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (strcasecmp(s, names[i]) == 0)
                        return (int) i;
        if (strcasecmp(s, "error") == 0)
                return LOG_ERR;
        return -EINVAL;
}

/* True when stderr is the stream systemd connected to the journal for us. */
static bool stderr_is_journal(void) {
        const char *e = getenv("JOURNAL_STREAM");
        unsigned long long dev, ino;
        struct stat st;

        if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
                return false;
        if (fstat(STDERR_FILENO, &st) < 0)
                return false;
        return st.st_dev == dev && st.st_ino == ino;
}

void log_setup(void) {
        const char *e = getenv("BERTH_LOG_LEVEL");

        (void) clock_gettime(CLOCK_MONOTONIC, &start);
        if (e) {
                int l = level_from_string(e);
                if (l >= 0)
                        max_level = l;
        }
        journal_prefix = stderr_is_journal();
}

void log_set_max_level(int level) {
        max_level = level;
}

int log_get_max_level(void) {
        return max_level;
}

void log_set_prefix(const char *p) {
        prefix = p;
}

void log_set_journal_sink(log_sink_t s, void *userdata) {
        sink = s;
        sink_userdata = userdata;
}

int log_internal(int level, int error, const char *file, int line, const char *func, const char *format, ...) {
        int saved_errno = errno, e = ERRNO_VALUE(error);
        char buf[2048];
        va_list ap;

        (void) file;
        (void) line;
        (void) func;

        errno = e; /* so that %m names our error */
        va_start(ap, format);
        (void) vsnprintf(buf, sizeof buf, format, ap);
        va_end(ap);

        if (journal_prefix) {
                if (!sink || sink(level, buf, sink_userdata) < 0)
                        fprintf(stderr, "<%i>%s\n", level, buf);
        } else if (level == LOG_DEBUG) {
                /* Debug lines say when, since start: where the time goes. */
                struct timespec ts;
                (void) clock_gettime(CLOCK_MONOTONIC, &ts);
                fprintf(stderr, "%s[%i] +%.3fms: %s\n", prefix, (int) getpid(),
                        (double) (ts.tv_sec - start.tv_sec) * 1e3 + (double) (ts.tv_nsec - start.tv_nsec) / 1e6, buf);
        } else
                fprintf(stderr, "%s: %s\n", prefix, buf);

        errno = saved_errno;
        return e == 0 ? 0 : -e;
}
