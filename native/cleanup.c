/*
 * podgen-unit cleanup: the stop of a host/none-network container whose next
 * start needs no Node (src/plan/podgenEngine.ts, "restarts without Node"),
 * done without Node: on a crash this sits between the container's end and
 * its restart, where Node's start-up alone would cost ~100 ms.
 *
 *   podgen-unit cleanup BUNDLE RUNTIME STATE_ROOT NAME -- FALLBACK...
 *
 * The same steps as `podgen cleanup --keep-bundle` (src/runtime/prepare.ts):
 * drop the ready markers, `RUNTIME --root STATE_ROOT delete --force NAME`,
 * unmount and remove the writable layer, mount a fresh one over the image's
 * layers (BUNDLE/overlay, written by prepare: the writable layer's directory,
 * then the overlay's lowerdir; rootless: only the directories, which the runtime mounts inside
 * the container's user namespace), put the markers back. At the
 * first thing out of the ordinary it execs FALLBACK (podgen cleanup), which
 * undoes whatever is left and says what went wrong.
 */
#include "unit.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_MARKERS 8

static int fallback(char **argv, const char *why) {
  if (why) fprintf(stderr, "podgen-unit: %s; full cleanup\n", why);
  execv(argv[0], argv);
  return fail(argv[0]);
}

int cmd_cleanup(int argc, char **argv) {
  if (argc < 7 || strcmp(argv[5], "--") != 0) return complain("usage: podgen-unit cleanup BUNDLE RUNTIME STATE_ROOT NAME -- FALLBACK...");
  const char *bundle = argv[1], *runtime = argv[2], *state_root = argv[3], *name = argv[4];
  char **full = argv + 6;
  char path[4096], upper[4096], work[4096], rootfs[4096];

  /* The ready markers say "bundle ready, fresh layer mounted": gone until that is true again. */
  char markers[MAX_MARKERS][256];
  int n = 0;
  DIR *d = opendir(bundle);
  if (!d) return fallback(full, NULL);
  for (struct dirent *e; (e = readdir(d)) && n < MAX_MARKERS;)
    if (strncmp(e->d_name, "ready-", 6) == 0) snprintf(markers[n++], sizeof markers[0], "%s", e->d_name);
  closedir(d);
  if (n == 0) return fallback(full, NULL);
  for (int i = 0; i < n; i++) {
    snprintf(path, sizeof path, "%s/%s", bundle, markers[i]);
    unlink(path);
  }

  char *const del[] = {(char *)runtime, "--root", (char *)state_root, "delete", "--force", (char *)name, NULL};
  if (run_wait(del, false) != 0) {
    snprintf(path, sizeof path, "%s/%s", state_root, name);
    if (access(path, F_OK) == 0) return fallback(full, "the runtime could not delete the container");
  }
  snprintf(path, sizeof path, "%s/overlay", bundle);
  char *overlay = read_text(path, 65536);
  char *lower = overlay ? strchr(overlay, '\n') : NULL;
  if (!lower || !lower[1] || overlay[0] != '/') {
    free(overlay);
    return fallback(full, "no overlay description in the bundle");
  }
  *lower++ = 0;
  lower[strcspn(lower, "\n")] = 0;
  const char *dir = overlay;
  snprintf(rootfs, sizeof rootfs, "%s/rootfs", dir);
  snprintf(upper, sizeof upper, "%s/upper", dir);
  snprintf(work, sizeof work, "%s/work", dir);
  /* Rootless: nothing is mounted here (the runtime mounts the overlay inside the container's user namespace). */
  bool rootless = getuid() != 0;
  if (!rootless && umount2(rootfs, 0) < 0 && errno != EINVAL && errno != ENOENT) return fallback(full, "the root file system is busy");
  if (rm_rf(dir) != 0) return fallback(full, "the writable layer could not be removed");

  /* The next start's root: a fresh writable layer over the same image layers, mounted now. */
  for (char *l = lower, *next; l && *l; l = next) {
    next = strchr(l, ':');
    if (next) *next = 0;
    bool there = access(l, F_OK) == 0;
    if (next) *next++ = ':';
    if (!there) return fallback(full, "an image layer is gone (pulled or removed)");
  }
  char options[65536 + 8192];
  snprintf(options, sizeof options, "lowerdir=%s,upperdir=%s,workdir=%s", lower, upper, work);
  const char *dirs[] = {dir, upper, work, rootfs};
  for (size_t i = 0; i < 4; i++)
    if (mkdir(dirs[i], 0755) < 0 && errno != EEXIST) return fallback(full, "cannot make the writable layer");
  if (!rootless && mount("overlay", rootfs, "overlay", 0, options) < 0) {
    rm_rf(dir);
    return fallback(full, "cannot mount the next root file system");
  }
  snprintf(path, sizeof path, "%s/pid", bundle);
  unlink(path);
  for (int i = 0; i < n; i++) {
    snprintf(path, sizeof path, "%s/%s", bundle, markers[i]);
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0) close(fd);
  }
  return 0;
}
