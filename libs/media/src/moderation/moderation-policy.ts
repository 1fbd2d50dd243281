import type { ModerationPolicyRecord } from '#chorus/influencers';
import type { ModerationScores } from './moderation-provider.js';

/**
 * Categories no persona's policy may allow or judge more leniently than the deployment does.
 * Names are matched whole: allowing `sexual` never allows `sexual/minors`.
 */
export const PROTECTED_CATEGORIES: ReadonlySet<string> = new Set(['sexual/minors']);

/**
 * The categories a policy flags in `scores`, most confident first: those scored at or over their
 * threshold (the persona's for that category, else the deployment's `defaultThreshold`), except
 * the ones the persona allows. No policy (null) is the deployment's default.
 */
export function flaggedCategories(scores: Readonly<ModerationScores>, defaultThreshold: number, policy: ModerationPolicyRecord | null): string[] {
  const allowed = new Set(policy?.allowedCategories ?? []);
  const thresholdOf = (category: string): number => {
    const own = policy?.thresholds?.[category] ?? defaultThreshold;
    return PROTECTED_CATEGORIES.has(category) ? Math.min(own, defaultThreshold) : own;
  };
  return Object.entries(scores)
    .filter(([category, score]) => score >= thresholdOf(category) && !(allowed.has(category) && !PROTECTED_CATEGORIES.has(category)))
    .sort(([nameA, scoreA], [nameB, scoreB]) => scoreB - scoreA || nameA.localeCompare(nameB))
    .map(([category]) => category);
}
