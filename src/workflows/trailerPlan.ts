import type { LoadedMergeRequest, TrailerPlan, WorkerSettings } from '../activities/types';
import { partOfTrailer, reviewedByTrailers, testedByTrailer } from '../domain/trailers';

/** The trailers `add-reviewers`, `add-part-of` and `add-tested` ask for on an MR's commits; undefined when none. */
export function trailerPlan(
  settings: Pick<WorkerSettings, 'addReviewers' | 'addPartOf' | 'addTested' | 'botName'>,
  mrUrl: string,
  approvedBy: LoadedMergeRequest['approvals']['approvedBy'],
): TrailerPlan | undefined {
  const plan: TrailerPlan = {};
  if (settings.addReviewers && approvedBy.length > 0) plan.reviewedBy = reviewedByTrailers(approvedBy);
  if (settings.addPartOf) plan.partOf = partOfTrailer(mrUrl);
  if (settings.addTested) plan.testedBy = testedByTrailer(settings.botName, mrUrl);
  return Object.keys(plan).length > 0 ? plan : undefined;
}
