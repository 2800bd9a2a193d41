/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <string.h>
#include <systemd/sd-daemon.h>

#include "string-util.h"
#include "systemd-manager.h"
#include "time-util.h"

#define SYSTEMD_SERVICE "org.freedesktop.systemd1"
#define SYSTEMD_PATH "/org/freedesktop/systemd1"
#define SYSTEMD_MANAGER "org.freedesktop.systemd1.Manager"

static int new_call(sd_bus *bus, const char *method, sd_bus_message **ret) {
        return sd_bus_message_new_method_call(bus, ret, SYSTEMD_SERVICE, SYSTEMD_PATH, SYSTEMD_MANAGER, method);
}

int systemd_manager_present(SystemBus *b, sd_bus **ret) {
        sd_bus *bus = NULL;
        int r;

        /* Not booted with systemd (no /run/systemd/system): it can't be.
         * Booted with it, we still ask the bus: systemd may be gone, or
         * not there yet. */
        if (sd_booted() <= 0)
                return 0;
        r = system_bus_get(b, &bus);
        if (r < 0)
                return 0;
        r = bus_name_has_owner(bus, SYSTEMD_SERVICE);
        if (r <= 0)
                return r;
        if (ret)
                *ret = bus;
        return 1;
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
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
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
                return bus_take_error(r, &error, ret_message);
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

        r = new_call(bus, method, &call);
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

        r = new_call(bus, "StartTransientUnit", &call);
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

static int append_property(sd_bus_message *m, const UnitProperty *p) {
        int r;

        if (!p->is_bytes && !p->paths)
                return sd_bus_message_append(m, "(sv)", p->name, "t", p->value);
        r = sd_bus_message_open_container(m, 'r', "sv");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", p->name);
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'v', p->is_bytes ? "ay" : "a(st)");
        if (r >= 0 && p->is_bytes)
                r = sd_bus_message_append_array(m, 'y', p->bytes, p->n_bytes);
        else if (r >= 0) {
                r = sd_bus_message_open_container(m, 'a', "(st)");
                for (size_t i = 0; r >= 0 && p->paths[i]; i++)
                        r = sd_bus_message_append(m, "(st)", p->paths[i], p->values[i]);
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        return r >= 0 ? sd_bus_message_close_container(m) : r;
}

int systemd_set_unit_properties(sd_bus *bus, const char *unit, const UnitProperty *properties, size_t n,
                                char **ret_message) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
        int r;

        r = new_call(bus, "SetUnitProperties", &call);
        if (r < 0)
                return r;
        /* runtime: until the unit goes, as for a transient scope. */
        r = sd_bus_message_append(call, "sb", unit, 1);
        if (r >= 0)
                r = sd_bus_message_open_container(call, 'a', "(sv)");
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = append_property(call, &properties[i]);
        if (r >= 0)
                r = sd_bus_message_close_container(call);
        if (r < 0)
                return r;

        r = sd_bus_call(bus, call, 0, &error, NULL);
        return r < 0 ? bus_take_error(r, &error, ret_message) : 0;
}

int systemd_reload(sd_bus *bus, char **ret_message) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        /* Replies once the reload is done. */
        r = sd_bus_call_method(bus, SYSTEMD_SERVICE, SYSTEMD_PATH, SYSTEMD_MANAGER, "Reload", &error, NULL, NULL);
        return r < 0 ? bus_take_error(r, &error, ret_message) : 0;
}
