/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pc-tcp-liveness.c: is a silent peer slow or gone? Asks the socket and, on Linux, the TCP
 * stack (see pc-tcp-liveness.h). */
#define G_LOG_DOMAIN "peercall-signal"

#include "config.h"

#ifdef __linux__
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#endif

#include "pc-tcp-liveness.h"

gboolean
pc_tcp_peer_is_draining (GSocket *socket, gint64 idle_us)
{
  if (socket == NULL)
    return FALSE;
  if (g_socket_condition_check (socket, G_IO_IN) & G_IO_IN)
    return TRUE;
#ifdef __linux__
  {
    int fd = g_socket_get_fd (socket);
    struct tcp_info info = { 0 };
    socklen_t len = sizeof info;
    int outq = 0;

    if (ioctl (fd, SIOCOUTQ, &outq) == 0 && outq > 0
        && getsockopt (fd, IPPROTO_TCP, TCP_INFO, &info, &len) == 0
        && (gint64)info.tcpi_last_ack_recv * 1000 < idle_us)
      return TRUE;
  }
#endif
  return FALSE;
}
