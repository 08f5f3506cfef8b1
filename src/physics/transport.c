/* Two-point face fluxes of the bulk equations, with their derivatives:
 *   electron conductors   i = -sigma grad(phi)
 *   active solids         N = -D_s grad(c_s)            (and Ohm for phi_s)
 *   binary electrolytes   i = -kappa grad(phi_e) + (2RT/F) kappa (1 - t+) chi grad(ln c)
 *                         N = -D grad(c) + t+ i / F
 * Coefficients meet on the face as the harmonic mean of the two half cells,
 * so a material jump sits exactly on the face. These kernels know nothing of
 * the grid: they see two states and two distances. Single-ion electrolytes
 * use FluxOhm with their conductivity. In a porous composite the
 * electrolyte's kappa and D are scaled by its transport factor w (eps^b),
 * one per side, so a separator | composite face joins the two. */
#include "model.h"

PetscReal FaceConductance(PetscReal kL, PetscReal kR, PetscReal dL, PetscReal dR, PetscReal *dG_dkL, PetscReal *dG_dkR)
{
  const PetscReal rL = dL / kL, rR = dR / kR, G = 1.0 / (rL + rR);

  if (dG_dkL) *dG_dkL = G * G * rL / kL;
  if (dG_dkR) *dG_dkR = dR > 0 ? G * G * rR / kR : 0.0;
  return G;
}

static void FluxZero(FaceFlux *out)
{
  PetscCallVoid(PetscArrayzero(out->f, FIELD_COUNT));
  for (int a = 0; a < FIELD_COUNT; a++)
    PetscCallVoid(PetscArrayzero(out->J[a], 2 * FIELD_COUNT));
}

/* Linear two-point flux -G (uR - uL) of one field. */
static void FluxLinear(PetscReal G, FieldIndex field, const PetscReal uL[], const PetscReal uR[], PetscReal scale, FaceFlux *out)
{
  out->f[field]                      = -scale * G * (uR[field] - uL[field]);
  out->J[field][field]               = scale * G;
  out->J[field][FIELD_COUNT + field] = -scale * G;
}

void FluxOhm(PetscReal sigmaL, PetscReal sigmaR, const PetscReal uL[], const PetscReal uR[], PetscReal dL, PetscReal dR, FaceFlux *out)
{
  FluxZero(out);
  FluxLinear(FaceConductance(sigmaL, sigmaR, dL, dR, NULL, NULL), FIELD_PHI, uL, uR, 1.0, out);
}

void FluxSolidDiffusion(PetscReal DL, PetscReal DR, const PetscReal uL[], const PetscReal uR[], PetscReal dL, PetscReal dR, FaceFlux *out)
{
  FluxZero(out);
  FluxLinear(FaceConductance(DL, DR, dL, dR, NULL, NULL), FIELD_C, uL, uR, FARADAY, out);
}

static void ElectrolyteEvaluateScaled(const Electrolyte *e, PetscReal w, PetscReal c, ElectrolyteState *s)
{
  ElectrolyteEvaluate(e, c, s);
  s->kappa *= w, s->dkappa_dc *= w, s->D *= w, s->dD_dc *= w;
}

void FluxBinaryElectrolyte(const Electrolyte *eL, PetscReal wL, const Electrolyte *eR, PetscReal wR, PetscReal T, const PetscReal uL[],
                           const PetscReal uR[], PetscReal dL, PetscReal dR, FaceFlux *out)
{
  ElectrolyteState sL, sR;
  PetscReal        dGk_dkL, dGk_dkR, dGD_dDL, dGD_dDR;
  const PetscReal  cL = uL[FIELD_C], cR = uR[FIELD_C];

  ElectrolyteEvaluateScaled(eL, wL, cL, &sL);
  ElectrolyteEvaluateScaled(eR, wR, cR, &sR);
  {
    const PetscReal Gk    = FaceConductance(sL.kappa, sR.kappa, dL, dR, &dGk_dkL, &dGk_dkR);
    const PetscReal GD    = FaceConductance(sL.D, sR.D, dL, dR, &dGD_dDL, &dGD_dDR);
    const PetscReal tplus = 0.5 * (sL.tplus + sR.tplus), chi = 0.5 * (sL.chi + sR.chi);
    const PetscReal beta = 2.0 * GAS_CONSTANT * T / FARADAY * (1.0 - tplus) * chi; /* diffusion-potential coefficient */
    const PetscReal X    = (uR[FIELD_PHI] - uL[FIELD_PHI]) - beta * (PetscLogReal(cR) - PetscLogReal(cL));
    const PetscReal i    = -Gk * X;
    /* derivatives of i with respect to (cL, phiL, cR, phiR) */
    const PetscReal di[4] = {-dGk_dkL * sL.dkappa_dc * X - Gk * beta / cL, Gk, -dGk_dkR * sR.dkappa_dc * X + Gk * beta / cR, -Gk};

    out->f[FIELD_PHI] = i;
    out->f[FIELD_C]   = -FARADAY * GD * (cR - cL) + tplus * i;
    for (int b = 0; b < 4; b++) {
      out->J[FIELD_PHI][b] = di[b];
      out->J[FIELD_C][b]   = tplus * di[b];
    }
    out->J[FIELD_C][0] += FARADAY * (GD - dGD_dDL * sL.dD_dc * (cR - cL));
    out->J[FIELD_C][2] += -FARADAY * (GD + dGD_dDR * sR.dD_dc * (cR - cL));
  }
}
