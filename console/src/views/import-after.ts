import { ApiError, post, put, seg } from '../api.js';
import { alertBox, h } from '../dom.js';
import { errorBox } from '../messages.js';
import type { BulkClaimResult, ImportResult } from '../types.js';

/** What the import form asked for beyond the import itself. */
export interface AfterImport {
  /** Claim the imported devices into this application of mine (null: stay in the inventory). */
  readonly applicationId: string | null;
  /** False: make the codes invalid at once (nobody can claim the devices until a new code is set). */
  readonly setClaimCode: boolean;
  readonly validFrom: string | null;
  readonly validTo: string | null;
}

const CLAIM_ROWS = 1000;
const PARALLEL = 4;

/**
 * The steps an import form may add, done through the same REST API: claim the imported devices
 * into an application (`POST /api/v1/claims/bulk` with their owner tokens), set the codes'
 * validity, or end it at once (`PUT …/owner-token`). Returns the results with what changed.
 */
export async function finishImport(results: readonly ImportResult[], after: AfterImport, status: HTMLElement): Promise<ImportResult[]> {
  let current = [...results];
  const note = h('p', { class: 'loading' });
  if (after.applicationId !== null) {
    status.appendChild(note);
    current = await claimInto(after.applicationId, current, note, status);
  }
  if (!after.setClaimCode || after.validFrom !== null || after.validTo !== null) {
    if (!note.isConnected) status.appendChild(note);
    const validity = after.setClaimCode
      ? { validFrom: after.validFrom, validTo: after.validTo }
      : { validTo: new Date().toISOString() };
    current = await setValidity(current, validity, !after.setClaimCode, note, status);
  }
  note.remove();
  return current;
}

async function claimInto(applicationId: string, results: ImportResult[], note: HTMLElement, status: HTMLElement): Promise<ImportResult[]> {
  const claimable = results.filter((r): r is Extract<ImportResult, { ok: true }> => r.ok && r.ownerToken !== null);
  const byDevEui = new Map<string, BulkClaimResult>();
  try {
    for (let i = 0; i < claimable.length; i += CLAIM_ROWS) {
      note.textContent = `Claiming into ${applicationId}: ${i} of ${claimable.length}…`;
      const part = claimable.slice(i, i + CLAIM_ROWS);
      const answer = await post<{ results: BulkClaimResult[] }>('/api/v1/claims/bulk', {
        applicationId, regenerateOwnerToken: false, rows: part.map((r) => ({ devEui: r.devEUI, ownerToken: r.ownerToken })),
      });
      answer.results.forEach((result, index) => {
        const devEui = part[index]?.devEUI;
        if (devEui !== undefined) byDevEui.set(devEui, result);
      });
    }
  } catch (error) {
    status.appendChild(errorBox(error));
  }
  const failed = [...byDevEui.values()].filter((r) => !r.ok).length;
  status.appendChild(alertBox(failed === 0 ? 'ok' : 'warn', `Claimed into ${applicationId}`,
    h('p', {}, `${byDevEui.size - failed} devices claimed${failed === 0 ? '' : `, ${failed} not`}.`)));
  return results.map((r) => {
    const claim = r.ok ? byDevEui.get(r.devEUI) : undefined;
    if (claim === undefined || claim.ok || !r.ok) return r;
    return { ok: false, index: r.index, devEUI: r.devEUI, code: claim.code, message: `imported, but not claimed: ${claim.message}` };
  });
}

async function setValidity(
  results: ImportResult[], validity: { validFrom?: string | null; validTo: string | null }, invalidate: boolean, note: HTMLElement, status: HTMLElement,
): Promise<ImportResult[]> {
  const devices = results.filter((r): r is Extract<ImportResult, { ok: true }> => r.ok);
  const failures = new Map<string, ApiError | Error>();
  let done = 0;
  let next = 0;
  const worker = async () => {
    while (next < devices.length) {
      const result = devices[next++];
      if (result === undefined) break;
      try {
        await put(`/api/v1/devices/${seg(result.devEUI)}/owner-token`, validity);
      } catch (error) {
        failures.set(result.devEUI, error as Error);
      }
      done += 1;
      note.textContent = `${invalidate ? 'Making the codes invalid' : 'Setting the codes\' validity'}: ${done} of ${devices.length}…`;
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  status.appendChild(failures.size === 0
    ? alertBox('ok', invalidate ? 'No claim authentication codes' : 'Validity set',
      h('p', {}, invalidate ? 'The devices\' codes are invalid: nobody can claim them until you regenerate their codes (device page).'
        : 'The claim authentication codes are valid only in the window you chose.'))
    : alertBox('warn', `${failures.size} devices kept their codes unchanged`, h('p', {}, [...failures.values()][0]?.message ?? '')));
  return results.map((r) => (r.ok && invalidate && !failures.has(r.devEUI) ? { ...r, ownerToken: null } : r));
}
