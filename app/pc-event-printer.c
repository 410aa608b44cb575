/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "peercall-events"

#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "pc-event-printer.h"

struct _PcEventPrinter
{
  GObject parent_instance;

  FILE *out;
  gboolean owns_out;
  gint64 start_time;
};

G_DEFINE_TYPE (PcEventPrinter, pc_event_printer, G_TYPE_OBJECT)

/* A line is built by hand rather than with JsonGenerator: numbers must stay short ("12.5", not
 * "12.5000000000000001") and the member order fixed (`event`, `t_ms` first) for readers. */
typedef struct
{
  GString *line;
} EventLine;

static void
line_begin (PcEventPrinter *self, EventLine *line, const char *event)
{
  gint64 t_ms = (g_get_monotonic_time () - self->start_time) / 1000;

  line->line = g_string_new ("{\"event\":\"");
  g_string_append (line->line, event);
  g_string_append_printf (line->line, "\",\"t_ms\":%" G_GINT64_FORMAT, t_ms);
}

static void
line_key (EventLine *line, const char *key)
{
  g_string_append_printf (line->line, ",\"%s\":", key);
}

static void
line_string (EventLine *line, const char *key, const char *value)
{
  g_autoptr (JsonNode) node = NULL;
  g_autofree char *text = NULL;

  line_key (line, key);
  if (value == NULL)
    {
      g_string_append (line->line, "null");
      return;
    }
  /* json-glib does the escaping (control characters, quotes, invalid UTF-8 guarded by caller) */
  node
      = json_node_init_string (json_node_alloc (), g_utf8_validate (value, -1, NULL) ? value : "?");
  text = json_to_string (node, FALSE);
  g_string_append (line->line, text);
}

static void
line_int (EventLine *line, const char *key, gint64 value)
{
  line_key (line, key);
  g_string_append_printf (line->line, "%" G_GINT64_FORMAT, value);
}

/* One decimal; null when unknown (negative or not finite). */
static void
line_double (EventLine *line, const char *key, double value)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  line_key (line, key);
  if (!isfinite (value) || value < 0)
    {
      g_string_append (line->line, "null");
      return;
    }
  g_string_append (line->line, g_ascii_formatd (buf, sizeof buf, "%.1f", value));
}

static void
line_end (PcEventPrinter *self, EventLine *line)
{
  g_string_append (line->line, "}\n");
  if (self->out != NULL)
    {
      /* readers follow the stream live: one write and a flush per event */
      if (fwrite (line->line->str, 1, line->line->len, self->out) != line->line->len
          || fflush (self->out) != 0)
        g_warning ("could not write event: %s", g_strerror (errno));
    }
  g_string_free (line->line, TRUE);
}

static void
print_call_state (PcEventPrinter *self, PcCall *call)
{
  EventLine line;

  line_begin (self, &line, "call-state");
  line_string (&line, "call", pc_call_get_id (call));
  line_string (&line, "peer", pc_call_get_peer (call));
  line_string (&line, "direction", pc_call_direction_to_string (pc_call_get_direction (call)));
  line_string (&line, "state", pc_call_state_to_string (pc_call_get_state (call)));
  if (pc_call_get_end_reason (call) != NULL)
    line_string (&line, "reason", pc_call_get_end_reason (call));
  line_end (self, &line);
}

static void
on_call_state (PcCall *call, GParamSpec *pspec, PcEventPrinter *self)
{
  print_call_state (self, call);
}

static void
on_call_ice_state (PcCall *call,
                   const char *state,
                   const char *local_type,
                   const char *remote_type,
                   PcEventPrinter *self)
{
  EventLine line;

  line_begin (self, &line, "ice-state");
  line_string (&line, "call", pc_call_get_id (call));
  line_string (&line, "state", state);
  if (local_type != NULL)
    line_string (&line, "local_type", local_type);
  if (remote_type != NULL)
    line_string (&line, "remote_type", remote_type);
  line_end (self, &line);
}

static void
on_call_first_frame (
    PcCall *call, const char *kind, guint width, guint height, PcEventPrinter *self)
{
  EventLine line;

  line_begin (self, &line, "first-frame");
  line_string (&line, "call", pc_call_get_id (call));
  line_string (&line, "kind", kind);
  if (width > 0 && height > 0)
    {
      line_int (&line, "width", width);
      line_int (&line, "height", height);
    }
  line_end (self, &line);
}

static void
on_call_remote_track (PcCall *call,
                      const char *kind,
                      const char *mid,
                      guint width,
                      guint height,
                      PcEventPrinter *self)
{
  EventLine line;

  line_begin (self, &line, "remote-track");
  line_string (&line, "call", pc_call_get_id (call));
  line_string (&line, "kind", kind);
  line_string (&line, "mid", mid);
  if (width > 0 && height > 0)
    {
      line_int (&line, "width", width);
      line_int (&line, "height", height);
    }
  line_end (self, &line);
}

static void
on_call_verification (PcCall *call,
                      const char *code,
                      const char *fingerprint_local,
                      const char *fingerprint_remote,
                      PcEventPrinter *self)
{
  EventLine line;

  line_begin (self, &line, "verification");
  line_string (&line, "call", pc_call_get_id (call));
  line_string (&line, "sas", code);
  line_string (&line, "fingerprint_local", fingerprint_local);
  line_string (&line, "fingerprint_remote", fingerprint_remote);
  line_end (self, &line);
}

static void
on_call_stats (PcCall *call, PcCallStats *stats, PcEventPrinter *self)
{
  EventLine line;

  line_begin (self, &line, "stats");
  line_string (&line, "call", pc_call_get_id (call));
  line_double (&line, "rtt_ms", stats->rtt_ms);
  line_double (&line, "video_rx_fps", stats->video_rx_fps);
  line_double (&line, "video_rx_kbps", stats->video_rx_kbps);
  line_double (&line, "video_tx_kbps", stats->video_tx_kbps);
  line_int (&line, "packets_lost", stats->packets_lost);
  line_int (&line, "frames_decoded", stats->frames_decoded);
  line_end (self, &line);
}

static void
on_call_latency (PcCall *call, double ms, PcEventPrinter *self)
{
  EventLine line;

  line_begin (self, &line, "latency");
  line_string (&line, "call", pc_call_get_id (call));
  line_key (&line, "ms");
  /* a stamp read back a little early on a skewed clock is still a figure: keep the sign */
  {
    char buf[G_ASCII_DTOSTR_BUF_SIZE];

    g_string_append (line.line, g_ascii_formatd (buf, sizeof buf, "%.1f", ms));
  }
  line_end (self, &line);
}

static void
on_call_video_source (PcCall *call, const char *kind, PcEventPrinter *self)
{
  EventLine line;

  line_begin (self, &line, "video-source");
  line_string (&line, "call", pc_call_get_id (call));
  line_string (&line, "kind", kind);
  line_end (self, &line);
}

static void
on_call_negotiation (PcCall *call, const char *sdp_type, PcEventPrinter *self)
{
  EventLine line;

  line_begin (self, &line, "negotiation");
  line_string (&line, "call", pc_call_get_id (call));
  line_string (&line, "type", sdp_type);
  line_end (self, &line);
}

static void
on_call_added (PcCallManager *manager, PcCall *call, PcEventPrinter *self)
{
  print_call_state (self, call);
  g_signal_connect_object (call, "notify::state", G_CALLBACK (on_call_state), self, 0);
  g_signal_connect_object (call, "ice-state", G_CALLBACK (on_call_ice_state), self, 0);
  g_signal_connect_object (call, "first-frame", G_CALLBACK (on_call_first_frame), self, 0);
  g_signal_connect_object (call, "remote-track", G_CALLBACK (on_call_remote_track), self, 0);
  g_signal_connect_object (call, "stats", G_CALLBACK (on_call_stats), self, 0);
  g_signal_connect_object (call, "latency", G_CALLBACK (on_call_latency), self, 0);
  g_signal_connect_object (call, "video-source-changed", G_CALLBACK (on_call_video_source), self,
                           0);
  g_signal_connect_object (call, "negotiation", G_CALLBACK (on_call_negotiation), self, 0);
  g_signal_connect_object (call, "verification", G_CALLBACK (on_call_verification), self, 0);
}

static void
on_registered (PcCallManager *manager, PcEventPrinter *self)
{
  EventLine line;

  line_begin (self, &line, "registered");
  line_string (&line, "user", pc_call_manager_get_user (manager));
  line_end (self, &line);
}

static void
on_presence (PcCallManager *manager, PcContact *contact, PcEventPrinter *self)
{
  EventLine line;

  line_begin (self, &line, "presence");
  line_string (&line, "user", pc_contact_get_user (contact));
  line_string (&line, "status", pc_presence_to_string (pc_contact_get_status (contact)));
  line_end (self, &line);
}

static void
on_error (PcCallManager *manager, GError *error, PcEventPrinter *self)
{
  pc_event_printer_print_gerror (self, error);
}

static void
pc_event_printer_finalize (GObject *object)
{
  PcEventPrinter *self = PC_EVENT_PRINTER (object);

  if (self->out != NULL)
    {
      if (self->owns_out)
        fclose (self->out);
      else
        fflush (self->out);
    }

  G_OBJECT_CLASS (pc_event_printer_parent_class)->finalize (object);
}

static void
pc_event_printer_class_init (PcEventPrinterClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = pc_event_printer_finalize;
}

static void
pc_event_printer_init (PcEventPrinter *self)
{
}

PcEventPrinter *
pc_event_printer_new (const char *path, gint64 start_time, GError **error)
{
  g_autoptr (PcEventPrinter) self = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  self = g_object_new (PC_TYPE_EVENT_PRINTER, NULL);
  self->start_time = start_time > 0 ? start_time : g_get_monotonic_time ();
  if (g_strcmp0 (path, "-") == 0)
    {
      self->out = stdout;
    }
  else
    {
      self->out = g_fopen (path, "we");
      if (self->out == NULL)
        {
          int saved_errno = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                       "Cannot write events to %s: %s", path, g_strerror (saved_errno));
          return NULL;
        }
      self->owns_out = TRUE;
    }
  return g_steal_pointer (&self);
}

void
pc_event_printer_attach (PcEventPrinter *self, PcCallManager *manager)
{
  g_return_if_fail (PC_IS_EVENT_PRINTER (self));
  g_return_if_fail (PC_IS_CALL_MANAGER (manager));

  g_signal_connect_object (manager, "registered", G_CALLBACK (on_registered), self, 0);
  g_signal_connect_object (manager, "presence", G_CALLBACK (on_presence), self, 0);
  g_signal_connect_object (manager, "call-added", G_CALLBACK (on_call_added), self, 0);
  g_signal_connect_object (manager, "error", G_CALLBACK (on_error), self, 0);
}

void
pc_event_printer_print_error (PcEventPrinter *self, const char *code, const char *message)
{
  EventLine line;

  g_return_if_fail (PC_IS_EVENT_PRINTER (self));

  line_begin (self, &line, "error");
  line_string (&line, "code", code ? code : "error");
  line_string (&line, "message", message ? message : "");
  line_end (self, &line);
}

void
pc_event_printer_print_gerror (PcEventPrinter *self, const GError *error)
{
  g_return_if_fail (error != NULL);
  pc_event_printer_print_error (self, pc_call_manager_error_code (error), error->message);
}
