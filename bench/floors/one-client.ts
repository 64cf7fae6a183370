// A floor for the cold-start benchmark: the least a handler built on the SDK v3 can load, one ELBv2 client
// bundled exactly as ours is (same aliases), with no handler code, no SNS client and no Powertools.
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';

export const client = new ElasticLoadBalancingV2Client({});
