/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pc-event-printer.h: the `--events FILE|-` JSON lines of DESIGN.md, one object a line, each with
 * `event` and `t_ms` (monotonic milliseconds since the printer's start time). */
#pragma once

#include <gio/gio.h>

#include "pc-call-manager.h"

G_BEGIN_DECLS

#define PC_TYPE_EVENT_PRINTER (pc_event_printer_get_type ())
G_DECLARE_FINAL_TYPE (PcEventPrinter, pc_event_printer, PC, EVENT_PRINTER, GObject)

/* path "-" writes to stdout. start_time is a g_get_monotonic_time () value (0: now). */
PcEventPrinter *pc_event_printer_new (const char *path, gint64 start_time, GError **error);

/* Prints the manager's events from now on: registered, presence, call-state, ice-state,
 * first-frame, stats, latency, error (DESIGN.md), plus video-source {call, kind} and
 * negotiation {call, type}. */
void pc_event_printer_attach (PcEventPrinter *self, PcCallManager *manager);

void pc_event_printer_print_error (PcEventPrinter *self, const char *code, const char *message);
void pc_event_printer_print_gerror (PcEventPrinter *self, const GError *error);

G_END_DECLS
