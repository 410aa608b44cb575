/* SPDX-License-Identifier: GPL-3.0-or-later */
/* signal-test-util.h: helpers for the peercall-signal integration tests: spawn the real server,
 * talk to it over libsoup WebSockets (JSON checked on the wire) and over raw sockets (malformed
 * frames, close codes). Every wait is bounded. */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

/* Bound on every wait; a test may raise it (the bad-input flood shares 2 cores with the rest). */
extern guint test_timeout_ms;
#define TEST_TIMEOUT_MS test_timeout_ms

typedef struct
{
  GSubprocess *process;
  char *url;      /* ws://127.0.0.1:PORT/ws or wss:// */
  char *http_url; /* http://127.0.0.1:PORT or https:// */
  guint16 port;
  GTlsCertificate *certificate; /* the server's, when TLS */
} TestServer;

/* Starts $PEERCALL_SIGNAL --listen 127.0.0.1:0 plus the given NULL-terminated arguments and reads
 * the URL from its first stdout line. */
TestServer *test_server_start (const char *first_arg, ...) G_GNUC_NULL_TERMINATED;
TestServer *test_server_startv (const char *const *args);
/* SIGTERM, then asserts a clean exit (status 0: under ASan this also means no leak). */
void test_server_stop (TestServer *server);
void test_server_free (TestServer *server);
/* The server's pid (for /proc/PID/status). */
const char *test_server_get_pid (TestServer *server);

/* Runs the default main context until *flag is TRUE or the timeout; returns *flag. */
gboolean test_wait_for_flag (gboolean *flag, guint timeout_ms);
/* Runs the default main context for ms milliseconds. */
void test_run_for (guint ms);

/* Simple blocking HTTP GET through libsoup; returns the body, sets status and content type. */
GBytes *test_http_get (TestServer *server, const char *path, guint *out_status, char **out_type);

typedef struct
{
  SoupSession *session;
  SoupWebsocketConnection *ws;
  GQueue messages;  /* JsonObject*, everything but presence */
  GQueue presences; /* JsonObject* */
  gboolean closed;
  gushort close_code;
  char *user;
} TestClient;

TestClient *test_client_connect (TestServer *server);
/* Connects, sends hello and asserts the welcome; returns the welcome in out_welcome if given. */
TestClient *test_client_register (TestServer *server,
                                  const char *user,
                                  const char *name,
                                  JsonObject **out_welcome);
void test_client_free (TestClient *client);
/* Sends one text frame */
void test_client_send_text (TestClient *client, const char *text);
/* printf-style JSON text frame */
void test_client_sendf (TestClient *client, const char *format, ...) G_GNUC_PRINTF (2, 3);
/* Next non-presence message, asserting its type. Caller owns the reference. */
JsonObject *test_client_expect (TestClient *client, const char *type);
/* Waits for an `error` with this code (and ref, if not NULL). */
JsonObject *test_client_expect_error (TestClient *client, const char *code, const char *ref);
/* Pops presence messages until one for user with status arrives. */
void test_client_expect_presence (TestClient *client, const char *user, const char *status);
/* Asserts no non-presence message arrives within ms. */
void test_client_expect_nothing (TestClient *client, guint ms);
/* Waits for the close; returns the code the server sent. */
gushort test_client_wait_closed (TestClient *client);

/* Raw WebSocket over a blocking GSocket (10 s timeouts). */
typedef struct
{
  GSocketConnection *connection;
  GSocket *socket;
} RawWs;

RawWs *raw_ws_connect (TestServer *server);
void raw_ws_free (RawWs *raw);
/* Sends one masked frame; returns FALSE when the server has gone (write error). */
gboolean raw_ws_send_frame (RawWs *raw, guint8 opcode, gboolean fin, const void *data, gsize len);
gboolean raw_ws_send_text (RawWs *raw, const char *text);
/* Reads one frame; FALSE on EOF/error. */
gboolean raw_ws_read_frame (RawWs *raw, guint8 *out_opcode, GBytes **out_payload);
/* Reads frames until the server's close frame; returns its code, 0 when the socket ended
 * without one. `error` messages seen on the way are counted in out_n_errors if given. */
gushort raw_ws_read_until_close (RawWs *raw, guint *out_n_errors);

G_END_DECLS
