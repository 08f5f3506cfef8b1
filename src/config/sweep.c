/* The sweep section of a config (SPEC 4.1): for each swept config path a
 * list of values with units, or a range {from, to, points, spacing:
 * linear|log}, combined as their product (mode: product, the default) or
 * zipped (mode: zip). A point is the config with the command line's
 * overrides, then its own values, then its output file, loaded by
 * ParamsLoad like any run: so a sweep key is exactly a config path, and a
 * point is refused for exactly what a run would be. Every point is loaded
 * once here, before anything runs, and an error names the point and its
 * values. This file runs nothing and writes nothing (study/sweep.c runs the
 * points, output/summary.c tabulates them). */
#include <math.h>
#include "config_private.h"

const char *const SweepModes[] = {"product", "zip", "SweepMode", "SWEEP_", NULL};

#define SWEEP_MAX_POINTS 10000000 /* a product beyond this is a typo, not a study */
#define SWEEP_MAX_VALUES 100000   /* values of one axis */

static PetscErrorCode AxisAlloc(SweepAxis *a, PetscInt n)
{
  PetscFunctionBeginUser;
  PetscCall(PetscCalloc1(n, &a->text));
  PetscCall(PetscMalloc1(n, &a->number));
  a->n = n;
  for (PetscInt k = 0; k < n; k++)
    a->number[k] = NAN;
  PetscFunctionReturn(0);
}

/* The unit written after the number of a quantity: "um" of "18 um". */
static void UnitOf(const char *text, char *unit, size_t len)
{
  char       *end;
  const char *s;

  (void)strtod(text, &end);
  for (s = end; *s == ' ' || *s == '\t'; s++) {
  }
  PetscStrncpy(unit, end == text ? "" : s, len);
  for (size_t n = strlen(unit); n > 0 && (unit[n - 1] == ' ' || unit[n - 1] == '\t'); n--)
    unit[n - 1] = 0;
}

/* A quantity in SI as a number in `unit` (an affine map: degC has an offset). */
static PetscErrorCode InUnit(PetscReal si, const char *unit, const char *dimension, const char *where, PetscReal *v)
{
  char      one[64], zero[64];
  PetscReal s1, s0;

  PetscFunctionBeginUser;
  if (!unit[0]) {
    *v = si;
    PetscFunctionReturn(0);
  }
  PetscCall(PetscSNPrintf(one, sizeof one, "1 %s", unit));
  PetscCall(PetscSNPrintf(zero, sizeof zero, "0 %s", unit));
  PetscCall(UnitsParse(one, dimension, where, &s1));
  PetscCall(UnitsParse(zero, dimension, where, &s0));
  *v = (si - s0) / (s1 - s0);
  PetscFunctionReturn(0);
}

/* Sets value k of axis a from its text: the number in the axis's unit
 * (fixed by the first value) for a quantity, an integer or a C-rate. */
static PetscErrorCode AxisValue(SweepAxis *a, PetscInt k, const SchemaKey *sk, const char *where)
{
  const char *t = a->text[k];
  PetscReal   v;
  char       *end;

  PetscFunctionBeginUser;
  if (sk && (sk->type == KT_QUANTITY || sk->type == KT_PROFILE)) {
    PetscCall(UnitsParse(t, sk->dimension, where, &v));
    if (k == 0) UnitOf(t, a->unit, sizeof a->unit);
    PetscCall(InUnit(v, a->unit, sk->dimension, where, &a->number[k]));
  } else if (sk && sk->type == KT_INT) {
    long i = strtol(t, &end, 10);
    PetscCheck(end != t && !*end, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: '%s' is not an integer", where, t);
    a->number[k] = (PetscReal)i;
  } else if (!sk && ConfigCRate(t, &v)) { /* a defined value: a C-rate, a number, or text */
    if (k == 0) PetscCall(PetscStrncpy(a->unit, "C", sizeof a->unit));
    a->number[k] = v;
  } else if (!sk && (v = strtod(t, &end), end != t && !*end && PetscIsNormalReal(v)))
    a->number[k] = v;
  PetscFunctionReturn(0);
}

/* Appends s to b as a YAML double-quoted scalar. */
static PetscErrorCode QuoteAppend(char *b, size_t len, const char *s)
{
  char c[3] = {0, 0, 0};

  PetscFunctionBeginUser;
  PetscCall(StrAppend(b, "\"", len));
  for (; *s; s++) {
    c[0] = *s, c[1] = 0;
    if (*s == '"' || *s == '\\') c[0] = '\\', c[1] = *s;
    PetscCall(StrAppend(b, c, len));
  }
  PetscCall(StrAppend(b, "\"", len));
  PetscFunctionReturn(0);
}

/* A protocol value: one step as written, or a list of steps as a YAML flow list. */
static PetscErrorCode ProtocolText(yaml_document_t *doc, yaml_node_t *v, const char *where, char **text)
{
  char buf[4096] = "";

  PetscFunctionBeginUser;
  if (YamlScalar(v)) {
    PetscCall(PetscStrallocpy(YamlScalar(v), text));
    PetscFunctionReturn(0);
  }
  PetscCheck(v->type == YAML_SEQUENCE_NODE, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "%s: a protocol value is a step or a list of steps, e.g. [[discharge at 1C until 3 V], [discharge at 2C until 3 V]]", where);
  PetscCall(StrAppend(buf, "[", sizeof buf));
  for (yaml_node_item_t *i = v->data.sequence.items.start; i < v->data.sequence.items.top; i++) {
    const char *step = YamlScalar(yaml_document_get_node(doc, *i));
    PetscCheck(step, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: each step of a swept protocol is a text such as 'rest for 10 min'", where);
    if (i > v->data.sequence.items.start) PetscCall(StrAppend(buf, ", ", sizeof buf));
    PetscCall(QuoteAppend(buf, sizeof buf, step));
  }
  PetscCall(StrAppend(buf, "]", sizeof buf));
  PetscCheck(strlen(buf) < sizeof buf - 1, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: a swept protocol is at most %d characters", where,
             (int)sizeof buf - 2);
  PetscCall(PetscStrallocpy(buf, text));
  PetscFunctionReturn(0);
}

/* {from, to, points, spacing}: points values from `from` to `to`, evenly
 * spaced in SI (linear) or in its logarithm (log), written in the unit of
 * `from`. A defined value takes bare numbers or C-rates. */
static PetscErrorCode RangeAxis(yaml_document_t *doc, yaml_node_t *v, const char *where, const SchemaKey *sk, SweepAxis *a)
{
  const char *from = NULL, *to = NULL, *points = NULL, *spacing = "linear";
  PetscReal   lo, hi;
  long        n;
  char       *end, unit[32] = "";
  PetscBool   crate = PETSC_FALSE, logs;

  PetscFunctionBeginUser;
  for (yaml_node_pair_t *q = v->data.mapping.pairs.start; q < v->data.mapping.pairs.top; q++) {
    const char *k = YamlScalar(yaml_document_get_node(doc, q->key)), *val = YamlScalar(yaml_document_get_node(doc, q->value));
    PetscCheck(k && val, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: a range is {from: a, to: b, points: n, spacing: linear|log} of plain values",
               where);
    if (!strcmp(k, "from"))
      from = val;
    else if (!strcmp(k, "to"))
      to = val;
    else if (!strcmp(k, "points"))
      points = val;
    else if (!strcmp(k, "spacing"))
      spacing = val;
    else
      SETERRQ(PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: unknown range key '%s'; a range has from, to, points and spacing (linear|log)", where, k);
  }
  PetscCheck(from && to && points, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "%s: a range needs from, to and points, e.g. {from: 10 um, to: 1 mm, points: 20, spacing: log}", where);
  n = strtol(points, &end, 10);
  PetscCheck(end != points && !*end && n >= 2 && n <= SWEEP_MAX_VALUES, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "%s: points: '%s' must be an integer from 2 to %d", where, points, SWEEP_MAX_VALUES);
  PetscCheck(!strcmp(spacing, "linear") || !strcmp(spacing, "log"), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: spacing: '%s'; allowed: linear, log",
             where, spacing);
  logs = (PetscBool)!strcmp(spacing, "log");
  if (sk) {
    PetscCheck(sk->type == KT_QUANTITY || sk->type == KT_PROFILE, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
               "%s: a range needs a quantity with units; give this key a list of values", where);
    PetscCall(UnitsParse(from, sk->dimension, where, &lo));
    PetscCall(UnitsParse(to, sk->dimension, where, &hi));
    UnitOf(from, unit, sizeof unit);
  } else {
    PetscReal r;
    crate = (PetscBool)(ConfigCRate(from, &r) && ConfigCRate(to, &hi));
    lo    = r;
    if (!crate) {
      lo = strtod(from, &end);
      PetscCheck(end != from && !*end, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: from: '%s': a range of a defined value is of numbers or C-rates",
                 where, from);
      hi = strtod(to, &end);
      PetscCheck(end != to && !*end, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: to: '%s': a range of a defined value is of numbers or C-rates",
                 where, to);
    }
  }
  PetscCheck(!logs || (lo > 0 && hi > 0), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: a log range needs from and to > 0 (got %s and %s)", where, from,
             to);
  PetscCall(AxisAlloc(a, n));
  for (PetscInt k = 0; k < n; k++) {
    const PetscReal f  = (PetscReal)k / (PetscReal)(n - 1);
    PetscReal       si = logs ? lo * PetscPowReal(hi / lo, f) : lo + (hi - lo) * f, v;
    char            text[96];
    if (k == n - 1) si = hi; /* the end as written, not as rounded */
    if (sk) {
      PetscCall(InUnit(si, unit, sk->dimension, where, &v));
      PetscCall(PetscSNPrintf(text, sizeof text, "%.8g%s%s", (double)v, unit[0] ? " " : "", unit));
    } else
      PetscCall(PetscSNPrintf(text, sizeof text, "%.8g%s", (double)si, crate ? "C" : ""));
    PetscCall(PetscStrallocpy(text, &a->text[k]));
    PetscCall(AxisValue(a, k, sk, where));
  }
  PetscFunctionReturn(0);
}

/* Whether the config defines `name` under define:. */
static PetscBool Defined(yaml_document_t *doc, const char *name)
{
  yaml_node_t *root = yaml_document_get_root_node(doc);

  if (!root || root->type != YAML_MAPPING_NODE) return PETSC_FALSE;
  for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
    yaml_node_t *v = yaml_document_get_node(doc, p->value);
    const char  *k = YamlScalar(yaml_document_get_node(doc, p->key));
    if (!k || strcmp(k, "define") || v->type != YAML_MAPPING_NODE) continue;
    for (yaml_node_pair_t *q = v->data.mapping.pairs.start; q < v->data.mapping.pairs.top; q++) {
      const char *d = YamlScalar(yaml_document_get_node(doc, q->key));
      if (d && !strcmp(d, name)) return PETSC_TRUE;
    }
  }
  return PETSC_FALSE;
}

/* One sweep key: its path checked against the schema, and its values. */
static PetscErrorCode ReadAxis(yaml_document_t *doc, const char *key, yaml_node_t *v, const char *where, SweepAxis *a)
{
  const SchemaKey *sk  = NULL;
  const char      *dot = strchr(key, '.');
  char             section[64];

  PetscFunctionBeginUser;
  PetscCheck(strlen(key) < sizeof a->key, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: the key is too long", where);
  PetscCall(PetscStrncpy(a->key, key, sizeof a->key));
  if (strcmp(key, "protocol")) {
    PetscCheck(dot && (size_t)(dot - key) < sizeof section, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
               "%s: unknown sweep key '%s'; a sweep key is a config path, as on the command line: separator.thickness, cell.temperature, "
               "protocol, define.<name>, ...",
               where, key);
    memcpy(section, key, (size_t)(dot - key));
    section[dot - key] = 0;
    if (!strcmp(section, "define")) {
      PetscCheck(Defined(doc, dot + 1), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
                 "%s: %s is not defined; define it (define: {%s: 1C}) and refer to it in the protocol as $%s", where, key, dot + 1, dot + 1);
    } else {
      char list[2048] = "";
      sk              = ConfigFindKey(section, dot + 1);
      if (!sk) {
        PetscCall(ConfigAllowedKeys(section, list, sizeof list));
        if (list[0]) SETERRQ(PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: unknown sweep key '%s'; keys of %s: %s", where, key, section, list);
        SETERRQ(PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
                "%s: unknown sweep key '%s'; a sweep key is a config path such as separator.thickness, cell.temperature, protocol or define.<name>",
                where, key);
      }
      PetscCheck(strcmp(section, "output") || !strcmp(dot + 1, "interval"), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
                 "%s: %s cannot be swept: the sweep names each point's file in output.directory", where, key);
      PetscCheck(sk->type != KT_LIST, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: %s cannot be swept", where, key);
    }
  }
  if (v->type == YAML_MAPPING_NODE && strcmp(key, "protocol"))
    PetscCall(RangeAxis(doc, v, where, sk, a));
  else if (v->type == YAML_SEQUENCE_NODE) {
    const PetscInt n = (PetscInt)(v->data.sequence.items.top - v->data.sequence.items.start);
    PetscCheck(n >= 1 && n <= SWEEP_MAX_VALUES, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: %s needs 1 to %d values", where, key, SWEEP_MAX_VALUES);
    PetscCall(AxisAlloc(a, n));
    for (PetscInt k = 0; k < n; k++) {
      yaml_node_t *item = yaml_document_get_node(doc, v->data.sequence.items.start[k]);
      if (!strcmp(key, "protocol"))
        PetscCall(ProtocolText(doc, item, where, &a->text[k]));
      else {
        PetscCheck(YamlScalar(item) && YamlScalar(item)[0], PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
                   "%s: value %d of %s must be a single value such as 18 um", where, (int)k + 1, key);
        PetscCall(PetscStrallocpy(YamlScalar(item), &a->text[k]));
        PetscCall(AxisValue(a, k, sk, where));
      }
    }
  } else
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: %s takes a list [18 um, 30 um] or a range {from: 10 um, to: 1 mm, points: 20, spacing: log}",
            where, key);
  PetscFunctionReturn(0);
}

static PetscErrorCode ReadSweepSection(yaml_document_t *doc, const char *file, Sweep *sw)
{
  yaml_node_t *root = yaml_document_get_root_node(doc), *section = NULL;

  PetscFunctionBeginUser;
  if (root && root->type == YAML_MAPPING_NODE)
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
      const char *k = YamlScalar(yaml_document_get_node(doc, p->key));
      if (k && !strcmp(k, "sweep")) section = yaml_document_get_node(doc, p->value);
    }
  PetscCheck(section && section->type == YAML_MAPPING_NODE && section->data.mapping.pairs.top > section->data.mapping.pairs.start, PETSC_COMM_SELF,
             PETSC_ERR_USER_INPUT, "%s: no sweep: section to run; add one, e.g. sweep: {separator.thickness: [18 um, 100 um, 1 mm]} (docs/sweeps.md)",
             file);
  for (yaml_node_pair_t *q = section->data.mapping.pairs.start; q < section->data.mapping.pairs.top; q++) {
    yaml_node_t *kn = yaml_document_get_node(doc, q->key), *v = yaml_document_get_node(doc, q->value);
    const char  *key = YamlScalar(kn);
    char         where[PETSC_MAX_PATH_LEN + 128];
    PetscCall(PetscSNPrintf(where, sizeof where, "%s:%d: sweep: %s", file, (int)kn->start_mark.line + 1, key ? key : "?"));
    PetscCheck(key, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: a sweep key is a config path such as separator.thickness", where);
    if (!strcmp(key, "mode")) {
      const char *m = YamlScalar(v);
      PetscCheck(m && (!strcmp(m, "product") || !strcmp(m, "zip")), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: '%s'; allowed: product, zip", where,
                 m ? m : "(not a name)");
      sw->mode = !strcmp(m, "zip") ? SWEEP_ZIP : SWEEP_PRODUCT;
      continue;
    }
    for (PetscInt a = 0; a < sw->naxes; a++)
      PetscCheck(strcmp(sw->axis[a].key, key), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: %s is swept twice", where, key);
    PetscCheck(sw->naxes < MAX_SWEEP_AXES, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: a sweep varies at most %d keys", where, MAX_SWEEP_AXES);
    PetscCall(ReadAxis(doc, key, v, where, &sw->axis[sw->naxes++]));
  }
  PetscCheck(sw->naxes > 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: the sweep section has no key to sweep (only mode)", file);
  PetscFunctionReturn(0);
}

static PetscErrorCode CountPoints(Sweep *sw)
{
  PetscFunctionBeginUser;
  if (sw->mode == SWEEP_ZIP) {
    for (PetscInt a = 1; a < sw->naxes; a++)
      PetscCheck(sw->axis[a].n == sw->axis[0].n, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
                 "%s: sweep: mode zip pairs the values one to one, but %s has %d values and %s has %d; give every key as many values, or use mode: "
                 "product",
                 sw->config_file, sw->axis[0].key, (int)sw->axis[0].n, sw->axis[a].key, (int)sw->axis[a].n);
    sw->npoints = sw->axis[0].n;
  } else {
    PetscInt64 n = 1;
    for (PetscInt a = 0; a < sw->naxes; a++) {
      n *= sw->axis[a].n;
      PetscCheck(n <= SWEEP_MAX_POINTS, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: sweep: the product of the values has more than %d points",
                 sw->config_file, SWEEP_MAX_POINTS);
    }
    sw->npoints = (PetscInt)n;
  }
  PetscFunctionReturn(0);
}

void SweepPointValues(const Sweep *sw, PetscInt index, PetscInt value[MAX_SWEEP_AXES])
{
  for (PetscInt a = sw->naxes - 1; a >= 0; a--) {
    if (sw->mode == SWEEP_ZIP)
      value[a] = index;
    else {
      value[a] = index % sw->axis[a].n;
      index /= sw->axis[a].n;
    }
  }
}

PetscErrorCode SweepPointFile(const Sweep *sw, PetscInt index, char *path, size_t len)
{
  int width = 4;

  PetscFunctionBeginUser;
  for (PetscInt n = 10000; n < sw->npoints; n *= 10)
    width++;
  PetscCall(PetscSNPrintf(path, len, "%s/point_%0*d.h5", sw->directory, width, (int)index));
  PetscFunctionReturn(0);
}

/* "separator.thickness = 18 um, define.rate = 1C", for messages. */
static PetscErrorCode PointText(const Sweep *sw, PetscInt index, char *buf, size_t len)
{
  PetscInt v[MAX_SWEEP_AXES];

  PetscFunctionBeginUser;
  SweepPointValues(sw, index, v);
  buf[0] = 0;
  for (PetscInt a = 0; a < sw->naxes; a++) {
    if (a) PetscCall(StrAppend(buf, ", ", len));
    PetscCall(StrAppend(buf, sw->axis[a].key, len));
    PetscCall(StrAppend(buf, " = ", len));
    PetscCall(StrAppend(buf, sw->axis[a].text[v[a]], len));
  }
  PetscFunctionReturn(0);
}

PetscErrorCode SweepPointParams(MPI_Comm comm, const Sweep *sw, PetscInt index, Params *p)
{
  const PetscInt n = sw->noverrides + sw->naxes + 1;
  PetscInt       v[MAX_SWEEP_AXES];
  char         **keys, **values, file[PETSC_MAX_PATH_LEN];
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  PetscCheck(index >= 0 && index < sw->npoints, comm, PETSC_ERR_USER_INPUT, "%s: the sweep has points 0 to %d; there is no point %d", sw->config_file,
             (int)sw->npoints - 1, (int)index);
  SweepPointValues(sw, index, v);
  PetscCall(SweepPointFile(sw, index, file, sizeof file));
  PetscCall(PetscMalloc2(n, &keys, n, &values));
  for (PetscInt i = 0; i < sw->noverrides; i++)
    keys[i] = sw->keys[i], values[i] = sw->values[i];
  for (PetscInt a = 0; a < sw->naxes; a++)
    keys[sw->noverrides + a] = (char *)sw->axis[a].key, values[sw->noverrides + a] = sw->axis[a].text[v[a]];
  keys[n - 1] = (char *)"output.file", values[n - 1] = file;
  ierr = ParamsLoad(comm, sw->config_file, n, keys, values, p);
  PetscCall(PetscFree2(keys, values));
  if (ierr) {
    const char *generic  = NULL;
    char       *specific = NULL, point[1024];
    PetscErrorMessage(ierr, &generic, &specific);
    PetscCall(PointText(sw, index, point, sizeof point));
    SETERRQ(comm, PETSC_ERR_USER_INPUT, "sweep point %d (%s) is refused: %s", (int)index, point, specific && specific[0] ? specific : generic);
  }
  p->point_index   = index;
  p->point_count   = sw->npoints;
  p->point_ninputs = sw->naxes;
  for (PetscInt a = 0; a < sw->naxes; a++) {
    PetscCall(PetscStrncpy(p->point_keys[a], sw->axis[a].key, sizeof p->point_keys[a]));
    PetscCall(PetscStrncpy(p->point_values[a], sw->axis[a].text[v[a]], sizeof p->point_values[a]));
    PetscCall(PetscStrncpy(p->point_units[a], sw->axis[a].unit, sizeof p->point_units[a]));
    p->point_numbers[a] = sw->axis[a].number[v[a]];
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode SweepLoad_Private(MPI_Comm comm, const char *file, Sweep *sw)
{
  yaml_document_t doc;
  PetscErrorCode  ierr;
  Params          p;

  PetscFunctionBeginUser;
  /* the base config first: its own errors, and output.directory */
  PetscCall(ParamsLoad(comm, file, sw->noverrides, sw->keys, sw->values, &p));
  ierr = PetscStrncpy(sw->directory, p.output_directory, sizeof sw->directory);
  PetscCall(ParamsDestroy(&p));
  PetscCall(ierr);
  for (size_t n = strlen(sw->directory); n > 1 && sw->directory[n - 1] == '/'; n--)
    sw->directory[n - 1] = 0;
  PetscCall(YamlLoadFile(file, &doc));
  ierr = ReadSweepSection(&doc, file, sw);
  yaml_document_delete(&doc);
  PetscCall(ierr);
  for (PetscInt a = 0; a < sw->naxes; a++)
    for (PetscInt i = 0; i < sw->noverrides; i++)
      PetscCheck(strcmp(sw->axis[a].key, sw->keys[i]), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
                 "command line: %s is swept in %s; a point cannot also take it from the command line", sw->keys[i], file);
  PetscCall(CountPoints(sw));
  /* every point before any runs: a bad combination is found now, not hours in */
  for (PetscInt i = 0; i < sw->npoints; i++) {
    PetscCall(SweepPointParams(comm, sw, i, &p));
    PetscCall(ParamsDestroy(&p));
  }
  PetscFunctionReturn(0);
}

PetscErrorCode SweepLoad(MPI_Comm comm, const char *file, PetscInt noverrides, char **keys, char **values, Sweep *sw)
{
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  PetscCall(PetscMemzero(sw, sizeof *sw));
  PetscCheck(file && strlen(file) < sizeof sw->config_file, comm, PETSC_ERR_USER_INPUT, "no config file, or its path is too long");
  PetscCall(PetscStrncpy(sw->config_file, file, sizeof sw->config_file));
  sw->noverrides = noverrides;
  PetscCall(PetscCalloc2(PetscMax(noverrides, 1), &sw->keys, PetscMax(noverrides, 1), &sw->values));
  for (PetscInt i = 0; i < noverrides; i++) {
    PetscCall(PetscStrallocpy(keys[i], &sw->keys[i]));
    PetscCall(PetscStrallocpy(values[i], &sw->values[i]));
  }
  ierr = SweepLoad_Private(comm, file, sw);
  if (ierr) {
    PetscCall(SweepDestroy(sw));
    PetscCall(ierr);
  }
  PetscFunctionReturn(0);
}

PetscErrorCode SweepDestroy(Sweep *sw)
{
  PetscFunctionBeginUser;
  for (PetscInt a = 0; a < sw->naxes; a++) {
    for (PetscInt k = 0; k < sw->axis[a].n && sw->axis[a].text; k++)
      PetscCall(PetscFree(sw->axis[a].text[k]));
    PetscCall(PetscFree(sw->axis[a].text));
    PetscCall(PetscFree(sw->axis[a].number));
  }
  sw->naxes = 0;
  for (PetscInt i = 0; i < sw->noverrides; i++) {
    PetscCall(PetscFree(sw->keys[i]));
    PetscCall(PetscFree(sw->values[i]));
  }
  PetscCall(PetscFree2(sw->keys, sw->values));
  sw->noverrides = 0;
  PetscFunctionReturn(0);
}

PetscErrorCode SweepList(MPI_Comm comm, const Sweep *sw, FILE *fp)
{
  PetscInt v[MAX_SWEEP_AXES];

  PetscFunctionBeginUser;
  PetscCall(PetscFPrintf(comm, fp, "# %s: %d points (%s of", sw->config_file, (int)sw->npoints, SweepModes[sw->mode]));
  for (PetscInt a = 0; a < sw->naxes; a++)
    PetscCall(PetscFPrintf(comm, fp, " %s (%d)", sw->axis[a].key, (int)sw->axis[a].n));
  PetscCall(PetscFPrintf(comm, fp, "), into %s/\n", sw->directory));
  for (PetscInt i = 0; i < sw->npoints; i++) {
    SweepPointValues(sw, i, v);
    PetscCall(PetscFPrintf(comm, fp, "%d ", (int)i));
    for (PetscInt a = 0; a < sw->naxes; a++)
      PetscCall(PetscFPrintf(comm, fp, " %s=%s", sw->axis[a].key, sw->axis[a].text[v[a]]));
    PetscCall(PetscFPrintf(comm, fp, "\n"));
  }
  PetscFunctionReturn(0);
}
