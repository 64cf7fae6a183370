import { randomUUID } from 'node:crypto';
import type { DeployedStack } from '../deploy/deploy.js';
import { queryParams, signedService, type GatewayRequest, type GatewayResponse, type Interceptor } from '../gateway.js';

/**
 * CloudFormation's read calls for the deployed stack, answered as CloudFormation would.
 *
 * The local cloud deploys the template resource by resource through each service's API (moto's CloudFormation
 * cannot create this stack; /work/shared/notes/moto.md), so moto holds no stack and would answer DescribeStacks
 * with nothing. A tool that finds the stack as on AWS (the CLI's AWS path, `aws cloudformation describe-stacks`)
 * gets the stack here instead: status, parameters and outputs; its resources with logical and physical ids.
 *
 * Wire format: the query protocol (form-encoded `Action=…&Version=2010-05-15`) and XML answers in CloudFormation's
 * namespace, which the SDK v3 client and the AWS CLI parse (CloudFormation API reference: DescribeStacks,
 * ListStackResources, DescribeStackResources, DescribeStackResource, ListStacks; "Common errors").
 * Calls about any other stack go on to moto, which answers them as CloudFormation does for a stack it does not have.
 *
 * Resources the local deployer left out (CDK metadata, custom resources: DeployedStack.skipped) have no physical
 * id here and are not listed.
 */
export function cloudFormationReads(deployed: DeployedStack): Interceptor {
  return (req) => {
    const params = cloudFormationQuery(req);
    if (!params) return undefined;
    const action = params.get('Action') ?? '';
    const reader = READERS[action];
    return reader ? reader(deployed, params) : undefined;
  };
}

/** The query parameters of a SigV4-signed CloudFormation call, if `req` is one. */
function cloudFormationQuery(req: GatewayRequest): URLSearchParams | undefined {
  if (req.method !== 'POST' || signedService(req.headers) !== 'cloudformation') return undefined;
  return queryParams(req);
}

type Reader = (deployed: DeployedStack, params: URLSearchParams) => GatewayResponse | undefined;

/** ListStackResources pages at 100 summaries, as CloudFormation does. */
const PAGE_SIZE = 100;
/** The states a deployed resource and the stack are in: the deployer stops at the first failure, so no others. */
const CREATE_COMPLETE = 'CREATE_COMPLETE';

const READERS: Readonly<Record<string, Reader>> = {
  DescribeStacks(deployed, params) {
    const name = params.get('StackName');
    if (name !== null && !names(deployed, name)) return undefined;
    return answer('DescribeStacks', element('Stacks', member(stackXml(deployed))));
  },

  ListStacks(deployed, params) {
    const filters = membersOf(params, 'StackStatusFilter');
    if (filters.length > 0 && !filters.includes(CREATE_COMPLETE)) return answer('ListStacks', element('StackSummaries', ''));
    const { stack } = deployed;
    const summary = [
      element('StackId', text(stack.stackId)),
      element('StackName', text(stack.stackName)),
      stack.description === undefined ? '' : element('TemplateDescription', text(stack.description)),
      element('CreationTime', stack.createdAt.toISOString()),
      element('StackStatus', CREATE_COMPLETE),
      driftXml('StackDriftStatus'),
    ].join('');
    return answer('ListStacks', element('StackSummaries', member(summary)));
  },

  ListStackResources(deployed, params) {
    const name = params.get('StackName');
    if (name === null || !names(deployed, name)) return undefined;
    const all = resourcesOf(deployed);
    const token = params.get('NextToken');
    const start = token === null ? 0 : Number(token);
    if (!Number.isInteger(start) || start < 0 || start > all.length) return validationError('Invalid NextToken');
    const page = all.slice(start, start + PAGE_SIZE);
    const summaries = page.map((r) =>
      member(
        [
          element('LogicalResourceId', text(r.logicalId)),
          element('PhysicalResourceId', text(r.physicalId)),
          element('ResourceType', text(r.type)),
          element('LastUpdatedTimestamp', r.at.toISOString()),
          element('ResourceStatus', CREATE_COMPLETE),
          driftXml('StackResourceDriftStatus'),
        ].join(''),
      ),
    );
    const next = start + PAGE_SIZE < all.length ? element('NextToken', String(start + PAGE_SIZE)) : '';
    return answer('ListStackResources', element('StackResourceSummaries', summaries.join('')) + next);
  },

  DescribeStackResources(deployed, params) {
    const name = params.get('StackName');
    const physicalId = params.get('PhysicalResourceId');
    if (name === null && physicalId === null) return validationError('Either StackName or PhysicalResourceId must be specified');
    if (name !== null && !names(deployed, name)) return undefined;
    const all = resourcesOf(deployed);
    if (name === null && !all.some((r) => r.physicalId === physicalId)) return undefined;
    // By physical id, CloudFormation describes the stack the resource belongs to: all of it, or the logical id asked.
    const logicalId = params.get('LogicalResourceId');
    const described = logicalId === null ? all : all.filter((r) => r.logicalId === logicalId);
    return answer('DescribeStackResources', element('StackResources', described.map((r) => member(resourceXml(deployed, r, 'Timestamp'))).join('')));
  },

  DescribeStackResource(deployed, params) {
    const name = params.get('StackName');
    const logicalId = params.get('LogicalResourceId');
    if (name === null || !names(deployed, name)) return undefined;
    const resource = resourcesOf(deployed).find((r) => r.logicalId === logicalId);
    if (!resource) return validationError(`Resource ${logicalId ?? ''} does not exist for stack ${deployed.stack.stackName}`);
    return answer('DescribeStackResource', element('StackResourceDetail', resourceXml(deployed, resource, 'LastUpdatedTimestamp')));
  },
};

interface ListedResource {
  readonly logicalId: string;
  readonly physicalId: string;
  readonly type: string;
  readonly at: Date;
}

function resourcesOf(deployed: DeployedStack): ListedResource[] {
  return Object.entries(deployed.resources)
    .map(([logicalId, r]) => ({ logicalId, physicalId: r.physicalId, type: r.type, at: r.createdAt ?? deployed.stack.createdAt }))
    .sort((a, b) => a.logicalId.localeCompare(b.logicalId));
}

/** A StackName parameter names this stack by its name or its stack id, as CloudFormation accepts both. */
function names(deployed: DeployedStack, name: string): boolean {
  return name === deployed.stack.stackName || name === deployed.stack.stackId;
}

function stackXml(deployed: DeployedStack): string {
  const { stack } = deployed;
  const parameters = Object.entries(stack.parameters).map(([key, value]) =>
    member(element('ParameterKey', text(key)) + element('ParameterValue', text(value))),
  );
  const outputs = Object.entries(deployed.outputs).map(([key, value]) => {
    const description = deployed.outputDescriptions[key];
    return member(
      element('OutputKey', text(key)) + element('OutputValue', text(value)) + (description === undefined ? '' : element('Description', text(description))),
    );
  });
  return [
    element('StackId', text(stack.stackId)),
    element('StackName', text(stack.stackName)),
    stack.description === undefined ? '' : element('Description', text(stack.description)),
    element('Parameters', parameters.join('')),
    element('CreationTime', stack.createdAt.toISOString()),
    element('StackStatus', CREATE_COMPLETE),
    element('DisableRollback', 'false'),
    element('NotificationARNs', ''),
    element('Capabilities', ''),
    element('Outputs', outputs.join('')),
    element('Tags', ''),
    element('EnableTerminationProtection', 'false'),
    driftXml('StackDriftStatus'),
  ].join('');
}

function resourceXml(deployed: DeployedStack, r: ListedResource, timestampName: 'Timestamp' | 'LastUpdatedTimestamp'): string {
  return [
    element('StackName', text(deployed.stack.stackName)),
    element('StackId', text(deployed.stack.stackId)),
    element('LogicalResourceId', text(r.logicalId)),
    element('PhysicalResourceId', text(r.physicalId)),
    element('ResourceType', text(r.type)),
    element(timestampName, r.at.toISOString()),
    element('ResourceStatus', CREATE_COMPLETE),
    driftXml('StackResourceDriftStatus'),
  ].join('');
}

/** Drift detection never ran: CloudFormation's NOT_CHECKED. */
function driftXml(statusName: 'StackDriftStatus' | 'StackResourceDriftStatus'): string {
  return element('DriftInformation', element(statusName, 'NOT_CHECKED'));
}

function membersOf(params: URLSearchParams, list: string): string[] {
  const key = new RegExp(`^${list}\\.member\\.\\d+$`);
  return [...params.entries()].filter(([name]) => key.test(name)).map(([, value]) => value);
}

const NAMESPACE = 'http://cloudformation.amazonaws.com/doc/2010-05-15/';

function answer(action: string, result: string): GatewayResponse {
  const requestId = randomUUID();
  const body =
    `<${action}Response xmlns="${NAMESPACE}">` +
    element(`${action}Result`, result) +
    element('ResponseMetadata', element('RequestId', requestId)) +
    `</${action}Response>`;
  return { status: 200, headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId }, body };
}

/** CloudFormation's answer to a call it refuses: HTTP 400, code ValidationError. */
function validationError(message: string): GatewayResponse {
  const requestId = randomUUID();
  const body =
    `<ErrorResponse xmlns="${NAMESPACE}">` +
    element('Error', element('Type', 'Sender') + element('Code', 'ValidationError') + element('Message', text(message))) +
    element('RequestId', requestId) +
    '</ErrorResponse>';
  return { status: 400, headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId }, body };
}

function element(name: string, content: string): string {
  return `<${name}>${content}</${name}>`;
}

function member(content: string): string {
  return element('member', content);
}

function text(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
