/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <string.h>

#include "bus-util.h"
#include "string-util.h"

int system_bus_get(SystemBus *b, sd_bus **ret) {
        int r;

        /* A connection an event loop closed on its way out (sd-bus does,
         * for a bus attached to it): a new one. */
        if (b->bus && sd_bus_is_open(b->bus) <= 0)
                b->bus = sd_bus_flush_close_unref(b->bus);
        if (!b->bus && b->error == 0) {
                r = sd_bus_open_system(&b->bus);
                if (r < 0)
                        b->error = r;
        }
        if (b->error < 0)
                return b->error;
        *ret = b->bus;
        return 0;
}

void system_bus_close(SystemBus *b) {
        b->bus = sd_bus_flush_close_unref(b->bus);
        b->error = 0;
}

int bus_name_has_owner(sd_bus *bus, const char *name) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
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
        reply = sd_bus_message_unref(reply);
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
                if (r <= 0)
                        return r;
                if (streq(n, name))
                        return 1;
        }
}

int bus_take_error(int r, const sd_bus_error *e, char **ret_message) {
        if (ret_message)
                *ret_message = e && e->message ? strdup(e->message) : NULL;
        return r;
}
