/**
 * Small builders of the JSON schemas shared by validation, serialisation and the OpenAPI document.
 */

/**
 * An object schema whose every property is required: the API always sends each field of its
 * answers (null when unknown), and path parameters are all present by construction.
 */
export function objectOf<P extends Record<string, object>>(properties: P) {
  return { type: 'object', properties, required: Object.keys(properties) as (keyof P & string)[] } as const;
}
