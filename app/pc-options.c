/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "peercall-options"

#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "pc-options.h"
#include "pc-protocol.h"

PcOptions *
pc_options_new (void)
{
  PcOptions *options = g_new0 (PcOptions, 1);

  options->exit_after_frames = -1;
  options->hangup_after = -1;
  options->timeout = -1;
  return options;
}

void
pc_options_free (PcOptions *options)
{
  if (options == NULL)
    return;
  g_free (options->server);
  g_free (options->user);
  g_free (options->name);
  g_free (options->token);
  g_free (options->call);
  g_free (options->auto_decline);
  g_free (options->video_source);
  g_free (options->audio_source);
  g_strfreev (options->local_addresses);
  g_free (options->ice_transport_policy);
  g_strfreev (options->ice_servers);
  g_free (options->events);
  g_free (options->dump_frame);
  g_strfreev (options->switch_source_after);
  g_clear_pointer (&options->switches, g_array_unref);
  g_free (options);
}

GOptionEntry *
pc_options_get_entries (PcOptions *o)
{
  const GOptionEntry entries[] = {
    { "headless", 0, 0, G_OPTION_ARG_NONE, &o->headless,
      N_ ("Run without any display (automation, tests)"), NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &o->version, N_ ("Print the version and exit"), NULL },
    { "server", 0, 0, G_OPTION_ARG_STRING, &o->server, N_ ("Signaling server"), "URL" },
    { "user", 0, 0, G_OPTION_ARG_STRING, &o->user, N_ ("User name to sign in as"), "NAME" },
    { "name", 0, 0, G_OPTION_ARG_STRING, &o->name, N_ ("Display name"), "TEXT" },
    { "token", 0, 0, G_OPTION_ARG_STRING, &o->token, N_ ("Sign-in token"), "T" },
    { "call", 0, 0, G_OPTION_ARG_STRING, &o->call, N_ ("Call this user once signed in"), "PEER" },
    { "auto-answer", 0, 0, G_OPTION_ARG_NONE, &o->auto_answer, N_ ("Answer incoming calls at once"),
      NULL },
    { "auto-decline", 0, 0, G_OPTION_ARG_STRING, &o->auto_decline,
      N_ ("Decline incoming calls at once (declined, busy or unavailable)"), "REASON" },
    { "video-source", 0, 0, G_OPTION_ARG_STRING, &o->video_source,
      N_ ("Video to send: auto, camera, screen, test or none"), "SOURCE" },
    { "audio-source", 0, 0, G_OPTION_ARG_STRING, &o->audio_source,
      N_ ("Audio to send: auto, mic, test or none"), "SOURCE" },
    { "local-address", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o->local_addresses,
      N_ ("Gather ICE candidates on this address only (repeatable)"), "IP" },
    { "ice-transport-policy", 0, 0, G_OPTION_ARG_STRING, &o->ice_transport_policy,
      N_ ("all, or relay for TURN only"), "POLICY" },
    { "ice-server", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o->ice_servers,
      N_ ("Extra STUN/TURN server, e.g. turn:user:pass@host:3478 (repeatable)"), "URI" },
    { "events", 0, 0, G_OPTION_ARG_FILENAME, &o->events,
      N_ ("Write JSON events to FILE, or - for standard output"), "FILE" },
    { "exit-after-frames", 0, 0, G_OPTION_ARG_INT, &o->exit_after_frames,
      N_ ("Hang up and exit once N remote video frames are decoded"), "N" },
    { "hangup-after", 0, 0, G_OPTION_ARG_DOUBLE, &o->hangup_after,
      N_ ("Hang up SECONDS after the call starts, then exit"), "SECONDS" },
    { "timeout", 0, 0, G_OPTION_ARG_DOUBLE, &o->timeout, N_ ("Fail if not done after SECONDS"),
      "SECONDS" },
    { "latency-probe", 0, 0, G_OPTION_ARG_NONE, &o->latency_probe,
      N_ ("Read the latency stamp of received video"), NULL },
    { "dump-frame", 0, 0, G_OPTION_ARG_FILENAME, &o->dump_frame,
      N_ ("When the call ends, save the last received video frame as PNG"), "FILE" },
    { "switch-source-after", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o->switch_source_after,
      N_ ("Switch the outgoing video SECONDS after connecting (repeatable)"), "SECONDS:KIND" },
    { NULL },
  };

  return g_memdup2 (entries, sizeof entries);
}

gboolean
pc_options_argv_has_headless (int argc, char **argv)
{
  for (int i = 1; i < argc; i++)
    {
      if (g_strcmp0 (argv[i], "--") == 0)
        break;
      if (g_strcmp0 (argv[i], "--headless") == 0)
        return TRUE;
    }
  return FALSE;
}

static gboolean bad_value (GError **error, const char *format, ...) G_GNUC_PRINTF (2, 3);

static gboolean
bad_value (GError **error, const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, message);
  return FALSE;
}

static gboolean
check_seconds (double value, const char *option, GError **error)
{
  /* -1 is "not given" */
  if (value == -1)
    return TRUE;
  if (!isfinite (value) || value < 0 || value > 7 * 24 * 3600)
    return bad_value (error, "--%s: %g is not a number of seconds", option, value);
  return TRUE;
}

static int
compare_switches (gconstpointer a, gconstpointer b)
{
  double da = ((const PcSourceSwitch *)a)->seconds;
  double db = ((const PcSourceSwitch *)b)->seconds;

  return da < db ? -1 : da > db ? 1 : 0;
}

gboolean
pc_options_validate (PcOptions *o, GError **error)
{
  o->video_kind = PC_MEDIA_SOURCE_AUTO;
  o->audio_kind = PC_MEDIA_SOURCE_AUTO;
  o->policy = PC_ICE_TRANSPORT_POLICY_ALL;

  if (o->video_source != NULL)
    {
      if (!pc_media_source_kind_from_string (o->video_source, &o->video_kind)
          || o->video_kind == PC_MEDIA_SOURCE_MIC)
        return bad_value (error,
                          "--video-source: “%s” is not one of auto, camera, screen, test, none",
                          o->video_source);
    }
  if (o->audio_source != NULL)
    {
      if (!pc_media_source_kind_from_string (o->audio_source, &o->audio_kind)
          || o->audio_kind == PC_MEDIA_SOURCE_CAMERA || o->audio_kind == PC_MEDIA_SOURCE_SCREEN)
        return bad_value (error, "--audio-source: “%s” is not one of auto, mic, test, none",
                          o->audio_source);
    }
  if (o->ice_transport_policy != NULL)
    {
      if (g_strcmp0 (o->ice_transport_policy, "all") == 0)
        o->policy = PC_ICE_TRANSPORT_POLICY_ALL;
      else if (g_strcmp0 (o->ice_transport_policy, "relay") == 0)
        o->policy = PC_ICE_TRANSPORT_POLICY_RELAY;
      else
        return bad_value (error, "--ice-transport-policy: “%s” is not all or relay",
                          o->ice_transport_policy);
    }
  if (o->user != NULL && !pc_protocol_is_valid_user (o->user))
    return bad_value (error, "--user: “%s” is not a user name (lower-case letters, digits, . _ -)",
                      o->user);
  if (o->name != NULL && !pc_protocol_is_valid_name (o->name))
    return bad_value (error, "--name: must be 1 to 128 characters");
  if (o->call != NULL && !pc_protocol_is_valid_user (o->call))
    return bad_value (error, "--call: “%s” is not a user name", o->call);
  if (o->call != NULL && o->user != NULL && g_strcmp0 (o->call, o->user) == 0)
    return bad_value (error, "--call: cannot call yourself");
  if (o->server != NULL && !g_str_has_prefix (o->server, "ws://")
      && !g_str_has_prefix (o->server, "wss://"))
    return bad_value (error, "--server: “%s” is not a ws:// or wss:// URL", o->server);
  if (o->auto_decline != NULL && g_strcmp0 (o->auto_decline, "declined") != 0
      && g_strcmp0 (o->auto_decline, "busy") != 0
      && g_strcmp0 (o->auto_decline, "unavailable") != 0)
    return bad_value (error, "--auto-decline: “%s” is not declined, busy or unavailable",
                      o->auto_decline);
  if (o->auto_decline != NULL && o->auto_answer)
    return bad_value (error, "--auto-answer and --auto-decline exclude each other");
  if (o->exit_after_frames < -1 || o->exit_after_frames == 0)
    return bad_value (error, "--exit-after-frames: give a positive number of frames");
  if (!check_seconds (o->hangup_after, "hangup-after", error)
      || !check_seconds (o->timeout, "timeout", error))
    return FALSE;
  if (o->timeout == 0)
    return bad_value (error, "--timeout: give a positive number of seconds");
  if (o->events != NULL && *o->events == '\0')
    return bad_value (error, "--events: give a file name or -");
  if (o->local_addresses != NULL)
    {
      for (char **a = o->local_addresses; *a; a++)
        if (!g_hostname_is_ip_address (*a))
          return bad_value (error, "--local-address: “%s” is not an IP address", *a);
    }
  if (o->dump_frame != NULL && *o->dump_frame == '\0')
    return bad_value (error, "--dump-frame: give a file name");
  g_clear_pointer (&o->switches, g_array_unref);
  o->switches = g_array_new (FALSE, FALSE, sizeof (PcSourceSwitch));
  if (o->switch_source_after != NULL)
    {
      for (char **a = o->switch_source_after; *a; a++)
        {
          PcSourceSwitch sw = { 0 };
          const char *colon = strchr (*a, ':');
          g_autofree char *number = colon ? g_strndup (*a, colon - *a) : NULL;
          char *end = NULL;

          if (number != NULL)
            sw.seconds = g_ascii_strtod (number, &end);
          if (number == NULL || end == number || *end != '\0' || !isfinite (sw.seconds)
              || sw.seconds < 0 || !pc_media_source_kind_from_string (colon + 1, &sw.kind)
              || sw.kind == PC_MEDIA_SOURCE_MIC || sw.kind == PC_MEDIA_SOURCE_AUTO)
            return bad_value (error,
                              "--switch-source-after: “%s” is not SECONDS:KIND (KIND camera, "
                              "screen, test or none)",
                              *a);
          g_array_append_val (o->switches, sw);
        }
    }
  g_array_sort (o->switches, compare_switches);

  if (o->headless && o->user == NULL)
    return bad_value (error, "--headless needs --user");

  return TRUE;
}

gboolean
pc_options_has_automation (PcOptions *o)
{
  return o->call != NULL || o->auto_answer || o->auto_decline != NULL || o->exit_after_frames > 0
         || o->hangup_after >= 0 || o->timeout > 0;
}

PcIceConfig *
pc_options_create_ice_config (PcOptions *o, GError **error)
{
  g_autoptr (PcIceConfig) config = pc_ice_config_new ();

  pc_ice_config_set_transport_policy (config, o->policy);
  if (o->local_addresses != NULL)
    for (char **a = o->local_addresses; *a; a++)
      pc_ice_config_add_local_address (config, *a);
  if (o->ice_servers != NULL)
    for (char **s = o->ice_servers; *s; s++)
      if (!pc_ice_config_add_server_uri (config, *s, error))
        {
          g_prefix_error (error, "--ice-server: ");
          return NULL;
        }
  return g_steal_pointer (&config);
}
