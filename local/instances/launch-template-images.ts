import { DescribeLaunchTemplateVersionsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { extractAppBundle, extractAppEnvironment, extractServiceUnit } from '../../userdata/render.js';
import type { SimulatedClock } from '../clock.js';
import { localAppEnvironment } from './app-environment.js';
import { parseServiceUnit, type ServicePolicy } from './service-unit.js';

/** What an instance launched from one launch template version runs: its app, its systemd unit's policy and environment. */
export interface InstanceImage {
  /** The launch template version number, as EC2 tags the instance (`aws:ec2launchtemplate:version`). */
  readonly version: string;
  readonly appPath: string;
  readonly servicePolicy: ServicePolicy;
  /** The app's environment from the unit's `Environment=` lines, durations already in the clock's real time. */
  readonly environment: Readonly<Record<string, string>>;
}

/**
 * The instance app and unit of each launch template version, extracted from that version's user data (the program
 * EC2 would run) into the work directory, once per version. A rolled fleet runs two versions side by side.
 */
export class LaunchTemplateImages {
  private readonly cache = new Map<string, Promise<InstanceImage>>();

  constructor(
    private readonly props: {
      readonly ec2: EC2Client;
      readonly launchTemplateId: string;
      /** Where the extracted apps are written (the local cloud's work directory). */
      readonly dir: string;
      /** Puts the unit's durations (keep-alive) on the local time scale. */
      readonly clock: SimulatedClock;
    },
  ) {}

  /** The image of a version number, `$Latest` or `$Default`. */
  forVersion(version: string): Promise<InstanceImage> {
    let image = this.cache.get(version);
    if (!image) {
      image = this.extract(version);
      this.cache.set(version, image);
      image.catch(() => this.cache.delete(version));
    }
    return image;
  }

  private async extract(version: string): Promise<InstanceImage> {
    const { ec2, launchTemplateId, dir, clock } = this.props;
    const out = await ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: launchTemplateId, Versions: [version] }));
    const found = out.LaunchTemplateVersions?.[0];
    if (!found?.VersionNumber) throw new Error(`launch template ${launchTemplateId} has no version ${version}`);
    const userData = Buffer.from(found.LaunchTemplateData?.UserData ?? '', 'base64').toString('utf8');
    const number = String(found.VersionNumber);
    const appPath = join(dir, `instance-app-v${number}.cjs`);
    writeFileSync(appPath, extractAppBundle(userData));
    return {
      version: number,
      appPath,
      servicePolicy: parseServiceUnit(extractServiceUnit(userData)),
      // As systemd would set it: the keep-alive timeout above the load balancer's idle timeout.
      environment: localAppEnvironment(extractAppEnvironment(userData), clock),
    };
  }
}
