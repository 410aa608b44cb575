/* SPDX-License-Identifier: GPL-3.0-or-later */
/* signal-load: load benchmark of peercall-signal. One process, one main loop, libsoup:
 * N WebSocket clients sign in to a real server, pair up into N/2 calls and relay `ice`
 * candidates to their partners at a steady rate. Each candidate carries its send time, so the
 * receiver measures relay latency. Prints connections, relays/s, p50/p99 latency and the
 * server's RSS.
 *
 *   signal-load [--clients 1000] [--duration 10] [--rate 10] [--signal PATH]
 *
 * PATH defaults to $PEERCALL_SIGNAL, then the build tree's peercall-signal. */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <libsoup/soup.h>

#define TICK_MS 10
#define MAX_CONNECTING 32 /* handshakes in flight: the listen backlog is small */

typedef struct _Bench Bench;

typedef struct
{
  Bench *bench;
  guint index;
  char *user;
  SoupWebsocketConnection *ws;
  guint partner;
  char *call;
  gboolean registered;
  gboolean in_call;
  gboolean closed;
} Client;

struct _Bench
{
  guint n_clients;
  guint duration_s;
  guint rate; /* candidates per second per client */
  SoupSession *session;
  GSubprocess *server;
  char *url;
  Client *clients;

  guint next_to_connect;
  guint connecting;
  guint n_registered;
  guint n_in_call;
  guint n_closed;
  guint n_errors;
  guint64 n_presence;

  gboolean measuring;
  guint64 sent;
  guint64 received;
  GArray *latencies_us; /* guint32 */
  guint tick;
};

static gboolean
on_timeout (gpointer user_data)
{
  *(gboolean *)user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Runs the main loop until *counter reaches target or seconds pass. */
static gboolean
run_until (guint *counter, guint target, guint seconds)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add_seconds (seconds, on_timeout, &timed_out);

  while (*counter < target && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (id);
  return *counter >= target;
}

static void
run_for_ms (guint ms)
{
  gboolean done = FALSE;

  g_timeout_add (ms, on_timeout, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

static void
client_send (Client *client, const char *text)
{
  if (client->ws != NULL
      && soup_websocket_connection_get_state (client->ws) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_send_text (client->ws, text);
}

static void
on_ice (Client *client, const char *text)
{
  Bench *bench = client->bench;
  const char *stamp = strstr (text, "candidate:");
  gint64 sent_us;

  if (stamp == NULL)
    return;
  sent_us = g_ascii_strtoll (stamp + strlen ("candidate:"), NULL, 10);
  if (!bench->measuring || sent_us <= 0)
    return;
  bench->received++;
  {
    guint32 latency = (guint32)MIN (g_get_monotonic_time () - sent_us, G_MAXUINT32);

    g_array_append_val (bench->latencies_us, latency);
  }
}

static void
on_message (SoupWebsocketConnection *ws, gint type, GBytes *bytes, Client *client)
{
  Bench *bench = client->bench;
  const char *text = g_bytes_get_data (bytes, NULL);

  /* The hot paths (ice, presence) are recognised without a JSON parse: the benchmark process
   * must not be the bottleneck. */
  if (strstr (text, "\"type\":\"ice\"") != NULL)
    on_ice (client, text);
  else if (strstr (text, "\"type\":\"presence\"") != NULL)
    bench->n_presence++;
  else if (strstr (text, "\"type\":\"welcome\"") != NULL)
    {
      client->registered = TRUE;
      bench->n_registered++;
    }
  else if (strstr (text, "\"type\":\"invite\"") != NULL)
    {
      g_autofree char *accept
          = g_strdup_printf ("{\"type\":\"accept\",\"to\":\"%s\",\"call\":\"%s\"}",
                             bench->clients[client->partner].user, client->call);

      client->in_call = TRUE;
      bench->n_in_call++;
      client_send (client, accept);
    }
  else if (strstr (text, "\"type\":\"accept\"") != NULL)
    {
      client->in_call = TRUE;
      bench->n_in_call++;
    }
  else if (strstr (text, "\"type\":\"error\"") != NULL)
    {
      if (bench->n_errors++ < 5)
        g_printerr ("signal-load: %s got %s\n", client->user, text);
    }
}

static void
on_closed (SoupWebsocketConnection *ws, Client *client)
{
  client->closed = TRUE;
  client->bench->n_closed++;
}

static void connect_more (Bench *bench);

static void
on_connected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Client *client = user_data;
  Bench *bench = client->bench;
  g_autoptr (GError) error = NULL;
  g_autofree char *hello = NULL;

  bench->connecting--;
  client->ws = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &error);
  if (client->ws == NULL)
    {
      g_printerr ("signal-load: %s: %s\n", client->user, error->message);
      exit (1);
    }
  /* the welcome lists every other user: ~60 bytes each */
  soup_websocket_connection_set_max_incoming_payload_size (client->ws, 16 * 1024 * 1024);
  soup_websocket_connection_set_keepalive_interval (client->ws, 0);
  g_signal_connect (client->ws, "message", G_CALLBACK (on_message), client);
  g_signal_connect (client->ws, "closed", G_CALLBACK (on_closed), client);
  hello = g_strdup_printf ("{\"type\":\"hello\",\"version\":1,\"user\":\"%s\",\"name\":\"User "
                           "%u\"}",
                           client->user, client->index);
  client_send (client, hello);
  connect_more (bench);
}

static void
connect_more (Bench *bench)
{
  while (bench->connecting < MAX_CONNECTING && bench->next_to_connect < bench->n_clients)
    {
      Client *client = &bench->clients[bench->next_to_connect++];
      g_autoptr (SoupMessage) msg = soup_message_new ("GET", bench->url);

      bench->connecting++;
      soup_session_websocket_connect_async (bench->session, msg, NULL, NULL, G_PRIORITY_DEFAULT,
                                            NULL, on_connected, client);
    }
}

static gboolean
on_tick (gpointer user_data)
{
  Bench *bench = user_data;
  guint period_ticks = MAX (1, 1000 / TICK_MS / bench->rate);

  /* Spread the clients over the period so the load is steady, not bursty. */
  for (guint i = bench->tick % period_ticks; i < bench->n_clients; i += period_ticks)
    {
      Client *client = &bench->clients[i];
      char text[256];

      if (!client->in_call)
        continue;
      g_snprintf (text, sizeof text,
                  "{\"type\":\"ice\",\"to\":\"%s\",\"call\":\"%s\",\"candidate\":{\"candidate\":"
                  "\"candidate:%" G_GINT64_FORMAT " 1 udp 2122260223 127.0.0.1 %u typ host\","
                  "\"sdpMid\":\"0\",\"sdpMLineIndex\":0}}",
                  bench->clients[client->partner].user, client->call, g_get_monotonic_time (),
                  10000 + i);
      client_send (client, text);
      if (bench->measuring)
        bench->sent++;
    }
  bench->tick++;
  return G_SOURCE_CONTINUE;
}

static int
compare_u32 (gconstpointer a, gconstpointer b)
{
  guint32 x = *(const guint32 *)a, y = *(const guint32 *)b;

  return x < y ? -1 : x > y;
}

static guint64
read_status_kb (const char *pid, const char *field)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/status", pid);
  g_autofree char *contents = NULL;
  const char *line;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return 0;
  line = strstr (contents, field);
  return line != NULL ? g_ascii_strtoull (line + strlen (field), NULL, 10) : 0;
}

/* CPU seconds (user + system) a process has used, from /proc/PID/stat. */
static double
process_cpu_s (const char *pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/stat", pid);
  g_autofree char *contents = NULL;
  g_auto (GStrv) fields = NULL;
  const char *after_comm;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return 0;
  /* the command name may contain spaces: fields start after its closing parenthesis */
  after_comm = strrchr (contents, ')');
  if (after_comm == NULL)
    return 0;
  fields = g_strsplit (after_comm + 2, " ", -1);
  if (g_strv_length (fields) < 13)
    return 0;
  /* fields[11] and [12] are utime and stime (stat fields 14 and 15) */
  return (g_ascii_strtod (fields[11], NULL) + g_ascii_strtod (fields[12], NULL))
         / sysconf (_SC_CLK_TCK);
}

static void
on_line (GObject *source, GAsyncResult *result, gpointer user_data)
{
  char **line = user_data;

  *line = g_data_input_stream_read_line_finish (G_DATA_INPUT_STREAM (source), result, NULL, NULL);
  if (*line == NULL)
    *line = g_strdup ("");
}

static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

static void
start_server (Bench *bench, const char *binary)
{
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GDataInputStream) out = NULL;
  g_autofree char *line = NULL;
  gboolean timed_out = FALSE;
  guint id;

  /* All clients share this one process: during the presence storms of sign-in and call setup
   * (N² updates) their pongs lag far behind, which separate real clients' wouldn't. */
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  /* however this process ends (a failed run exits early), the server goes with it */
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  bench->server = g_subprocess_launcher_spawn (launcher, &error, binary, "--listen", "127.0.0.1:0",
                                               "--idle-timeout", "600",
                                               /* every client comes from 127.0.0.1 */
                                               "--max-connections-per-ip", "0", NULL);
  if (bench->server == NULL)
    {
      g_printerr ("signal-load: can't start %s: %s\n", binary, error->message);
      exit (1);
    }
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (bench->server));
  g_data_input_stream_read_line_async (out, G_PRIORITY_DEFAULT, NULL, on_line, &line);
  id = g_timeout_add_seconds (10, on_timeout, &timed_out);
  while (line == NULL && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (id);
  if (line == NULL || !g_str_has_prefix (line, "listening on "))
    {
      g_printerr ("signal-load: %s printed no URL\n", binary);
      exit (1);
    }
  bench->url = g_strdup (line + strlen ("listening on "));
}

static void
on_exited (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  *(gboolean *)user_data = TRUE;
}

int
main (int argc, char **argv)
{
  int clients = 1000, duration = 10, rate = 10;
  g_autofree char *binary = NULL;
  const GOptionEntry entries[]
      = { { "clients", 'n', 0, G_OPTION_ARG_INT, &clients, "WebSocket clients (even; default 1000)",
            "N" },
          { "duration", 'd', 0, G_OPTION_ARG_INT, &duration,
            "Seconds of steady relaying (default 10)", "S" },
          { "rate", 'r', 0, G_OPTION_ARG_INT, &rate,
            "Candidates per second per client (default 10)", "R" },
          { "signal", 0, 0, G_OPTION_ARG_FILENAME, &binary, "peercall-signal to start", "PATH" },
          { NULL } };
  g_autoptr (GOptionContext) context = g_option_context_new ("- peercall-signal load benchmark");
  g_autoptr (GError) error = NULL;
  struct rlimit limit;
  Bench bench = { 0 };
  gint64 t0, t_registered, t_calls, t_end;
  guint64 rss_idle_kb, rss_kb, hwm_kb;
  gboolean exited = FALSE;
  guint tick_id;
  const char *pid;
  double elapsed_s, server_cpu_s, self_cpu_s;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("signal-load: %s\n", error->message);
      return 2;
    }
  if (clients < 2 || clients % 2 != 0 || duration < 1 || rate < 1 || rate > 1000 / TICK_MS)
    {
      g_printerr ("signal-load: --clients must be even and >= 2, --duration >= 1, --rate 1..%d\n",
                  1000 / TICK_MS);
      return 2;
    }
  if (binary == NULL)
    binary = g_strdup (g_getenv ("PEERCALL_SIGNAL") != NULL ? g_getenv ("PEERCALL_SIGNAL")
                                                            : PEERCALL_SIGNAL_PATH);

  /* 1,000 sockets here and as many in the server */
  if (getrlimit (RLIMIT_NOFILE, &limit) == 0)
    {
      limit.rlim_cur = limit.rlim_max;
      setrlimit (RLIMIT_NOFILE, &limit);
    }

  bench.n_clients = clients;
  bench.duration_s = duration;
  bench.rate = rate;
  bench.latencies_us
      = g_array_sized_new (FALSE, FALSE, sizeof (guint32), (guint)clients * rate * duration);
  bench.clients = g_new0 (Client, clients);
  for (int i = 0; i < clients; i++)
    {
      Client *client = &bench.clients[i];

      client->bench = &bench;
      client->index = i;
      client->user = g_strdup_printf ("user%05d", i);
      client->partner = i ^ 1;
      client->call = g_strdup_printf ("call-%05d", i / 2);
    }
  bench.session
      = soup_session_new_with_options ("max-conns", clients + 16, "max-conns-per-host",
                                       clients + 16, "timeout", 0, "idle-timeout", 0, NULL);

  start_server (&bench, binary);
  pid = g_subprocess_get_identifier (bench.server);
  rss_idle_kb = read_status_kb (pid, "VmRSS:");
  printf ("server %s (pid %s), %d clients, %d calls, %d candidates/s per client\n", bench.url, pid,
          clients, clients / 2, rate);

  /* sign in */
  t0 = g_get_monotonic_time ();
  connect_more (&bench);
  if (!run_until (&bench.n_registered, clients, 120))
    {
      g_printerr ("signal-load: only %u of %d clients registered\n", bench.n_registered, clients);
      return 1;
    }
  t_registered = g_get_monotonic_time ();

  /* pair up */
  for (int i = 0; i < clients; i += 2)
    {
      Client *caller = &bench.clients[i];
      g_autofree char *invite
          = g_strdup_printf ("{\"type\":\"invite\",\"to\":\"%s\",\"call\":\"%s\",\"video\":true}",
                             bench.clients[i + 1].user, caller->call);

      client_send (caller, invite);
    }
  if (!run_until (&bench.n_in_call, clients, 120))
    {
      g_printerr ("signal-load: only %u of %d clients in a call\n", bench.n_in_call, clients);
      return 1;
    }
  t_calls = g_get_monotonic_time ();

  /* steady relaying: 1 s warm-up, then the measured window */
  tick_id = g_timeout_add (TICK_MS, on_tick, &bench);
  run_for_ms (1000);
  bench.measuring = TRUE;
  t_end = g_get_monotonic_time ();
  server_cpu_s = process_cpu_s (pid);
  self_cpu_s = process_cpu_s ("self");
  run_for_ms (duration * 1000);
  bench.measuring = FALSE;
  elapsed_s = (g_get_monotonic_time () - t_end) / (double)G_USEC_PER_SEC;
  server_cpu_s = process_cpu_s (pid) - server_cpu_s;
  self_cpu_s = process_cpu_s ("self") - self_cpu_s;
  rss_kb = read_status_kb (pid, "VmRSS:");
  hwm_kb = read_status_kb (pid, "VmHWM:");
  g_source_remove (tick_id);

  g_array_sort (bench.latencies_us, compare_u32);
  {
    guint n = bench.latencies_us->len;
    guint32 *v = (guint32 *)bench.latencies_us->data;

    printf ("connections:          %d (all registered in %.2f s; %" G_GUINT64_FORMAT
            " presence updates received)\n",
            clients, (t_registered - t0) / (double)G_USEC_PER_SEC, bench.n_presence);
    printf ("calls:                %d (all answered in %.2f s)\n", clients / 2,
            (t_calls - t_registered) / (double)G_USEC_PER_SEC);
    printf ("relays sent:          %.0f/s\n", bench.sent / elapsed_s);
    printf ("relays received:      %.0f/s over %.1f s (%" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
            ")\n",
            bench.received / elapsed_s, elapsed_s, bench.received, bench.sent);
    if (n > 0)
      printf ("relay latency:        p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", v[n / 2] / 1000.0,
              v[MIN (n - 1, (guint)(n * 0.99))] / 1000.0, v[n - 1] / 1000.0);
    printf ("server RSS:           %" G_GUINT64_FORMAT " KiB idle, %" G_GUINT64_FORMAT
            " KiB under load (peak %" G_GUINT64_FORMAT " KiB)\n",
            rss_idle_kb, rss_kb, hwm_kb);
    printf ("CPU while relaying:   server %.0f %% of a core, this client process %.0f %%\n",
            100 * server_cpu_s / elapsed_s, 100 * self_cpu_s / elapsed_s);
    if (bench.received > 0)
      printf ("server CPU per relay: %.1f µs (a ceiling of ~%.0f relays/s per core)\n",
              1e6 * server_cpu_s / bench.received, bench.received / MAX (server_cpu_s, 1e-3));
    printf ("errors:               %u\n", bench.n_errors);
  }
  fflush (stdout);

  /* tear down: the server must exit cleanly */
  g_subprocess_send_signal (bench.server, SIGTERM);
  g_subprocess_wait_async (bench.server, NULL, on_exited, &exited);
  {
    gboolean timed_out = FALSE;
    guint id = g_timeout_add_seconds (20, on_timeout, &timed_out);

    while (!exited && !timed_out)
      g_main_context_iteration (NULL, TRUE);
    if (!timed_out)
      g_source_remove (id);
  }
  if (!exited || !g_subprocess_get_if_exited (bench.server)
      || g_subprocess_get_exit_status (bench.server) != 0)
    {
      g_printerr ("signal-load: the server did not exit cleanly\n");
      return 1;
    }
  printf ("server exited cleanly\n");

  for (int i = 0; i < clients; i++)
    {
      Client *client = &bench.clients[i];

      if (client->ws != NULL)
        g_signal_handlers_disconnect_by_data (client->ws, client);
      g_clear_object (&client->ws);
      g_free (client->user);
      g_free (client->call);
    }
  g_free (bench.clients);
  g_array_unref (bench.latencies_us);
  g_clear_object (&bench.session);
  g_clear_object (&bench.server);
  g_free (bench.url);
  return bench.n_errors == 0 ? 0 : 1;
}
