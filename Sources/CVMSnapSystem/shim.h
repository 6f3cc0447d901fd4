// Thin shim over Linux calls the Glibc module cannot import (variadic prctl, the FIFREEZE/FITHAW ioctl macros,
// pipe2, syncfs, posix_spawn_file_actions_addclosefrom_np and POSIX_SPAWN_SETSID which glibc declares only under
// _GNU_SOURCE).
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
/* posix_spawn's "start a new session" flag (glibc >= 2.26, declared only under _GNU_SOURCE). */
static inline short vmsnap_spawn_setsid_flag(void) { return 0x80; }
#endif
