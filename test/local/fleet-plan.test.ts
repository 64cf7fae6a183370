import { describe, expect, it } from 'vitest';
import { planFleet, poolOf } from '../../local/spot/fleet-plan.js';

const pools = [poolOf('t3.small', 'subnet-a'), poolOf('t3.small', 'subnet-b'), poolOf('m5.large', 'subnet-a'), poolOf('m5.large', 'subnet-b')];
const inst = (id: string, pool: string, launchTime: number) => ({ id, pool, launchTime });

describe('planFleet', () => {
  it('launches into the least-used pools first, in specification order', () => {
    const plan = planFleet({ targetCapacity: 3, active: [inst('i-1', pools[0]!, 1)], pools, excessCapacityTerminationPolicy: 'default' });
    expect(plan).toEqual({ launch: [pools[1], pools[2]], reclaim: [] });
  });

  it('reclaims from the most-used pool, oldest first, so survivors stay spread', () => {
    const active = [inst('i-1', pools[0]!, 1), inst('i-2', pools[0]!, 2), inst('i-3', pools[1]!, 3)];
    expect(planFleet({ targetCapacity: 2, active, pools, excessCapacityTerminationPolicy: 'default' })).toEqual({ launch: [], reclaim: ['i-1'] });
    expect(planFleet({ targetCapacity: 1, active, pools, excessCapacityTerminationPolicy: 'default' }).reclaim).toHaveLength(2);
  });

  it('leaves excess instances running under noTermination, as AWS does', () => {
    const active = [inst('i-1', pools[0]!, 1), inst('i-2', pools[1]!, 2)];
    expect(planFleet({ targetCapacity: 1, active, pools, excessCapacityTerminationPolicy: 'noTermination' })).toEqual({ launch: [], reclaim: [] });
  });

  it('does nothing at capacity, and refuses a fleet without launch specifications', () => {
    expect(planFleet({ targetCapacity: 1, active: [inst('i-1', pools[0]!, 1)], pools, excessCapacityTerminationPolicy: 'default' })).toEqual({ launch: [], reclaim: [] });
    expect(() => planFleet({ targetCapacity: 1, active: [], pools: [], excessCapacityTerminationPolicy: 'default' })).toThrow(/no launch specifications/);
  });
});
