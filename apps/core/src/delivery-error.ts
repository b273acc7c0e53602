/** Thrown for a delivery that cannot be made (too large, missing secrets, ...). */
export class DeliveryError extends Error {
  /** With `rejected-by-proxy`: the secrets the refused spec would have added (the suspects). */
  readonly secrets: string[];
  /** With `rejected-by-proxy`: what the proxy's check said. */
  readonly output: string;

  constructor(
    readonly code: 'too-large' | 'missing-secret' | 'rejected-by-proxy' | 'foreign-service' | 'docker',
    message: string,
    options?: { cause?: unknown; secrets?: string[]; output?: string },
  ) {
    super(message, options);
    this.secrets = options?.secrets ?? [];
    this.output = options?.output ?? '';
    this.name = 'DeliveryError';
  }
}
