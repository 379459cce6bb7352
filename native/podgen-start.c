/*
 * podgen-start: start a container as a systemd Type=notify unit's main
 * process, in one exec, without losing its exit status and without staying.
 *
 *   podgen-start PIDFILE FIFO -- RUNTIME [ARGS...] create ...
 *
 * 1. runs `RUNTIME ... create` (the container's init then waits on FIFO,
 *    runc's exec.fifo) and waits for it; its failure is ours;
 * 2. tells systemd "MAINPID=<init>", waits on an sd_notify barrier
 *    (BARRIER=1 with a pipe systemd closes once it has processed everything
 *    before it): from then on systemd watches the init as the main process,
 *    so even a container that exits at once hands systemd its exit status;
 *    then "READY=1" (and a barrier again once the container runs);
 * 3. lets the container run as `runc start` does: opens FIFO, reads runc's
 *    "0", removes FIFO; then exits. Nothing of podgen stays.
 *
 * Without FIFO (another runtime or runc version), step 3 is `runc start`'s
 * own exec: RUNTIME with "create ..." replaced by "start NAME" (the last
 * argument). Units run this only when it was built (npm install, with a C
 * compiler); otherwise they use create + ExecStartPost (src/plan/podgenEngine.ts).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static int fail(const char *what) {
  fprintf(stderr, "podgen-start: %s: %s\n", what, strerror(errno));
  return 1;
}

static int run(char **argv) {
  /* Socket activation: systemd names the process the fds are for (LISTEN_PID), us or, through
   * podgen prepare, our parent; runc takes them only when that is runc itself. */
  const char *listen = getenv("LISTEN_PID");
  long listen_pid = listen ? strtol(listen, NULL, 10) : 0;
  int pass_fds = listen_pid > 0 && (listen_pid == (long)getpid() || listen_pid == (long)getppid());
  pid_t child = fork();
  if (child < 0) return fail("fork");
  if (child == 0) {
    char pid[24];
    snprintf(pid, sizeof pid, "%ld", (long)getpid());
    if (pass_fds) setenv("LISTEN_PID", pid, 1);
    execv(argv[0], argv);
    fprintf(stderr, "podgen-start: cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  int status;
  while (waitpid(child, &status, 0) < 0)
    if (errno != EINTR) return fail("waitpid");
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}

static pid_t read_pid(const char *file) {
  char buf[32] = {0};
  int fd = open(file, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return -1;
  long pid = strtol(buf, NULL, 10);
  return pid > 0 ? (pid_t)pid : -1;
}

static int notify_socket(struct sockaddr_un *sa, socklen_t *len) {
  const char *path = getenv("NOTIFY_SOCKET");
  if (!path || !*path || strlen(path) >= sizeof sa->sun_path) {
    errno = EINVAL;
    return -1;
  }
  memset(sa, 0, sizeof *sa);
  sa->sun_family = AF_UNIX;
  memcpy(sa->sun_path, path, strlen(path));
  if (sa->sun_path[0] == '@') sa->sun_path[0] = 0;
  *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
  return socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
}

static int send_state(int fd, struct sockaddr_un *sa, socklen_t len, const char *state, int pass_fd) {
  struct iovec iov = {.iov_base = (void *)state, .iov_len = strlen(state)};
  union {
    struct cmsghdr h;
    char buf[CMSG_SPACE(sizeof(int))];
  } control;
  struct msghdr msg = {.msg_name = sa, .msg_namelen = len, .msg_iov = &iov, .msg_iovlen = 1};
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
  return sendmsg(fd, &msg, MSG_NOSIGNAL) < 0 ? -1 : 0;
}

struct notifier {
  int fd;
  struct sockaddr_un sa;
  socklen_t len;
};

/* sd_notify_barrier: BARRIER=1 with a pipe systemd closes once it has processed all earlier messages. */
static int barrier(struct notifier *n) {
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) < 0) return fail("pipe");
  if (send_state(n->fd, &n->sa, n->len, "BARRIER=1", pipefd[1]) < 0) return fail("sd_notify barrier");
  close(pipefd[1]);
  struct pollfd p = {.fd = pipefd[0], .events = 0};
  int r;
  while ((r = poll(&p, 1, 30000)) < 0 && errno == EINTR) {}
  close(pipefd[0]);
  if (r == 0) {
    fprintf(stderr, "podgen-start: systemd did not answer the notify barrier in 30 s\n");
    return 1;
  }
  return r < 0 ? fail("poll") : 0;
}

static int notify(struct notifier *n, const char *state) {
  return send_state(n->fd, &n->sa, n->len, state, -1) < 0 ? fail("sd_notify") : 0;
}

/* runc start's part: the init blocks opening FIFO for writing until we open it for reading. */
static int let_run(const char *fifo, pid_t init) {
  int fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return fail(fifo);
  for (;;) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int r = poll(&p, 1, 100);
    if (r < 0 && errno != EINTR) return fail("poll");
    if (r > 0) {
      char c = 0;
      ssize_t n = read(fd, &c, 1);
      close(fd);
      if (n == 1 && c == '0') return unlink(fifo) < 0 && errno != ENOENT ? fail(fifo) : 0;
      fprintf(stderr, "podgen-start: the container did not wait to be started\n");
      return 1;
    }
    if (kill(init, 0) < 0 && errno == ESRCH) {
      fprintf(stderr, "podgen-start: the container's init (%ld) died before it ran\n", (long)init);
      return 1;
    }
  }
}

int main(int argc, char **argv) {
  if (argc < 6 || strcmp(argv[3], "--") != 0) {
    fprintf(stderr, "usage: podgen-start PIDFILE FIFO -- RUNTIME [ARGS...] create ... NAME\n");
    return 2;
  }
  const char *pidfile = argv[1], *fifo = argv[2];
  char **create = argv + 4;
  int status = run(create);
  if (status != 0) return status;
  pid_t init = read_pid(pidfile);
  if (init < 0) {
    fprintf(stderr, "podgen-start: no PID in %s after create\n", pidfile);
    return 1;
  }
  /*
   * MAINPID= first, acknowledged by a barrier before the container may run: the barrier waits
   * for MAINPID= alone, which is quick for systemd. READY=1 (the job's end, with its bus signals)
   * is queued before the container can run, and systemd reads notifications before exit
   * statuses, so a container that exits at once still ends a started service. The second
   * barrier, after the container runs, keeps us alive until READY=1 is read: systemd drops a
   * notification whose sender has gone (it cannot tell which unit it came from).
   */
  struct notifier n;
  n.fd = notify_socket(&n.sa, &n.len);
  if (n.fd < 0) return fail("NOTIFY_SOCKET");
  char state[64];
  snprintf(state, sizeof state, "MAINPID=%ld", (long)init);
  if (notify(&n, state) != 0 || barrier(&n) != 0 || notify(&n, "READY=1") != 0) return 1;
  struct stat st;
  if (stat(fifo, &st) == 0 && S_ISFIFO(st.st_mode)) {
    int started = let_run(fifo, init);
    return barrier(&n) != 0 ? 1 : started;
  }
  /* RUNTIME [global flags] create [create flags] NAME -> RUNTIME [global flags] start NAME */
  if (barrier(&n) != 0) return 1;
  int count = argc - 4, i = 0;
  char **start = calloc((size_t)count + 2, sizeof *start);
  if (!start) return fail("calloc");
  for (; i < count && strcmp(create[i], "create") != 0; i++) start[i] = create[i];
  start[i] = "start";
  start[i + 1] = create[count - 1];
  execv(start[0], start);
  return fail(start[0]);
}
