/**
 * A `preValidation` hook that refuses JSON body fields a route does not know. Fastify's validator
 * would drop them silently, and a misspelt `max_uses` must not make a share link without a use limit.
 * @packageDocumentation
 */
import type { preValidationHookHandler } from 'fastify';
import { InvalidInputError } from '@migrid/core';

/** Refuses (`MIG_E_INVALID_INPUT`, naming them) body fields not among `schema.properties`. */
export function onlyKnownFields(schema: { readonly properties: Readonly<Record<string, unknown>> }): preValidationHookHandler {
  const known = new Set(Object.keys(schema.properties));
  return (request, _reply, done) => {
    const body = request.body;
    const unknown = body !== null && typeof body === 'object' && !Array.isArray(body) ? Object.keys(body).filter((k) => !known.has(k)) : [];
    if (unknown.length === 0) return done();
    const shown = unknown.slice(0, 3).map((k) => JSON.stringify(k.slice(0, 40))).join(', ');
    done(new InvalidInputError(`Invalid request: unknown field ${shown}; the fields are ${[...known].join(', ')}.`));
  };
}
