/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "peercall-automation"

#include "config.h"

#include <gdk/gdk.h>
#include <gst/video/video.h>

#include "pc-automation.h"

enum
{
  SIGNAL_FINISHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

struct _PcAutomation
{
  GObject parent_instance;

  PcCallManager *manager;
  PcOptions *options; /* borrowed: lives as long as the process */
  PcEventPrinter *printer;
  gboolean exit_when_idle;

  gboolean started;
  gboolean registered;
  gboolean called;
  PcCall *call;     /* the call this run is about: the first one */
  gboolean own_end; /* our own target ended the call: a success */
  gboolean frames_reached;
  gboolean audio_first_frame;

  guint timeout_id;
  guint hangup_id;
  guint call_delay_id;
  guint linger_id;
  GArray *switch_ids; /* of guint: --switch-source-after timers */
  guint next_switch;

  /* --dump-frame: the last decoded remote frame, written by a streaming thread */
  GMutex frame_lock;
  GstSample *last_frame;
  gboolean frame_dumped;

  gboolean finished;
  int exit_status;
};

G_DEFINE_TYPE (PcAutomation, pc_automation, G_TYPE_OBJECT)

static void
report_error (PcAutomation *self, const char *code, const char *message)
{
  g_printerr ("peercall: %s\n", message);
  if (self->printer != NULL)
    pc_event_printer_print_error (self->printer, code, message);
}

static void
clear_switches (PcAutomation *self)
{
  for (guint i = 0; i < self->switch_ids->len; i++)
    {
      guint id = g_array_index (self->switch_ids, guint, i);

      if (id != 0)
        g_source_remove (id);
    }
  g_array_set_size (self->switch_ids, 0);
}

/* Streaming thread: keep the newest frame only. */
static void
on_remote_frame (GstSample *sample, gpointer user_data)
{
  PcAutomation *self = user_data;
  GstSample *old;

  g_mutex_lock (&self->frame_lock);
  old = self->last_frame;
  self->last_frame = gst_sample_ref (sample);
  g_mutex_unlock (&self->frame_lock);
  if (old != NULL)
    gst_sample_unref (old);
}

static gboolean
save_frame (GstSample *sample, const char *path, GError **error)
{
  GstVideoInfo info;
  GstMapInfo map;
  GstBuffer *buffer = gst_sample_get_buffer (sample);
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GdkTexture) texture = NULL;
  GdkMemoryFormat format;

  if (buffer == NULL || !gst_video_info_from_caps (&info, gst_sample_get_caps (sample)))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "The last frame has no video caps");
      return FALSE;
    }
  switch (GST_VIDEO_INFO_FORMAT (&info))
    {
    case GST_VIDEO_FORMAT_BGRA:
      format = GDK_MEMORY_B8G8R8A8;
      break;
    case GST_VIDEO_FORMAT_RGBA:
      format = GDK_MEMORY_R8G8B8A8;
      break;
    case GST_VIDEO_FORMAT_RGB:
      format = GDK_MEMORY_R8G8B8;
      break;
    default:
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "Cannot save %s frames",
                   gst_video_format_to_string (GST_VIDEO_INFO_FORMAT (&info)));
      return FALSE;
    }
  if (!gst_buffer_map (buffer, &map, GST_MAP_READ))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Cannot read the last frame");
      return FALSE;
    }
  bytes = g_bytes_new (map.data, MIN (map.size, (gsize)GST_VIDEO_INFO_PLANE_STRIDE (&info, 0)
                                                    * GST_VIDEO_INFO_HEIGHT (&info)));
  gst_buffer_unmap (buffer, &map);

  /* GdkMemoryTexture is plain memory: no display needed */
  texture = gdk_memory_texture_new (GST_VIDEO_INFO_WIDTH (&info), GST_VIDEO_INFO_HEIGHT (&info),
                                    format, bytes, GST_VIDEO_INFO_PLANE_STRIDE (&info, 0));
  if (!gdk_texture_save_to_png (texture, path))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Cannot write %s", path);
      return FALSE;
    }
  return TRUE;
}

static void report_error (PcAutomation *self, const char *code, const char *message);

static void
dump_frame (PcAutomation *self)
{
  g_autoptr (GError) error = NULL;
  GstSample *sample;

  if (self->options->dump_frame == NULL || self->frame_dumped)
    return;
  self->frame_dumped = TRUE;

  g_mutex_lock (&self->frame_lock);
  sample = g_steal_pointer (&self->last_frame);
  g_mutex_unlock (&self->frame_lock);

  if (sample == NULL)
    {
      report_error (self, "no-frame", "No remote video frame to save (--dump-frame)");
      return;
    }
  if (!save_frame (sample, self->options->dump_frame, &error))
    report_error (self, "dump-frame", error->message);
  else
    g_debug ("saved the last frame to %s", self->options->dump_frame);
  gst_sample_unref (sample);
}

static void
finish (PcAutomation *self, int exit_status)
{
  if (self->finished)
    return;

  self->finished = TRUE;
  self->exit_status = exit_status;
  g_clear_handle_id (&self->timeout_id, g_source_remove);
  g_clear_handle_id (&self->hangup_id, g_source_remove);
  g_clear_handle_id (&self->call_delay_id, g_source_remove);
  g_clear_handle_id (&self->linger_id, g_source_remove);
  clear_switches (self);
  g_debug ("finished: exit status %d", exit_status);
  g_signal_emit (self, signals[SIGNAL_FINISHED], 0, exit_status);
}

static void
hangup_own (PcAutomation *self)
{
  self->own_end = TRUE;
  if (self->call != NULL && pc_call_is_active (self->call))
    pc_call_manager_hangup (self->manager, self->call);
}

static gboolean
on_timeout (gpointer data)
{
  PcAutomation *self = PC_AUTOMATION (data);
  g_autofree char *message = NULL;
  PcCall *current = pc_call_manager_get_current_call (self->manager);

  self->timeout_id = 0;
  message = g_strdup_printf ("Not done after %g s (--timeout)", self->options->timeout);
  report_error (self, "timeout", message);
  if (current != NULL)
    pc_call_manager_hangup (self->manager, current);
  finish (self, PC_EXIT_FAILED);
  return G_SOURCE_REMOVE;
}

static gboolean
on_hangup_after (gpointer data)
{
  PcAutomation *self = PC_AUTOMATION (data);

  self->hangup_id = 0;
  g_debug ("--hangup-after reached");
  hangup_own (self);
  return G_SOURCE_REMOVE;
}

static gboolean
on_linger_done (gpointer data)
{
  PcAutomation *self = PC_AUTOMATION (data);

  self->linger_id = 0;
  hangup_own (self);
  return G_SOURCE_REMOVE;
}

static void
frames_reached (PcAutomation *self, const char *what)
{
  if (self->frames_reached)
    return;

  g_debug ("--exit-after-frames reached (%s)", what);
  self->frames_reached = TRUE;
  /* the target is met whatever happens next; the peer gets a moment to meet its own */
  self->own_end = TRUE;
  self->linger_id = g_timeout_add (PC_AUTOMATION_LINGER_MS, on_linger_done, self);
}

static void
on_call_first_frame (PcCall *call, const char *kind, guint width, guint height, PcAutomation *self)
{
  if (g_strcmp0 (kind, "audio") == 0)
    self->audio_first_frame = TRUE;

  /* a peer that sends no video: its first audio frame is the target */
  if (self->options->exit_after_frames > 0 && self->audio_first_frame
      && !pc_call_get_remote_video (call))
    frames_reached (self, "audio, no remote video");
}

static void
on_call_stats (PcCall *call, PcCallStats *stats, PcAutomation *self)
{
  gint n = self->options->exit_after_frames;

  if (n <= 0)
    return;
  if (pc_call_get_remote_video (call) && stats->frames_decoded >= (guint64)n)
    frames_reached (self, "video");
  else if (!pc_call_get_remote_video (call) && self->audio_first_frame)
    frames_reached (self, "audio, no remote video");
}

static gboolean
on_switch_source (gpointer data)
{
  PcAutomation *self = PC_AUTOMATION (data);
  const PcSourceSwitch *sw;
  PcCallSession *session;
  g_autoptr (GError) error = NULL;
  guint i = self->next_switch++;

  g_array_index (self->switch_ids, guint, i) = 0;
  sw = &g_array_index (self->options->switches, PcSourceSwitch, i);
  session = self->call ? pc_call_get_session (self->call) : NULL;
  if (session == NULL)
    return G_SOURCE_REMOVE;

  g_debug ("--switch-source-after %g:%s", sw->seconds, pc_media_source_kind_to_string (sw->kind));
  /* success shows as a video-source event (PcCall relays the session's notify) */
  if (!pc_call_session_set_video_source (session, sw->kind, &error))
    report_error (self, pc_call_manager_error_code (error), error->message);
  return G_SOURCE_REMOVE;
}

static void
arm_switches (PcAutomation *self)
{
  GArray *switches = self->options->switches;

  if (switches == NULL || self->switch_ids->len > 0)
    return;
  /* sorted by time, so the timers fire in order and next_switch follows them */
  for (guint i = 0; i < switches->len; i++)
    {
      const PcSourceSwitch *sw = &g_array_index (switches, PcSourceSwitch, i);
      guint id = g_timeout_add ((guint)(sw->seconds * 1000), on_switch_source, self);

      g_array_append_val (self->switch_ids, id);
    }
}

static void
on_call_session (PcCall *call, GParamSpec *pspec, PcAutomation *self)
{
  PcCallSession *session = pc_call_get_session (call);

  if (session != NULL && self->options->dump_frame != NULL)
    pc_call_session_set_remote_video_func (session, on_remote_frame, g_object_ref (self),
                                           g_object_unref);
}

static void
on_call_state (PcCall *call, GParamSpec *pspec, PcAutomation *self)
{
  const char *reason;
  gboolean success;

  if (pc_call_get_state (call) == PC_CALL_STATE_CONNECTED)
    {
      arm_switches (self);
      return;
    }
  if (pc_call_get_state (call) != PC_CALL_STATE_ENDED)
    return;

  reason = pc_call_get_end_reason (call);
  success = self->own_end || g_strcmp0 (reason, PC_CALL_END_NORMAL) == 0;
  g_debug ("call ended (%s): %s", reason, success ? "done" : "failed");
  clear_switches (self);
  dump_frame (self);

  if (self->exit_when_idle || self->options->hangup_after >= 0
      || self->options->exit_after_frames > 0)
    finish (self, success ? PC_EXIT_DONE : PC_EXIT_FAILED);
}

static void
on_call_added (PcCallManager *manager, PcCall *call, PcAutomation *self)
{
  /* a run is about one call */
  if (self->call != NULL || self->finished)
    return;

  self->call = g_object_ref (call);
  g_signal_connect_object (call, "notify::state", G_CALLBACK (on_call_state), self, 0);
  g_signal_connect_object (call, "first-frame", G_CALLBACK (on_call_first_frame), self, 0);
  g_signal_connect_object (call, "stats", G_CALLBACK (on_call_stats), self, 0);
  g_signal_connect_object (call, "notify::session", G_CALLBACK (on_call_session), self, 0);

  if (self->options->hangup_after >= 0)
    self->hangup_id
        = g_timeout_add ((guint)(self->options->hangup_after * 1000), on_hangup_after, self);
}

static void
on_incoming_call (PcCallManager *manager, PcCall *call, PcAutomation *self)
{
  g_autoptr (GError) error = NULL;

  if (self->options->auto_decline == NULL || call != self->call)
    return;

  self->own_end = TRUE;
  if (!pc_call_manager_decline (manager, call, self->options->auto_decline, &error))
    report_error (self, pc_call_manager_error_code (error), error->message);
}

static gboolean
on_start_call (gpointer user_data)
{
  PcAutomation *self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (PcCall) call = NULL;

  self->call_delay_id = 0;
  if (self->finished)
    return G_SOURCE_REMOVE;
  call = pc_call_manager_start_call (self->manager, self->options->call,
                                     self->options->video_kind != PC_MEDIA_SOURCE_NONE, &error);
  if (call == NULL)
    {
      report_error (self, pc_call_manager_error_code (error), error->message);
      finish (self, PC_EXIT_FAILED);
    }
  return G_SOURCE_REMOVE;
}

static void
on_registered (PcCallManager *manager, PcAutomation *self)
{
  const char *delay_env = g_getenv ("PEERCALL_CALL_DELAY_MS");
  guint delay_ms = delay_env ? (guint)g_ascii_strtoull (delay_env, NULL, 10) : 0;

  self->registered = TRUE;
  if (self->options->call == NULL || self->called || self->finished)
    return;

  self->called = TRUE;
  /* Benchmarks call from an app that has been open a moment, as a person does; a fresh
   * process is still making its DTLS certificate. */
  if (delay_ms > 0)
    self->call_delay_id = g_timeout_add (delay_ms, on_start_call, self);
  else
    on_start_call (self);
}

static void
on_signaling_state (PcCallManager *manager, GParamSpec *pspec, PcAutomation *self)
{
  /* a fatal close (user taken, auth failed) or a local disconnect: no reconnection follows */
  if (self->registered && self->exit_when_idle
      && pc_call_manager_get_signaling_state (manager) == PC_SIGNALING_STATE_DISCONNECTED)
    finish (self, PC_EXIT_FAILED);
}

static void
on_connect_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (PcAutomation) self = user_data;
  g_autoptr (GError) error = NULL;

  /* the manager already reported the error ("error" signal -> event) */
  if (!pc_call_manager_connect_finish (PC_CALL_MANAGER (source), result, &error))
    {
      g_printerr ("peercall: %s\n", error->message);
      if (self->exit_when_idle)
        finish (self, PC_EXIT_FAILED);
    }
}

static void
pc_automation_dispose (GObject *object)
{
  PcAutomation *self = PC_AUTOMATION (object);

  g_clear_handle_id (&self->timeout_id, g_source_remove);
  g_clear_handle_id (&self->hangup_id, g_source_remove);
  g_clear_handle_id (&self->call_delay_id, g_source_remove);
  g_clear_handle_id (&self->linger_id, g_source_remove);
  if (self->switch_ids != NULL)
    clear_switches (self);
  if (self->manager != NULL)
    g_signal_handlers_disconnect_by_data (self->manager, self);
  if (self->call != NULL)
    g_signal_handlers_disconnect_by_data (self->call, self);
  g_clear_object (&self->call);
  g_clear_object (&self->manager);
  g_clear_object (&self->printer);

  G_OBJECT_CLASS (pc_automation_parent_class)->dispose (object);
}

static void
pc_automation_finalize (GObject *object)
{
  PcAutomation *self = PC_AUTOMATION (object);

  g_clear_pointer (&self->switch_ids, g_array_unref);
  g_clear_pointer (&self->last_frame, gst_sample_unref);
  g_mutex_clear (&self->frame_lock);

  G_OBJECT_CLASS (pc_automation_parent_class)->finalize (object);
}

static void
pc_automation_class_init (PcAutomationClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = pc_automation_dispose;
  G_OBJECT_CLASS (klass)->finalize = pc_automation_finalize;

  signals[SIGNAL_FINISHED] = g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                           0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT);
}

static void
pc_automation_init (PcAutomation *self)
{
  g_mutex_init (&self->frame_lock);
  self->switch_ids = g_array_new (FALSE, TRUE, sizeof (guint));
}

PcAutomation *
pc_automation_new (PcCallManager *manager,
                   PcOptions *options,
                   PcEventPrinter *printer,
                   gboolean exit_when_idle)
{
  PcAutomation *self;

  g_return_val_if_fail (PC_IS_CALL_MANAGER (manager), NULL);
  g_return_val_if_fail (options != NULL, NULL);

  self = g_object_new (PC_TYPE_AUTOMATION, NULL);
  self->manager = g_object_ref (manager);
  self->options = options;
  self->printer = printer ? g_object_ref (printer) : NULL;
  self->exit_when_idle = exit_when_idle;

  if (options->auto_answer)
    pc_call_manager_set_auto_answer (manager, TRUE);

  g_signal_connect_object (manager, "registered", G_CALLBACK (on_registered), self, 0);
  g_signal_connect_object (manager, "call-added", G_CALLBACK (on_call_added), self, 0);
  g_signal_connect_object (manager, "incoming-call", G_CALLBACK (on_incoming_call), self, 0);
  g_signal_connect_object (manager, "notify::signaling-state", G_CALLBACK (on_signaling_state),
                           self, 0);
  return self;
}

void
pc_automation_start (PcAutomation *self)
{
  g_return_if_fail (PC_IS_AUTOMATION (self));
  g_return_if_fail (!self->started);

  self->started = TRUE;
  if (self->options->timeout > 0)
    self->timeout_id = g_timeout_add ((guint)(self->options->timeout * 1000), on_timeout, self);
  pc_call_manager_connect_async (self->manager, NULL, on_connect_done, g_object_ref (self));
}

void
pc_automation_stop (PcAutomation *self, int exit_status)
{
  PcCall *current;

  g_return_if_fail (PC_IS_AUTOMATION (self));

  /* finished first: the hang-up below must not turn into a "call ended normally" success */
  finish (self, exit_status);
  current = pc_call_manager_get_current_call (self->manager);
  if (current != NULL)
    pc_call_manager_hangup (self->manager, current);
}

gboolean
pc_automation_is_finished (PcAutomation *self)
{
  g_return_val_if_fail (PC_IS_AUTOMATION (self), FALSE);
  return self->finished;
}

int
pc_automation_get_exit_status (PcAutomation *self)
{
  g_return_val_if_fail (PC_IS_AUTOMATION (self), PC_EXIT_FAILED);
  return self->exit_status;
}
