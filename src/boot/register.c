/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Registration with systemd-machined, so that machinectl, systemctl -M,
 * journalctl -M and systemd-run -M work on our machines. machined finds the
 * machine's unit from its init's cgroup (see cgroups.c).
 *
 * The call is made without waiting: a machined that is slow or stalled
 * must not hold the machine back, which runs (and can be entered) at once
 * and is registered when machined answers. Then the bus is closed: no
 * connection stays, so machined or the bus restarting can't touch the
 * machine. The undo log unregisters it (also after a SIGKILL, through the
 * next berth command). */

#include <signal.h>
#include <string.h>

#include "log.h"
#include "register.h"
#include "string-util.h"

static int on_await_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        Registration *r = userdata;

        log_debug("No answer from systemd-machined for machine '%s': not waiting any longer.", r->name);
        return sd_event_exit(r->event, 0);
}

int registration_await_answer(Registration *r) {
        int k;

        if (!r || !r->slot)
                return 0;
        k = sd_event_add_time_relative(r->event, &r->await, CLOCK_MONOTONIC, MACHINED_UNREGISTER_TIMEOUT, 0,
                                       on_await_timeout, r);
        return k < 0 ? 0 : 1;
}

void registration_done(Registration *r) {
        r->await = sd_event_source_disable_unref(r->await);
        /* Still no answer (we waited): machined may register the machine
         * yet, so the undo log's UnregisterMachine stays. */
        r->slot = sd_bus_slot_unref(r->slot);
        free(r->name);
        r->name = NULL;
}

/* Whether machined is there to register with: 1, 0 (go on without it), or
 * an error (logged) where the mode demands it. */
static int find_machined(RegisterMode mode, const char *name, SystemBus *bus, sd_bus **ret) {
        int r;

        r = system_bus_get(bus, ret);
        if (r < 0) {
                if (mode == REGISTER_YES)
                        return log_error_errno(r, "Failed to connect to the system bus to register: %m");
                log_debug_errno(r, "No system bus, not registering machine '%s': %m", name);
                return 0;
        }
        r = bus_name_has_owner(*ret, MACHINED_SERVICE);
        if (r > 0)
                return 1;
        if (mode == REGISTER_YES)
                return log_error_errno(r < 0 ? r : SYNTHETIC_ERRNO(EHOSTDOWN),
                                       "Failed to register machine '%s': systemd-machined is not on the system bus.",
                                       name);
        log_debug("No systemd-machined on the system bus, not registering machine '%s'.", name);
        return 0;
}

/* Out of the bus's own dispatch: closing it there would pull it from
 * under itself. */
static int on_close_bus(sd_event_source *s, void *userdata) {
        Registration *r = userdata;

        system_bus_close(r->bus);
        return sd_event_source_set_enabled(s, SD_EVENT_OFF);
}

static int on_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Registration *r = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);

        r->slot = sd_bus_slot_unref(r->slot);
        (void) sd_event_add_defer(r->event, NULL, on_close_bus, r);
        if (r->await) /* the machine has ended already, and waited for this */
                (void) sd_event_exit(r->event, 0);
        if (!e) {
                log_debug("Registered machine '%s' with systemd-machined.", r->name);
                r->registered = true;
                (void) r->record->save(r->record);
                return 0;
        }

        record_forget(r->record, UNDO_MACHINED, r->name);
        (void) r->record->save(r->record);
        if (r->await) {
                /* The machine ended first (machined then finds its leader
                 * gone): nothing is lost. */
                log_debug("systemd-machined did not register machine '%s', which has ended: %s", r->name,
                          e->message ?: e->name);
                return 0;
        }
        if (r->mode != REGISTER_YES) {
                log_warning("Failed to register machine '%s' with systemd-machined, ignoring: %s", r->name,
                            e->message ?: e->name);
                return 0;
        }
        /* It was demanded: the machine can't go on without it. */
        r->error = log_error_errno(sd_bus_error_get_errno(e) ?: EIO,
                                   "Failed to register machine '%s' with systemd-machined: %s", r->name,
                                   e->message ?: e->name);
        return raise(SIGTERM) < 0 ? -errno : 0;
}

int machine_register(const MachineRegistration *reg, Registration *r) {
        sd_bus *b = NULL;
        int k;

        if (r->mode == REGISTER_NO)
                return 0;
        k = find_machined(r->mode, reg->name, r->bus, &b);
        if (k <= 0)
                return k;

        r->name = strdup(reg->name);
        if (!r->name)
                return log_oom();
        k = record_intend(r->record, UNDO_MACHINED, reg->name);
        if (k < 0)
                return k;
        k = sd_bus_attach_event(b, r->event, SD_EVENT_PRIORITY_NORMAL);
        if (k >= 0)
                k = machined_register_async(b, reg, on_reply, r, &r->slot);
        if (k < 0) {
                record_forget(r->record, UNDO_MACHINED, reg->name);
                if (r->mode == REGISTER_YES)
                        return log_error_errno(k, "Failed to register machine '%s' with systemd-machined: %m",
                                               reg->name);
                log_warning_errno(k, "Failed to register machine '%s' with systemd-machined, ignoring: %m", reg->name);
        }
        return 0;
}
