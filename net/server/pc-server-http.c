/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pc-server-http.c: /healthz, /metrics and static files for the browser client (see
 * pc-server-http.h). */
#define G_LOG_DOMAIN "peercall-signal"

#include "config.h"

#include <string.h>

#include "pc-server-http.h"
#include "pc-web-root.h"

static void
append_metric (GString *out, const char *name, const char *type, const char *help, guint64 value)
{
  g_string_append_printf (out, "# HELP %s %s\n# TYPE %s %s\n%s %" G_GUINT64_FORMAT "\n", name, help,
                          name, type, name, value);
}

char *
pc_server_metrics_to_text (const PcServerMetrics *metrics)
{
  GString *out = g_string_new (NULL);

  append_metric (out, "peercall_connections", "gauge", "Open WebSocket connections.",
                 metrics->connections);
  append_metric (out, "peercall_registered_users", "gauge", "Signed-in users.",
                 metrics->registered_users);
  append_metric (out, "peercall_active_calls", "gauge", "Answered calls in progress.",
                 metrics->active_calls);
  append_metric (out, "peercall_pending_calls", "gauge", "Calls ringing, not yet answered.",
                 metrics->pending_calls);
  append_metric (out, "peercall_messages_relayed_total", "counter",
                 "Messages relayed from one user to another.", metrics->messages_relayed);
  g_string_append (out, "# HELP peercall_errors_total Error messages sent, by code.\n"
                        "# TYPE peercall_errors_total counter\n");
  for (guint i = 0; i < PC_SERVER_N_ERROR_CODES; i++)
    g_string_append_printf (out, "peercall_errors_total{code=\"%s\"} %" G_GUINT64_FORMAT "\n",
                            pc_protocol_error_to_code (i), metrics->errors[i]);
  return g_string_free (out, FALSE);
}

static void
serve_file (SoupServerMessage *msg, const char *web_root, const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *file = NULL;
  g_autofree char *contents = NULL;
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  gsize len;

  file = pc_web_root_resolve (web_root, path, &error);
  if (file == NULL)
    {
      gboolean forbidden = g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);

      soup_server_message_set_status (
          msg, forbidden ? SOUP_STATUS_FORBIDDEN : SOUP_STATUS_NOT_FOUND, NULL);
      soup_server_message_set_response (msg, "text/plain; charset=utf-8", SOUP_MEMORY_STATIC,
                                        forbidden ? "forbidden\n" : "not found\n", 10);
      return;
    }
  if (!g_file_get_contents (file, &contents, &len, &error))
    {
      g_warning ("Can't read %s: %s", file, error->message);
      soup_server_message_set_status (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, NULL);
      return;
    }

  soup_message_headers_replace (headers, "X-Content-Type-Options", "nosniff");
  soup_message_headers_replace (headers, "Cache-Control", "no-cache");
  soup_message_headers_replace (headers, "Referrer-Policy", "no-referrer");
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, pc_web_root_content_type (file), SOUP_MEMORY_TAKE,
                                    g_steal_pointer (&contents), len);
}

void
pc_server_http_handle (SoupServerMessage *msg,
                       const char *path,
                       const char *web_root,
                       const PcServerMetrics *metrics)
{
  const char *method = soup_server_message_get_method (msg);

  if (g_strcmp0 (method, "GET") != 0 && g_strcmp0 (method, "HEAD") != 0)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow",
                                    "GET, HEAD");
      soup_server_message_set_status (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
      return;
    }

  if (g_strcmp0 (path, "/healthz") == 0)
    {
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      soup_server_message_set_response (msg, "text/plain; charset=utf-8", SOUP_MEMORY_STATIC, "ok",
                                        2);
    }
  else if (g_strcmp0 (path, "/metrics") == 0)
    {
      char *text = pc_server_metrics_to_text (metrics);

      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      soup_server_message_set_response (msg, "text/plain; version=0.0.4; charset=utf-8",
                                        SOUP_MEMORY_TAKE, text, strlen (text));
    }
  else
    serve_file (msg, web_root, path);
}
