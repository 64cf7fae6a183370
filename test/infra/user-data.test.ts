import { describe, expect, it } from 'vitest';
import { bundleInstanceApp } from '../../userdata/bundle.js';
import { extractAppBundle, USER_DATA_LIMIT_BYTES } from '../../userdata/render.js';
import { synthesize } from '../support/synth.js';

describe('launch template user data', () => {
  it('embeds the instance app bundle, starts it on the app port, and stays under the EC2 limit', () => {
    const { template } = synthesize({ appPort: '8123' });
    const lt = Object.values(template.findResources('AWS::EC2::LaunchTemplate'))[0] as { Properties: any };
    const encoded = lt.Properties.LaunchTemplateData.UserData['Fn::Base64'];
    expect(typeof encoded).toBe('string');
    const userData = encoded as string;
    expect(extractAppBundle(userData)).toBe(bundleInstanceApp());
    expect(userData).toContain('PORT=8123');
    expect(Buffer.byteLength(userData, 'utf8')).toBeLessThan(USER_DATA_LIMIT_BYTES);
  });
});
