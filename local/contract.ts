/**
 * What other processes (the CLI, scripts) rely on to find and talk to a running local cloud. Kept free of heavy
 * imports so a CLI can load it cheaply.
 */

/** Where `npm start` keeps its assembly, the extracted instance app and its state file. */
export const DEFAULT_WORK_DIR = '.local-cloud';

/** Written into the work directory while the local cloud runs. */
export const STATE_FILE = 'state.json';

export interface LocalCloudState {
  readonly endpoint: string;
  readonly url: string;
  readonly region: string;
  readonly stackName: string;
  readonly pid: number;
}

/** moto accepts any credentials; fixed dummy ones keep the SDK from searching the machine for real ones. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' } as const;

/** The account moto uses for the dummy credentials above. */
export const LOCAL_ACCOUNT_ID = '123456789012';
