/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>

#include "fd-util.h"
#include "ptyfwd.h"
#include "time-util.h"

#define ESCAPE_CHAR 0x1d /* ^] */
#define BUFFER_SIZE (64 * 1024)

/* One direction: from an fd into a buffer, and from the buffer to an fd. */
typedef struct Pipe {
        int from, to;
        char buf[BUFFER_SIZE];
        size_t n;
        bool eof;
        bool drop; /* read and discard */
} Pipe;

struct PTYForward {
        sd_event *event;
        int master;
        PTYForwardFlags flags;

        Pipe input;  /* our stdin → master */
        Pipe output; /* master → our stdout */

        /* One event source per fd (epoll takes each fd once): the master is
         * read and written through the same one. */
        sd_event_source *master_source, *in_source, *out_source;

        int in_fd, out_fd;
        int saved_in_flags, saved_out_flags;
        struct termios saved_termios;
        bool termios_saved;
        sd_event_source *sigwinch_source;

        EscapeState escape;
        pty_forward_escape_t escape_cb;
        void *escape_userdata;

        pty_forward_output_t output_cb;
        void *output_userdata;
};

bool pty_escape_feed(EscapeState *s, const char *buf, size_t n, uint64_t now_usec) {
        for (size_t i = 0; i < n; i++) {
                if (buf[i] != ESCAPE_CHAR) {
                        s->count = 0;
                        continue;
                }
                if (s->count == 0 || now_usec - s->first_usec > USEC_PER_SEC) {
                        s->count = 1;
                        s->first_usec = now_usec;
                } else if (++s->count >= 3)
                        return true;
        }
        return false;
}

static void pipe_flush(Pipe *p) {
        while (p->n > 0) {
                ssize_t k = write(p->to, p->buf, p->n);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno != EAGAIN)
                                p->n = 0; /* the other end is gone: drop it */
                        break;
                }
                memmove(p->buf, p->buf + k, p->n - (size_t) k);
                p->n -= (size_t) k;
        }
}

/* Reads once: > 0 bytes taken, 0 at the end, -EAGAIN when nothing is there. */
static int handle_read(PTYForward *f, Pipe *p) {
        ssize_t k;

        k = read(p->from, p->buf + p->n, BUFFER_SIZE - p->n);
        if (k < 0) {
                if (errno == EAGAIN || errno == EINTR)
                        return -EAGAIN;
                /* EIO on the master: nobody has the other side open. The
                 * supervisor keeps it open, so this is the end. */
                p->eof = true;
                return 0;
        }
        if (k == 0) {
                p->eof = true;
                return 0;
        }

        if (p == &f->output && f->output_cb)
                f->output_cb(p->buf + p->n, (size_t) k, f->output_userdata);
        if (p == &f->input && f->escape_cb &&
            pty_escape_feed(&f->escape, p->buf + p->n, (size_t) k, now(CLOCK_MONOTONIC))) {
                f->escape_cb(f, f->escape_userdata);
                return (int) k;
        }
        if (!p->drop) {
                p->n += (size_t) k;
                pipe_flush(p);
        }
        return (int) k;
}

/* Backpressure: read only while the buffer has room; write only while it
 * has data. */
static void update_events(PTYForward *f) {
        uint32_t master = 0;

        if (!f->output.eof && f->output.n < BUFFER_SIZE)
                master |= EPOLLIN;
        if (f->input.n > 0)
                master |= EPOLLOUT;
        if (f->master_source) {
                if (master)
                        (void) sd_event_source_set_io_events(f->master_source, master);
                (void) sd_event_source_set_enabled(f->master_source, master ? SD_EVENT_ON : SD_EVENT_OFF);
        }
        if (f->in_source)
                (void) sd_event_source_set_enabled(
                        f->in_source, !f->input.eof && f->input.n < BUFFER_SIZE ? SD_EVENT_ON : SD_EVENT_OFF);
        if (f->out_source)
                (void) sd_event_source_set_enabled(f->out_source, f->output.n > 0 ? SD_EVENT_ON : SD_EVENT_OFF);
}

static int on_master(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        PTYForward *f = userdata;

        if (revents & (EPOLLIN | EPOLLHUP | EPOLLERR))
                (void) handle_read(f, &f->output);
        if (revents & EPOLLOUT)
                pipe_flush(&f->input);
        update_events(f);
        return 0;
}

static int on_in(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        PTYForward *f = userdata;

        (void) handle_read(f, &f->input);
        update_events(f);
        return 0;
}

static int on_out(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        PTYForward *f = userdata;

        pipe_flush(&f->output);
        update_events(f);
        return 0;
}

static void copy_window_size(PTYForward *f) {
        struct winsize ws;

        if (ioctl(f->out_fd, TIOCGWINSZ, &ws) >= 0 || ioctl(f->in_fd, TIOCGWINSZ, &ws) >= 0)
                (void) ioctl(f->master, TIOCSWINSZ, &ws);
}

static int on_sigwinch(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        copy_window_size(userdata);
        return 0;
}

/* Adds an event source unless fd can't be polled (a regular file): then
 * writes go straight through and reads are not done. */
static int add_io(PTYForward *f, sd_event_source **ret, int fd, uint32_t events, sd_event_io_handler_t cb,
                  void *userdata) {
        int r = sd_event_add_io(f->event, ret, fd, events, cb, userdata);
        return r == -EPERM ? 0 : r;
}

int pty_forward_new(sd_event *e, int master, int in_fd, int out_fd, PTYForwardFlags flags, PTYForward **ret) {
        PTYForward *f = calloc(1, sizeof(PTYForward));
        bool input = !(flags & (PTY_FORWARD_READ_ONLY | PTY_FORWARD_DRAIN));
        int r;

        if (!f)
                return -ENOMEM;
        *f = (PTYForward) {
                .event = sd_event_ref(e),
                .master = master,
                .flags = flags,
                .in_fd = in_fd,
                .out_fd = out_fd,
                .input = { .from = in_fd, .to = master, .eof = !input },
                .output = { .from = master, .to = out_fd, .drop = flags & PTY_FORWARD_DRAIN },
                .saved_in_flags = -1,
                .saved_out_flags = -1,
        };

        r = fd_set_nonblock(master, true);
        if (r < 0)
                goto fail;

        if ((flags & PTY_FORWARD_RAW) && isatty(in_fd) && tcgetattr(in_fd, &f->saved_termios) >= 0) {
                struct termios raw = f->saved_termios;

                cfmakeraw(&raw);
                raw.c_oflag = f->saved_termios.c_oflag; /* keep output processing: \n → \r\n */
                if (tcsetattr(in_fd, TCSANOW, &raw) >= 0)
                        f->termios_saved = true;
        }
        if (flags & PTY_FORWARD_RAW) {
                copy_window_size(f);
                r = sd_event_add_signal(e, &f->sigwinch_source, SIGWINCH, on_sigwinch, f);
                if (r < 0)
                        goto fail;
        }

        r = sd_event_add_io(e, &f->master_source, master, EPOLLIN, on_master, f);
        if (r < 0)
                goto fail;
        if (!(flags & PTY_FORWARD_DRAIN)) {
                f->saved_out_flags = fcntl(out_fd, F_GETFL);
                (void) fd_set_nonblock(out_fd, true);
                r = add_io(f, &f->out_source, out_fd, EPOLLOUT, on_out, f);
                if (r < 0)
                        goto fail;
        }
        if (input) {
                f->saved_in_flags = fcntl(in_fd, F_GETFL);
                (void) fd_set_nonblock(in_fd, true);
                r = add_io(f, &f->in_source, in_fd, EPOLLIN, on_in, f);
                if (r < 0)
                        goto fail;
        }

        update_events(f);
        *ret = f;
        return 0;

fail:
        pty_forward_free(f);
        return r;
}

void pty_forward_set_escape_handler(PTYForward *f, pty_forward_escape_t cb, void *userdata) {
        f->escape_cb = cb;
        f->escape_userdata = userdata;
}

void pty_forward_set_output_callback(PTYForward *f, pty_forward_output_t cb, void *userdata) {
        f->output_cb = cb;
        f->output_userdata = userdata;
}

void pty_forward_drain(PTYForward *f) {
        if (!f || (f->flags & PTY_FORWARD_DRAIN))
                return;
        /* Whatever the machine wrote before it stopped: read until the
         * master has nothing more, writing it out blocking. */
        (void) fd_set_nonblock(f->out_fd, false);
        pipe_flush(&f->output);
        while (!f->output.eof && f->output.n == 0 && handle_read(f, &f->output) > 0)
                ;
        pipe_flush(&f->output);
}

PTYForward *pty_forward_free(PTYForward *f) {
        if (!f)
                return NULL;

        sd_event_source_disable_unref(f->master_source);
        sd_event_source_disable_unref(f->in_source);
        sd_event_source_disable_unref(f->out_source);
        sd_event_source_disable_unref(f->sigwinch_source);

        if (f->saved_out_flags >= 0)
                (void) fcntl(f->out_fd, F_SETFL, f->saved_out_flags);
        if (f->saved_in_flags >= 0)
                (void) fcntl(f->in_fd, F_SETFL, f->saved_in_flags);
        if (f->termios_saved)
                (void) tcsetattr(f->in_fd, TCSANOW, &f->saved_termios);

        sd_event_unref(f->event);
        free(f);
        return NULL;
}
