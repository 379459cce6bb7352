/*
 * podgen-unit start: start a container as a systemd Type=notify unit's main
 * process, in one exec, without losing its exit status and without staying.
 *
 *   podgen-unit start [--record R] PIDFILE FIFO -- RUNTIME [ARGS...] create ... NAME [--then-exec CMD...]
 *   podgen-unit start [--record R] --ready MARKER PIDFILE FIFO -- RUNTIME [ARGS...] create ... NAME -- CMD...
 *
 * --ready: the Node-free restart of a host/none container (src/plan/podgenEngine.ts): only when
 * MARKER exists (the last stop left the bundle and a fresh root ready); otherwise exec CMD
 * instead (podgen-unit wait ... -- podgen prepare ...: the full start). CMD comes last because it
 * holds the definition's words, which systemd may expand into any number of words; the runtime's
 * create arguments never hold a bare "--".
 *
 * 0. with a record, begin the start (below): an automatic restart first waits
 *    out its back-off; a start by hand resets the restart count;
 * 1. runs `RUNTIME ... create` (the container's init then waits on FIFO,
 *    runc's exec.fifo) and waits for it; its failure is ours;
 * 2. tells systemd "MAINPID=<init>", waits on an sd_notify barrier: from then
 *    on systemd watches the init as the main process, so even a container that
 *    exits at once hands systemd its exit status; then "READY=1" (unless
 *    --then-exec will send it: Notify=healthy);
 * 3. lets the container run as `runc start` does: opens FIFO, reads runc's "0",
 *    removes FIFO; records the container as running; a barrier again; then
 *    exits (or execs CMD). Nothing of podgen stays.
 *
 * Without FIFO (another runtime or runc version), step 3 is `runc start`'s
 * own exec: RUNTIME with "create ..." replaced by "start NAME".
 *
 *   podgen-unit wait R [-- CMD...]
 *
 * step 0 alone, then exec CMD: for units whose start runs Node's prepare first
 * (or, without CMD, an ExecStartPre= of its own: the podman engine).
 */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define START_TIMEOUT_MARGIN_US 90000000LL /* systemd's default start timeout, granted again after a wait */

/* Sleep until UNTIL (CLOCK_BOOTTIME µs); a signal (a stop: systemd's KillSignal, whatever it is) ends it: its number. */
static int wait_until(int64_t until) {
  sigset_t all, old;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, &old);
  int got = 0;
  for (;;) {
    int64_t left = until - now_us(CLOCK_BOOTTIME);
    if (left <= 0) break;
    struct timespec ts = {.tv_sec = left / 1000000, .tv_nsec = (left % 1000000) * 1000};
    int sig = sigtimedwait(&all, NULL, &ts);
    if (sig > 0 && sig != SIGCHLD) {
      got = sig;
      break;
    }
  }
  sigprocmask(SIG_SETMASK, &old, NULL);
  return got;
}

/*
 * The restart manager's part of a start. In the record, "waiting" (written by `ended` in this
 * boot) means systemd is restarting the container on its policy: wait until the back-off has
 * passed (the unit shows activating; a stop ends the wait at once and nothing starts). Any
 * other start is a start by hand or the first of a boot: Docker's reset of the restart count
 * and back-off. "starting" is a start already begun (wait, then Node's prepare, then start).
 * Returns 0 to go on, 1 when a stop ended the wait.
 */
int begin_start(const char *path) {
  policy p = policy_from_env();
  char boot[40] = "";
  read_boot_id(boot);
  int lock = record_lock(path);
  record r;
  bool had = record_read(path, &r) == 0;
  bool same_boot = had && strcmp(r.boot, boot) == 0;
  if (same_boot && r.phase == PHASE_STARTING) {
    if (lock >= 0) close(lock);
    return 0;
  }
  if (same_boot && r.phase == PHASE_WAITING) {
    if (lock >= 0) close(lock);
    int64_t left = r.not_before_bt - now_us(CLOCK_BOOTTIME);
    if (left > 0) {
      char extend[64];
      snprintf(extend, sizeof extend, "EXTEND_TIMEOUT_USEC=%lld", (long long)(left + START_TIMEOUT_MARGIN_US));
      notify_best_effort(extend);
      int sig = wait_until(r.not_before_bt);
      if (sig) {
        complain("the restart back-off was ended by signal %d (a stop): not starting", sig);
        return 1;
      }
    }
    lock = record_lock(path);
    record_read(path, &r);
  } else {
    r.count = 0;
    r.backoff_ms = 0;
  }
  r.phase = PHASE_STARTING;
  r.pid = 0;
  r.started_bt = now_us(CLOCK_BOOTTIME);
  r.started_rt = now_us(CLOCK_REALTIME);
  r.stop[0] = 0;
  snprintf(r.boot, sizeof r.boot, "%s", boot);
  policy_format(p, r.policy, sizeof r.policy);
  record_write(path, &r, false);
  if (lock >= 0) close(lock);
  return 0;
}

/* The container runs: say so in the record (ps, and how long it ran when it ends). */
static void mark_running(const char *path, pid_t init) {
  int lock = record_lock(path);
  record r;
  record_read(path, &r);
  if (r.phase == PHASE_STARTING) {
    r.phase = PHASE_RUNNING;
    r.pid = (long)init;
    r.started_bt = now_us(CLOCK_BOOTTIME);
    r.started_rt = now_us(CLOCK_REALTIME);
    record_write(path, &r, false);
  }
  if (lock >= 0) close(lock);
}

static pid_t read_pid(const char *file) {
  char *text = read_text(file, 31);
  long pid = text ? strtol(text, NULL, 10) : -1;
  free(text);
  return pid > 0 ? (pid_t)pid : -1;
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
      return complain("the container did not wait to be started");
    }
    if (kill(init, 0) < 0 && errno == ESRCH) return complain("the container's init (%ld) died before it ran", (long)init);
  }
}

/*
 * A rootless container's network: the runtime's hook starts pasta in the background and returns
 * (rootlessSetup.pastaHook), so that pasta's set-up overlaps the rest of `create`. Its marks are
 * in the bundle, next to PIDFILE: network-pending (set by the hook), network-done (pasta's exit
 * status, a line), network-err (its words). Wait for them before the container may run.
 */
static int wait_network(const char *pidfile) {
  char dir[4096], pending[4200], done[4200], err[4200];
  snprintf(dir, sizeof dir, "%s", pidfile);
  char *slash = strrchr(dir, '/');
  if (!slash) return 0;
  *slash = '\0';
  snprintf(pending, sizeof pending, "%s/network-pending", dir);
  if (access(pending, F_OK) != 0) return 0;
  snprintf(done, sizeof done, "%s/network-done", dir);
  snprintf(err, sizeof err, "%s/network-err", dir);
  for (int waited_ms = 0; waited_ms < 30000; waited_ms++) {
    char *status = read_text(done, 64);
    if (status && strchr(status, '\n')) {
      int code = atoi(status);
      free(status);
      unlink(pending);
      unlink(done);
      if (code == 0) {
        unlink(err);
        return 0;
      }
      char *words = read_text(err, 4096);
      int r = complain("the container's network could not be set up: pasta exited with status %d: %s", code, words ? words : "");
      free(words);
      return r;
    }
    free(status);
    struct timespec ms = {0, 1000000};
    nanosleep(&ms, NULL);
  }
  return complain("the container's network (pasta) was not ready within 30 s");
}

int cmd_wait(int argc, char **argv) {
  if (argc != 2 && (argc < 4 || strcmp(argv[2], "--") != 0)) return complain("usage: podgen-unit wait RECORD [-- COMMAND...]");
  if (begin_start(argv[1]) != 0) return 0;
  if (argc == 2) return 0;
  execv(argv[3], argv + 3);
  return fail(argv[3]);
}

int cmd_start(int argc, char **argv) {
  const char *record_path = NULL;
  int i = 1;
  if (i + 1 < argc && strcmp(argv[i], "--record") == 0) {
    record_path = argv[i + 1];
    i += 2;
  }
  const char *marker = NULL;
  if (i + 1 < argc && strcmp(argv[i], "--ready") == 0) {
    marker = argv[i + 1];
    i += 2;
  }
  if (argc - i < 5 || strcmp(argv[i + 2], "--") != 0) {
    return complain("usage: podgen-unit start [--record R] [--ready MARKER] PIDFILE FIFO -- RUNTIME [ARGS...] create ... NAME [--then-exec COMMAND... | -- COMMAND...]");
  }
  const char *pidfile = argv[i], *fifo = argv[i + 1];
  char **create = argv + i + 3;
  char **then = NULL;
  for (char **a = create; *a; a++) {
    if (marker && strcmp(*a, "--") == 0) {
      *a = NULL; /* create ends here; what follows is the full start */
      if (access(marker, F_OK) != 0) {
        execv(a[1], a + 1);
        return fail(a[1] ? a[1] : "the full start");
      }
      break;
    }
    if (!marker && strcmp(*a, "--then-exec") == 0) {
      *a = NULL;
      then = a + 1;
      break;
    }
  }
  if (record_path && begin_start(record_path) != 0) return 0;
  int status = run_wait(create, true);
  if (status != 0) return status;
  pid_t init = read_pid(pidfile);
  if (init < 0) return complain("no PID in %s after create", pidfile);
  if (wait_network(pidfile) != 0) return 1;
  /*
   * MAINPID= first, acknowledged by a barrier before the container may run: the barrier waits
   * for MAINPID= alone, which is quick for systemd. READY=1 (the job's end, with its bus signals)
   * is queued before the container can run, and systemd reads notifications before exit
   * statuses, so a container that exits at once still ends a started service. The second
   * barrier, after the container runs, keeps us alive until READY=1 is read.
   */
  struct notifier n;
  if (notifier_open(&n) < 0) return fail("NOTIFY_SOCKET");
  char state[64];
  snprintf(state, sizeof state, "MAINPID=%ld", (long)init);
  if (notify_send(&n, state) != 0 || notify_barrier(&n) != 0) return 1;
  if (!then && notify_send(&n, "READY=1") != 0) return 1;
  struct stat st;
  if (stat(fifo, &st) == 0 && S_ISFIFO(st.st_mode)) {
    int started = let_run(fifo, init);
    /* The barrier first: systemd has READY=1 (the start job's end) before podgen's bookkeeping runs. */
    if (notify_barrier(&n) != 0 || started != 0) return 1;
    if (record_path) mark_running(record_path, init);
    if (!then) return 0;
    execv(then[0], then);
    return fail(then[0]);
  }
  /* RUNTIME [global flags] create [create flags] NAME -> RUNTIME [global flags] start NAME */
  if (notify_barrier(&n) != 0) return 1;
  int count = 0;
  while (create[count]) count++;
  char **start = calloc((size_t)count + 2, sizeof *start);
  if (!start) return fail("calloc");
  int k = 0;
  for (; k < count && strcmp(create[k], "create") != 0; k++) start[k] = create[k];
  start[k] = "start";
  start[k + 1] = create[count - 1];
  if (record_path) mark_running(record_path, init);
  execv(start[0], start);
  return fail(start[0]);
}
