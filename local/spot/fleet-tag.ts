/** The tag AWS puts on every instance a Spot Fleet launches (the local Spot emulation does the same). */
export const FLEET_TAG = 'aws:ec2spot:fleet-request-id';
