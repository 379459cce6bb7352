/* Small helpers every subcommand uses: messages, clocks, files, processes, signal names. */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Messages go to stderr, which systemd sends to the unit's journal. */
int fail(const char *what) {
  fprintf(stderr, "podgen-unit: %s: %s\n", what, strerror(errno));
  return 1;
}

int complain(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("podgen-unit: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  return 1;
}

int64_t now_us(int clock_id) {
  struct timespec t;
  clock_gettime(clock_id, &t);
  return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

int read_boot_id(char out[40]) {
  int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, out, 39);
  close(fd);
  if (n <= 0) return -1;
  out[n] = 0;
  char *nl = strchr(out, '\n');
  if (nl) *nl = 0;
  return 0;
}

/* A small file's text (at most MAX bytes), NUL-terminated; NULL when it cannot be read. */
char *read_text(const char *path, size_t max) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return NULL;
  char *buf = malloc(max + 1);
  size_t got = 0;
  ssize_t n;
  while (buf && got < max && (n = read(fd, buf + got, max - got)) > 0) got += (size_t)n;
  close(fd);
  if (buf) buf[got] = 0;
  return buf;
}

/* Replace PATH by TEXT in one rename(2): readers see the old or the new file, never a part. */
int write_atomic(const char *path, const char *text, bool durable) {
  char tmp[4096];
  if (snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid()) >= (int)sizeof tmp) return complain("%s: path too long", path);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return fail(tmp);
  size_t len = strlen(text), done = 0;
  while (done < len) {
    ssize_t n = write(fd, text + done, len - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int e = errno;
      close(fd);
      unlink(tmp);
      errno = e;
      return fail(tmp);
    }
    done += (size_t)n;
  }
  if (durable && fsync(fd) < 0) {
    close(fd);
    unlink(tmp);
    return fail(tmp);
  }
  close(fd);
  if (rename(tmp, path) < 0) {
    int e = errno;
    unlink(tmp);
    errno = e;
    return fail(path);
  }
  if (durable) {
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
      *slash = 0;
      int d = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (d >= 0) {
        fsync(d);
        close(d);
      }
    }
  }
  return 0;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st;
  (void)ftw;
  int r = flag == FTW_DP ? rmdir(path) : unlink(path);
  return r < 0 && errno != ENOENT ? -1 : 0;
}

/*
 * Directories we own but may not read or enter (overlayfs leaves its work/work at mode 000,
 * which a rootless user, without CAP_DAC_OVERRIDE, cannot empty): opened up on the way down.
 * nftw calls this for a directory before reading it; a chmod refused is rm's error later.
 */
static int make_removable(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)ftw;
  if (flag != FTW_SL && S_ISDIR(st->st_mode) && (st->st_mode & S_IRWXU) != S_IRWXU) chmod(path, (st->st_mode & 07777) | S_IRWXU);
  return 0;
}

/* rm -rf PATH, staying on its file system (a mount inside is an error, not something to empty). */
int rm_rf(const char *path) {
  struct stat st;
  if (lstat(path, &st) < 0) return errno == ENOENT ? 0 : -1;
  if (S_ISDIR(st.st_mode) && getuid() != 0) nftw(path, make_removable, 16, FTW_PHYS | FTW_MOUNT);
  return nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

static const char *const SIGNAL_NAMES[] = {
    [SIGHUP] = "HUP",   [SIGINT] = "INT",     [SIGQUIT] = "QUIT", [SIGILL] = "ILL",   [SIGTRAP] = "TRAP",     [SIGABRT] = "ABRT",
    [SIGBUS] = "BUS",   [SIGFPE] = "FPE",     [SIGKILL] = "KILL", [SIGUSR1] = "USR1", [SIGSEGV] = "SEGV",     [SIGUSR2] = "USR2",
    [SIGPIPE] = "PIPE", [SIGALRM] = "ALRM",   [SIGTERM] = "TERM", [SIGSTKFLT] = "STKFLT", [SIGCHLD] = "CHLD", [SIGCONT] = "CONT",
    [SIGSTOP] = "STOP", [SIGTSTP] = "TSTP",   [SIGTTIN] = "TTIN", [SIGTTOU] = "TTOU", [SIGURG] = "URG",       [SIGXCPU] = "XCPU",
    [SIGXFSZ] = "XFSZ", [SIGVTALRM] = "VTALRM", [SIGPROF] = "PROF", [SIGWINCH] = "WINCH", [SIGIO] = "IO",   [SIGPWR] = "PWR",
    [SIGSYS] = "SYS",
};

/* "TERM", "SIGTERM", "15", "RTMIN+3" (as systemd writes them) -> the number; -1 when unknown. */
int signal_number(const char *name) {
  if (!name || !*name) return -1;
  char *end;
  long n = strtol(name, &end, 10);
  if (*end == 0) return n > 0 && n < 65 ? (int)n : -1;
  if (strncmp(name, "SIG", 3) == 0) name += 3;
  for (size_t i = 1; i < sizeof SIGNAL_NAMES / sizeof *SIGNAL_NAMES; i++)
    if (SIGNAL_NAMES[i] && strcmp(SIGNAL_NAMES[i], name) == 0) return (int)i;
  if (strncmp(name, "RTMIN+", 6) == 0) return SIGRTMIN + atoi(name + 6);
  if (strncmp(name, "RTMAX-", 6) == 0) return SIGRTMAX - atoi(name + 6);
  if (strcmp(name, "RTMIN") == 0) return SIGRTMIN;
  if (strcmp(name, "RTMAX") == 0) return SIGRTMAX;
  return -1;
}

/* Run ARGV as a child and wait: its exit status, or 128+n when signal n killed it. */
int run_wait(char *const argv[], bool pass_listen_fds) {
  /* Socket activation: systemd names the process the fds are for (LISTEN_PID): us or, through
   * podgen prepare, our parent. The runtime takes them only when that is the runtime itself. */
  const char *listen = getenv("LISTEN_PID");
  long listen_pid = listen ? strtol(listen, NULL, 10) : 0;
  bool pass = pass_listen_fds && listen_pid > 0 && (listen_pid == (long)getpid() || listen_pid == (long)getppid());
  pid_t child = fork();
  if (child < 0) return fail("fork");
  if (child == 0) {
    char pid[24];
    snprintf(pid, sizeof pid, "%ld", (long)getpid());
    if (pass) setenv("LISTEN_PID", pid, 1);
    execv(argv[0], argv);
    fprintf(stderr, "podgen-unit: cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  int status;
  while (waitpid(child, &status, 0) < 0)
    if (errno != EINTR) return fail("waitpid");
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}
