/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "boot-config.h"
#include "cgroup.h"
#include "console-log.h"
#include "lock-util.h"
#include "ptyfwd.h"
#include "registry.h"

/* The supervisor: `berth boot` and `berth run`.
 *
 * Three processes take part in starting a machine:
 *
 *   supervisor  (host namespaces) prepares what lives on the host: locks,
 *               the UID range and its user namespace, the cgroup, the
 *               console pty. Stays for the machine's whole life.
 *   outer child (a private mount namespace, host privileges) mounts the
 *               root and the API filesystems the machine must not undo,
 *               then joins the machine's user namespace and clones:
 *   inner child (all the machine's namespaces; PID 1) mounts what only a
 *               process inside can mount, switches root and execs init.
 *
 * The inner child is cloned with CLONE_PARENT: it is the supervisor's child,
 * so the supervisor reaps it and gets its exit status.
 *
 * Both children share the supervisor's memory (CLONE_VM|CLONE_VFORK): the
 * supervisor waits while the outer child works, the outer child while the
 * inner one works, until it execs init. No page tables are copied, which
 * makes starting a machine about as cheap as starting a process. */

#define DEFAULT_INIT_PATH "/sbin/init"

/* Where the outer child mounts the machine's root, in its own mount
 * namespace only: an empty directory on the host that anybody may walk
 * through, unlike the directories trees usually live in. */
#define STAGING_DIR BERTH_RUNTIME_DIR "/root"
/* Where the outer child mounts a fully visible procfs, when the host's is
 * covered (see mount_setup_proc_is_covered()). */
#define PROC_HELPER_DIR BERTH_RUNTIME_DIR "/proc"

/* Who made the machine's cgroup, and so who removes it. */
typedef enum CGroupMode {
        CGROUP_MODE_OWN,     /* no systemd: we make machine.slice/machine-NAME.scope */
        CGROUP_MODE_SYSTEMD, /* systemd is PID 1: a transient scope it made for us */
        CGROUP_MODE_UNIT,    /* --keep-unit: the cgroup of the unit we run in */
} CGroupMode;

typedef struct Machine {
        const BootConfig *config;

        char *name;
        char *root;  /* absolute path of the tree */
        int root_fd; /* O_PATH of the tree, on the host */
        Id128 uuid;
        bool bind_machine_id;
        bool proc_helper;          /* the host's /proc is covered: mount a visible one */
        CustomMount journal_mount; /* --link-journal=host: its bind (source NULL: none) */
        ConsoleMode console;
        char *hostname;
        char *host_os_release;
        pid_t supervisor_pid;
        int supervisor_pidfd; /* lets the children notice that we died */

        /* The user namespace. uid_count == 0: none (--private-users=no). */
        uid_t uid_base, uid_count;
        Ownership ownership; /* what is done: map, chown or off */
        LockFile uid_lock;
        int userns_fd;
        int root_tree_fd; /* the tree, idmapped and detached (ownership map) */

        LockFile name_lock;
        LockFile image_lock;

        CGroupLayout cgroup_layout;
        CGroupMode cgroup_mode;
        char *unified_mount;
        char *cgroup;        /* the machine's: a scope or a unit's, relative to unified_mount */
        char *cgroup_origin; /* where the supervisor was before */
        char *unit;          /* the unit the machine's cgroup belongs to */

        sd_bus *bus; /* the system bus, while we set up */
        bool registered;

        int pty_master;
        int pty_slave; /* kept open, so that the master never sees a hangup */
        char *pty_slave_path;
        ConsoleLog *console_log; /* the last console lines, for berth status */

        int sync_fd; /* the supervisor's end of the socket to the children */
        int notify_fd;
        pid_t outer_pid;
        pid_t leader;
        int leader_pidfd;

        MachineRecord record;

        /* Supervision */
        sd_event *event;
        PTYForward *forward;
        unsigned n_terminate_requests;
        bool timed_out;
        int exit_status;
} Machine;

/* Boots or runs a machine and supervises it until it stops. Returns the exit
 * status berth should end with (>= 0), or a negative errno after logging. */
int boot_machine(const BootConfig *config);

/* host-setup.c: the supervisor's preparation on the host. */
int machine_lock(Machine *m);
int machine_intend(Machine *m, UndoType type, const char *path);
int machine_setup_userns(Machine *m);
/* cgroups.c */
int machine_plan_cgroup(Machine *m);
int machine_setup_cgroup(Machine *m);
/* limits.c: the machine's v1 cgroups on a hybrid host, and its limits. */
int machine_plan_limits(Machine *m);
int machine_setup_limits(Machine *m);

/* journal-link.c: --link-journal= */
int machine_setup_journal_link(Machine *m);

/* register.c: with systemd-machined, when there is one. */
int machine_register(Machine *m);
int machine_setup_console(Machine *m);
void machine_undo_host(Machine *m);
int machine_write_record(Machine *m, MachineState state);

/* outer-child.c, inner-child.c: the children, started with clone() in our
 * memory (see clone_in_our_memory()); they never return. */
typedef struct ChildArgs {
        Machine *machine;
        int sync_fd;  /* the child's end of the sync socket */
        int close_fd; /* the supervisor's end, for the child to close */
} ChildArgs;

int outer_child_main(void *args);
int inner_child_main(void *args);
_noreturn_ void inner_child(Machine *m, int sync_fd);

/* stub-init.c: PID 1 for `run --as-pid2`. Returns the exit status. */
int stub_init(pid_t main_child);

/* journal.c: under a unit, our messages go to the journal with MACHINE=name
 * (NULL: back to stderr). name must stay valid until then. */
void machine_log_to_journal(const char *name);

/* supervise.c */
int machine_supervise(Machine *m);
