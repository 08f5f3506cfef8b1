/* Kernel unit tests, no grid: every face kernel's analytic derivatives
 * against central finite differences, and the Butler-Volmer face solve
 * against the equation it solves. */
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
  FluxBinaryElectrolyte(&p->electrolyte, p->temperature, uL, uR, 3e-6, 5e-6, f);
}
static void Solid(const Params *p, const double *uL, const double *uR, FaceFlux *f)
{
  (void)p; /* unused: the signature is shared */
  FluxSolidDiffusion(4e-15, 4e-15, uL, uR, 1e-7, 1e-7, f);
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
      s = (InterfaceSetup){&k, &p.electrolyte, electrode ? &p.active : NULL, 298.15, electrode ? 0.18 : 1.1e7, 1.5e-7, 2.5e-6};
      for (int sign = -1; sign <= 1; sign += 2) {
        double U, dU;
        ActiveOcp(&p.active, 0.55, &U, &dU);
        ue[0] = electrode ? 0.55 * p.active.max_concentration : 0.0;
        ue[1] = (electrode ? U : 0.0) + sign * 0.05;
        InterfaceEvaluate(&s, ue, uc, &out);
        snprintf(name, sizeof name, "interface_%s_%s_%s_jacobian", en, kn, sign > 0 ? "anodic" : "cathodic");
        check(out.in_domain && InterfaceDerivativeError(&s, ue, uc) < 1e-5, name, "max rel err %.2e (tol %.0e)", InterfaceDerivativeError(&s, ue, uc),
              1e-5);
        {
          /* the solved current satisfies Butler-Volmer at the reconstructed overpotential */
          const double f  = FARADAY / (GAS_CONSTANT * 298.15);
          double       i0 = k.exchange_current_density * pow(out.c_face / p.electrolyte.concentration, k.alpha_a);
          if (electrode) i0 *= pow(2 * (1 - out.theta_face), k.alpha_a) * pow(2 * out.theta_face, k.alpha_c);
          snprintf(name, sizeof name, "interface_%s_%s_%s_butler_volmer", en, kn, sign > 0 ? "anodic" : "cathodic");
          check_rel(name, out.i, i0 * (exp(k.alpha_a * f * out.eta) - exp(-k.alpha_c * f * out.eta)), 1e-10);
        }
      }
    }
  }
  PetscCall(PetscFinalize());
  return test_failures ? 1 : 0;
}
