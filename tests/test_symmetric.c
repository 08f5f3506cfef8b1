/* Li | single-ion solid electrolyte | Li at constant current. The potential
 * is piecewise linear, which the two-point scheme represents exactly, so the
 * cell voltage must equal the closed form
 *   V = -[ i (L_se/sigma + L_Li/sigma_Li) + eta_a(i) - eta_c(-i) + 2 R_film i ]
 * to solver tolerance at every resolution; for alpha_a = alpha_c = 1/2,
 * eta(i) = (2RT/F) asinh(i / 2 i0). */
#include "fixtures.h"
#include "testing.h"

/* Butler-Volmer inverse by scalar Newton: eta with i = i0 [e^(aa f eta) - e^(-ac f eta)]. */
static double Overpotential(double i, const Kinetics *k, double T)
{
  const double f   = FARADAY / (GAS_CONSTANT * T);
  double       eta = 0;
  for (int it = 0; it < 100; it++) {
    double g  = k->exchange_current_density * (exp(k->alpha_a * f * eta) - exp(-k->alpha_c * f * eta)) - i;
    double dg = k->exchange_current_density * f * (k->alpha_a * exp(k->alpha_a * f * eta) + k->alpha_c * exp(-k->alpha_c * f * eta));
    eta -= g / dg;
    if (fabs(g) < 1e-15 * (fabs(i) + 1)) break;
  }
  return eta;
}

static PetscErrorCode RunCell(Params *p, double *V)
{
  Simulation  sim;
  RunSummary  s;
  Model      *m;
  Vec         U;
  Observation o;

  PetscFunctionBeginUser;
  PetscCall(SimulationCreate(PETSC_COMM_WORLD, p, 0, NULL, &sim));
  PetscCall(SimulationRun(sim, &s));
  PetscCall(SimulationGetModel(sim, &m, &U, NULL));
  PetscCall(ModelObserve(m, s.end_time, U, &o));
  *V = o.voltage;
  PetscCall(SimulationDestroy(&sim));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  Params    p;
  const int cells[2] = {5, 40};

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  for (int variant = 0; variant < 2; variant++) {
    for (int r = 0; r < 2; r++) {
      const double cur = 10.0; /* 1 mA/cm^2 */
      double       V, Vref, eta_a, eta_c;
      char         name[128];

      FixtureBase(&p);
      FixtureSingleIon(&p, 0.1); /* 1 mS/cm */
      p.region[REGION_SEPARATOR].layer.cells = cells[r];
      if (variant == 1) {
        p.region[REGION_ANODE].kinetics   = (Kinetics){5.0, 0.7, 0.3, 1e-4, PETSC_FALSE};
        p.region[REGION_CATHODE].kinetics = p.region[REGION_ANODE].kinetics;
      }
      p.steps[0] = FixtureStep(STEP_DISCHARGE, cur, 10.0, PETSC_INFINITY);
      PetscCall(RunCell(&p, &V));
      eta_a = Overpotential(cur, &p.region[REGION_ANODE].kinetics, p.temperature);
      eta_c = Overpotential(-cur, &p.region[REGION_CATHODE].kinetics, p.temperature);
      Vref  = -(cur * (p.region[REGION_SEPARATOR].layer.thickness / p.region[REGION_SEPARATOR].electrolyte.conductivity +
                      (p.region[REGION_ANODE].layer.thickness + p.region[REGION_CATHODE].layer.thickness) / p.region[REGION_ANODE].conductivity) +
               eta_a - eta_c + 2 * p.region[REGION_ANODE].kinetics.film_resistance * cur);
      if (variant == 0) {
        const double asinh_form =
            -(cur * (p.region[REGION_SEPARATOR].layer.thickness / p.region[REGION_SEPARATOR].electrolyte.conductivity +
                     (p.region[REGION_ANODE].layer.thickness + p.region[REGION_CATHODE].layer.thickness) / p.region[REGION_ANODE].conductivity) +
              2 * 2 * GAS_CONSTANT * p.temperature / FARADAY * asinh(cur / (2 * p.region[REGION_ANODE].kinetics.exchange_current_density)));
        snprintf(name, sizeof name, "symmetric_single_ion_asinh_closed_form_%d_cells", cells[r]);
        check_rel(name, V, asinh_form, 1e-9);
      } else {
        snprintf(name, sizeof name, "symmetric_single_ion_asymmetric_alpha_film_%d_cells", cells[r]);
        check_rel(name, V, Vref, 1e-9);
      }
    }
  }
  PetscCall(PetscFinalize());
  return test_failures ? 1 : 0;
}
