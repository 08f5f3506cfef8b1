/* Time integration of the stack: the DAE F(t, U, dU/dt) = 0 of residual.c
 * (charge conservation is algebraic) with PETSc TS, adaptive BDF by default,
 * Newton with the analytic Jacobian and a direct solver in 1D. Protocol steps
 * run one after another. Each starts from the state consistent with its own
 * boundary condition (the potentials that carry the new current, found with
 * the concentrations held), so the voltage jump of a current step is a pair
 * of samples at one instant and a limit passed by that jump ends the step at
 * once. Events stop a step exactly at its cutoff. The time error control
 * looks at concentrations only: potentials are algebraic and follow them.
 *
 * Every run ends in bounded time with a reason: solver.max_steps bounds the
 * accepted steps of the whole run, and rejections, nonlinear failures and
 * event iterations are bounded per step. A failure keeps the state and the
 * output computed so far. Decisions that end or change a step are taken from
 * reduced quantities, so all ranks take them together. Output is written at
 * multiples of output.interval (steps are shortened to land on them) and at
 * the end of every protocol step, and with every output time the solver
 * state a run can continue from (restart.c): a run given -restart FILE
 * takes up the state stored last in FILE, inside a protocol step or between
 * two, with the BDF history started afresh there. This file does not write
 * files itself (output.c does) nor know the grid (residual.c does). */
#include <unistd.h>
#include "restart.h"

const char *const RunStatuses[] = {"complete", "failed", "interrupted", "RunStatus", "RUN_", NULL};

/* Bounds of a step that cannot advance (PETSc's own options override them). */
#define MAX_REJECTIONS 50        /* error-test rejections of one time step */
#define MAX_NEWTON_FAILURES 100  /* Newton failures within one protocol step */
#define MAX_EVENT_ITERATIONS 100 /* event-location attempts between two accepted steps */
#define DT_FLOOR 1e-12           /* s: the smallest time step */

struct _n_Simulation {
  MPI_Comm    comm;
  Params     *p;
  Model      *m;
  TS          ts;
  Vec         U, tolerance;
  Output      out;
  PetscReal  *field_values, *field_icur; /* the gathered fields of one output time (MODEL_FIELD_COUNT per cell) and the interface currents */
  int         argc;
  char      **argv;
  ActiveStep  step;
  PetscInt    max_steps;           /* accepted steps of the whole run (solver.max_steps or -ts_max_steps) */
  PetscReal   dt_initial;          /* first time step of a protocol step (solver.dt_initial or -ts_dt) */
  PetscInt    max_newton_failures; /* per protocol step (-ts_max_snes_failures wins) */
  PetscBool   set_up;              /* SimulationSetUp has run */
  PetscBool   started;             /* the consistent start of the first step was found */
  PetscBool   start_depleted;      /* the last consistent start failed as an interface concentration collapsed */
  PetscBool   initializing;        /* the consistent-start solve is running: no events, no samples */
  Observation rest;                /* the state before the first step is applied */
  PetscInt    fired;               /* the event that ended the step, or -1 */
  PetscBool   armed[EVENT_COUNT];  /* events handed to TS in this step */
  PetscInt    event_iterations;    /* indicator evaluations since the last accepted step */
  char        stop_reason[256];
  /* running integrals, trapezoidal over the samples */
  PetscBool   sampled;
  PetscReal   t_prev, V_prev, I_prev, capacity, energy;
  Observation last;                     /* at the last sample */
  PetscReal   next_output, last_fields; /* next output time; time of the last field output */
  PetscBool   progress;
  PetscReal   concentration_scale;  /* mol/m^3, for the Newton test */
  PetscReal   update_phi, update_c; /* the last Newton update, V and mol/m^3, for its contraction rate */
  PetscReal   last_voltage;         /* at the last accepted step, for the step-size limit */
  PetscBool   have_voltage;
  struct {
    PetscBool   valid;
    PetscReal   t;
    Vec         U;
    Observation o;
  } seen;                                                                 /* the last observation (Observe) */
  PetscReal  step_vdt[MAX_PROTOCOL_STEPS], step_time[MAX_PROTOCOL_STEPS]; /* integral of V dt and the time of each step */
  RunSummary s;
  /* restart (restart.c) */
  Restart        restart;      /* stores the state with every output time; reads a -restart file */
  RestartRecord *record;       /* scratch for storing */
  RestartRecord *resumed;      /* the state this run continues (-restart), or NULL */
  PetscBool      solving;      /* inside the TSSolve of a protocol step: its iterations are not in s yet */
  PetscBool      stepping;     /* TS holds the step's next time step (its TSSolve has begun) */
  PetscLogDouble solve_start;  /* when this process began the time loop */
  PetscReal      solve_before; /* s of time loop before it (the runs this one continues) */
};

/* The mean voltage of step k: energy over charge, or over time when no
 * charge passed (a rest); the voltage at its end for a step of no length. */
static PetscReal StepMeanVoltage(Simulation sim, PetscInt k)
{
  if (sim->s.step_capacity[k] != 0) return sim->s.step_energy[k] / sim->s.step_capacity[k];
  return sim->step_time[k] > 0 ? sim->step_vdt[k] / sim->step_time[k] : sim->last.voltage;
}

/* Output times are multiples of the interval; a time within this relative
 * distance of one is on it. */
static PetscBool OnOrPast(PetscReal t, PetscReal target)
{
  return (PetscBool)(t >= target - 1e-9 * PetscMax(1.0, PetscAbsReal(target)));
}

/* The first multiple of the output interval after t. */
static PetscReal NextOutputTime(PetscReal t, PetscReal interval)
{
  PetscReal next = interval * (PetscFloorReal(t / interval) + 1);
  if (OnOrPast(t, next)) next += interval;
  return next;
}

/* ModelObserve of state U at t, kept for the next call on the same state:
 * after a step the event indicators, the post-step checks and the sample
 * all look at it, and the interface kinetics in it are the costly part. A
 * new boundary condition forgets it (ObserveForget). */
static PetscErrorCode Observe(Simulation sim, PetscReal t, Vec U, Observation *o)
{
  PetscBool same = PETSC_FALSE;

  PetscFunctionBeginUser;
  if (sim->seen.valid && sim->seen.t == t) PetscCall(VecEqual(U, sim->seen.U, &same)); /* collective: every rank decides alike */
  if (!same) {
    PetscCall(ModelObserve(sim->m, t, U, &sim->seen.o));
    PetscCall(VecCopy(U, sim->seen.U));
    sim->seen.valid = PETSC_TRUE, sim->seen.t = t;
  }
  *o = sim->seen.o;
  PetscFunctionReturn(0);
}

static void ObserveForget(Simulation sim)
{
  sim->seen.valid = PETSC_FALSE;
}

static PetscErrorCode Sample(Simulation sim, PetscReal t, Vec U)
{
  Observation o;

  PetscFunctionBeginUser;
  PetscCall(Observe(sim, t, U, &o));
  if (sim->sampled && t > sim->t_prev) {
    const PetscReal dt = t - sim->t_prev, dq = 0.5 * (o.current + sim->I_prev) * dt,
                    de = 0.5 * (o.current * o.voltage + sim->I_prev * sim->V_prev) * dt;
    sim->capacity += dq;
    sim->energy += de;
    sim->s.step_capacity[sim->step.index] += dq;
    sim->step_vdt[sim->step.index] += 0.5 * (o.voltage + sim->V_prev) * dt;
    sim->step_time[sim->step.index] += dt;
    sim->s.step_energy[sim->step.index] += de;
    if (sim->step.step->kind == STEP_DISCHARGE) sim->s.discharge_capacity += dq, sim->s.discharge_energy += de;
    if (sim->step.step->kind == STEP_CHARGE || sim->step.step->kind == STEP_HOLD) sim->s.charge_capacity -= dq;
  }
  sim->sampled = PETSC_TRUE;
  sim->t_prev = t, sim->V_prev = o.voltage, sim->I_prev = o.current, sim->last = o;
  if (ParamsMembrane(sim->p)->electrolyte.kind == ELECTROLYTE_BINARY)
    sim->s.min_interface_concentration = PetscMin(sim->s.min_interface_concentration, o.min_interface_concentration);
  if (sim->out) {
    OutputSample smp = {t, o.voltage, o.current, sim->capacity, sim->energy, sim->s.steps, sim->step.index};
    PetscCall(OutputAppendSample(sim->out, &smp));
  }
  if (sim->progress) {
    PetscCall(PetscPrintf(sim->comm, "\r  step %2" PetscInt_FMT "/%" PetscInt_FMT "  t = %10.4g s  V = %8.5f V  i = %9.4g mA/cm^2  ",
                          sim->step.index + 1, sim->p->nsteps, (double)t, (double)o.voltage, (double)(o.current * 0.1)));
  }
  PetscFunctionReturn(0);
}

/* Stores the solver state at t with the output (restart.c): inside the
 * running step, or, between, after it ended with the next step to come. The
 * iterations of a TSSolve under way count in it, as they will in s. */
static PetscErrorCode StoreState(Simulation sim, PetscReal t, PetscBool between)
{
  RestartRecord *rec = sim->record;
  PetscLogDouble now;
  PetscInt       its;

  PetscFunctionBeginUser;
  if (!sim->out) PetscFunctionReturn(0);
  if (!sim->restart) PetscCall(RestartCreate(sim->m, sim->p, &sim->restart));
  if (!rec) {
    PetscCall(PetscNew(&sim->record));
    rec = sim->record;
  }
  rec->time       = t;
  rec->step       = between ? sim->step.index + 1 : sim->step.index;
  rec->between    = between;
  rec->step_start = sim->step.t_start;
  rec->dt         = sim->dt_initial;
  if (sim->stepping && !between) PetscCall(TSGetTimeStep(sim->ts, &rec->dt));
  rec->next_output = sim->next_output;
  for (int e = 0; e < EVENT_COUNT; e++)
    rec->armed[e] = sim->armed[e];
  rec->have_voltage = sim->have_voltage, rec->last_voltage = sim->last_voltage;
  rec->sampled = sim->sampled, rec->t_prev = sim->t_prev, rec->V_prev = sim->V_prev, rec->I_prev = sim->I_prev;
  rec->capacity = sim->capacity, rec->energy = sim->energy, rec->last = sim->last;
  PetscCall(PetscArraycpy(rec->step_vdt, sim->step_vdt, sim->p->nsteps));
  PetscCall(PetscArraycpy(rec->step_time, sim->step_time, sim->p->nsteps));
  rec->nsteps          = sim->p->nsteps;
  rec->s               = sim->s;
  rec->s.domain_errors = sim->m->domain_errors;
  if (sim->solving) {
    PetscCall(TSGetSNESIterations(sim->ts, &its));
    rec->s.newton += its;
    PetscCall(TSGetKSPIterations(sim->ts, &its));
    rec->s.linear += its;
    PetscCall(TSGetStepRejections(sim->ts, &its));
    rec->s.rejected += its;
  }
  PetscCall(PetscTime(&now));
  rec->s.solve_seconds = sim->solve_before + (now - sim->solve_start);
  PetscCall(RestartStore(sim->restart, sim->out, sim->U, rec));
  PetscFunctionReturn(0);
}

/* Gathers the fields to rank 0 and writes every field at time t. */
static PetscErrorCode WriteFields(Simulation sim, PetscReal t, Vec U)
{
  Model         *m = sim->m;
  const PetscInt n = m->nx * m->ny;
  OutputField    fields[MODEL_FIELD_COUNT + 1];
  PetscInt       nf = 0;
  PetscMPIInt    rank;

  PetscFunctionBeginUser;
  if (!sim->out || t == sim->last_fields) PetscFunctionReturn(0);
  sim->last_fields = t;
  PetscCall(ModelInterfaceCurrents(m, t, U, sim->field_icur));
  PetscCall(ModelCellFields(m, t, U, sim->field_values));
  PetscCallMPI(MPI_Comm_rank(sim->comm, &rank));
  for (int k = 0; k < MODEL_FIELD_COUNT; k++) /* the values are on rank 0 */
    if (ModelHasField(m, k)) fields[nf++] = (OutputField){ModelFieldNames[k], ModelFieldUnits[k], 0, rank ? NULL : sim->field_values + k * n};
  fields[nf++] = (OutputField){"interface_current_density", "A/m^2", m->ninterfaces, sim->field_icur};
  PetscCall(OutputWriteFields(sim->out, t, nf, fields));
  PetscCall(StoreState(sim, t, PETSC_FALSE));
  PetscFunctionReturn(0);
}

static PetscErrorCode Monitor(TS ts, PetscInt step, PetscReal t, Vec U, void *ctx)
{
  Simulation      sim      = (Simulation)ctx;
  const PetscReal interval = sim->p->output_interval;

  PetscFunctionBeginUser;
  (void)ts;                                                                       /* unused: PETSc's callback signature */
  if (sim->initializing || step == 0 || t <= sim->t_prev) PetscFunctionReturn(0); /* the start of the step was sampled already */
  sim->s.steps++;
  PetscCall(Sample(sim, t, U));
  if (interval > 0 && OnOrPast(t, sim->next_output)) {
    sim->next_output = NextOutputTime(t, interval);
    PetscCall(WriteFields(sim, t, U));
  }
  PetscFunctionReturn(0);
}

/* Observes state U at t and evaluates the event indicators of the step. */
static PetscErrorCode StepIndicators(Simulation sim, PetscReal t, Vec U, Observation *o, PetscReal ind[EVENT_COUNT])
{
  PetscFunctionBeginUser;
  PetscCall(Observe(sim, t, U, o));
  ProtocolIndicators(sim->p, &sim->step, o, ind);
  PetscFunctionReturn(0);
}

/* TS sees the indicators of armed events; the others are held at 1. An
 * event that TS cannot locate (a jump in its indicator) is handed back
 * after MAX_EVENT_ITERATIONS attempts, and PostStep ends the step on it. */
static PetscErrorCode Indicator(TS ts, PetscReal t, Vec U, PetscScalar fvalue[], void *ctx)
{
  Simulation  sim = (Simulation)ctx;
  Observation o;
  PetscReal   ind[EVENT_COUNT];

  PetscFunctionBeginUser;
  (void)ts; /* unused: PETSc's callback signature */
  PetscCall(StepIndicators(sim, t, U, &o, ind));
  if (!sim->initializing && ++sim->event_iterations > MAX_EVENT_ITERATIONS)
    for (int e = 0; e < EVENT_COUNT; e++)
      sim->armed[e] = PETSC_FALSE;
  for (int e = 0; e < EVENT_COUNT; e++)
    fvalue[e] = sim->armed[e] && !sim->initializing ? ind[e] : 1.0;
  PetscFunctionReturn(0);
}

/* Event tolerances, in the units of the indicators of protocol.c. */
static const PetscReal EventTolerance[EVENT_COUNT] = {1e-6, 1e-6, 1e-6, 1e-7};

static PetscErrorCode PostEvent(TS ts, PetscInt nevents, PetscInt list[], PetscReal t, Vec U, PetscBool forward, void *ctx)
{
  Simulation sim = (Simulation)ctx;

  PetscFunctionBeginUser;
  (void)ts, (void)t, (void)U, (void)forward; /* unused: PETSc's callback signature */
  if (nevents > 0 && sim->fired < 0) sim->fired = list[0];
  PetscFunctionReturn(0);
}

/* Ends the running TSSolve from a post-step hook (TSStep resets the reason it
 * finds, so only a hook after the step can set one). */
static PetscErrorCode StopStep(Simulation sim, TSConvergedReason reason)
{
  PetscFunctionBeginUser;
  PetscCall(TSSetConvergedReason(sim->ts, reason));
  PetscFunctionReturn(0);
}

/* The signal that interrupted the run, agreed on by every rank. */
static PetscErrorCode Interrupted(Simulation sim, PetscBool *yes)
{
  int signo = InterruptPending();

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &signo, 1, MPI_INT, MPI_MAX, sim->comm));
  if (signo) sim->s.interrupt = signo;
  *yes = (PetscBool)(signo != 0);
  PetscFunctionReturn(0);
}

/* After each accepted step: an interrupt (agreed on by every rank) stops the
 * run; an indicator past its limit that TS did not locate ends the step
 * here; and the next step is kept short enough that the terminal voltage
 * moves by at most solver.voltage_step and that it lands on the next output
 * time. The error control sees concentrations only, and the voltage is what
 * a user reads off the curve. */
static PetscErrorCode PostStep(TS ts)
{
  Simulation  sim;
  Observation o;
  PetscReal   ind[EVENT_COUNT], t, t_prev, dt_next;
  Vec         U;
  PetscBool   interrupted;

  PetscFunctionBeginUser;
  PetscCall(TSGetApplicationContext(ts, &sim));
  if (sim->initializing) PetscFunctionReturn(0);
  sim->event_iterations = 0;
  PetscCall(Interrupted(sim, &interrupted));
  if (interrupted) {
    PetscCall(StopStep(sim, TS_CONVERGED_USER));
    PetscFunctionReturn(0);
  }
  PetscCall(TSGetTime(ts, &t));
  PetscCall(TSGetSolution(ts, &U));
  PetscCall(StepIndicators(sim, t, U, &o, ind));
  for (int e = 0; e < EVENT_COUNT && sim->fired < 0; e++) {
    if (ind[e] < 0) {
      sim->fired = e;
      PetscCall(PetscSNPrintf(sim->stop_reason, sizeof sim->stop_reason, "%s (located to within one time step)", EventNames[e]));
      PetscCall(StopStep(sim, TS_CONVERGED_EVENT));
    }
  }
  PetscCall(TSGetPrevTime(ts, &t_prev));
  PetscCall(TSGetTimeStep(ts, &dt_next));
  if (sim->have_voltage && t > t_prev && PetscAbsReal(o.voltage - sim->last_voltage) > 0)
    dt_next = PetscMin(dt_next, (t - t_prev) * sim->p->voltage_step / PetscAbsReal(o.voltage - sim->last_voltage));
  if (sim->out && sim->p->output_interval > 0) { /* land on the next output time in one or two even steps, never a sliver */
    const PetscReal next = NextOutputTime(t, sim->p->output_interval);
    if (t + dt_next >= next)
      dt_next = next - t;
    else if (t + 2 * dt_next > next)
      dt_next = 0.5 * (next - t);
  }
  PetscCall(TSSetTimeStep(ts, dt_next));
  sim->last_voltage = o.voltage;
  sim->have_voltage = PETSC_TRUE;
  PetscFunctionReturn(0);
}

/* Newton has converged when the error left in every potential is below
 * solver.newton_tolerance (1e-10 V) and in every concentration below 1e-12
 * of its scale. The error left is estimated from the updates: after update
 * k it is at most r/(1 - r) |dx_k| with the contraction rate
 * r = |dx_k|/|dx_(k-1)| (as in SUNDIALS' IDA); with the exact Jacobian r is
 * tiny from the second update on, so a step usually needs two. An update
 * below the tolerance is accepted outright: the error after it is its
 * square. Residual norms are no guide here: a lithium cell's balance moves
 * by sigma/h ~ 1e12 A/m^2 per volt, so its rounding noise dwarfs any
 * absolute tolerance. The norms are global, so every rank decides alike. */
static PetscBool NewtonSettled(PetscReal update, PetscReal previous, PetscReal tol)
{
  const PetscReal rate = previous > 0 ? update / previous : 1.0;
  return (PetscBool)(update <= tol || (rate < 1 && rate / (1 - rate) * update <= tol));
}

static PetscErrorCode NewtonConverged(SNES snes, PetscInt it, PetscReal xnorm, PetscReal snorm, PetscReal fnorm, SNESConvergedReason *reason,
                                      void *ctx)
{
  Simulation sim = (Simulation)ctx;
  PetscInt   maxit;
  PetscReal  dphi, dc;
  Vec        dx;

  PetscFunctionBeginUser;
  (void)xnorm, (void)snorm; /* unused: PETSc's callback signature */
  *reason = SNES_CONVERGED_ITERATING;
  PetscCall(SNESGetTolerances(snes, NULL, NULL, NULL, &maxit, NULL));
  if (PetscIsInfOrNanReal(fnorm))
    *reason = SNES_DIVERGED_FNORM_NAN;
  else if (fnorm == 0.0)
    *reason = SNES_CONVERGED_FNORM_ABS;
  else if (it > 0) {
    PetscCall(SNESGetSolutionUpdate(snes, &dx));
    PetscCall(ModelUpdateNorms(sim->m, dx, &dphi, &dc));
    if (it == 1) sim->update_phi = sim->update_c = 0; /* no rate yet */
    if (NewtonSettled(dphi, sim->update_phi, sim->p->newton_potential_tolerance) &&
        NewtonSettled(dc, sim->update_c, 1e-12 * sim->concentration_scale))
      *reason = SNES_CONVERGED_SNORM_RELATIVE;
    else if (it >= maxit)
      *reason = SNES_DIVERGED_MAX_IT;
    sim->update_phi = dphi, sim->update_c = dc;
  }
  PetscFunctionReturn(0);
}

/* An option of the run's solvers that the user did not give: set it, so
 * that the command line still wins. */
static PetscErrorCode DefaultOption(const Params *p, const char *name, const char *value)
{
  char      full[256];
  PetscBool set;

  PetscFunctionBeginUser;
  PetscCall(PetscSNPrintf(full, sizeof full, "-%s%s", p->options_prefix, name));
  PetscCall(PetscOptionsHasName(NULL, NULL, full, &set));
  if (!set) PetscCall(PetscOptionsSetValue(NULL, full, value));
  PetscFunctionReturn(0);
}

/* 2D: GMRES preconditioned by algebraic multigrid (hypre BoomerAMG). The
 * rows are scaled to volts and mol/m^3 (mesh.c), so every block has an
 * O(1) diagonal and AMG sees a Laplacian in each phase joined through the
 * linearized kinetics. Where cells also carry concentrations, one AMG over
 * all unknowns mixes two kinds in a cell and stalls (53 iterations a
 * Newton step on the particle example, then Newton fails); a
 * multiplicative field split gives the potentials and the concentrations
 * an AMG each (the phase table's two kinds of unknowns), and the outer
 * GMRES takes their coupling (4 a Newton step). Newton stops on the size
 * of its updates (NewtonConverged), and the current in a metal is
 * sigma/h ~ 1e13 A/(m^2 V) times a potential difference, so the linear
 * solve must be far more accurate than the Newton tolerance: a relative
 * 1e-10 (at 1e-8 the lithium's current scattered by 5 % and differed
 * between 1 and 2 ranks; at 1e-10 it is LU's to 6 digits), yet not below
 * rounding: an absolute residual of 1e-15 V per unknown. The AMG set-up costs as much as several solves, and the
 * Jacobian hardly changes from one Newton step to the next, so it is
 * rebuilt every 4th Jacobian, across time steps (measured on the 256-row
 * void case: 9.2 s -> 6.3 s, 45 -> 50 linear iterations in all).
 * Everything stays open to -ksp_*, -pc_*, -fieldsplit_* and -snes_lag_*
 * options: a -pc_type of the user's replaces the split whole. */
static PetscErrorCode LinearSolver2d(Simulation sim, SNES snes, KSP ksp, PC pc)
{
  static const char *const split[3] = {"phi", "c", "s"};
  const Model             *m        = sim->m;
  PetscInt                 n, rstart, *kind, *rows, count[3] = {0, 0, 0}, at[3], total[3];
  PetscBool                user_pc;
  char                     name[128];

  PetscFunctionBeginUser;
  PetscCall(VecGetSize(sim->U, &n));
  PetscCall(SNESSetLagPreconditioner(snes, 4));
  PetscCall(SNESSetLagPreconditionerPersists(snes, PETSC_TRUE));
  PetscCall(KSPSetType(ksp, KSPGMRES));
  PetscCall(KSPSetTolerances(ksp, 1e-10, 1e-15 * PetscSqrtReal((PetscReal)n), PETSC_DEFAULT, 1000));
  /* the owned rows of each split, in row order within each */
  PetscCall(VecGetOwnershipRange(sim->U, &rstart, NULL));
  PetscCall(PetscMalloc2(m->nowned, &kind, m->nowned, &rows));
  ModelUnknownKinds(m, kind);
  for (PetscInt r = 0; r < m->nowned; r++)
    count[kind[r]]++;
  at[0] = 0, at[1] = count[0], at[2] = count[0] + count[1];
  for (PetscInt r = 0; r < m->nowned; r++)
    rows[at[kind[r]]++] = rstart + r;
  PetscCall(MPIU_Allreduce(count, total, 3, MPIU_INT, MPI_SUM, m->comm));
  PetscCall(PetscSNPrintf(name, sizeof name, "-%spc_type", sim->p->options_prefix));
  PetscCall(PetscOptionsHasName(NULL, NULL, name, &user_pc));
  if (!(total[1] + total[2]) || user_pc) {
    PetscCall(PCSetType(pc, PCHYPRE));
    PetscCall(PCHYPRESetType(pc, "boomeramg"));
  } else {
    PetscCall(PCSetType(pc, PCFIELDSPLIT));
    PetscCall(PCFieldSplitSetType(pc, PC_COMPOSITE_MULTIPLICATIVE));
    for (int k = 0, start = 0; k < 3; start += (int)count[k], k++) {
      IS is;
      if (!total[k]) continue;
      PetscCall(ISCreateGeneral(m->comm, count[k], rows + start, PETSC_COPY_VALUES, &is));
      PetscCall(PCFieldSplitSetIS(pc, split[k], is));
      PetscCall(ISDestroy(&is));
    }
    PetscCall(DefaultOption(sim->p, "fieldsplit_phi_pc_type", "hypre"));
    if (total[1]) PetscCall(DefaultOption(sim->p, "fieldsplit_c_pc_type", "hypre"));
    /* split s (the composite's shells) keeps PETSc's block-local default: ILU of each rank's block, exact on the shells' chains */
  }
  PetscCall(PetscFree2(kind, rows));
  PetscFunctionReturn(0);
}

static PetscErrorCode SimulationCreate_Private(Simulation sim)
{
  const Params *p = sim->p;
  SNES          snes;
  KSP           ksp;
  PC            pc;
  TSAdapt       adapt;
  Mat           J;
  PetscMPIInt   size;
  PetscScalar  *tol;

  PetscFunctionBeginUser;
  PetscCall(ModelCreate(sim->comm, sim->p, &sim->m));
  PetscCall(ModelCreateVector(sim->m, &sim->U));
  PetscCall(VecDuplicate(sim->U, &sim->tolerance));
  PetscCall(VecDuplicate(sim->U, &sim->seen.U));
  {
    PetscMPIInt rank; /* rank 0 gathers the fields (ModelCellFields) */
    PetscCallMPI(MPI_Comm_rank(sim->comm, &rank));
    PetscCall(PetscMalloc2(rank ? 1 : MODEL_FIELD_COUNT * sim->m->nx * sim->m->ny, &sim->field_values, sim->m->ninterfaces + 1, &sim->field_icur));
  }

  PetscCall(TSCreate(sim->comm, &sim->ts));
  if (p->options_prefix[0]) PetscCall(TSSetOptionsPrefix(sim->ts, p->options_prefix));
  PetscCall(TSSetApplicationContext(sim->ts, sim));
  PetscCall(TSSetType(sim->ts, TSBDF));
  PetscCall(TSBDFSetOrder(sim->ts, 2));
  PetscCall(TSSetIFunction(sim->ts, NULL, ModelIFunction, sim->m));
  PetscCall(ModelCreateMatrix(sim->m, &J));
  PetscCall(TSSetIJacobian(sim->ts, J, J, ModelIJacobian, sim->m));
  PetscCall(MatDestroy(&J));
  PetscCall(TSSetProblemType(sim->ts, TS_NONLINEAR));
  PetscCall(TSSetEquationType(sim->ts, TS_EQ_DAE_IMPLICIT_INDEX1));
  PetscCall(TSSetMaxSteps(sim->ts, p->max_steps));
  PetscCall(TSSetMaxSNESFailures(sim->ts, MAX_NEWTON_FAILURES)); /* each failure shortens the step; then stop and say why */
  PetscCall(TSSetMaxStepRejections(sim->ts, MAX_REJECTIONS));
  PetscCall(TSSetErrorIfStepFails(sim->ts, PETSC_FALSE)); /* a failure ends the run with its reason, keeping the output */
  PetscCall(TSSetTimeStep(sim->ts, p->dt_initial));
  PetscCall(TSSetExactFinalTime(sim->ts, TS_EXACTFINALTIME_MATCHSTEP));
  PetscCall(TSGetAdapt(sim->ts, &adapt));
  PetscCall(TSAdaptSetStepLimits(adapt, DT_FLOOR, p->dt_max >= PETSC_INFINITY ? PETSC_MAX_REAL : p->dt_max));
  /* concentrations only: potentials are algebraic */
  PetscCall(VecGetArray(sim->tolerance, &tol));
  for (PetscInt r = 0; r < sim->m->nowned; r++)
    tol[r] = sim->m->storage[r] > 0 ? p->atol : 1e30;
  PetscCall(VecRestoreArray(sim->tolerance, &tol));
  PetscCall(TSSetTolerances(sim->ts, 0.0, sim->tolerance, p->rtol, NULL));
  PetscCall(TSMonitorSet(sim->ts, Monitor, sim, NULL));
  PetscCall(TSSetPostStep(sim->ts, PostStep));
  PetscCall(TSGetSNES(sim->ts, &snes));
  /* stol 0: PETSc 3.18's NEWTONLS takes a line search stopped by a domain
   * error for convergence when stol > 0 (stale step norms), and the step
   * would be accepted at the predictor; NewtonConverged tests the updates */
  PetscCall(SNESSetTolerances(snes, PETSC_DEFAULT, PETSC_DEFAULT, 0.0, 30, PETSC_DEFAULT));
  PetscCall(SNESSetConvergenceTest(snes, NewtonConverged, sim, NULL));
  {
    SNESLineSearch ls;
    PetscCall(SNESGetLineSearch(snes, &ls));
    PetscCall(SNESLineSearchSetType(ls, SNESLINESEARCHBASIC)); /* exact Jacobian; a failed step is retried smaller */
  }
  sim->concentration_scale = 0;
  for (PetscInt r = 0; r < p->nregions; r++) {
    const PhaseType ph = p->region[r].phase;
    if (ph == PHASE_ELECTROLYTE || ph == PHASE_COMPOSITE)
      sim->concentration_scale = PetscMax(sim->concentration_scale, p->region[r].electrolyte.concentration);
    if (ph == PHASE_ACTIVE || ph == PHASE_COMPOSITE)
      sim->concentration_scale = PetscMax(sim->concentration_scale, p->region[r].active.max_concentration);
  }
  PetscCall(SNESGetKSP(snes, &ksp));
  PetscCall(KSPGetPC(ksp, &pc));
  PetscCallMPI(MPI_Comm_size(sim->comm, &size));
  if (sim->m->dim == 2)
    PetscCall(LinearSolver2d(sim, snes, ksp, pc));
  else {
    PetscCall(KSPSetType(ksp, KSPPREONLY));
    PetscCall(PCSetType(pc, PCLU));
    if (size > 1) PetscCall(PCFactorSetMatSolverType(pc, MATSOLVERMUMPS));
    /* the unknowns are numbered cell by cell along x, so the 1D matrix is banded
     * already: nested dissection only adds work (default cell 78 -> 60 ms) */
    else
      PetscCall(PCFactorSetMatOrderingType(pc, MATORDERINGNATURAL));
  }
  PetscCall(TSSetFromOptions(sim->ts)); /* last: the command line wins */
  PetscCall(TSGetMaxSteps(sim->ts, &sim->max_steps));
  PetscCall(TSGetTimeStep(sim->ts, &sim->dt_initial));
  sim->max_newton_failures = MAX_NEWTON_FAILURES; /* PETSc 3.18 has no getter: read the option TSSetFromOptions read */
  PetscCall(PetscOptionsGetInt(NULL, p->options_prefix[0] ? p->options_prefix : NULL, "-ts_max_snes_failures", &sim->max_newton_failures, NULL));
  PetscCall(ModelInitialState(sim->m, sim->U));
  PetscFunctionReturn(0);
}

PetscErrorCode SimulationCreate(MPI_Comm comm, Params *p, int argc, char **argv, Simulation *simulation)
{
  Simulation     sim;
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  *simulation = NULL;
  PetscCall(PetscNew(&sim));
  sim->comm = comm, sim->p = p, sim->argc = argc, sim->argv = argv;
  sim->s.min_interface_concentration = PETSC_MAX_REAL;
  sim->last_fields                   = NAN;
  ierr                               = SimulationCreate_Private(sim);
  if (ierr) { /* free what was built; the error keeps its own message */
    (void)SimulationDestroy(&sim);
    PetscCall(ierr);
  }
  *simulation = sim;
  PetscFunctionReturn(0);
}

/* Makes the state consistent with the boundary condition just applied at
 * time t: one implicit step with every field that has a time derivative
 * held, which leaves the concentrations as they are and solves for the
 * potentials. It is a TSSolve so that it goes through the same solvers and
 * options as every step. *ok is false when Newton found no such state. */
static PetscErrorCode ConsistentStart(Simulation sim, PetscReal t, PetscBool *ok)
{
  TSConvergedReason reason;
  PetscInt          its, errors;

  PetscFunctionBeginUser;
  errors = sim->m->domain_errors;
  PetscCall(ModelHold(sim->m, sim->U));
  sim->initializing = PETSC_TRUE;
  PetscCall(TSSetTime(sim->ts, t));
  PetscCall(TSSetMaxTime(sim->ts, t + sim->dt_initial));
  PetscCall(TSSetTimeStep(sim->ts, sim->dt_initial));
  PetscCall(TSSetStepNumber(sim->ts, 0));
  PetscCall(TSSetMaxSteps(sim->ts, 1));
  PetscCall(TSSetMaxSNESFailures(sim->ts, 1)); /* a shorter step would not change the held problem */
  PetscCall(TSSetConvergedReason(sim->ts, TS_CONVERGED_ITERATING));
  PetscCall(TSRestartStep(sim->ts));
  PetscCall(TSSolve(sim->ts, sim->U));
  PetscCall(TSGetConvergedReason(sim->ts, &reason));
  PetscCall(TSGetSNESIterations(sim->ts, &its));
  sim->s.newton += its;
  PetscCall(TSGetKSPIterations(sim->ts, &its));
  sim->s.linear += its;
  sim->initializing = PETSC_FALSE;
  PetscCall(TSSetMaxSNESFailures(sim->ts, sim->max_newton_failures));
  PetscCall(ModelRelease(sim->m));
  PetscCall(TSSetTime(sim->ts, t));
  *ok                 = (PetscBool)(reason > 0);
  sim->start_depleted = PETSC_FALSE;
  if (!*ok && ParamsMembrane(sim->p)->electrolyte.kind == ELECTROLYTE_BINARY) {
    /* with the concentrations held, an unphysical state met on the way or an
     * interface concentration driven to zero where Newton gave up means the
     * electrolyte cannot carry the step's current */
    SNES        snes;
    Vec         last;
    Observation o;
    PetscCall(TSGetSNES(sim->ts, &snes));
    PetscCall(SNESGetSolution(snes, &last));
    PetscCall(ModelObserve(sim->m, t, last, &o));
    sim->start_depleted =
        (PetscBool)(sim->m->domain_errors > errors ||
                    o.min_interface_concentration < 10 * sim->p->depletion_fraction * ParamsMembrane(sim->p)->electrolyte.concentration);
  }
  PetscFunctionReturn(0);
}

/* Applies protocol step k at time t and finds its consistent start. */
/* The resistances of the cell at the start of step k, the first with a
 * current: each part from where the power goes (ModelLosses), the whole
 * from the voltage jump the current makes against the state before. */
static PetscErrorCode MeasureResistances(Simulation sim, PetscInt k, PetscReal t, const Observation *before)
{
  RunSummary   *s = &sim->s;
  const Params *p = sim->p;
  Observation   o;
  Losses        l;

  PetscFunctionBeginUser;
  PetscCall(Observe(sim, t, sim->U, &o));
  if (s->asr_measured || PetscAbsReal(o.current - before->current) <= 0) PetscFunctionReturn(0);
  PetscCall(ModelLosses(sim->m, t, sim->U, &l));
  {
    const PetscReal I2 = o.current * o.current;
    s->asr_measured    = PETSC_TRUE;
    s->asr_step        = k;
    s->asr_time        = t;
    s->asr_membrane    = 0;
    for (PetscInt r = 0; r < p->nregions; r++)
      if (p->region[r].phase == PHASE_ELECTROLYTE) s->asr_membrane += l.region[r] / I2;
    s->asr_anode             = l.region[0] / I2;
    s->asr_cathode           = p->nregions > 1 ? l.region[p->nregions - 1] / I2 : 0.0;
    s->asr_anode_interface   = l.anode_interface / I2;
    s->asr_cathode_interface = l.cathode_interface / I2;
    s->asr_cathode_solid     = l.cathode_solid / I2;
    s->asr_total             = (before->voltage - o.voltage) / (o.current - before->current);
  }
  PetscCall(ModelAnodeInterface(sim->m, t, sim->U, &s->interface_peak, &s->interface_mean, &s->contact_fraction));
  PetscFunctionReturn(0);
}

/* Protocol step k, started at t_start, as the boundary condition and the
 * events of the steps to come. */
static PetscErrorCode StepBegin(Simulation sim, PetscInt k, PetscReal t_start)
{
  PetscInt  direction[EVENT_COUNT];
  PetscBool terminate[EVENT_COUNT];

  PetscFunctionBeginUser;
  for (int e = 0; e < EVENT_COUNT; e++)
    direction[e] = -1, terminate[e] = PETSC_TRUE; /* indicators fall through zero */
  PetscCall(ProtocolResolve(sim->p, k, t_start, &sim->step));
  PetscCall(ProtocolApply(sim->m, &sim->step));
  ObserveForget(sim); /* the same state carries another current now */
  /* a fresh handler per step: a located event must not carry over */
  PetscCall(TSSetEventHandler(sim->ts, EVENT_COUNT, direction, terminate, Indicator, PostEvent, sim));
  PetscCall(TSSetEventTolerances(sim->ts, 0.0, (PetscReal *)EventTolerance));
  PetscFunctionReturn(0);
}

static PetscErrorCode StepApply(Simulation sim, PetscInt k, PetscReal t, PetscBool *ok)
{
  const Observation before = k > 0 ? sim->last : sim->rest;

  PetscFunctionBeginUser;
  PetscCall(StepBegin(sim, k, t));
  PetscCall(ConsistentStart(sim, t, ok));
  if (*ok) PetscCall(MeasureResistances(sim, k, t, &before));
  PetscFunctionReturn(0);
}

/* Takes up protocol step k where the stored run was in it: the same
 * boundary condition and time window, the events it had armed (fresh: a
 * state from before its first time step, whose events StepRun arms as for
 * a new step). The stored state is consistent already (an accepted step or
 * a consistent start). An armed limit that the state has reached ends the
 * step at once: that run was ending it there. */
static PetscErrorCode StepResume(Simulation sim, PetscInt k, PetscReal t, PetscBool fresh)
{
  const RestartRecord *rec = sim->resumed;
  Observation          o;
  PetscReal            ind[EVENT_COUNT];

  PetscFunctionBeginUser;
  PetscCall(StepBegin(sim, k, rec->step_start));
  if (fresh) PetscFunctionReturn(0);
  for (int e = 0; e < EVENT_COUNT; e++)
    sim->armed[e] = rec->armed[e];
  PetscCall(StepIndicators(sim, t, sim->U, &o, ind));
  for (int e = 0; e < EVENT_COUNT && sim->fired < 0; e++)
    if (sim->armed[e] && ind[e] <= EventTolerance[e]) sim->fired = e;
  PetscFunctionReturn(0);
}

/* Every field output is a time step (steps land on the output times), so an
 * interval that would take more steps than solver.max_steps in the steps
 * whose length is bounded is refused before the run, not found out after
 * hours of writing. */
static PetscErrorCode CheckOutputInterval(Simulation sim)
{
  const Params *p     = sim->p;
  PetscReal     known = 0;

  PetscFunctionBeginUser;
  if (!p->output_file[0] || p->output_interval <= 0) PetscFunctionReturn(0);
  for (PetscInt k = 0; k < p->nsteps; k++) {
    const PetscReal bound = ProtocolDurationBound(p, k);
    if (bound < PETSC_INFINITY) known += bound;
  }
  PetscCheck(known / p->output_interval <= (PetscReal)p->max_steps, sim->comm, PETSC_ERR_USER_INPUT,
             "%s: output.interval = %g s would take about %.3g time steps (every output time is one), more than solver.max_steps = %" PetscInt_FMT
             "; give a longer output.interval (0 writes every step without forcing any)",
             p->config_file, (double)p->output_interval, (double)(known / p->output_interval), p->max_steps);
  PetscFunctionReturn(0);
}

PetscErrorCode SimulationSetUp(Simulation sim)
{
  PetscFunctionBeginUser;
  if (sim->set_up) PetscFunctionReturn(0);
  PetscCheck(sim->p->nsteps > 0, sim->comm, PETSC_ERR_USER_INPUT, "the protocol has no steps");
  PetscCall(CheckOutputInterval(sim));
  if (sim->p->restart_file[0]) { /* refused before any work if this run may not continue it */
    PetscCall(RestartCreate(sim->m, sim->p, &sim->restart));
    PetscCall(PetscNew(&sim->resumed));
    PetscCall(RestartLoad(sim->restart, sim->resumed));
  }
  PetscCall(ModelObserve(sim->m, 0.0, sim->U, &sim->rest)); /* at rest: no current yet */
  PetscCall(StepApply(sim, 0, 0.0, &sim->started));         /* if it fails, the run says why */
  sim->set_up = PETSC_TRUE;
  PetscFunctionReturn(0);
}

static PetscErrorCode WriteMetrics(Simulation sim)
{
  const RunSummary *s = &sim->s;
  const Params     *p = sim->p;

  PetscFunctionBeginUser;
  if (!sim->out) PetscFunctionReturn(0);
  PetscCall(OutputWriteMetric(sim->out, "discharge_capacity", s->discharge_capacity / 36000.0, "mAh/cm^2"));
  PetscCall(OutputWriteMetric(sim->out, "discharge_energy", s->discharge_energy / SECONDS_PER_H, "Wh/m^2"));
  PetscCall(OutputWriteMetric(sim->out, "mean_discharge_voltage", s->mean_discharge_voltage, "V"));
  PetscCall(OutputWriteMetric(sim->out, "charge_capacity", s->charge_capacity / 36000.0, "mAh/cm^2"));
  PetscCall(OutputWriteMetric(sim->out, "theoretical_capacity", CathodeCapacity(p) / 36000.0, "mAh/cm^2"));
  PetscCall(OutputWriteMetric(sim->out, "membrane_asr_bulk", ParamsMembrane(p)->layer.thickness / ParamsMembrane(p)->electrolyte.conductivity * 1e4,
                              "ohm*cm^2"));
  if (ParamsMembrane(p)->electrolyte.kind == ELECTROLYTE_BINARY) {
    PetscCall(OutputWriteMetric(sim->out, "min_interface_concentration", s->min_interface_concentration, "mol/m^3"));
    PetscCall(OutputWriteMetric(sim->out, "limiting_current", LimitingCurrent(&ParamsMembrane(p)->electrolyte, ParamsMembrane(p)->layer.thickness),
                                "A/m^2"));
  }
  if (s->asr_measured) {
    PetscCall(OutputWriteMetric(sim->out, "asr_membrane", s->asr_membrane * 1e4, "ohm*cm^2"));
    PetscCall(OutputWriteMetric(sim->out, "asr_anode_interface", s->asr_anode_interface * 1e4, "ohm*cm^2"));
    PetscCall(OutputWriteMetric(sim->out, "asr_cathode_interface", s->asr_cathode_interface * 1e4, "ohm*cm^2"));
    PetscCall(OutputWriteMetric(sim->out, "asr_cathode", s->asr_cathode * 1e4, "ohm*cm^2"));
    PetscCall(OutputWriteMetric(sim->out, "asr_cathode_solid", s->asr_cathode_solid * 1e4, "ohm*cm^2"));
    PetscCall(OutputWriteMetric(sim->out, "asr_anode", s->asr_anode * 1e4, "ohm*cm^2"));
    PetscCall(OutputWriteMetric(sim->out, "asr_total", s->asr_total * 1e4, "ohm*cm^2"));
    PetscCall(OutputWriteMetric(sim->out, "asr_time", s->asr_time, "s"));
    PetscCall(OutputWriteMetricInt(sim->out, "asr_step", s->asr_step + 1, "1"));
  }
  if (s->asr_measured && p->dim == 2) PetscCall(MetricsWrite2d(sim->out, p, s));
  PetscCall(MetricsWriteStack(sim->out, p, s));
  PetscCall(OutputWriteMetric(sim->out, "end_time", s->end_time, "s"));
  PetscCall(OutputWriteMetricInt(sim->out, "time_steps", s->steps, "1"));
  PetscCall(OutputWriteMetricInt(sim->out, "rejected_steps", s->rejected, "1"));
  PetscCall(OutputWriteMetricInt(sim->out, "newton_iterations", s->newton, "1"));
  PetscCall(OutputWriteMetricInt(sim->out, "linear_iterations", s->linear, "1"));
  PetscCall(OutputWriteMetricInt(sim->out, "domain_errors", s->domain_errors, "1"));
  PetscCall(OutputWriteMetric(sim->out, "solve_time", s->solve_seconds, "s"));
  PetscFunctionReturn(0);
}

/* A step that failed close to a physical limit ended on that limit: Newton
 * gives out as the interface concentration or the surface stoichiometry
 * collapses. Close means within ten times the limit the event watches. */
static PetscBool FailedAtPhysicalLimit(Simulation sim, EventKind *e)
{
  const Params      *p = sim->p;
  const Observation *o = &sim->last;

  if (ParamsMembrane(p)->electrolyte.kind == ELECTROLYTE_BINARY &&
      o->min_interface_concentration < 10 * p->depletion_fraction * ParamsMembrane(p)->electrolyte.concentration) {
    *e = EVENT_DEPLETION;
    return PETSC_TRUE;
  }
  if (p->cathode_model != CATHODE_LITHIUM && sim->step.current != 0 && (o->max_theta > 0.99 || o->min_theta < 0.01)) {
    *e = EVENT_SATURATION;
    return PETSC_TRUE;
  }
  return PETSC_FALSE;
}

static const char *FailureHint(TSConvergedReason reason)
{
  switch (reason) {
  case TS_DIVERGED_STEP_REJECTED:
    return "the time-error control rejected one step " PetscStringize(MAX_REJECTIONS) " times";
  case TS_DIVERGED_NONLINEAR_SOLVE:
    return "Newton did not converge, even on shorter steps";
  default:
    return "the time step could not advance";
  }
}

/* Runs protocol step k from time *t (resume: takes it up where the stored
 * run was in it); *stop says the run ends after it. */
static PetscErrorCode StepRun(Simulation sim, PetscInt k, PetscReal *t, PetscBool resume, PetscBool *stop)
{
  const Params     *p = sim->p;
  TSConvergedReason reason;
  PetscInt          its;
  Observation       o;
  PetscReal         ind[EVENT_COUNT];
  PetscBool         ok;
  char              why[320];
  EventKind         limit;
  /* a state stored before the step took its first time step (the start of the run): the step goes on as a new one does */
  const PetscBool fresh = (PetscBool)(resume && sim->resumed->time <= sim->resumed->step_start);

  PetscFunctionBeginUser;
  *stop               = PETSC_FALSE;
  sim->fired          = -1;
  sim->stop_reason[0] = 0;
  sim->stepping       = PETSC_FALSE;
  PetscCall(Interrupted(sim, stop));
  if (*stop) {
    PetscCall(PetscSNPrintf(sim->s.end_reason, sizeof sim->s.end_reason, "interrupted by signal %d before step %" PetscInt_FMT " at t = %.6g s",
                            sim->s.interrupt, k + 1, (double)*t));
    sim->s.status = RUN_INTERRUPTED;
    PetscFunctionReturn(0);
  }
  if (resume) {
    PetscCall(StepResume(sim, k, *t, fresh));
    ok = PETSC_TRUE;
  } else if (k > 0)
    PetscCall(StepApply(sim, k, *t, &ok));
  else
    ok = sim->started;
  if (!ok) {
    if (sim->start_depleted) {
      sim->s.depleted = PETSC_TRUE;
      sim->fired      = EVENT_DEPLETION;
      PetscCall(PetscSNPrintf(sim->s.end_reason, sizeof sim->s.end_reason,
                              "depletion at the start of step %" PetscInt_FMT " ('%s') at t = %.6g s: the electrolyte next to an interface cannot "
                              "carry %.4g mA/cm^2 (the limiting current of the membrane is %.4g mA/cm^2); lower the current, or grade the "
                              "separator mesh toward its interfaces (separator.grading) to resolve the first instants",
                              k + 1, sim->step.step->text, (double)*t, (double)(PetscAbsReal(sim->step.current) / 10),
                              (double)(LimitingCurrent(&ParamsMembrane(p)->electrolyte, ParamsMembrane(p)->layer.thickness) / 10)));
      PetscCall(PetscSNPrintf(why, sizeof why, "depletion at the start of the step"));
    } else {
      PetscCall(PetscSNPrintf(sim->s.end_reason, sizeof sim->s.end_reason,
                              "solver failure at the start of step %" PetscInt_FMT " ('%s') at t = %g s: no state carries the step's %s (Newton did "
                              "not converge); check the step and the cell's parameters (-snes_converged_reason -snes_monitor show where it fails)",
                              k + 1, sim->step.step->text, (double)*t, sim->step.potentiostatic ? "voltage" : "current"));
      PetscCall(PetscSNPrintf(why, sizeof why, "solver failure"));
      sim->s.status = RUN_FAILED;
    }
    sim->s.step_end_time[k]  = *t;
    sim->s.step_end_event[k] = sim->fired;
    sim->s.step_at_start[k]  = PETSC_TRUE;
    *stop                    = PETSC_TRUE;
    if (sim->out)
      PetscCall(
          OutputWriteStepEnd(sim->out, k, sim->step.step->text, *t, why, sim->s.step_capacity[k], sim->s.step_energy[k], StepMeanVoltage(sim, k)));
    if (!p->quiet)
      PetscCall(PetscPrintf(sim->comm, "  %2" PetscInt_FMT ". %-40s ended at t = %10.2f s: %s\n", k + 1, sim->step.step->text, (double)*t, why));
    PetscFunctionReturn(0);
  }
  if (!resume || fresh) {
    if (k > 0 && !resume) PetscCall(Sample(sim, *t, sim->U)); /* the other side of the jump */
    /* an event at or past its limit as soon as the step is applied ends it at once; the others are armed */
    PetscCall(StepIndicators(sim, *t, sim->U, &o, ind));
    for (int e = 0; e < EVENT_COUNT; e++) {
      sim->armed[e] = (PetscBool)(ind[e] > EventTolerance[e]);
      if (!sim->armed[e] && sim->fired < 0) {
        sim->fired = e;
        PetscCall(PetscSNPrintf(sim->stop_reason, sizeof sim->stop_reason, "%s reached at the start of the step (V = %.4f V, i = %.4g mA/cm^2)",
                                EventNames[e], (double)o.voltage, (double)(o.current / 10)));
      }
    }
    sim->s.step_at_start[k] = (PetscBool)(sim->fired >= 0);
  }
  reason = TS_CONVERGED_EVENT;
  if (sim->fired < 0 && resume && OnOrPast(*t, sim->step.t_end))
    reason = TS_CONVERGED_TIME; /* stored at the end of its duration */
  else if (sim->fired < 0) {
    const PetscInt  budget = sim->max_steps - sim->s.steps;
    const PetscReal dt     = sim->dt_initial;
    PetscCall(TSSetTime(sim->ts, *t));
    PetscCall(TSSetMaxTime(sim->ts, sim->step.t_end));
    PetscCall(TSSetTimeStep(sim->ts, sim->out && p->output_interval > 0 ? PetscMin(dt, NextOutputTime(*t, p->output_interval) - *t) : dt));
    PetscCall(TSSetStepNumber(sim->ts, 0)); /* TSSolve evaluates the events at the start of a solve only from step 0 */
    PetscCall(TSSetMaxSteps(sim->ts, PetscMax(budget, 0)));
    PetscCall(TSSetConvergedReason(sim->ts, TS_CONVERGED_ITERATING));
    /* the forcing jumps, or the run restarts: the BDF history starts again, with solver.dt_initial
       (PETSc's BDF has no history to estimate the error of the first step after a restart) */
    PetscCall(TSRestartStep(sim->ts));
    sim->have_voltage     = resume ? sim->resumed->have_voltage : PETSC_FALSE; /* and the voltage history with it */
    sim->event_iterations = 0;
    sim->stepping = sim->solving = PETSC_TRUE;
    PetscCall(TSSolve(sim->ts, sim->U));
    sim->solving = PETSC_FALSE;
    PetscCall(TSGetSolveTime(sim->ts, t));
    PetscCall(TSGetConvergedReason(sim->ts, &reason));
    PetscCall(TSGetSNESIterations(sim->ts, &its)); /* counted per solve, from step 0 */
    sim->s.newton += its;
    PetscCall(TSGetKSPIterations(sim->ts, &its));
    sim->s.linear += its;
    PetscCall(TSGetStepRejections(sim->ts, &its));
    sim->s.rejected += its;
    if (*t > sim->t_prev) PetscCall(Monitor(sim->ts, 1, *t, sim->U, sim)); /* an event may end the step between monitor calls */
  }
  PetscCall(WriteFields(sim, *t, sim->U));
  sim->s.step_end_time[k]  = *t;
  sim->s.step_end_event[k] = sim->fired;
  if (sim->s.interrupt) {
    PetscCall(PetscSNPrintf(sim->s.end_reason, sizeof sim->s.end_reason, "interrupted by signal %d in step %" PetscInt_FMT " ('%s') at t = %.6g s",
                            sim->s.interrupt, k + 1, sim->step.step->text, (double)*t));
    PetscCall(PetscSNPrintf(why, sizeof why, "interrupted"));
    sim->s.status = RUN_INTERRUPTED;
    *stop         = PETSC_TRUE;
  } else if (reason < 0 && FailedAtPhysicalLimit(sim, &limit)) {
    sim->fired = sim->s.step_end_event[k] = limit;
    PetscCall(PetscSNPrintf(sim->stop_reason, sizeof sim->stop_reason, "%s (the solver gave out at it)", EventNames[limit]));
  } else if (reason < 0) {
    PetscCall(PetscSNPrintf(sim->s.end_reason, sizeof sim->s.end_reason,
                            "solver failure in step %" PetscInt_FMT " ('%s') at t = %.6g s: %s (%s). Try a finer mesh at the interfaces (cells, "
                            "grading), tighter tolerances (solver.rtol), a smaller current, or -ts_monitor -snes_converged_reason to see the steps",
                            k + 1, sim->step.step->text, (double)*t, FailureHint(reason), TSConvergedReasons[reason]));
    PetscCall(PetscSNPrintf(why, sizeof why, "solver failure"));
    sim->s.status = RUN_FAILED;
    *stop         = PETSC_TRUE;
  } else if (reason == TS_CONVERGED_ITS && sim->fired < 0) {
    PetscCall(PetscSNPrintf(sim->s.end_reason, sizeof sim->s.end_reason,
                            "the run reached solver.max_steps = %" PetscInt_FMT " time steps in step %" PetscInt_FMT
                            " ('%s') at t = %.6g s; raise solver.max_steps%s",
                            sim->max_steps, k + 1, sim->step.step->text, (double)*t,
                            p->output_interval > 0 ? " or output.interval (steps land on every output time)" : ""));
    PetscCall(PetscSNPrintf(why, sizeof why, "solver.max_steps reached"));
    sim->s.status = RUN_FAILED;
    *stop         = PETSC_TRUE;
  }
  if (!*stop) {
    if (sim->fired >= 0)
      PetscCall(PetscSNPrintf(why, sizeof why, "%s", sim->stop_reason[0] ? sim->stop_reason : EventNames[sim->fired]));
    else
      PetscCall(PetscSNPrintf(why, sizeof why, "duration"));
    sim->s.steps_completed++;
    if (sim->fired == EVENT_DEPLETION) {
      sim->s.depleted = PETSC_TRUE;
      PetscCall(PetscSNPrintf(sim->s.end_reason, sizeof sim->s.end_reason,
                              "depletion: the electrolyte at an interface ran out in step %" PetscInt_FMT " at t = %.6g s", k + 1, (double)*t));
      *stop = PETSC_TRUE;
    }
  }
  if (sim->out)
    PetscCall(
        OutputWriteStepEnd(sim->out, k, sim->step.step->text, *t, why, sim->s.step_capacity[k], sim->s.step_energy[k], StepMeanVoltage(sim, k)));
  /* a step that ended as it should: a restart goes on with the next (a failure or an interrupt goes on inside this one) */
  if (sim->s.status == RUN_COMPLETE) PetscCall(StoreState(sim, *t, PETSC_TRUE));
  if (!p->quiet || PetscLogPrintInfo)
    PetscCall(PetscPrintf(sim->comm, "%s  %2" PetscInt_FMT ". %-40s ended at t = %10.2f s, V = %.4f V: %s\n", sim->progress ? "\n" : "", k + 1,
                          sim->step.step->text, (double)*t, (double)sim->V_prev, why));
  PetscFunctionReturn(0);
}

/* Takes up the state loaded from the -restart file: its history goes into
 * the new output first, then its state into U, its integrals and counters
 * into the run, and the state is stored again in the new file (which puts
 * it on disk, complete). Returns the step to go on with and whether the run
 * resumes inside it. */
static PetscErrorCode Resume(Simulation sim, PetscReal *t, PetscInt *k, PetscBool *inside)
{
  const RestartRecord *rec = sim->resumed;
  const Params        *p   = sim->p;

  PetscFunctionBeginUser;
  PetscCall(RestartContinue(sim->restart, sim->out, sim->U));
  *t                    = rec->time;
  *k                    = rec->step;
  *inside               = (PetscBool)!rec->between;
  sim->s                = rec->s;
  sim->s.status         = RUN_COMPLETE;
  sim->s.interrupt      = 0;
  sim->m->domain_errors = rec->s.domain_errors;
  sim->solve_before     = rec->s.solve_seconds;
  sim->sampled = rec->sampled, sim->t_prev = rec->t_prev, sim->V_prev = rec->V_prev, sim->I_prev = rec->I_prev;
  sim->capacity = rec->capacity, sim->energy = rec->energy, sim->last = rec->last;
  PetscCall(PetscArraycpy(sim->step_vdt, rec->step_vdt, MAX_PROTOCOL_STEPS));
  PetscCall(PetscArraycpy(sim->step_time, rec->step_time, MAX_PROTOCOL_STEPS));
  sim->last_voltage = rec->last_voltage;
  sim->next_output  = p->output_interval > 0 ? NextOutputTime(*t, p->output_interval) : rec->next_output; /* the interval may have changed */
  sim->last_fields  = *t;                                                                                 /* the history ends with the fields at t */
  sim->started      = PETSC_TRUE;
  ObserveForget(sim);
  if (sim->out) PetscCall(RestartStore(sim->restart, sim->out, sim->U, rec));
  if (!p->quiet && *k < p->nsteps)
    PetscCall(PetscPrintf(sim->comm, "  continuing %s at t = %.6g s, %s protocol step %" PetscInt_FMT "\n", p->restart_file, (double)*t,
                          *inside ? "in" : "before", *k + 1));
  else if (!p->quiet)
    PetscCall(
        PetscPrintf(sim->comm, "  continuing %s at t = %.6g s, after its last protocol step: nothing is left to run\n", p->restart_file, (double)*t));
  PetscFunctionReturn(0);
}

static PetscErrorCode RunProtocol(Simulation sim)
{
  const Params  *p = sim->p;
  PetscReal      t = 0;
  PetscLogDouble end;
  PetscBool      stop = PETSC_FALSE, inside = PETSC_FALSE;
  PetscInt       k0 = 0;

  PetscFunctionBeginUser;
  PetscCall(PetscTime(&sim->solve_start));
  sim->solve_before = 0;
  if (p->output_file[0]) {
    const Model *m    = sim->m;
    OutputMesh   mesh = {m->nx * m->ny, m->x_faces, m->x_centres, m->phase,       m->nx,
                         m->ny,         m->y_faces, m->y_centres, m->ninterfaces, m->interface_geometry};
    PetscCall(OutputCreate(sim->comm, p->output_file, p, sim->argc, sim->argv, &mesh, &sim->out));
  }
  if (sim->resumed)
    PetscCall(Resume(sim, &t, &k0, &inside));
  else {
    if (sim->out) {
      OutputSample rest = {0.0, sim->rest.voltage, sim->rest.current, 0.0, 0.0, 0, 0};
      PetscCall(OutputAppendSample(sim->out, &rest));
    }
    sim->t_prev = 0, sim->V_prev = sim->rest.voltage, sim->I_prev = sim->rest.current, sim->sampled = PETSC_TRUE;
    PetscCall(Sample(sim, 0.0, sim->U)); /* the first step applied */
    sim->next_output = p->output_interval;
    PetscCall(WriteFields(sim, 0.0, sim->U));
  }
  PetscCall(PetscSNPrintf(sim->s.end_reason, sizeof sim->s.end_reason, "protocol complete"));
  for (PetscInt k = k0; k < p->nsteps && !stop; k++)
    PetscCall(StepRun(sim, k, &t, (PetscBool)(inside && k == k0), &stop));
  PetscCall(PetscTime(&end));
  if (sim->progress) PetscCall(PetscPrintf(sim->comm, "\n"));
  sim->s.solve_seconds          = sim->solve_before + (end - sim->solve_start);
  sim->s.end_time               = t;
  sim->s.mean_discharge_voltage = sim->s.discharge_capacity > 0 ? sim->s.discharge_energy / sim->s.discharge_capacity : NAN;
  sim->s.domain_errors          = sim->m->domain_errors;
  if (sim->out) {
    PetscCall(WriteFields(sim, t, sim->U));
    PetscCall(WriteMetrics(sim));
    PetscCall(OutputClose(&sim->out, sim->s.end_reason,
                          sim->s.status == RUN_COMPLETE ? OUTPUT_COMPLETE : (sim->s.status == RUN_INTERRUPTED ? OUTPUT_INTERRUPTED : OUTPUT_FAILED)));
  }
  PetscFunctionReturn(0);
}

PetscErrorCode SimulationRun(Simulation sim, RunSummary *summary)
{
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  sim->progress = (PetscBool)(!sim->p->quiet && isatty(STDOUT_FILENO));
  PetscCall(SimulationSetUp(sim));
  ierr = RunProtocol(sim);
  if (ierr && sim->out) { /* keep what was computed: close the file as failed, with the error as its reason */
    const char *text     = NULL;
    char       *specific = NULL;
    PetscErrorMessage(ierr, &text, &specific);
    (void)OutputClose(&sim->out, specific && specific[0] ? specific : (text ? text : "error"), OUTPUT_FAILED);
  }
  PetscCall(ierr);
  *summary = sim->s;
  PetscFunctionReturn(0);
}

PetscErrorCode SimulationDestroy(Simulation *simulation)
{
  Simulation sim = *simulation;

  PetscFunctionBeginUser;
  if (!sim) PetscFunctionReturn(0);
  if (sim->out) (void)OutputClose(&sim->out, "the run was destroyed before it ended", OUTPUT_FAILED);
  PetscCall(RestartDestroy(&sim->restart));
  PetscCall(PetscFree(sim->record));
  PetscCall(PetscFree(sim->resumed));
  PetscCall(TSDestroy(&sim->ts));
  PetscCall(VecDestroy(&sim->U));
  PetscCall(VecDestroy(&sim->tolerance));
  PetscCall(VecDestroy(&sim->seen.U));
  PetscCall(PetscFree2(sim->field_values, sim->field_icur));
  PetscCall(ModelDestroy(&sim->m));
  PetscCall(PetscFree(*simulation));
  PetscFunctionReturn(0);
}

PetscErrorCode RunSummaryView(MPI_Comm comm, const Params *p, const RunSummary *s, FILE *fp)
{
  PetscFunctionBeginUser;
  PetscCall(PetscFPrintf(comm, fp, "  end: %s (t = %.6g s)\n", s->end_reason, (double)s->end_time));
  if (s->discharge_capacity > 0)
    PetscCall(PetscFPrintf(comm, fp, "  discharge: %.4f mAh/cm^2 delivered at a mean %.4f V, %.4f Wh/m^2\n",
                           (double)(s->discharge_capacity / 36000.0), (double)s->mean_discharge_voltage,
                           (double)(s->discharge_energy / SECONDS_PER_H)));
  if (s->charge_capacity > 0) PetscCall(PetscFPrintf(comm, fp, "  charge: %.4f mAh/cm^2 stored\n", (double)(s->charge_capacity / 36000.0)));
  if (s->asr_measured)
    PetscCall(PetscFPrintf(comm, fp,
                           "  ASR at the start of step %" PetscInt_FMT
                           ": %.4g ohm cm^2 = membrane %.4g + anode interface %.4g + cathode %.4g + cathode "
                           "interface %.4g + cathode solid %.4g + anode foil %.2g\n",
                           s->asr_step + 1, (double)(s->asr_total * 1e4), (double)(s->asr_membrane * 1e4), (double)(s->asr_anode_interface * 1e4),
                           (double)(s->asr_cathode * 1e4), (double)(s->asr_cathode_interface * 1e4), (double)(s->asr_cathode_solid * 1e4),
                           (double)(s->asr_anode * 1e4)));
  if (ParamsMembrane(p)->electrolyte.kind == ELECTROLYTE_BINARY)
    PetscCall(PetscFPrintf(comm, fp, "  lowest electrolyte concentration at an interface: %.4g mol/m^3 (%.3g of the initial)\n",
                           (double)s->min_interface_concentration,
                           (double)(s->min_interface_concentration / ParamsMembrane(p)->electrolyte.concentration)));
  PetscCall(PetscFPrintf(comm, fp,
                         "  solver: %" PetscInt_FMT " time steps (%" PetscInt_FMT " rejected, %" PetscInt_FMT " domain errors), %" PetscInt_FMT
                         " Newton, %" PetscInt_FMT " linear iterations, %.3f s\n",
                         s->steps, s->rejected, s->domain_errors, s->newton, s->linear, (double)s->solve_seconds));
  PetscFunctionReturn(0);
}

PetscErrorCode SimulationGetModel(Simulation sim, Model **m, Vec *U, TS *ts)
{
  PetscFunctionBeginUser;
  if (m) *m = sim->m;
  if (U) *U = sim->U;
  if (ts) *ts = sim->ts;
  PetscFunctionReturn(0);
}
