import type { ResourceType, TagSpecification } from '@aws-sdk/client-ec2';
import { tagsOf, type Props } from './types.js';

/** EC2 takes a resource's tags at creation as a TagSpecification for its own resource type. */
export function tagSpecifications(props: Props, resourceType: ResourceType): TagSpecification[] | undefined {
  const tags = tagsOf(props);
  return tags.length > 0 ? [{ ResourceType: resourceType, Tags: tags }] : undefined;
}
