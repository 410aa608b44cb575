/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pc-headless.h: `peercall --headless`: the whole command line with no display, no GTK and no
 * GApplication (so no D-Bus session either). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Parses argv and runs until done; returns the exit status (0 done, 1 failed, 2 bad usage). */
int pc_headless_run (int argc, char **argv);

G_END_DECLS
