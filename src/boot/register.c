/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Registration with systemd-machined, so that machinectl, systemctl -M,
 * journalctl -M and systemd-run -M work on our machines. machined finds the
 * machine's unit from its init's cgroup (see cgroups.c). We keep no bus
 * connection afterwards: machined restarting can't touch the machine. The
 * undo log unregisters it (also after a SIGKILL, through the next berth
 * command). */

#include <string.h>

#include "boot.h"
#include "log.h"
#include "machined.h"
#include "string-util.h"

int machine_register(Machine *m) {
        RegisterMode mode = m->config->register_mode;
        _cleanup_free_ char *message = NULL;
        int r;

        if (mode == REGISTER_NO)
                return 0;

        if (!m->bus) {
                r = machined_bus_open(&m->bus);
                if (r < 0) {
                        if (mode == REGISTER_YES)
                                return log_error_errno(r, "Failed to connect to the system bus to register: %m");
                        log_debug_errno(r, "No system bus, not registering machine '%s': %m", m->name);
                        return 0;
                }
        }

        r = machined_name_has_owner(m->bus, "org.freedesktop.machine1");
        if (r <= 0) {
                if (mode == REGISTER_YES)
                        return log_error_errno(r < 0 ? r : SYNTHETIC_ERRNO(EHOSTDOWN),
                                               "Failed to register machine '%s': systemd-machined is not on the system "
                                               "bus.",
                                               m->name);
                log_debug("No systemd-machined on the system bus, not registering machine '%s'.", m->name);
                m->bus = sd_bus_flush_close_unref(m->bus);
                return 0;
        }

        r = machine_intend(m, UNDO_MACHINED, m->name);
        if (r < 0)
                return r;

        MachineRegistration reg = {
                .name = m->name,
                .uuid = m->uuid,
                .service = "berth",
                .class = "container",
                .leader = m->leader,
                .root_directory = m->root,
        };
        r = machined_register(m->bus, &reg, &message);
        m->bus = sd_bus_flush_close_unref(m->bus);
        if (r < 0) {
                undo_log_forget(&m->record.undo, UNDO_MACHINED, m->name);
                if (mode == REGISTER_YES)
                        return log_error_errno(r, "Failed to register machine '%s' with systemd-machined: %s", m->name,
                                               message ?: strerror(ERRNO_VALUE(r)));
                log_warning_errno(r, "Failed to register machine '%s' with systemd-machined, ignoring: %s", m->name,
                                  message ?: strerror(ERRNO_VALUE(r)));
                return 0;
        }

        log_debug("Registered machine '%s' with systemd-machined.", m->name);
        m->registered = true;
        return 0;
}
