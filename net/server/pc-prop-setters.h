/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pc-prop-setters.h: set_property helpers for PcSignalingServer: store @value in @field and
 * notify @pspec on @self only when the value changed. */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

void pc_prop_set_bytes (gpointer self, GBytes **field, const GValue *value, GParamSpec *pspec);
void pc_prop_set_strv (gpointer self, GStrv *field, const GValue *value, GParamSpec *pspec);
void pc_prop_set_uint (gpointer self, guint *field, const GValue *value, GParamSpec *pspec);
void pc_prop_set_double (gpointer self, double *field, const GValue *value, GParamSpec *pspec);

G_END_DECLS
