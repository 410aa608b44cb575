/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "peercall-headless"

#include "config.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <gst/gst.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>

#include "pc-automation.h"
#include "pc-call-manager.h"
#include "pc-event-printer.h"
#include "pc-headless.h"
#include "pc-options.h"

/* After finishing: time for the last `hangup` and the close frame to leave. */
#define FLUSH_TIMEOUT_MS 1500

typedef struct
{
  GMainLoop *loop;
  PcCallManager *manager;
  PcAutomation *automation;
  guint flush_id;
} Run;

static gboolean
on_flush_done (gpointer data)
{
  Run *run = data;

  run->flush_id = 0;
  g_main_loop_quit (run->loop);
  return G_SOURCE_REMOVE;
}

static void
on_signaling_state (PcCallManager *manager, GParamSpec *pspec, Run *run)
{
  /* closed: whatever we sent before the close frame has gone out */
  if (pc_automation_is_finished (run->automation)
      && pc_call_manager_get_signaling_state (manager) == PC_SIGNALING_STATE_DISCONNECTED
      && run->flush_id != 0)
    {
      g_source_remove (run->flush_id);
      run->flush_id = g_timeout_add (50, on_flush_done, run);
    }
}

static void
on_finished (PcAutomation *automation, int exit_status, Run *run)
{
  run->flush_id = g_timeout_add (FLUSH_TIMEOUT_MS, on_flush_done, run);
  if (pc_call_manager_get_signaling_state (run->manager) == PC_SIGNALING_STATE_DISCONNECTED)
    {
      g_source_remove (run->flush_id);
      run->flush_id = g_timeout_add (50, on_flush_done, run);
      return;
    }
  pc_call_manager_disconnect (run->manager);
}

/* GLib writes debug/info to stdout by default; with `--events -` stdout carries only events. */
static GLogWriterOutput
log_to_stderr (GLogLevelFlags log_level,
               const GLogField *fields,
               gsize n_fields,
               gpointer user_data)
{
  g_autofree char *line = NULL;
  const char *domain = NULL;

  for (gsize i = 0; i < n_fields; i++)
    if (g_strcmp0 (fields[i].key, "GLIB_DOMAIN") == 0)
      domain = fields[i].value;
  if (g_log_writer_default_would_drop (log_level, domain))
    return G_LOG_WRITER_HANDLED;

  line = g_log_writer_format_fields (log_level, fields, n_fields, g_log_writer_supports_color (2));
  fprintf (stderr, "%s\n", line);
  fflush (stderr);
  if (log_level & G_LOG_FLAG_FATAL)
    abort ();
  return G_LOG_WRITER_HANDLED;
}

static gboolean
on_unix_signal (gpointer data)
{
  Run *run = data;

  g_debug ("interrupted");
  if (!pc_automation_is_finished (run->automation))
    pc_automation_stop (run->automation, PC_EXIT_FAILED);
  return G_SOURCE_CONTINUE;
}

int
pc_headless_run (int argc, char **argv)
{
  g_autoptr (PcOptions) options = pc_options_new ();
  g_autoptr (GOptionContext) context = NULL;
  g_autofree GOptionEntry *entries = pc_options_get_entries (options);
  g_autoptr (GError) error = NULL;
  g_autoptr (PcIceConfig) ice_config = NULL;
  g_autoptr (PcEventPrinter) printer = NULL;
  g_auto (GStrv) args = NULL;
  Run run = { 0 };
  guint sigint_id, sigterm_id;
  int exit_status;

  context = g_option_context_new (NULL);
  g_option_context_set_summary (context, _ ("One-to-one video calls"));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_add_group (context, gst_init_get_option_group ());

  args = g_strdupv (argv);
  if (!g_option_context_parse_strv (context, &args, &error))
    {
      g_printerr ("peercall: %s\nTry “peercall --help”.\n", error->message);
      return PC_EXIT_USAGE;
    }
  if (options->version)
    {
      g_print ("peercall %s\n", PACKAGE_VERSION);
      return PC_EXIT_DONE;
    }
  if (g_strv_length (args) > 1)
    {
      g_printerr ("peercall: unexpected argument “%s”\n", args[1]);
      return PC_EXIT_USAGE;
    }
  if (!pc_options_validate (options, &error))
    {
      g_printerr ("peercall: %s\n", error->message);
      return PC_EXIT_USAGE;
    }
  ice_config = pc_options_create_ice_config (options, &error);
  if (ice_config == NULL)
    {
      g_printerr ("peercall: %s\n", error->message);
      return PC_EXIT_USAGE;
    }

  if (g_strcmp0 (options->events, "-") == 0)
    g_log_set_writer_func (log_to_stderr, NULL, NULL);

  if (options->events != NULL)
    {
      printer = pc_event_printer_new (options->events, 0, &error);
      if (printer == NULL)
        {
          g_printerr ("peercall: %s\n", error->message);
          return PC_EXIT_USAGE;
        }
    }

  gst_init (NULL, NULL);
  /* the DTLS certificate is made now, off the call's critical path */
  pc_call_session_prepare ();

  run.loop = g_main_loop_new (NULL, FALSE);
  run.manager = pc_call_manager_new (options->server ? options->server : PC_DEFAULT_SERVER_URL,
                                     options->user, options->name, options->token, ice_config);
  pc_call_manager_set_video_source (run.manager, options->video_kind);
  pc_call_manager_set_audio_source (run.manager, options->audio_kind);
  pc_call_manager_set_latency_probe (run.manager, options->latency_probe);
  if (printer != NULL)
    pc_event_printer_attach (printer, run.manager);

  run.automation = pc_automation_new (run.manager, options, printer, TRUE);
  g_signal_connect (run.automation, "finished", G_CALLBACK (on_finished), &run);
  g_signal_connect (run.manager, "notify::signaling-state", G_CALLBACK (on_signaling_state), &run);

  sigint_id = g_unix_signal_add (SIGINT, on_unix_signal, &run);
  sigterm_id = g_unix_signal_add (SIGTERM, on_unix_signal, &run);

  pc_automation_start (run.automation);
  g_main_loop_run (run.loop);

  exit_status = pc_automation_get_exit_status (run.automation);

  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);
  g_clear_handle_id (&run.flush_id, g_source_remove);
  g_signal_handlers_disconnect_by_data (run.manager, &run);
  g_signal_handlers_disconnect_by_data (run.automation, &run);
  g_clear_object (&run.automation);
  g_clear_object (&run.manager);
  g_clear_object (&printer);

  /* let the sessions' deferred closes run before GStreamer goes away */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_main_loop_unref (run.loop);
  /* A quick run (connection refused) must not exit under the start-up work: exiting while the
   * DTLS certificate is made crashes in libcrypto's atexit cleanup. */
  pc_call_session_wait_prepared ();

  return exit_status;
}
