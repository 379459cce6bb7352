/*
 * sd_notify(3) without libsystemd: datagrams to $NOTIFY_SOCKET, and the
 * barrier (BARRIER=1 with a pipe systemd closes once it has processed all
 * earlier messages). A sender must stay until then: systemd drops a
 * notification whose sender has gone, as it cannot tell which unit it came from.
 */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int notifier_open(struct notifier *n) {
  const char *path = getenv("NOTIFY_SOCKET");
  if (!path || !*path || strlen(path) >= sizeof n->sa.sun_path) {
    errno = EINVAL;
    return -1;
  }
  memset(&n->sa, 0, sizeof n->sa);
  n->sa.sun_family = AF_UNIX;
  memcpy(n->sa.sun_path, path, strlen(path));
  if (n->sa.sun_path[0] == '@') n->sa.sun_path[0] = 0;
  n->len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
  n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  return n->fd < 0 ? -1 : 0;
}

static int send_state(struct notifier *n, const char *state, int pass_fd) {
  struct iovec iov = {.iov_base = (void *)state, .iov_len = strlen(state)};
  union {
    struct cmsghdr h;
    char buf[CMSG_SPACE(sizeof(int))];
  } control;
  struct msghdr msg = {.msg_name = &n->sa, .msg_namelen = n->len, .msg_iov = &iov, .msg_iovlen = 1};
  if (pass_fd >= 0) {
    memset(&control, 0, sizeof control);
    msg.msg_control = control.buf;
    msg.msg_controllen = sizeof control.buf;
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
  }
  return sendmsg(n->fd, &msg, MSG_NOSIGNAL) < 0 ? -1 : 0;
}

int notify_send(struct notifier *n, const char *state) {
  return send_state(n, state, -1) < 0 ? fail("sd_notify") : 0;
}

int notify_barrier(struct notifier *n) {
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) < 0) return fail("pipe");
  if (send_state(n, "BARRIER=1", pipefd[1]) < 0) return fail("sd_notify barrier");
  close(pipefd[1]);
  struct pollfd p = {.fd = pipefd[0], .events = 0};
  int r;
  while ((r = poll(&p, 1, 30000)) < 0 && errno == EINTR) {
  }
  close(pipefd[0]);
  if (r == 0) return complain("systemd did not answer the notify barrier in 30 s");
  return r < 0 ? fail("poll") : 0;
}

/* A message that only helps (EXTEND_TIMEOUT_USEC=...): sent when there is a socket, with its barrier. */
void notify_best_effort(const char *state) {
  struct notifier n;
  if (notifier_open(&n) < 0) return;
  if (send_state(&n, state, -1) == 0) notify_barrier(&n);
  close(n.fd);
}

/* podgen-unit notify STATE...: each STATE (READY=1, STATUS=...), then a barrier. */
int cmd_notify(int argc, char **argv) {
  if (argc < 2) return complain("usage: podgen-unit notify STATE...");
  struct notifier n;
  if (notifier_open(&n) < 0) return fail("NOTIFY_SOCKET");
  for (int i = 1; i < argc; i++)
    if (notify_send(&n, argv[i]) != 0) return 1;
  return notify_barrier(&n);
}
