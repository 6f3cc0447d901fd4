// Thin shim over Linux calls the Glibc module cannot import (variadic prctl, the FIFREEZE/FITHAW ioctl macros,
// pipe2 which glibc declares only under _GNU_SOURCE).
#ifndef VMSNAP_SYSTEM_SHIM_H
#define VMSNAP_SYSTEM_SHIM_H
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>

static inline int vmsnap_set_parent_death_signal(int signal) { return prctl(PR_SET_PDEATHSIG, (unsigned long)signal, 0, 0, 0); }
static inline int vmsnap_fifreeze(int fd) { return ioctl(fd, FIFREEZE, 0); }
static inline int vmsnap_fithaw(int fd) { return ioctl(fd, FITHAW, 0); }
extern int pipe2(int pipefd[2], int flags);
static inline int vmsnap_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }
#endif
