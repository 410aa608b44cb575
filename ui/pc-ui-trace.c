/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "peercall-ui"

#include "config.h"

#include <json-glib/json-glib.h>
#include <stdio.h>

#include "pc-ui-trace.h"

static FILE *trace_file = NULL;

static void
pc_ui_trace_init (void)
{
  static gsize initialized = 0;

  if (g_once_init_enter (&initialized))
    {
      const char *path = g_getenv ("PEERCALL_UI_TRACE");

      if (path != NULL && *path != '\0')
        {
          trace_file = fopen (path, "a");
          if (trace_file == NULL)
            g_warning ("Cannot open PEERCALL_UI_TRACE file %s", path);
        }
      g_once_init_leave (&initialized, 1);
    }
}

gboolean
pc_ui_trace_enabled (void)
{
  pc_ui_trace_init ();
  return trace_file != NULL;
}

void
pc_ui_trace (const char *what, ...)
{
  g_autoptr (JsonBuilder) builder = NULL;
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *line = NULL;
  const char *key;
  va_list args;

  if (!pc_ui_trace_enabled ())
    return;

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "ui");
  json_builder_add_string_value (builder, what);
  json_builder_set_member_name (builder, "t_ms");
  json_builder_add_int_value (builder, g_get_monotonic_time () / 1000);

  va_start (args, what);
  while ((key = va_arg (args, const char *)) != NULL)
    {
      const char *value = va_arg (args, const char *);

      json_builder_set_member_name (builder, key);
      json_builder_add_string_value (builder, value != NULL ? value : "");
    }
  va_end (args);

  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  line = json_to_string (root, FALSE);
  fprintf (trace_file, "%s\n", line);
  fflush (trace_file);
}
