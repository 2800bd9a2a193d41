/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdio.h>
#include <string.h>

#include "cgroup-stats.h"
#include "fileio.h"
#include "parse-util.h"
#include "path-util.h"
#include "string-util.h"
#include "strv.h"

#define UNKNOWN UINT64_MAX

/* The machine's v1 cgroup in controller's hierarchy, if it has one. */
static const char *v1_dir(const MachineCgroup *c, const char *controller) {
        STRV_FOREACH(d, c->v1) {
                const char *rest = startswith(*d, "/sys/fs/cgroup/");

                rest = rest ? startswith(rest, controller) : NULL;
                if (rest && *rest == '/')
                        return *d;
        }
        return NULL;
}

static int read_text(const char *dir, const char *file, char **ret) {
        _cleanup_free_ char *p = dir ? path_join(dir, file) : NULL;

        if (!dir)
                return -ENOENT;
        return p ? read_full_file(p, ret, NULL) : -ENOMEM;
}

/* A file holding one number. */
static uint64_t read_number(const char *dir, const char *file) {
        _cleanup_free_ char *text = NULL;
        uint64_t v;

        if (read_text(dir, file, &text) < 0)
                return UNKNOWN;
        strstrip_trailing(text);
        return safe_atou64(text, 10, &v) < 0 ? UNKNOWN : v;
}

/* "KEY VALUE" lines (cpu.stat, memory.stat): the value of key. */
static uint64_t keyed_value(const char *text, const char *key) {
        size_t n = strlen(key);

        for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
                if (strneq(p, key, n) && p[n] == ' ') {
                        unsigned long long v;
                        if (sscanf(p + n + 1, "%llu", &v) == 1)
                                return v;
                }
        return UNKNOWN;
}

static void read_cpu(const char *payload, MachineStats *s) {
        _cleanup_free_ char *text = NULL;

        if (read_text(payload, "cpu.stat", &text) < 0)
                return;
        s->cpu_usec = keyed_value(text, "usage_usec");
        s->cpu_user_usec = keyed_value(text, "user_usec");
        s->cpu_system_usec = keyed_value(text, "system_usec");
}

static void read_memory(const MachineCgroup *c, const char *payload, MachineStats *s) {
        const char *v1 = v1_dir(c, "memory");

        if (!v1) {
                s->memory_current = read_number(payload, "memory.current");
                s->memory_peak = read_number(payload, "memory.peak");
                s->swap_current = read_number(payload, "memory.swap.current");
                return;
        }
        s->memory_current = read_number(v1, "memory.usage_in_bytes");
        s->memory_peak = read_number(v1, "memory.max_usage_in_bytes");
        /* memsw counts memory and swap together (with swap accounting). */
        uint64_t memsw = read_number(v1, "memory.memsw.usage_in_bytes");
        if (memsw != UNKNOWN && s->memory_current != UNKNOWN)
                s->swap_current = memsw > s->memory_current ? memsw - s->memory_current : 0;
}

static uint64_t add(uint64_t a, uint64_t b) {
        return a == UNKNOWN ? b : a + b;
}

/* io.stat: "MAJ:MIN rbytes=N wbytes=N rios=N wios=N …", a line a device. */
static void read_io_v2(const char *payload, MachineStats *s) {
        _cleanup_free_ char *text = NULL;

        if (read_text(payload, "io.stat", &text) < 0)
                return;
        s->io_read_bytes = s->io_write_bytes = s->io_read_ops = s->io_write_ops = 0;
        for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
                unsigned long long rb, wb, rio, wio;

                if (sscanf(line, "%*u:%*u rbytes=%llu wbytes=%llu rios=%llu wios=%llu", &rb, &wb, &rio, &wio) != 4)
                        continue;
                s->io_read_bytes += rb;
                s->io_write_bytes += wb;
                s->io_read_ops += rio;
                s->io_write_ops += wio;
        }
}

/* blkio.throttle.io_service_bytes (and _serviced): "MAJ:MIN Read N" lines. */
static void read_blkio_file(const char *dir, const char *file, uint64_t *ret_read, uint64_t *ret_write) {
        _cleanup_free_ char *text = NULL;

        if (read_text(dir, file, &text) < 0)
                return;
        *ret_read = *ret_write = 0;
        for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
                char op[16];
                unsigned long long v;

                if (sscanf(line, "%*u:%*u %15s %llu", op, &v) != 2)
                        continue;
                if (streq(op, "Read"))
                        *ret_read = add(*ret_read, v);
                else if (streq(op, "Write"))
                        *ret_write = add(*ret_write, v);
        }
}

static void read_io(const MachineCgroup *c, const char *payload, MachineStats *s) {
        const char *v1 = v1_dir(c, "blkio");

        if (!v1) {
                read_io_v2(payload, s);
                return;
        }
        read_blkio_file(v1, "blkio.throttle.io_service_bytes_recursive", &s->io_read_bytes, &s->io_write_bytes);
        read_blkio_file(v1, "blkio.throttle.io_serviced_recursive", &s->io_read_ops, &s->io_write_ops);
}

/* The host's side of the link, in the network namespace of the machine's
 * supervisor (where berth made it; not necessarily ours): its line of
 * /proc/PID/net/dev, "  LINK: RX-BYTES PACKETS … (8 fields) TX-BYTES …". */
static void read_net(const char *link, pid_t supervisor, MachineStats *s) {
        _cleanup_free_ char *text = NULL;
        char path[64];
        size_t n;

        if (!link || supervisor <= 0)
                return;
        snprintf(path, sizeof path, "/proc/%i/net/dev", supervisor);
        if (read_full_file(path, &text, NULL) < 0)
                return;
        n = strlen(link);
        for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
                unsigned long long rx, tx;

                line += strspn(line, " ");
                if (!strneq(line, link, n) || line[n] != ':')
                        continue;
                if (sscanf(line + n + 1, "%llu %*u %*u %*u %*u %*u %*u %*u %llu", &rx, &tx) != 2)
                        return;
                /* What the host's side sent the machine received. */
                s->net_rx_bytes = tx;
                s->net_tx_bytes = rx;
                return;
        }
}

int machine_stats_read(const MachineCgroup *c, const char *link, pid_t supervisor, MachineStats *ret) {
        _cleanup_free_ char *payload = NULL;
        const char *pids = v1_dir(c, "pids");

        memset(ret, 0xff, sizeof *ret); /* all UNKNOWN */
        if (c->unified_mount && c->path) {
                payload = strjoin(c->unified_mount, c->path, "/payload");
                if (!payload)
                        return -ENOMEM;
        }
        read_cpu(payload, ret);
        read_memory(c, payload, ret);
        ret->tasks = read_number(pids ?: payload, "pids.current");
        read_io(c, payload, ret);
        read_net(link, supervisor, ret);
        return 0;
}
