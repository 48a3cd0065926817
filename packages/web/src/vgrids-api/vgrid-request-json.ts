/**
 * The JSON shape of a VGrid membership or ownership request, shared by the VGrid API routes.
 * @packageDocumentation
 */

/** The OpenAPI/JSON schema of a request as the API answers it. */
export const vgridRequestSchema = {
  type: 'object',
  required: ['id', 'vgrid', 'kind', 'status', 'createdAt'],
  properties: {
    id: { type: 'string' },
    vgrid: { type: 'string' },
    user: { type: 'string', description: 'The email of who asked.' },
    kind: { type: 'string', enum: ['member', 'owner'] },
    message: { type: 'string' },
    status: { type: 'string', enum: ['pending', 'accepted', 'rejected'] },
    createdAt: { type: 'integer' },
    decidedAt: { type: 'integer', nullable: true },
  },
} as const;
