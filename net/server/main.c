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

int
main (int argc, char **argv)
{
  g_autofree char *listen = NULL;
  g_autofree char *auth = NULL;
  g_autofree char *token_secret_file = NULL;
  g_autofree char *issue_token = NULL;
  gint64 ttl = 86400;
  g_auto (GStrv) turn_urls = NULL;
  g_autofree char *turn_secret_file = NULL;
  gint64 turn_ttl = 86400;
  g_auto (GStrv) stun_urls = NULL;
  double rate_limit = 50.0;
  double rate_burst = 200.0;
  g_autofree char *web_root = NULL;
  g_autofree char *tls_cert = NULL;
  g_autofree char *tls_key = NULL;
  int keepalive = 10;
  int idle_timeout = 25;
  int hello_timeout = 30;
  gboolean version = FALSE;
  const GOptionEntry entries[] = {
    { "listen", 'l', 0, G_OPTION_ARG_STRING, &listen,
      "Address and port to listen on (default 127.0.0.1:8080; port 0 picks a free one)",
      "ADDR:PORT" },
    { "auth", 0, 0, G_OPTION_ARG_STRING, &auth,
      "Sign-in: 'open' (any free user name, default) or 'token'", "open|token" },
    { "token-secret-file", 0, 0, G_OPTION_ARG_FILENAME, &token_secret_file,
      "Secret that signs sign-in tokens", "FILE" },
    { "issue-token", 0, 0, G_OPTION_ARG_STRING, &issue_token,
      "Print a sign-in token for USER and exit (needs --token-secret-file)", "USER" },
    { "ttl", 0, 0, G_OPTION_ARG_INT64, &ttl, "Lifetime of an issued token (default 86400)",
      "SECONDS" },
    { "turn-url", 0, 0, G_OPTION_ARG_STRING_ARRAY, &turn_urls,
      "TURN server handed to clients with time-limited credentials (repeatable)", "URL" },
    { "turn-secret-file", 0, 0, G_OPTION_ARG_FILENAME, &turn_secret_file,
      "The TURN server's static-auth-secret", "FILE" },
    { "turn-ttl", 0, 0, G_OPTION_ARG_INT64, &turn_ttl,
      "Lifetime of TURN credentials (default 86400)", "SECONDS" },
    { "stun-url", 0, 0, G_OPTION_ARG_STRING_ARRAY, &stun_urls,
      "STUN server handed to clients (repeatable)", "URL" },
    { "rate-limit", 0, 0, G_OPTION_ARG_DOUBLE, &rate_limit,
      "Messages per second per connection (default 50)", "N" },
    { "rate-burst", 0, 0, G_OPTION_ARG_DOUBLE, &rate_burst,
      "Messages a connection may send at once (default 200)", "N" },
    { "web-root", 0, 0, G_OPTION_ARG_FILENAME, &web_root,
      "Directory of the browser client served at / (default: the installed one)", "DIR" },
    { "tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &tls_cert, "PEM certificate for https/wss", "FILE" },
    { "tls-key", 0, 0, G_OPTION_ARG_FILENAME, &tls_key, "PEM private key for https/wss", "FILE" },
    { "keepalive", 0, 0, G_OPTION_ARG_INT, &keepalive,
      "Seconds between WebSocket pings (default 10, 0 = off)", "SECONDS" },
    { "idle-timeout", 0, 0, G_OPTION_ARG_INT, &idle_timeout,
      "Drop a peer after this many seconds without a frame or pong (default 25, 0 = never)",
      "SECONDS" },
    { "hello-timeout", 0, 0, G_OPTION_ARG_INT, &hello_timeout,
      "Close a connection that hasn't sent hello after this many seconds (default 30, 0 = never)",
      "SECONDS" },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "Log every relayed message (no bodies)",
      NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) token_secret = NULL;
  g_autoptr (GBytes) turn_secret = NULL;
  g_autoptr (GTlsCertificate) certificate = NULL;
  g_autoptr (GInetAddress) address = NULL;
  g_autoptr (PcSignalingServer) server = NULL;
  g_autofree char *default_web_root = NULL;
  const char *effective_web_root;
  guint16 port = 8080;
  gboolean quit_requested = FALSE;
  gboolean shutdown_done = FALSE;
  guint sigint_id, sigterm_id;
  gint64 deadline;

  context = g_option_context_new ("- Peercall signaling server");
  g_option_context_set_summary (context,
                                "Signs in Peercall users, tells them who is online and relays "
                                "call signaling (wire protocol v1) over WebSocket at /ws.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return usage_error ("%s", error->message);
  if (argc > 1)
    return usage_error ("unexpected argument '%s'", argv[1]);
  if (version)
    {
      printf ("peercall-signal %s\n", PACKAGE_VERSION);
      return EXIT_SUCCESS;
    }

  g_log_set_writer_func (log_writer, NULL, NULL);

  if (auth != NULL && g_strcmp0 (auth, "open") != 0 && g_strcmp0 (auth, "token") != 0)
    return usage_error ("--auth must be 'open' or 'token', not '%s'", auth);
  if ((g_strcmp0 (auth, "token") == 0 || issue_token != NULL) && token_secret_file == NULL)
    return usage_error ("%s needs --token-secret-file",
                        issue_token != NULL ? "--issue-token" : "--auth token");
  if (token_secret_file != NULL && g_strcmp0 (auth, "token") != 0 && issue_token == NULL)
    return usage_error ("--token-secret-file is only used with --auth token or --issue-token");
  if ((turn_urls != NULL) != (turn_secret_file != NULL))
    return usage_error ("--turn-url and --turn-secret-file go together");
  if ((tls_cert != NULL) != (tls_key != NULL))
    return usage_error ("--tls-cert and --tls-key go together");
  if (ttl <= 0 || turn_ttl <= 0 || turn_ttl > G_MAXINT32)
    return usage_error ("--ttl and --turn-ttl must be positive");
  if (rate_limit <= 0 || rate_burst < 1)
    return usage_error ("--rate-limit must be positive and --rate-burst at least 1");
  if (keepalive < 0 || keepalive > 3600 || idle_timeout < 0 || idle_timeout > 86400
      || hello_timeout < 0 || hello_timeout > 3600)
    return usage_error (
        "--keepalive must be 0..3600, --idle-timeout 0..86400 and --hello-timeout 0..3600");
  if (!parse_listen (listen != NULL ? listen : "127.0.0.1:8080", &address, &port, &error))
    return usage_error ("%s", error->message);

  if (token_secret_file != NULL)
    {
      token_secret = pc_credentials_read_secret_file (token_secret_file, &error);
      if (token_secret == NULL)
        return usage_error ("--token-secret-file: %s", error->message);
    }

  if (issue_token != NULL)
    {
      g_autofree char *token = NULL;

      if (!pc_protocol_is_valid_user (issue_token))
        return usage_error ("'%s' is not a valid user name (a-z, 0-9, '.', '_', '-'; up to 64)",
                            issue_token);
      token = pc_credentials_issue_token (token_secret, issue_token,
                                          g_get_real_time () / G_USEC_PER_SEC + ttl);
      printf ("%s\n", token);
      return EXIT_SUCCESS;
    }

  if (turn_secret_file != NULL)
    {
      turn_secret = pc_credentials_read_secret_file (turn_secret_file, &error);
      if (turn_secret == NULL)
        return usage_error ("--turn-secret-file: %s", error->message);
    }

  if (tls_cert != NULL)
    {
      certificate = g_tls_certificate_new_from_files (tls_cert, tls_key, &error);
      if (certificate == NULL)
        return usage_error ("--tls-cert/--tls-key: %s", error->message);
    }

  if (web_root != NULL && !g_file_test (web_root, G_FILE_TEST_IS_DIR))
    return usage_error ("--web-root %s is not a directory", web_root);
  default_web_root = pc_web_root_find_default (WEB_ROOT_DIR, PEERCALL_SOURCE_WEB_ROOT);
  effective_web_root = web_root != NULL ? web_root : default_web_root;

  signal (SIGPIPE, SIG_IGN);
  raise_fd_limit ();

  server = g_object_new (PC_TYPE_SIGNALING_SERVER, "token-secret",
                         g_strcmp0 (auth, "token") == 0 ? token_secret : NULL, "turn-urls",
                         turn_urls, "turn-secret", turn_secret, "turn-ttl", (guint)turn_ttl,
                         "stun-urls", stun_urls, "rate-limit", rate_limit, "rate-burst", rate_burst,
                         "web-root", effective_web_root, "tls-certificate", certificate,
                         "keepalive-interval", (guint)keepalive, "idle-timeout",
                         (guint)idle_timeout, "hello-timeout", (guint)hello_timeout, NULL);
  if (!pc_signaling_server_listen (server, address, port, &error))
    {
      g_printerr ("peercall-signal: can't listen on %s: %s\n",
                  listen != NULL ? listen : "127.0.0.1:8080", error->message);
      return EXIT_FAILURE;
    }

  /* The first stdout line is a contract: tests and scripts read the real URL from it. */
  printf ("listening on %s\n", pc_signaling_server_get_url (server));
  fflush (stdout);
  g_info ("peercall-signal %s: auth %s, %u STUN and %u TURN URLs, web client %s", PACKAGE_VERSION,
          token_secret != NULL && g_strcmp0 (auth, "token") == 0 ? "token" : "open",
          stun_urls != NULL ? g_strv_length (stun_urls) : 0,
          turn_urls != NULL ? g_strv_length (turn_urls) : 0,
          effective_web_root != NULL ? effective_web_root : "(none)");

  sigint_id = g_unix_signal_add (SIGINT, on_quit_signal, &quit_requested);
  sigterm_id = g_unix_signal_add (SIGTERM, on_quit_signal, &quit_requested);

  while (!quit_requested)
    g_main_context_iteration (NULL, TRUE);

  pc_signaling_server_shutdown_async (server, NULL, on_shutdown_done, &shutdown_done);
  while (!shutdown_done)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);
  g_clear_object (&server);

  /* Let libsoup finish closing the streams it still holds, so nothing is left allocated. */
  deadline = g_get_monotonic_time () + G_USEC_PER_SEC / 2;
  while (g_get_monotonic_time () < deadline && g_main_context_iteration (NULL, FALSE))
    ;

  g_info ("stopped");
  return EXIT_SUCCESS;
}
