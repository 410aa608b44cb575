/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "peercall-media"

#include "config.h"

#include <gst/video/video.h>

#include "pc-video-paintable.h"

struct _PcVideoPaintable
{
  GObject parent_instance;

  GMainContext *context;
  GdkTexture *texture; /* main context only */

  GMutex lock;
  GdkTexture *pending; /* the newest frame not yet shown; older ones are dropped */
  gboolean scheduled;
};

static void pc_video_paintable_paintable_init (GdkPaintableInterface *iface);

G_DEFINE_TYPE_WITH_CODE (PcVideoPaintable,
                         pc_video_paintable,
                         G_TYPE_OBJECT,
                         G_IMPLEMENT_INTERFACE (GDK_TYPE_PAINTABLE,
                                                pc_video_paintable_paintable_init))

static void
pc_video_paintable_snapshot (GdkPaintable *paintable,
                             GdkSnapshot *snapshot,
                             double width,
                             double height)
{
  PcVideoPaintable *self = PC_VIDEO_PAINTABLE (paintable);

  if (self->texture)
    gdk_paintable_snapshot (GDK_PAINTABLE (self->texture), snapshot, width, height);
}

static GdkPaintable *
pc_video_paintable_get_current_image (GdkPaintable *paintable)
{
  PcVideoPaintable *self = PC_VIDEO_PAINTABLE (paintable);

  if (self->texture)
    return GDK_PAINTABLE (g_object_ref (self->texture));
  return gdk_paintable_new_empty (0, 0);
}

static int
pc_video_paintable_get_intrinsic_width (GdkPaintable *paintable)
{
  PcVideoPaintable *self = PC_VIDEO_PAINTABLE (paintable);
  return self->texture ? gdk_texture_get_width (self->texture) : 0;
}

static int
pc_video_paintable_get_intrinsic_height (GdkPaintable *paintable)
{
  PcVideoPaintable *self = PC_VIDEO_PAINTABLE (paintable);
  return self->texture ? gdk_texture_get_height (self->texture) : 0;
}

static double
pc_video_paintable_get_intrinsic_aspect_ratio (GdkPaintable *paintable)
{
  PcVideoPaintable *self = PC_VIDEO_PAINTABLE (paintable);

  if (self->texture == NULL || gdk_texture_get_height (self->texture) == 0)
    return 0;
  return (double)gdk_texture_get_width (self->texture) / gdk_texture_get_height (self->texture);
}

static void
pc_video_paintable_paintable_init (GdkPaintableInterface *iface)
{
  iface->snapshot = pc_video_paintable_snapshot;
  iface->get_current_image = pc_video_paintable_get_current_image;
  iface->get_intrinsic_width = pc_video_paintable_get_intrinsic_width;
  iface->get_intrinsic_height = pc_video_paintable_get_intrinsic_height;
  iface->get_intrinsic_aspect_ratio = pc_video_paintable_get_intrinsic_aspect_ratio;
}

static void
set_texture (PcVideoPaintable *self, GdkTexture *texture)
{
  gboolean size_changed;

  if (self->texture == texture)
    return;
  size_changed
      = (self->texture == NULL) != (texture == NULL)
        || (texture
            && (gdk_texture_get_width (texture) != gdk_texture_get_width (self->texture)
                || gdk_texture_get_height (texture) != gdk_texture_get_height (self->texture)));
  g_set_object (&self->texture, texture);
  if (size_changed)
    gdk_paintable_invalidate_size (GDK_PAINTABLE (self));
  gdk_paintable_invalidate_contents (GDK_PAINTABLE (self));
}

static gboolean
on_texture_ready (gpointer user_data)
{
  PcVideoPaintable *self = user_data;
  GdkTexture *texture;

  g_mutex_lock (&self->lock);
  texture = g_steal_pointer (&self->pending);
  self->scheduled = FALSE;
  g_mutex_unlock (&self->lock);

  if (texture)
    {
      set_texture (self, texture);
      g_object_unref (texture);
    }
  return G_SOURCE_REMOVE;
}

typedef struct
{
  GstBuffer *buffer;
  GstMapInfo map;
} MappedBuffer;

static void
mapped_buffer_free (gpointer data)
{
  MappedBuffer *mb = data;

  gst_buffer_unmap (mb->buffer, &mb->map);
  gst_buffer_unref (mb->buffer);
  g_free (mb);
}

void
pc_video_paintable_push_sample (GstSample *sample, gpointer paintable)
{
  PcVideoPaintable *self = paintable;
  GstVideoInfo info;
  GstCaps *caps;
  GstBuffer *buffer;
  MappedBuffer *mb;
  g_autoptr (GBytes) bytes = NULL;
  GdkTexture *texture;
  gsize size;

  g_return_if_fail (PC_IS_VIDEO_PAINTABLE (self));
  g_return_if_fail (sample != NULL);

  caps = gst_sample_get_caps (sample);
  buffer = gst_sample_get_buffer (sample);
  if (caps == NULL || buffer == NULL || !gst_video_info_from_caps (&info, caps)
      || GST_VIDEO_INFO_FORMAT (&info) != GST_VIDEO_FORMAT_BGRA)
    {
      g_warning_once ("PcVideoPaintable needs BGRA samples");
      return;
    }

  /* Map here, on the streaming thread; the GBytes keeps the buffer mapped until the texture
   * (immutable, thread-safe) is gone. */
  mb = g_new0 (MappedBuffer, 1);
  mb->buffer = gst_buffer_ref (buffer);
  if (!gst_buffer_map (buffer, &mb->map, GST_MAP_READ))
    {
      gst_buffer_unref (mb->buffer);
      g_free (mb);
      return;
    }
  size = (gsize)GST_VIDEO_INFO_PLANE_STRIDE (&info, 0) * GST_VIDEO_INFO_HEIGHT (&info);
  if (mb->map.size < GST_VIDEO_INFO_PLANE_OFFSET (&info, 0) + size)
    {
      mapped_buffer_free (mb);
      return;
    }
  bytes = g_bytes_new_with_free_func (mb->map.data + GST_VIDEO_INFO_PLANE_OFFSET (&info, 0), size,
                                      mapped_buffer_free, mb);
  texture
      = gdk_memory_texture_new (GST_VIDEO_INFO_WIDTH (&info), GST_VIDEO_INFO_HEIGHT (&info),
                                GDK_MEMORY_B8G8R8A8, bytes, GST_VIDEO_INFO_PLANE_STRIDE (&info, 0));

  g_mutex_lock (&self->lock);
  g_clear_object (&self->pending);
  self->pending = texture;
  if (!self->scheduled)
    {
      GSource *source = g_idle_source_new ();

      self->scheduled = TRUE;
      /* Frames are shown before redraw-priority work queued after them. */
      g_source_set_priority (source, G_PRIORITY_HIGH_IDLE);
      g_source_set_callback (source, on_texture_ready, g_object_ref (self), g_object_unref);
      g_source_set_static_name (source, "[peercall] video frame");
      g_source_attach (source, self->context);
      g_source_unref (source);
    }
  g_mutex_unlock (&self->lock);
}

void
pc_video_paintable_clear (PcVideoPaintable *self)
{
  g_return_if_fail (PC_IS_VIDEO_PAINTABLE (self));

  g_mutex_lock (&self->lock);
  g_clear_object (&self->pending);
  g_mutex_unlock (&self->lock);
  set_texture (self, NULL);
}

gboolean
pc_video_paintable_has_frame (PcVideoPaintable *self)
{
  g_return_val_if_fail (PC_IS_VIDEO_PAINTABLE (self), FALSE);
  return self->texture != NULL;
}

static void
pc_video_paintable_dispose (GObject *object)
{
  PcVideoPaintable *self = PC_VIDEO_PAINTABLE (object);

  g_clear_object (&self->texture);
  g_clear_object (&self->pending);

  G_OBJECT_CLASS (pc_video_paintable_parent_class)->dispose (object);
}

static void
pc_video_paintable_finalize (GObject *object)
{
  PcVideoPaintable *self = PC_VIDEO_PAINTABLE (object);

  g_mutex_clear (&self->lock);
  g_main_context_unref (self->context);

  G_OBJECT_CLASS (pc_video_paintable_parent_class)->finalize (object);
}

static void
pc_video_paintable_class_init (PcVideoPaintableClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = pc_video_paintable_dispose;
  object_class->finalize = pc_video_paintable_finalize;
}

static void
pc_video_paintable_init (PcVideoPaintable *self)
{
  g_mutex_init (&self->lock);
  self->context = g_main_context_ref_thread_default ();
}

PcVideoPaintable *
pc_video_paintable_new (void)
{
  return g_object_new (PC_TYPE_VIDEO_PAINTABLE, NULL);
}
