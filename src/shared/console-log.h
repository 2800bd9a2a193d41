/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

#include "macro.h"
#include "strv.h"

/* The recent console output of a machine, kept in a file
 * (machine_console_log_path()) so that `berth status` can show it. The file grows
 * up to CONSOLE_LOG_MAX and is then cut to its last CONSOLE_LOG_KEEP bytes:
 * bounded, and cheap (most writes are appends). */

#define CONSOLE_LOG_MAX (64 * 1024)
#define CONSOLE_LOG_KEEP (16 * 1024)

typedef struct ConsoleLog ConsoleLog;

int console_log_open(const char *path, ConsoleLog **ret);
void console_log_append(ConsoleLog *l, const char *data, size_t size);
/* Closes and removes the file. */
ConsoleLog *console_log_free(ConsoleLog *l);
DEFINE_TRIVIAL_CLEANUP_FUNC(ConsoleLog *, console_log_free);

/* The last n lines of a console log (without escape sequences that move
 * the cursor or set colours, without carriage returns). */
int console_log_tail(const char *path, size_t n, char ***ret);
