/* Time integration of the stack: the DAE F(t, U, dU/dt) = 0 of residual.c
 * (charge conservation is algebraic) with PETSc TS, adaptive BDF by default,
 * Newton with the analytic Jacobian and a direct solver in 1D. Protocol steps
 * run one after another; events stop a step exactly at its cutoff. The time
 * error control looks at concentrations only: potentials are algebraic and
 * follow the concentrations. Output is written at the requested interval
 * and at the end of every step; a solver failure keeps what was computed. */
#include <unistd.h>
#include "protocol.h"

struct _n_Simulation {
  MPI_Comm   comm;
  Params    *p;
  Model     *m;
  TS         ts;
  Vec        U, cells, tolerance;
  VecScatter gather;
  Vec        gathered;
  Output     out;
  int        argc;
  char     **argv;
  ActiveStep step;
  PetscInt   fired;              /* the event that ended the step, or -1 */
  PetscBool  armed[EVENT_COUNT]; /* events that start this step short of their limit */
  char       stop_reason[256];
  /* running integrals, trapezoidal over accepted steps */
  PetscReal  t_prev, V_prev, I_prev, capacity, energy;
  PetscReal  next_output;
  PetscBool  progress;
  PetscReal  concentration_scale;  /* mol/m^3, for the Newton test */
  PetscReal  update_phi, update_c; /* the last Newton update, V and mol/m^3, for its contraction rate */
  PetscReal  last_voltage;         /* at the last accepted step, for the step-size limit */
  PetscBool  have_voltage;
  PetscBool  step_start; /* no sample yet in this protocol step */
  RunSummary s;
};

static PetscErrorCode Sample(Simulation sim, PetscReal t, Vec U, PetscBool first)
{
  Observation o;

  PetscFunctionBeginUser;
  PetscCall(ModelObserve(sim->m, t, U, &o));
  if (!first && t > sim->t_prev) {
    /* trapezoids; the first step of a protocol step starts from its own current, not the last one's */
    const PetscReal I0 = sim->step_start ? o.current : sim->I_prev, V0 = sim->step_start ? o.voltage : sim->V_prev;
    const PetscReal dt = t - sim->t_prev, dq = 0.5 * (o.current + I0) * dt, de = 0.5 * (o.current * o.voltage + I0 * V0) * dt;
    sim->step_start = PETSC_FALSE;
    sim->capacity += dq;
    sim->energy += de;
    if (sim->step.step->kind == STEP_DISCHARGE) sim->s.discharge_capacity += dq, sim->s.discharge_energy += de;
    if (sim->step.step->kind == STEP_CHARGE || sim->step.step->kind == STEP_HOLD) sim->s.charge_capacity -= dq;
  }
  sim->t_prev = t, sim->V_prev = o.voltage, sim->I_prev = o.current;
  if (sim->p->electrolyte.kind == ELECTROLYTE_BINARY)
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

/* Gathers the state to rank 0 and writes every field at time t. */
static PetscErrorCode WriteFields(Simulation sim, PetscReal t, Vec U)
{
  Model             *m = sim->m;
  const PetscInt     n = m->nx * m->ny;
  PetscReal         *values, *icur = NULL;
  const PetscScalar *g;
  PetscMPIInt        rank;
  OutputField        fields[6];
  static const char *names[5] = {"electrolyte_concentration", "electrolyte_potential", "solid_concentration", "solid_potential", "current_density"};
  static const char *units[5] = {"mol/m^3", "V", "mol/m^3", "V", "A/m^2"};

  PetscFunctionBeginUser;
  if (!sim->out) PetscFunctionReturn(0);
  PetscCallMPI(MPI_Comm_rank(sim->comm, &rank));
  PetscCall(PetscMalloc1(5 * n, &values));
  PetscCall(PetscMalloc1(m->ninterfaces + 1, &icur));
  PetscCall(ModelInterfaceCurrents(m, t, U, icur));
  PetscCall(ModelCellCurrents(m, t, U, sim->cells));
  for (int pass = 0; pass < 2; pass++) {
    PetscCall(VecScatterBegin(sim->gather, pass ? sim->cells : U, sim->gathered, INSERT_VALUES, SCATTER_FORWARD));
    PetscCall(VecScatterEnd(sim->gather, pass ? sim->cells : U, sim->gathered, INSERT_VALUES, SCATTER_FORWARD));
    if (rank) continue;
    PetscCall(VecGetArrayRead(sim->gathered, &g));
    for (PetscInt c = 0; c < n; c++) {
      const PhaseType ph = (PhaseType)m->phase[c];
      if (pass) {
        values[4 * n + c] = ph == PHASE_VOID ? NAN : g[c * FIELD_COUNT + FIELD_PHI];
        continue;
      }
      values[c]         = ph == PHASE_ELECTROLYTE ? g[c * FIELD_COUNT + FIELD_C] : NAN;
      values[n + c]     = ph == PHASE_ELECTROLYTE ? g[c * FIELD_COUNT + FIELD_PHI] : NAN;
      values[2 * n + c] = ph == PHASE_ACTIVE ? g[c * FIELD_COUNT + FIELD_C] : NAN;
      values[3 * n + c] = ph == PHASE_LITHIUM || ph == PHASE_ACTIVE || ph == PHASE_COLLECTOR ? g[c * FIELD_COUNT + FIELD_PHI] : NAN;
    }
    PetscCall(VecRestoreArrayRead(sim->gathered, &g));
  }
  for (int k = 0; k < 5; k++)
    fields[k] = (OutputField){names[k], units[k], 0, values + k * n};
  fields[5] = (OutputField){"interface_current_density", "A/m^2", m->ninterfaces, icur};
  PetscCall(OutputWriteFields(sim->out, t, 6, fields));
  PetscCall(PetscFree(values));
  PetscCall(PetscFree(icur));
  PetscFunctionReturn(0);
}

static PetscErrorCode Monitor(TS ts, PetscInt step, PetscReal t, Vec U, void *ctx)
{
  Simulation sim = (Simulation)ctx;

  PetscFunctionBeginUser;
  (void)ts;                                                  /* unused: PETSc's callback signature */
  if (step == 0 || t <= sim->t_prev) PetscFunctionReturn(0); /* the initial state was sampled already */
  sim->s.steps++;
  PetscCall(Sample(sim, t, U, PETSC_FALSE));
  if (t >= sim->next_output) {
    PetscCall(WriteFields(sim, t, U));
    if (sim->p->output_interval > 0)
      while (sim->next_output <= t)
        sim->next_output += sim->p->output_interval;
  }
  PetscFunctionReturn(0);
}

/* Observes state U at t and evaluates the event indicators of the step. */
static PetscErrorCode StepIndicators(Simulation sim, PetscReal t, Vec U, Observation *o, PetscReal ind[EVENT_COUNT])
{
  PetscFunctionBeginUser;
  PetscCall(ModelObserve(sim->m, t, U, o));
  ProtocolIndicators(sim->p, &sim->step, o, ind);
  PetscFunctionReturn(0);
}

static PetscErrorCode Indicator(TS ts, PetscReal t, Vec U, PetscScalar fvalue[], void *ctx)
{
  Simulation  sim = (Simulation)ctx;
  Observation o;
  PetscReal   ind[EVENT_COUNT];

  PetscFunctionBeginUser;
  (void)ts; /* unused: PETSc's callback signature */
  PetscCall(StepIndicators(sim, t, U, &o, ind));
  for (int e = 0; e < EVENT_COUNT; e++)
    fvalue[e] = sim->armed[e] ? ind[e] : 1.0;
  PetscFunctionReturn(0);
}

/* Event tolerances, in the units of the indicators of protocol.c. */
static const PetscReal EventTolerance[EVENT_COUNT] = {1e-6, 1e-6, 1e-6, 1e-7};

/* An event whose indicator starts a step at or past zero is not handed to
 * TS: it has no crossing to locate, and a rise back through zero would be
 * taken for one. It is armed once an accepted step finds it short of its
 * limit; PostStep ends the step if it is still past it. */
static void ArmShortOfLimit(Simulation sim, const PetscReal ind[EVENT_COUNT])
{
  for (int e = 0; e < EVENT_COUNT; e++)
    if (ind[e] > EventTolerance[e]) sim->armed[e] = PETSC_TRUE;
}

static PetscErrorCode ArmEvents(Simulation sim, PetscReal t)
{
  Observation o;
  PetscReal   ind[EVENT_COUNT];

  PetscFunctionBeginUser;
  PetscCall(StepIndicators(sim, t, sim->U, &o, ind));
  for (int e = 0; e < EVENT_COUNT; e++)
    sim->armed[e] = PETSC_FALSE;
  ArmShortOfLimit(sim, ind);
  PetscFunctionReturn(0);
}

static PetscErrorCode PostEvent(TS ts, PetscInt nevents, PetscInt list[], PetscReal t, Vec U, PetscBool forward, void *ctx)
{
  Simulation sim = (Simulation)ctx;

  PetscFunctionBeginUser;
  (void)ts, (void)t, (void)U, (void)forward; /* unused: PETSc's callback signature */
  if (nevents > 0) sim->fired = list[0];
  PetscFunctionReturn(0);
}

/* After each accepted step: a step that started beyond its limit (an IR
 * jump past the cutoff) has no crossing to find, so it ends here; an event
 * that started at its limit and has moved away from it is armed; and the
 * next step is kept short enough that the terminal voltage moves by at most
 * solver.voltage_step. The error control sees concentrations only, and the
 * voltage is what a user reads off the curve. */
static PetscErrorCode PostStep(TS ts)
{
  Simulation  sim;
  Observation o;
  PetscReal   ind[EVENT_COUNT], t, dt_last, dt_next;
  Vec         U;

  PetscFunctionBeginUser;
  PetscCall(TSGetApplicationContext(ts, &sim));
  PetscCall(TSGetTime(ts, &t));
  PetscCall(TSGetSolution(ts, &U));
  PetscCall(StepIndicators(sim, t, U, &o, ind));
  ArmShortOfLimit(sim, ind);
  for (int e = 0; e < EVENT_COUNT; e++) {
    if (ind[e] < 0 && sim->fired < 0) {
      sim->fired = e;
      PetscCall(PetscSNPrintf(sim->stop_reason, sizeof sim->stop_reason, "%s (already past the limit)", EventNames[e]));
      PetscCall(TSSetConvergedReason(ts, TS_CONVERGED_USER));
    }
  }
  PetscCall(TSGetPrevTime(ts, &dt_last));
  dt_last = t - dt_last;
  PetscCall(TSGetTimeStep(ts, &dt_next));
  if (sim->have_voltage && dt_last > 0 && PetscAbsReal(o.voltage - sim->last_voltage) > 0) {
    const PetscReal limit = dt_last * sim->p->voltage_step / PetscAbsReal(o.voltage - sim->last_voltage);
    if (dt_next > limit) PetscCall(TSSetTimeStep(ts, limit));
  }
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
 * absolute tolerance. */
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
    PetscCall(VecStrideNorm(dx, FIELD_PHI, NORM_INFINITY, &dphi));
    PetscCall(VecStrideNorm(dx, FIELD_C, NORM_INFINITY, &dc));
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

PetscErrorCode SimulationCreate(MPI_Comm comm, Params *p, int argc, char **argv, Simulation *simulation)
{
  Simulation    sim;
  SNES          snes;
  KSP           ksp;
  PC            pc;
  TSAdapt       adapt;
  Mat           J;
  PetscMPIInt   size;
  PetscScalar **tol;

  PetscFunctionBeginUser;
  PetscCall(PetscNew(&sim));
  sim->comm = comm, sim->p = p, sim->argc = argc, sim->argv = argv;
  PetscCall(ModelCreate(comm, p, &sim->m));
  PetscCall(DMCreateGlobalVector(sim->m->da, &sim->U));
  PetscCall(VecDuplicate(sim->U, &sim->cells));
  PetscCall(VecDuplicate(sim->U, &sim->tolerance));
  PetscCall(VecScatterCreateToZero(sim->U, &sim->gather, &sim->gathered));
  PetscCall(DMCreateMatrix(sim->m->da, &J));

  PetscCall(TSCreate(comm, &sim->ts));
  PetscCall(TSSetApplicationContext(sim->ts, sim));
  PetscCall(TSSetDM(sim->ts, sim->m->da));
  PetscCall(TSSetType(sim->ts, TSBDF));
  PetscCall(TSBDFSetOrder(sim->ts, 2));
  PetscCall(TSSetIFunction(sim->ts, NULL, ModelIFunction, sim->m));
  PetscCall(TSSetIJacobian(sim->ts, J, J, ModelIJacobian, sim->m));
  PetscCall(MatDestroy(&J));
  PetscCall(TSSetProblemType(sim->ts, TS_NONLINEAR));
  PetscCall(TSSetEquationType(sim->ts, TS_EQ_DAE_IMPLICIT_INDEX1));
  PetscCall(TSSetMaxSteps(sim->ts, p->max_steps));
  PetscCall(TSSetMaxSNESFailures(sim->ts, 200)); /* each failure halves the step; then stop and say why */
  PetscCall(TSSetMaxStepRejections(sim->ts, -1));
  PetscCall(TSSetErrorIfStepFails(sim->ts, PETSC_FALSE)); /* a failure ends the run with its reason, keeping the output */
  PetscCall(TSSetTimeStep(sim->ts, p->dt_initial));
  PetscCall(TSSetExactFinalTime(sim->ts, TS_EXACTFINALTIME_MATCHSTEP));
  PetscCall(TSGetAdapt(sim->ts, &adapt));
  PetscCall(TSAdaptSetStepLimits(adapt, 1e-12, p->dt_max >= PETSC_INFINITY ? PETSC_MAX_REAL : p->dt_max));
  /* concentrations only: potentials are algebraic */
  PetscCall(DMDAVecGetArrayDOF(sim->m->da, sim->tolerance, &tol));
  for (PetscInt i = sim->m->xs; i < sim->m->xs + sim->m->xm; i++) {
    tol[i][FIELD_C]   = PhaseHasDynamics(p, (PhaseType)sim->m->phase[i]) ? p->atol : 1e30;
    tol[i][FIELD_PHI] = 1e30;
  }
  PetscCall(DMDAVecRestoreArrayDOF(sim->m->da, sim->tolerance, &tol));
  PetscCall(TSSetTolerances(sim->ts, 0.0, sim->tolerance, p->rtol, NULL));
  PetscCall(TSMonitorSet(sim->ts, Monitor, sim, NULL));
  PetscCall(TSSetPostStep(sim->ts, PostStep));
  PetscCall(TSGetSNES(sim->ts, &snes));
  PetscCall(SNESSetTolerances(snes, PETSC_DEFAULT, PETSC_DEFAULT, PETSC_DEFAULT, 30, PETSC_DEFAULT));
  PetscCall(SNESSetConvergenceTest(snes, NewtonConverged, sim, NULL));
  {
    SNESLineSearch ls;
    PetscCall(SNESGetLineSearch(snes, &ls));
    PetscCall(SNESLineSearchSetType(ls, SNESLINESEARCHBASIC)); /* exact Jacobian; a failed step is retried smaller */
  }
  sim->concentration_scale = PetscMax(p->electrolyte.concentration, p->cathode_model == CATHODE_ACTIVE ? p->active.max_concentration : 0.0);
  PetscCall(SNESGetKSP(snes, &ksp));
  PetscCall(KSPSetType(ksp, KSPPREONLY));
  PetscCall(KSPGetPC(ksp, &pc));
  PetscCall(PCSetType(pc, PCLU));
  PetscCallMPI(MPI_Comm_size(comm, &size));
  if (size > 1) PetscCall(PCFactorSetMatSolverType(pc, MATSOLVERMUMPS));
  PetscCall(TSSetFromOptions(sim->ts)); /* last: the command line wins */
  PetscCall(ModelInitialState(sim->m, sim->U));
  sim->s.min_interface_concentration = PETSC_MAX_REAL;
  *simulation                        = sim;
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
  PetscCall(OutputWriteMetric(sim->out, "membrane_asr_bulk", p->separator.thickness / p->electrolyte.conductivity * 1e4, "ohm*cm^2"));
  if (p->electrolyte.kind == ELECTROLYTE_BINARY) {
    PetscCall(OutputWriteMetric(sim->out, "min_interface_concentration", s->min_interface_concentration, "mol/m^3"));
    PetscCall(OutputWriteMetric(sim->out, "limiting_current", LimitingCurrent(&p->electrolyte, p->separator.thickness), "A/m^2"));
  }
  PetscCall(OutputWriteMetric(sim->out, "end_time", s->end_time, "s"));
  PetscCall(OutputWriteMetric(sim->out, "time_steps", (PetscReal)s->steps, "1"));
  PetscCall(OutputWriteMetric(sim->out, "newton_iterations", (PetscReal)s->newton, "1"));
  PetscCall(OutputWriteMetric(sim->out, "linear_iterations", (PetscReal)s->linear, "1"));
  PetscCall(OutputWriteMetric(sim->out, "solve_time", s->solve_seconds, "s"));
  PetscFunctionReturn(0);
}

PetscErrorCode SimulationRun(Simulation sim, RunSummary *summary)
{
  const Params  *p = sim->p;
  PetscReal      t = 0;
  PetscLogDouble start, end;

  PetscFunctionBeginUser;
  sim->progress = (PetscBool)(!p->quiet && isatty(STDOUT_FILENO));
  if (p->output_file[0]) {
    OutputMesh mesh = {sim->m->nx * sim->m->ny, sim->m->x_faces, sim->m->x_centres, sim->m->phase};
    PetscCall(OutputCreate(sim->comm, p->output_file, p, sim->argc, sim->argv, &mesh, &sim->out));
  }
  PetscCall(PetscTime(&start));
  PetscCall(ProtocolResolve(p, 0, 0.0, &sim->step));
  PetscCall(ProtocolApply(sim->m, &sim->step));
  PetscCall(Sample(sim, 0.0, sim->U, PETSC_TRUE));
  PetscCall(WriteFields(sim, 0.0, sim->U));
  sim->next_output = p->output_interval;
  PetscCall(PetscSNPrintf(sim->s.end_reason, sizeof sim->s.end_reason, "protocol complete"));
  for (PetscInt k = 0; k < p->nsteps; k++) {
    TSConvergedReason reason;
    char              why[256];
    PetscInt          direction[EVENT_COUNT], its;
    PetscBool         terminate[EVENT_COUNT];

    for (int e = 0; e < EVENT_COUNT; e++)
      direction[e] = -1, terminate[e] = PETSC_TRUE; /* indicators fall through zero */

    PetscCall(ProtocolResolve(p, k, t, &sim->step));
    PetscCall(ProtocolApply(sim->m, &sim->step));
    sim->fired          = -1;
    sim->stop_reason[0] = 0;
    PetscCall(TSSetTime(sim->ts, t));
    PetscCall(TSSetMaxTime(sim->ts, sim->step.t_end));
    PetscCall(TSSetTimeStep(sim->ts, p->dt_initial));
    PetscCall(TSSetConvergedReason(sim->ts, TS_CONVERGED_ITERATING));
    PetscCall(TSRestartStep(sim->ts));      /* the forcing jumps: start the BDF history again */
    PetscCall(TSSetStepNumber(sim->ts, 0)); /* TSSolve evaluates the events at the start of a solve only from step 0 */
    PetscCall(ArmEvents(sim, t));
    PetscCall(
        TSSetEventHandler(sim->ts, EVENT_COUNT, direction, terminate, Indicator, PostEvent, sim)); /* fresh: a located event must not carry over */
    PetscCall(TSSetEventTolerances(sim->ts, 0.0, (PetscReal *)EventTolerance));
    sim->have_voltage = PETSC_FALSE; /* and the voltage history with it */
    sim->step_start   = PETSC_TRUE;
    PetscCall(TSSolve(sim->ts, sim->U));
    PetscCall(TSGetSolveTime(sim->ts, &t));
    PetscCall(TSGetConvergedReason(sim->ts, &reason));
    PetscCall(TSGetSNESIterations(sim->ts, &its)); /* counted per solve, from step 0 */
    sim->s.newton += its;
    PetscCall(TSGetKSPIterations(sim->ts, &its));
    sim->s.linear += its;
    PetscCall(TSGetStepRejections(sim->ts, &its));
    sim->s.rejected += its;
    if (t > sim->t_prev) PetscCall(Monitor(sim->ts, 1, t, sim->U, sim)); /* an event may end the step between monitor calls */
    if (reason < 0) {
      PetscCall(PetscSNPrintf(sim->s.end_reason, sizeof sim->s.end_reason, "solver failure in step %" PetscInt_FMT " ('%s') at t = %g s: %s", k + 1,
                              sim->step.step->text, (double)t, TSConvergedReasons[reason]));
      sim->s.failed = PETSC_TRUE;
      if (sim->out) PetscCall(OutputWriteStepEnd(sim->out, k, sim->step.step->text, t, "solver failure"));
      break;
    }
    sim->s.step_end_time[k]  = t;
    sim->s.step_end_event[k] = sim->fired;
    if (sim->fired >= 0)
      PetscCall(PetscSNPrintf(why, sizeof why, "%s", sim->stop_reason[0] ? sim->stop_reason : EventNames[sim->fired]));
    else if (reason == TS_CONVERGED_TIME)
      PetscCall(PetscSNPrintf(why, sizeof why, "duration"));
    else
      PetscCall(PetscSNPrintf(why, sizeof why, "%s", TSConvergedReasons[reason]));
    if (sim->out) PetscCall(OutputWriteStepEnd(sim->out, k, sim->step.step->text, t, why));
    if (!p->quiet || PetscLogPrintInfo)
      PetscCall(PetscPrintf(sim->comm, "%s  %2" PetscInt_FMT ". %-40s ended at t = %10.2f s, V = %.4f V: %s\n", sim->progress ? "\n" : "", k + 1,
                            sim->step.step->text, (double)t, (double)sim->V_prev, why));
    if (sim->fired == EVENT_DEPLETION) {
      sim->s.depleted = PETSC_TRUE;
      PetscCall(PetscSNPrintf(sim->s.end_reason, sizeof sim->s.end_reason,
                              "depletion: the electrolyte at an interface ran out in step %" PetscInt_FMT " at t = %.6g s", k + 1, (double)t));
      break;
    }
    if (reason == TS_CONVERGED_ITS) {
      PetscCall(PetscSNPrintf(sim->s.end_reason, sizeof sim->s.end_reason,
                              "maximum number of time steps (solver.max_steps = %" PetscInt_FMT ") reached in step %" PetscInt_FMT, p->max_steps,
                              k + 1));
      sim->s.failed = PETSC_TRUE;
      break;
    }
    sim->s.steps_completed++;
  }
  PetscCall(PetscTime(&end));
  if (sim->progress) PetscCall(PetscPrintf(sim->comm, "\n"));
  sim->s.solve_seconds          = end - start;
  sim->s.end_time               = t;
  sim->s.mean_discharge_voltage = sim->s.discharge_capacity > 0 ? sim->s.discharge_energy / sim->s.discharge_capacity : NAN;
  if (sim->out) {
    PetscCall(WriteFields(sim, t, sim->U));
    PetscCall(WriteMetrics(sim));
    PetscCall(OutputClose(&sim->out, sim->s.end_reason, sim->s.failed ? OUTPUT_FAILED : OUTPUT_COMPLETE));
  }
  *summary = sim->s;
  PetscFunctionReturn(0);
}

PetscErrorCode SimulationDestroy(Simulation *simulation)
{
  Simulation sim = *simulation;

  PetscFunctionBeginUser;
  if (!sim) PetscFunctionReturn(0);
  PetscCall(TSDestroy(&sim->ts));
  PetscCall(VecDestroy(&sim->U));
  PetscCall(VecDestroy(&sim->cells));
  PetscCall(VecDestroy(&sim->tolerance));
  PetscCall(VecScatterDestroy(&sim->gather));
  PetscCall(VecDestroy(&sim->gathered));
  PetscCall(ModelDestroy(&sim->m));
  PetscCall(PetscFree(*simulation));
  PetscFunctionReturn(0);
}

PetscErrorCode RunSummaryView(const Params *p, const RunSummary *s, FILE *fp)
{
  PetscFunctionBeginUser;
  PetscCall(PetscFPrintf(PETSC_COMM_WORLD, fp, "  end: %s (t = %.6g s)\n", s->end_reason, (double)s->end_time));
  if (s->discharge_capacity > 0)
    PetscCall(PetscFPrintf(PETSC_COMM_WORLD, fp, "  discharge: %.4f mAh/cm^2 delivered at a mean %.4f V, %.4f Wh/m^2\n",
                           (double)(s->discharge_capacity / 36000.0), (double)s->mean_discharge_voltage,
                           (double)(s->discharge_energy / SECONDS_PER_H)));
  if (s->charge_capacity > 0)
    PetscCall(PetscFPrintf(PETSC_COMM_WORLD, fp, "  charge: %.4f mAh/cm^2 stored\n", (double)(s->charge_capacity / 36000.0)));
  if (p->electrolyte.kind == ELECTROLYTE_BINARY)
    PetscCall(PetscFPrintf(PETSC_COMM_WORLD, fp, "  lowest electrolyte concentration at an interface: %.4g mol/m^3 (%.3g of the initial)\n",
                           (double)s->min_interface_concentration, (double)(s->min_interface_concentration / p->electrolyte.concentration)));
  PetscCall(PetscFPrintf(PETSC_COMM_WORLD, fp,
                         "  solver: %" PetscInt_FMT " time steps (%" PetscInt_FMT " rejected), %" PetscInt_FMT " Newton, %" PetscInt_FMT
                         " linear iterations, %.3f s\n",
                         s->steps, s->rejected, s->newton, s->linear, (double)s->solve_seconds));
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
