/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdarg.h>
#include <stdio.h>
#include <sys/socket.h>

#include "channel.h"
#include "fd-util.h"
#include "log.h"

int channel_new(int ret[static 2]) {
        return RET_NERRNO(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ret));
}

static _noreturn_ void fail(int fd, int error, bool with_errno, const char *format, va_list ap) {
        /* Not on the stack: it is large, and children may run on a small
         * one. Whoever shares our memory is suspended until we exit. */
        static ChannelMessage msg;

        msg = (ChannelMessage) { .type = CHANNEL_ERROR, .error = ERRNO_VALUE(error) ?: EIO, .with_errno = with_errno };
        (void) vsnprintf(msg.text, sizeof msg.text, format, ap);
        (void) send_with_fds(fd, &msg, sizeof msg, NULL, 0);
        _exit(EXIT_FAILURE);
}

void channel_fail(int fd, int error, const char *format, ...) {
        va_list ap;

        va_start(ap, format);
        fail(fd, error, true, format, ap);
}

void channel_fail_message(int fd, int error, const char *format, ...) {
        va_list ap;

        va_start(ap, format);
        fail(fd, error, false, format, ap);
}

int channel_send(int fd, int type, pid_t pid, int pass_fd) {
        /* Only the header matters for these: no text. */
        ChannelMessage msg = { .type = type, .pid = pid };
        ssize_t n = send_with_fds(fd, &msg, offsetof(ChannelMessage, text), pass_fd >= 0 ? &pass_fd : NULL,
                                  pass_fd >= 0 ? 1 : 0);

        return n < 0 ? (int) n : 0;
}

ssize_t channel_receive(int fd, ChannelMessage *ret, int *ret_fd) {
        int passed = -EBADF;
        ssize_t n;

        do
                n = receive_with_fds(fd, ret, sizeof *ret, &passed, 1);
        while (n == -EINTR || n == -ECONNRESET);
        if (n > 0 && (size_t) n < offsetof(ChannelMessage, text)) {
                safe_close(passed);
                return -EBADMSG;
        }
        if (n > 0 && ret->type == CHANNEL_ERROR) {
                if ((size_t) n < sizeof *ret)
                        ret->text[0] = '\0';
                ret->text[sizeof ret->text - 1] = '\0';
                if (ret->error <= 0)
                        ret->error = EIO;
        }
        if (ret_fd)
                *ret_fd = passed;
        else
                safe_close(passed);
        return n;
}

int channel_log_error(const ChannelMessage *m) {
        if (m->with_errno)
                return log_error_errno(m->error, "Failed to %s: %m", m->text);
        return log_error_errno(SYNTHETIC_ERRNO(m->error), "%s", m->text);
}
