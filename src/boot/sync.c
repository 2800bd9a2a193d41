/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdarg.h>
#include <stdio.h>

#include "fd-util.h"
#include "sync.h"

void sync_fail(int sync_fd, int error, const char *format, ...) {
        SyncMessage msg = { .type = SYNC_ERROR, .error = ERRNO_VALUE(error) };
        va_list ap;

        va_start(ap, format);
        (void) vsnprintf(msg.text, sizeof msg.text, format, ap);
        va_end(ap);

        (void) send_with_fds(sync_fd, &msg, sizeof msg, NULL, 0);
        _exit(EXIT_FAILURE);
}

int sync_send(int sync_fd, SyncType type, pid_t pid, int fd) {
        SyncMessage msg = { .type = type, .pid = pid };
        ssize_t n = send_with_fds(sync_fd, &msg, sizeof msg, fd >= 0 ? &fd : NULL, fd >= 0 ? 1 : 0);

        return n < 0 ? (int) n : 0;
}
