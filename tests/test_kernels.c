/* Kernel unit tests, no grid: every face kernel's analytic derivatives
 * against central finite differences, and the Butler-Volmer face solve
 * against the equation it solves, at a few hand-picked states and over a
 * sweep of many orders of magnitude of i0, overpotential, film resistance,
 * concentrations, stoichiometry, temperature and cell size. */
#include "fixtures.h"
#include "testing.h"

static double Relative(double a, double b, double scale)
{
  return fabs(a - b) / (fabs(a) + fabs(b) + scale);
}

/* max relative mismatch between analytic and finite-difference derivatives of an interface */
static double InterfaceDerivativeError(const InterfaceSetup *s, const double ue[2], const double uc[2])
{
  InterfaceFlux k, kp, km;
  double        worst = 0, q[4] = {ue[0], ue[1], uc[0], uc[1]};
  InterfaceEvaluate(s, ue, uc, &k);
  for (int b = 0; b < 4; b++) {
    double h = 1e-6 * (fabs(q[b]) + 1e-3), qp[4], qm[4];
    memcpy(qp, q, sizeof q), memcpy(qm, q, sizeof q);
    qp[b] += h, qm[b] -= h;
    InterfaceEvaluate(s, qp, qp + 2, &kp);
    InterfaceEvaluate(s, qm, qm + 2, &km);
    worst = fmax(worst, Relative(k.di[b], (kp.i - km.i) / (2 * h), 1e-6 * fabs(k.i / (fabs(q[b]) + 1e-3))));
  }
  return worst;
}

static double FluxDerivativeError(void (*kernel)(const Params *, const double *, const double *, FaceFlux *), const Params *p, const double uL[2],
                                  const double uR[2])
{
  FaceFlux f, fp, fm;
  double   worst = 0, q[4] = {uL[0], uL[1], uR[0], uR[1]};
  kernel(p, uL, uR, &f);
  for (int b = 0; b < 4; b++) {
    double h = 1e-6 * (fabs(q[b]) + 1e-3), qp[4], qm[4];
    memcpy(qp, q, sizeof q), memcpy(qm, q, sizeof q);
    qp[b] += h, qm[b] -= h;
    kernel(p, qp, qp + 2, &fp);
    kernel(p, qm, qm + 2, &fm);
    for (int a = 0; a < 2; a++)
      worst = fmax(worst, Relative(f.J[a][b], (fp.f[a] - fm.f[a]) / (2 * h), 1e-8 * (fabs(f.f[a]) + 1e-12) / (fabs(q[b]) + 1e-3)));
  }
  return worst;
}

static void Binary(const Params *p, const double *uL, const double *uR, FaceFlux *f)
{
  FluxBinaryElectrolyte(&p->region[REGION_SEPARATOR].electrolyte, 1.0, &p->region[REGION_SEPARATOR].electrolyte, 1.0, p->temperature, uL, uR, 3e-6,
                        5e-6, f);
}
static void Solid(const Params *p, const double *uL, const double *uR, FaceFlux *f)
{
  (void)p; /* unused: the signature is shared */
  FluxSolidDiffusion(4e-15, 4e-15, uL, uR, 1e-7, 1e-7, f);
}

/* ---- the interface solve over the whole parameter range ----
 * Every current InterfaceEvaluate returns as valid must be a root of
 *   G(i) = i - i0_face [exp(alpha_a f eta) - exp(-alpha_c f eta)],
 *   eta  = phi_s - phi_e - (d_s/sigma_s + d_e/kappa(c) + R_film) i - beta ln(c_face/c) - U(theta_face),
 *   c_face = c + a_c i, theta_face = theta - a_s i            (docs/model.md, "Interfaces"),
 * recomputed here from the cell states, in long double (no overflow for any
 * eta of the sweep), so that a kernel returning an unconverged iterate, a
 * clamped exponential or face values that do not belong to its current
 * fails. G is evaluated at the returned face values, which are checked to
 * be c + a_c i and theta - a_s i to 1e-12 of the cell values: near
 * depletion c_face is a small difference of two large numbers, which a
 * double current cannot pin down relative to c_face itself, while the
 * returned c_face can. The residual is measured against the current scale
 * |i| + i0_face: rounding leaves |G| ~ f eps (|i| + i0_face) times the volts
 * that enter eta (< 1e-12 for the 50 V of the sweep), so 1e-10 is a margin
 * of 100 over rounding, far below what an unconverged iterate leaves. */

typedef struct {
  double i0, film, ds, de, c_ratio, theta, T, eta0, offset, alpha_a, sigma_e, Dp, Dm, Ds, sigma_s;
  int    binary, active, cd;
} SweepCase;

typedef struct {
  Params         p;
  Kinetics       k;
  InterfaceSetup s;
  double         ue[2], uc[2];
} SweepSetup;

static void SweepBuild(const SweepCase *sc, SweepSetup *w)
{
  double U = 0, dU;

  FixtureBase(&w->p);
  w->p.temperature = sc->T;
  if (sc->binary)
    FixtureBinary(&w->p, sc->Dp, sc->Dm, 1000.0);
  else
    FixtureSingleIon(&w->p, sc->sigma_e);
  FixtureThinFilm(&w->p, 3e-6, 10);
  w->p.region[REGION_CATHODE].active.diffusivity  = sc->Ds;
  w->p.region[REGION_CATHODE].active.conductivity = sc->sigma_s;
  w->k                                            = (Kinetics){sc->i0, sc->alpha_a, 1.0 - sc->alpha_a, sc->film, sc->cd ? PETSC_TRUE : PETSC_FALSE};
  w->s = (InterfaceSetup){&w->k, &w->p.region[REGION_SEPARATOR].electrolyte, sc->active ? &w->p.region[REGION_CATHODE].active : NULL,
                          sc->T, sc->active ? sc->sigma_s : 1.1e7,           sc->ds,
                          sc->de};
  if (sc->active) ActiveOcp(&w->p.region[REGION_CATHODE].active, sc->theta, &U, &dU);
  w->ue[0] = sc->active ? sc->theta * w->p.region[REGION_CATHODE].active.max_concentration : 0.0;
  w->ue[1] = U + sc->eta0 + sc->offset;
  w->uc[0] = sc->c_ratio * w->p.region[REGION_SEPARATOR].electrolyte.concentration;
  w->uc[1] = sc->offset;
}

typedef struct {
  long double G, scale, eta, c_face, theta_face, vacancy_face; /* vacancy_face = 1 - theta_face */
  long double c_range, theta_range, vacancy_range;             /* the sizes of the terms the face values are summed from */
  long double eta_range;                                       /* and of the terms eta is summed from */
  PetscBool   inside;
} FaceCheck;

/* G at current i for the cell states (ue, uc), from the model as documented;
 * at the given face values when face is not NULL */
static void FaceResidual(const InterfaceSetup *s, const double ue[2], const double uc[2], long double i, const InterfaceFlux *face, FaceCheck *r)
{
  const Kinetics *k = s->kinetics;
  const double    c = uc[0], theta = s->active ? ue[0] / s->active->max_concentration : 0.5;
  long double     f = FARADAY / (GAS_CONSTANT * s->T), kappa, a_c = 0, beta = 0, a_s = 0, U = 0, i0;
  double          Ud = 0, dU;

  if (s->electrolyte->kind == ELECTROLYTE_BINARY) {
    ElectrolyteState es;
    ElectrolyteEvaluate(s->electrolyte, c, &es);
    kappa = es.kappa, a_c = s->d_e * (1.0L - es.tplus) / (FARADAY * es.D), beta = 2.0L / f * (1.0L - es.tplus) * es.chi;
  } else
    kappa = s->electrolyte->conductivity;
  if (s->active) a_s = s->d_s / (FARADAY * (long double)s->active->diffusivity * s->active->max_concentration);
  r->c_face        = c + a_c * i;
  r->theta_face    = theta - a_s * i;
  r->vacancy_face  = (s->active ? (s->active->max_concentration - (long double)ue[0]) / s->active->max_concentration : 0.5L) + a_s * i;
  r->c_range       = c + fabsl(a_c * i);
  r->theta_range   = theta + fabsl(a_s * i);
  r->vacancy_range = r->vacancy_face - a_s * i + fabsl(a_s * i);
  if (face) r->c_face = face->c_face, r->theta_face = face->theta_face;
  r->inside = (PetscBool)(r->c_face > 0 && (!s->active || (r->theta_face > 0 && r->vacancy_face > 0)));
  if (!r->inside) return;
  if (s->active) ActiveOcp(s->active, (double)r->theta_face, &Ud, &dU), U = Ud;
  {
    const long double phi = (long double)(ue[1] - uc[1]), ohm = (s->d_s / (long double)s->sigma_s + s->d_e / kappa + k->film_resistance) * i;
    const long double diffusion = a_c != 0 ? beta * logl(r->c_face / c) : 0;
    r->eta                      = phi - ohm - diffusion - U;
    r->eta_range                = fabsl(phi) + fabsl(ohm) + fabsl(diffusion) + fabsl(U);
  }
  i0 = k->exchange_current_density;
  if (k->concentration_dependent) {
    i0 *= powl(r->c_face / s->electrolyte->concentration, k->alpha_a);
    if (s->active) i0 *= powl(2 * r->vacancy_face, k->alpha_a) * powl(2 * r->theta_face, k->alpha_c);
  }
  r->G     = i - i0 * (expl(k->alpha_a * f * r->eta) - expl(-k->alpha_c * f * r->eta));
  r->scale = fabsl(i) + i0;
}

/* A root of G by bisection in long double, independent of the kernel: the
 * reference for a state the kernel calls unphysical. Below the range that
 * keeps c_face > 0 and theta_face < 1 G counts as negative, above the one
 * that keeps theta_face > 0 as positive. Returns PETSC_FALSE without a
 * sign change. */
static PetscBool ReferenceRoot(const InterfaceSetup *s, const double ue[2], const double uc[2], long double *root)
{
  long double lo = -1, hi = 1;
  int         n;

  for (n = 0; n < 2100; n++) {
    FaceCheck r;
    FaceResidual(s, ue, uc, lo, NULL, &r);
    if (!r.inside && (r.c_face <= 0 || r.vacancy_face <= 0)) break;
    if (r.inside && r.G < 0) break;
    lo *= 2;
  }
  for (n = 0; n < 2100; n++) {
    FaceCheck r;
    FaceResidual(s, ue, uc, hi, NULL, &r);
    if (!r.inside && r.theta_face <= 0) break;
    if (r.inside && r.G > 0) break;
    hi *= 2;
  }
  if (!isfinite(lo) || !isfinite(hi)) return PETSC_FALSE;
  for (n = 0; n < 20000; n++) {
    const long double mid = 0.5L * lo + 0.5L * hi;
    FaceCheck         r;
    int               negative;
    if (mid <= lo || mid >= hi) break;
    FaceResidual(s, ue, uc, mid, NULL, &r);
    negative = r.inside ? r.G < 0 : (r.c_face <= 0 || r.vacancy_face <= 0);
    if (negative)
      lo = mid;
    else
      hi = mid;
  }
  *root = 0.5L * lo + 0.5L * hi;
  return PETSC_TRUE;
}

/* Analytic di/du against central differences at steps h, h/4, h/16, ...,
 * h = 1e-6 of the cell value (of its distance to c_s,max for c_s; 1e-6 V
 * for a potential). Each pair of successive steps gives a Richardson
 * value, whose truncation error is estimated by the difference of the pair
 * and whose rounding by 16 times the rounding of i over the step: relative
 * eps, amplified by (1 - theta + a_s |i|)/(1 - theta_face) near a full face
 * (1 - theta_face is then a difference), plus eps of the volts eta is
 * summed from through di/dphi_s (near i = 0 eta is a difference). A pair
 * whose two estimates together stay below 1e-4 of the value is compared,
 * allowing for both; steps are refined, up to 4 pairs, until one agrees to
 * 1e-5 or resolves the derivative to 1e-6 (a step that takes a face value
 * out of its range is replaced by a smaller one). A derivative whose rounding
 * estimate at the first pair exceeds 1e-4 of it is skipped: over a change of
 * q as large as q (1 mV for a potential) it moves i by less than 1e-5 of
 * |i| + 1 V |di/dphi|, so it carries no weight in the Jacobian. One that no pair
 * resolves is counted as unresolved: separately when a face value is
 * within 1e-3 of where it vanishes (relative to its cell value), where the
 * current's response is sharper than any step a double current resolves. */
static double SweepDerivativeError(const SweepSetup *w, const InterfaceFlux *k, const FaceCheck *r, PetscInt *skipped, PetscInt *unresolved,
                                   PetscInt *unresolved_edge)
{
  const double q[4] = {w->ue[0], w->ue[1], w->uc[0], w->uc[1]};
  const double cmax = w->p.region[REGION_CATHODE].active.max_concentration, vacancy = (cmax - q[0]) / cmax;
  const double amplify = w->s.active ? (r->vacancy_face > 0 ? 1 + (double)(r->vacancy_range / r->vacancy_face) : INFINITY) : 1;
  const int    edge    = k->c_face < 1e-3 * q[2] || (w->s.active && (k->theta_face < 1e-3 * q[0] / cmax || r->vacancy_face < 1e-3L * vacancy));
  double       worst   = 0;

  for (int b = 0; b < 4; b++) {
    const double h       = b == 0 ? 1e-6 * PetscMin(q[0], cmax - q[0]) : (b == 2 ? 1e-6 * q[2] : 1e-6);
    double       fd_prev = NAN, best = INFINITY;
    int          compared = 0;
    if (b == 0 && !w->s.active) continue;
    for (int lev = 0, pairs = 0; lev < 8 && pairs < 4; lev++) {
      const double  hb    = h / (1 << (2 * lev));
      const double  noise = 16 * PETSC_MACHINE_EPSILON * (amplify * fabs(k->i) + (double)r->eta_range * fabs(k->di[1])) / hb;
      double        qp[4], qm[4], fd;
      InterfaceFlux kp, km;
      if (lev == 0 && 4 * noise > 1e-4 * fabs(k->di[b])) { /* not resolved to 1e-4 even by the first pair: below the rounding of i */
        (*skipped)++;
        compared = 1, best = 0;
        break;
      }
      memcpy(qp, q, sizeof q), memcpy(qm, q, sizeof q);
      qp[b] += hb, qm[b] -= hb;
      InterfaceEvaluate(&w->s, qp, qp + 2, &kp);
      InterfaceEvaluate(&w->s, qm, qm + 2, &km);
      if (!kp.in_domain || !km.in_domain) { /* the step reaches past the face range: start again smaller */
        fd_prev = NAN;
        continue;
      }
      fd = (kp.i - km.i) / (qp[b] - qm[b]); /* the step as rounded: c_s near c_s,max is a large number */
      if (!isnan(fd_prev)) {
        const double richardson = (16 * fd - fd_prev) / 15, spread = fabs(fd - fd_prev) / 15;
        const double excess = fabs(k->di[b] - richardson) - spread - noise;
        const double err    = excess > 0 ? excess / (fabs(k->di[b]) + fabs(richardson)) : 0;
        pairs++;
        if (spread + noise <= 1e-4 * fabs(richardson)) compared = 1, best = fmin(best, err);
        if (compared && (err <= 1e-5 || spread + noise <= 1e-6 * fabs(richardson))) break;
      }
      fd_prev = fd;
    }
    if (!compared)
      (*(edge ? unresolved_edge : unresolved))++;
    else
      worst = fmax(worst, best);
  }
  return worst;
}

static void SweepCaseView(const char *label, const SweepCase *c)
{
  printf("  %s: binary %d active %d concentration_dependent %d i0 %.17g A/m^2 alpha_a %.17g film %.17g Ohm m^2 d_s %.17g d_e %.17g m c/c_ref %.17g "
         "theta %.17g T %.17g K eta0 %.17g V offset %.17g V sigma_e %.17g S/m D+ %.17g D- %.17g D_s %.17g m^2/s sigma_s %.17g S/m\n",
         label, c->binary, c->active, c->cd, c->i0, c->alpha_a, c->film, c->ds, c->de, c->c_ratio, c->theta, c->T, c->eta0, c->offset, c->sigma_e,
         c->Dp, c->Dm, c->Ds, c->sigma_s);
}

/* A reproducible log-uniform sample of the parameter space. */
static double Uniform(unsigned long long *state, double a, double b)
{
  *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
  return a + (b - a) * (double)(*state >> 11) / 9007199254740992.0;
}

static void SweepSample(unsigned long long *r, SweepCase *sc)
{
  const double e = Uniform(r, -5, log10(40.0)), u = Uniform(r, -14, 14);
  sc->binary  = Uniform(r, 0, 1) < 0.5;
  sc->active  = Uniform(r, 0, 1) < 0.5;
  sc->cd      = Uniform(r, 0, 1) < 0.5;
  sc->i0      = pow(10, Uniform(r, -2, 8));                               /* 1e-6 .. 1e4 A/cm^2 */
  sc->film    = Uniform(r, 0, 1) < 0.25 ? 0 : pow(10, Uniform(r, -8, 0)); /* 0 .. 1e4 Ohm cm^2 */
  sc->ds      = pow(10, Uniform(r, -9, -1));                              /* 1 nm .. 10 cm */
  sc->de      = pow(10, Uniform(r, -9, -1));
  sc->c_ratio = pow(10, Uniform(r, -6, log10(5.0)));
  sc->theta   = 1 / (1 + exp(-u));                                                            /* 1e-6 .. 1 - 1e-6 */
  sc->T       = Uniform(r, 233.15, 423.15);                                                   /* -40 .. 150 degC */
  sc->eta0    = Uniform(r, 0, 1) < 0.05 ? 0 : (Uniform(r, 0, 1) < 0.5 ? -1 : 1) * pow(10, e); /* up to 40 V either way */
  sc->offset  = Uniform(r, -5, 5);
  sc->alpha_a = Uniform(r, 0, 1) < 0.5 ? 0.5 : Uniform(r, 0.2, 0.8);
  sc->sigma_e = pow(10, Uniform(r, -4, 0));
  sc->Dp      = pow(10, Uniform(r, -13, -9));
  sc->Dm      = pow(10, Uniform(r, -13, -9));
  sc->Ds      = pow(10, Uniform(r, -17, -12));
  sc->sigma_s = pow(10, Uniform(r, -3, 2));
}

/* The corners of the same space, all combinations. */
static void SweepCorner(PetscInt n, SweepCase *sc)
{
  const double i0[2] = {1e-2, 1e8}, film[2] = {0, 1}, d[2] = {1e-9, 0.1}, c[2] = {1e-6, 3}, th[2] = {1e-6, 1 - 1e-6}, T[2] = {233.15, 423.15};
  const double eta[5] = {-40, -1e-3, 0, 1e-3, 40};
  *sc                 = (SweepCase){0, 0, 0, 0, 0, 0, 0, 0, 0.3, 0.5, 0.03, 1e-11, 3e-11, 4e-15, 0.18, 0, 0, 0};
  sc->i0              = i0[n % 2], n /= 2;
  sc->film            = film[n % 2], n /= 2;
  sc->ds              = d[n % 2], n /= 2;
  sc->de              = d[n % 2], n /= 2;
  sc->c_ratio         = c[n % 2], n /= 2;
  sc->theta           = th[n % 2], n /= 2;
  sc->T               = T[n % 2], n /= 2;
  sc->eta0            = eta[n % 5], n /= 5;
  sc->binary          = (int)(n % 2), n /= 2;
  sc->active          = (int)(n % 2), n /= 2;
  sc->cd              = (int)(n % 2);
}
#define SWEEP_CORNERS (2 * 2 * 2 * 2 * 2 * 2 * 2 * 5 * 2 * 2 * 2)

static void InterfaceSweep(PetscInt nrandom)
{
  unsigned long long rng   = 20240917ULL;
  PetscInt           cases = 0, valid = 0, above = 0, by_root = 0, flagged = 0, false_flags = 0, skipped = 0, unresolved = 0, unresolved_edge = 0,
           inconsistent = 0;
  double    worst_G = 0, worst_root = 0, worst_J = 0, worst_face = 0;
  SweepCase worst_case = {0}, root_case = {0}, false_case = {0}, face_case = {0}, jac_case = {0}, unresolved_case = {0};
  char      fmt[256];

  for (PetscInt n = 0; n < SWEEP_CORNERS + nrandom; n++) {
    SweepCase     sc;
    SweepSetup    w;
    InterfaceFlux out;
    FaceCheck     r, g;
    long double   root;

    if (n < SWEEP_CORNERS)
      SweepCorner(n, &sc);
    else
      SweepSample(&rng, &sc);
    SweepBuild(&sc, &w);
    InterfaceEvaluate(&w.s, w.ue, w.uc, &out);
    cases++;
    if (!out.in_domain) {
      /* unphysical only if no root keeps every face value above 1e-12 of its cell value (with a G the
         reference resolves) */
      flagged++;
      if (ReferenceRoot(&w.s, w.ue, w.uc, &root)) {
        const long double vacancy = w.s.active ? (w.p.region[REGION_CATHODE].active.max_concentration - (long double)w.ue[0]) /
                                                     w.p.region[REGION_CATHODE].active.max_concentration
                                               : 1;
        FaceResidual(&w.s, w.ue, w.uc, root, NULL, &r);
        if (r.inside && fabsl(r.G) <= 1e-12L * r.scale && r.c_face > 1e-12L * w.uc[0] &&
            (!w.s.active || (r.theta_face > 1e-12L * sc.theta && r.vacancy_face > 1e-12L * vacancy))) {
          if (!false_flags) false_case = sc;
          false_flags++;
        }
      }
      continue;
    }
    valid++;
    FaceResidual(&w.s, w.ue, w.uc, out.i, NULL, &r); /* the face values of the returned current, from it */
    {
      const double dc = (double)(fabsl(out.c_face - r.c_face) / r.c_range), dt = (double)(fabsl(out.theta_face - r.theta_face) / r.theta_range);
      const double e = fmax(dc, dt) / 1e-12;
      if (!(e <= worst_face)) worst_face = e, face_case = sc;
      if (!(e <= 1)) inconsistent++;
    }
    FaceResidual(&w.s, w.ue, w.uc, out.i, &out, &g); /* G at the returned face values */
    if (g.inside) {
      /* the returned overpotential is the one of the model at these face values */
      const double e = (double)(fabsl(out.eta - g.eta) / (1e-12L * (fabs(w.ue[1]) + fabs(w.uc[1]) + 1)));
      if (!(e <= 1)) inconsistent++;
      if (!(e <= worst_face)) worst_face = e, face_case = sc;
    }
    if (w.s.active && r.vacancy_face < 1e-4L * r.vacancy_range) {
      /* 1 - theta_face below 1e-4 of the terms it is summed from: a double current does not carry it
         precisely enough to recompute G from, but the current itself is sharp there. It must lie within
         the distance of the reference root that the tolerance on G allows, |G| / |dG/di|, with dG/di
         from differences over 1e-6 of the distance to the current that fills the face. */
      double rel = INFINITY;
      if (ReferenceRoot(&w.s, w.ue, w.uc, &root)) {
        FaceCheck   rr, rp, rm;
        long double delta, slope;
        FaceResidual(&w.s, w.ue, w.uc, root, NULL, &rr);
        delta = 1e-6L * fabsl(root) * rr.vacancy_face / rr.vacancy_range;
        FaceResidual(&w.s, w.ue, w.uc, root + delta, NULL, &rp);
        FaceResidual(&w.s, w.ue, w.uc, root - delta, NULL, &rm);
        slope = (rp.G - rm.G) / (2 * delta);
        if (rr.inside && rp.inside && rm.inside && slope != 0 && isfinite(slope))
          rel = (double)(fabsl(out.i - root) / (1e-10L * rr.scale / fabsl(slope) + 4 * PETSC_MACHINE_EPSILON * fabsl(root)));
        else /* 1 - theta_face beyond even long double: the root is the current that fills the face, to rounding */
          rel = (double)(fabsl(out.i - root) / (8 * PETSC_MACHINE_EPSILON * fabsl(root)));
      }
      by_root++;
      if (!(rel <= worst_root)) worst_root = rel, root_case = sc;
    } else {
      const double rel = g.inside ? (double)(fabsl(g.G) / g.scale) : INFINITY;
      if (!(rel <= worst_G)) worst_G = rel, worst_case = sc;
      if (!(rel <= 1e-10)) above++;
    }
    {
      const PetscInt before = unresolved;
      const double   e      = SweepDerivativeError(&w, &out, &r, &skipped, &unresolved, &unresolved_edge);
      if (unresolved > before && before == 0) unresolved_case = sc;
      if (!(e <= worst_J)) worst_J = e, jac_case = sc;
    }
  }
  snprintf(fmt, sizeof fmt,
           "%" PetscInt_FMT " cases, %" PetscInt_FMT " valid, %" PetscInt_FMT " above the tolerance, worst |G|/(|i| + i0_face) %%.2e, tol %%.0e",
           cases, valid - by_root, above);
  if (!check(worst_G <= 1e-10, "interface_sweep_butler_volmer_residual", fmt, worst_G, 1e-10)) SweepCaseView("worst", &worst_case);
  snprintf(fmt, sizeof fmt,
           "%" PetscInt_FMT " valid with a face within 1e-4 of full: worst |i - i_root| %%.2e of 1e-10 (|i| + i0_face)/|dG/di| (want <= %%.0f)",
           by_root);
  if (!check(worst_root <= 1, "interface_sweep_full_face_current_is_the_root", fmt, worst_root, 1)) SweepCaseView("worst", &root_case);
  snprintf(fmt, sizeof fmt, "%" PetscInt_FMT " flagged unphysical, %%.0f of them with a root inside the domain (want %%.0f)", flagged);
  if (!check(false_flags == 0, "interface_sweep_no_false_domain_errors", fmt, (double)false_flags, 0.0)) SweepCaseView("first", &false_case);
  snprintf(fmt, sizeof fmt, "%" PetscInt_FMT " differences in c_face, theta_face or eta, worst %%.2e of the tolerance 1e-12 (want <= %%.0f)",
           inconsistent);
  if (!check(inconsistent == 0, "interface_sweep_face_values_belong_to_the_current", fmt, worst_face, 1.0)) SweepCaseView("worst", &face_case);
  snprintf(fmt, sizeof fmt,
           "%" PetscInt_FMT " valid cases x 4 derivatives: %" PetscInt_FMT " below rounding, not resolved by differences %" PetscInt_FMT
           " (+ %" PetscInt_FMT " with a face value within 1e-3 of vanishing), worst rel err %%.2e, tol %%.0e",
           valid, skipped, unresolved, unresolved_edge);
  if (!check(worst_J <= 1e-5 && unresolved <= valid / 1000 && unresolved_edge <= valid / 20, "interface_sweep_jacobian", fmt, worst_J, 1e-5)) {
    SweepCaseView("worst", &jac_case);
    SweepCaseView("first unresolved", &unresolved_case);
  }
}

int main(int argc, char **argv)
{
  Params p;

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  FixtureBase(&p);
  FixtureBinary(&p, 1e-11, 3e-11, 1000);
  {
    const double uL[2] = {900, 0.01}, uR[2] = {1150, -0.02};
    check(FluxDerivativeError(Binary, &p, uL, uR) < 1e-6, "binary_electrolyte_flux_jacobian", "max rel err %.2e (tol %.0e)",
          FluxDerivativeError(Binary, &p, uL, uR), 1e-6);
    check(FluxDerivativeError(Solid, &p, uL, uR) < 1e-6, "solid_diffusion_flux_jacobian", "max rel err %.2e (tol %.0e)",
          FluxDerivativeError(Solid, &p, uL, uR), 1e-6);
  }
  for (int kind = 0; kind < 2; kind++) {
    for (int electrode = 0; electrode < 2; electrode++) {
      Kinetics       k = {5.0, 0.7, 0.3, 2e-4, PETSC_TRUE};
      InterfaceSetup s;
      InterfaceFlux  out;
      char           name[128];
      const char    *kn = kind ? "binary" : "single_ion", *en = electrode ? "active" : "lithium";
      double         ue[2], uc[2]                             = {kind ? 800.0 : 18000.0, 0.0};

      FixtureBase(&p);
      if (kind)
        FixtureBinary(&p, 1e-11, 3e-11, 1000);
      else
        FixtureSingleIon(&p, 0.3);
      FixtureThinFilm(&p, 3e-6, 10);
      s = (InterfaceSetup){&k,
                           &p.region[REGION_SEPARATOR].electrolyte,
                           electrode ? &p.region[REGION_CATHODE].active : NULL,
                           298.15,
                           electrode ? 0.18 : 1.1e7,
                           1.5e-7,
                           2.5e-6};
      for (int sign = -1; sign <= 1; sign += 2) {
        double U, dU;
        ActiveOcp(&p.region[REGION_CATHODE].active, 0.55, &U, &dU);
        ue[0] = electrode ? 0.55 * p.region[REGION_CATHODE].active.max_concentration : 0.0;
        ue[1] = (electrode ? U : 0.0) + sign * 0.05;
        InterfaceEvaluate(&s, ue, uc, &out);
        snprintf(name, sizeof name, "interface_%s_%s_%s_jacobian", en, kn, sign > 0 ? "anodic" : "cathodic");
        check(out.in_domain && InterfaceDerivativeError(&s, ue, uc) < 1e-5, name, "max rel err %.2e (tol %.0e)", InterfaceDerivativeError(&s, ue, uc),
              1e-5);
        {
          /* the solved current satisfies Butler-Volmer at the reconstructed overpotential */
          const double f  = FARADAY / (GAS_CONSTANT * 298.15);
          double       i0 = k.exchange_current_density * pow(out.c_face / p.region[REGION_SEPARATOR].electrolyte.concentration, k.alpha_a);
          if (electrode) i0 *= pow(2 * (1 - out.theta_face), k.alpha_a) * pow(2 * out.theta_face, k.alpha_c);
          snprintf(name, sizeof name, "interface_%s_%s_%s_butler_volmer", en, kn, sign > 0 ? "anodic" : "cathodic");
          check_rel(name, out.i, i0 * (exp(k.alpha_a * f * out.eta) - exp(-k.alpha_c * f * out.eta)), 1e-10);
        }
      }
    }
  }
  InterfaceSweep(200000);
  PetscCall(PetscFinalize());
  return test_failures ? 1 : 0;
}
