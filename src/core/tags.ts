import { AwsError } from './errors.js';
import { hasInvalidCharacters } from './message.js';

// SQS treats tags as plain strings (unlike services that allow only letters, digits and `_.:/=+-@`); we
// refuse only characters that no response, XML in particular, could carry back.

/** Tag rules of SQS: keys 1–128 characters, values up to 256, at most `maxTags` per call. */
export function validateTags(tags: Readonly<Record<string, string>>, maxTags: number): void {
  const keys = Object.keys(tags);
  if (keys.length > maxTags) {
    throw new AwsError('InvalidParameterValue', `Too many tags: a queue can have at most ${maxTags} tags.`);
  }
  validateTagKeys(keys);
  for (const [key, value] of Object.entries(tags)) {
    if (typeof value !== 'string' || value.length > 256) {
      throw new AwsError(
        'InvalidParameterValue',
        `Tag value for key '${key}' must be a string of at most 256 characters.`,
      );
    }
  }
}

export function validateTagKeys(keys: readonly string[]): void {
  for (const key of keys) {
    if (typeof key !== 'string' || key.length === 0 || key.length > 128) {
      throw new AwsError('InvalidParameterValue', `Tag key '${String(key)}' must be 1 to 128 characters long.`);
    }
    if (hasInvalidCharacters(key)) {
      throw new AwsError(
        'InvalidParameterValue',
        `Tag key '${key}' contains characters that are not allowed (control characters or unpaired surrogates).`,
      );
    }
    if (key.toLowerCase().startsWith('aws:')) {
      throw new AwsError('InvalidParameterValue', `Tag key '${key}' is reserved: keys may not start with 'aws:'.`);
    }
  }
}
