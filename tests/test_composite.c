/* Composite (porous) cathode checks, SPEC 2.3, each against a closed form:
 * 1. spherical diffusion under the constant flux a one-cell composite drives
 *    into its particles, against the series solution (Carslaw and Jaeger)
 *      c - c0 = (j R/D) [3 tau + xi^2/2 - 3/10
 *                        - (2/xi) sum_n sin(l_n xi) exp(-l_n^2 tau) / (l_n^2 sin l_n)],
 *    tau = D t/R^2, xi = r/R, l_n the positive roots of tan l = l, with the
 *    observed order in the shell count;
 * 2. the electrolyte potential across a composite with a constant OCP, fast
 *    solid transport and linear kinetics (Newman and Tobias):
 *      eta(x) = -(cur L/(kappa_eff nu)) cosh(nu (1 - x/L)) / sinh(nu),
 *      nu^2 = a i0 (alpha_a + alpha_c) F L^2 / (R T kappa_eff),
 *    so phi_e differs between two points by the difference of eta, with the
 *    observed order in the cell count, and its uniform-reaction limit
 *    cur L/(2 kappa_eff) for small nu;
 * 3. a thin composite with fast ionic and electronic transport is a single
 *    particle: V = U(theta_surf) + eta_c - eta_a, theta_surf from 1., eta from
 *    Butler-Volmer at the uniform reaction current;
 * 4. near zero current the voltage follows the OCP of the mean stoichiometry;
 * 5. lithium conservation over a discharge / rest / charge cycle, single-ion
 *    and binary pore electrolytes;
 * 6. the analytic Jacobian against finite differences, single-ion and binary;
 * 7. a composite touching lithium is refused as a short circuit;
 * 9. the default cell (configs/default.yaml) at C/20 delivers its theoretical
 *    capacity within 2 %: the window ends where the OCP crosses the cutoff;
 * 8. the area-specific resistances at the start of the first step: the
 *    membrane's is L/sigma, and the parts add up to the voltage jump, for a
 *    composite, a thin-film and a lithium cathode. */
#include "fixtures.h"
#include "testing.h"

/* Positive roots of tan l = l: l_n in (n pi, n pi + pi/2), by bisection on sin l - l cos l. */
static double SphereRoot(int n)
{
  double lo = n * M_PI + 1e-9, hi = n * M_PI + M_PI / 2 - 1e-12;
  for (int it = 0; it < 200; it++) {
    const double mid = 0.5 * (lo + hi), g = sin(mid) - mid * cos(mid), glo = sin(lo) - lo * cos(lo);
    if ((g > 0) == (glo > 0))
      lo = mid;
    else
      hi = mid;
  }
  return 0.5 * (lo + hi);
}

/* c - c0 at xi = r/R for an influx j (mol/m^2/s) into a sphere of radius R. */
static double SphereSeries(double xi, double tau, double j, double R, double D)
{
  double s = 0;
  for (int n = 1; n <= 400; n++) {
    const double ln = SphereRoot(n);
    s += sin(ln * xi) / (xi * ln * ln * sin(ln)) * exp(-ln * ln * tau);
  }
  return j * R / D * (3 * tau + xi * xi / 2 - 0.3 - 2 * s);
}

/* A stack whose composite cathode is fast in every transport but the
 * particles: its reaction is uniform. */
static void FastComposite(Params *p, PetscReal L, PetscInt cells, PetscReal R, PetscInt shells)
{
  FixtureBase(p);
  FixtureSingleIon(p, 1e3);
  p->region[REGION_SEPARATOR].layer = (Layer){10e-6, 4, 1.0};
  FixtureComposite(p, L, cells, R, shells);
  p->region[REGION_CATHODE].active.conductivity               = 1e6;
  p->region[REGION_CATHODE].active.diffusivity                = 1e-14;
  p->region[REGION_CATHODE].kinetics.exchange_current_density = 10.0;
  p->region[REGION_CATHODE].kinetics.concentration_dependent  = PETSC_FALSE;
  p->region[REGION_CATHODE].active.theta_initial              = 0.4;
  p->rtol = 1e-8, p->atol = 1e-6, p->dt_initial = 1e-4;
}

/* 1. Max error over the shells at t_end, relative to j R / D. */
static PetscErrorCode SphereError(PetscInt shells, PetscReal grading, double *err, double *surface_error)
{
  const double       R = 5e-6, L = 10e-6, D = 1e-14, t_end = 1000.0, cur = 2.0; /* A/m^2 */
  Params             p;
  Simulation         sim;
  RunSummary         s;
  Model             *m;
  Vec                U;
  const PetscScalar *u;

  PetscFunctionBeginUser;
  FastComposite(&p, L, 1, R, shells);
  p.region[REGION_CATHODE].composite.shell_grading = grading;
  p.steps[0]                                       = FixtureStep(STEP_DISCHARGE, cur, t_end, PETSC_INFINITY);
  PetscCall(FixtureRun(&p, &sim, &s, &m, &U));
  {
    const PetscInt   cell = m->nx - 1;
    const double     a    = 3 * 0.6 / R; /* 3 eps_am / r_p, stated here rather than read from the model */
    const double     j = cur / (FARADAY * a * L), c0 = 0.4 * p.region[REGION_CATHODE].active.max_concentration, scale = j * R / D;
    const PetscReal *xi = m->xi[REGION_CATHODE];
    Observation      o;
    PetscCall(VecGetArrayRead(U, &u));
    *err = 0;
    for (PetscInt k = 0; k < shells; k++) {
      const double x = 0.5 * (xi[k] + xi[k + 1]);
      *err           = fmax(*err, fabs(u[ModelUnknown(m, cell, VAR_C_S, k)] - c0 - SphereSeries(x, D * t_end / (R * R), j, R, D)) / scale);
    }
    PetscCall(VecRestoreArrayRead(U, &u));
    PetscCall(ModelObserve(m, t_end, U, &o)); /* the reconstructed surface stoichiometry */
    *surface_error =
        fabs(o.max_theta * p.region[REGION_CATHODE].active.max_concentration - c0 - SphereSeries(1.0, D * t_end / (R * R), j, R, D)) / scale;
  }
  PetscCall(SimulationDestroy(&sim));
  PetscFunctionReturn(0);
}

/* 2. phi_e(first cell) - phi_e(last cell) of the composite, simulated and exact. */
static PetscErrorCode PotentialDrop(PetscInt cells, PetscReal i0, double *sim_drop, double *exact_drop, double *nu_out)
{
  const double       L = 50e-6, cur = 1e-3; /* small: linear kinetics */
  Params             p;
  Simulation         sim;
  RunSummary         s;
  Model             *m;
  Vec                U;
  const PetscScalar *u;

  PetscFunctionBeginUser;
  FixtureBase(&p);
  FixtureSingleIon(&p, 0.25);
  FixtureComposite(&p, L, cells, 5e-6, 4);
  p.region[REGION_CATHODE].active.ocp       = OCP_CONSTANT;
  p.region[REGION_CATHODE].active.ocp_value = 3.7;
  /* sigma_s >> kappa_eff (1e5 x): the solid is equipotential to 1e-5; far more would leave the
     level of phi_s, set by the kinetics alone, below the precision of the conduction rows */
  p.region[REGION_CATHODE].active.conductivity               = 1e4;
  p.region[REGION_CATHODE].active.diffusivity                = 1e-9;
  p.region[REGION_CATHODE].composite.carbon_conductivity     = 1e4;
  p.region[REGION_CATHODE].kinetics.exchange_current_density = i0;
  p.region[REGION_CATHODE].kinetics.concentration_dependent  = PETSC_FALSE;
  p.rtol = 1e-8, p.atol = 1e-6;
  p.steps[0] = FixtureStep(STEP_DISCHARGE, cur, 1.0, PETSC_INFINITY);
  PetscCall(FixtureRun(&p, &sim, &s, &m, &U));
  if (s.status != RUN_COMPLETE) printf("#   %s\n", s.end_reason);
  {
    const PetscInt first = m->nx - cells, last = m->nx - 1;
    const double   kappa = 0.25 * pow(0.35, 1.5), a = 3 * 0.6 / 5e-6, T = p.temperature; /* Bruggeman, 3 eps_am / r_p */
    const double   nu = sqrt(a * i0 * FARADAY * L * L / (GAS_CONSTANT * T * kappa));
    const double   x1 = m->x_centres[first] - m->x_faces[first], x2 = m->x_centres[last] - m->x_faces[first];
    /* discharge drives the ionic current toward the collector: i_e(0) = cur, cathodic eta */
    const double eta1 = -(cur * L / (kappa * nu)) * cosh(nu * (1 - x1 / L)) / sinh(nu),
                 eta2 = -(cur * L / (kappa * nu)) * cosh(nu * (1 - x2 / L)) / sinh(nu);
    PetscCall(VecGetArrayRead(U, &u));
    *sim_drop = u[ModelUnknown(m, first, VAR_PHI_E, 0)] - u[ModelUnknown(m, last, VAR_PHI_E, 0)];
    PetscCall(VecRestoreArrayRead(U, &u));
    *exact_drop = eta2 - eta1;
    *nu_out     = nu;
  }
  PetscCall(SimulationDestroy(&sim));
  PetscFunctionReturn(0);
}

/* 3. Voltage of a thin fast composite against the single-particle model. */
static PetscErrorCode SingleParticle(double *V_sim, double *V_spm)
{
  const double R = 5e-6, L = 5e-6, D = 1e-14, t_end = 600.0, cur = 5.0;
  Params       p;
  Simulation   sim;
  RunSummary   s;
  Model       *m;
  Vec          U;
  Observation  o;

  PetscFunctionBeginUser;
  FastComposite(&p, L, 5, R, 40);
  p.steps[0] = FixtureStep(STEP_DISCHARGE, cur, t_end, PETSC_INFINITY);
  PetscCall(FixtureRun(&p, &sim, &s, &m, &U));
  PetscCall(ModelObserve(m, t_end, U, &o));
  *V_sim = o.voltage;
  {
    const Region *c = &p.region[REGION_CATHODE];
    const double  a = 3 * 0.6 / R, j = cur / (FARADAY * a * L), f = FARADAY / (GAS_CONSTANT * p.temperature);
    const double  cs = 0.4 * c->active.max_concentration + SphereSeries(1.0, D * t_end / (R * R), j, R, D);
    const double  in = -cur / (a * L); /* cathodic reaction current per particle area */
    PetscReal     U0, dU;
    ActiveOcp(&c->active, cs / c->active.max_concentration, &U0, &dU);
    *V_spm = U0 + 2 / f * asinh(in / (2 * c->kinetics.exchange_current_density)) -
             2 / f * asinh(cur / (2 * p.region[REGION_ANODE].kinetics.exchange_current_density)) - cur * 10e-6 / 1e3;
  }
  PetscCall(SimulationDestroy(&sim));
  PetscFunctionReturn(0);
}

/* 4, 5. A cycle of the default-like composite: the Li inventory change
 * against the charge passed, and near-zero current against the OCP. */
static PetscErrorCode Cycle(PetscBool binary, double *inventory_error, double *ocp_error)
{
  Params      p;
  Simulation  sim;
  RunSummary  s;
  Model      *m;
  Vec         U;
  Observation o0, o1;
  double      passed = 0;

  PetscFunctionBeginUser;
  FixtureBase(&p);
  if (binary)
    FixtureBinary(&p, 1e-11, 3e-11, 1000);
  else
    FixtureSingleIon(&p, 0.25);
  FixtureComposite(&p, 40e-6, 10, 5e-6, 8);
  p.rtol = 1e-7, p.atol = 1e-6;
  {
    const double one_c = CathodeCapacity(&p) / SECONDS_PER_H;
    p.nsteps           = 3;
    p.steps[0]         = FixtureStep(STEP_DISCHARGE, binary ? 0.02 * one_c : 0.5 * one_c, binary ? 3600.0 : 1200.0, PETSC_INFINITY);
    p.steps[1]         = FixtureStep(STEP_REST, 0, 600, PETSC_INFINITY);
    p.steps[2]         = FixtureStep(STEP_CHARGE, binary ? 0.02 * one_c : 0.5 * one_c, 600.0, PETSC_INFINITY);
  }
  PetscCall(SimulationCreate(PETSC_COMM_WORLD, &p, 0, NULL, &sim));
  PetscCall(SimulationGetModel(sim, &m, &U, NULL));
  PetscCall(ModelObserve(m, 0, U, &o0));
  PetscCall(SimulationRun(sim, &s));
  PetscCall(ModelObserve(m, s.end_time, U, &o1));
  for (PetscInt k = 0; k < p.nsteps; k++)
    passed += s.step_capacity[k];
  *inventory_error = fabs((o1.lithium_inventory - o0.lithium_inventory) - passed / FARADAY) / (fabs(passed) / FARADAY);
  *ocp_error       = 0;
  PetscCall(SimulationDestroy(&sim));

  /* near zero current: C/1000 for an hour moves theta by 1e-3, the voltage follows U(theta) */
  if (!binary) {
    const Region *c     = &p.region[REGION_CATHODE];
    const double  one_c = CathodeCapacity(&p) / SECONDS_PER_H, cur = 1e-3 * one_c, t = 3600.0;
    PetscReal     U0, dU;
    p.nsteps   = 1;
    p.steps[0] = FixtureStep(STEP_DISCHARGE, cur, t, PETSC_INFINITY);
    PetscCall(FixtureRun(&p, &sim, &s, &m, &U));
    PetscCall(ModelObserve(m, s.end_time, U, &o1));
    ActiveOcp(&c->active, c->active.theta_initial + cur * t / (FARADAY * c->active.max_concentration * 0.6 * c->layer.thickness), &U0, &dU);
    *ocp_error = fabs(o1.voltage - U0);
    PetscCall(SimulationDestroy(&sim));
  }
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  { /* 1. sphere diffusion */
    const PetscInt shells[3] = {10, 20, 40};
    double         err[3], surf[3];
    for (int k = 0; k < 3; k++)
      PetscCall(SphereError(shells[k], 1.0, &err[k], &surf[k]));
    printf("#   sphere shells 10/20/40: max error %.3e %.3e %.3e, surface %.3e %.3e %.3e (of j R/D)\n", err[0], err[1], err[2], surf[0], surf[1],
           surf[2]);
    check(log2(err[1] / err[2]) > 1.8, "composite_sphere_diffusion_order", "observed order %.3f, want > %.1f", log2(err[1] / err[2]), 1.8);
    check(err[2] < 2e-3, "composite_sphere_diffusion_finest_error", "max error %.2e of j R/D, tol %.0e", err[2], 2e-3);
    check(log2(surf[1] / surf[2]) > 1.8 && surf[2] < 2e-3, "composite_particle_surface_concentration_converges", "order %.3f, error %.2e of j R/D",
          log2(surf[1] / surf[2]), surf[2]);
    {
      /* shells 4x finer at the surface than at the centre: at the same count the surface error drops (it is the surface
         shell's half width that the reconstruction spans) */
      double gerr, gsurf;
      PetscCall(SphereError(10, 4.0, &gerr, &gsurf));
      printf("#   10 shells graded 4: max error %.3e, surface %.3e (uniform: %.3e, %.3e)\n", gerr, gsurf, err[0], surf[0]);
      check(gsurf < 0.8 * surf[0] && gerr < 3e-3, "composite_graded_shells_refine_the_surface", "surface error %.2e, 10 uniform shells %.2e", gsurf,
            surf[0]);
    }
  }
  { /* 2. electrolyte potential drop */
    const PetscInt cells[3] = {10, 20, 40};
    double         sim_drop[3], exact[3], nu, e[3];
    for (int k = 0; k < 3; k++) {
      PetscCall(PotentialDrop(cells[k], 2.0, &sim_drop[k], &exact[k], &nu));
      e[k] = fabs(sim_drop[k] - exact[k]) / fabs(exact[k]);
    }
    printf("#   potential drop nu = %.3f: %.6e %.6e %.6e vs %.6e %.6e %.6e, rel errors %.2e %.2e %.2e\n", nu, sim_drop[0], sim_drop[1], sim_drop[2],
           exact[0], exact[1], exact[2], e[0], e[1], e[2]);
    check(nu > 0.5 && nu < 5, "composite_potential_drop_nu_in_the_mixed_regime", "nu = %.3f, want %.1f .. 5", nu, 0.5);
    check(log2(e[1] / e[2]) > 1.8, "composite_potential_drop_order", "observed order %.3f, want > %.1f", log2(e[1] / e[2]), 1.8);
    check(e[2] < 1e-3, "composite_potential_drop_finest_error", "rel error %.2e, tol %.0e", e[2], 1e-3);
    PetscCall(PotentialDrop(40, 1e-4, &sim_drop[0], &exact[0], &nu));
    {
      /* small nu: the reaction is uniform, i_e falls linearly, and phi_e between the outer cell
       * centres drops by I ((L - h/2)^2 - (h/2)^2) / (2 kappa L); the closed form differs from that
       * limit by about nu^2/12 */
      const double L = 50e-6, h = L / 40, kappa = 0.25 * pow(0.35, 1.5), uniform = 1e-3 / (2 * kappa * L) * ((L - h / 2) * (L - h / 2) - h * h / 4);
      printf("#   uniform limit nu = %.4f: %.6e, closed form %.6e, uniform %.6e\n", nu, sim_drop[0], exact[0], uniform);
      check_rel("composite_small_nu_drop_matches_closed_form", sim_drop[0], exact[0], 1e-4);
      check_rel("composite_uniform_reaction_drop", sim_drop[0], uniform, nu * nu / 12 + 1e-4);
    }
  }
  { /* 3. single-particle limit */
    double V = NAN, Vspm = NAN;
    PetscCall(SingleParticle(&V, &Vspm));
    /* 40 shells leave about 2e-4 j R/D in the surface concentration (1.), which is 6e-5 V through dU/dc here */
    check_abs("composite_thin_fast_is_a_single_particle", V, Vspm, 1e-4);
  }
  for (int binary = 0; binary < 2; binary++) { /* 4, 5 */
    double inv = NAN, ocp = NAN;
    char   name[128];
    PetscCall(Cycle((PetscBool)binary, &inv, &ocp));
    snprintf(name, sizeof name, "composite_%s_lithium_conserved_over_a_cycle", binary ? "binary" : "single_ion");
    check(inv < 1e-6, name, "relative error %.2e of the charge passed, tol %.0e", inv, 1e-6);
    if (!binary) check(ocp < 1e-3, "composite_near_zero_current_follows_ocp", "|V - U(theta)| = %.2e V, tol %.0e V", ocp, 1e-3);
  }
  for (int binary = 0; binary < 2; binary++) { /* 6 */
    Params p;
    double worst = NAN;
    char   name[128];
    FixtureBase(&p);
    if (binary)
      FixtureBinary(&p, 1e-11, 3e-11, 1000);
    else
      FixtureSingleIon(&p, 0.25);
    FixtureComposite(&p, 20e-6, 4, 5e-6, 3);
    p.steps[0] = FixtureStep(STEP_DISCHARGE, 20.0, 30.0, PETSC_INFINITY);
    PetscCall(JacobianError(&p, &worst));
    snprintf(name, sizeof name, "composite_%s_jacobian_matches_finite_differences", binary ? "binary" : "single_ion");
    check(worst < 1e-4, name, "worst relative difference %.2e, tol %.0e", worst, 1e-4);
  }
  { /* 7 */
    Params         p;
    Model         *m;
    PetscErrorCode ierr;
    FixtureBase(&p);
    FixtureSingleIon(&p, 0.25);
    FixtureComposite(&p, 20e-6, 4, 5e-6, 3);
    p.region[REGION_SEPARATOR] = p.region[REGION_CATHODE]; /* lithium | composite | composite */
    PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
    ierr = ModelCreate(PETSC_COMM_WORLD, &p, &m);
    PetscCall(PetscPopErrorHandler());
    check(ierr == PETSC_ERR_USER_INPUT && strstr(ErrorText(ierr), "short-circuited") != NULL, "composite_touching_lithium_is_refused", NULL, 0, 0);
    if (!ierr) PetscCall(ModelDestroy(&m));
  }
  for (int kind = 0; kind < 3; kind++) { /* 8 */
    static const char *names[3] = {"composite", "thin_film", "lithium"};
    Params             p;
    Simulation         sim;
    RunSummary         s;
    char               name[128];
    double             parts;
    FixtureBase(&p);
    FixtureSingleIon(&p, 0.25);
    p.region[REGION_SEPARATOR].layer = (Layer){18e-6, 20, 1.0};
    if (kind == 0) FixtureComposite(&p, 40e-6, 10, 5e-6, 8);
    if (kind == 1) FixtureThinFilm(&p, 3e-6, 10);
    p.region[REGION_ANODE].kinetics.film_resistance = 1e-4; /* 1 ohm cm^2, counted with the interface */
    p.steps[0]                                      = FixtureStep(STEP_DISCHARGE, 20.0, 1.0, PETSC_INFINITY);
    PetscCall(SimulationCreate(PETSC_COMM_WORLD, &p, 0, NULL, &sim));
    PetscCall(SimulationRun(sim, &s));
    PetscCall(SimulationDestroy(&sim));
    parts = s.asr_membrane + s.asr_anode + s.asr_anode_interface + s.asr_cathode + s.asr_cathode_interface + s.asr_cathode_solid;
    printf("#   %s ASR (ohm cm^2): membrane %.6g, anode %.3g, anode interface %.6g, cathode %.6g, cathode interface %.6g, solid %.6g, total %.6g\n",
           names[kind], s.asr_membrane * 1e4, s.asr_anode * 1e4, s.asr_anode_interface * 1e4, s.asr_cathode * 1e4, s.asr_cathode_interface * 1e4,
           s.asr_cathode_solid * 1e4, s.asr_total * 1e4);
    snprintf(name, sizeof name, "%s_asr_membrane_is_L_over_sigma", names[kind]);
    check_rel(name, s.asr_membrane, 18e-6 / 0.25, 1e-9);
    snprintf(name, sizeof name, "%s_asr_parts_add_up_to_the_voltage_jump", names[kind]);
    check_rel(name, parts, s.asr_total, 1e-6);
    snprintf(name, sizeof name, "%s_asr_anode_interface_holds_the_film", names[kind]);
    check(s.asr_anode_interface > 1e-4 && s.asr_measured && s.asr_step == 0, name, "%.4g ohm cm^2, more than the film's %.0f",
          s.asr_anode_interface * 1e4, 1.0);
  }
  { /* 9 */
    char      *keys[1] = {(char *)"protocol"}, *values[1] = {(char *)"[discharge at C/20 until 3.0 V]"};
    Params     p;
    Simulation sim;
    RunSummary s;
    PetscCall(ParamsLoad(PETSC_COMM_WORLD, IONSTACK_SOURCE_DIR "/configs/default.yaml", 1, keys, values, &p));
    p.output_file[0] = 0;
    p.quiet          = PETSC_TRUE;
    PetscCall(SimulationCreate(PETSC_COMM_WORLD, &p, 0, NULL, &sim));
    PetscCall(SimulationRun(sim, &s));
    check(s.status == RUN_COMPLETE && s.discharge_capacity > 0.98 * CathodeCapacity(&p) && s.discharge_capacity <= CathodeCapacity(&p) * (1 + 1e-9),
          "default_cell_capacity_at_c20_within_2_percent_of_theoretical", "%.4f of %.4f mAh/cm^2", s.discharge_capacity / 36000,
          CathodeCapacity(&p) / 36000);
    PetscCall(SimulationDestroy(&sim));
    PetscCall(ParamsDestroy(&p));
  }
  PetscCall(PetscFinalize());
  return test_failures ? 1 : 0;
}
