/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "peercall-application"

#include "config.h"

#include <glib/gi18n.h>
#include <gst/gst.h>

#include "pc-application.h"
#include "pc-automation.h"
#include "pc-call-manager.h"
#include "pc-event-printer.h"
#include "pc-options.h"
#include "pc-window.h"

struct _PcApplication
{
  AdwApplication parent_instance;

  PcOptions *options;
  GOptionEntry *entries;
  gboolean exit_status_set;
  int exit_status;

  GSettings *settings;
  PcCallManager *manager;
  PcEventPrinter *printer;
  PcAutomation *automation;
  PcWindow *window;
};

G_DEFINE_FINAL_TYPE (PcApplication, pc_application, ADW_TYPE_APPLICATION)

static void
quit_with (PcApplication *self, int exit_status)
{
  self->exit_status = exit_status;
  self->exit_status_set = TRUE;
  g_application_quit (G_APPLICATION (self));
}

static void
on_automation_finished (PcAutomation *automation, int exit_status, PcApplication *self)
{
  quit_with (self, exit_status);
}

/* The settings, or NULL when the schema is not installed (an uninstalled run without
 * GSETTINGS_SCHEMA_DIR): the command line then has to say everything. */
static GSettings *
load_settings (void)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr (GSettingsSchema) schema = NULL;

  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, APPLICATION_ID, TRUE);
  if (schema == NULL)
    {
      g_warning ("GSettings schema %s is not installed; preferences will not be kept",
                 APPLICATION_ID);
      return NULL;
    }
  return g_settings_new_full (schema, NULL, NULL);
}

/* Command-line values win over the settings, and are not written back. */
static char *
setting_or_option (PcApplication *self, const char *option, const char *key)
{
  if (option != NULL)
    return g_strdup (option);
  if (self->settings == NULL)
    return NULL;
  return g_settings_get_string (self->settings, key);
}

static PcCallManager *
create_manager (PcApplication *self, GError **error)
{
  g_autofree char *server = setting_or_option (self, self->options->server, "server-url");
  g_autofree char *user = setting_or_option (self, self->options->user, "user");
  g_autofree char *name = setting_or_option (self, self->options->name, "display-name");
  g_autofree char *token = setting_or_option (self, self->options->token, "token");
  g_autoptr (PcIceConfig) ice_config = NULL;
  PcCallManager *manager;

  if (user == NULL || *user == '\0')
    return NULL; /* not signed in yet: the window shows its sign-in page */
  if (server == NULL || *server == '\0')
    {
      g_free (server);
      server = g_strdup (PC_DEFAULT_SERVER_URL);
    }

  ice_config = pc_options_create_ice_config (self->options, error);
  if (ice_config == NULL)
    return NULL;
  if (self->settings != NULL)
    {
      g_auto (GStrv) servers = g_settings_get_strv (self->settings, "ice-servers");

      for (char **s = servers; *s; s++)
        {
          g_autoptr (GError) local_error = NULL;

          if (!pc_ice_config_add_server_uri (ice_config, *s, &local_error))
            g_warning ("ignoring ICE server from the preferences: %s", local_error->message);
        }
      if (self->options->ice_transport_policy == NULL
          && g_settings_get_boolean (self->settings, "relay-only"))
        pc_ice_config_set_transport_policy (ice_config, PC_ICE_TRANSPORT_POLICY_RELAY);
    }

  manager
      = pc_call_manager_new (server, user, *name ? name : NULL, *token ? token : NULL, ice_config);
  pc_call_manager_set_video_source (manager, self->options->video_kind);
  pc_call_manager_set_audio_source (manager, self->options->audio_kind);
  pc_call_manager_set_latency_probe (manager, self->options->latency_probe);
  pc_call_manager_set_auto_answer (manager, self->options->auto_answer);
  if (self->printer != NULL)
    pc_event_printer_attach (self->printer, manager);
  return manager;
}

static void
set_manager (PcApplication *self, PcCallManager *manager)
{
  if (self->manager != NULL)
    pc_call_manager_disconnect (self->manager);
  g_set_object (&self->manager, manager);
  if (self->window != NULL)
    pc_window_set_manager (self->window, manager);
}

static void
on_window_sign_in (PcWindow *window, PcApplication *self)
{
  g_autoptr (PcCallManager) manager = NULL;
  g_autoptr (GError) error = NULL;

  /* the account is the settings' now, whatever the command line said */
  g_clear_pointer (&self->options->server, g_free);
  g_clear_pointer (&self->options->user, g_free);
  g_clear_pointer (&self->options->name, g_free);
  g_clear_pointer (&self->options->token, g_free);

  manager = create_manager (self, &error);
  if (manager == NULL && error != NULL)
    pc_window_show_toast (window, error->message, NULL);
  set_manager (self, manager);
  if (manager != NULL)
    pc_call_manager_connect (manager);
}

static void
pc_application_activate (GApplication *app)
{
  PcApplication *self = PC_APPLICATION (app);
  g_autoptr (PcCallManager) manager = NULL;
  g_autoptr (GError) error = NULL;

  if (self->window != NULL)
    {
      gtk_window_present (GTK_WINDOW (self->window));
      return;
    }

  if (self->settings == NULL)
    {
      g_printerr ("peercall: the GSettings schema %s is not installed (set GSETTINGS_SCHEMA_DIR "
                  "for an uninstalled build, or use --headless)\n",
                  APPLICATION_ID);
      quit_with (self, PC_EXIT_FAILED);
      return;
    }

  manager = create_manager (self, &error);
  if (manager == NULL && error != NULL)
    {
      g_printerr ("peercall: %s\n", error->message);
      quit_with (self, PC_EXIT_USAGE);
      return;
    }
  g_set_object (&self->manager, manager);

  self->window = pc_window_new (ADW_APPLICATION (self), manager, self->settings);
  g_object_add_weak_pointer (G_OBJECT (self->window), (gpointer *)&self->window);
  g_signal_connect_object (self->window, "sign-in", G_CALLBACK (on_window_sign_in), self, 0);
  gtk_window_present (GTK_WINDOW (self->window));

  if (manager == NULL)
    return;

  if (pc_options_has_automation (self->options))
    {
      self->automation = pc_automation_new (manager, self->options, self->printer, FALSE);
      g_signal_connect_object (self->automation, "finished", G_CALLBACK (on_automation_finished),
                               self, 0);
      pc_automation_start (self->automation);
    }
  else
    {
      pc_call_manager_connect (manager);
    }
}

static void
pc_application_startup (GApplication *app)
{
  PcApplication *self = PC_APPLICATION (app);
  static const char *quit_accels[] = { "<Control>q", NULL };

  G_APPLICATION_CLASS (pc_application_parent_class)->startup (app);

  gst_init (NULL, NULL);
  /* the DTLS certificate is made now, off the first call's critical path */
  pc_call_session_prepare ();

  self->settings = load_settings ();
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "app.quit", quit_accels);
}

static void
pc_application_shutdown (GApplication *app)
{
  PcApplication *self = PC_APPLICATION (app);

  if (self->manager != NULL)
    pc_call_manager_disconnect (self->manager);
  pc_call_session_wait_prepared ();

  G_APPLICATION_CLASS (pc_application_parent_class)->shutdown (app);
}

/* A pre-parse so that a bad command line exits with status 2 (GApplication itself uses 1). */
static gboolean
pc_application_local_command_line (GApplication *app, char ***arguments, int *exit_status)
{
  g_autoptr (PcOptions) scratch = pc_options_new ();
  g_autofree GOptionEntry *entries = pc_options_get_entries (scratch);
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  g_auto (GStrv) args = g_strdupv (*arguments);
  g_autoptr (GError) error = NULL;

  for (char **a = args + 1; *a; a++)
    {
      /* help is GApplication's to print, and D-Bus activation (DBusActivatable=true launches
       * `peercall --gapplication-service`) is GApplication's to handle */
      if (g_str_has_prefix (*a, "--help") || g_strcmp0 (*a, "-h") == 0 || g_strcmp0 (*a, "-?") == 0
          || g_str_has_prefix (*a, "--gapplication-"))
        return G_APPLICATION_CLASS (pc_application_parent_class)
            ->local_command_line (app, arguments, exit_status);
      if (g_strcmp0 (*a, "--") == 0)
        break;
    }

  g_option_context_set_help_enabled (context, FALSE);
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse_strv (context, &args, &error))
    {
      g_printerr ("peercall: %s\nTry “peercall --help”.\n", error->message);
      *exit_status = PC_EXIT_USAGE;
      return TRUE;
    }

  return G_APPLICATION_CLASS (pc_application_parent_class)
      ->local_command_line (app, arguments, exit_status);
}

static int
pc_application_handle_local_options (GApplication *app, GVariantDict *dict)
{
  PcApplication *self = PC_APPLICATION (app);
  g_autoptr (GError) error = NULL;

  if (self->options->version)
    {
      g_print ("peercall %s\n", PACKAGE_VERSION);
      return PC_EXIT_DONE;
    }
  if (!pc_options_validate (self->options, &error))
    {
      g_printerr ("peercall: %s\n", error->message);
      return PC_EXIT_USAGE;
    }
  if (self->options->events != NULL)
    {
      self->printer = pc_event_printer_new (self->options->events, 0, &error);
      if (self->printer == NULL)
        {
          g_printerr ("peercall: %s\n", error->message);
          return PC_EXIT_USAGE;
        }
    }

  /* An explicit account or an unattended run is its own instance (the demo opens Alice and Bob
   * side by side); a plain launch stays single-instance and presents the existing window. */
  if (self->options->user != NULL || self->options->server != NULL
      || pc_options_has_automation (self->options))
    g_application_set_flags (app, g_application_get_flags (app) | G_APPLICATION_NON_UNIQUE);

  return -1;
}

static void
on_quit_action (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  PcApplication *self = PC_APPLICATION (user_data);

  if (self->manager != NULL)
    pc_call_manager_disconnect (self->manager);
  g_application_quit (G_APPLICATION (self));
}

static void
pc_application_dispose (GObject *object)
{
  PcApplication *self = PC_APPLICATION (object);

  g_clear_object (&self->automation);
  g_clear_object (&self->manager);
  g_clear_object (&self->printer);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (pc_application_parent_class)->dispose (object);
}

static void
pc_application_finalize (GObject *object)
{
  PcApplication *self = PC_APPLICATION (object);

  pc_options_free (self->options);
  g_free (self->entries);

  G_OBJECT_CLASS (pc_application_parent_class)->finalize (object);
}

static void
pc_application_class_init (PcApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = pc_application_dispose;
  object_class->finalize = pc_application_finalize;

  app_class->activate = pc_application_activate;
  app_class->startup = pc_application_startup;
  app_class->shutdown = pc_application_shutdown;
  app_class->local_command_line = pc_application_local_command_line;
  app_class->handle_local_options = pc_application_handle_local_options;
}

static void
pc_application_init (PcApplication *self)
{
  static const GActionEntry app_actions[] = {
    { "quit", on_quit_action },
  };

  self->options = pc_options_new ();
  self->entries = pc_options_get_entries (self->options);
  g_application_add_main_option_entries (G_APPLICATION (self), self->entries);
  g_application_set_option_context_summary (G_APPLICATION (self), _ ("One-to-one video calls"));
  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions, G_N_ELEMENTS (app_actions),
                                   self);
}

PcApplication *
pc_application_new (void)
{
  return g_object_new (PC_TYPE_APPLICATION, "application-id", APPLICATION_ID, "flags",
                       G_APPLICATION_DEFAULT_FLAGS, "resource-base-path",
                       "/io/github/peercall/Peercall", NULL);
}

int
pc_application_get_exit_status (PcApplication *self, int run_status)
{
  g_return_val_if_fail (PC_IS_APPLICATION (self), run_status);
  return self->exit_status_set ? self->exit_status : run_status;
}
