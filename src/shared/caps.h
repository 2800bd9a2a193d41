/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

#include "macro.h"

/* The capability bounding set a machine gets: systemd-nspawn's default, so
 * that what runs under nspawn runs here. Nothing in it lets the machine load
 * modules, set the host clock, or reach raw devices. CAP_NET_ADMIN only with
 * a private network. */
uint64_t caps_machine_default(bool private_network) _pure_;

/* Drops every capability not in keep from the bounding set (and from the
 * inheritable and ambient sets). */
int caps_limit_bounding_set(uint64_t keep);
