/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pc-media-error.h: the error domain of everything in media/. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define PC_MEDIA_ERROR (pc_media_error_quark ())

typedef enum
{
  PC_MEDIA_ERROR_PIPELINE,       /* an element is missing or a pipeline refused to start */
  PC_MEDIA_ERROR_NEGOTIATION,    /* bad/unsupported remote description */
  PC_MEDIA_ERROR_DEVICE_MISSING, /* camera / microphone absent: call goes on without it */
  PC_MEDIA_ERROR_DEVICE_BUSY,    /* camera in use by another program */
  PC_MEDIA_ERROR_ICE_FAILED,
  PC_MEDIA_ERROR_SCREENCAST,       /* portal refused/cancelled, or no screen to capture */
  PC_MEDIA_ERROR_DTLS_FINGERPRINT, /* the peer's DTLS certificate is not the one its SDP announced
                                    */
} PcMediaError;

GQuark pc_media_error_quark (void);

G_END_DECLS
