/**
 * The action ladder: from an incident's previous action states, the policy's steps, the time
 * each step's threshold was last crossed, the analyst's answers and what is eligible, to the
 * action states the incident should have now. Pure; enforcement semantics (docs/adr/0007):
 *
 * - A step fires when a verdict crossed its threshold after the step last ended. In Enforce
 *   mode it becomes Active; in Monitor mode Intended (recorded, nothing changed). Alert is
 *   Active in both modes: an alert changes nothing in the cluster.
 * - requireApproval: PendingApproval until the type is listed in spec.approve; an approval
 *   not given within the step's TTL lapses (Expired).
 * - Every Active/Intended step ends at its TTL (Expired), on release or a FalsePositive verdict
 *   (Reverted), when it stops being eligible (Reverted), when the policy switches to Monitor,
 *   or when its step is removed from the ladder. It fires again only on a later crossing.
 * - A step that is not eligible (allowlisted, protected workload, cap reached, nothing to act
 *   on, a block that would widen access) is Refused with the reason.
 */
import type {
  ActionState,
  ActionStatus,
  ActionType,
  BlockDirection,
  IncidentPhase,
  LadderStep,
  PolicyMode,
} from '../threatpolicy/crd-types.js';
import { isoTime, parseTime } from '../k8s/conditions.js';

export type Eligibility =
  | { ok: true; pods?: string[]; addresses?: string[]; direction?: BlockDirection; message?: string }
  | { ok: false; reason: string; message: string };

export interface LadderInput {
  now: number;
  mode: PolicyMode;
  steps: readonly LadderStep[];
  previous: readonly ActionStatus[];
  /** Epoch ms of the latest crossing of each step's threshold (alert rules count for Alert). */
  crossedAt: Partial<Record<ActionType, number>>;
  approved: readonly ActionType[];
  /** Set when the analyst released the incident or judged it a false positive. */
  release?: 'Released' | 'FalsePositive';
  eligibility: Partial<Record<ActionType, Eligibility>>;
}

export interface Transition {
  type: ActionType;
  from?: ActionState;
  to: ActionState;
  reason: string;
  message: string;
}

export interface LadderOutput {
  actions: ActionStatus[];
  transitions: Transition[];
  phase: IncidentPhase;
  /** The strongest action in force, for the printer column. */
  strongest: string;
  /** When the next state change is due (a TTL ends), relative to now. */
  requeueAfterMs?: number;
}

export const LADDER_ORDER: readonly ActionType[] = ['Alert', 'RateLimit', 'Block', 'Quarantine'];
const ENFORCING = new Set<ActionType>(['RateLimit', 'Block', 'Quarantine']);
const LIVE = new Set<ActionState>(['Active', 'Intended', 'PendingApproval']);

export function isLive(a: ActionStatus | undefined): boolean {
  return a !== undefined && LIVE.has(a.state);
}

export function decideLadder(input: LadderInput): LadderOutput {
  const { now } = input;
  const prevByType = new Map(input.previous.map((a) => [a.type, a]));
  const stepByType = new Map(input.steps.map((s) => [s.type, s]));
  const actions: ActionStatus[] = [];
  const transitions: Transition[] = [];

  const end = (prev: ActionStatus, to: ActionState, reason: string, message: string): ActionStatus => {
    transitions.push({ type: prev.type, from: prev.state, to, reason, message });
    const { pods, addresses, direction, appliedAt } = prev;
    return clean({
      type: prev.type,
      state: to,
      reason,
      message,
      since: isoTime(now),
      appliedAt,
      pods,
      addresses,
      direction,
    });
  };
  const start = (
    type: ActionType,
    step: LadderStep,
    to: ActionState,
    e: Eligibility & { ok: true },
    reason: string,
    from?: ActionState,
  ) => {
    const message = e.message ? `${describe(type, to)}: ${e.message}` : describe(type, to);
    transitions.push({ type, ...(from ? { from } : {}), to, reason, message });
    return clean({
      type,
      state: to,
      reason,
      message,
      since: isoTime(now),
      ...(to === 'PendingApproval' ? {} : { appliedAt: isoTime(now) }),
      expiresAt: isoTime(now + step.ttlSeconds * 1000),
      pods: e.pods,
      addresses: e.addresses,
      direction: e.direction,
    });
  };
  const activeState = (type: ActionType): ActionState =>
    input.mode === 'Enforce' || type === 'Alert' ? 'Active' : 'Intended';

  for (const type of LADDER_ORDER) {
    const prev = prevByType.get(type);
    const step = stepByType.get(type);
    const elig = input.eligibility[type] ?? {
      ok: false,
      reason: 'NotApplicable',
      message: 'nothing to act on',
    };
    if (prev && isLive(prev)) {
      if (input.release) {
        actions.push(
          end(
            prev,
            'Reverted',
            input.release,
            input.release === 'FalsePositive' ? 'judged a false positive' : 'released by an analyst',
          ),
        );
      } else if (!step) {
        actions.push(end(prev, 'Reverted', 'StepRemoved', 'the policy no longer has this step'));
      } else if (now >= (parseTime(prev.expiresAt) ?? 0)) {
        const lapsed = prev.state === 'PendingApproval';
        actions.push(
          end(
            prev,
            'Expired',
            lapsed ? 'ApprovalLapsed' : 'TTL',
            lapsed ? 'no approval within the TTL' : 'TTL passed',
          ),
        );
      } else if (!elig.ok) {
        actions.push(end(prev, 'Reverted', elig.reason, elig.message));
      } else if (prev.state === 'PendingApproval') {
        if (input.approved.includes(type))
          actions.push(start(type, step, activeState(type), elig, 'Approved', prev.state));
        else actions.push(prev);
      } else if (prev.state !== activeState(type)) {
        // The policy switched mode: Enforce → Monitor reverts; Monitor → Enforce applies now.
        if (activeState(type) === 'Intended')
          actions.push(end(prev, 'Reverted', 'ModeMonitor', 'the policy is in Monitor mode'));
        else actions.push(start(type, step, 'Active', elig, 'ModeEnforce', prev.state));
      } else {
        // Still in force: follow what it acts on (pods replaced, new addresses), keep its times.
        actions.push(
          clean({ ...prev, pods: elig.pods, addresses: elig.addresses, direction: elig.direction }),
        );
      }
      continue;
    }
    const crossed = input.crossedAt[type];
    const lastEnd = prev ? (parseTime(prev.since) ?? 0) : -Infinity;
    if (input.release || !step || crossed === undefined || crossed <= lastEnd) {
      if (prev) actions.push(prev);
      continue;
    }
    if (!elig.ok) {
      if (prev?.state === 'Refused' && prev.reason === elig.reason) actions.push(prev);
      else {
        transitions.push({
          type,
          ...(prev ? { from: prev.state } : {}),
          to: 'Refused',
          reason: elig.reason,
          message: elig.message,
        });
        actions.push({
          type,
          state: 'Refused',
          reason: elig.reason,
          message: elig.message,
          since: isoTime(now),
        });
      }
      continue;
    }
    if (step.requireApproval && !input.approved.includes(type)) {
      actions.push(start(type, step, 'PendingApproval', elig, 'ApprovalRequired', prev?.state));
    } else {
      actions.push(start(type, step, activeState(type), elig, 'ThresholdCrossed', prev?.state));
    }
  }
  return { actions, transitions, ...summarize(actions, input.release !== undefined, now) };
}

function summarize(
  actions: ActionStatus[],
  released: boolean,
  now: number,
): Omit<LadderOutput, 'actions' | 'transitions'> {
  let phase: IncidentPhase = 'Open';
  if (released) phase = 'Released';
  else if (actions.some((a) => a.state === 'Active' && ENFORCING.has(a.type))) phase = 'Mitigated';
  else if (actions.length > 0 && !actions.some(isLive) && actions.some((a) => a.state === 'Expired'))
    phase = 'Expired';
  let strongest = 'None';
  for (const type of [...LADDER_ORDER].reverse()) {
    const a = actions.find((x) => x.type === type && isLive(x));
    if (!a) continue;
    strongest =
      a.state === 'Active'
        ? type
        : a.state === 'Intended'
          ? `${type} (intended)`
          : `${type} (awaiting approval)`;
    break;
  }
  const due = actions.filter(isLive).map((a) => (parseTime(a.expiresAt) ?? now) - now);
  return {
    phase,
    strongest,
    ...(due.length > 0 ? { requeueAfterMs: Math.max(0, Math.min(...due)) + 50 } : {}),
  };
}

function describe(type: ActionType, state: ActionState): string {
  const done: Record<ActionType, string> = {
    Alert: 'alert raised',
    RateLimit: 'bandwidth limited',
    Block: 'addresses blocked',
    Quarantine: 'pods quarantined',
  };
  const would: Record<ActionType, string> = {
    Alert: 'would raise an alert',
    RateLimit: 'would limit bandwidth',
    Block: 'would block the addresses',
    Quarantine: 'would quarantine the pods',
  };
  if (state === 'Intended') return `Monitor mode: ${would[type]}`;
  if (state === 'PendingApproval') return `waiting for approval in spec.approve: ${would[type]}`;
  return done[type];
}

/** Drops undefined and empty-list fields, so equal states serialise equally. */
function clean(a: ActionStatus): ActionStatus {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(a)) {
    if (v === undefined || (Array.isArray(v) && v.length === 0)) continue;
    out[k] = v;
  }
  return out as unknown as ActionStatus;
}
