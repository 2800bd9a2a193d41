/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* berth start NAME… [--wait-ready]: boots machines in the background.
 *
 * Where systemd is PID 1 this is `systemctl start berth@NAME.service` (over
 * D-Bus): the unit supervises the machine. Otherwise berth starts a
 * supervisor of its own, detached (a session of its own, stdin /dev/null,
 * its console and messages appended to /var/log/berth/NAME.log) and waits
 * for it to say READY=1 on a notify socket we give it: once the machine is
 * registered (its init is running), or with --wait-ready once the machine's
 * init says it is ready. */

#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>

#include "console-log.h"
#include "fd-util.h"
#include "id128.h"
#include "image-store.h"
#include "lock-util.h"
#include "log.h"
#include "machine-name.h"
#include "systemd-manager.h"
#include "process-util.h"
#include "registry.h"
#include "running.h"
#include "string-util.h"
#include "strv.h"
#include "time-util.h"
#include "verbs.h"

/* A datagram socket in the abstract namespace: nothing on disk to clean. */
static int notify_socket_new(char **ret_address, int *ret_fd) {
        _cleanup_close_ int fd = -EBADF;
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        char id[ID128_STRING_MAX];
        Id128 rnd;
        int one = 1, r;

        r = id128_randomize(&rnd);
        if (r < 0)
                return r;
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        snprintf(sa.sun_path + 1, sizeof sa.sun_path - 1, "berth/start/%s", id128_to_string(rnd, id));
        if (bind(fd, (struct sockaddr *) &sa,
                 (socklen_t) (offsetof(struct sockaddr_un, sun_path) + 1 + strlen(sa.sun_path + 1))) < 0)
                return -errno;
        if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one) < 0)
                return -errno;
        *ret_address = strjoin("@", sa.sun_path + 1);
        if (!*ret_address)
                return -ENOMEM;
        *ret_fd = TAKE_FD(fd);
        return 0;
}

static _noreturn_ void exec_supervisor(const char *name, const char *log_path, const char *notify, bool wait_ready) {
        int fd;

        /* Detached: no terminal, our own session, output to the log. */
        if (setsid() < 0)
                _exit(EXIT_FAILURE);
        fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (fd < 0 || fd_move_to(fd, STDIN_FILENO, false) < 0)
                _exit(EXIT_FAILURE);
        fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0640);
        if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0)
                _exit(EXIT_FAILURE);
        if (fd > 2)
                safe_close(fd);
        if (setenv("NOTIFY_SOCKET", notify, 1) < 0)
                _exit(EXIT_FAILURE);
        if (reset_all_signals() < 0)
                _exit(EXIT_FAILURE);

        execl("/proc/self/exe", "berth", "boot", "-M", name, "--console=read-only",
              wait_ready ? "--notify-ready=yes" : "--notify-ready=no", NULL);
        _exit(EXIT_FAILURE);
}

/* The last line the supervisor wrote, to say why it did not start. */
static char *last_log_line(const char *path) {
        _cleanup_strv_free_ char **lines = NULL;

        if (console_log_tail(path, 1, &lines) < 0 || strv_length(lines) == 0)
                return NULL;
        return strdup(lines[0]);
}

static int start_detached(const char *name, bool wait_ready) {
        _cleanup_free_ char *image = NULL, *log_path = NULL, *notify = NULL, *why = NULL;
        _cleanup_close_ int sock = -EBADF, pidfd = -EBADF;
        pid_t pid;
        int r;

        r = image_find(BERTH_IMAGE_DIR, name, &image, NULL);
        if (r < 0)
                return log_error_errno(r, "Failed to find image '%s': %m", name);

        r = mkdir_p(BERTH_LOG_DIR, 0750);
        if (r < 0)
                return log_error_errno(r, "Failed to create %s: %m", BERTH_LOG_DIR);
        log_path = machine_start_log_path(name);
        if (!log_path)
                return log_oom();

        r = notify_socket_new(&notify, &sock);
        if (r < 0)
                return log_error_errno(r, "Failed to create a notify socket: %m");

        pid = fork();
        if (pid < 0)
                return log_error_errno(errno, "Failed to fork: %m");
        if (pid == 0)
                exec_supervisor(name, log_path, notify, wait_ready);
        pidfd = pidfd_open(pid, 0);
        if (pidfd < 0)
                return log_error_errno(errno, "Failed to open a pidfd of the supervisor: %m");

        /* READY=1 from the supervisor, or its end. */
        for (;;) {
                struct pollfd p[2] = {
                        { .fd = sock, .events = POLLIN },
                        { .fd = pidfd, .events = POLLIN },
                };
                char buf[4096];
                ssize_t n;

                if (poll(p, 2, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        return log_error_errno(errno, "Failed to wait for machine '%s': %m", name);
                }
                if (p[0].revents & POLLIN) {
                        n = recv(sock, buf, sizeof buf - 1, MSG_DONTWAIT);
                        if (n > 0) {
                                buf[n] = '\0';
                                if (strstr(buf, "READY=1"))
                                        return 0;
                        }
                }
                if (p[1].revents & POLLIN)
                        break;
        }

        siginfo_t si = {};
        (void) waitid(P_PIDFD, (id_t) pidfd, &si, WEXITED);
        why = last_log_line(log_path);
        return log_error_errno(SYNTHETIC_ERRNO(EIO), "Machine '%s' did not start: %s (see %s)", name,
                               why ?: "its supervisor exited", log_path);
}

static int start_unit(sd_bus *bus, const char *name) {
        _cleanup_free_ char *unit = machine_service_unit(name), *message = NULL;
        int r;

        if (!unit)
                return log_oom();
        r = systemd_start_unit(bus, unit, &message);
        if (r < 0)
                return log_error_errno(r, "Failed to start %s: %s", unit, message ?: strerror(ERRNO_VALUE(r)));
        return 0;
}

int verb_start(int argc, char *argv[]) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "wait-ready", no_argument, NULL, 'w' },
                {},
        };
        sd_bus *bus = NULL;
        bool wait_ready = false;
        int opt, r, ret = 0;

        optind = 0;
        opterr = 0;
        while ((opt = getopt_long(argc, argv, ":h", options, NULL)) >= 0)
                switch (opt) {
                case 'h':
                        printf("berth start NAME… [--wait-ready]\n\n"
                               "Boot the images NAME (of the image store) in the background. Where\n"
                               "systemd is PID 1, as the units berth@NAME.service; otherwise under a\n"
                               "supervisor of their own whose console goes to %s/NAME.log. Returns\n"
                               "once each machine is "
                               "running (registered, its init started).\n\n"
                               "     --wait-ready  Return only once each machine's init reported READY=1\n"
                               "  -h --help        Show this help\n",
                               BERTH_LOG_DIR);
                        return 0;
                case 'w':
                        wait_ready = true;
                        break;
                default:
                        return verb_bad_option(argv[0], opt, argv);
                }
        if (optind >= argc)
                return log_usage("'berth start' needs at least one machine name.");

        /* systemd as PID 1 supervises machines as its units. */
        (void) systemd_manager_bus(&bus);

        for (int i = optind; i < argc; i++) {
                MachineRecord m;

                if (!machine_name_is_valid(argv[i])) {
                        r = log_error_errno(SYNTHETIC_ERRNO(EINVAL), "Invalid machine name '%s'.", argv[i]);
                        goto next;
                }
                (void) registry_gc_one(MACHINES_DIR, argv[i], cli_bus());
                if (registry_read(MACHINES_DIR, argv[i], &m) >= 0) {
                        machine_record_done(&m); /* running already: nothing to do */
                        continue;
                }
                r = bus ? start_unit(bus, argv[i]) : start_detached(argv[i], wait_ready);
next:
                if (r < 0 && ret == 0)
                        ret = r;
        }
        return ret;
}
