/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <limits.h>
#include <sys/types.h>

#include "macro.h"

/* The channel from a child to its parent: a SOCK_SEQPACKET pair on which
 * the child reports what it did (a PID, an fd) or what failed. Children
 * don't log: they report, and the parent says it, once. The socket is
 * O_CLOEXEC, so the parent sees it close when the child (and every child
 * of its that kept it) has exec'd or exited.
 *
 * Used by the supervisor's children (starting a machine) and by every
 * process that enters a running machine (src/shared/enter.h). */

typedef enum ChannelType {
        CHANNEL_ERROR,     /* error and text: what failed */
        CHANNEL_FD,        /* an fd (SCM_RIGHTS), whose meaning the two sides agree on */
        CHANNEL_PID,       /* pid: a process, as the parent sees it */
        CHANNEL_USER_BASE, /* the first type a user of the channel may define */
} ChannelType;

typedef struct ChannelMessage {
        int type;        /* ChannelType, or the user's */
        int error;       /* CHANNEL_ERROR: a positive errno */
        bool with_errno; /* CHANNEL_ERROR: the text takes ": <error>" after it */
        pid_t pid;
        char text[2 * PATH_MAX + 256];
} ChannelMessage;

/* A new pair: [0] the parent's end, [1] the child's. */
int channel_new(int ret[static 2]);

/* In a child: reports "Failed to <text>: <error>", and _exit(EXIT_FAILURE). */
_noreturn_ void channel_fail(int fd, int error, const char *format, ...) _printf_(3, 4);
/* The same with a text that is the whole message ("… does not exist."). */
_noreturn_ void channel_fail_message(int fd, int error, const char *format, ...) _printf_(3, 4);

/* Sends a message of type with pid and (unless < 0) an fd. */
int channel_send(int fd, int type, pid_t pid, int pass_fd);

/* Receives one message (and its fd, or -EBADF): the size received, 0 at the
 * end (the child and its heirs are gone or exec'd). A reset connection (we
 * closed with messages of ours unread) is read past. */
ssize_t channel_receive(int fd, ChannelMessage *ret, int *ret_fd);

/* Logs what a CHANNEL_ERROR message says, once, and returns its -errno. */
int channel_log_error(const ChannelMessage *m);
