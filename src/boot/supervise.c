/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <signal.h>
#include <stdio.h>
#include <sys/pidfd.h>
#include <systemd/sd-daemon.h>

#include "ptyfwd.h"
#include "supervise.h"
#include "fd-util.h"
#include "machine-freeze.h"
#include "log.h"
#include "notify.h"
#include "path-util.h"
#include "string-util.h"
#include "time-util.h"

/* The loop's own state. */
typedef struct Supervisor {
        const Supervision *s;
        sd_event *event; /* s's */
        PTYForward *forward;
        sd_event_source *sources[6]; /* the leader, three signals, notifications, the timeout */
        unsigned n_terminate_requests;
        bool timed_out;
        int exit_status;
} Supervisor;

static void kill_machine(Supervisor *m) {
        _cleanup_free_ char *payload = path_join(m->s->cgroup->path, "payload");

        /* Killing PID 1 takes its whole PID namespace with it. */
        (void) pidfd_send_signal(m->s->processes->leader_pidfd, SIGKILL, NULL, 0);
        if (payload)
                (void) cgroup_kill_and_remove(m->s->cgroup->unified_mount, payload);
}

/* What the machine's end means for our exit status. */
static int exit_status_of(Supervisor *m, const siginfo_t *si) {
        bool boot = m->s->config->mode == BOOT_MODE_BOOT;

        if (si->si_code == CLD_EXITED) {
                /* Only a reboot request may mean "restart me". */
                if (boot && si->si_status == EXIT_FORCE_RESTART)
                        return EXIT_FAILURE;
                return si->si_status;
        }
        /* reboot(2) in a PID namespace kills its init with SIGHUP (restart)
         * or SIGINT (halt, poweroff). */
        if (boot && si->si_status == SIGHUP)
                return EXIT_FORCE_RESTART;
        if (boot && si->si_status == SIGINT)
                return EXIT_SUCCESS;
        return 128 + si->si_status;
}

static void log_end(Supervisor *m, const siginfo_t *si, int status) {
        if (m->s->config->quiet || m->timed_out)
                return;
        if (m->s->config->mode == BOOT_MODE_RUN && m->s->console->mode == CONSOLE_PIPE)
                return; /* the command's output speaks for itself */

        if (status == EXIT_FORCE_RESTART && m->s->config->mode == BOOT_MODE_BOOT)
                log_info("Machine '%s' asked to reboot.", m->s->name);
        else if (si->si_code == CLD_EXITED || status == EXIT_SUCCESS)
                log_info("Machine '%s' %s.", m->s->name, status == 0 ? "exited successfully" : "failed");
        else
                log_info("Machine '%s' was terminated by signal %s.", m->s->name, sigabbrev_np(si->si_status) ?: "?");
}

static int on_leader_exit(sd_event_source *s, const siginfo_t *si, void *userdata) {
        Supervisor *m = userdata;

        m->exit_status = m->timed_out ? EXIT_FAILURE : exit_status_of(m, si);
        log_end(m, si, m->exit_status);
        if (registration_await_answer(m->s->registration) > 0)
                return 0;
        return sd_event_exit(sd_event_source_get_event(s), 0);
}

/* SIGTERM, SIGINT, SIGHUP: the first asks the machine to power off, the
 * second kills it. */
static int on_terminate(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Supervisor *m = userdata;

        *m->s->stop_requested = true;
        if (++m->n_terminate_requests > 1) {
                log_debug("Second request to stop: killing machine '%s'.", m->s->name);
                kill_machine(m);
                return 0;
        }

        (void) record_set_state(m->s->record, MACHINE_STOPPING);
        /* A frozen machine (berth freeze) can't answer: it goes on first. */
        (void) machine_cgroup_freeze(m->s->cgroup, false);
        if (m->s->config->mode == BOOT_MODE_BOOT)
                (void) pidfd_send_signal(m->s->processes->leader_pidfd, SIGRTMIN + 4, NULL, 0); /* systemd: poweroff */
        else if (m->s->config->as_pid2)
                (void) pidfd_send_signal(m->s->processes->leader_pidfd, SIGTERM, NULL, 0); /* the stub passes it on */
        else
                kill_machine(m); /* a command as PID 1 can't be asked */
        return 0;
}

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        Supervisor *m = userdata;
        char buf[32];

        log_error("Machine '%s' timed out after %s, killing it.", m->s->name,
                  format_timespan(buf, sizeof buf, m->s->config->timeout));
        m->timed_out = true;
        kill_machine(m);
        return 0;
}

static int on_notify(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Supervisor *m = userdata;
        NotifyMessage msg;
        char buf[4096];
        size_t n;
        pid_t sender;
        int r;

        r = notify_receive(fd, buf, sizeof buf, &n, &sender);
        if (r < 0) {
                if (r != -EAGAIN && r != -EINTR)
                        log_debug_errno(r, "Ignoring a bad notification: %m");
                return 0;
        }
        if (sender != m->s->processes->leader) {
                log_debug("Ignoring a notification from PID %i, which is not the machine's init.", sender);
                return 0;
        }
        if (notify_parse(buf, n, &msg) < 0)
                return 0;

        if (msg.ready && m->s->record->state == MACHINE_STARTING) {
                log_debug("Machine '%s' is ready.", m->s->name);
                (void) record_set_state(m->s->record, MACHINE_RUNNING);
                if (m->s->config->notify_ready)
                        (void) sd_notify(false, "READY=1\nSTATUS=Machine running.");
        }
        if (msg.stopping)
                (void) record_set_state(m->s->record, MACHINE_STOPPING);
        if (msg.status)
                log_debug("Machine '%s': %s", m->s->name, msg.status);
        notify_message_done(&msg);
        return 0;
}

static void on_escape(PTYForward *f, void *userdata) {
        Supervisor *m = userdata;

        log_debug("^] pressed three times: killing machine '%s'.", m->s->name);
        kill_machine(m);
}

static void on_console_output(const char *data, size_t size, void *userdata) {
        Supervisor *m = userdata;

        console_log_append(m->s->console->log, data, size);
}

static int setup_console_forward(Supervisor *m) {
        PTYForwardFlags flags;
        int r;

        switch (m->s->console->mode) {
        case CONSOLE_INTERACTIVE:
                flags = PTY_FORWARD_RAW;
                break;
        case CONSOLE_READ_ONLY:
                flags = PTY_FORWARD_READ_ONLY;
                break;
        case CONSOLE_PASSIVE:
                flags = PTY_FORWARD_DRAIN;
                break;
        default:
                return 0;
        }

        r = pty_forward_new(m->event, m->s->console->pty_master, STDIN_FILENO, STDOUT_FILENO, flags, &m->forward);
        if (r < 0)
                return log_error_errno(r, "Failed to forward the console: %m");
        pty_forward_set_output_callback(m->forward, on_console_output, m);
        if (m->s->console->mode == CONSOLE_INTERACTIVE)
                pty_forward_set_escape_handler(m->forward, on_escape, m);
        return 0;
}

int machine_event_new(sd_event **ret) {
        int r;

        r = sd_event_new(ret);
        if (r < 0)
                return log_error_errno(r, "Failed to create the event loop: %m");
        /* Under a unit with WatchdogSec= (berth@.service): WATCHDOG=1 from
         * the loop itself, so a hung supervisor gets restarted. */
        (void) sd_event_set_watchdog(*ret, true);
        return 0;
}

static int run_loop(Supervisor *m) {
        const MachineProcesses *p = m->s->processes;
        sd_event_source **src = m->sources;
        int r;

        /* The leader is ours (CLONE_PARENT); sd-event reaps it. */
        r = sd_event_add_child_pidfd(m->event, src++, p->leader_pidfd, WEXITED, on_leader_exit, m);
        if (r >= 0)
                r = sd_event_add_signal(m->event, src++, SIGTERM, on_terminate, m);
        if (r >= 0)
                r = sd_event_add_signal(m->event, src++, SIGINT, on_terminate, m);
        if (r >= 0)
                r = sd_event_add_signal(m->event, src++, SIGHUP, on_terminate, m);
        if (r >= 0 && p->notify_fd >= 0)
                r = sd_event_add_io(m->event, src++, p->notify_fd, EPOLLIN, on_notify, m);
        if (r >= 0 && m->s->deadline != USEC_INFINITY)
                r = sd_event_add_time(m->event, src++, CLOCK_MONOTONIC, m->s->deadline, 0, on_timeout, m);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the event loop: %m");

        r = setup_console_forward(m);
        if (r < 0)
                return r;

        r = sd_event_loop(m->event);
        if (r < 0)
                return log_error_errno(r, "Event loop failed: %m");
        pty_forward_drain(m->forward);
        return 0;
}

int machine_supervise(const Supervision *s, int *ret_exit_status) {
        Supervisor m = { .s = s, .event = s->event };
        int r;

        r = run_loop(&m);
        pty_forward_free(m.forward);
        for (size_t i = 0; i < ELEMENTSOF(m.sources); i++)
                sd_event_source_disable_unref(m.sources[i]);
        if (r < 0)
                return r;
        *ret_exit_status = m.exit_status;
        return 0;
}
