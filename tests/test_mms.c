/* Method of manufactured solutions. For each equation type the residual of
 * a smooth manufactured field is added as a source, the field's values are
 * imposed on both boundaries, and the discrete solution must converge to
 * the field at second order in space:
 *   lithium metal         -(sigma phi')'                        = s_phi
 *   single-ion conductor  -(kappa phi')'                        = s_phi
 *   binary electrolyte    N' = s_c, i' = s_phi with the coupled fluxes of transport.c
 *   active solid          -(D c')' = s_c, -(sigma phi')' = s_phi
 * The time integrator is checked on a field that is linear in x, which the
 * two-point fluxes and the midpoint source represent exactly, so only the
 * time error is left: BDF2 must show second order under fixed steps. */
#include "fixtures.h"
#include "testing.h"

typedef enum { CASE_LITHIUM, CASE_SINGLE_ION, CASE_BINARY, CASE_ACTIVE, CASE_TRANSIENT } Case;
static const char *const CaseNames[] = {"lithium_ohm", "single_ion_ohm", "binary_electrolyte", "active_solid", "active_solid_bdf2"};

typedef struct {
  Case    kase;
  Params *p;
  double  L;
} Manufactured;

static void Exact(const Manufactured *mf, double x, double t, double u[2])
{
  const double s = sin(M_PI * x / mf->L), c = cos(M_PI * x / mf->L);
  switch (mf->kase) {
  case CASE_BINARY:
    u[FIELD_C] = mf->p->region[REGION_SEPARATOR].electrolyte.concentration * (1 + 0.3 * s), u[FIELD_PHI] = 0.02 * c;
    break;
  case CASE_ACTIVE:
    u[FIELD_C] = 30000 + 10000 * s, u[FIELD_PHI] = 3.9 + 0.01 * c;
    break;
  case CASE_TRANSIENT:
    u[FIELD_C] = 30000 + 5000 * (x / mf->L) * sin(3 * t), u[FIELD_PHI] = 3.9 + 0.01 * x / mf->L;
    break;
  default:
    u[FIELD_C]   = mf->kase == CASE_SINGLE_ION ? mf->p->region[REGION_SEPARATOR].electrolyte.concentration : 0,
    u[FIELD_PHI] = 1e-3 * (s + 0.5 * x / mf->L);
  }
}

/* The continuous fluxes (F N, i) at x, the same laws as the kernels. */
static void Flux(const Manufactured *mf, double x, double t, double f[2])
{
  const double h = 1e-6 * mf->L;
  double       up[2], um[2], u[2], du[2];
  Exact(mf, x + h, t, up), Exact(mf, x - h, t, um), Exact(mf, x, t, u);
  for (int a = 0; a < 2; a++)
    du[a] = (up[a] - um[a]) / (2 * h);
  switch (mf->kase) {
  case CASE_BINARY: {
    ElectrolyteState es;
    const double     beta = 2 * GAS_CONSTANT * mf->p->temperature / FARADAY * (1 - mf->p->region[REGION_SEPARATOR].electrolyte.transference) *
                        mf->p->region[REGION_SEPARATOR].electrolyte.thermodynamic_factor;
    ElectrolyteEvaluate(&mf->p->region[REGION_SEPARATOR].electrolyte, u[FIELD_C], &es);
    f[FIELD_PHI] = -es.kappa * du[FIELD_PHI] + beta * es.kappa * du[FIELD_C] / u[FIELD_C];
    f[FIELD_C]   = -FARADAY * es.D * du[FIELD_C] + es.tplus * f[FIELD_PHI];
  } break;
  case CASE_ACTIVE:
  case CASE_TRANSIENT:
    f[FIELD_C]   = -FARADAY * mf->p->region[REGION_CATHODE].active.diffusivity * du[FIELD_C],
    f[FIELD_PHI] = -mf->p->region[REGION_CATHODE].active.conductivity * du[FIELD_PHI];
    break;
  default:
    f[FIELD_C]   = 0,
    f[FIELD_PHI] = -(mf->kase == CASE_LITHIUM ? mf->p->region[REGION_ANODE].conductivity : mf->p->region[REGION_SEPARATOR].electrolyte.conductivity) *
                   du[FIELD_PHI];
  }
}

/* s = div(flux) (+ dc/dt), by a fourth-order central difference of the flux. */
static PetscErrorCode Source(PetscReal x, PetscReal y, PetscReal t, PhaseType phase, PetscReal s[], void *ctx)
{
  const Manufactured *mf = (const Manufactured *)ctx;
  const double        h  = 1e-3 * mf->L;
  double              f1[2], f2[2], f3[2], f4[2];
  (void)phase, (void)y; /* unused: the signature is shared */
  Flux(mf, x - 2 * h, t, f1), Flux(mf, x - h, t, f2), Flux(mf, x + h, t, f3), Flux(mf, x + 2 * h, t, f4);
  for (int a = 0; a < 2; a++)
    s[a] = (f1[a] - 8 * f2[a] + 8 * f3[a] - f4[a]) / (12 * h);
  s[FIELD_C] /= FARADAY;
  if (mf->kase == CASE_TRANSIENT) s[FIELD_C] += 5000 * (x / mf->L) * 3 * cos(3 * t);
  return 0;
}

static PetscErrorCode BoundaryValues(Side side, PetscReal x, PetscReal y, PetscReal t, PetscReal u[], void *ctx)
{
  const Manufactured *mf = (const Manufactured *)ctx;
  (void)x, (void)y; /* the 1D field: its ends */
  Exact(mf, side == SIDE_XMIN ? 0.0 : mf->L, t, u);
  return 0;
}

static PetscErrorCode SteadyResidual(SNES snes, Vec U, Vec F, void *ctx)
{
  Model *m = (Model *)ctx;
  Vec    zero;
  PetscFunctionBeginUser;
  (void)snes; /* unused: the signature is shared */
  PetscCall(VecDuplicate(U, &zero));
  PetscCall(VecZeroEntries(zero));
  PetscCall(ModelIFunction(NULL, 0.0, U, zero, F, m));
  PetscCall(VecDestroy(&zero));
  PetscFunctionReturn(0);
}

static PetscErrorCode SteadyJacobian(SNES snes, Vec U, Mat J, Mat P, void *ctx)
{
  Model *m = (Model *)ctx;
  PetscFunctionBeginUser;
  (void)snes; /* unused: the signature is shared */
  PetscCall(ModelIJacobian(NULL, 0.0, U, U, 0.0, J, P, m));
  PetscFunctionReturn(0);
}

/* Max error over cells of each field, relative to the field's variation. */
static PetscErrorCode Solve(Case kase, PetscInt n, PetscReal dt, double *err)
{
  Params        p;
  Model        *m;
  Manufactured  mf;
  Vec           U;
  Mat           J;
  PhaseType     phase = kase == CASE_LITHIUM ? PHASE_LITHIUM : (kase == CASE_ACTIVE || kase == CASE_TRANSIENT) ? PHASE_ACTIVE : PHASE_ELECTROLYTE;
  const double  T     = 1.0;
  const double  scale[5][2] = {{1, 1e-3}, {1, 1e-3}, {300, 0.02}, {10000, 0.01}, {5000, 0.01}};
  PetscScalar  *u;
  const VarKind var[2] = {phase == PHASE_ELECTROLYTE ? VAR_C_E : VAR_C_S, phase == PHASE_ELECTROLYTE ? VAR_PHI_E : VAR_PHI_S};

  PetscFunctionBeginUser;
  FixtureBase(&p);
  if (kase == CASE_BINARY)
    FixtureBinary(&p, 1e-11, 3e-11, 1000);
  else
    FixtureSingleIon(&p, 0.3);
  FixtureThinFilm(&p, 3e-6, n);
  mf = (Manufactured){kase, &p, kase == CASE_ACTIVE || kase == CASE_TRANSIENT ? 3e-6 : 100e-6};
  PetscCall(ModelCreateUniform(PETSC_COMM_WORLD, &p, phase, n, mf.L, &m));
  m->source = Source, m->source_ctx = &mf, m->bc_function = BoundaryValues, m->bc_ctx = &mf;
  for (int s = SIDE_XMIN; s <= SIDE_XMAX; s++)
    for (int v = 0; v < VIEW_COUNT; v++)
      for (int a = 0; a < FIELD_COUNT; a++)
        m->bc[s][v][a] = (Boundary){ModelUnknown(m, m->xs, var[a], 0) >= 0 ? BC_VALUE : BC_FLUX, 0.0};
  PetscCall(ModelCreateVector(m, &U));
  PetscCall(ModelCreateMatrix(m, &J));
  PetscCall(VecGetArray(U, &u));
  for (PetscInt i = m->xs; i < m->xs + m->xm; i++) {
    PetscReal ue[2];
    Exact(&mf, m->x_centres[i], 0.0, ue);
    for (int a = 0; a < 2; a++)
      if (ModelUnknown(m, i, var[a], 0) >= 0) u[ModelUnknown(m, i, var[a], 0)] = ue[a];
  }
  PetscCall(VecRestoreArray(U, &u));
  if (kase == CASE_TRANSIENT) {
    TS      ts;
    TSAdapt adapt;
    SNES    snes;
    PetscCall(TSCreate(PETSC_COMM_WORLD, &ts));
    PetscCall(TSSetType(ts, TSBDF));
    PetscCall(TSBDFSetOrder(ts, 2));
    PetscCall(TSSetIFunction(ts, NULL, ModelIFunction, m));
    PetscCall(TSSetIJacobian(ts, J, J, ModelIJacobian, m));
    PetscCall(TSGetAdapt(ts, &adapt));
    PetscCall(TSAdaptSetType(adapt, TSADAPTNONE));
    PetscCall(TSSetTimeStep(ts, dt));
    PetscCall(TSSetMaxTime(ts, T));
    PetscCall(TSSetExactFinalTime(ts, TS_EXACTFINALTIME_MATCHSTEP));
    PetscCall(TSGetSNES(ts, &snes));
    PetscCall(SNESSetTolerances(snes, 1e-12, 1e-14, 1e-16, 50, PETSC_DEFAULT));
    PetscCall(TSSolve(ts, U));
    PetscCall(TSDestroy(&ts));
  } else {
    SNES snes;
    KSP  ksp;
    PC   pc;
    PetscCall(SNESCreate(PETSC_COMM_WORLD, &snes));
    PetscCall(SNESSetFunction(snes, NULL, SteadyResidual, m));
    PetscCall(SNESSetJacobian(snes, J, J, SteadyJacobian, m));
    PetscCall(SNESSetTolerances(snes, 1e-14, 1e-14, 1e-16, 50, PETSC_DEFAULT));
    PetscCall(SNESGetKSP(snes, &ksp));
    PetscCall(KSPSetType(ksp, KSPPREONLY));
    PetscCall(KSPGetPC(ksp, &pc));
    PetscCall(PCSetType(pc, PCLU));
    PetscCall(SNESSolve(snes, NULL, U));
    PetscCall(SNESDestroy(&snes));
  }
  err[0] = err[1] = 0;
  PetscCall(VecGetArray(U, &u));
  for (PetscInt i = m->xs; i < m->xs + m->xm; i++) {
    double ue[2];
    Exact(&mf, m->x_centres[i], kase == CASE_TRANSIENT ? T : 0.0, ue);
    for (int a = 0; a < 2; a++)
      if (ModelUnknown(m, i, var[a], 0) >= 0) err[a] = fmax(err[a], fabs(u[ModelUnknown(m, i, var[a], 0)] - ue[a]) / scale[kase][a]);
  }
  PetscCall(VecRestoreArray(U, &u));
  PetscCall(MatDestroy(&J));
  PetscCall(VecDestroy(&U));
  PetscCall(ModelDestroy(&m));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  static const char *fields[2] = {"concentration", "potential"};

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  for (int k = CASE_LITHIUM; k <= CASE_TRANSIENT; k++) {
    double err[3][2];
    Params p;
    FixtureBase(&p);
    if (k == CASE_BINARY)
      FixtureBinary(&p, 1e-11, 3e-11, 1000);
    else
      FixtureSingleIon(&p, 0.3);
    for (int lev = 0; lev < 3; lev++) {
      if (k == CASE_TRANSIENT)
        PetscCall(Solve((Case)k, 8, 0.05 / (1 << lev), err[lev]));
      else
        PetscCall(Solve((Case)k, 16 << lev, 0, err[lev]));
    }
    for (int a = 0; a < 2; a++) {
      const PhaseType ph = k == CASE_LITHIUM ? PHASE_LITHIUM : (k == CASE_ACTIVE || k == CASE_TRANSIENT) ? PHASE_ACTIVE : PHASE_ELECTROLYTE;
      char            name[128];
      double          order;
      /* the fields the phase solves for: a single-ion conductor holds its c0 */
      if ((a == FIELD_C && (ph == PHASE_LITHIUM || (ph == PHASE_ELECTROLYTE && p.region[REGION_SEPARATOR].electrolyte.kind != ELECTROLYTE_BINARY))) ||
          (k == CASE_TRANSIENT && a == FIELD_PHI))
        continue;
      order = log2(err[1][a] / err[2][a]);
      snprintf(name, sizeof name, "mms_%s_%s_%s_order", CaseNames[k], fields[a], k == CASE_TRANSIENT ? "time" : "space");
      check(order > 1.9 && order < 2.2, name, "observed order %.3f on the two finest, want %.0f", order, 2.0);
      printf("#   %s errors: %.3e %.3e %.3e, orders %.3f %.3f\n", name, err[0][a], err[1][a], err[2][a], log2(err[0][a] / err[1][a]), order);
    }
  }
  PetscCall(PetscFinalize());
  return test_failures ? 1 : 0;
}
