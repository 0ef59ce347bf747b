/**
 * Argus flow state → connection outcome, shared by `argus-csv` (CTU-13 binetflow) and
 * `unsw-nb15` (whose `state` column is Argus's summary state).
 *
 * TCP states are `<source flags>_<destination flags>`, each side the TCP flags Argus saw from it:
 * S SYN, A ACK, P PSH, F FIN, R RST, U URG, E ECE, C CWR. The rules, in order:
 * 1. no ACK from the source, and the destination answered RST without SYN → rejected
 *    (`S_RA`, `S_R`, `SR_RA`: a refused SYN);
 * 2. SYN from the source without ACK, nothing from the destination → attempt (`S_`, `SR_`, `SEC_`:
 *    the unanswered SYN of a scan or a dead host);
 * 3. nothing from the destination and no SYN from the source → unknown (`A_`, `PA_`, `RA_`:
 *    midstream one-sided traffic, the flow began before the capture or routing is asymmetric);
 * 4. anything else → established: a SYN-ACK came back (`S_SA`, `SR_SA`), or both sides
 *    exchanged segments (`FSPA_FSPA`, `A_PA`), or the source ACKed (`SA_`, `SA_R`), which it
 *    only does after a SYN-ACK it saw even if this sensor did not.
 *    This agrees with the CTU-13 labels (`SA_` and `SA_R` are labelled Established there).
 *
 * Summary states (UDP, ICMP, and UNSW-NB15 TCP): CON/ACC/FIN/CLO/RSP/ECR → established;
 * INT/REQ/ECO (a request with no reply seen) → attempt, which agrees with CTU-13's
 * `UDP-Attempt` labels on INT; RST → rejected. ICMP errors (URP, URH, URN, RED, TXD …) say
 * nothing about their own flow (they are the rejection of another one) → unknown.
 */
import type { ConnOutcome } from '../flow-record.js';

const SUMMARY: Readonly<Record<string, ConnOutcome>> = {
  CON: 'established',
  ACC: 'established',
  FIN: 'established',
  CLO: 'established',
  RSP: 'established',
  ECR: 'established',
  INT: 'attempt',
  REQ: 'attempt',
  ECO: 'attempt',
  RST: 'rejected',
};

export function argusOutcome(state: string): ConnOutcome | undefined {
  const us = state.indexOf('_');
  if (us < 0) return SUMMARY[state];
  const src = state.slice(0, us);
  const dst = state.slice(us + 1);
  const srcAck = src.includes('A');
  if (!srcAck && dst.includes('R') && !dst.includes('S')) return 'rejected';
  if (dst.length === 0) {
    if (!src.includes('S')) return undefined;
    return srcAck ? 'established' : 'attempt';
  }
  return 'established';
}

/** A state string that parses back to `outcome` (for `write`). */
export function argusStateFor(outcome: ConnOutcome | undefined, proto: number): string {
  const tcp = proto === 6;
  switch (outcome) {
    case 'attempt':
      return tcp ? 'S_' : 'INT';
    case 'rejected':
      return tcp ? 'S_RA' : 'RST';
    case 'established':
      return tcp ? 'FSPA_FSPA' : 'CON';
    default:
      return '';
  }
}
