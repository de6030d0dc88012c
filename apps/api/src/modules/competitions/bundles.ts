import type { BundleDto, CompetitionPagesDto, MetricName, RleOrder, SubmissionKind } from '@holdout/contracts';
import type { BundleCheckProgress } from '@holdout/competition';
import { CompetitionData, type JsonLogger } from '@holdout/db';

/** An uploaded bundle archive to check and unpack under `into`. */
export interface BundleUpload {
  archive: string;
  into: string;
  maxTotalBytes: number;
  now: Date;
  timeoutMs: number;
  logger: JsonLogger;
  /** Reports from the check as it goes (unpacking, the config, image headers). */
  onProgress?: (p: BundleCheckProgress) => void;
}

/** A competition as described by its bundle, timeline resolved against "now". */
export interface BundleCompetition {
  bundleDir: string;
  title: string;
  metric: MetricName;
  rleOrder: RleOrder;
  submissionKinds: SubmissionKind[];
  opensAt: Date;
  teamMergeDeadline: Date | null;
  closesAt: Date;
  dailySubmissions: number;
  finalSelections: number;
  pages: CompetitionPagesDto;
  config: Record<string, unknown>;
}

export type { BuiltData, DataScale } from '@holdout/db';

/** Where competitions come from (libs/competition behind it); injectable so tests can fake it. */
export abstract class CompetitionBundles extends CompetitionData {
  /** A bundled competition (`competitions/<bundle>/`). */
  abstract load(bundle: string, now: Date): Promise<BundleCompetition>;
  /**
   * Unpacks and checks an uploaded bundle archive into `into/<slug>` (its `bundleDir`), outside
   * the API's heap; invalid bundles throw a `bad_request` DomainError listing the issues.
   */
  abstract inspectUpload(upload: BundleUpload): Promise<BundleCompetition>;
  abstract list(): Promise<string[]>;

  /** The bundled competitions, described for an instructor choosing one to create. */
  async describeAll(): Promise<BundleDto[]> {
    const now = new Date();
    const out: BundleDto[] = [];
    for (const slug of await this.list()) {
      const b = await this.load(slug, now);
      const description = typeof b.config.description === 'string' ? b.config.description : '';
      out.push({ slug, title: b.title, description, metric: b.metric, submissionKinds: b.submissionKinds });
    }
    return out;
  }
}
