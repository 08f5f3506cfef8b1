/* The stack mass model (src/output/metrics.c) against hand arithmetic:
 * a composite cathode with linear fraction profiles (each term of the
 * density is linear, so the layer's mean is the mean of its ends), a thin
 * film, a symmetric cell (no active material: no specific capacity, no
 * crash), an unknown density (NaN totals), and the energy metrics a real run
 * of configs/default.yaml writes, read back from its file. */
#include <hdf5.h>
#include "fixtures.h"
#include "testing.h"

static void Collectors(Params *p)
{
  p->anode_collector   = (Collector){"Cu", 10e-6, 8960};
  p->cathode_collector = (Collector){"Al", 15e-6, 2700};
}

static double ReadMetric(hid_t f, const char *name)
{
  double v = NAN;
  hid_t  d = H5Dopen2(f, name, H5P_DEFAULT);
  if (d >= 0) {
    if (H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, &v) < 0) v = NAN;
    H5Dclose(d);
  }
  return v;
}

int main(int argc, char **argv)
{
  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  { /* composite with profiles */
    Params    p;
    StackPart parts[STACK_PARTS];
    PetscReal L, M;
    FixtureBase(&p);
    FixtureSingleIon(&p, 0.25); /* density 1800 kg/m^3 */
    FixtureComposite(&p, 50e-6, 10, 5e-6, 4);
    Collectors(&p);
    p.region[REGION_CATHODE].composite.active_fraction      = (Profile){0.5, 0.7};
    p.region[REGION_CATHODE].composite.electrolyte_fraction = (Profile){0.45, 0.25};
    StackModel(&p, parts, &L, &M);
    /* 50 um x (0.6 x 4800 + 0.35 x 1800 + 0.05 x 1900) kg/m^3 */
    check_rel("stack_composite_cathode_areal_mass", parts[3].areal_mass, 50e-6 * (0.6 * 4800 + 0.35 * 1800 + 0.05 * 1900), 1e-14);
    check_rel("stack_membrane_areal_mass", parts[2].areal_mass, 100e-6 * 1800, 1e-14);
    check_rel("stack_lithium_foil_areal_mass", parts[1].areal_mass, 20e-6 * 534, 1e-14);
    check_rel("stack_collectors_areal_mass", parts[0].areal_mass + parts[4].areal_mass, 10e-6 * 8960 + 15e-6 * 2700, 1e-14);
    check_rel("stack_total_thickness", L, 10e-6 + 20e-6 + 100e-6 + 50e-6 + 15e-6, 1e-14);
    check_rel("stack_total_areal_mass", M,
              parts[0].areal_mass + parts[1].areal_mass + parts[2].areal_mass + parts[3].areal_mass + parts[4].areal_mass, 1e-14);
    check(!strcmp(parts[2].name, "membrane") && !strcmp(parts[4].material, "Al"), "stack_parts_named_in_stack_order", NULL, 0, 0);
    p.region[REGION_CATHODE].composite.carbon_density = 0; /* unknown */
    StackModel(&p, parts, &L, &M);
    check(isnan(parts[3].areal_mass) && isnan(M) && isfinite(L), "stack_unknown_density_gives_no_mass", NULL, 0, 0);
  }
  { /* thin film and symmetric */
    Params    p;
    StackPart parts[STACK_PARTS];
    PetscReal L, M;
    FixtureBase(&p);
    FixtureSingleIon(&p, 0.25);
    FixtureThinFilm(&p, 3e-6, 10);
    Collectors(&p);
    StackModel(&p, parts, &L, &M);
    check_rel("stack_thin_film_areal_mass", parts[3].areal_mass, 3e-6 * 4800, 1e-14);
    FixtureBase(&p);
    FixtureSingleIon(&p, 0.25);
    Collectors(&p);
    StackModel(&p, parts, &L, &M);
    check_rel("stack_symmetric_cathode_is_lithium", parts[3].areal_mass, 20e-6 * 534, 1e-14);
  }
  { /* a real run: the energy metrics from its own discharge and its stack */
    char       dir[]   = "/tmp/ionstack_test_stack_XXXXXX", file[PETSC_MAX_PATH_LEN];
    char      *keys[1] = {(char *)"protocol"}, *values[1] = {(char *)"[discharge at 1C until 3.0 V]"};
    Params     p;
    Simulation sim;
    RunSummary s;
    StackPart  parts[STACK_PARTS];
    PetscReal  L, M;
    if (!mkdtemp(dir)) return 1;
    PetscCall(ParamsLoad(PETSC_COMM_WORLD, IONSTACK_SOURCE_DIR "/configs/default.yaml", 1, keys, values, &p));
    snprintf(file, sizeof file, "%s/run.h5", dir);
    PetscCall(PetscStrncpy(p.output_file, file, sizeof p.output_file));
    p.quiet = PETSC_TRUE;
    PetscCall(SimulationCreate(PETSC_COMM_WORLD, &p, 0, NULL, &sim));
    PetscCall(SimulationRun(sim, &s));
    PetscCall(SimulationDestroy(&sim));
    StackModel(&p, parts, &L, &M);
    {
      hid_t        f  = H5Fopen(file, H5F_ACC_RDONLY, H5P_DEFAULT);
      const double Wh = s.discharge_energy / SECONDS_PER_H;
      check_rel("run_specific_energy_is_energy_over_stack_mass", ReadMetric(f, "/metrics/specific_energy"), Wh / M, 1e-12);
      check_rel("run_energy_density_is_energy_over_stack_thickness", ReadMetric(f, "/metrics/energy_density"), Wh / L / 1000, 1e-12);
      check_rel("run_specific_capacity_per_gram_of_active", ReadMetric(f, "/metrics/specific_capacity"),
                s.discharge_capacity / 3.6 / (1000 * 52e-6 * 0.6 * p.region[REGION_CATHODE].active.density), 1e-12);
      check_rel("run_stack_membrane_thickness_in_um", ReadMetric(f, "/metrics/stack/membrane/thickness"), 18.0, 1e-12);
      check_rel("run_stack_cathode_areal_mass_in_mg_per_cm2", ReadMetric(f, "/metrics/stack/cathode/areal_mass"), parts[3].areal_mass * 100, 1e-12);
      check(H5Lexists(f, "/metrics/stack/cathode_collector/material", H5P_DEFAULT) > 0, "run_stack_parts_name_their_material", NULL, 0, 0);
      H5Fclose(f);
    }
    PetscCall(ParamsDestroy(&p));
    {
      char cmd[PETSC_MAX_PATH_LEN + 16];
      snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
      if (system(cmd)) return 1;
    }
  }
  PetscCall(PetscFinalize());
  return test_failures ? 1 : 0;
}
