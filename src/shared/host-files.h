/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "network-config.h"

/* The machine's /etc/resolv.conf and /etc/localtime, from the host's, as
 * systemd-nspawn's --resolv-conf= and --timezone= make them. Worked out on
 * the host (host_file_plan_*()), before the machine starts; done in the
 * machine's root by its init-to-be, as the machine's root
 * (host_files_apply()), except a bind, which is a mount of the outer child
 * (custom-mount.h). Nothing follows a symlink of the tree: a copy into a
 * symlink is skipped, a replacement replaces the link itself. */

typedef enum HostFileAction {
        HOST_FILE_KEEP,    /* leave the tree's alone */
        HOST_FILE_COPY,    /* write text into it (or create it) */
        HOST_FILE_REPLACE, /* replace it, whatever it is, with text */
        HOST_FILE_BIND,    /* bind source over it, read-only */
        HOST_FILE_DELETE,
        HOST_FILE_SYMLINK, /* make it a symlink to text */
} HostFileAction;

typedef struct HostFile {
        HostFileAction action;
        const char *path; /* in the machine: "/etc/resolv.conf" */
        char *text;       /* COPY, REPLACE: the contents; SYMLINK: the target */
        char *source;     /* BIND: the host's file */
} HostFile;

void host_file_done(HostFile *f);

/* Where the uplink DNS servers are when systemd-resolved runs, and its
 * stub's file. */
#define RESOLVED_UPLINK_RESOLV_CONF "/run/systemd/resolve/resolv.conf"
#define RESOLVED_STUB_RESOLV_CONF "/run/systemd/resolve/stub-resolv.conf"
#define STATIC_RESOLV_CONF "/usr/lib/systemd/resolv.conf"

typedef struct ResolvConfContext {
        bool private_network; /* the machine has a network namespace of its own */
        bool nat;             /* … that berth routes and masquerades (veth, zone) */
        const char *root;     /* tests: prefix of the host paths read (NULL: /) */
} ResolvConfContext;

/* "auto": with berth's NAT, the uplink servers (resolved's list, or the
 * host's resolv.conf when it names servers other than loopback ones: a
 * stub at 127.0.0.53 is not reachable from the machine); with another
 * private network, nothing; with the host's network, resolved's stub file
 * when there is one, else the host's file. Returns 1 when "auto" found no
 * servers a NAT'd machine can reach (*ret is KEEP then), else 0. */
int host_file_plan_resolv_conf(ResolvConfMode mode, const ResolvConfContext *ctx, HostFile *ret);

/* "auto": a symlink to the host's zone when the host's /etc/localtime is
 * one, a copy when it is a file (it replaces the tree's, even a symlink,
 * as systemd-nspawn's does), a deletion when there is none. root: as
 * above. */
int host_file_plan_timezone(TimezoneMode mode, const char *root, HostFile *ret);

/* Does one in the tree at root_fd (not BIND). -ELOOP from a COPY over a
 * symlink, which is skipped; other errors are the caller's to report. */
int host_file_apply(const HostFile *f, int root_fd);
