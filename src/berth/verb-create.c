/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bootstrap-debian.h"
#include "fd-util.h"
#include "fileio.h"
#include "log.h"
#include "machine-definition.h"
#include "path-util.h"
#include "process-util.h"
#include "string-util.h"
#include "strv.h"
#include "verb-images.h"
#include "verbs.h"

/* berth create: an OS tree built from an image definition (machines/,
 * machine-definition.h) by the distribution's own bootstrap tool, made an
 * image of the store the way import-fs makes one (verb-images.h): under
 * the name's lock, in a hidden temporary, renamed into place when whole.
 * After the tool, every tree gets the same: no /etc/hostname unless the
 * definition names one, and an empty /etc/machine-id. */

extern char **environ;

typedef struct CreateRequest CreateRequest;

/* A distribution: the tool that builds its trees, and how it is called. */
typedef struct Bootstrapper {
        const char *distribution;
        const char *tool; /* and its Debian package */
        /* The tool's command line that builds the definition into target,
         * and what it adds to the environment. On a failure of the
         * definition's, *ret_error says what. */
        int (*command)(const CreateRequest *c, const char *target, char ***ret_argv, char ***ret_env, char **ret_error);
} Bootstrapper;

struct CreateRequest {
        const MachineDefinition *definition;
        char **mirrors; /* --mirror */
        const Bootstrapper *bootstrapper;
};

/* --- The distributions --------------------------------------------------------- */

static int debian_command(const CreateRequest *c, const char *target, char ***ret_argv, char ***ret_env,
                          char **ret_error) {
        _cleanup_(debian_host_done) DebianHost host = {};
        _cleanup_strv_free_ char **mirrors = NULL, **env = NULL;
        const char *password = debian_root_password_env(c->definition);
        int r;

        r = debian_host_load("/", &host);
        r = r ?: debian_mirrors(c->definition, c->mirrors, &host, &mirrors);
        if (r < 0)
                return r;
        r = debian_bootstrap_argv(c->definition, mirrors, target, ret_argv);
        if (r == -EINVAL) {
                _cleanup_free_ char *variants = strv_join((char **) debian_variants, ", ");

                *ret_error = strdup_printf("Variant=%s is none of mmdebstrap's (%s)", c->definition->variant,
                                           strna(variants));
                return r;
        }
        if (r >= 0 && password)
                r = strv_env_setf(&env, "BERTH_ROOT_PASSWORD", password);
        if (r < 0)
                return r;
        *ret_env = TAKE_PTR(env);
        return 0;
}

static const Bootstrapper bootstrappers[] = {
        { "debian", "mmdebstrap", debian_command },
};

static const Bootstrapper *bootstrapper_find(const char *distribution) {
        for (size_t i = 0; i < ELEMENTSOF(bootstrappers); i++)
                if (streq(bootstrappers[i].distribution, distribution))
                        return &bootstrappers[i];
        return NULL;
}

static bool executable_in_path(const char *name) {
        const char *path = getenv("PATH") ?: "/usr/sbin:/usr/bin:/sbin:/bin";

        for (const char *p = path; *p;) {
                size_t n = strcspn(p, ":");
                _cleanup_free_ char *full = strdup_printf("%.*s/%s", (int) n, p, name);

                if (full && access(full, X_OK) == 0)
                        return true;
                p += n + (p[n] == ':');
        }
        return false;
}

/* --- Running the tool ---------------------------------------------------------- */

typedef struct ToolRun {
        char **argv;
        char **env;
        int output_fd; /* the tool's stdout and stderr */
        pid_t parent;
} ToolRun;

_noreturn_ static void tool_exec(const ToolRun *t) {
        int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

        if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(t->output_fd, STDOUT_FILENO) < 0 ||
            dup2(t->output_fd, STDERR_FILENO) < 0 || reset_all_signals() < 0)
                _exit(127);
        execve_search_path(t->argv, t->env);
        dprintf(STDERR_FILENO, "Failed to execute %s: %s\n", t->argv[0], strerror(errno));
        _exit(127);
}

/* The tool runs as PID 1 of a PID namespace of its own, in a mount
 * namespace of its own: what it mounts in the tree (/proc, /dev, /sys for
 * its hooks) is never seen on the host, and when it ends, or this child
 * dies (as it does with us, SIGKILL included), the kernel kills every
 * process it left and the mounts go with the namespace. Nothing of a
 * killed build outlives berth but the temporary, which the next image verb
 * removes. */
static int tool_supervise(void *userdata) {
        const ToolRun *t = userdata;
        siginfo_t si;
        pid_t pid;

        if (die_with_parent(t->parent) < 0 || unshare(CLONE_NEWNS | CLONE_NEWPID) < 0 ||
            mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
                dprintf(t->output_fd, "Failed to make namespaces for %s: %s\n", t->argv[0], strerror(errno));
                return 126;
        }
        pid = fork();
        if (pid < 0)
                return 126;
        if (pid == 0) {
                (void) die_with_parent(0); /* its parent is outside its PID namespace */
                tool_exec(t);
        }
        if (wait_for_terminate(pid, &si) < 0)
                return 126;
        return exit_status_from_siginfo(&si);
}

/* The line of the tool's output that says why it failed: its first error
 * ("E: …" from mmdebstrap, whose later ones only say that it failed), else
 * its last line; control characters escaped. NULL when it printed
 * nothing. */
static char *failure_line(int fd) {
        _cleanup_free_ char *text = NULL;
        char *last = NULL, *error = NULL;
        off_t size = lseek(fd, 0, SEEK_END);
        ssize_t n;

        if (size <= 0 || !(text = malloc(16384 + 1)))
                return NULL;
        n = pread(fd, text, 16384, MAX(size - 16384, (off_t) 0));
        if (n <= 0)
                return NULL;
        text[n] = '\0';
        log_debug("The end of what %s said:\n%s", "the bootstrap tool", text);
        for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n")) {
                l = strstrip_trailing(l);
                if (isempty(l))
                        continue;
                last = l;
                if (!error && startswith(l, "E: "))
                        error = l + 3;
        }
        return error || last ? escape_control(error ?: last) : NULL;
}

/* Waits for the tool's child. SIGINT, SIGTERM and SIGHUP (^C on the
 * terminal) kill it instead of us, so that the build fails as any other:
 * its temporary removed. Returns its exit status, or -EINTR. */
static int tool_wait(pid_t pid) {
        bool interrupted = false;
        sigset_t mask, old;
        siginfo_t si = {};
        int r;

        sigemptyset(&mask);
        sigaddset(&mask, SIGHUP);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGCHLD);
        if (sigprocmask(SIG_BLOCK, &mask, &old) < 0)
                return -errno;
        for (;;) {
                si = (siginfo_t) {};
                r = RET_NERRNO(waitid(P_PID, (id_t) pid, &si, WEXITED | WNOHANG));
                if (r < 0 || si.si_pid == pid)
                        break;
                r = sigwaitinfo(&mask, NULL);
                if (r >= 0 && r != SIGCHLD && !interrupted) {
                        interrupted = true;
                        (void) kill(pid, SIGKILL); /* the tool's namespace dies with it */
                }
        }
        (void) sigprocmask(SIG_SETMASK, &old, NULL);
        if (r < 0)
                return r;
        return interrupted ? -EINTR : exit_status_from_siginfo(&si);
}

/* Runs the tool: its output goes to our terminal, or (quiet) to a
 * temporary file for the one line that says why it failed. */
static int tool_run(char **argv, char **env, bool quiet, char **ret_error) {
        _cleanup_close_ int capture = -EBADF;
        _cleanup_free_ char *why = NULL;
        ToolRun t = { .argv = argv, .env = env, .output_fd = STDERR_FILENO, .parent = getpid() };
        pid_t pid;
        int status;

        if (quiet) {
                capture = memfd_create("bootstrap-output", MFD_CLOEXEC);
                if (capture < 0)
                        return -errno;
                t.output_fd = capture;
        }
        pid = spawn_child(tool_supervise, &t, false);
        if (pid < 0)
                return pid;
        status = tool_wait(pid);
        if (status == -EINTR)
                *ret_error = strdup("interrupted");
        if (status <= 0)
                return status;
        why = capture >= 0 ? failure_line(capture) : NULL;
        *ret_error = why ? strdup_printf("%s failed (exit status %d): %s", argv[0], status, why)
                         : strdup_printf("%s failed (exit status %d)", argv[0], status);
        return -EPROTO;
}

/* --- The tree ------------------------------------------------------------------ */

/* No /etc/hostname (the machine's name is its hostname) unless the
 * definition names one; an empty /etc/machine-id (systemd makes one at the
 * first boot, a different one in each copy of the image). Written in the
 * tree's own /etc, never through a symlink in it. */
static int tree_finish(int dir_fd, const char *tmp_name, const MachineDefinition *d) {
        _cleanup_close_ int tree = openat(dir_fd, tmp_name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        _cleanup_close_ int etc =
                tree < 0 ? -EBADF : openat(tree, "etc", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int r;

        if (etc < 0)
                return -errno;
        if (unlinkat(etc, "hostname", 0) < 0 && errno != ENOENT)
                return -errno;
        if (d->hostname) {
                r = write_string_file_at(etc, "hostname", d->hostname, WRITE_FILE_CREATE | WRITE_FILE_ATOMIC, 0644);
                if (r < 0)
                        return r;
        }
        return write_string_file_at(etc, "machine-id", "",
                                    WRITE_FILE_CREATE | WRITE_FILE_ATOMIC | WRITE_FILE_NO_NEWLINE, 0444);
}

static int fill_by_bootstrap(const ImageSource *s, int dir_fd, const char *tmp_name, const CopyProgress *progress,
                             char **ret_error) {
        const CreateRequest *c = s->userdata;
        _cleanup_strv_free_ char **argv = NULL, **env = NULL, **add = NULL;
        _cleanup_free_ char *target = path_join(BERTH_IMAGE_DIR, tmp_name);
        bool quiet = !isatty(STDERR_FILENO);
        int r;

        if (!target)
                return -ENOMEM;
        if (mkdirat(dir_fd, tmp_name, 0755) < 0)
                return -errno;
        r = c->bootstrapper->command(c, target, &argv, &add, ret_error);
        if (r < 0)
                return r;
        env = strv_copy(environ);
        if (!env)
                return -ENOMEM;
        STRV_FOREACH(a, add)
                if (strv_env_set(&env, *a) < 0)
                        return -ENOMEM;
        r = tool_run(argv, env, quiet, ret_error);
        if (r < 0)
                return r;
        r = tree_finish(dir_fd, tmp_name, c->definition);
        if (r < 0)
                *ret_error = strdup_printf("giving it no hostname and an empty machine-id: %s", strerror(-r));
        return r;
}

/* --- The verb ------------------------------------------------------------------ */

/* The definition def, looked up and read; its warnings logged. */
static int definition_load(const char *def, MachineDefinition *ret) {
        _cleanup_strv_free_ char **warnings = NULL;
        _cleanup_free_ char *path = NULL, *error = NULL, *dirs = NULL;
        int r;

        r = machine_definition_find(machine_definition_dirs, def, &path);
        if (r == -ENOENT && (strchr(def, '/') || endswith(def, ".conf")))
                return log_error_errno(r, "No image definition file '%s'.", def);
        if (r == -ENOENT || r == -EINVAL) {
                dirs = strv_join((char **) machine_definition_dirs, " and ");
                return log_error_errno(SYNTHETIC_ERRNO(ENOENT), "No image definition '%s' (%s.conf in %s, or a file).",
                                       def, def, strna(dirs));
        }
        if (r < 0)
                return log_error_errno(r, "Failed to look for image definition '%s': %m", def);
        r = machine_definition_parse(path, ret, &warnings, &error);
        r = log_file_result(r, error, warnings);
        return r < 0 ? r : 0;
}

typedef struct CreateArgs {
        bool help, read_only;
        const char *from;
        char **mirrors;
} CreateArgs;

static int parse_create_args(int argc, char *argv[], CreateArgs *a) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "from", required_argument, NULL, 'f' },
                { "mirror", required_argument, NULL, 'm' },
                { "read-only", no_argument, NULL, 'r' },
                {},
        };
        int opt;

        optind = 0;
        while ((opt = getopt_long(argc, argv, ":h", options, NULL)) >= 0)
                switch (opt) {
                case 'h':
                        a->help = true;
                        printf("berth create NAME --from=DEFINITION [--mirror=MIRROR] [--read-only]\n\n"
                               "Build an OS tree from an image definition with the distribution's own tool\n"
                               "(mmdebstrap for Debian) and add it to " BERTH_IMAGE_DIR " as image NAME, with an\n"
                               "empty machine-id and, unless the definition names one, no hostname.\n"
                               "DEFINITION is a name (DEFINITION.conf in " BERTH_CONFIG_DIR "/machines, then\n"
                               "in " BERTH_DEFINITION_DIR ") or the path of a definition file. Packages\n"
                               "come from the host's own apt sources, unless --mirror or the definition's\n"
                               "Mirror= say where.\n\n"
                               "     --from=DEFINITION  The definition to build\n"
                               "     --mirror=MIRROR    Where packages come from, as mmdebstrap takes it: a\n"
                               "                        URI, a 'deb …' line or a sources file (repeatable)\n"
                               "     --read-only        Mark NAME read-only\n"
                               "  -h --help             Show this help\n");
                        return 0;
                case 'f':
                        a->from = optarg;
                        break;
                case 'm':
                        if (isempty(optarg))
                                return log_usage("Option '--mirror' of 'berth create' needs a value.");
                        if (strv_extend(&a->mirrors, optarg) < 0)
                                return log_oom();
                        break;
                case 'r':
                        a->read_only = true;
                        break;
                default:
                        return verb_bad_option(argv[0], opt, argv);
                }
        if (argc - optind != 1)
                return log_usage("'berth create' needs one image name.");
        if (isempty(a->from))
                return log_usage("'berth create' needs a definition: --from=DEFINITION.");
        return 0;
}

int verb_create(int argc, char *argv[]) {
        _cleanup_(lock_file_release) LockFile name_lock = LOCK_FILE_NULL;
        _cleanup_(machine_definition_done) MachineDefinition d = {};
        _cleanup_strv_free_ char **mirrors = NULL;
        CreateArgs a = {};
        CreateRequest c = {};
        int r;

        r = parse_create_args(argc, argv, &a);
        mirrors = a.mirrors;
        if (r < 0 || a.help)
                return r;
        r = image_claim_new_name(argv[optind], &name_lock);
        r = r ?: definition_load(a.from, &d);
        if (r < 0)
                return r;
        c = (CreateRequest) { .definition = &d, .mirrors = mirrors, .bootstrapper = bootstrapper_find(d.distribution) };
        if (!c.bootstrapper)
                return log_error_errno(SYNTHETIC_ERRNO(EOPNOTSUPP),
                                       "Image definition '%s' is of Distribution=%s: berth builds only debian so far.",
                                       a.from, d.distribution);
        if (!executable_in_path(c.bootstrapper->tool))
                return log_error_errno(SYNTHETIC_ERRNO(ENOENT), "%s is missing (apt-get install %s).",
                                       c.bootstrapper->tool, c.bootstrapper->tool);
        return image_make(&(ImageSource) { .fill = fill_by_bootstrap, .userdata = &c, .total = UINT64_MAX },
                          IMAGE_DIRECTORY, argv[optind], a.read_only);
}
