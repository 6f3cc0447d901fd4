// Thin shim over Linux calls the Glibc module cannot import (variadic prctl, the FIFREEZE/FITHAW ioctl macros,
// pipe2, syncfs, posix_spawn_file_actions_addclosefrom_np and POSIX_SPAWN_SETSID which glibc declares only under
// _GNU_SOURCE, fcntl record locks).
#ifndef VMSNAP_SYSTEM_SHIM_H
#define VMSNAP_SYSTEM_SHIM_H
#include <fcntl.h>
#include <linux/fs.h>
#include <spawn.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>

static inline int vmsnap_set_parent_death_signal(int signal) { return prctl(PR_SET_PDEATHSIG, (unsigned long)signal, 0, 0, 0); }
static inline int vmsnap_fifreeze(int fd) { return ioctl(fd, FIFREEZE, 0); }
static inline int vmsnap_fithaw(int fd) { return ioctl(fd, FITHAW, 0); }
extern int pipe2(int pipefd[2], int flags);
extern int syncfs(int fd);
static inline int vmsnap_syncfs(int fd) { return syncfs(fd); }
extern int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *actions, int from);
static inline int vmsnap_spawn_close_from(posix_spawn_file_actions_t *actions, int from) {
    return posix_spawn_file_actions_addclosefrom_np(actions, from);
}
static inline int vmsnap_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }
// An exclusive POSIX record lock on the whole file, the kind lockf() and fcntl() take (not flock()): 0 when taken,
// -1 with errno EAGAIN or EACCES while another process holds it.
static inline int vmsnap_record_lock(int fd) {
    struct flock lock = {0};
    lock.l_type = F_WRLCK;
    lock.l_whence = SEEK_SET;
    return fcntl(fd, F_SETLK, &lock);
}
// The process holding a record lock that conflicts with an exclusive one: its pid, 0 when none, -1 on error.
static inline int vmsnap_record_lock_holder(int fd) {
    struct flock lock = {0};
    lock.l_type = F_WRLCK;
    lock.l_whence = SEEK_SET;
    if (fcntl(fd, F_GETLK, &lock) != 0) return -1;
    return lock.l_type == F_UNLCK ? 0 : lock.l_pid;
}
/* posix_spawn's "start a new session" flag (glibc >= 2.26, declared only under _GNU_SOURCE). */
static inline short vmsnap_spawn_setsid_flag(void) { return 0x80; }
#endif
