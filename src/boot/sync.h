/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>

#include "macro.h"

/* Messages from the children to the supervisor, over a SOCK_SEQPACKET pair.
 * The children don't log: they report what failed and the supervisor says
 * it, once. The socket is O_CLOEXEC, so the supervisor sees it close when
 * the inner child execs init: then the machine is started. */

typedef enum SyncType {
        SYNC_NOTIFY_FD = 1, /* carries the notify socket (SCM_RIGHTS) */
        SYNC_LEADER,        /* pid: the inner child, as the host sees it */
        SYNC_ERROR,         /* error and text: what failed */
} SyncType;

typedef struct SyncMessage {
        SyncType type;
        int error; /* positive errno */
        pid_t pid;
        char text[256];
} SyncMessage;

/* In a child: report "Failed to <text>: <error>" and _exit(EXIT_FAILURE). */
_noreturn_ void sync_fail(int sync_fd, int error, const char *format, ...) _printf_(3, 4);

int sync_send(int sync_fd, SyncType type, pid_t pid, int fd);
