/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <string.h>

#include "machined.h"
#include "string-util.h"
#include "time-util.h"

#define MACHINED_SERVICE "org.freedesktop.machine1"
#define MACHINED_PATH "/org/freedesktop/machine1"
#define MACHINED_MANAGER "org.freedesktop.machine1.Manager"
#define SYSTEMD_SERVICE "org.freedesktop.systemd1"
#define SYSTEMD_PATH "/org/freedesktop/systemd1"
#define SYSTEMD_MANAGER "org.freedesktop.systemd1.Manager"

static void bus_error_freep(sd_bus_error *e) {
        sd_bus_error_free(e);
}

static int take_error(int r, const sd_bus_error *e, char **ret_message) {
        if (ret_message)
                *ret_message = e && e->message ? strdup(e->message) : NULL;
        return r;
}

int machined_bus_open(sd_bus **ret) {
        return sd_bus_open_system(ret);
}

int machined_name_has_owner(sd_bus *bus, const char *name) {
        _cleanup_(bus_error_freep) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int has = 0, r;

        r = sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                               "NameHasOwner", &error, &reply, "s", name);
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "b", &has);
        if (r < 0)
                return r;
        if (has)
                return 1;

        /* Not running, but maybe activatable. */
        sd_bus_message_unref(reply);
        reply = NULL;
        r = sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                               "ListActivatableNames", &error, &reply, NULL);
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(reply, 'a', "s");
        if (r < 0)
                return r;
        for (;;) {
                const char *n;

                r = sd_bus_message_read(reply, "s", &n);
                if (r < 0)
                        return r;
                if (r == 0)
                        return 0;
                if (streq(n, name))
                        return 1;
        }
}

int machined_register(sd_bus *bus, const MachineRegistration *m, char **ret_message) {
        _cleanup_(bus_error_freep) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
        int r;

        r = sd_bus_message_new_method_call(bus, &call, MACHINED_SERVICE, MACHINED_PATH, MACHINED_MANAGER,
                                           "RegisterMachineWithNetwork");
        if (r < 0)
                return r;
        r = sd_bus_message_append(call, "s", m->name);
        if (r >= 0)
                r = sd_bus_message_append_array(call, 'y', m->uuid.bytes, sizeof m->uuid.bytes);
        if (r >= 0)
                r = sd_bus_message_append(call, "ssus", m->service, m->class, (uint32_t) m->leader,
                                          strempty(m->root_directory));
        if (r >= 0)
                r = sd_bus_message_append_array(call, 'i', m->ifindices, m->n_ifindices * sizeof(int));
        if (r < 0)
                return r;

        r = sd_bus_call(bus, call, 0, &error, NULL);
        return take_error(r, &error, ret_message);
}

int machined_unregister(sd_bus *bus, const char *name, char **ret_message) {
        _cleanup_(bus_error_freep) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_call_method(bus, MACHINED_SERVICE, MACHINED_PATH, MACHINED_MANAGER, "UnregisterMachine", &error,
                               NULL, "s", name);
        if (r < 0 && sd_bus_error_has_name(&error, "org.freedesktop.machine1.NoSuchMachine"))
                return 0;
        return take_error(r, &error, ret_message);
}

typedef struct JobWait {
        const char *job;
        bool done;
        char *result;
} JobWait;

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        JobWait *w = userdata;
        const char *path, *unit, *result;
        uint32_t id;

        if (sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) < 0)
                return 0;
        if (w->job && streq(path, w->job)) {
                w->done = true;
                w->result = strdup(result);
        }
        return 0;
}

/* Waits (up to 30 s) for JobRemoved of job, seen through the match in w. */
static int wait_for_job(sd_bus *bus, JobWait *w, const char *unit, char **ret_message) {
        int r;

        for (usec_t end = now(CLOCK_MONOTONIC) + 30 * USEC_PER_SEC; !w->done;) {
                usec_t n = now(CLOCK_MONOTONIC);

                if (n >= end)
                        return -ETIMEDOUT;
                r = sd_bus_process(bus, NULL);
                if (r < 0)
                        return r;
                if (r > 0)
                        continue;
                r = sd_bus_wait(bus, end - n);
                if (r < 0)
                        return r;
        }

        r = streq_ptr(w->result, "done") ? 0 : -EIO;
        if (r < 0 && ret_message)
                *ret_message = strdup_printf("the job for %s ended with '%s'", unit, strna(w->result));
        free(w->result);
        w->result = NULL;
        return r;
}

/* Sends call (a method of systemd's manager that returns a job) and waits
 * for the job to end. The match comes first, so that the job's end can't
 * pass unseen. */
static int call_and_wait(sd_bus *bus, sd_bus_message *call, const char *unit, char **ret_message) {
        _cleanup_(bus_error_freep) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
        JobWait w = {};
        const char *job;
        int r;

        r = sd_bus_match_signal(bus, &slot, SYSTEMD_SERVICE, SYSTEMD_PATH, SYSTEMD_MANAGER, "JobRemoved",
                                on_job_removed, &w);
        if (r < 0)
                return r;
        r = sd_bus_call(bus, call, 0, &error, &reply);
        if (r < 0)
                return take_error(r, &error, ret_message);
        r = sd_bus_message_read(reply, "o", &job);
        if (r < 0)
                return r;
        w.job = job;
        return wait_for_job(bus, &w, unit, ret_message);
}

/* StartUnit or StopUnit, and wait for its job. */
static int unit_job(sd_bus *bus, const char *method, const char *unit, char **ret_message) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
        int r;

        r = sd_bus_message_new_method_call(bus, &call, SYSTEMD_SERVICE, SYSTEMD_PATH, SYSTEMD_MANAGER, method);
        if (r >= 0)
                r = sd_bus_message_append(call, "ss", unit, "replace");
        if (r < 0)
                return r;
        return call_and_wait(bus, call, unit, ret_message);
}

int systemd_start_unit(sd_bus *bus, const char *unit, char **ret_message) {
        return unit_job(bus, "StartUnit", unit, ret_message);
}

int systemd_start_scope(sd_bus *bus, const char *scope, const char *slice, const char *description, pid_t pid,
                        char **ret_message) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
        int r;

        r = sd_bus_message_new_method_call(bus, &call, SYSTEMD_SERVICE, SYSTEMD_PATH, SYSTEMD_MANAGER,
                                           "StartTransientUnit");
        if (r < 0)
                return r;
        r = sd_bus_message_append(call, "ss", scope, "fail");
        if (r >= 0)
                r = sd_bus_message_open_container(call, 'a', "(sv)");
        if (r >= 0)
                r = sd_bus_message_append(call, "(sv)(sv)(sv)(sv)(sv)", "Slice", "s", slice, "Description", "s",
                                          description, "Delegate", "b", 1, "CollectMode", "s", "inactive-or-failed",
                                          "AddRef", "b", 1);
        if (r >= 0)
                r = sd_bus_message_append(call, "(sv)", "PIDs", "au", 1, (uint32_t) pid);
        if (r >= 0)
                r = sd_bus_message_close_container(call);
        if (r >= 0)
                r = sd_bus_message_append(call, "a(sa(sv))", 0);
        if (r < 0)
                return r;
        return call_and_wait(bus, call, scope, ret_message);
}

int systemd_stop_unit(sd_bus *bus, const char *unit, char **ret_message) {
        return unit_job(bus, "StopUnit", unit, ret_message);
}

int systemd_set_unit_properties(sd_bus *bus, const char *unit, const char *const *names, const uint64_t *values,
                                size_t n, char **ret_message) {
        _cleanup_(bus_error_freep) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
        int r;

        r = sd_bus_message_new_method_call(bus, &call, SYSTEMD_SERVICE, SYSTEMD_PATH, SYSTEMD_MANAGER,
                                           "SetUnitProperties");
        if (r < 0)
                return r;
        /* runtime: until the unit goes, as for a transient scope. */
        r = sd_bus_message_append(call, "sb", unit, 1);
        if (r >= 0)
                r = sd_bus_message_open_container(call, 'a', "(sv)");
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = sd_bus_message_append(call, "(sv)", names[i], "t", values[i]);
        if (r >= 0)
                r = sd_bus_message_close_container(call);
        if (r < 0)
                return r;

        r = sd_bus_call(bus, call, 0, &error, NULL);
        return r < 0 ? take_error(r, &error, ret_message) : 0;
}

int systemd_reload(sd_bus *bus, char **ret_message) {
        _cleanup_(bus_error_freep) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        /* Replies once the reload is done. */
        r = sd_bus_call_method(bus, SYSTEMD_SERVICE, SYSTEMD_PATH, SYSTEMD_MANAGER, "Reload", &error, NULL, NULL);
        return r < 0 ? take_error(r, &error, ret_message) : 0;
}
