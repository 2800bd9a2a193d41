/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <string.h>

#include "machined.h"
#include "string-util.h"

#define MACHINED_PATH "/org/freedesktop/machine1"
#define MACHINED_MANAGER "org.freedesktop.machine1.Manager"

static int new_register_call(sd_bus *bus, const MachineRegistration *m, sd_bus_message **ret) {
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
        *ret = TAKE_PTR(call);
        return 0;
}

int machined_register(sd_bus *bus, const MachineRegistration *m, char **ret_message) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
        int r;

        r = new_register_call(bus, m, &call);
        if (r < 0)
                return r;
        r = sd_bus_call(bus, call, 0, &error, NULL);
        return bus_take_error(r, &error, ret_message);
}

int machined_register_async(sd_bus *bus, const MachineRegistration *m, sd_bus_message_handler_t callback,
                            void *userdata, sd_bus_slot **ret_slot) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
        int r;

        r = new_register_call(bus, m, &call);
        if (r < 0)
                return r;
        return sd_bus_call_async(bus, ret_slot, call, callback, userdata, 0);
}

int machined_unregister(sd_bus *bus, const char *name, char **ret_message) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
        int r;

        r = sd_bus_message_new_method_call(bus, &call, MACHINED_SERVICE, MACHINED_PATH, MACHINED_MANAGER,
                                           "UnregisterMachine");
        if (r >= 0)
                r = sd_bus_message_append(call, "s", name);
        if (r < 0)
                return r;
        /* Bounded: a machined that stalls must not keep us (or the next
         * berth command cleaning up) waiting long. */
        r = sd_bus_call(bus, call, MACHINED_UNREGISTER_TIMEOUT, &error, NULL);
        if (r < 0 && sd_bus_error_has_name(&error, "org.freedesktop.machine1.NoSuchMachine"))
                return 0;
        return bus_take_error(r, &error, ret_message);
}
