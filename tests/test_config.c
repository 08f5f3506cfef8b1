/* Unit tests of the config layer: unit parsing, YAML configs with their
 * validation errors, materials and the Arrhenius law, custom electrolytes,
 * protocols and command-line overrides. Config files are written to a
 * temporary directory; nothing else touches the disk. */
#include "ionstack.h"
#include "testing.h"
#include <unistd.h>

static char tmpdir[PETSC_MAX_PATH_LEN];

static void WriteFile(const char *name, const char *text, char *path)
{
  FILE *fp;
  if (snprintf(path, PETSC_MAX_PATH_LEN, "%s/%s", tmpdir, name) >= PETSC_MAX_PATH_LEN) return;
  fp = fopen(path, "w");
  fputs(text, fp);
  fclose(fp);
}

/* The message of the last error, from PETSc's record of it. */
static const char *LastMessage(PetscErrorCode ierr)
{
  const char *text     = NULL;
  char       *specific = NULL;
  PetscErrorMessage(ierr, &text, &specific);
  return specific ? specific : (text ? text : "");
}

/* Runs a call that must fail; checks the message contains every `needles` word. */
static void ExpectError(const char *name, PetscErrorCode ierr, const char *needle1, const char *needle2)
{
  const char *msg = ierr ? LastMessage(ierr) : "";
  int         ok  = ierr != 0 && (!needle1 || strstr(msg, needle1)) && (!needle2 || strstr(msg, needle2));
  check(ok, name, NULL, 0, 0);
  if (!ok) printf("  error code %d, message: %s\n", (int)ierr, msg);
}

static PetscErrorCode LoadText(const char *name, const char *yaml, PetscInt n, char **keys, char **values, Params *p, PetscErrorCode *ierr)
{
  char path[PETSC_MAX_PATH_LEN];

  PetscFunctionBeginUser;
  WriteFile(name, yaml, path);
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  *ierr = ParamsLoad(PETSC_COMM_WORLD, path, n, keys, values, p);
  PetscCall(PetscPopErrorHandler());
  PetscFunctionReturn(0);
}

static PetscErrorCode TestUnits(void)
{
  const struct {
    const char *text, *dim;
    double      si;
  } cases[] = {
      {"18 um", "length", 18e-6},
      {"18 µm", "length", 18e-6},
      {"0.1 mm", "length", 1e-4},
      {"2e-5", "length", 2e-5},
      {"1.2 mS/cm", "conductivity", 0.12},
      {"0.12 S/m", "conductivity", 0.12},
      {"2 mA/cm^2", "current_density", 20.0},
      {"2 mA/cm²", "current_density", 20.0},
      {"3 mAh/cm^2", "areal_capacity", 108000.0},
      {"1e-11 m^2/s", "diffusivity", 1e-11},
      {"1e-7 cm^2/s", "diffusivity", 1e-11},
      {"1000 mol/m^3", "concentration", 1000.0},
      {"1 mol/L", "concentration", 1000.0},
      {"1 M", "concentration", 1000.0},
      {"10 ohm*cm^2", "areal_resistance", 1e-3},
      {"10 ohm cm^2", "areal_resistance", 1e-3},
      {"0.3 eV", "activation_energy", 0.3 * FARADAY},
      {"30 kJ/mol", "activation_energy", 30000.0},
      {"10 min", "time", 600.0},
      {"1 h", "time", 3600.0},
      {"60 s", "time", 60.0},
      {"4.2 V", "voltage", 4.2},
      {"50 mV", "voltage", 0.05},
      {"4.8 g/cm^3", "density", 4800.0},
      {"298.15 K", "temperature", 298.15},
      {"25 degC", "temperature", 298.15},
      {"-20 degC", "temperature", 253.15},
      {"1 cm^2", "area", 1e-4},
      {"0.5", "dimensionless", 0.5},
      {"1e-10 m/s", "rate_constant", 1e-10},
      {"1/h", "rate", 1.0 / 3600},
      {"6.94 g/mol", "molar_mass", 6.94e-3},
  };
  char name[128];

  PetscFunctionBeginUser;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    PetscReal v = -1;
    PetscCall(UnitsParse(cases[i].text, cases[i].dim, "test", &v));
    snprintf(name, sizeof name, "units '%s' as %s", cases[i].text, cases[i].dim);
    check_rel(name, v, cases[i].si, 1e-13);
  }
  {
    PetscReal      v;
    PetscErrorCode ierr;
    PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
    ierr = UnitsParse("3 mS/cm", "length", "separator.thickness", &v);
    ExpectError("units: wrong dimension is an error naming the key and the allowed units", ierr, "separator.thickness", "um");
    ierr = UnitsParse("3 furlong", "length", "separator.thickness", &v);
    ExpectError("units: unknown unit symbol is an error naming it", ierr, "furlong", "separator.thickness");
    ierr = UnitsParse("25 degC", "voltage", "cathode.ocp", &v);
    ExpectError("units: degC outside a temperature is an error", ierr, "cathode.ocp", NULL);
    ierr = UnitsParse("um", "length", "anode.thickness", &v);
    ExpectError("units: a unit without a number is an error", ierr, "anode.thickness", NULL);
    ierr = UnitsParse("3 cm^x", "area", "cell.area", &v);
    ExpectError("units: a non-integer power is an error", ierr, "cell.area", NULL);
    PetscCall(PetscPopErrorHandler());
  }
  PetscFunctionReturn(0);
}

static const char *base_yaml = "cell: {temperature: 25 degC}\n"
                               "anode: {material: lithium, thickness: 20 um, cells: 10}\n"
                               "separator: {material: Li6PS5Cl, thickness: 18 um, cells: 20}\n"
                               "cathode: {model: active, material: NMC811, thickness: 3 um, cells: 20, initial_stoichiometry: 0.27}\n"
                               "protocol: [discharge at 1C until 3.0 V, rest for 10 min, charge at C/3 until 4.2 V, hold at 4.2 V until C/20,\n"
                               "           charge at 2 mA/cm^2 for 1 h, hold at 4.1 V until 0.1 mA/cm^2 for 2 h]\n"
                               "output: {interval: 60 s}\n";

static PetscErrorCode TestBase(void)
{
  Params         p;
  PetscErrorCode ierr;
  FILE          *devnull;

  PetscFunctionBeginUser;
  PetscCall(LoadText("base.yaml", base_yaml, 0, NULL, NULL, &p, &ierr));
  if (!check(!ierr, "config: base config loads", NULL, 0, 0)) {
    printf("  %s\n", LastMessage(ierr));
    PetscFunctionReturn(0);
  }
  check_rel("config: temperature 25 degC", p.temperature, 298.15, 1e-14);
  check_rel("config: default area 1 cm^2", p.area, 1e-4, 1e-14);
  check_rel("config: separator thickness", p.separator.thickness, 18e-6, 1e-14);
  check(p.separator.cells == 20, "config: separator cells", NULL, 0, 0);
  check_rel("config: Li6PS5Cl conductivity at its reference temperature", p.electrolyte.conductivity, 0.25, 1e-12);
  check(p.electrolyte.kind == ELECTROLYTE_SINGLE_ION && p.electrolyte.transference == 1, "config: Li6PS5Cl is single-ion with t+ = 1", NULL, 0, 0);
  check_rel("config: lithium conductivity", p.lithium_conductivity, 1.08e7, 1e-12);
  check_rel("config: NMC811 c_s,max", p.active.max_concentration, 63104, 1e-14);
  check_rel("config: initial stoichiometry", p.active.theta_initial, 0.27, 1e-14);
  check(p.active.ocp == OCP_NMC811, "config: NMC811 ocp is the built-in fit", NULL, 0, 0);
  check_rel("config: anode default i0 10 mA/cm^2", p.anode_kinetics.exchange_current_density, 100.0, 1e-14);
  check(p.cathode_kinetics.concentration_dependent == PETSC_TRUE, "config: cathode kinetics concentration dependent by default", NULL, 0, 0);
  check(!strcmp(p.output_file, "out/base.h5"), "config: output file from the config name", NULL, 0, 0);
  check_rel("config: output interval", p.output_interval, 60, 1e-14);
  check(p.dt_max >= PETSC_INFINITY, "config: dt_max defaults to infinity", NULL, 0, 0);
  check(p.resolved_yaml && strstr(p.resolved_yaml, "conductivity") && strstr(p.resolved_yaml, "10.1149"), "config: resolved_yaml is written", NULL, 0,
        0);

  check(p.nsteps == 6, "protocol: six steps", "%g steps, want %g", (double)p.nsteps, 6);
  check(p.steps[0].kind == STEP_DISCHARGE && p.steps[0].c_rate == 1 && p.steps[0].until_voltage == 3.0 && p.steps[0].duration >= PETSC_INFINITY,
        "protocol: discharge at 1C until 3.0 V", NULL, 0, 0);
  check_rel("protocol: 1C current from the capacity", p.steps[0].current, CathodeCapacity(&p) / 3600, 1e-12);
  check(p.steps[1].kind == STEP_REST && p.steps[1].duration == 600, "protocol: rest for 10 min", NULL, 0, 0);
  check_rel("protocol: C/3", p.steps[2].c_rate, 1.0 / 3, 1e-14);
  check(p.steps[2].kind == STEP_CHARGE && p.steps[2].until_voltage == 4.2, "protocol: charge until 4.2 V", NULL, 0, 0);
  check(p.steps[3].kind == STEP_HOLD && p.steps[3].voltage == 4.2 && PetscAbsReal(p.steps[3].until_c_rate - 0.05) < 1e-15,
        "protocol: hold at 4.2 V until C/20", NULL, 0, 0);
  check(p.steps[4].current == 20 && p.steps[4].c_rate == 0 && p.steps[4].duration == 3600, "protocol: charge at 2 mA/cm^2 for 1 h", NULL, 0, 0);
  check(p.steps[5].until_current == 1 && p.steps[5].until_c_rate >= PETSC_INFINITY && p.steps[5].duration == 7200,
        "protocol: hold until a current density for a duration", NULL, 0, 0);
  check(!strcmp(p.steps[3].text, "hold at 4.2 V until C/20"), "protocol: text kept", NULL, 0, 0);

  devnull = fopen("/dev/null", "w");
  PetscCall(ParamsView(&p, devnull));
  fclose(devnull);
  check(1, "config: ParamsView runs", NULL, 0, 0);
  PetscCall(ParamsDestroy(&p));
  PetscFunctionReturn(0);
}

static PetscErrorCode TestErrors(void)
{
  Params         p;
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  PetscCall(LoadText("unknown_key.yaml", "separator: {thikness: 18 um}\n", 0, NULL, NULL, &p, &ierr));
  ExpectError("errors: unknown key names it and the file", ierr, "thikness", "unknown_key.yaml");
  ExpectError("errors: unknown key lists the allowed keys", ierr, "thickness", "conductivity");
  PetscCall(LoadText("unknown_section.yaml", "separatr: {thickness: 18 um}\n", 0, NULL, NULL, &p, &ierr));
  ExpectError("errors: unknown section names it", ierr, "separatr", "separator");
  PetscCall(LoadText("negative.yaml", "separator: {thickness: -5 um}\n", 0, NULL, NULL, &p, &ierr));
  ExpectError("errors: negative thickness", ierr, "separator.thickness", "> 0");
  PetscCall(LoadText("cells.yaml", "anode: {cells: 0}\n", 0, NULL, NULL, &p, &ierr));
  ExpectError("errors: zero cells", ierr, "anode.cells", NULL);
  PetscCall(LoadText("notnumber.yaml", "cathode: {thickness: thick}\n", 0, NULL, NULL, &p, &ierr));
  ExpectError("errors: a value that is not a number", ierr, "cathode.thickness", NULL);
  PetscCall(LoadText("wrongunit.yaml", "separator: {conductivity: 3 mA/cm^2}\n", 0, NULL, NULL, &p, &ierr));
  ExpectError("errors: wrong unit names the key", ierr, "separator.conductivity", "mS/cm");
  PetscCall(LoadText("badunit.yaml", "separator: {conductivity: 3 mQ/cm}\n", 0, NULL, NULL, &p, &ierr));
  ExpectError("errors: unknown unit names it", ierr, "mQ", "separator.conductivity");
  PetscCall(LoadText("material.yaml", "separator: {material: Unobtainium}\n", 0, NULL, NULL, &p, &ierr));
  ExpectError("errors: unknown material lists the available ones", ierr, "Unobtainium", "Li6PS5Cl");
  PetscCall(LoadText("phase.yaml", "anode: {material: NMC811}\n", 0, NULL, NULL, &p, &ierr));
  ExpectError("errors: a material of the wrong phase", ierr, "NMC811", "lithium");
  PetscCall(LoadText("theta.yaml", "cathode: {initial_stoichiometry: 1.2}\n", 0, NULL, NULL, &p, &ierr));
  ExpectError("errors: stoichiometry outside (0,1)", ierr, "cathode.initial_stoichiometry", "(0, 1)");
  PetscCall(LoadText("temp.yaml", "cell: {temperature: -300 degC}\n", 0, NULL, NULL, &p, &ierr));
  ExpectError("errors: temperature below 0 K", ierr, "cell.temperature", NULL);
  PetscCall(LoadText("dim.yaml", "mesh: {dim: 2}\n", 0, NULL, NULL, &p, &ierr));
  ExpectError("errors: 2D meshes are not available yet", ierr, "2D meshes are not available yet", NULL);
  PetscCall(LoadText(
      "tplus.yaml",
      "separator: {material: custom, kind: binary, conductivity: 1 mS/cm, diffusivity: 1e-12 m^2/s, concentration: 1 M, transference_number: 1.5}\n",
      0, NULL, NULL, &p, &ierr));
  ExpectError("errors: transference number outside (0,1]", ierr, "transference_number", NULL);
  PetscCall(LoadText("custom_nokind.yaml", "separator: {material: custom, conductivity: 1 mS/cm}\n", 0, NULL, NULL, &p, &ierr));
  ExpectError("errors: custom without kind", ierr, "separator.kind", NULL);
  PetscCall(LoadText("mixed.yaml",
                     "separator: {material: custom, kind: binary, cation_diffusivity: 1e-11 m^2/s, anion_diffusivity: 3e-11 m^2/s, "
                     "concentration: 1000 mol/m^3, conductivity: 1 mS/cm}\n",
                     0, NULL, NULL, &p, &ierr));
  ExpectError("errors: D+/D- together with conductivity", ierr, "separator.conductivity", "cation_diffusivity");
  PetscCall(LoadText("single_binarykey.yaml", "separator: {diffusivity: 1e-12 m^2/s}\n", 0, NULL, NULL, &p, &ierr));
  ExpectError("errors: a binary-only key on a single-ion electrolyte", ierr, "separator.diffusivity", "binary");
  PetscCall(LoadText("sym_crate.yaml", "cathode: {model: lithium}\nprotocol: [discharge at 1C for 1 h]\n", 0, NULL, NULL, &p, &ierr));
  ExpectError("errors: a C-rate in a symmetric cell", ierr, "no capacity", "mA/cm^2");
  PetscCall(LoadText("sym_active.yaml", "cathode: {model: lithium, max_concentration: 1000 mol/m^3}\nprotocol: [rest for 1 h]\n", 0, NULL, NULL, &p,
                     &ierr));
  ExpectError("errors: an active-only key on a lithium cathode", ierr, "cathode.max_concentration", NULL);
  PetscCall(LoadText("step.yaml", "protocol: [discharge at 1C]\n", 0, NULL, NULL, &p, &ierr));
  ExpectError("errors: a discharge without a limit", ierr, "until", NULL);
  PetscCall(LoadText("step2.yaml", "protocol: [jump at 1C for 1 h]\n", 0, NULL, NULL, &p, &ierr));
  ExpectError("errors: an unknown step", ierr, "jump", NULL);
  PetscCall(LoadText("model.yaml", "cathode: {model: composite}\n", 0, NULL, NULL, &p, &ierr));
  ExpectError("errors: an unknown cathode model lists the allowed ones", ierr, "composite", "lithium");
  PetscCall(LoadText("syntax.yaml", "cell: {temperature: [25 degC\n", 0, NULL, NULL, &p, &ierr));
  ExpectError("errors: YAML syntax error names the file", ierr, "syntax.yaml", NULL);
  PetscCall(LoadText("bool.yaml", "anode: {concentration_dependent: maybe}\n", 0, NULL, NULL, &p, &ierr));
  ExpectError("errors: a bad boolean", ierr, "anode.concentration_dependent", "true or false");
  PetscCall(LoadText("twice.yaml", "anode: {cells: 4, cells: 5}\n", 0, NULL, NULL, &p, &ierr));
  ExpectError("errors: a key given twice", ierr, "anode.cells", "twice");
  {
    char *keys[] = {(char *)"separator.thicknes"}, *values[] = {(char *)"30 um"};
    PetscCall(LoadText("override_bad.yaml", "", 1, keys, values, &p, &ierr));
    ExpectError("errors: an unknown override key", ierr, "thicknes", "command line");
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode TestCustomElectrolytes(void)
{
  Params         p;
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  PetscCall(LoadText("custom_single.yaml", "separator: {material: custom, kind: single_ion, conductivity: 1 mS/cm}\n", 0, NULL, NULL, &p, &ierr));
  if (check(!ierr, "custom single-ion electrolyte loads", NULL, 0, 0)) {
    check_rel("custom single-ion: conductivity", p.electrolyte.conductivity, 0.1, 1e-14);
    check(p.electrolyte.transference == 1 && p.electrolyte.conductivity_exponent == 0, "custom single-ion: t+ = 1, exponent 0", NULL, 0, 0);
    PetscCall(ParamsDestroy(&p));
  } else
    printf("  %s\n", LastMessage(ierr));

  PetscCall(
      LoadText("custom_binary.yaml",
               "separator: {material: custom, kind: binary, cation_diffusivity: 1e-11 m^2/s, anion_diffusivity: 3e-11 m^2/s, concentration: 1000 "
               "mol/m^3}\n",
               0, NULL, NULL, &p, &ierr));
  if (check(!ierr, "custom binary (dilute) electrolyte loads", NULL, 0, 0)) {
    const double Dp = 1e-11, Dm = 3e-11, T = 298.15, c = 1000;
    check_rel("custom binary: D = 2 D+ D- / (D+ + D-)", p.electrolyte.diffusivity, 2 * Dp * Dm / (Dp + Dm), 1e-12);
    check_rel("custom binary: t+ = D+ / (D+ + D-)", p.electrolyte.transference, Dp / (Dp + Dm), 1e-12);
    check_rel("custom binary: kappa = F^2 (D+ + D-) c / RT", p.electrolyte.conductivity, FARADAY * FARADAY * (Dp + Dm) * c / (GAS_CONSTANT * T),
              1e-12);
    check(p.electrolyte.conductivity_exponent == 1 && p.electrolyte.thermodynamic_factor == 1, "custom binary: exponent 1, chi 1", NULL, 0, 0);
    PetscCall(ParamsDestroy(&p));
  } else
    printf("  %s\n", LastMessage(ierr));
  PetscFunctionReturn(0);
}

static PetscErrorCode TestArrhenius(void)
{
  Params         p;
  PetscErrorCode ierr;
  const double   T = 333.15, Tref = 298.15, Ea = 0.35 * FARADAY;

  PetscFunctionBeginUser;
  PetscCall(LoadText("hot.yaml", "cell: {temperature: 60 degC}\n", 0, NULL, NULL, &p, &ierr));
  if (check(!ierr, "arrhenius: config at 60 degC loads", NULL, 0, 0)) {
    check_rel("arrhenius: Li6PS5Cl conductivity at 60 degC", p.electrolyte.conductivity, 0.25 * exp(-Ea / GAS_CONSTANT * (1 / T - 1 / Tref)), 1e-12);
    PetscCall(ParamsDestroy(&p));
  } else
    printf("  %s\n", LastMessage(ierr));
  PetscCall(LoadText("hot2.yaml", "cell: {temperature: 60 degC}\nseparator: {conductivity: 3 mS/cm}\n", 0, NULL, NULL, &p, &ierr));
  if (check(!ierr, "arrhenius: a config value keeps the material's activation energy (loads)", NULL, 0, 0)) {
    check_rel("arrhenius: config conductivity scaled with the material's Ea", p.electrolyte.conductivity,
              0.3 * exp(-Ea / GAS_CONSTANT * (1 / T - 1 / Tref)), 1e-12);
    PetscCall(ParamsDestroy(&p));
  } else
    printf("  %s\n", LastMessage(ierr));
  PetscCall(LoadText("hot3.yaml", "cell: {temperature: 60 degC}\nseparator: {conductivity: 3 mS/cm, conductivity_activation_energy: 0}\n", 0, NULL,
                     NULL, &p, &ierr));
  if (check(!ierr, "arrhenius: conductivity_activation_energy override loads", NULL, 0, 0)) {
    check_rel("arrhenius: activation energy 0 keeps the value", p.electrolyte.conductivity, 0.3, 1e-14);
    PetscCall(ParamsDestroy(&p));
  } else
    printf("  %s\n", LastMessage(ierr));
  PetscCall(
      LoadText("hot4.yaml", "cell: {temperature: 60 degC}\nseparator: {conductivity_activation_energy: 30 kJ/mol}\n", 0, NULL, NULL, &p, &ierr));
  if (check(!ierr, "arrhenius: activation energy in kJ/mol loads", NULL, 0, 0)) {
    check_rel("arrhenius: material value with a config activation energy", p.electrolyte.conductivity,
              0.25 * exp(-30000 / GAS_CONSTANT * (1 / T - 1 / Tref)), 1e-12);
    PetscCall(ParamsDestroy(&p));
  } else
    printf("  %s\n", LastMessage(ierr));
  PetscFunctionReturn(0);
}

static PetscErrorCode TestOverridesAndMore(void)
{
  Params         p;
  PetscErrorCode ierr;
  char           path[PETSC_MAX_PATH_LEN], key[128];
  PetscBool      is;

  PetscFunctionBeginUser;
  {
    char *keys[]   = {(char *)"separator.thickness", (char *)"separator.thickness", (char *)"protocol"};
    char *values[] = {(char *)"25 um", (char *)"30 um", (char *)"[charge at 0.5C for 1 h, rest for 1 h]"};
    PetscCall(LoadText("override.yaml", base_yaml, 3, keys, values, &p, &ierr));
    if (check(!ierr, "overrides: load", NULL, 0, 0)) {
      check_rel("overrides: separator.thickness overrides the file, later wins", p.separator.thickness, 30e-6, 1e-14);
      check(p.nsteps == 2 && p.steps[0].c_rate == 0.5 && p.steps[1].kind == STEP_REST, "overrides: protocol replaced", NULL, 0, 0);
      PetscCall(ParamsDestroy(&p));
    } else
      printf("  %s\n", LastMessage(ierr));
  }
  PetscCall(ConfigOptionKey("-separator_thickness", key, sizeof key, &is));
  check(is && !strcmp(key, "separator.thickness"), "options: -separator_thickness", NULL, 0, 0);
  PetscCall(ConfigOptionKey("-separator.thickness", key, sizeof key, &is));
  check(is && !strcmp(key, "separator.thickness"), "options: -separator.thickness", NULL, 0, 0);
  PetscCall(ConfigOptionKey("-anode_exchange_current_density", key, sizeof key, &is));
  check(is && !strcmp(key, "anode.exchange_current_density"), "options: -anode_exchange_current_density", NULL, 0, 0);
  PetscCall(ConfigOptionKey("-ts_monitor", key, sizeof key, &is));
  check(!is, "options: -ts_monitor is PETSc's", NULL, 0, 0);

  PetscCall(LoadText("repeat.yaml", "protocol:\n  - {repeat: 3, steps: [discharge at 1C until 3 V, charge at 1C until 4.2 V]}\n  - rest for 1 h\n", 0,
                     NULL, NULL, &p, &ierr));
  if (check(!ierr, "protocol: repeat group loads", NULL, 0, 0)) {
    check(p.nsteps == 7 && p.steps[4].kind == STEP_DISCHARGE && p.steps[6].kind == STEP_REST, "protocol: repeat group expanded in place", NULL, 0, 0);
    PetscCall(ParamsDestroy(&p));
  } else
    printf("  %s\n", LastMessage(ierr));

  WriteFile("ocp.csv", "stoichiometry,voltage\n0.1,4.3\n0.5,3.9\n# comment\n0.95,3.4\n", path);
  PetscCall(LoadText("ocp.yaml", "cathode: {ocp: ocp.csv}\n", 0, NULL, NULL, &p, &ierr));
  if (check(!ierr, "ocp: CSV table loads", NULL, 0, 0)) {
    check(p.active.ocp == OCP_TABLE && p.active.ocp_points == 3 && p.active.ocp_voltage[2] == 3.4, "ocp: table of 3 rows", NULL, 0, 0);
    PetscCall(ParamsDestroy(&p));
  } else
    printf("  %s\n", LastMessage(ierr));
  WriteFile("ocp_bad.csv", "0.5,3.9\n0.1,4.3\n", path);
  PetscCall(LoadText("ocp_bad.yaml", "cathode: {ocp: ocp_bad.csv}\n", 0, NULL, NULL, &p, &ierr));
  ExpectError("ocp: unsorted CSV names the file and line", ierr, "ocp_bad.csv:2", "ascending");
  PetscCall(LoadText("ocp_const.yaml", "cathode: {ocp: 3.7 V}\n", 0, NULL, NULL, &p, &ierr));
  if (check(!ierr && p.active.ocp == OCP_CONSTANT && p.active.ocp_value == 3.7, "ocp: a constant voltage", NULL, 0, 0)) PetscCall(ParamsDestroy(&p));

  /* Extra material files named by the config. */
  WriteFile("mymat.yaml",
            "name: MyGlass\nphase: electrolyte\nkind: single_ion\ndescription: test glass.\nreference_temperature: 25 degC\n"
            "parameters:\n  conductivity: {value: 0.5 mS/cm, activation_energy: 0.4 eV, source: test}\n  concentration: 20000 mol/m^3\n",
            path);
  PetscCall(LoadText("extra.yaml", "materials: [mymat.yaml]\nseparator: {material: MyGlass}\n", 0, NULL, NULL, &p, &ierr));
  if (check(!ierr, "materials: a config's own material file", NULL, 0, 0)) {
    check_rel("materials: its conductivity", p.electrolyte.conductivity, 0.05, 1e-14);
    PetscCall(ParamsDestroy(&p));
  } else
    printf("  %s\n", LastMessage(ierr));

  /* The shipped configs. */
  {
    const char *files[] = {"default.yaml", "symmetric.yaml", "polymer_symmetric.yaml"};
    for (int i = 0; i < 3; i++) {
      char name[128];
      snprintf(path, sizeof path, "%s/configs/%s", IONSTACK_SOURCE_DIR, files[i]);
      snprintf(name, sizeof name, "configs/%s loads", files[i]);
      PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
      ierr = ParamsLoad(PETSC_COMM_WORLD, path, 0, NULL, NULL, &p);
      PetscCall(PetscPopErrorHandler());
      if (check(!ierr, name, NULL, 0, 0)) {
        if (i == 0) check(p.nsteps == 4 && p.cathode_model == CATHODE_ACTIVE, "configs/default.yaml: four steps, NMC811", NULL, 0, 0);
        if (i == 1) check(p.cathode_model == CATHODE_LITHIUM && p.steps[0].current == 10, "configs/symmetric.yaml: lithium cathode", NULL, 0, 0);
        if (i == 2) check_rel("configs/polymer_symmetric.yaml: PEO-LiTFSI at its reference temperature", p.electrolyte.conductivity, 0.1, 1e-12);
        PetscCall(ParamsDestroy(&p));
      } else
        printf("  %s\n", LastMessage(ierr));
    }
  }
  {
    FILE *devnull = fopen("/dev/null", "w");
    PetscCall(MaterialsList(PETSC_COMM_WORLD, devnull));
    PetscCall(MaterialsShow(PETSC_COMM_WORLD, "NMC811", devnull));
    fclose(devnull);
    check(1, "materials: list and show run", NULL, 0, 0);
    PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
    ierr = MaterialsShow(PETSC_COMM_WORLD, "Kryptonite", stdout);
    PetscCall(PetscPopErrorHandler());
    ExpectError("materials: an unknown name lists the available ones", ierr, "Kryptonite", "PEO-LiTFSI");
  }
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  char cmd[PETSC_MAX_PATH_LEN + 16];

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  snprintf(tmpdir, sizeof tmpdir, "/tmp/ionstack_test_config_XXXXXX");
  if (!mkdtemp(tmpdir)) return 1;
  PetscCall(TestUnits());
  PetscCall(TestBase());
  PetscCall(TestErrors());
  PetscCall(TestCustomElectrolytes());
  PetscCall(TestArrhenius());
  PetscCall(TestOverridesAndMore());
  snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
  if (system(cmd)) printf("could not remove %s\n", tmpdir);
  PetscCall(PetscFinalize());
  return test_failures ? 1 : 0;
}
