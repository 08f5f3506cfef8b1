/* Restart: the solver state a run stores at each output time, and a run
 * continued from it (docs/restart.md).
 *
 * What is stored. The state vector U, gathered to rank 0 in the model's
 * natural order (cell by cell from x = 0, x fastest, each cell's unknowns in
 * its layout), so that a file written on any number of ranks restarts on any
 * other; and a RestartRecord as named scalars (the protocol step and where
 * it stands, its armed events, the sample the running integrals continue
 * from, the integrals and counters, per-step capacity, energy, time). The
 * output layer keeps the last two in /restart, written in turn (output.c).
 *
 * What may change. A restart continues the run it stored, so the resolved
 * config (/provenance/config against Params.resolved_yaml) must be the same
 * except for output.* (where and how often it writes), solver.max_steps (a
 * bound, not the solution), the file names of the config and of material
 * files (their values are compared), sweep.* (a sweep point's own values are
 * compared) and the protocol steps after the one it continues. Any other
 * difference is refused before anything is written, naming the keys.
 *
 * This file does not write files (output.c does), nor run the protocol
 * (solver.c does); it knows the model only through its unknown layout. */
#include <stddef.h>
#include "restart.h"

struct _n_Restart {
  MPI_Comm      comm;
  PetscMPIInt   rank;
  const Params *p;
  Model        *m;
  PetscInt      n;        /* unknowns of the whole mesh */
  PetscBool     identity; /* one rank and the PETSc order is the natural one: no gather */
  VecScatter    gather;   /* U -> natural (rank 0 holds all, the others nothing) */
  Vec           natural;
  char         *names; /* of the scalars, comma-separated */
  PetscInt      nscalars;
  PetscReal    *scalars;
  OutputSource  src; /* the file being continued, between RestartLoad and RestartContinue */
};

/* ---- the record as named scalars ---- */

typedef enum { KIND_REAL, KIND_INT, KIND_BOOL } EntryKind;

typedef struct {
  const char *name;
  EntryKind   kind;
  size_t      offset;
} Entry;

#define REAL(n, f)                                                                                                                                   \
  {                                                                                                                                                  \
    n, KIND_REAL, offsetof(RestartRecord, f)                                                                                                         \
  }
#define INT(n, f)                                                                                                                                    \
  {                                                                                                                                                  \
    n, KIND_INT, offsetof(RestartRecord, f)                                                                                                          \
  }
#define BOOL(n, f)                                                                                                                                   \
  {                                                                                                                                                  \
    n, KIND_BOOL, offsetof(RestartRecord, f)                                                                                                         \
  }

_Static_assert(EVENT_COUNT == 4, "one armed_* entry per event");

/* One value each. The names are the file's: docs/restart.md lists them. */
static const Entry Scalars[] = {
    REAL("time", time),
    INT("step", step),
    BOOL("between", between),
    REAL("step_start", step_start),
    REAL("dt", dt),
    REAL("next_output", next_output),
    BOOL("armed_voltage", armed[EVENT_VOLTAGE]),
    BOOL("armed_current", armed[EVENT_CURRENT]),
    BOOL("armed_depletion", armed[EVENT_DEPLETION]),
    BOOL("armed_saturation", armed[EVENT_SATURATION]),
    BOOL("have_voltage", have_voltage),
    REAL("last_voltage", last_voltage),
    BOOL("sampled", sampled),
    REAL("t_prev", t_prev),
    REAL("V_prev", V_prev),
    REAL("I_prev", I_prev),
    REAL("capacity", capacity),
    REAL("energy", energy),
    REAL("observed_voltage", last.voltage),
    REAL("observed_current", last.current),
    REAL("observed_min_interface_concentration", last.min_interface_concentration),
    REAL("observed_min_theta", last.min_theta),
    REAL("observed_max_theta", last.max_theta),
    REAL("observed_lithium_inventory", last.lithium_inventory),
    INT("protocol_steps", nsteps),
    INT("time_steps", s.steps),
    INT("rejected_steps", s.rejected),
    INT("newton_iterations", s.newton),
    INT("linear_iterations", s.linear),
    INT("domain_errors", s.domain_errors),
    REAL("solve_time", s.solve_seconds),
    REAL("discharge_capacity", s.discharge_capacity),
    REAL("discharge_energy", s.discharge_energy),
    REAL("charge_capacity", s.charge_capacity),
    REAL("min_interface_concentration", s.min_interface_concentration),
    INT("steps_completed", s.steps_completed),
    BOOL("depleted", s.depleted),
    BOOL("asr_measured", s.asr_measured),
    INT("asr_step", s.asr_step),
    REAL("asr_time", s.asr_time),
    REAL("asr_membrane", s.asr_membrane),
    REAL("asr_anode_interface", s.asr_anode_interface),
    REAL("asr_cathode_interface", s.asr_cathode_interface),
    REAL("asr_cathode", s.asr_cathode),
    REAL("asr_cathode_solid", s.asr_cathode_solid),
    REAL("asr_anode", s.asr_anode),
    REAL("asr_total", s.asr_total),
    REAL("interface_peak", s.interface_peak),
    REAL("interface_mean", s.interface_mean),
    REAL("contact_fraction", s.contact_fraction),
};

/* One value per protocol step, named NAME.k (k from 0). */
static const Entry PerStep[] = {
    REAL("step_capacity", s.step_capacity[0]), REAL("step_energy", s.step_energy[0]),     REAL("step_vdt", step_vdt[0]),
    REAL("step_time", step_time[0]),           REAL("step_end_time", s.step_end_time[0]), INT("step_end_event", s.step_end_event[0]),
    BOOL("step_at_start", s.step_at_start[0]),
};

#define NSCALARS ((PetscInt)(sizeof Scalars / sizeof Scalars[0]))
#define NPERSTEP ((PetscInt)(sizeof PerStep / sizeof PerStep[0]))

static size_t EntrySize(EntryKind k)
{
  return k == KIND_REAL ? sizeof(PetscReal) : k == KIND_INT ? sizeof(PetscInt) : sizeof(PetscBool);
}

static PetscReal EntryGet(const RestartRecord *rec, const Entry *e, PetscInt j)
{
  const char *at = (const char *)rec + e->offset + (size_t)j * EntrySize(e->kind);

  if (e->kind == KIND_REAL) return *(const PetscReal *)at;
  if (e->kind == KIND_INT) return (PetscReal) * (const PetscInt *)at;
  return *(const PetscBool *)at ? 1.0 : 0.0;
}

static void EntrySet(RestartRecord *rec, const Entry *e, PetscInt j, PetscReal v)
{
  char *at = (char *)rec + e->offset + (size_t)j * EntrySize(e->kind);

  if (e->kind == KIND_REAL)
    *(PetscReal *)at = v;
  else if (e->kind == KIND_INT)
    *(PetscInt *)at = (PetscInt)v;
  else
    *(PetscBool *)at = (PetscBool)(v != 0);
}

/* The names of this run's scalars: the Scalars, then PerStep for each step. */
static PetscErrorCode RestartNames(Restart r)
{
  const PetscInt nsteps = r->p->nsteps;
  size_t         len = 1, at = 0;

  PetscFunctionBeginUser;
  r->nscalars = NSCALARS + NPERSTEP * nsteps;
  for (PetscInt i = 0; i < NSCALARS; i++)
    len += strlen(Scalars[i].name) + 1;
  for (PetscInt i = 0; i < NPERSTEP; i++)
    len += (strlen(PerStep[i].name) + 6) * (size_t)nsteps;
  PetscCall(PetscMalloc1(len, &r->names));
  PetscCall(PetscMalloc1(r->nscalars, &r->scalars));
  for (PetscInt i = 0; i < NSCALARS; i++)
    at += (size_t)snprintf(r->names + at, len - at, "%s%s", at ? "," : "", Scalars[i].name);
  for (PetscInt j = 0; j < nsteps; j++)
    for (PetscInt i = 0; i < NPERSTEP; i++)
      at += (size_t)snprintf(r->names + at, len - at, ",%s.%" PetscInt_FMT, PerStep[i].name, j);
  PetscFunctionReturn(0);
}

static void Pack(Restart r, const RestartRecord *rec)
{
  PetscInt k = 0;

  for (PetscInt i = 0; i < NSCALARS; i++)
    r->scalars[k++] = EntryGet(rec, &Scalars[i], 0);
  for (PetscInt j = 0; j < r->p->nsteps; j++)
    for (PetscInt i = 0; i < NPERSTEP; i++)
      r->scalars[k++] = EntryGet(rec, &PerStep[i], j);
}

/* Fills rec from the stored names and values; names it does not know are
 * left alone (a later version's), a Scalars entry missing is an error. */
static PetscErrorCode Unpack(const char *path, const OutputRestart *stored, RestartRecord *rec)
{
  PetscBool   found[sizeof Scalars / sizeof Scalars[0]] = {PETSC_FALSE};
  const char *s                                         = stored->names;

  PetscFunctionBeginUser;
  PetscCall(PetscMemzero(rec, sizeof *rec));
  for (PetscInt k = 0; k < stored->nscalars && s && *s; k++) {
    const char *end = strchr(s, ','), *dot;
    size_t      len = end ? (size_t)(end - s) : strlen(s);
    char        name[128];

    if (len < sizeof name) {
      memcpy(name, s, len);
      name[len] = 0;
      dot       = strchr(name, '.');
      if (dot) {
        const long j     = strtol(dot + 1, NULL, 10);
        name[dot - name] = 0;
        for (PetscInt i = 0; i < NPERSTEP; i++)
          if (!strcmp(name, PerStep[i].name) && j >= 0 && j < MAX_PROTOCOL_STEPS) EntrySet(rec, &PerStep[i], (PetscInt)j, stored->scalars[k]);
      } else {
        for (PetscInt i = 0; i < NSCALARS; i++)
          if (!strcmp(name, Scalars[i].name)) EntrySet(rec, &Scalars[i], 0, stored->scalars[k]), found[i] = PETSC_TRUE;
      }
    }
    s = end ? end + 1 : NULL;
  }
  for (PetscInt i = 0; i < NSCALARS; i++)
    PetscCheck(found[i], PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED,
               "Cannot restart from %s: its stored solver state has no %s (it was written by another version of ionstack)", path, Scalars[i].name);
  PetscCheck(
      rec->nsteps > 0 && rec->nsteps <= MAX_PROTOCOL_STEPS && rec->step >= 0 && rec->step <= rec->nsteps && (rec->between || rec->step < rec->nsteps),
      PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED,
      "Cannot restart from %s: its stored protocol position (step %" PetscInt_FMT " of %" PetscInt_FMT ") is damaged", path, rec->step, rec->nsteps);
  PetscFunctionReturn(0);
}

/* ---- natural order ---- */

PetscErrorCode RestartCreate(Model *m, const Params *p, Restart *restart)
{
  Restart     r;
  PetscMPIInt size;
  PetscInt   *from = NULL, nlocal = 0;
  IS          is_from, is_to;
  Vec         U;

  PetscFunctionBeginUser;
  PetscCall(PetscNew(&r));
  r->comm = m->comm, r->p = p, r->m = m;
  PetscCallMPI(MPI_Comm_rank(r->comm, &r->rank));
  PetscCallMPI(MPI_Comm_size(r->comm, &size));
  r->n = 0;
  for (PetscInt c = 0; c < m->nx * m->ny; c++)
    r->n += m->layout[m->region[c]].ndof;
  if (r->rank == 0) {
    PetscInt k = 0;
    nlocal     = r->n;
    PetscCall(PetscMalloc1(r->n, &from));
    for (PetscInt c = 0; c < m->nx * m->ny; c++)
      for (PetscInt d = 0; d < m->layout[m->region[c]].ndof; d++)
        from[k++] = m->cell_offset[c] + d;
  }
  r->identity = (PetscBool)(size == 1);
  for (PetscInt k = 0; r->identity && k < nlocal; k++)
    r->identity = (PetscBool)(from[k] == k);
  if (!r->identity) {
    PetscCall(VecCreateSeq(PETSC_COMM_SELF, nlocal, &r->natural));
    PetscCall(ISCreateGeneral(PETSC_COMM_SELF, nlocal, from, PETSC_COPY_VALUES, &is_from));
    PetscCall(ISCreateStride(PETSC_COMM_SELF, nlocal, 0, 1, &is_to));
    PetscCall(ModelCreateVector(m, &U));
    PetscCall(VecScatterCreate(U, is_from, r->natural, is_to, &r->gather));
    PetscCall(VecDestroy(&U));
    PetscCall(ISDestroy(&is_from));
    PetscCall(ISDestroy(&is_to));
  }
  PetscCall(PetscFree(from));
  PetscCall(RestartNames(r));
  *restart = r;
  PetscFunctionReturn(0);
}

PetscErrorCode RestartStore(Restart r, Output out, Vec U, const RestartRecord *rec)
{
  OutputRestart      o;
  const PetscScalar *u = NULL;
  Vec                v = r->identity ? U : r->natural;

  PetscFunctionBeginUser;
  if (!out) PetscFunctionReturn(0);
  Pack(r, rec);
  if (!r->identity) {
    PetscCall(VecScatterBegin(r->gather, U, r->natural, INSERT_VALUES, SCATTER_FORWARD));
    PetscCall(VecScatterEnd(r->gather, U, r->natural, INSERT_VALUES, SCATTER_FORWARD));
  }
  PetscCall(VecGetArrayRead(v, &u));
  o = (OutputRestart){rec->time, r->nscalars, r->names, r->scalars, r->n, (const PetscReal *)u};
  PetscCall(OutputWriteRestart(out, &o));
  PetscCall(VecRestoreArrayRead(v, &u));
  PetscFunctionReturn(0);
}

/* ---- the config a restart may change ---- */

typedef struct {
  char *key, *value;
} ConfigLine;

/* The value of a resolved-config line, without its comment ("  # units,
 * origin": a # outside quotes after a space) and trailing blanks. */
static void StripComment(char *v)
{
  PetscBool quoted = PETSC_FALSE;
  size_t    n;

  for (char *c = v; *c; c++) {
    if (quoted && *c == '\\' && c[1])
      c++;
    else if (*c == '"')
      quoted = (PetscBool)!quoted;
    else if (!quoted && *c == '#' && (c == v || c[-1] == ' ')) {
      *c = 0;
      break;
    }
  }
  n = strlen(v);
  while (n && (v[n - 1] == ' ' || v[n - 1] == '\r'))
    v[--n] = 0;
}

/* The resolved config (config.c writes it: two spaces per level, lists as
 * "- item", every value on its line) as key/value pairs: "separator.thickness",
 * "protocol[2]". */
static PetscErrorCode ConfigParse(const char *text, PetscInt *n, ConfigLine **lines)
{
  enum { DEPTH = 16 };
  PetscInt    indent[DEPTH], items[DEPTH], depth = 0, cap = 256;
  char        name[DEPTH][128];
  const char *line = text;

  PetscFunctionBeginUser;
  *n = 0;
  PetscCall(PetscMalloc1(cap, lines));
  while (line && *line) {
    const char *eol = strchr(line, '\n');
    size_t      len = eol ? (size_t)(eol - line) : strlen(line);
    char        buf[4096], key[1024], *rest, *colon;
    PetscInt    ind = 0;

    if (len >= sizeof buf) len = sizeof buf - 1;
    memcpy(buf, line, len);
    buf[len] = 0;
    line     = eol ? eol + 1 : NULL;
    while (buf[ind] == ' ')
      ind++;
    rest = buf + ind;
    if (!*rest || *rest == '#' || *rest == '\r') continue;
    while (depth > 0 && indent[depth - 1] >= ind)
      depth--;
    key[0] = 0;
    for (PetscInt d = 0; d < depth; d++) {
      PetscCall(PetscStrlcat(key, name[d], sizeof key));
      if (d < depth - 1) PetscCall(PetscStrlcat(key, ".", sizeof key));
    }
    if (rest[0] == '-' && (rest[1] == ' ' || !rest[1])) {
      char item[32];
      PetscCall(PetscSNPrintf(item, sizeof item, "[%" PetscInt_FMT "]", depth ? items[depth - 1]++ : 0));
      PetscCall(PetscStrlcat(key, item, sizeof key));
      rest += rest[1] ? 2 : 1;
    } else {
      colon = strchr(rest, ':');
      if (colon) *colon = 0;
      if (colon && !colon[1 + strspn(colon + 1, " ")]) { /* "section:" opens a level */
        if (depth < DEPTH) {
          indent[depth] = ind, items[depth] = 0;
          PetscCall(PetscStrncpy(name[depth], rest, sizeof name[depth]));
          depth++;
        }
        continue;
      }
      if (key[0]) PetscCall(PetscStrlcat(key, ".", sizeof key));
      PetscCall(PetscStrlcat(key, rest, sizeof key));
      rest = colon ? colon + 1 + strspn(colon + 1, " ") : rest + strlen(rest);
    }
    StripComment(rest);
    if (*n == cap) {
      cap *= 2;
      PetscCall(PetscRealloc(sizeof(ConfigLine) * cap, lines));
    }
    PetscCall(PetscStrallocpy(key, &(*lines)[*n].key));
    PetscCall(PetscStrallocpy(rest, &(*lines)[*n].value));
    (*n)++;
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode ConfigFree(PetscInt n, ConfigLine **lines)
{
  PetscFunctionBeginUser;
  for (PetscInt i = 0; i < n; i++) {
    PetscCall(PetscFree((*lines)[i].key));
    PetscCall(PetscFree((*lines)[i].value));
  }
  PetscCall(PetscFree(*lines));
  PetscFunctionReturn(0);
}

/* The protocol step a key names (protocol[k]), or -1. */
static PetscInt ProtocolItem(const char *key)
{
  return !strncmp(key, "protocol[", 9) ? (PetscInt)strtol(key + 9, NULL, 10) : -1;
}

/* Whether a restart may change key: last is the last protocol step that
 * must stay as it was. */
static PetscBool MayChange(const char *key, PetscInt last)
{
  const PetscInt item = ProtocolItem(key);
  const char    *dot;

  if (item >= 0) return (PetscBool)(item > last);
  if (!strncmp(key, "output.", 7) || !strncmp(key, "sweep.", 6) || !strcmp(key, "solver.max_steps") || !strcmp(key, "config_file")) return PETSC_TRUE;
  /* material_sources.<name>.file: where a material file is, not what it says */
  if (!strncmp(key, "material_sources.", 17) && (dot = strchr(key + 17, '.')) && !strcmp(dot, ".file")) return PETSC_TRUE;
  return PETSC_FALSE;
}

static const char *Unquoted(const char *v, char *buf, size_t len)
{
  size_t n = strlen(v);

  if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
    snprintf(buf, len, "'%.*s'", (int)(n - 2), v + 1);
    return buf;
  }
  return v;
}

/* Appends "key (OLD in FILE, NEW now)" to msg. */
static void Describe(char *msg, size_t len, const char *key, const char *old, const char *now, PetscInt *count)
{
  const PetscInt item = ProtocolItem(key);
  char           a[320], b[320], what[64];
  size_t         at = strlen(msg);

  if (++*count > 6) return;
  if (item >= 0) snprintf(what, sizeof what, "protocol step %" PetscInt_FMT, item + 1);
  snprintf(msg + at, len - at, "%s%s (%s in the file, %s now)", *count > 1 ? ", " : "", item >= 0 ? what : key,
           old ? Unquoted(old, a, sizeof a) : "absent", now ? Unquoted(now, b, sizeof b) : "absent");
}

/* Refuses a config that differs from the stored one in what a restart may
 * not change. last: the last protocol step that must be identical. */
static PetscErrorCode ConfigCompare(const char *path, const char *stored, const Params *p, PetscInt last)
{
  ConfigLine *a, *b;
  PetscInt    na, nb, count = 0;
  char        msg[3072] = "";

  PetscFunctionBeginUser;
  PetscCheck(stored && stored[0], PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED,
             "Cannot restart from %s: it has no resolved config (/provenance/config)", path);
  PetscCall(ConfigParse(stored, &na, &a));
  PetscCall(ConfigParse(p->resolved_yaml ? p->resolved_yaml : "", &nb, &b));
  for (PetscInt i = 0; i < na; i++) {
    const ConfigLine *match = NULL;
    for (PetscInt j = 0; j < nb && !match; j++)
      if (!strcmp(a[i].key, b[j].key)) match = &b[j];
    if ((!match || strcmp(match->value, a[i].value)) && !MayChange(a[i].key, last))
      Describe(msg, sizeof msg, a[i].key, a[i].value, match ? match->value : NULL, &count);
  }
  for (PetscInt j = 0; j < nb; j++) {
    PetscBool found = PETSC_FALSE;
    for (PetscInt i = 0; i < na && !found; i++)
      found = (PetscBool)!strcmp(a[i].key, b[j].key);
    if (!found && !MayChange(b[j].key, last)) Describe(msg, sizeof msg, b[j].key, NULL, b[j].value, &count);
  }
  PetscCall(ConfigFree(na, &a));
  PetscCall(ConfigFree(nb, &b));
  if (count > 6) {
    const size_t at = strlen(msg);
    snprintf(msg + at, sizeof msg - at, " and %" PetscInt_FMT " more", count - 6);
  }
  PetscCheck(!count, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "Cannot restart from %s: the config differs from the one it was run with in %s (resolved values, SI). A restart continues that run and "
             "may change only output.*, solver.max_steps and the protocol steps after step %" PetscInt_FMT
             " (steps may be changed or added from there); to run the changed config, start it afresh without -restart",
             path, msg, last + 1);
  PetscFunctionReturn(0);
}

/* ---- loading and continuing ---- */

PetscErrorCode RestartLoad(Restart r, RestartRecord *rec)
{
  const char   *config;
  PetscInt      ncells;
  OutputRestart stored;
  const Params *p = r->p;

  PetscFunctionBeginUser;
  PetscCall(OutputSourceDestroy(&r->src));
  PetscCall(OutputSourceOpen(r->comm, p->restart_file, &r->src));
  PetscCall(OutputSourceGet(r->src, &config, &ncells, &stored));
  PetscCall(Unpack(p->restart_file, &stored, rec));
  /* steps up to the one running (or, between steps, the one that ended) stay as they were */
  PetscCall(ConfigCompare(p->restart_file, config, p, rec->between ? rec->step - 1 : rec->step));
  PetscCheck(ncells == r->m->nx * r->m->ny && stored.nstate == r->n, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "Cannot restart from %s: its mesh has %" PetscInt_FMT " cells and %" PetscInt_FMT " unknowns, this run's %" PetscInt_FMT
             " and %" PetscInt_FMT "; restart with the config it was run with",
             p->restart_file, ncells, stored.nstate, r->m->nx * r->m->ny, r->n);
  PetscCheck(rec->step < p->nsteps || rec->between, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "Cannot restart from %s: it stopped in protocol step %" PetscInt_FMT ", which this config does not have", p->restart_file,
             rec->step + 1);
  PetscCheck(PetscIsNormalReal(rec->dt) && rec->dt > 0 && !PetscIsInfOrNanReal(rec->time), PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED,
             "Cannot restart from %s: its stored time or time step is damaged", p->restart_file);
  PetscFunctionReturn(0);
}

PetscErrorCode RestartContinue(Restart r, Output out, Vec U)
{
  OutputRestart stored;
  PetscScalar  *u;
  Vec           v = r->identity ? U : r->natural;

  PetscFunctionBeginUser;
  PetscCheck(r->src, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONGSTATE, "RestartContinue needs RestartLoad first");
  if (out) PetscCall(OutputContinue(out, r->src));
  PetscCall(OutputSourceGet(r->src, NULL, NULL, &stored));
  PetscCall(VecGetArray(v, &u));
  if (r->rank == 0)
    for (PetscInt k = 0; k < r->n; k++)
      u[k] = stored.state[k];
  PetscCall(VecRestoreArray(v, &u));
  if (!r->identity) {
    PetscCall(VecScatterBegin(r->gather, r->natural, U, INSERT_VALUES, SCATTER_REVERSE));
    PetscCall(VecScatterEnd(r->gather, r->natural, U, INSERT_VALUES, SCATTER_REVERSE));
  }
  PetscCall(OutputSourceDestroy(&r->src));
  PetscFunctionReturn(0);
}

PetscErrorCode RestartDestroy(Restart *restart)
{
  Restart r = *restart;

  PetscFunctionBeginUser;
  if (!r) PetscFunctionReturn(0);
  PetscCall(OutputSourceDestroy(&r->src));
  PetscCall(VecScatterDestroy(&r->gather));
  PetscCall(VecDestroy(&r->natural));
  PetscCall(PetscFree(r->names));
  PetscCall(PetscFree(r->scalars));
  PetscCall(PetscFree(*restart));
  PetscFunctionReturn(0);
}
