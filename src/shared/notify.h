/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>

#include "macro.h"

/* sd_notify(3) messages that a machine's init sends to /run/host/notify. */

#define NOTIFY_SOCKET_PATH "/run/host/notify"

typedef struct NotifyMessage {
        bool ready;
        bool stopping;
        char *status;    /* STATUS= */
        int exit_status; /* EXIT_STATUS=, -1 if absent */
} NotifyMessage;

void notify_message_done(NotifyMessage *m);

/* Parses one datagram: newline-separated KEY=VALUE lines. Unknown keys are
 * ignored; a datagram that is not text is refused. */
int notify_parse(const char *buf, size_t size, NotifyMessage *ret);

/* A datagram socket for receiving notifications, bound at path (in the
 * caller's mount namespace), with SO_PASSCRED so that senders can be told
 * apart. */
int notify_socket_open(const char *path, uid_t owner, gid_t group, int *ret_fd);

/* Receives one datagram and the sender's PID. */
int notify_receive(int fd, char *buf, size_t size, size_t *ret_size, pid_t *ret_sender);
