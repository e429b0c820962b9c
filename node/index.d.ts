// Types of the `siptel-sms` package. Values carry the WIT names of
// `siptel:sms@0.2.0` (wit/*.wit): record fields in kebab-case
// (`'api-key'`), variants as objects tagged by `type` (`{type: 'sent', ...}`),
// an absent option as `null` in answers.

/** `weekday` flag names. */
export type Weekday =
  | 'monday'
  | 'tuesday'
  | 'wednesday'
  | 'thursday'
  | 'friday'
  | 'saturday'
  | 'sunday';

export type FieldId =
  | 'api-key'
  | 'sender'
  | 'recipient'
  | 'message'
  | 'purpose'
  | 'opt-out'
  | 'window-start'
  | 'window-end'
  | 'weekdays'
  | 'send-on-holidays'
  | 'closed-dates'
  | 'campaign'
  | 'campaign-variables'
  | 'rut'
  | 'error-intent'
  | 'time-zone'
  | 'max-attempts'
  | 'base-url'
  | 'language'
  | 'encoding'
  | 'max-segments'
  | 'idempotency-key'
  | 'attempt-timeout-ms'
  | 'deadline-ms'
  | 'entities';

export type ProblemCode =
  | 'required'
  | 'missing-variable'
  | 'bad-placeholder'
  | 'bad-character'
  | 'invalid-number'
  | 'wrong-length'
  | 'unknown-country'
  | 'missing-country-code'
  | 'not-mobile'
  | 'not-sms-capable'
  | 'same-number'
  | 'invalid-rut'
  | 'rut-check-digit'
  | 'too-long'
  | 'message-or-campaign'
  | 'out-of-range'
  | 'invalid-time'
  | 'invalid-date'
  | 'empty-window'
  | 'no-weekday'
  | 'unknown-time-zone'
  | 'insecure-url'
  | 'invalid-format'
  | 'duplicate'
  | 'not-applicable'
  | 'too-many'
  | 'not-allowed';

export type FailureCode =
  | 'invalid-api-key'
  | 'insufficient-balance'
  | 'sender-not-authorized'
  | 'ip-not-authorized'
  | 'sms-not-enabled'
  | 'invalid-number'
  | 'invalid-request'
  | 'campaign-not-found'
  | 'idempotency-conflict'
  | 'template-invalid'
  | 'missing-variable'
  | 'rate-limited'
  | 'server-error'
  | 'timeout'
  | 'connection-failed'
  | 'request-denied'
  | 'malformed-response'
  | 'unexpected-status'
  | 'deadline-exceeded'
  | 'unconfirmed';

export interface CampaignVariable {
  name: string;
  value: string;
}

/**
 * WIT `config`, the JSON the CLI reads. Every key is optional: a missing
 * required one is a `required` problem, not an error. Texts may hold flow
 * variables (`{{name}}`), rendered from the entities at `send`.
 */
export interface Config {
  /** The Siptel API key, or `secret:<name>` of a host secret this call is granted. */
  'api-key'?: string;
  sender?: string;
  recipient?: string;
  message?: string | null;
  purpose?: 'transactional' | 'promotional' | null;
  'opt-out'?: string | null;
  /** `HH:MM[:SS]` in `time-zone`. */
  'window-start'?: string;
  'window-end'?: string;
  weekdays?: Weekday[];
  'send-on-holidays'?: boolean | null;
  /** `YYYY-MM-DD` dates, at most 100. */
  'closed-dates'?: string[];
  campaign?: string | null;
  'campaign-variables'?: CampaignVariable[];
  rut?: string | null;
  'error-intent'?: string | null;
  'time-zone'?: string | null;
  'max-attempts'?: number | null;
  'base-url'?: string | null;
  language?: 'es' | 'en' | null;
  encoding?: 'auto' | 'gsm7-transliterate' | 'ucs2' | null;
  'max-segments'?: number | null;
  'idempotency-key'?: string | null;
  'attempt-timeout-ms'?: number | null;
  'deadline-ms'?: number | null;
}

/** WIT `entity`. */
export interface Entity {
  name: string;
  value: string;
  kind?: string | null;
}

/** The flow's entities: name to value, or a list of entity records. */
export type Entities = Record<string, string> | Map<string, string> | Entity[];

export interface Problem {
  field: FieldId;
  code: ProblemCode;
  message: string;
}

export interface Sent {
  type: 'sent';
  id: string;
  status: string;
  segments: number;
  attempts: number;
  'idempotency-key': string;
  campaign: string | null;
}

export interface BlockedFields {
  reason: 'weekday-disabled' | 'outside-hours' | 'holiday' | 'closed-date';
  /** RFC 3339, in the config's time zone. */
  'next-allowed': string;
  'wait-seconds': number;
  description: string;
}

export interface Blocked extends BlockedFields {
  type: 'blocked';
}

export interface Invalid {
  type: 'invalid';
  problems: Problem[];
}

export interface Failed {
  type: 'failed';
  'error-intent': string;
  code: FailureCode;
  description: string;
  attempts: number;
  'last-status': number | null;
  'idempotency-key': string;
  'possibly-sent': boolean;
}

/** WIT `outcome`: switch on `type`. */
export type Outcome = Sent | Blocked | Invalid | Failed;

export interface Replacement {
  original: string;
  replacement: string;
  count: number;
}

export type WindowStatus = { type: 'open' } | ({ type: 'closed' } & BlockedFields);

/** WIT `preview`. */
export interface Preview {
  sender: string;
  recipient: string;
  message: string | null;
  campaign: string | null;
  'campaign-variables': CampaignVariable[];
  encoding: 'gsm7' | 'ucs2';
  units: number;
  segments: number;
  'ucs2-characters': string[];
  replacements: Replacement[];
  'transliterated-segments': number | null;
  rut: string | null;
  'error-intent': string;
  window: WindowStatus;
}

export interface Localized {
  es: string;
  en: string;
}

export type FieldKind =
  | {
      type:
        | 'secret'
        | 'phone-number'
        | 'text'
        | 'multiline-text'
        | 'time-of-day'
        | 'weekdays'
        | 'key-values'
        | 'switch'
        | 'date-list';
    }
  | { type: 'choice'; values: string[] }
  | { type: 'integer'; min: number; max: number };

export interface FormField {
  id: FieldId;
  kind: FieldKind;
  required: boolean;
  'default-value': string | null;
  'accepts-variables': boolean;
  'max-length': number | null;
  label: Localized;
  help: Localized;
}

/** WIT `action-form`. */
export interface ActionForm {
  name: Localized;
  summary: Localized;
  fields: FormField[];
  versions: {
    component: string;
    tzdata: string;
    'phone-metadata': string;
    'holiday-years': string;
  };
}

/** Sandbox limits applied to every call (the core's defaults when absent). */
export interface Limits {
  /** Longest a check, preview or describe runs, and the least a send may (10000). */
  callTimeoutMs?: number;
  /** Largest linear memory of one instance (16 MiB). */
  memoryBytes?: number;
  /** Bytes of guest stdout and of stderr kept per call (64 KiB). */
  outputBytes?: number;
  /** Calls that run at once (128). */
  concurrentCalls?: number;
  /** Of those, slots only check, preview and describe may take (8). */
  quickReserve?: number;
  /** Most slots one tenant's calls hold at once (32). */
  tenantSlots?: number;
  /** Longest a call waits for a slot before `Busy` (2000). */
  slotWaitMs?: number;
}

/** What the embedding platform decides, for every call. */
export interface HostOptions {
  /** The only Siptel base URL calls may reach (default https://api.siptel.cl). */
  siptelBaseUrl?: string;
  /** API keys kept outside the sandbox, by name; a call uses those it is granted. */
  secrets?: Record<string, string> | Map<string, string>;
  limits?: Limits;
  /** wasmtime's pooling allocator (default true). */
  pooling?: boolean;
  /**
   * Where compiled code is cached across processes: `true` (default:
   * `$SIPTEL_SMS_CACHE_DIR`, else `$XDG_CACHE_HOME/siptel-sms`, else
   * `~/.cache/siptel-sms`), `false`, or a directory.
   */
  compileCache?: boolean | string;
  /** PEM certificates HTTPS egress trusts besides the webpki roots. */
  tlsRootsPem?: string;
  /** Another build of the component (bytes or a path); default the embedded one. */
  wasm?: Uint8Array | ArrayBuffer | string;
}

/** Per-call choices of the host. */
export interface CallOptions {
  /** Names of the host secrets this call may use: its tenant's own. */
  secrets?: Iterable<string>;
  /** The tenant the call runs for (its share of the slots). */
  tenant?: string;
}

export interface SendOptions extends CallOptions {
  /** The wall clock the guest sees at the start of the call (RFC 3339 or a Date). */
  now?: Date | string;
  /** This call's Siptel base URL, instead of the host's (`InputError` `bad-base-url` if refused). */
  siptelBaseUrl?: string;
}

export interface PreviewOptions extends CallOptions {
  /** The instant the window is judged at (RFC 3339 or a Date); default now. */
  at?: Date | string;
}

export declare class SiptelSms {
  private constructor();
  /** Loads the embedded component with the host's options. */
  static load(options?: HostOptions): Promise<SiptelSms>;
  send(config: Config, entities?: Entities | null, options?: SendOptions): Promise<Outcome>;
  check(config: Config, options?: CallOptions): Promise<Problem[]>;
  /** Rejects with `InvalidConfig` when the config has problems. */
  preview(config: Config, entities?: Entities | null, options?: PreviewOptions): Promise<Preview>;
  describe(options?: CallOptions): Promise<ActionForm>;
  close(): Promise<void>;
}

export declare const DEFAULT_BASE_URL: string;

/** A problem with the shape of a value handed in (not the action's own). */
export interface InputProblem {
  /** JSON path: `config.recipient`, `entities.name`, `options.tenant`. */
  field: string;
  code: string;
  message: string;
}

export declare class SiptelSmsError extends Error {}

/** A value does not fit its part: the component did not run. */
export declare class InputError extends SiptelSmsError {
  /** The first wrong part's JSON path, e.g. `config.recipient`. */
  readonly field: string;
  /**
   * `wrong-type`, `unknown-field`, `missing-field`, `unknown-value`,
   * `not-an-object`, `not-json`, `not-an-instant`, or `bad-base-url` (a
   * call's `siptelBaseUrl` the component does not accept).
   */
  readonly code: string;
  readonly problems: InputProblem[];
}

/** `preview` refused the config. */
export declare class InvalidConfig extends SiptelSmsError {
  readonly problems: Problem[];
}

/** The sandbox stopped or failed the call. */
export declare class HostError extends SiptelSmsError {
  readonly stdout: string;
  readonly stderr: string;
  readonly denied: string[];
}
export declare class LoadError extends HostError {}
export declare class Busy extends HostError {
  readonly seconds: number;
}
export declare class CallTimeout extends HostError {
  readonly seconds: number;
}
export declare class MemoryLimit extends HostError {
  readonly limitBytes: number;
}
export declare class Trap extends HostError {}
