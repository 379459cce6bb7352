/*
 * The record: what the restart manager knows about a unit's container, kept
 * across restarts and reboots in %S/podgen/state/UNIT (key=value lines, replaced
 * atomically), with UNIT.lock serialising read-modify-write among the hooks.
 * podgen's CLI only reads it (src/restart/record.ts); keys it does not know are
 * ignored on both sides, so either can grow. The side files' names (.lock here,
 * .stop-timeout in hooks.c) are listed there too, as RECORD_SIDE_FILES.
 */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

void record_init(record *r) {
  memset(r, 0, sizeof *r);
  r->phase = PHASE_NONE;
  r->exit_code = -1;
}

/* mkdir -p the record's directory. */
static int ensure_dir(const char *path) {
  char dir[4096];
  snprintf(dir, sizeof dir, "%s", path);
  for (char *p = dir + 1; *p; p++) {
    if (*p != '/') continue;
    *p = 0;
    if (mkdir(dir, 0755) < 0 && errno != EEXIST) return fail(dir);
    *p = '/';
  }
  return 0;
}

/* An exclusive lock on PATH.lock, held until the returned fd is closed (or the process dies). */
int record_lock(const char *path) {
  char lock[4096];
  snprintf(lock, sizeof lock, "%s.lock", path);
  int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0 && errno == ENOENT && ensure_dir(lock) == 0) fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    fail(lock);
    return -1;
  }
  while (flock(fd, LOCK_EX) < 0)
    if (errno != EINTR) {
      fail(lock);
      close(fd);
      return -1;
    }
  return fd;
}

/* 0 when read, 1 when there is none yet (R stays initialised). */
int record_read(const char *path, record *r) {
  record_init(r);
  char *text = read_text(path, 8192);
  if (!text) return 1;
  for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
    char *eq = strchr(line, '=');
    if (!eq) continue;
    *eq = 0;
    const char *k = line, *v = eq + 1;
    if (strcmp(k, "boot") == 0) snprintf(r->boot, sizeof r->boot, "%s", v);
    else if (strcmp(k, "phase") == 0) r->phase = phase_parse(v);
    else if (strcmp(k, "count") == 0) r->count = strtol(v, NULL, 10);
    else if (strcmp(k, "backoff_ms") == 0) r->backoff_ms = strtol(v, NULL, 10);
    else if (strcmp(k, "started_bt") == 0) r->started_bt = strtoll(v, NULL, 10);
    else if (strcmp(k, "started_rt") == 0) r->started_rt = strtoll(v, NULL, 10);
    else if (strcmp(k, "ended_rt") == 0) r->ended_rt = strtoll(v, NULL, 10);
    else if (strcmp(k, "not_before_bt") == 0) r->not_before_bt = strtoll(v, NULL, 10);
    else if (strcmp(k, "not_before_rt") == 0) r->not_before_rt = strtoll(v, NULL, 10);
    else if (strcmp(k, "exit_code") == 0) r->exit_code = (int)strtol(v, NULL, 10);
    else if (strcmp(k, "pid") == 0) r->pid = strtol(v, NULL, 10);
    else if (strcmp(k, "stop") == 0) snprintf(r->stop, sizeof r->stop, "%s", v);
    else if (strcmp(k, "policy") == 0) snprintf(r->policy, sizeof r->policy, "%s", v);
  }
  free(text);
  return 0;
}

int record_write(const char *path, const record *r, bool durable) {
  char text[1024];
  int n = snprintf(text, sizeof text,
                   "phase=%s\nboot=%s\npolicy=%s\ncount=%ld\nbackoff_ms=%ld\nexit_code=%d\npid=%ld\nstop=%s\n"
                   "started_bt=%lld\nstarted_rt=%lld\nended_rt=%lld\nnot_before_bt=%lld\nnot_before_rt=%lld\n",
                   phase_name(r->phase), r->boot, r->policy, r->count, r->backoff_ms, r->exit_code, r->pid, r->stop, (long long)r->started_bt,
                   (long long)r->started_rt, (long long)r->ended_rt, (long long)r->not_before_bt, (long long)r->not_before_rt);
  if (n < 0 || n >= (int)sizeof text) return complain("record too long");
  /* The directory exists once the lock file does (record_lock); only a write without it makes it. */
  if (access(path, F_OK) != 0 && errno == ENOENT && ensure_dir(path) != 0) return 1;
  return write_atomic(path, text, durable);
}
