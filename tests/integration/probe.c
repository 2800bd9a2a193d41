/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* A probe that attacks from inside a machine (tests/integration/
 * hardening.sh builds it statically with the host's compiler and copies it
 * in: the test tree has no compiler). Each command prints one word: what
 * happened ("ok", or the errno's name), and exits 0.
 *
 *   probe syscall NAME         a call the machine must not make
 *   probe key-read SERIAL      the payload of a key of the host
 *   probe key-unlink SERIAL RING
 *   probe open-write PATH      open a file (a device node) for writing
 *   probe mknod PATH MAJOR MINOR
 *   probe euid                 the effective UID (for set-user-ID tests)
 *   probe loop N               N cheap system calls (for the bench)
 *
 * and on the host: probe with-secret CMD…: joins a new session keyring,
 * puts a key with a secret in it, and runs CMD with BERTH_KEY and
 * BERTH_RING set to their serials. */

#include <errno.h>
#include <fcntl.h>
#include <linux/keyctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

static int report(long r) {
        if (r >= 0) {
                puts("ok");
                return 0;
        }
        switch (errno) {
        case EPERM:
                puts("EPERM");
                break;
        case EACCES:
                puts("EACCES");
                break;
        case ENOSYS:
                puts("ENOSYS");
                break;
        case EINVAL:
                puts("EINVAL");
                break;
        case EBADF:
                puts("EBADF");
                break;
        case EFAULT:
                puts("EFAULT");
                break;
        case ENOENT:
                puts("ENOENT");
                break;
        case EROFS:
                puts("EROFS");
                break;
        case ENOKEY:
                puts("ENOKEY");
                break;
        case EKEYREVOKED:
                puts("EKEYREVOKED");
                break;
        default:
                printf("errno%d\n", errno);
        }
        return 0;
}

static int call(const char *name) {
        struct timespec ts = {};

        if (!strcmp(name, "kexec_load"))
                return report(syscall(SYS_kexec_load, 0, 0, NULL, 0));
        if (!strcmp(name, "init_module"))
                return report(syscall(SYS_init_module, NULL, 0, ""));
        if (!strcmp(name, "open_by_handle_at"))
                return report(syscall(SYS_open_by_handle_at, -1, NULL, 0));
        if (!strcmp(name, "perf_event_open"))
                return report(syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0));
        if (!strcmp(name, "bpf"))
                return report(syscall(SYS_bpf, 0, NULL, 0));
        if (!strcmp(name, "swapon"))
                return report(syscall(SYS_swapon, "/nonexistent", 0));
        if (!strcmp(name, "add_key"))
                return report(syscall(SYS_add_key, "user", "berth-probe", "x", 1, KEY_SPEC_SESSION_KEYRING));
        if (!strcmp(name, "keyctl"))
                return report(syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0));
        if (!strcmp(name, "clock_settime")) {
                clock_gettime(CLOCK_REALTIME, &ts);
                return report(clock_settime(CLOCK_REALTIME, &ts));
        }
        if (!strcmp(name, "getpid"))
                return report(syscall(SYS_getpid));
        fprintf(stderr, "unknown call %s\n", name);
        return 2;
}

static int with_secret(char **cmd) {
        char key[32], ring[32];
        long r = syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, "berth-test");
        long k;

        if (r < 0) {
                perror("join session keyring");
                return 1;
        }
        /* Readable by whoever possesses it (its session), as keys are. */
        k = syscall(SYS_add_key, "user", "berth-secret", "top-secret-payload", 18, KEY_SPEC_SESSION_KEYRING);
        if (k < 0) {
                perror("add_key");
                return 1;
        }
        snprintf(key, sizeof key, "%ld", k);
        snprintf(ring, sizeof ring, "%ld", r);
        setenv("BERTH_KEY", key, 1);
        setenv("BERTH_RING", ring, 1);
        execvp(cmd[0], cmd);
        perror("exec");
        return 1;
}

int main(int argc, char *argv[]) {
        if (argc >= 3 && !strcmp(argv[1], "with-secret"))
                return with_secret(argv + 2);
        if (argc >= 3 && !strcmp(argv[1], "syscall"))
                return call(argv[2]);
        if (argc >= 3 && !strcmp(argv[1], "key-read")) {
                char buf[256] = "";
                long n = syscall(SYS_keyctl, KEYCTL_READ, atol(argv[2]), buf, sizeof buf - 1);
                if (n >= 0) {
                        printf("read:%.*s\n", (int) (n < (long) sizeof buf ? n : (long) sizeof buf - 1), buf);
                        return 0;
                }
                return report(n);
        }
        if (argc >= 4 && !strcmp(argv[1], "key-unlink"))
                return report(syscall(SYS_keyctl, KEYCTL_UNLINK, atol(argv[2]), atol(argv[3])));
        if (argc >= 3 && !strcmp(argv[1], "open-write"))
                return report(open(argv[2], O_WRONLY | O_CLOEXEC));
        if (argc >= 5 && !strcmp(argv[1], "mknod"))
                return report(mknod(argv[2], S_IFCHR | 0600, makedev(atoi(argv[3]), atoi(argv[4]))));
        if (argc >= 2 && !strcmp(argv[1], "euid")) {
                printf("%u\n", (unsigned) geteuid());
                return 0;
        }
        if (argc >= 3 && !strcmp(argv[1], "loop")) {
                for (long i = atol(argv[2]); i > 0; i--)
                        syscall(SYS_getppid);
                puts("ok");
                return 0;
        }
        fprintf(stderr, "usage: probe syscall|key-read|key-unlink|open-write|mknod|euid|loop …\n");
        return 2;
}
