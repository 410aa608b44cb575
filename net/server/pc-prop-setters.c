/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "pc-prop-setters.h"

void
pc_prop_set_bytes (gpointer self, GBytes **field, const GValue *value, GParamSpec *pspec)
{
  GBytes *bytes = g_value_get_boxed (value);

  if (*field == bytes || (*field != NULL && bytes != NULL && g_bytes_equal (*field, bytes)))
    return;
  g_clear_pointer (field, g_bytes_unref);
  *field = bytes != NULL ? g_bytes_ref (bytes) : NULL;
  g_object_notify_by_pspec (G_OBJECT (self), pspec);
}

void
pc_prop_set_strv (gpointer self, GStrv *field, const GValue *value, GParamSpec *pspec)
{
  const char *const *strv = g_value_get_boxed (value);

  if ((*field == NULL && strv == NULL)
      || (*field != NULL && strv != NULL && g_strv_equal ((const char *const *)*field, strv)))
    return;
  g_strfreev (*field);
  *field = g_strdupv ((char **)strv);
  g_object_notify_by_pspec (G_OBJECT (self), pspec);
}

void
pc_prop_set_uint (gpointer self, guint *field, const GValue *value, GParamSpec *pspec)
{
  if (*field == g_value_get_uint (value))
    return;
  *field = g_value_get_uint (value);
  g_object_notify_by_pspec (G_OBJECT (self), pspec);
}

void
pc_prop_set_double (gpointer self, double *field, const GValue *value, GParamSpec *pspec)
{
  if (*field == g_value_get_double (value))
    return;
  *field = g_value_get_double (value);
  g_object_notify_by_pspec (G_OBJECT (self), pspec);
}
