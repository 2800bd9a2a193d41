/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* boot_machine(): the supervisor's work as an ordered table of phases.
 *
 * Each phase lives in a file of its own and is given only what it needs:
 * the config and the machine's identity (read-only), the state of earlier
 * phases (read-only), a state of its own to fill, and the record, to say
 * what it is about to do on the host. The adapters below are the only
 * place that knows the whole machine. Phases run in order until one fails;
 * then, or once the machine has ended, the undo steps of every phase that
 * ran (the failed one included) run in reverse order. The last of them,
 * the name's, runs the record's undo log: whatever a phase did on the host
 * and did not take back itself goes then, as it would after a SIGKILL. */

#include <signal.h>
#include <stddef.h>
#include <systemd/sd-daemon.h>

#include "boot.h"
#include "bus-util.h"
#include "cgroups.h"
#include "check.h"
#include "confine.h"
#include "console.h"
#include "fd-util.h"
#include "journal-link.h"
#include "limits-setup.h"
#include "listen-fds.h"
#include "lock.h"
#include "log.h"
#include "machine-paths.h"
#include "machined.h"
#include "network.h"
#include "process-util.h"
#include "record.h"
#include "register.h"
#include "root.h"
#include "start.h"
#include "supervise.h"
#include "time-util.h"
#include "users.h"

typedef struct Machine {
        const BootConfig *config;
        const MachineIdentity *id;
        SystemBus bus; /* opened when a phase first needs it, closed once registered */
        Record record;

        MachineFacts facts;
        MachineLocks locks;
        MachineRoot root;
        MachineUsers users;
        CustomMount journal_mount; /* source NULL: none */
        MachineCgroups cgroups;
        MachineNetwork network;
        MachineConsole console;
        MachineConfinement confinement;
        /* Socket activation: for init, on every boot. */
        MachineListenFds listen_fds;
        MachineProcesses processes;
        sd_event *event;
        Registration registration;
        usec_t deadline;     /* --timeout, from the first boot on */
        bool stop_requested; /* SIGTERM, SIGINT, SIGHUP: a reboot then ends it */
        int exit_status;
} Machine;

#define container_of(ptr, type, member) ((type *) ((char *) (ptr) -offsetof(type, member)))

/* The record, composed from every phase's state: the one place it is
 * written. Its strings are borrowed, never freed. */
static int save_record(Record *rec) {
        Machine *m = container_of(rec, Machine, record);
        MachineRecord r = {
                .name = m->id->name,
                .uuid = m->root.uuid,
                .class = (char *) "container",
                .service = (char *) "berth",
                .mode = (char *) boot_mode_to_string(m->config->mode),
                .state = rec->state,
                .supervisor = m->facts.supervisor_pid,
                .supervisor_starttime = m->facts.supervisor_starttime,
                .leader = m->processes.leader,
                .root = m->id->root,
                .ephemeral = m->config->ephemeral,
                .changes_fd = m->root.overlay_fd >= 0 ? m->root.overlay_fd : -1,
                .uid_base = m->users.uid_base,
                .uid_count = m->users.uid_count,
                .cgroup = m->cgroups.where,
                .registered = m->registration.registered,
                .capabilities = m->confinement.bounding,
                .ambient_capabilities = m->confinement.ambient,
                .no_new_privileges = m->confinement.no_new_privileges,
                .seccomp = m->confinement.seccomp != NULL,
                .selinux_context = m->config->selinux_context,
                .link = m->network.link,
                .zone = m->network.link ? m->config->network.zone : NULL,
                .addresses = m->network.addresses,
                .ports = m->network.ports,
                .since = m->facts.since,
                .undo = rec->undo,
        };
        int k;

        k = registry_write(MACHINES_DIR, &r);
        if (k < 0)
                return log_error_errno(k, "Failed to write record of machine '%s': %m", m->id->name);
        return 0;
}

/* --- The phases, as the machine sees them ---------------------------------- */

static int take_listen_fds(Machine *m) {
        return machine_take_listen_fds(&m->listen_fds);
}

static void close_listen_fds(Machine *m) {
        machine_listen_fds_done(&m->listen_fds);
}

static int prepare(Machine *m) {
        return machine_check(m->config, m->id, &m->facts);
}

static int claim_name(Machine *m) {
        return machine_claim_name(m->id->name, &m->bus, &m->locks);
}

static void release_name(Machine *m) {
        machine_release_name(m->id->name, &m->record, &m->bus, &m->locks);
}

static int lock_tree(Machine *m) {
        return machine_lock_tree(m->config, m->id, &m->record, &m->locks);
}

static void unlock_tree(Machine *m) {
        machine_unlock_tree(&m->locks);
}

static int setup_root(Machine *m) {
        return machine_setup_root(m->config, m->id, &m->locks, &m->record, &m->root);
}

static void release_root(Machine *m) {
        machine_root_done(&m->root);
}

static int setup_users(Machine *m) {
        int r = machine_setup_users(m->config, m->id, &m->root, &m->record, &m->users);

        if (r >= 0)
                log_debug("User namespace ready (base %u, %s).", (unsigned) m->users.uid_base,
                          ownership_to_string(m->users.ownership));
        return r;
}

static void release_users(Machine *m) {
        machine_release_users(&m->users);
}

static int link_journal(Machine *m) {
        JournalLink j = {
                .mode = m->config->link_journal,
                /* Only a directory that the machine writes to keeps a journal. */
                .ephemeral = m->config->ephemeral || m->id->disk || m->id->layered || m->root.read_only ||
                             m->config->volatile_mode != VOLATILE_NO,
                .root = m->id->root,
                .root_fd = m->root.fd,
                .uuid = m->root.uuid,
                .users = &m->users,
        };
        return machine_link_journal(&j, &m->journal_mount);
}

static int setup_cgroups(Machine *m) {
        return machine_setup_cgroups(m->config, m->id->name, m->users.uid_base, &m->bus, &m->record, &m->cgroups);
}

static void leave_cgroups(Machine *m) {
        machine_leave_cgroups(&m->cgroups);
}

static int apply_limits(Machine *m) {
        return machine_apply_limits(m->config, m->id->name, &m->cgroups.where, &m->bus);
}

static int setup_network(Machine *m) {
        return machine_setup_network(m->config, m->id->name, &m->users, m->facts.supervisor_pid, &m->record,
                                     &m->network);
}

static void release_network(Machine *m) {
        machine_release_network(&m->network);
}

static int setup_console(Machine *m) {
        return machine_setup_console(m->config, m->id->name, m->users.uid_base, &m->record, &m->console);
}

static void close_console(Machine *m) {
        machine_console_done(&m->console);
}

static int confine(Machine *m) {
        return machine_setup_confinement(m->config, m->id->name, &m->record, &m->confinement);
}

static void log_start(Machine *m) {
        if (m->config->quiet)
                return;
        if (m->config->mode == BOOT_MODE_RUN && m->console.mode != CONSOLE_INTERACTIVE)
                return;
        log_info("%s machine '%s' from %s.", m->config->mode == BOOT_MODE_BOOT ? "Booting" : "Running", m->id->name,
                 m->id->root);
        if (m->console.mode == CONSOLE_INTERACTIVE)
                log_info("Press ^] three times within 1s to kill the machine.");
}

static int start(Machine *m) {
        _cleanup_close_ int root_mount = -EBADF, usr_mount = -EBADF;
        int r = machine_root_copy_mounts(&m->root, m->users.root_tree_fd, &root_mount, &usr_mount);

        if (r < 0)
                return r;
        SpawnPlan plan = {
                .config = m->config,
                .name = m->id->name,
                .root = m->id->root,
                .facts = &m->facts,
                .tree = &m->root,
                .root_mount_fd = root_mount,
                .usr_mount_fd = usr_mount,
                .users = &m->users,
                .journal_mount = m->journal_mount.source ? &m->journal_mount : NULL,
                .cgroup = &m->cgroups.where,
                .network = &m->network,
                .console = &m->console,
                .confinement = &m->confinement,
                .listen_fds = &m->listen_fds,
        };

        log_start(m);
        r = machine_start(&plan, &m->processes);
        if (r >= 0)
                log_debug("Machine started, leader %i.", m->processes.leader);
        return r;
}

static void stop(Machine *m) {
        /* On its way out: a new machine of the name may wait for us. */
        (void) record_set_state(&m->record, MACHINE_STOPPING);
        machine_stop_processes(&m->processes);
}

static int setup_event_loop(Machine *m) {
        int r;

        /* A loop that has ended can't be run again: each boot gets its own. */
        m->event = sd_event_unref(m->event);
        r = machine_event_new(&m->event);

        /* Published ports on the host's loopback are served from here on. */
        if (r >= 0)
                r = port_relay_attach(m->network.relay, m->event);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the event loop: %m");
        return 0;
}

static void close_event_loop(Machine *m) {
        port_relay_detach(m->network.relay);
}

static int register_machine(Machine *m) {
        MachineRegistration reg = {
                .name = m->id->name,
                .uuid = m->root.uuid,
                .service = "berth",
                .class = "container",
                .leader = m->processes.leader,
                .root_directory = m->id->root,
                .ifindices = m->network.ifindex > 0 ? &m->network.ifindex : NULL,
                .n_ifindices = m->network.ifindex > 0,
        };
        int r;

        m->registration = (Registration) {
                .mode = m->config->register_mode,
                .record = &m->record,
                .bus = &m->bus,
                .event = m->event,
        };
        r = machine_register(&reg, &m->registration);
        /* Until machined answers, the bus is the registration's; without a
         * question to it, nobody needs it while the machine runs. */
        if (!m->registration.slot)
                system_bus_close(&m->bus);
        return r;
}

static void end_registration(Machine *m) {
        registration_done(&m->registration);
}

static int supervise(Machine *m) {
        Supervision s = {
                .event = m->event,
                .config = m->config,
                .name = m->id->name,
                .console = &m->console,
                .processes = &m->processes,
                .cgroup = &m->cgroups.where,
                .record = &m->record,
                .registration = &m->registration,
                .stop_requested = &m->stop_requested,
        };
        int r;

        if (m->deadline == 0)
                m->deadline =
                        m->config->timeout == USEC_INFINITY ? USEC_INFINITY : now(CLOCK_MONOTONIC) + m->config->timeout;
        s.deadline = m->deadline;
        r = record_set_state(&m->record, m->config->mode == BOOT_MODE_RUN ? MACHINE_RUNNING : MACHINE_STARTING);
        if (r < 0)
                return r;
        if (!m->config->notify_ready)
                (void) sd_notify(false, "READY=1\nSTATUS=Machine started.");
        r = machine_supervise(&s, &m->exit_status);
        if (r >= 0)
                m->processes.leader = 0; /* reaped */
        /* --register=yes, and machined said no: the machine was stopped. */
        return r < 0 ? r : m->registration.error;
}

typedef struct Phase {
        const char *name;
        int (*run)(Machine *m);
        void (*undo)(Machine *m);
} Phase;

/* clang-format off */
static const Phase phases[] = {
        /* what                               do                undo             */
        { "take the sockets passed to us",    take_listen_fds,  close_listen_fds },
        { "check the tree and the options",   prepare,          NULL             },
        { "claim the name",                   claim_name,       release_name     },
        { "lock the tree",                    lock_tree,        unlock_tree      },
        { "set up the root",                  setup_root,       release_root     },
        { "set up the user namespace",        setup_users,      release_users    },
        { "link the journal",                 link_journal,     NULL             },
        { "set up the cgroups",               setup_cgroups,    leave_cgroups    },
        { "apply the limits",                 apply_limits,     NULL             },
        { "set up the network",               setup_network,    release_network  },
        { "set up the console",               setup_console,    close_console    },
        { "build the system call filter",     confine,          NULL             },
        { "start the machine",                start,            stop             }, /* a reboot starts here */
        { "set up the event loop",            setup_event_loop, close_event_loop },
        { "register with systemd-machined",   register_machine, end_registration },
        { "supervise the machine",            supervise,        NULL             },
};
/* clang-format on */

static void machine_done(Machine *m) {
        machine_listen_fds_done(&m->listen_fds);
        machine_facts_done(&m->facts);
        machine_root_done(&m->root);
        machine_users_done(&m->users);
        free(m->journal_mount.source);
        free(m->journal_mount.destination);
        machine_cgroups_done(&m->cgroups);
        machine_network_done(&m->network);
        machine_console_done(&m->console);
        machine_confinement_done(&m->confinement);
        machine_processes_done(&m->processes);
        undo_log_done(&m->record.undo);
        system_bus_close(&m->bus);
        sd_event_unref(m->event);
}

/* --reboot=loop, and the machine asked to reboot: it is started again from
 * the phase "start the machine". What the phases before it made (the name,
 * the tree and the tmpfs of an ephemeral machine's changes, the users, the
 * network, the console) stays; the machine's cgroup is made anew. Returns
 * the index of that phase, or 0 when the machine is done. */
static size_t reboot_phase(Machine *m) {
        sigset_t pending;
        size_t n = 0;

        if (!m->config->reboot_loop || m->exit_status != EXIT_FORCE_RESTART)
                return 0;
        /* Asked to stop while it went down: that wins, and it has stopped. */
        if (m->stop_requested ||
            (sigpending(&pending) >= 0 &&
             (sigismember(&pending, SIGTERM) || sigismember(&pending, SIGINT) || sigismember(&pending, SIGHUP)))) {
                log_debug("Asked to stop while machine '%s' rebooted: not booting it again.", m->id->name);
                m->exit_status = EXIT_SUCCESS;
                return 0;
        }
        while (phases[n].run != start)
                n++;
        return n;
}

/* machined keeps a machine until it is unregistered (its scope, ours,
 * lives on): the next boot registers anew, with its own leader. */
static void unregister_for_reboot(Machine *m) {
        sd_bus *b;
        int r;

        if (!m->registration.registered)
                return;
        r = system_bus_get(&m->bus, &b);
        if (r >= 0)
                r = machined_unregister(b, m->id->name, NULL);
        if (r < 0 && r != -ENOENT)
                log_warning_errno(r, "Failed to unregister machine '%s' from systemd-machined before its reboot: %m",
                                  m->id->name);
        record_forget(&m->record, UNDO_MACHINED, m->id->name);
        m->registration.registered = false;
}

static int prepare_reboot(Machine *m) {
        if (!m->config->quiet)
                log_info("Rebooting machine '%s'.", m->id->name);
        unregister_for_reboot(m);
        machine_processes_done(&m->processes);
        m->processes = (MachineProcesses) MACHINE_PROCESSES_NULL;
        system_bus_close(&m->bus); /* attached to the last boot's loop */
        m->exit_status = 0;
        (void) record_set_state(&m->record, MACHINE_STARTING);
        return machine_renew_cgroups(m->config, m->users.uid_base, &m->cgroups);
}

int boot_machine(const BootConfig *config, const MachineIdentity *id) {
        _cleanup_(machine_done) Machine m = {
                .config = config,
                .id = id,
                .record = { .state = MACHINE_STARTING, .save = save_record },
                .facts = { .supervisor_pidfd = -EBADF },
                .locks = MACHINE_LOCKS_NULL,
                .root = MACHINE_ROOT_NULL,
                .users = MACHINE_USERS_NULL,
                .network = MACHINE_NETWORK_NULL,
                .console = MACHINE_CONSOLE_NULL,
                .processes = MACHINE_PROCESSES_NULL,
        };
        size_t n = 0, again;
        int r = 0;

        /* Signals are taken through the event loop; block them before any
         * child exists (children unblock before they exec). */
        if (sigprocmask_many(SIG_BLOCK, NULL, SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGWINCH, -1) < 0)
                return log_error_errno(errno, "Failed to block signals: %m");

        for (;;) {
                while (n < ELEMENTSOF(phases) && r >= 0) {
                        log_debug("Phase: %s.", phases[n].name);
                        r = phases[n++].run(&m);
                }
                again = r >= 0 ? reboot_phase(&m) : 0;
                if (again == 0)
                        break;
                while (n > again)
                        if (phases[--n].undo)
                                phases[n].undo(&m);
                r = prepare_reboot(&m);
        }
        log_debug("%s; undoing.", r < 0 ? "Failed" : "Machine stopped");
        while (n > 0)
                if (phases[--n].undo)
                        phases[n].undo(&m);
        log_debug("Cleaned up.");
        return r < 0 ? r : m.exit_status;
}
