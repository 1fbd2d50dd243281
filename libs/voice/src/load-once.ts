import { SpeechProviderError } from './speech.types.js';

/**
 * `load` run once and its result kept: an SDK client made at first use, so a process that never
 * speaks never imports the SDK. A failure is not kept: the next call tries again.
 */
export function loadOnce<T>(load: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined;
  return () =>
    (loaded ??= load().catch((error: unknown) => {
      loaded = undefined;
      throw error;
    }));
}

/**
 * An SDK client made once (see loadOnce), refused as `unavailable` while the instance has no key:
 * checked here, or the SDK would look for a key (or another backend) in the environment itself.
 */
export function keyedClient<T>(instance: () => { readonly name: string; readonly apiKey?: string }, load: () => Promise<T>): () => Promise<T> {
  const client = loadOnce(load);
  return () => {
    const { name, apiKey } = instance();
    return apiKey ? client() : Promise.reject(new SpeechProviderError('unavailable', name, `${name} needs an apiKey`));
  };
}
