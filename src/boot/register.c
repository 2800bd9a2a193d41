/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Registration with systemd-machined, so that machinectl, systemctl -M,
 * journalctl -M and systemd-run -M work on our machines. machined finds the
 * machine's unit from its init's cgroup (see cgroups.c). The undo log
 * unregisters it (also after a SIGKILL, through the next berth command). */

#include <string.h>

#include "log.h"
#include "register.h"
#include "string-util.h"

/* Whether machined is there to register with: 1, 0 (go on without it), or
 * an error (logged) where mode demands it. */
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

int machine_register(RegisterMode mode, const MachineRegistration *reg, SystemBus *bus, Record *rec,
                     bool *ret_registered) {
        _cleanup_free_ char *message = NULL;
        sd_bus *b = NULL;
        int r;

        *ret_registered = false;
        if (mode == REGISTER_NO)
                return 0;
        r = find_machined(mode, reg->name, bus, &b);
        if (r <= 0)
                return r;

        r = record_intend(rec, UNDO_MACHINED, reg->name);
        if (r < 0)
                return r;
        r = machined_register(b, reg, &message);
        if (r < 0) {
                record_forget(rec, UNDO_MACHINED, reg->name);
                if (mode == REGISTER_YES)
                        return log_error_errno(r, "Failed to register machine '%s' with systemd-machined: %s",
                                               reg->name, message ?: strerror(ERRNO_VALUE(r)));
                log_warning_errno(r, "Failed to register machine '%s' with systemd-machined, ignoring: %s", reg->name,
                                  message ?: strerror(ERRNO_VALUE(r)));
                return 0;
        }

        log_debug("Registered machine '%s' with systemd-machined.", reg->name);
        *ret_registered = true;
        return 0;
}
