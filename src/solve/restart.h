/* Restart (restart.c): the solver state a run stores at each output time
 * and reading it back. Internal to src/solve: solver.c fills and applies the
 * record, restart.c turns it into named scalars and the state vector in
 * natural order, checks a restart against its file, and puts the state back. */
#pragma once
#include "protocol.h"

/* Everything a run needs, besides the state vector, to go on from an output
 * time as if it had not stopped there. Either inside protocol step `step`
 * (between = false: the step is applied, its events armed as stored), or
 * after a step ended (between = true: `step` is the next to run). */
typedef struct {
  PetscReal   time;       /* s */
  PetscInt    step;       /* the protocol step running, or the next to run */
  PetscBool   between;    /* the step before `step` ended at time; `step` is not applied yet */
  PetscReal   step_start; /* s: when the running step started (its duration counts from there) */
  PetscReal   dt;         /* s: the next time step */
  PetscReal   next_output;
  PetscBool   armed[EVENT_COUNT];
  PetscBool   have_voltage; /* the step-size limit of solver.voltage_step has a voltage to compare */
  PetscReal   last_voltage;
  PetscBool   sampled;                      /* the running integrals have a previous sample */
  PetscReal   t_prev, V_prev, I_prev;       /* that sample */
  PetscReal   capacity, energy;             /* C/m^2, J/m^2 since the start */
  Observation last;                         /* the observation at that sample */
  PetscReal   step_vdt[MAX_PROTOCOL_STEPS]; /* V s: integral of the voltage over each step */
  PetscReal   step_time[MAX_PROTOCOL_STEPS];
  PetscInt    nsteps; /* protocol steps of the run that stored it */
  RunSummary  s;      /* integrals, counters, ASR; its texts, status and interrupt are not stored */
} RestartRecord;

typedef struct _n_Restart *Restart;

/* For model m of params p; collective. */
PetscErrorCode RestartCreate(Model *m, const Params *p, Restart *r);
/* Stores rec and the state U in out (OutputWriteRestart). Collective. */
PetscErrorCode RestartStore(Restart r, Output out, Vec U, const RestartRecord *rec);
/* Reads p->restart_file and checks that this run may continue it: a stored
 * state, the same mesh, and a config that differs only in what a restart
 * may change (PETSC_ERR_USER_INPUT naming the keys otherwise). Writes
 * nothing. Collective. */
PetscErrorCode RestartLoad(Restart r, RestartRecord *rec);
/* Copies the history of the loaded file into out (OutputContinue) and puts
 * its state into U, then lets the file go. Collective. */
PetscErrorCode RestartContinue(Restart r, Output out, Vec U);
PetscErrorCode RestartDestroy(Restart *r);
