/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pc-ws-guard.c: a GIOStream whose input stream parses WebSocket frame headers (RFC 6455 5.2)
 * as the bytes pass through, and the hand-made upgrade that puts it under libsoup. */
#define G_LOG_DOMAIN "peercall-signal"

#include "config.h"

#include "pc-ws-guard.h"

/* The input stream: a pollable filter that only counts. */

#define PC_TYPE_WS_GUARD_INPUT (pc_ws_guard_input_get_type ())
G_DECLARE_FINAL_TYPE (PcWsGuardInput, pc_ws_guard_input, PC, WS_GUARD_INPUT, GFilterInputStream)

struct _PcWsGuardInput
{
  GFilterInputStream parent_instance;

  guint64 max_message;
  guint8 header[14]; /* the frame header being read, at most 2 + 8 + 4 bytes */
  guint header_len;
  guint64 payload_left; /* bytes of the current frame's payload still to pass */
  guint64 message_len;  /* payload so far of the data message being reassembled */
  gboolean over;
};

static void pc_ws_guard_input_pollable_init (GPollableInputStreamInterface *iface);

G_DEFINE_TYPE_WITH_CODE (PcWsGuardInput,
                         pc_ws_guard_input,
                         G_TYPE_FILTER_INPUT_STREAM,
                         G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_INPUT_STREAM,
                                                pc_ws_guard_input_pollable_init))

/* Bytes the header needs in total, or 0 while its first two bytes are not in yet. */
static guint
header_size (PcWsGuardInput *self)
{
  guint size = 2;

  if (self->header_len < 2)
    return 0;
  if ((self->header[1] & 0x7f) == 126)
    size += 2;
  else if ((self->header[1] & 0x7f) == 127)
    size += 8;
  if (self->header[1] & 0x80)
    size += 4; /* the mask */
  return size;
}

static void
header_done (PcWsGuardInput *self)
{
  guint8 opcode = self->header[0] & 0x0f;
  guint8 len7 = self->header[1] & 0x7f;
  guint64 len = len7;

  if (len7 == 126)
    len = ((guint64)self->header[2] << 8) | self->header[3];
  else if (len7 == 127)
    for (guint i = 0; i < 8; i++)
      len = (i == 0 ? 0 : len << 8) | self->header[2 + i];

  self->payload_left = len;
  self->header_len = 0;
  if (opcode & 0x08)
    return; /* control frames (at most 125 bytes, libsoup checks) are not part of a message */
  /* a new data message starts; a continuation adds to the current one */
  self->message_len = opcode != 0 ? len : self->message_len + len;
  if (self->message_len > self->max_message)
    self->over = TRUE;
}

/* Follows the frames through @len bytes; FALSE once a message is over the limit. */
static gboolean
scan (PcWsGuardInput *self, const guint8 *data, gsize len)
{
  gsize at = 0;

  while (at < len && !self->over)
    {
      guint need;

      if (self->payload_left > 0)
        {
          guint64 skip = MIN (self->payload_left, (guint64)(len - at));

          self->payload_left -= skip;
          at += skip;
          continue;
        }
      self->header[self->header_len++] = data[at++];
      need = header_size (self);
      if (need != 0 && self->header_len == need)
        header_done (self);
    }
  return !self->over;
}

static gssize
fail_too_big (PcWsGuardInput *self, GError **error)
{
  g_set_error (error, SOUP_WEBSOCKET_ERROR, SOUP_WEBSOCKET_CLOSE_TOO_BIG,
               "WebSocket message over %" G_GUINT64_FORMAT " bytes", self->max_message);
  return -1;
}

static gssize
pc_ws_guard_input_read (
    GInputStream *stream, void *buffer, gsize count, GCancellable *cancellable, GError **error)
{
  PcWsGuardInput *self = PC_WS_GUARD_INPUT (stream);
  GInputStream *base = g_filter_input_stream_get_base_stream (G_FILTER_INPUT_STREAM (stream));
  gssize n;

  if (self->over)
    return fail_too_big (self, error);
  n = g_input_stream_read (base, buffer, count, cancellable, error);
  if (n > 0 && !scan (self, buffer, n))
    return fail_too_big (self, error);
  return n;
}

static gssize
pc_ws_guard_input_read_nonblocking (GPollableInputStream *stream,
                                    void *buffer,
                                    gsize count,
                                    GError **error)
{
  PcWsGuardInput *self = PC_WS_GUARD_INPUT (stream);
  GInputStream *base = g_filter_input_stream_get_base_stream (G_FILTER_INPUT_STREAM (stream));
  gssize n;

  if (self->over)
    return fail_too_big (self, error);
  n = g_pollable_input_stream_read_nonblocking (G_POLLABLE_INPUT_STREAM (base), buffer, count, NULL,
                                                error);
  /* The whole chunk is dropped: the connection is about to be closed anyway. */
  if (n > 0 && !scan (self, buffer, n))
    return fail_too_big (self, error);
  return n;
}

static gboolean
pc_ws_guard_input_can_poll (GPollableInputStream *stream)
{
  GInputStream *base = g_filter_input_stream_get_base_stream (G_FILTER_INPUT_STREAM (stream));

  return G_IS_POLLABLE_INPUT_STREAM (base)
         && g_pollable_input_stream_can_poll (G_POLLABLE_INPUT_STREAM (base));
}

static gboolean
pc_ws_guard_input_is_readable (GPollableInputStream *stream)
{
  GInputStream *base = g_filter_input_stream_get_base_stream (G_FILTER_INPUT_STREAM (stream));

  return PC_WS_GUARD_INPUT (stream)->over
         || g_pollable_input_stream_is_readable (G_POLLABLE_INPUT_STREAM (base));
}

static GSource *
pc_ws_guard_input_create_source (GPollableInputStream *stream, GCancellable *cancellable)
{
  GInputStream *base = g_filter_input_stream_get_base_stream (G_FILTER_INPUT_STREAM (stream));
  g_autoptr (GSource) base_source = NULL;

  base_source = g_pollable_input_stream_create_source (G_POLLABLE_INPUT_STREAM (base), NULL);
  return g_pollable_source_new_full (stream, base_source, cancellable);
}

static void
pc_ws_guard_input_pollable_init (GPollableInputStreamInterface *iface)
{
  iface->can_poll = pc_ws_guard_input_can_poll;
  iface->is_readable = pc_ws_guard_input_is_readable;
  iface->create_source = pc_ws_guard_input_create_source;
  iface->read_nonblocking = pc_ws_guard_input_read_nonblocking;
}

static void
pc_ws_guard_input_class_init (PcWsGuardInputClass *klass)
{
  G_INPUT_STREAM_CLASS (klass)->read_fn = pc_ws_guard_input_read;
}

static void
pc_ws_guard_input_init (PcWsGuardInput *self)
{
}

/* The stream pair handed to libsoup: our input, the base's output; closing closes the base. */

#define PC_TYPE_WS_GUARD_STREAM (pc_ws_guard_stream_get_type ())
G_DECLARE_FINAL_TYPE (PcWsGuardStream, pc_ws_guard_stream, PC, WS_GUARD_STREAM, GIOStream)

struct _PcWsGuardStream
{
  GIOStream parent_instance;

  GIOStream *base;
  GInputStream *input;
};

G_DEFINE_TYPE (PcWsGuardStream, pc_ws_guard_stream, G_TYPE_IO_STREAM)

static GInputStream *
pc_ws_guard_stream_get_input_stream (GIOStream *stream)
{
  return PC_WS_GUARD_STREAM (stream)->input;
}

static GOutputStream *
pc_ws_guard_stream_get_output_stream (GIOStream *stream)
{
  return g_io_stream_get_output_stream (PC_WS_GUARD_STREAM (stream)->base);
}

static gboolean
pc_ws_guard_stream_close (GIOStream *stream, GCancellable *cancellable, GError **error)
{
  return g_io_stream_close (PC_WS_GUARD_STREAM (stream)->base, cancellable, error);
}

static void
on_base_closed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  GError *error = NULL;

  if (g_io_stream_close_finish (G_IO_STREAM (source), result, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

/* Not GIOStream's default, which would close the base from a worker thread. */
static void
pc_ws_guard_stream_close_async (GIOStream *stream,
                                int io_priority,
                                GCancellable *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer user_data)
{
  GTask *task = g_task_new (stream, cancellable, callback, user_data);

  g_io_stream_close_async (PC_WS_GUARD_STREAM (stream)->base, io_priority, cancellable,
                           on_base_closed, task);
}

static gboolean
pc_ws_guard_stream_close_finish (GIOStream *stream, GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
pc_ws_guard_stream_finalize (GObject *object)
{
  PcWsGuardStream *self = PC_WS_GUARD_STREAM (object);

  g_clear_object (&self->input);
  g_clear_object (&self->base);
  G_OBJECT_CLASS (pc_ws_guard_stream_parent_class)->finalize (object);
}

static void
pc_ws_guard_stream_class_init (PcWsGuardStreamClass *klass)
{
  GIOStreamClass *stream_class = G_IO_STREAM_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = pc_ws_guard_stream_finalize;
  stream_class->get_input_stream = pc_ws_guard_stream_get_input_stream;
  stream_class->get_output_stream = pc_ws_guard_stream_get_output_stream;
  stream_class->close_fn = pc_ws_guard_stream_close;
  stream_class->close_async = pc_ws_guard_stream_close_async;
  stream_class->close_finish = pc_ws_guard_stream_close_finish;
}

static void
pc_ws_guard_stream_init (PcWsGuardStream *self)
{
}

static GIOStream *
guard_stream_new (GIOStream *base, guint64 max_message)
{
  PcWsGuardStream *self = g_object_new (PC_TYPE_WS_GUARD_STREAM, NULL);
  PcWsGuardInput *input;

  self->base = g_object_ref (base);
  input = g_object_new (PC_TYPE_WS_GUARD_INPUT, "base-stream", g_io_stream_get_input_stream (base),
                        "close-base-stream", FALSE, NULL);
  input->max_message = max_message;
  self->input = G_INPUT_STREAM (input);
  return G_IO_STREAM (self);
}

/* The upgrade, as libsoup's own websocket handler does it, with our stream under it. */

typedef struct
{
  SoupServer *soup;
  guint64 max_message;
  SoupServerWebsocketCallback callback;
  gpointer user_data;
} Upgrade;

static void
on_wrote_informational (SoupServerMessage *msg, Upgrade *upgrade)
{
  g_autoptr (GIOStream) stream = NULL;
  g_autoptr (GIOStream) guarded = NULL;
  g_autoptr (SoupWebsocketConnection) ws = NULL;
  GUri *uri = soup_server_message_get_uri (msg);

  if (soup_server_message_get_status (msg) != SOUP_STATUS_SWITCHING_PROTOCOLS)
    return;
  g_object_ref (msg);
  stream = soup_server_message_steal_connection (msg);
  guarded = guard_stream_new (stream, upgrade->max_message);
  ws = soup_websocket_connection_new (
      guarded, uri, SOUP_WEBSOCKET_CONNECTION_SERVER,
      soup_message_headers_get_one (soup_server_message_get_request_headers (msg), "Origin"), NULL,
      NULL);
  upgrade->callback (upgrade->soup, msg, g_uri_get_path (uri), ws, upgrade->user_data);
  g_object_unref (msg);
}

static void
upgrade_free (gpointer data, GClosure *closure)
{
  g_free (data);
}

gboolean
pc_ws_guard_upgrade (SoupServer *soup,
                     SoupServerMessage *msg,
                     guint64 max_message,
                     SoupServerWebsocketCallback callback,
                     gpointer user_data)
{
  Upgrade *upgrade;

  if (!soup_websocket_server_process_handshake (msg, NULL, NULL, NULL, NULL))
    return FALSE;
  upgrade = g_new0 (Upgrade, 1);
  upgrade->soup = soup;
  upgrade->max_message = max_message;
  upgrade->callback = callback;
  upgrade->user_data = user_data;
  g_signal_connect_data (msg, "wrote-informational", G_CALLBACK (on_wrote_informational), upgrade,
                         upgrade_free, 0);
  return TRUE;
}
