/* SPDX-License-Identifier: GPL-3.0-or-later */
/* peercall-signal: command line, logging, signals. The server itself is PcSignalingServer. */
#define G_LOG_DOMAIN "peercall-signal"

#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <glib-unix.h>
#include <gio/gio.h>

#include "pc-credentials.h"
#include "pc-protocol.h"
#include "pc-signaling-server.h"
#include "pc-web-root.h"

#define EXIT_USAGE 2
/* GnuTLS priority string: the defaults less everything older than TLS 1.2. */
#define TLS_PRIORITY "NORMAL:-VERS-SSL3.0:-VERS-TLS1.0:-VERS-TLS1.1:-VERS-DTLS1.0"

static gboolean verbose;

static GLogWriterOutput
log_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  const char *domain = NULL;
  const char *message = NULL;
  const char *label;
  g_autoptr (GDateTime) now = NULL;
  g_autofree char *stamp = NULL;

  for (gsize i = 0; i < n_fields; i++)
    {
      if (g_strcmp0 (fields[i].key, "GLIB_DOMAIN") == 0)
        domain = fields[i].value;
      else if (g_strcmp0 (fields[i].key, "MESSAGE") == 0)
        message = fields[i].value;
    }

  if (level & G_LOG_LEVEL_DEBUG)
    {
      /* --verbose shows our own debug lines; libsoup's frame-level chatter only through
       * G_MESSAGES_DEBUG as usual. */
      if (!(verbose && g_strcmp0 (domain, G_LOG_DOMAIN) == 0)
          && g_log_writer_default_would_drop (level, domain))
        return G_LOG_WRITER_HANDLED;
    }

  if (level & G_LOG_LEVEL_ERROR)
    label = "ERROR";
  else if (level & G_LOG_LEVEL_CRITICAL)
    label = "CRITICAL";
  else if (level & G_LOG_LEVEL_WARNING)
    label = "WARNING";
  else if (level & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO))
    label = "INFO";
  else
    label = "DEBUG";

  now = g_date_time_new_now_utc ();
  stamp = g_date_time_format (now, "%Y-%m-%dT%H:%M:%S");
  fprintf (stderr, "%s.%03dZ %s %s%s%s\n", stamp, g_date_time_get_microsecond (now) / 1000, label,
           domain != NULL && g_strcmp0 (domain, G_LOG_DOMAIN) != 0 ? domain : "",
           domain != NULL && g_strcmp0 (domain, G_LOG_DOMAIN) != 0 ? ": " : "",
           message != NULL ? message : "");
  fflush (stderr);
  return G_LOG_WRITER_HANDLED;
}

static void
raise_fd_limit (void)
{
  struct rlimit limit;

  /* Every client is a socket: allow as many as the hard limit lets us. */
  if (getrlimit (RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max)
    {
      limit.rlim_cur = limit.rlim_max;
      if (setrlimit (RLIMIT_NOFILE, &limit) != 0)
        g_debug ("Could not raise the open file limit: %s", g_strerror (errno));
    }
}

static gboolean
parse_listen (const char *text, GInetAddress **out_address, guint16 *out_port, GError **error)
{
  const char *colon = strrchr (text, ':');
  g_autofree char *host = NULL;
  guint64 port;
  GInetAddress *address;

  if (colon == NULL || colon == text)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--listen %s: expected ADDR:PORT, e.g. 127.0.0.1:8080 or [::1]:8080", text);
      return FALSE;
    }
  host = g_strndup (text, colon - text);
  if (host[0] == '[' && host[strlen (host) - 1] == ']')
    {
      memmove (host, host + 1, strlen (host) - 2);
      host[strlen (host) - 2] = '\0';
    }
  if (!g_ascii_string_to_unsigned (colon + 1, 10, 0, 65535, &port, NULL))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--listen %s: port must be a number from 0 to 65535", text);
      return FALSE;
    }

  if (g_strcmp0 (host, "localhost") == 0)
    address = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  else if (g_strcmp0 (host, "*") == 0)
    address = g_inet_address_new_any (G_SOCKET_FAMILY_IPV4);
  else
    address = g_inet_address_new_from_string (host);
  if (address == NULL)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--listen %s: %s is not an IP address", text, host);
      return FALSE;
    }

  *out_address = address;
  *out_port = (guint16)port;
  return TRUE;
}

static int usage_error (const char *format, ...) G_GNUC_PRINTF (1, 2);

static int
usage_error (const char *format, ...)
{
  g_autofree char *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  fprintf (stderr, "peercall-signal: %s\nTry 'peercall-signal --help'.\n", text);
  return EXIT_USAGE;
}

static gboolean
on_quit_signal (gpointer user_data)
{
  gboolean *quit_requested = user_data;

  *quit_requested = TRUE;
  return G_SOURCE_CONTINUE;
}

static void
on_shutdown_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  gboolean *done = user_data;
  g_autoptr (GError) error = NULL;

  if (!pc_signaling_server_shutdown_finish (PC_SIGNALING_SERVER (source), result, &error))
    g_warning ("Shutdown: %s", error->message);
  *done = TRUE;
}

/* What the command line says, as parsed; freed by signal_options_clear(). */
typedef struct
{
  char *listen;
  char *auth;
  char *token_secret_file;
  char *issue_token;
  gint64 ttl;
  GStrv turn_urls;
  char *turn_secret_file;
  gint64 turn_ttl;
  GStrv stun_urls;
  double rate_limit;
  double rate_burst;
  char *web_root;
  char *tls_cert;
  char *tls_key;
  int keepalive;
  int idle_timeout;
  int hello_timeout;
  int max_connections;
  int max_connections_per_ip;
  gboolean version;
} SignalOptions;

/* What the options point at: the secrets, certificate and address they name. */
typedef struct
{
  GInetAddress *address;
  guint16 port;
  GBytes *token_secret;
  GBytes *turn_secret;
  GTlsCertificate *certificate;
  char *default_web_root;
  const char *web_root; /* options->web_root or default_web_root; not owned */
} SignalSetup;

static void
signal_options_clear (SignalOptions *options)
{
  g_clear_pointer (&options->listen, g_free);
  g_clear_pointer (&options->auth, g_free);
  g_clear_pointer (&options->token_secret_file, g_free);
  g_clear_pointer (&options->issue_token, g_free);
  g_clear_pointer (&options->turn_urls, g_strfreev);
  g_clear_pointer (&options->turn_secret_file, g_free);
  g_clear_pointer (&options->stun_urls, g_strfreev);
  g_clear_pointer (&options->web_root, g_free);
  g_clear_pointer (&options->tls_cert, g_free);
  g_clear_pointer (&options->tls_key, g_free);
}

static void
signal_setup_clear (SignalSetup *setup)
{
  g_clear_object (&setup->address);
  g_clear_pointer (&setup->token_secret, g_bytes_unref);
  g_clear_pointer (&setup->turn_secret, g_bytes_unref);
  g_clear_object (&setup->certificate);
  g_clear_pointer (&setup->default_web_root, g_free);
  setup->web_root = NULL;
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (SignalOptions, signal_options_clear)
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (SignalSetup, signal_setup_clear)

static const char *
signal_options_get_listen (const SignalOptions *options)
{
  return options->listen != NULL ? options->listen : "127.0.0.1:8080";
}

static gboolean
signal_options_token_auth (const SignalOptions *options)
{
  return g_strcmp0 (options->auth, "token") == 0;
}

static gboolean
parse_command_line (SignalOptions *options, int *argc, char ***argv, GError **error)
{
  const GOptionEntry entries[] = {
    { "listen", 'l', 0, G_OPTION_ARG_STRING, &options->listen,
      "Address and port to listen on (default 127.0.0.1:8080; port 0 picks a free one)",
      "ADDR:PORT" },
    { "auth", 0, 0, G_OPTION_ARG_STRING, &options->auth,
      "Sign-in: 'open' (any free user name, default) or 'token'", "open|token" },
    { "token-secret-file", 0, 0, G_OPTION_ARG_FILENAME, &options->token_secret_file,
      "Secret that signs sign-in tokens", "FILE" },
    { "issue-token", 0, 0, G_OPTION_ARG_STRING, &options->issue_token,
      "Print a sign-in token for USER and exit (needs --token-secret-file)", "USER" },
    { "ttl", 0, 0, G_OPTION_ARG_INT64, &options->ttl, "Lifetime of an issued token (default 86400)",
      "SECONDS" },
    { "turn-url", 0, 0, G_OPTION_ARG_STRING_ARRAY, &options->turn_urls,
      "TURN server handed to clients with time-limited credentials (repeatable)", "URL" },
    { "turn-secret-file", 0, 0, G_OPTION_ARG_FILENAME, &options->turn_secret_file,
      "The TURN server's static-auth-secret", "FILE" },
    { "turn-ttl", 0, 0, G_OPTION_ARG_INT64, &options->turn_ttl,
      "Lifetime of TURN credentials (default 86400)", "SECONDS" },
    { "stun-url", 0, 0, G_OPTION_ARG_STRING_ARRAY, &options->stun_urls,
      "STUN server handed to clients (repeatable)", "URL" },
    { "rate-limit", 0, 0, G_OPTION_ARG_DOUBLE, &options->rate_limit,
      "Messages per second per connection (default 50)", "N" },
    { "rate-burst", 0, 0, G_OPTION_ARG_DOUBLE, &options->rate_burst,
      "Messages a connection may send at once (default 200)", "N" },
    { "web-root", 0, 0, G_OPTION_ARG_FILENAME, &options->web_root,
      "Directory of the browser client served at / (default: the installed one)", "DIR" },
    { "tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &options->tls_cert, "PEM certificate for https/wss",
      "FILE" },
    { "tls-key", 0, 0, G_OPTION_ARG_FILENAME, &options->tls_key, "PEM private key for https/wss",
      "FILE" },
    { "keepalive", 0, 0, G_OPTION_ARG_INT, &options->keepalive,
      "Seconds between WebSocket pings (default 10, 0 = off)", "SECONDS" },
    { "idle-timeout", 0, 0, G_OPTION_ARG_INT, &options->idle_timeout,
      "Drop a peer after this many seconds without a frame or pong (default 25, 0 = never)",
      "SECONDS" },
    { "hello-timeout", 0, 0, G_OPTION_ARG_INT, &options->hello_timeout,
      "Close a connection that hasn't sent hello after this many seconds (default 30, 0 = never)",
      "SECONDS" },
    { "max-connections", 0, 0, G_OPTION_ARG_INT, &options->max_connections,
      "Refuse new WebSockets (HTTP 503) past this many open ones (default 10000, 0 = no cap)",
      "N" },
    { "max-connections-per-ip", 0, 0, G_OPTION_ARG_INT, &options->max_connections_per_ip,
      "The same per client IPv4 address or IPv6 /64 (default 64, 0 = no cap)", "N" },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "Log every relayed message (no bodies)",
      NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &options->version, "Print the version and exit", NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) context = NULL;

  options->ttl = 86400;
  options->turn_ttl = 86400;
  options->rate_limit = 50.0;
  options->rate_burst = 200.0;
  options->keepalive = 10;
  options->idle_timeout = 25;
  options->hello_timeout = 30;
  options->max_connections = PC_CONNECTION_LIMITS_DEFAULT_MAX;
  options->max_connections_per_ip = PC_CONNECTION_LIMITS_DEFAULT_MAX_PER_IP;

  context = g_option_context_new ("- Peercall signaling server");
  g_option_context_set_summary (context,
                                "Signs in Peercall users, tells them who is online and relays "
                                "call signaling (wire protocol v1) over WebSocket at /ws.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, argc, argv, error))
    return FALSE;
  if (*argc > 1)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED, "unexpected argument '%s'",
                   (*argv)[1]);
      return FALSE;
    }
  return TRUE;
}

static gboolean
usage_fail (GError **error, const char *message)
{
  g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, message);
  return FALSE;
}

/* Options that contradict each other or are out of range; nothing is read from disk yet. */
static gboolean
check_options (const SignalOptions *options, GError **error)
{
  const char *auth = options->auth;

  if (auth != NULL && g_strcmp0 (auth, "open") != 0 && g_strcmp0 (auth, "token") != 0)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--auth must be 'open' or 'token', not '%s'", auth);
      return FALSE;
    }
  if ((signal_options_token_auth (options) || options->issue_token != NULL)
      && options->token_secret_file == NULL)
    return usage_fail (error, options->issue_token != NULL
                                  ? "--issue-token needs --token-secret-file"
                                  : "--auth token needs --token-secret-file");
  if (options->token_secret_file != NULL && !signal_options_token_auth (options)
      && options->issue_token == NULL)
    return usage_fail (error,
                       "--token-secret-file is only used with --auth token or --issue-token");
  if ((options->turn_urls != NULL) != (options->turn_secret_file != NULL))
    return usage_fail (error, "--turn-url and --turn-secret-file go together");
  if ((options->tls_cert != NULL) != (options->tls_key != NULL))
    return usage_fail (error, "--tls-cert and --tls-key go together");
  if (options->ttl <= 0 || options->turn_ttl <= 0 || options->turn_ttl > G_MAXINT32)
    return usage_fail (error, "--ttl and --turn-ttl must be positive");
  if (options->rate_limit <= 0 || options->rate_burst < 1)
    return usage_fail (error, "--rate-limit must be positive and --rate-burst at least 1");
  if (options->keepalive < 0 || options->keepalive > 3600 || options->idle_timeout < 0
      || options->idle_timeout > 86400 || options->hello_timeout < 0
      || options->hello_timeout > 3600)
    return usage_fail (
        error, "--keepalive must be 0..3600, --idle-timeout 0..86400 and --hello-timeout 0..3600");
  if (options->max_connections < 0 || options->max_connections_per_ip < 0)
    return usage_fail (error, "--max-connections and --max-connections-per-ip must be 0 or more");
  return TRUE;
}

static gboolean
load_secret (const char *path, const char *option, GBytes **out_secret, GError **error)
{
  if (path == NULL)
    return TRUE;
  *out_secret = pc_credentials_read_secret_file (path, error);
  if (*out_secret == NULL)
    {
      g_prefix_error (error, "%s: ", option);
      return FALSE;
    }
  return TRUE;
}

/* --issue-token: print a token signed with the secret and exit. */
static int
print_token (const SignalOptions *options, GBytes *token_secret)
{
  g_autofree char *token = NULL;

  if (!pc_protocol_is_valid_user (options->issue_token))
    return usage_error ("'%s' is not a valid user name (a-z, 0-9, '.', '_', '-'; up to 64)",
                        options->issue_token);
  token = pc_credentials_issue_token (token_secret, options->issue_token,
                                      g_get_real_time () / G_USEC_PER_SEC + options->ttl);
  printf ("%s\n", token);
  return EXIT_SUCCESS;
}

/* The TURN secret, the TLS certificate and the web root; the token secret is read before. */
static gboolean
load_server_files (const SignalOptions *options, SignalSetup *setup, GError **error)
{
  if (!load_secret (options->turn_secret_file, "--turn-secret-file", &setup->turn_secret, error))
    return FALSE;

  if (options->tls_cert != NULL)
    {
      setup->certificate
          = g_tls_certificate_new_from_files (options->tls_cert, options->tls_key, error);
      if (setup->certificate == NULL)
        {
          g_prefix_error (error, "--tls-cert/--tls-key: ");
          return FALSE;
        }
    }

  if (options->web_root != NULL && !g_file_test (options->web_root, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--web-root %s is not a directory", options->web_root);
      return FALSE;
    }
  setup->default_web_root = pc_web_root_find_default (WEB_ROOT_DIR, PEERCALL_SOURCE_WEB_ROOT);
  setup->web_root = options->web_root != NULL ? options->web_root : setup->default_web_root;
  return TRUE;
}

static PcSignalingServer *
create_server (const SignalOptions *options, const SignalSetup *setup)
{
  PcSignalingServer *server = g_object_new (
      PC_TYPE_SIGNALING_SERVER, "token-secret",
      signal_options_token_auth (options) ? setup->token_secret : NULL, "turn-urls",
      options->turn_urls, "turn-secret", setup->turn_secret, "turn-ttl", (guint)options->turn_ttl,
      "stun-urls", options->stun_urls, "rate-limit", options->rate_limit, "rate-burst",
      options->rate_burst, "web-root", setup->web_root, "tls-certificate", setup->certificate,
      "keepalive-interval", (guint)options->keepalive, "idle-timeout", (guint)options->idle_timeout,
      "hello-timeout", (guint)options->hello_timeout, NULL);

  pc_connection_limits_set_caps (pc_signaling_server_get_connection_limits (server),
                                 (guint)options->max_connections,
                                 (guint)options->max_connections_per_ip);
  return server;
}

static void
announce_server (PcSignalingServer *server, const SignalOptions *options, const SignalSetup *setup)
{
  /* The first stdout line is a contract: tests and scripts read the real URL from it. */
  printf ("listening on %s\n", pc_signaling_server_get_url (server));
  fflush (stdout);
  g_info ("peercall-signal %s: auth %s, %u STUN and %u TURN URLs, web client %s", PACKAGE_VERSION,
          setup->token_secret != NULL && signal_options_token_auth (options) ? "token" : "open",
          options->stun_urls != NULL ? g_strv_length (options->stun_urls) : 0,
          options->turn_urls != NULL ? g_strv_length (options->turn_urls) : 0,
          setup->web_root != NULL ? setup->web_root : "(none)");
}

/* Serves until SIGINT or SIGTERM, then shuts the server down and drops it. */
static void
run_until_signal (PcSignalingServer *server)
{
  gboolean quit_requested = FALSE;
  gboolean shutdown_done = FALSE;
  guint sigint_id, sigterm_id;
  gint64 deadline;

  sigint_id = g_unix_signal_add (SIGINT, on_quit_signal, &quit_requested);
  sigterm_id = g_unix_signal_add (SIGTERM, on_quit_signal, &quit_requested);

  while (!quit_requested)
    g_main_context_iteration (NULL, TRUE);

  pc_signaling_server_shutdown_async (server, NULL, on_shutdown_done, &shutdown_done);
  while (!shutdown_done)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);
  g_object_unref (server);

  /* Let libsoup finish closing the streams it still holds, so nothing is left allocated. */
  deadline = g_get_monotonic_time () + G_USEC_PER_SEC / 2;
  while (g_get_monotonic_time () < deadline && g_main_context_iteration (NULL, FALSE))
    ;
}

int
main (int argc, char **argv)
{
  g_auto (SignalOptions) options = { 0 };
  g_auto (SignalSetup) setup = { 0 };
  g_autoptr (PcSignalingServer) server = NULL;
  g_autoptr (GError) error = NULL;

  /* TLS 1.2 and later only. GIO has no per-connection knob for the protocol version; its GnuTLS
   * backend (glib-networking) reads this once, before the first TLS connection. An operator's
   * own setting wins. */
  g_setenv ("G_TLS_GNUTLS_PRIORITY", TLS_PRIORITY, FALSE);
  if (!parse_command_line (&options, &argc, &argv, &error))
    return usage_error ("%s", error->message);
  if (options.version)
    {
      printf ("peercall-signal %s\n", PACKAGE_VERSION);
      return EXIT_SUCCESS;
    }

  g_log_set_writer_func (log_writer, NULL, NULL);

  if (!check_options (&options, &error)
      || !parse_listen (signal_options_get_listen (&options), &setup.address, &setup.port, &error)
      || !load_secret (options.token_secret_file, "--token-secret-file", &setup.token_secret,
                       &error))
    return usage_error ("%s", error->message);

  if (options.issue_token != NULL)
    return print_token (&options, setup.token_secret);

  if (!load_server_files (&options, &setup, &error))
    return usage_error ("%s", error->message);

  signal (SIGPIPE, SIG_IGN);
  raise_fd_limit ();

  server = create_server (&options, &setup);
  if (!pc_signaling_server_listen (server, setup.address, setup.port, &error))
    {
      g_printerr ("peercall-signal: can't listen on %s: %s\n", signal_options_get_listen (&options),
                  error->message);
      return EXIT_FAILURE;
    }
  announce_server (server, &options, &setup);

  run_until_signal (g_steal_pointer (&server));

  g_info ("stopped");
  return EXIT_SUCCESS;
}
