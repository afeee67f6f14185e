/* An injectable file layer for the fault suite (tests/e2e/fault_e2e_test.cc),
 * preloaded into the real mlopsd with LD_PRELOAD: while the file named by
 * MLOPS_FAULT_SWITCH exists, every write or sync to a descriptor whose path
 * contains MLOPS_FAULT_PATH fails with EIO (the error a failing disk gives).
 * Without both variables, or while the switch file is absent, each call
 * goes straight to the C library. Opening, reading and renaming are left
 * alone, so the failure shows exactly where data would be lost. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

static int faulty(int fd) {
  const char* sw = getenv("MLOPS_FAULT_SWITCH");
  const char* part = getenv("MLOPS_FAULT_PATH");
  if (sw == NULL || part == NULL || *part == '\0') return 0;
  int saved = errno;
  int hit = 0;
  if (access(sw, F_OK) == 0) {
    char link[64], path[4096];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof path - 1);
    if (n > 0) {
      path[n] = '\0';
      hit = strstr(path, part) != NULL;
    }
  }
  errno = saved;
  return hit;
}

/* The C library's `name`, looked up once. */
#define REAL(name)                          \
  static __typeof__(name)* real_##name;     \
  if (real_##name == NULL) real_##name = (__typeof__(name)*)dlsym(RTLD_NEXT, #name)

ssize_t write(int fd, const void* buf, size_t n) {
  REAL(write);
  if (faulty(fd)) { errno = EIO; return -1; }
  return real_write(fd, buf, n);
}

ssize_t pwrite(int fd, const void* buf, size_t n, off_t off) {
  REAL(pwrite);
  if (faulty(fd)) { errno = EIO; return -1; }
  return real_pwrite(fd, buf, n, off);
}

ssize_t pwrite64(int fd, const void* buf, size_t n, off64_t off) {
  REAL(pwrite64);
  if (faulty(fd)) { errno = EIO; return -1; }
  return real_pwrite64(fd, buf, n, off);
}

ssize_t writev(int fd, const struct iovec* iov, int count) {
  REAL(writev);
  if (faulty(fd)) { errno = EIO; return -1; }
  return real_writev(fd, iov, count);
}

int fsync(int fd) {
  REAL(fsync);
  if (faulty(fd)) { errno = EIO; return -1; }
  return real_fsync(fd);
}

int fdatasync(int fd) {
  REAL(fdatasync);
  if (faulty(fd)) { errno = EIO; return -1; }
  return real_fdatasync(fd);
}

ssize_t copy_file_range(int in, off64_t* in_off, int out, off64_t* out_off, size_t n,
                        unsigned flags) {
  REAL(copy_file_range);
  if (faulty(out)) { errno = EIO; return -1; }
  return real_copy_file_range(in, in_off, out, out_off, n, flags);
}
