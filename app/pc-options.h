/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pc-options.h: the `peercall` command line (DESIGN.md), shared by the GTK application
 * (g_application_add_main_option_entries) and the display-free --headless path (GOptionContext). */
#pragma once

#include <glib.h>

#include "pc-ice-config.h"
#include "pc-media-source.h"

G_BEGIN_DECLS

/* Exit statuses of DESIGN.md */
#define PC_EXIT_DONE 0
#define PC_EXIT_FAILED 1
#define PC_EXIT_USAGE 2

#define PC_DEFAULT_SERVER_URL "ws://127.0.0.1:8080/ws"

typedef struct
{
  /* as parsed */
  gboolean headless;
  gboolean version;
  char *server;
  char *user;
  char *name;
  char *token;
  char *call;
  gboolean auto_answer;
  char *auto_decline; /* extra: declined/busy/unavailable */
  char *video_source;
  char *audio_source;
  char **local_addresses;
  char *ice_transport_policy;
  char **ice_servers; /* extra: stun:/turn:/turns: URIs */
  char *events;
  gint exit_after_frames;
  double hangup_after;
  double timeout;
  gboolean latency_probe;
  char *dump_frame;           /* extra: PNG of the last decoded remote frame */
  char **switch_source_after; /* extra: SECONDS:KIND, repeatable */

  /* filled by pc_options_validate () */
  PcMediaSourceKind video_kind;
  PcMediaSourceKind audio_kind;
  PcIceTransportPolicy policy;
  GArray *switches; /* of PcSourceSwitch, sorted by time */
} PcOptions;

typedef struct
{
  double seconds; /* after the call is connected */
  PcMediaSourceKind kind;
} PcSourceSwitch;

PcOptions *pc_options_new (void);
void pc_options_free (PcOptions *options);

/* The option table, bound to `options`' fields (valid as long as `options` is). */
GOptionEntry *pc_options_get_entries (PcOptions *options);

/* TRUE when argv (before a "--") holds --headless. */
gboolean pc_options_argv_has_headless (int argc, char **argv);

/* Checks values and cross-option rules; fills the *_kind / policy fields. FALSE with a message
 * for the user in G_OPTION_ERROR_BAD_VALUE (exit status 2). */
gboolean pc_options_validate (PcOptions *options, GError **error);

/* TRUE when the options ask for an unattended run: a call, an answer policy or an exit target. */
gboolean pc_options_has_automation (PcOptions *options);

/* The local ICE settings: policy, local addresses, --ice-server entries. */
PcIceConfig *pc_options_create_ice_config (PcOptions *options, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PcOptions, pc_options_free)

G_END_DECLS
