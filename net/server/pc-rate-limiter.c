/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "pc-rate-limiter.h"

void
pc_rate_limiter_init (PcRateLimiter *limiter, double rate, double burst, gint64 now_us)
{
  limiter->rate = MAX (rate, 0.0);
  limiter->burst = MAX (burst, 1.0);
  limiter->tokens = limiter->burst;
  limiter->last_us = now_us;
}

gboolean
pc_rate_limiter_take (PcRateLimiter *limiter, gint64 now_us)
{
  if (now_us > limiter->last_us)
    {
      double elapsed = (double)(now_us - limiter->last_us) / G_USEC_PER_SEC;

      limiter->tokens = MIN (limiter->burst, limiter->tokens + elapsed * limiter->rate);
      limiter->last_us = now_us;
    }
  if (limiter->tokens < 1.0)
    return FALSE;
  limiter->tokens -= 1.0;
  return TRUE;
}
