/*
 * podgen-unit health: a container's health check, as Docker and podman run
 * it, without a daemon. UNIT-health.timer starts it every so often
 * (src/plan/health.ts); each run is cheap, so one timer serves both the
 * startup check and the regular one (a run that is not due returns at once).
 *
 *   podgen-unit health [--until-healthy] UNIT STATE BUNDLE RUNTIME STATE_ROOT NAME OPTION VALUE ... [--startup-cmd N ARG...] -- CMD...
 *
 * OPTIONs (milliseconds, counts): --interval --timeout --retries --start-period
 * --on-failure none|kill|restart|stop --log-count --log-size --startup-interval
 * --startup-timeout --startup-retries --startup-success.
 *
 * The check is `RUNTIME --root STATE_ROOT exec NAME CMD...` (the container's
 * user, environment and directory), its output kept up to --log-size bytes,
 * killed after --timeout. Docker's rules: the container is "starting" until a
 * check passes; --retries failures in a row make it "unhealthy"; failures in
 * the start period do not count until one check has passed. --on-failure acts
 * when it turns unhealthy: kill (the container dies: a crash, for its restart
 * policy), restart, stop (systemd jobs on UNIT; with UNIT "-", a container
 * podgen run keeps in the foreground, both kill it). A startup check (podman)
 * runs first until it passed --startup-success times; --startup-retries
 * failures restart the container.
 *
 * Which run of the container this is, and since when it runs: its init
 * (BUNDLE/pid) and that process's start time (/proc/PID/stat), so a check
 * never runs while the container is down (a restart's back-off) and every run
 * starts healthy-unknown again. State: STATE (key=value; src/restart/health.ts
 * reads it), under STATE.lock.
 *
 * --until-healthy (Notify=healthy): inside the container's unit, check until
 * healthy, then tell systemd READY=1 and exit.
 */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_LOG 64
#define KILL_GRACE_MS 500

struct health_opts {
  int64_t interval_ms, timeout_ms, start_period_ms, startup_interval_ms, startup_timeout_ms;
  long retries, log_count, log_size, startup_retries, startup_success;
  const char *on_failure;
  char **cmd, **startup_cmd;
};

struct log_entry {
  int64_t start_rt, end_rt;
  int exit_code;
  char *output; /* escaped, one line */
};

struct health_state {
  int64_t run;       /* the container's init's start (CLOCK_BOOTTIME µs): which run this is about */
  long pid;          /* and its PID */
  char status[16];   /* starting, healthy, unhealthy */
  long streak;       /* failures in a row */
  bool passed_once;  /* a check has passed in this run (start period rule) */
  bool startup_done;
  long startup_ok, startup_fail;
  int64_t last_bt;   /* when the last check ended */
  int nlog;
  struct log_entry log[MAX_LOG];
};

static void state_init(struct health_state *s, int64_t run) {
  memset(s, 0, sizeof *s);
  s->run = run;
  snprintf(s->status, sizeof s->status, "starting");
}

static void state_read(const char *path, struct health_state *s) {
  char *text = read_text(path, 1 << 20);
  if (!text) return;
  for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
    char *eq = strchr(line, '=');
    if (!eq) continue;
    *eq = 0;
    const char *k = line, *v = eq + 1;
    if (strcmp(k, "run") == 0) s->run = strtoll(v, NULL, 10);
    else if (strcmp(k, "pid") == 0) s->pid = strtol(v, NULL, 10);
    else if (strcmp(k, "status") == 0) snprintf(s->status, sizeof s->status, "%s", v);
    else if (strcmp(k, "streak") == 0) s->streak = strtol(v, NULL, 10);
    else if (strcmp(k, "passed_once") == 0) s->passed_once = *v == '1';
    else if (strcmp(k, "startup_done") == 0) s->startup_done = *v == '1';
    else if (strcmp(k, "startup_ok") == 0) s->startup_ok = strtol(v, NULL, 10);
    else if (strcmp(k, "startup_fail") == 0) s->startup_fail = strtol(v, NULL, 10);
    else if (strcmp(k, "last_bt") == 0) s->last_bt = strtoll(v, NULL, 10);
    else if (strcmp(k, "log") == 0 && s->nlog < MAX_LOG) {
      struct log_entry *e = &s->log[s->nlog];
      int used = 0;
      long long a, b;
      if (sscanf(v, "%lld %lld %d %n", &a, &b, &e->exit_code, &used) >= 3) {
        e->start_rt = a;
        e->end_rt = b;
        e->output = strdup(v + used);
        s->nlog++;
      }
    }
  }
  free(text);
}

static int state_write(const char *path, const struct health_state *s) {
  size_t cap = 4096;
  for (int i = 0; i < s->nlog; i++) cap += strlen(s->log[i].output) + 64;
  char *text = malloc(cap);
  if (!text) return fail("malloc");
  int n = snprintf(text, cap, "status=%s\nstreak=%ld\nrun=%lld\npid=%ld\npassed_once=%d\nstartup_done=%d\nstartup_ok=%ld\nstartup_fail=%ld\nlast_bt=%lld\n", s->status, s->streak, (long long)s->run, s->pid,
                   s->passed_once, s->startup_done, s->startup_ok, s->startup_fail, (long long)s->last_bt);
  for (int i = 0; i < s->nlog; i++)
    n += snprintf(text + n, cap - (size_t)n, "log=%lld %lld %d %s\n", (long long)s->log[i].start_rt, (long long)s->log[i].end_rt, s->log[i].exit_code, s->log[i].output);
  int r = write_atomic(path, text, false);
  free(text);
  return r;
}

/* One line: backslash, newline, tab and other control bytes as C escapes (src/restart/health.ts undoes them). */
static char *escape_output(const char *raw, size_t len) {
  char *out = malloc(len * 4 + 1), *o = out;
  if (!out) return NULL;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)raw[i];
    if (c == '\\') o += sprintf(o, "\\\\");
    else if (c == '\n') o += sprintf(o, "\\n");
    else if (c == '\t') o += sprintf(o, "\\t");
    else if (c < 0x20 || c == 0x7f) o += sprintf(o, "\\x%02x", c);
    else *o++ = (char)c;
  }
  *o = 0;
  return out;
}

/*
 * RUNTIME --root STATE_ROOT exec NAME CMD..., stdout and stderr into OUT (at most CAP bytes kept),
 * killed after TIMEOUT_MS: its exit status, or -1 for a timeout (Docker's code for it).
 */
static int run_check(const char *runtime, const char *state_root, const char *name, char **cmd, int64_t timeout_ms, char *out, size_t cap, size_t *len) {
  int argc = 0;
  while (cmd[argc]) argc++;
  char **argv = calloc((size_t)argc + 6, sizeof *argv);
  if (!argv) return fail("calloc");
  argv[0] = (char *)runtime;
  argv[1] = "--root";
  argv[2] = (char *)state_root;
  argv[3] = "exec";
  argv[4] = (char *)name;
  memcpy(argv + 5, cmd, (size_t)argc * sizeof *argv);
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) < 0) return fail("pipe");
  pid_t child = fork();
  if (child < 0) return fail("fork");
  if (child == 0) {
    int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, 0);
    dup2(pipefd[1], 1);
    dup2(pipefd[1], 2);
    execv(argv[0], argv);
    fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  close(pipefd[1]);
  free(argv);
  *len = 0;
  int64_t deadline = now_us(CLOCK_MONOTONIC) + timeout_ms * 1000;
  bool timed_out = false;
  for (;;) {
    int64_t left = (deadline - now_us(CLOCK_MONOTONIC)) / 1000;
    if (left <= 0) {
      timed_out = true;
      break;
    }
    struct pollfd p = {.fd = pipefd[0], .events = POLLIN};
    int r = poll(&p, 1, (int)left);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      timed_out = r == 0;
      break;
    }
    char buf[4096];
    ssize_t got = read(pipefd[0], buf, sizeof buf);
    if (got <= 0) break;
    size_t keep = *len + (size_t)got > cap ? cap - *len : (size_t)got;
    memcpy(out + *len, buf, keep);
    *len += keep;
  }
  close(pipefd[0]);
  if (timed_out) {
    /* runc passes SIGTERM on to the check's process; SIGKILL would only end runc itself. */
    kill(child, SIGTERM);
    for (int waited = 0; waited < KILL_GRACE_MS && waitpid(child, NULL, WNOHANG) == 0; waited += 10) {
      struct timespec t = {0, 10000000};
      nanosleep(&t, NULL);
    }
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    return -1;
  }
  int status;
  while (waitpid(child, &status, 0) < 0)
    if (errno != EINTR) return fail("waitpid");
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void add_log(struct health_state *s, long keep, int64_t start, int64_t end, int code, char *output) {
  if (keep > MAX_LOG) keep = MAX_LOG;
  while (s->nlog >= keep && s->nlog > 0) {
    free(s->log[0].output);
    memmove(s->log, s->log + 1, (size_t)(s->nlog - 1) * sizeof *s->log);
    s->nlog--;
  }
  s->log[s->nlog++] = (struct log_entry){.start_rt = start, .end_rt = end, .exit_code = code, .output = output};
}

static int unit_job(const char *method, const char *unit) {
  sdbus b;
  int r = sdbus_open(&b) == 0 ? sdbus_unit_action(&b, method, unit) : -1;
  sdbus_close(&b);
  if (r < 0) complain("%s %s failed: %s", method, unit, strerror(errno));
  return r;
}

/* HealthOnFailure=: what to do when the container turns unhealthy (without a unit, only killing it is possible). */
static void act(const char *action, const char *unit, const char *runtime, const char *state_root, const char *name) {
  if (strcmp(action, "kill") == 0 || strcmp(unit, "-") == 0) {
    char *const argv[] = {(char *)runtime, "--root", (char *)state_root, "kill", (char *)name, "KILL", NULL};
    run_wait(argv, false);
  } else if (strcmp(action, "restart") == 0) unit_job("RestartUnit", unit);
  else if (strcmp(action, "stop") == 0) unit_job("StopUnit", unit);
}

struct target {
  const char *unit, *health, *bundle, *runtime, *state_root, *name;
};

/* The container's init: its PID and start time (CLOCK_BOOTTIME µs), from BUNDLE/pid and /proc; 0 when not running. */
static pid_t container_init(const char *bundle, int64_t *started_bt) {
  char path[4096];
  snprintf(path, sizeof path, "%s/pid", bundle);
  char *text = read_text(path, 31);
  long pid = text ? strtol(text, NULL, 10) : 0;
  free(text);
  if (pid <= 0) return 0;
  snprintf(path, sizeof path, "/proc/%ld/stat", pid);
  char *stat = read_text(path, 4096);
  char *close_paren = stat ? strrchr(stat, ')') : NULL;
  unsigned long long ticks = 0;
  char state = 0;
  /* After "(comm)": state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime priority nice num_threads itrealvalue starttime. */
  bool ok = close_paren && sscanf(close_paren + 2, "%c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu", &state, &ticks) == 2 && state != 'Z';
  free(stat);
  if (!ok) return 0;
  *started_bt = (int64_t)(ticks * 1000000ULL / (unsigned long long)sysconf(_SC_CLK_TCK));
  return (pid_t)pid;
}

/*
 * One check if one is due: 0 when it ran or was not due; 1 when the container is not running.
 * *healthy tells whether it is healthy now.
 */
static int check_once(const struct target *t, const struct health_opts *o, bool *healthy, int64_t *next_due_bt) {
  int64_t started_bt = 0;
  *healthy = false;
  pid_t init = container_init(t->bundle, &started_bt);
  if (init == 0) return 1; /* not running: nothing to check (starting, waiting to restart, stopped) */
  int lock = record_lock(t->health);
  struct health_state s;
  state_init(&s, started_bt);
  state_read(t->health, &s);
  if (s.run != started_bt || s.pid != (long)init) { /* a new run of the container: its health starts over */
    for (int i = 0; i < s.nlog; i++) free(s.log[i].output);
    state_init(&s, started_bt);
    s.pid = (long)init;
  }
  bool startup = o->startup_cmd && !s.startup_done;
  int64_t interval = (startup ? o->startup_interval_ms : o->interval_ms) * 1000;
  int64_t now = now_us(CLOCK_BOOTTIME);
  /* The first check comes one interval after the start, then one interval after each check. */
  int64_t due = (s.last_bt ? s.last_bt : started_bt) + interval;
  if (now + 200000 < due) { /* not due (a shared timer, or the other checker got there first) */
    *healthy = strcmp(s.status, "healthy") == 0;
    *next_due_bt = due;
    if (lock >= 0) close(lock);
    return 0;
  }
  char out[65536];
  size_t len = 0;
  size_t cap = (size_t)(o->log_size > 0 && o->log_size < (long)sizeof out ? o->log_size : (long)sizeof out);
  int64_t start_rt = now_us(CLOCK_REALTIME);
  int code = run_check(t->runtime, t->state_root, t->name, startup ? o->startup_cmd : o->cmd, startup ? o->startup_timeout_ms : o->timeout_ms, out, cap, &len);
  int64_t end_rt = now_us(CLOCK_REALTIME);
  char *output;
  if (code == -1) {
    char msg[96];
    snprintf(msg, sizeof msg, "Health check exceeded timeout (%gs)", (double)(startup ? o->startup_timeout_ms : o->timeout_ms) / 1000);
    output = escape_output(msg, strlen(msg));
  } else output = escape_output(out, len);
  s.last_bt = now_us(CLOCK_BOOTTIME);
  add_log(&s, o->log_count, start_rt, end_rt, code, output ? output : strdup(""));
  char before[16];
  snprintf(before, sizeof before, "%s", s.status);
  const char *act_on = NULL;
  if (startup) {
    if (code == 0 && ++s.startup_ok >= o->startup_success) {
      s.startup_done = true;
      fprintf(stderr, "podgen-unit: %s: startup check passed; the regular health check takes over\n", t->unit);
    } else if (code != 0 && ++s.startup_fail >= o->startup_retries && o->startup_retries > 0) {
      fprintf(stderr, "podgen-unit: %s: startup check failed %ld times: restarting the container\n", t->unit, s.startup_fail);
      act_on = "restart";
    }
  } else if (code == 0) {
    snprintf(s.status, sizeof s.status, "healthy");
    s.streak = 0;
    s.passed_once = true;
  } else {
    bool in_start_period = (now - started_bt) < o->start_period_ms * 1000 && !s.passed_once;
    if (!in_start_period && ++s.streak >= o->retries) snprintf(s.status, sizeof s.status, "unhealthy");
  }
  state_write(t->health, &s);
  if (lock >= 0) close(lock);
  if (strcmp(before, s.status) != 0) {
    fprintf(stderr, "podgen-unit: %s: %s (check exited %d)\n", t->unit, s.status, code);
    if (strcmp(s.status, "unhealthy") == 0 && strcmp(o->on_failure, "none") != 0) act_on = o->on_failure;
  }
  if (act_on) act(act_on, t->unit, t->runtime, t->state_root, t->name);
  *healthy = strcmp(s.status, "healthy") == 0;
  *next_due_bt = s.last_bt + (o->startup_cmd && !s.startup_done ? o->startup_interval_ms : o->interval_ms) * 1000;
  for (int i = 0; i < s.nlog; i++) free(s.log[i].output);
  return 0;
}

static int64_t number(const char *v) { return strtoll(v, NULL, 10); }

int cmd_health(int argc, char **argv) {
  bool until_healthy = argc > 1 && strcmp(argv[1], "--until-healthy") == 0;
  int i = until_healthy ? 2 : 1;
  if (argc - i < 7) return complain("usage: podgen-unit health [--until-healthy] UNIT STATE BUNDLE RUNTIME STATE_ROOT NAME [OPTION VALUE]... [--startup-cmd N ARG...] -- CMD...");
  struct target t = {.unit = argv[i], .health = argv[i + 1], .bundle = argv[i + 2], .runtime = argv[i + 3], .state_root = argv[i + 4], .name = argv[i + 5]};
  struct health_opts o = {.interval_ms = 30000, .timeout_ms = 30000, .startup_interval_ms = 30000, .startup_timeout_ms = 30000, .retries = 3, .log_count = 5, .log_size = 500, .startup_success = 1, .on_failure = "none"};
  for (i += 6; i < argc; i++) {
    const char *k = argv[i];
    if (strcmp(k, "--") == 0) {
      o.cmd = argv + i + 1;
      break;
    }
    if (i + 1 >= argc) return complain("%s needs a value", k);
    const char *v = argv[++i];
    if (strcmp(k, "--interval") == 0) o.interval_ms = number(v);
    else if (strcmp(k, "--timeout") == 0) o.timeout_ms = number(v);
    else if (strcmp(k, "--retries") == 0) o.retries = (long)number(v);
    else if (strcmp(k, "--start-period") == 0) o.start_period_ms = number(v);
    else if (strcmp(k, "--on-failure") == 0) o.on_failure = v;
    else if (strcmp(k, "--log-count") == 0) o.log_count = (long)number(v);
    else if (strcmp(k, "--log-size") == 0) o.log_size = (long)number(v);
    else if (strcmp(k, "--startup-interval") == 0) o.startup_interval_ms = number(v);
    else if (strcmp(k, "--startup-timeout") == 0) o.startup_timeout_ms = number(v);
    else if (strcmp(k, "--startup-retries") == 0) o.startup_retries = (long)number(v);
    else if (strcmp(k, "--startup-success") == 0) o.startup_success = (long)number(v);
    else if (strcmp(k, "--startup-cmd") == 0) {
      long n = number(v);
      if (n <= 0 || i + n >= argc) return complain("--startup-cmd N ARG...: %ld arguments missing", n);
      o.startup_cmd = calloc((size_t)n + 1, sizeof *o.startup_cmd);
      if (!o.startup_cmd) return fail("calloc");
      memcpy(o.startup_cmd, argv + i + 1, (size_t)n * sizeof *argv);
      i += (int)n;
    } else return complain("unknown option %s", k);
  }
  if (!o.cmd || !o.cmd[0]) return complain("no health check command after --");
  bool healthy;
  int64_t next;
  if (!until_healthy) return check_once(&t, &o, &healthy, &next) < 0 ? 1 : 0;
  /* Notify=healthy: check (in step with the timer's checks) until healthy, then READY=1. */
  sigset_t all, old;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, &old);
  for (;;) {
    int r = check_once(&t, &o, &healthy, &next);
    if (healthy) break;
    if (r == 1) next = now_us(CLOCK_BOOTTIME) + 100000; /* not running yet, or gone: look again shortly */
    int64_t left = next - now_us(CLOCK_BOOTTIME);
    if (left < 10000) left = 10000;
    struct timespec ts = {.tv_sec = left / 1000000, .tv_nsec = (left % 1000000) * 1000};
    int sig = sigtimedwait(&all, NULL, &ts);
    if (sig > 0 && sig != SIGCHLD) return 0; /* a stop */
  }
  sigprocmask(SIG_SETMASK, &old, NULL);
  struct notifier n;
  if (notifier_open(&n) < 0) return fail("NOTIFY_SOCKET");
  if (notify_send(&n, "READY=1") != 0 || notify_send(&n, "STATUS=healthy") != 0) return 1;
  return notify_barrier(&n);
}
