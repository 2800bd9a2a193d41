/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chase.h"
#include "fd-util.h"
#include "fileio.h"
#include "host-files.h"
#include "path-util.h"
#include "string-util.h"

#define HOST_FILE_MAX (64 * 1024)

void host_file_done(HostFile *f) {
        f->text = mfree(f->text);
        f->source = mfree(f->source);
        f->action = HOST_FILE_KEEP;
}

static char *host_path(const char *root, const char *path) {
        return root ? path_join(root, path) : strdup(path);
}

static int read_host_file(const char *root, const char *path, char **ret) {
        _cleanup_free_ char *p = host_path(root, path);

        if (!p)
                return -ENOMEM;
        return read_full_file_at(AT_FDCWD, p, HOST_FILE_MAX, ret, NULL);
}

/* Whether a resolv.conf names a server that is not on the host's loopback:
 * one a machine behind NAT can reach. */
static bool names_reachable_server(const char *text) {
        for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
                const char *v = startswith(l, "nameserver");
                char server[64];
                size_t n;

                if (!v || !strchr(" \t", *v))
                        continue;
                v += strspn(v, " \t");
                n = strcspn(v, " \t\r\n#;");
                if (n == 0 || n >= sizeof server)
                        continue;
                memcpy(server, v, n);
                server[n] = '\0';
                if (!startswith(server, "127.") && !streq(server, "::1"))
                        return true;
        }
        return false;
}

static bool host_file_exists(const char *root, const char *path) {
        _cleanup_free_ char *p = host_path(root, path);

        return p && access(p, F_OK) >= 0;
}

/* The file a mode takes its servers from. */
static const char *resolv_conf_source(ResolvConfMode m) {
        switch (m) {
        case RESOLV_CONF_COPY_STATIC:
        case RESOLV_CONF_REPLACE_STATIC:
        case RESOLV_CONF_BIND_STATIC:
                return STATIC_RESOLV_CONF;
        case RESOLV_CONF_COPY_UPLINK:
        case RESOLV_CONF_REPLACE_UPLINK:
        case RESOLV_CONF_BIND_UPLINK:
                return RESOLVED_UPLINK_RESOLV_CONF;
        case RESOLV_CONF_COPY_STUB:
        case RESOLV_CONF_REPLACE_STUB:
        case RESOLV_CONF_BIND_STUB:
                return RESOLVED_STUB_RESOLV_CONF;
        default:
                return "/etc/resolv.conf";
        }
}

static HostFileAction resolv_conf_action(ResolvConfMode m) {
        switch (m) {
        case RESOLV_CONF_OFF:
                return HOST_FILE_KEEP;
        case RESOLV_CONF_DELETE:
                return HOST_FILE_DELETE;
        case RESOLV_CONF_REPLACE_HOST:
        case RESOLV_CONF_REPLACE_STATIC:
        case RESOLV_CONF_REPLACE_UPLINK:
        case RESOLV_CONF_REPLACE_STUB:
                return HOST_FILE_REPLACE;
        case RESOLV_CONF_BIND_HOST:
        case RESOLV_CONF_BIND_STATIC:
        case RESOLV_CONF_BIND_UPLINK:
        case RESOLV_CONF_BIND_STUB:
                return HOST_FILE_BIND;
        default:
                return HOST_FILE_COPY;
        }
}

/* "auto", made one of the others (or off, with 1 for no servers). */
static ResolvConfMode resolv_conf_auto(const ResolvConfContext *ctx, int *ret_none) {
        _cleanup_free_ char *text = NULL;

        *ret_none = 0;
        if (ctx->nat) {
                if (host_file_exists(ctx->root, RESOLVED_UPLINK_RESOLV_CONF))
                        return RESOLV_CONF_COPY_UPLINK;
                if (read_host_file(ctx->root, "/etc/resolv.conf", &text) >= 0 && names_reachable_server(text))
                        return RESOLV_CONF_COPY_HOST;
                *ret_none = 1;
                return RESOLV_CONF_OFF;
        }
        if (ctx->private_network)
                return RESOLV_CONF_OFF;
        if (host_file_exists(ctx->root, RESOLVED_STUB_RESOLV_CONF))
                return RESOLV_CONF_COPY_STUB;
        if (host_file_exists(ctx->root, "/etc/resolv.conf"))
                return RESOLV_CONF_COPY_HOST;
        return RESOLV_CONF_OFF;
}

int host_file_plan_resolv_conf(ResolvConfMode mode, const ResolvConfContext *ctx, HostFile *ret) {
        HostFile f = { .path = "/etc/resolv.conf" };
        int none = 0, r;

        if (mode == RESOLV_CONF_AUTO)
                mode = resolv_conf_auto(ctx, &none);
        f.action = resolv_conf_action(mode);
        if (f.action == HOST_FILE_BIND) {
                f.source = host_path(ctx->root, resolv_conf_source(mode));
                if (!f.source)
                        return -ENOMEM;
        } else if (IN_SET(f.action, HOST_FILE_COPY, HOST_FILE_REPLACE)) {
                r = read_host_file(ctx->root, resolv_conf_source(mode), &f.text);
                if (r < 0)
                        return r;
        }
        *ret = f;
        return none;
}

int host_file_plan_timezone(TimezoneMode mode, const char *root, HostFile *ret) {
        _cleanup_free_ char *localtime = host_path(root, "/etc/localtime"), *target = NULL;
        HostFile f = { .path = "/etc/localtime" };
        const char *zone;
        struct stat st;
        int r;

        if (!localtime)
                return -ENOMEM;
        if (mode == TIMEZONE_OFF) {
                *ret = f;
                return 0;
        }
        if (lstat(localtime, &st) < 0) {
                if (errno != ENOENT)
                        return -errno;
                f.action = IN_SET(mode, TIMEZONE_AUTO, TIMEZONE_DELETE) ? HOST_FILE_DELETE : HOST_FILE_KEEP;
                *ret = f;
                return 0;
        }
        if (mode == TIMEZONE_DELETE)
                f.action = HOST_FILE_DELETE;
        else if (S_ISLNK(st.st_mode) && IN_SET(mode, TIMEZONE_AUTO, TIMEZONE_SYMLINK)) {
                /* The zone's name, as the link says it: ".../zoneinfo/ZONE". */
                target = calloc(1, PATH_MAX);
                if (!target)
                        return -ENOMEM;
                if (readlink(localtime, target, PATH_MAX - 1) < 0)
                        return -errno;
                zone = strstr(target, "zoneinfo/");
                if (!zone)
                        return -EINVAL;
                f.action = HOST_FILE_SYMLINK;
                f.text = strjoin("../usr/share/", zone);
                if (!f.text)
                        return -ENOMEM;
        } else if (mode == TIMEZONE_BIND) {
                f.action = HOST_FILE_BIND;
                f.source = TAKE_PTR(localtime);
        } else if (mode == TIMEZONE_SYMLINK)
                f.action = HOST_FILE_KEEP; /* a file: no zone name to link to */
        else {
                /* As systemd-nspawn: the copy replaces a link (which trees
                 * usually have) rather than skipping it. */
                f.action = HOST_FILE_REPLACE;
                r = read_full_file_at(AT_FDCWD, localtime, HOST_FILE_MAX, &f.text, NULL);
                if (r < 0)
                        return r;
        }
        *ret = f;
        return 0;
}

/* Writes text into a new file beside name and renames it over name. */
static int replace_at(int dir_fd, const char *name, const char *text) {
        char tmp[64];
        int r;

        snprintf(tmp, sizeof tmp, ".#%s.berth", name);
        (void) unlinkat(dir_fd, tmp, 0);
        r = write_string_file_at(dir_fd, tmp, text, WRITE_FILE_CREATE | WRITE_FILE_NO_NEWLINE, 0644);
        if (r >= 0 && renameat(dir_fd, tmp, dir_fd, name) < 0)
                r = -errno;
        if (r < 0)
                (void) unlinkat(dir_fd, tmp, 0);
        return r;
}

/* A regular file of the tree, never through a symlink (-ELOOP), and never
 * a FIFO or device that the machine put there (-EBADFD): opening one
 * would hang us, or do worse. */
static int open_regular(int dir_fd, const char *name, int flags) {
        _cleanup_close_ int fd = -EBADF;
        struct stat st;

        fd = openat(dir_fd, name, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY, 0644);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EBADFD;
        if (fcntl(fd, F_SETFL, flags & O_ACCMODE) < 0) /* blocking again */
                return -errno;
        return TAKE_FD(fd);
}

/* The file is already what f would make it. */
static bool already_so(const HostFile *f, int dir_fd, const char *name) {
        _cleanup_free_ char *have = NULL;
        _cleanup_close_ int fd = -EBADF;
        char link[PATH_MAX];
        ssize_t n;

        switch (f->action) {
        case HOST_FILE_SYMLINK:
                /* The same zone, however the link spells the way there. */
                n = readlinkat(dir_fd, name, link, sizeof link - 1);
                if (n < 0)
                        return false;
                link[n] = '\0';
                return strstr(link, "zoneinfo/") && strstr(f->text, "zoneinfo/") &&
                       streq(strstr(link, "zoneinfo/"), strstr(f->text, "zoneinfo/"));
        case HOST_FILE_COPY:
        case HOST_FILE_REPLACE:
                fd = open_regular(dir_fd, name, O_RDONLY);
                return fd >= 0 && read_full_fd(fd, HOST_FILE_MAX, &have, NULL) >= 0 && streq(have, f->text);
        default:
                return false;
        }
}

int host_file_apply(const HostFile *f, int root_fd) {
        _cleanup_free_ char *dir = NULL, *name = NULL;
        _cleanup_close_ int dir_fd = -EBADF, fd = -EBADF;
        int r;

        if (IN_SET(f->action, HOST_FILE_KEEP, HOST_FILE_BIND))
                return 0;
        r = path_split_last(f->path, &dir, &name);
        if (r < 0)
                return r;
        /* The directory resolved in the machine's root; the file itself
         * never followed. */
        r = open_in_root(root_fd, dir, O_PATH | O_DIRECTORY, 0, &dir_fd);
        if (r < 0)
                return r;

        if (already_so(f, dir_fd, name))
                return 0; /* nothing to write: the tree stays as it is */

        switch (f->action) {
        case HOST_FILE_DELETE:
                return unlinkat(dir_fd, name, 0) < 0 && errno != ENOENT ? -errno : 0;
        case HOST_FILE_SYMLINK:
                /* Only to a zone the machine has. */
                if (open_in_root(root_fd, strstr(f->text, "/usr/share/"), O_PATH, 0, &fd) < 0)
                        return -ENOENT;
                fd = safe_close(fd);
                if (unlinkat(dir_fd, name, 0) < 0 && errno != ENOENT)
                        return -errno;
                return symlinkat(f->text, dir_fd, name) < 0 ? -errno : 0;
        case HOST_FILE_REPLACE:
                return replace_at(dir_fd, name, f->text);
        case HOST_FILE_COPY:
                fd = open_regular(dir_fd, name, O_WRONLY | O_CREAT);
                if (fd < 0)
                        return fd;
                if (ftruncate(fd, 0) < 0)
                        return -errno;
                return loop_write(fd, f->text, strlen(f->text));
        default:
                return -EINVAL;
        }
}
