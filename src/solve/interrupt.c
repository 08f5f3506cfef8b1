/* Interrupts: SIGINT (Ctrl-C), SIGTERM (what SLURM and other batch systems
 * send at the wall-time limit) and SIGHUP (a closed terminal) set a flag;
 * the time loop reads it after every step and ends the run with its output
 * closed and marked interrupted. A second signal of the same kind ends the
 * process at once, for a user who does not want to wait. The handler does
 * nothing but store the signal number, which is all that is safe in a
 * signal handler. This file does not decide what a run does when
 * interrupted (solver.c does). */
#include <signal.h>
#include <unistd.h>
#include "ionstack.h"

static volatile sig_atomic_t pending = 0;

static void Handler(int signo)
{
  if (pending == signo) _exit(128 + signo);
  pending = signo;
}

PetscErrorCode InterruptInstall(void)
{
  const int        signals[] = {SIGINT, SIGTERM, SIGHUP};
  struct sigaction sa;

  PetscFunctionBeginUser;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = Handler;
  sigemptyset(&sa.sa_mask);
  for (size_t k = 0; k < sizeof signals / sizeof signals[0]; k++)
    PetscCheck(!sigaction(signals[k], &sa, NULL), PETSC_COMM_SELF, PETSC_ERR_SYS, "cannot install the handler of signal %d", signals[k]);
  PetscFunctionReturn(0);
}

int InterruptPending(void)
{
  return (int)pending;
}

void InterruptClear(void)
{
  pending = 0;
}
