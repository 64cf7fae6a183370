import { CreateKeyCommand, EnableKeyRotationCommand } from '@aws-sdk/client-kms';
import { asJson, tagsOf, type Provisioner } from './types.js';

/**
 * AWS::KMS::Key through KMS's own API. moto stores the key policy and the rotation flag and answers KMS calls;
 * it does not evaluate the key policy, and its SNS stores a topic's KmsMasterKeyId without encrypting with it.
 */
export const key: Provisioner = async (props, ctx) => {
  const { kms } = ctx.clients;
  const out = await kms.send(
    new CreateKeyCommand({
      Description: props.Description as string | undefined,
      KeyUsage: props.KeyUsage as never,
      KeySpec: props.KeySpec as never,
      Policy: asJson(props.KeyPolicy),
      Tags: tagsOf(props).map((t) => ({ TagKey: t.Key, TagValue: t.Value })),
    }),
  );
  const keyId = out.KeyMetadata?.KeyId as string;
  if (props.EnableKeyRotation === true || props.EnableKeyRotation === 'true') {
    await kms.send(new EnableKeyRotationCommand({ KeyId: keyId }));
  }
  return { physicalId: keyId, attributes: { Arn: out.KeyMetadata?.Arn, KeyId: keyId } };
};
