/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "peercall-media"

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "pc-call-session-private.h"

/* ---- Switching the outgoing video ------------------------------------------------------- */

/* A new source that gives no frame by then replaces the old one anyway (a still PipeWire
 * stream may send nothing until the screen changes). */
#define SWITCH_WARMUP_TIMEOUT_MS 3000

typedef struct
{
  PcCallSession *self; /* not a reference: the probe goes with the pipeline (teardown joins) */
  guint serial;
  gint seen;             /* atomic */
  GstElement *encoder;   /* owned; NULL: no encoder to prepare */
  GstCaps *encoder_caps; /* owned; what the running encoder gets now */
} PendingProbe;

static void
pending_probe_free (PendingProbe *p)
{
  g_clear_object (&p->encoder);
  g_clear_pointer (&p->encoder_caps, gst_caps_unref);
  g_free (p);
}

static void finish_switch (PcCallSession *self, gboolean encoder_ready);

/* run_on_main() ahead of the stats and events waiting in the main context: the old source is
 * still sending until this runs, so it decides how long the picture freezes. */
static void
run_on_main_urgent (PcCallSession *self, MainFunc func, gpointer data)
{
  _pc_call_session_run_on_main_at (self, G_PRIORITY_HIGH, "[peercall] video switch", func, data,
                                   NULL);
}

static void
main_pending_frame (PcCallSession *self, gpointer data)
{
  guint serial = GPOINTER_TO_UINT (data) >> 1;

  if (self->pending_src == NULL || serial != self->pending_serial)
    return; /* replaced or cancelled meanwhile */
  g_debug ("Video switch: the new %s source gave its first frame after %.0f ms",
           pc_media_source_kind_to_string (self->pending_kind),
           (g_get_monotonic_time () - self->pending_since_us) / 1000.0);
  finish_switch (self, GPOINTER_TO_UINT (data) & 1);
}

/* Streaming thread of a source that warms up: its frames stop at its own (unlinked) pad. At
 * the first one, when the encoder would have to restart at a new size, a second encoder is
 * initialised with exactly these caps here, off the main thread and while the old source
 * still sends; then the main context swaps. */
static GstPadProbeReturn
on_pending_buffer (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  PendingProbe *p = user_data;
  gboolean ready = FALSE;

  if (!g_atomic_int_compare_and_exchange (&p->seen, 0, 1))
    return GST_PAD_PROBE_DROP;
  g_atomic_int_set (&p->self->pending_seen, (gint)(p->serial + 1));

  if (p->encoder)
    {
      g_autoptr (GstCaps) caps = gst_pad_get_current_caps (pad);
      g_autoptr (GstPad) sink = gst_element_get_static_pad (p->encoder, "sink");

      if (caps && (p->encoder_caps == NULL || !gst_caps_is_equal (caps, p->encoder_caps)))
        {
          g_autofree char *stream_id = g_strdup_printf ("peercall-video-switch-%u", p->serial);
          gint64 start = g_get_monotonic_time ();
          GstSegment segment;

          gst_segment_init (&segment, GST_FORMAT_TIME);
          ready = gst_pad_send_event (sink, gst_event_new_stream_start (stream_id))
                  && gst_pad_send_event (sink, gst_event_new_caps (caps))
                  && gst_pad_send_event (sink, gst_event_new_segment (&segment));
          g_autofree char *desc = gst_caps_to_string (caps);

          g_debug ("Video switch: encoder for %s ready in %.0f ms (%s)", desc,
                   (g_get_monotonic_time () - start) / 1000.0, ready ? "ok" : "failed");
        }
    }
  run_on_main_urgent (p->self, main_pending_frame,
                      GUINT_TO_POINTER ((p->serial << 1) | (ready ? 1 : 0)));
  return GST_PAD_PROBE_DROP;
}

static gboolean
on_pending_timeout (gpointer user_data)
{
  PcCallSession *self = user_data;

  /* It gave a frame and prepares the encoder: main_pending_frame follows (given one more
   * period on a starved machine). */
  if ((guint)g_atomic_int_get (&self->pending_seen) == self->pending_serial + 1
      && !self->pending_extended)
    {
      self->pending_extended = TRUE;
      return G_SOURCE_CONTINUE;
    }
  self->pending_timeout_id = 0;
  g_debug ("Video switch: no frame from the new %s source in %u ms, switching anyway",
           pc_media_source_kind_to_string (self->pending_kind), SWITCH_WARMUP_TIMEOUT_MS);
  finish_switch (self, FALSE);
  return G_SOURCE_REMOVE;
}

/* Out of the pipeline for good (main context). */
static void
drop_element (PcCallSession *self, GstElement *element)
{
  gst_element_set_locked_state (element, TRUE);
  gst_element_set_state (element, GST_STATE_NULL);
  if (self->pipeline && GST_OBJECT_PARENT (element) == GST_OBJECT (self->pipeline))
    gst_bin_remove (GST_BIN (self->pipeline), element);
}

static void
drop_in_thread (GstElement *element, gpointer user_data)
{
  GstObject *parent = gst_object_get_parent (GST_OBJECT (element));

  gst_element_set_state (element, GST_STATE_NULL);
  if (parent)
    {
      gst_bin_remove (GST_BIN (parent), element);
      gst_object_unref (parent);
    }
}

/* The same off the main context: a source still warming up may be busy in its streaming
 * thread (initialising an encoder) for a while, and stopping it waits for that. */
static void
drop_element_async (GstElement *element)
{
  gst_element_set_locked_state (element, TRUE);
  gst_element_call_async (element, drop_in_thread, NULL, NULL);
}

/* A prepared encoder and the fakesink it may still be linked to. */
static void
drop_encoder (GstElement *encoder)
{
  g_autoptr (GstPad) src = gst_element_get_static_pad (encoder, "src");
  g_autoptr (GstPad) peer = gst_pad_get_peer (src);
  g_autoptr (GstElement) park = peer ? gst_pad_get_parent_element (peer) : NULL;

  drop_element_async (encoder);
  if (park && GST_IS_BASE_SINK (park))
    drop_element_async (park);
}

void
_pc_call_session_clear_pending (PcCallSession *self)
{
  g_clear_handle_id (&self->pending_timeout_id, g_source_remove);
  self->pending_probe_id = 0;
  g_clear_object (&self->pending_src);
  g_clear_object (&self->pending_encoder);
  self->pending_serial++;
}

/* Drops a switch that has not happened yet: the old source never stopped sending. */
void
_pc_call_session_cancel_pending_switch (PcCallSession *self)
{
  if (self->pending_src == NULL)
    return;
  g_debug ("Video switch to %s cancelled", pc_media_source_kind_to_string (self->pending_kind));
  drop_element_async (self->pending_src);
  if (self->pending_encoder)
    drop_encoder (self->pending_encoder);
  self->video_kind = self->pending_prev_kind;
  _pc_call_session_clear_pending (self);
  /* A capture made here only for this switch ends with it. */
  if (!self->sharing_screen && self->screencast_owned)
    _pc_call_session_set_screencast_object (self, NULL, FALSE);
}

typedef struct
{
  PcCallSession *self; /* not a reference, as for PendingProbe */
  GstElement *old_encoder, *new_encoder;
} EncoderSwap;

static void
encoder_swap_free (EncoderSwap *swap)
{
  g_clear_object (&swap->old_encoder);
  g_clear_object (&swap->new_encoder);
  g_free (swap);
}

static void
main_retire_encoder (PcCallSession *self, gpointer data)
{
  drop_element (self, data);
}

/* Streaming thread of the encoder's queue, on the first event after the old source's last
 * frame has been encoded: the new source's caps. Everything in front of the encoder is idle
 * here, so the prepared encoder takes the old one's place, and the caps (the ones it was
 * initialised with) go on to it: no restart. */
static GstPadProbeReturn
on_encoder_swap_event (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  EncoderSwap *swap = user_data;
  g_autoptr (GstPad) old_sink = NULL;
  g_autoptr (GstPad) old_src = NULL;
  g_autoptr (GstPad) new_sink = NULL;
  g_autoptr (GstPad) new_src = NULL;
  g_autoptr (GstPad) downstream = NULL;
  g_autoptr (GstPad) park = NULL;

  if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) != GST_EVENT_CAPS)
    return GST_PAD_PROBE_OK;

  old_sink = gst_element_get_static_pad (swap->old_encoder, "sink");
  old_src = gst_element_get_static_pad (swap->old_encoder, "src");
  new_sink = gst_element_get_static_pad (swap->new_encoder, "sink");
  new_src = gst_element_get_static_pad (swap->new_encoder, "src");
  downstream = gst_pad_get_peer (old_src);
  park = gst_pad_get_peer (new_src);
  if (downstream == NULL)
    return GST_PAD_PROBE_REMOVE;
  gst_pad_unlink (pad, old_sink);
  gst_pad_unlink (old_src, downstream);
  if (park)
    {
      gst_pad_unlink (new_src, park);
      _pc_call_session_run_on_main (swap->self, main_retire_encoder,
                                    gst_pad_get_parent_element (park), gst_object_unref);
    }
  if (gst_pad_link_full (pad, new_sink, GST_PAD_LINK_CHECK_NOTHING) != GST_PAD_LINK_OK
      || gst_pad_link_full (new_src, downstream, GST_PAD_LINK_CHECK_NOTHING) != GST_PAD_LINK_OK)
    g_warning ("Cannot link the prepared video encoder");
  g_debug ("Video switch: prepared encoder swapped in");
  _pc_call_session_run_on_main (swap->self, main_retire_encoder, g_object_ref (swap->old_encoder),
                                gst_object_unref);
  return GST_PAD_PROBE_REMOVE;
}

/* A second encoder like vencoder (same factory, same settings), in the pipeline and running
 * but unlinked until on_encoder_swap_event. Only vp8enc: an H.264 encoder would have to
 * negotiate its stream format with the payloader it is not linked to yet. */
static GstElement *
prepare_encoder (PcCallSession *self)
{
  GstElementFactory *factory = gst_element_get_factory (self->vencoder);
  g_autofree GParamSpec **pspecs = NULL;
  g_autoptr (GstPad) src = NULL;
  GstElement *encoder, *park;
  guint n;

  if (factory == NULL
      || !g_str_equal (gst_plugin_feature_get_name (GST_PLUGIN_FEATURE (factory)), "vp8enc"))
    return NULL;
  encoder = gst_element_factory_create (factory, NULL);
  if (encoder == NULL)
    return NULL;
  /* What build_pipeline and apply_video_profile set; defaults are left alone (setting some
   * deprecated ones only warns). */
  pspecs = g_object_class_list_properties (G_OBJECT_GET_CLASS (self->vencoder), &n);
  for (guint i = 0; i < n; i++)
    {
      GValue value = G_VALUE_INIT;

      if ((pspecs[i]->flags & G_PARAM_READWRITE) != G_PARAM_READWRITE
          || (pspecs[i]->flags & (G_PARAM_CONSTRUCT_ONLY | G_PARAM_DEPRECATED))
          || g_type_is_a (GST_TYPE_OBJECT, pspecs[i]->owner_type))
        continue;
      g_value_init (&value, pspecs[i]->value_type);
      g_object_get_property (G_OBJECT (self->vencoder), pspecs[i]->name, &value);
      if (!g_param_value_defaults (pspecs[i], &value))
        g_object_set_property (G_OBJECT (encoder), pspecs[i]->name, &value);
      g_value_unset (&value);
    }
  gst_object_ref_sink (encoder);
  if (!gst_bin_add (GST_BIN (self->pipeline), gst_object_ref (encoder)))
    {
      gst_object_unref (encoder);
      gst_object_unref (encoder);
      return NULL;
    }
  /* vp8enc picks its profile from what downstream allows, and fails with no peer: it talks to
   * a fakesink until the swap. */
  park = gst_element_factory_make_full ("fakesink", "sync", FALSE, "async", FALSE, NULL);
  if (park == NULL || !gst_bin_add (GST_BIN (self->pipeline), park)
      || !gst_element_link (encoder, park))
    {
      drop_encoder (encoder);
      gst_object_unref (encoder);
      return NULL;
    }
  src = gst_element_get_static_pad (encoder, "src");
  gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER, _pc_call_session_on_encoded_frame, self, NULL);
  gst_element_sync_state_with_parent (park);
  gst_element_sync_state_with_parent (encoder);
  return encoder;
}

static gboolean
link_source (GstElement *src, GstElement *sink)
{
  g_autoptr (GstPad) src_pad = gst_element_get_static_pad (src, "src");
  g_autoptr (GstPad) sink_pad = gst_element_get_static_pad (sink, "sink");

  return gst_pad_link_full (src_pad, sink_pad, GST_PAD_LINK_CHECK_NOTHING) == GST_PAD_LINK_OK;
}

/* Main context: the new source is warm (or late). Swap it in: the old source stops, the new
 * one, already running, is linked in front of the encoder and its next frame is a keyframe.
 * With @encoder_ready the prepared encoder takes over from vencoder as the new size reaches
 * it. */
static void
finish_switch (PcCallSession *self, gboolean encoder_ready)
{
  GstElement *src = self->pending_src;
  GstElement *old = self->video_src;
  GstElement *encoder = self->pending_encoder;
  gboolean was_screen = self->sharing_screen;
  gboolean screen = pc_media_source_resolve (self->pending_kind, TRUE) == PC_MEDIA_SOURCE_SCREEN;
  gboolean notify = self->pending_notify;
  g_autoptr (GstPad) pad = NULL;

  if (src == NULL)
    return;
  g_clear_handle_id (&self->pending_timeout_id, g_source_remove);
  self->pending_src = NULL; /* the reference moves to video_src below */
  self->pending_encoder = NULL;

  /* Stopping the old source first means nothing is pushing while we relink. */
  if (old)
    {
      gint64 t = g_get_monotonic_time ();

      drop_element (self, old);
      g_clear_object (&self->video_src);
      g_debug ("Video switch: old source stopped in %.0f ms",
               (g_get_monotonic_time () - t) / 1000.0);
    }

  if (encoder && encoder_ready)
    {
      g_autoptr (GstPad) old_sink = gst_element_get_static_pad (self->vencoder, "sink");
      g_autoptr (GstPad) queue_src = gst_pad_get_peer (old_sink);
      EncoderSwap *swap = g_new0 (EncoderSwap, 1);

      swap->self = self;
      swap->old_encoder = g_steal_pointer (&self->vencoder);
      swap->new_encoder = g_object_ref (encoder);
      self->vencoder = g_steal_pointer (&encoder); /* settings and keyframes go to it now */
      gst_pad_add_probe (queue_src, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, on_encoder_swap_event,
                         swap, (GDestroyNotify)encoder_swap_free);
    }
  else if (encoder)
    {
      drop_encoder (encoder);
      g_clear_object (&encoder);
    }

  if (screen && !was_screen)
    self->kind_before_screen = self->pending_prev_kind;
  if (screen != was_screen)
    _pc_call_session_apply_video_profile (self, screen);
  self->sharing_screen = screen;
  /* A session-made capture ends with the share; one from the application stays its own. */
  if (was_screen && !screen && self->screencast && self->screencast_owned)
    pc_screencast_stop (self->screencast);

  self->video_src = src;
  pad = gst_element_get_static_pad (src, "src");
  /* No caps query on the main context: it would go through the whole chain to webrtcbin, and
   * the new source gives what the chain takes (wrap_source). */
  if (!link_source (src, self->video_in))
    {
      g_autoptr (GError) error = g_error_new (PC_MEDIA_ERROR, PC_MEDIA_ERROR_PIPELINE,
                                              "Cannot link the new video source");
      _pc_call_session_clear_pending (self);
      _pc_call_session_emit_failed (self, error);
      return;
    }
  /* Linked first: the frames the probe still drops meanwhile are not missed. */
  if (pad && self->pending_probe_id)
    gst_pad_remove_probe (pad, self->pending_probe_id);
  _pc_call_session_clear_pending (self);
  g_debug ("Video switch to %s done", pc_media_source_kind_to_string (self->video_kind));
  /* The receiver must not wait for the next scheduled keyframe to show the new picture. */
  _pc_call_session_force_local_keyframe (self);
  if (notify)
    g_object_notify_by_pspec (G_OBJECT (self), _pc_call_session_properties[PROP_VIDEO_SOURCE]);
}

/* The capture bin, then the conversion to what the encoder gets for this kind of content,
 * in one bin: its output goes through vconvert/vscale/video_caps unchanged, so the caps it
 * shows at its first frame are the ones the encoder will see. */
static GstElement *
wrap_source (PcCallSession *self, GstElement *src, gboolean screen, GError **error)
{
  static gint counter;
  g_autofree char *name = g_strdup_printf ("video-switch%d", g_atomic_int_add (&counter, 1));
  GstElement *bin, *convert, *scale, *filter;
  g_autoptr (GstCaps) caps = NULL;
  g_autoptr (GstPad) pad = NULL;

  convert = _pc_call_session_make ("videoconvert", NULL, error);
  scale = _pc_call_session_make ("videoscale", NULL, error);
  filter = _pc_call_session_make ("capsfilter", NULL, error);
  if (!convert || !scale || !filter)
    {
      g_clear_object (&convert);
      g_clear_object (&scale);
      g_clear_object (&filter);
      gst_element_set_state (src, GST_STATE_NULL);
      gst_object_unref (gst_object_ref_sink (src));
      return NULL;
    }
  /* as apply_video_profile sets video_caps, and vscale's letterboxing */
  if (screen)
    caps = gst_caps_new_simple ("video/x-raw", "format", G_TYPE_STRING, "I420",
                                "pixel-aspect-ratio", GST_TYPE_FRACTION, 1, 1, NULL);
  else
    caps = gst_caps_ref (self->send_caps);
  g_object_set (filter, "caps", caps, NULL);
  g_object_set (scale, "add-borders", TRUE, NULL);
  bin = gst_bin_new (name);
  gst_bin_add_many (GST_BIN (bin), src, convert, scale, filter, NULL);
  if (!gst_element_link_many (src, convert, scale, filter, NULL))
    {
      gst_element_set_state (bin, GST_STATE_NULL);
      gst_object_unref (gst_object_ref_sink (bin));
      g_set_error (error, PC_MEDIA_ERROR, PC_MEDIA_ERROR_PIPELINE,
                   "Cannot link the new video source");
      return NULL;
    }
  pad = gst_element_get_static_pad (filter, "src");
  gst_element_add_pad (bin, gst_ghost_pad_new ("src", pad));
  return bin;
}

/* Replaces the source bin in front of the encoder: same sender, same SSRC, no renegotiation.
 * The new source starts while the old one still sends and takes over at its first frame
 * (finish_switch), with an encoder already initialised at its size when the size changes, so
 * the receiver's picture does not wait for the device or display to open and deliver, nor for
 * the encoder to restart. "video-source" is notified then. On failure the previous source
 * keeps running. */
gboolean
_pc_call_session_switch_video_source (PcCallSession *self, PcMediaSourceKind kind, GError **error)
{
  gboolean screen = pc_media_source_resolve (kind, TRUE) == PC_MEDIA_SOURCE_SCREEN;
  PcMediaSourceKind running;
  PendingProbe *probe;
  g_autoptr (GstPad) pad = NULL;
  GstElement *src;

  /* A newer request: the source still warming up takes over at once, so the changes are
   * notified in the order they were asked for, and the new one warms up after it. */
  if (self->pending_src)
    finish_switch (self, FALSE);
  running = self->video_kind;

  src = _pc_call_session_make_video_source (self, kind, error);
  if (src == NULL)
    return FALSE;
  /* Open the device / display while the old source still sends. */
  if (gst_element_set_state (src, GST_STATE_READY) == GST_STATE_CHANGE_FAILURE)
    {
      gst_element_set_state (src, GST_STATE_NULL);
      gst_object_unref (gst_object_ref_sink (src));
      g_set_error (error, PC_MEDIA_ERROR,
                   screen ? PC_MEDIA_ERROR_SCREENCAST : PC_MEDIA_ERROR_DEVICE_MISSING,
                   "The new video source refused to start");
      if (!self->sharing_screen && self->screencast_owned)
        _pc_call_session_set_screencast_object (self, NULL, FALSE);
      return FALSE;
    }
  src = wrap_source (self, src, screen, error);
  if (src == NULL)
    return FALSE;
  gst_object_ref_sink (src);
  pad = gst_element_get_static_pad (src, "src");
  if (!gst_bin_add (GST_BIN (self->pipeline), gst_object_ref (src)))
    {
      gst_element_set_state (src, GST_STATE_NULL);
      gst_object_unref (src);
      g_set_error (error, PC_MEDIA_ERROR, PC_MEDIA_ERROR_PIPELINE,
                   "Cannot add the new video source");
      return FALSE;
    }
  self->pending_src = src; /* takes the reference from ref_sink */
  self->pending_kind = kind;
  self->pending_prev_kind = running;
  self->pending_notify = kind != running;
  self->pending_since_us = g_get_monotonic_time ();
  self->pending_extended = FALSE;
  self->video_kind = kind;
  probe = g_new0 (PendingProbe, 1);
  probe->self = self;
  probe->serial = self->pending_serial;
  if (self->vencoder)
    {
      g_autoptr (GstPad) sink = gst_element_get_static_pad (self->vencoder, "sink");

      self->pending_encoder = prepare_encoder (self);
      probe->encoder = self->pending_encoder ? g_object_ref (self->pending_encoder) : NULL;
      probe->encoder_caps = gst_pad_get_current_caps (sink);
    }
  self->pending_probe_id
      = gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
                           on_pending_buffer, probe, (GDestroyNotify)pending_probe_free);
  self->pending_timeout_id = g_timeout_add (SWITCH_WARMUP_TIMEOUT_MS, on_pending_timeout, self);
  g_debug ("Video switch to %s: warming up", pc_media_source_kind_to_string (kind));
  if (!gst_element_sync_state_with_parent (src))
    {
      _pc_call_session_cancel_pending_switch (self);
      g_set_error (error, PC_MEDIA_ERROR,
                   screen ? PC_MEDIA_ERROR_SCREENCAST : PC_MEDIA_ERROR_DEVICE_MISSING,
                   "The new video source refused to start");
      return FALSE;
    }
  return TRUE;
}

/* Back from a screen share to what was sent before it (camera or test); black frames if that
 * fails too. */
void
_pc_call_session_end_screen_share (PcCallSession *self)
{
  g_autoptr (GError) error = NULL;
  PcMediaSourceKind back = self->kind_before_screen;

  if (back == PC_MEDIA_SOURCE_SCREEN || back == PC_MEDIA_SOURCE_AUTO)
    back = pc_media_source_resolve (PC_MEDIA_SOURCE_AUTO, TRUE);
  if (!_pc_call_session_switch_video_source (self, back, &error))
    {
      _pc_call_session_emit_media_error (self, error);
      g_clear_error (&error);
      if (!_pc_call_session_switch_video_source (self, PC_MEDIA_SOURCE_NONE, &error))
        _pc_call_session_emit_failed (self, error);
    }
}

/* Main context: the user stopped sharing from the shell, the PipeWire stream or the X display
 * went away, or the capture failed. */
void
_pc_call_session_on_screencast_closed (PcScreencast *screencast, PcCallSession *self)
{
  g_autoptr (GError) error = NULL;

  if (self->closed || !self->started || screencast != self->screencast)
    return;
  error = g_error_new (PC_MEDIA_ERROR, PC_MEDIA_ERROR_SCREENCAST, "Screen sharing ended");
  if (self->pending_src
      && pc_media_source_resolve (self->pending_kind, TRUE) == PC_MEDIA_SOURCE_SCREEN)
    {
      /* It ended before the share reached the peer: keep sending what was sent. */
      gboolean changed = self->pending_notify;

      _pc_call_session_cancel_pending_switch (self);
      if (!self->sharing_screen)
        {
          _pc_call_session_emit_media_error (self, error);
          if (changed)
            g_object_notify_by_pspec (G_OBJECT (self),
                                      _pc_call_session_properties[PROP_VIDEO_SOURCE]);
          return;
        }
    }
  if (!self->sharing_screen)
    return;
  _pc_call_session_emit_media_error (self, error);
  _pc_call_session_end_screen_share (self);
}
