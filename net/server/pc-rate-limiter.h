/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pc-rate-limiter.h: a token bucket, one per connection. Plain struct: it lives inside the
 * connection record and costs no allocation. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  double rate;  /* tokens per second */
  double burst; /* bucket size */
  double tokens;
  gint64 last_us; /* monotonic time of the last refill */
} PcRateLimiter;

/* Starts full: a new connection may send @burst messages at once. */
void pc_rate_limiter_init (PcRateLimiter *limiter, double rate, double burst, gint64 now_us);

/* Takes one token; FALSE when the bucket is empty (the message is over the limit). */
gboolean pc_rate_limiter_take (PcRateLimiter *limiter, gint64 now_us);

G_END_DECLS
