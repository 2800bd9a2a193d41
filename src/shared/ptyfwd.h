/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-event.h>

#include "macro.h"

/* Forwards between the host side of a pseudo-terminal and our own stdio, on
 * an sd-event loop: the console of a machine, or a shell in one. */

typedef enum PTYForwardFlags {
        PTY_FORWARD_READ_ONLY = 1 << 0, /* show output, send no input */
        PTY_FORWARD_DRAIN = 1 << 1,     /* read output and drop it (a console nobody reads) */
        PTY_FORWARD_RAW = 1 << 2,       /* put our terminal in raw mode, forward window sizes */
} PTYForwardFlags;

typedef struct PTYForward PTYForward;

/* Called when ^] was pressed three times within a second. */
typedef void (*pty_forward_escape_t)(PTYForward *f, void *userdata);

int pty_forward_new(sd_event *e, int master, int in_fd, int out_fd, PTYForwardFlags flags, PTYForward **ret);
/* Restores our terminal and stops forwarding; the master fd stays open. */
PTYForward *pty_forward_free(PTYForward *f);
DEFINE_TRIVIAL_CLEANUP_FUNC(PTYForward *, pty_forward_free);

void pty_forward_set_escape_handler(PTYForward *f, pty_forward_escape_t cb, void *userdata);

/* Called with everything read from the other side (also when it is dropped,
 * in PTY_FORWARD_DRAIN mode): to keep a log. */
typedef void (*pty_forward_output_t)(const char *data, size_t size, void *userdata);
void pty_forward_set_output_callback(PTYForward *f, pty_forward_output_t cb, void *userdata);

/* Copies whatever the other side wrote and we did not show yet (after the
 * machine stopped). */
void pty_forward_drain(PTYForward *f);

/* Counts ^] presses: returns true on the third within a second. Exposed for
 * tests; now_usec is CLOCK_MONOTONIC. */
typedef struct EscapeState {
        unsigned count;
        uint64_t first_usec;
} EscapeState;
bool pty_escape_feed(EscapeState *s, const char *buf, size_t n, uint64_t now_usec);
