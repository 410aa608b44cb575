/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "peercall-media"

#include "config.h"

#include "pc-media-error.h"

/* Written out: clang-format turns G_DEFINE_QUARK's bare-word name into "pc - media - ...". */
GQuark
pc_media_error_quark (void)
{
  return g_quark_from_static_string ("pc-media-error-quark");
}
